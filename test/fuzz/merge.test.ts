import { describe, expect, it } from 'vitest';
import { mergeReports, type FuzzReport } from './drive';

const part = (over: Partial<FuzzReport>): FuzzReport => ({
  seed: 1,
  seconds: 1,
  inputs: 0,
  serverInputs: 0,
  chars: 0,
  requests: {},
  latencyMs: {},
  crashes: 0,
  internalErrors: 0,
  stderrErrors: 0,
  stalls: 0,
  stallsByKind: {},
  invalidEdits: 0,
  outOfRange: 0,
  fixesChecked: 0,
  actionEditsChecked: 0,
  serverRestarts: 0,
  problems: [],
  ...over,
});

describe('mergeReports (bench/fuzz.mjs --jobs)', () => {
  it('sums the counts, takes the figures over every latency of every shard, and orders problems by input', () => {
    const problem = (index: number) => ({
      kind: 'stall' as const,
      via: 'cli' as const,
      what: 'lint',
      detail: '',
      input: { index, seed: 's', ops: [], path: 'p', chars: 1 },
    });
    const merged = mergeReports(
      [
        part({ inputs: 3, chars: 30, stalls: 1, stallsByKind: { lint: 1 }, problems: [problem(4)], latencies: { lint: [1, 2, 1200] } }),
        part({ inputs: 2, chars: 20, crashes: 1, problems: [problem(1)], latencies: { lint: [3, 4], hover: [5] } }),
      ],
      12.34,
    );
    expect(merged).toMatchObject({ inputs: 5, chars: 50, stalls: 1, crashes: 1, stallsByKind: { lint: 1 }, seconds: 12.3 });
    expect(merged.requests).toEqual({ lint: 5, hover: 1 });
    expect(merged.latencyMs.lint).toEqual({ max: 1200, p99: 1200, p50: 3 });
    expect(merged.problems.map((p) => p.input.index)).toEqual([1, 4]);
    expect(merged).not.toHaveProperty('latencies');
  });
});

/**
 * The embedded-SQL edit benchmark (bench/host-edit.mjs) runs as a user runs it, on the built bundles in dist/, at
 * a tiny size: its JSON has every field, with values that agree with the generated file. Timing targets are the
 * benchmark's business, never a test's. (bench/host-scan.mjs reads the apps corpus: test/corpus/host-scan-bench.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

function bench(script: string, args: string[]): Record<string, any> {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('bench/host-edit.mjs', () => {
  it('times every keystroke of both kinds on the generated repository, with the findings its queries carry', () => {
    const edits = 12;
    const r = bench('host-edit.mjs', ['--edits', String(edits), '--warmup', '2', '--queries', '12', '--lines', '400']);
    expect(r).toMatchObject({ bench: 'host-edit', warmup: 2, targetP95Ms: 30 });
    expect(r.file.lines).toBe(400);
    expect(r.file.queries).toBe(12);
    // one query of each of the 12 kinds; the OFFSET page, the event count without a range and the OR-chain
    // are each found once, where the generator put them
    expect(Object.values(r.file.kinds)).toEqual(Array(12).fill(1));
    expect(r.findingsOnOpen.byRule).toMatchObject({ 'offset-pagination': 1, 'partition-range-missing': 1, 'or-chain': 1 });
    expect(r.openToDiagnosticsMs).toBeGreaterThan(0);
    for (const kind of ['query', 'code'] as const) {
      const k = r[kind];
      expect(k.edits).toBe(edits);
      expect(k.latenciesMs).toHaveLength(edits);
      for (const ms of k.latenciesMs) expect(ms).toBeGreaterThan(0);
      expect(k.p50Ms).toBeGreaterThan(0);
      expect(k.p95Ms).toBeGreaterThanOrEqual(k.p50Ms);
      expect(k.maxMs).toBe(Math.max(...k.latenciesMs));
      // typing six letters into a literal or an identifier and deleting them changes no finding
      expect(k.diagnosticCounts).toEqual([r.findingsOnOpen.total]);
      expect(r.pass[kind]).toBe(k.p95Ms <= 30);
    }
    // the two edit points: a query's SQL literal, then the helper code after it
    expect(r.code.at.line).toBeGreaterThan(r.query.at.line);
    expect(r.rssMB).toBeGreaterThan(0);
  }, 120_000);
});

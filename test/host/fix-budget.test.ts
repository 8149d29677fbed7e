/**
 * A host file's parse and its fix checks share one time bound (HostView, HOST_FIX_CHECKS_MS = 500 ms): a file whose
 * parse took the bound's worth offers its findings without fixes, and checks no fix's SQL either. Found by the
 * fuzzer (bench/fuzz.mjs --seed 1, input 56496): a broken 133 KB JavaScript file parsed in 411 ms, then spent 969 ms
 * in fix checks that each had a bound of their own. The parse time is set through a primed extraction (as the CLI's
 * host workers hand theirs over), so the test does not depend on this machine's speed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, extractHost, initEmbedded, initParser, lintSources, primeHostExtracts } from '../../server/src/analysis';
import { DEFAULT_EMBEDDED_OPTIONS } from '../../server/src/analysis/host/options';

beforeAll(async () => {
  await initParser();
  await initEmbedded();
});

const path = 'src/q.js';
const text = 'export const q = (db) => db.query(`SELECT * FROM t WHERE a = 1 OR a = 2 OR a = 3`);\n';

/** The or-chain finding of the file, its extraction's parse said to have taken `parseMs`. */
function lintWithParseTime(parseMs: number) {
  const extract = { ...extractHost('src/other.js', text), parseMs };
  primeHostExtracts([{ path, text, extract }], DEFAULT_EMBEDDED_OPTIONS);
  const [finding] = lintSources([{ path, text }], DEFAULT_CONFIG).files[0].findings;
  expect(finding.ruleId).toBe('or-chain');
  return finding;
}

describe('host fix checks share the file’s parse bound', () => {
  it('a fast parse leaves time for the fix check: the fix is offered', () => {
    expect(lintWithParseTime(3).fix?.edits.length).toBeGreaterThan(0);
  });

  it('a parse that took the whole bound leaves none: the finding has no fix', () => {
    expect(lintWithParseTime(500).fix).toBeUndefined();
    expect(lintWithParseTime(2_000).fix).toBeUndefined();
  });
});

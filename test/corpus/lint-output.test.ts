/**
 * `pgperf lint --format json` on the shared corpus gives the pinned bytes (test/fixtures/lint-output/pin.json):
 * speed work must not change a finding, a position, a message or a fix. A change meant to alter findings writes a
 * new pin (see pin.mjs); a mismatch lists the files and rules whose finding counts moved.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs module shared with the command that writes the pin
import { CORPORA, lintOutput, readPin } from '../fixtures/lint-output/pin.mjs';

interface Output {
  sha256: string;
  bytes: number;
  byFileAndRule: Record<string, number>;
}

describe('pgperf lint --format json on the corpus', () => {
  const pin = readPin() as Record<string, Output>;
  for (const corpus of CORPORA as string[]) {
    it(`${corpus}: the same output as pinned`, { timeout: 120_000 }, () => {
      const now = lintOutput(corpus) as Output;
      const was = pin[corpus];
      const keys = [...new Set([...Object.keys(was.byFileAndRule), ...Object.keys(now.byFileAndRule)])].sort();
      const moved = keys
        .filter((k) => was.byFileAndRule[k] !== now.byFileAndRule[k])
        .map((k) => `${k}: ${was.byFileAndRule[k] ?? 0} → ${now.byFileAndRule[k] ?? 0}`);
      expect(moved).toEqual([]);
      expect({ bytes: now.bytes, sha256: now.sha256 }).toEqual({ bytes: was.bytes, sha256: was.sha256 });
    });
  }
});

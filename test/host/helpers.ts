import { expect } from 'vitest';
import { extractHost, extractSql, toHostOffset, type EmbeddedSql } from '../../server/src/analysis/host';
import type { EmbeddedOptions } from '../../server/src/analysis/host';
import { parseSql } from '../../server/src/analysis/pg';

export function extract(path: string, text: string, options?: EmbeddedOptions): EmbeddedSql[] {
  return extractSql(path, text, options);
}

/** What extractHost read from a file, without how long that took (two extractions of one text are equal in it). */
export function extractContent(path: string, text: string, options?: EmbeddedOptions) {
  const { parseMs: _, ...content } = extractHost(path, text, options);
  return content;
}

/** The one extracted query whose SQL contains `needle`. */
export function queryWith(found: EmbeddedSql[], needle: string): EmbeddedSql {
  const hits = found.filter((e) => e.sql.includes(needle));
  expect(hits, `one query with ${JSON.stringify(needle)} in ${JSON.stringify(found.map((e) => e.sql))}`).toHaveLength(1);
  return hits[0];
}

/**
 * Asserts that the `occurrence`-th `word` of the SQL maps to the `occurrence`-th `word` of the host text, character
 * by character (so a squiggle on it lands on the same word in the host file).
 */
export function expectMapped(e: EmbeddedSql, host: string, word: string, hostFrom = 0): void {
  const s = e.sql.indexOf(word);
  expect(s, `${word} in ${e.sql}`).toBeGreaterThanOrEqual(0);
  const h = host.indexOf(word, Math.max(hostFrom, e.start));
  for (let k = 0; k < word.length; k++) expect(toHostOffset(e, s + k)).toBe(h + k);
}

export function expectParses(e: EmbeddedSql): void {
  const r = parseSql(e.sql);
  expect(r.ok, `${e.sql}: ${r.ok ? '' : r.message}`).toBe(true);
}

/**
 * The finding memo on large real files (../shared/corpus/real-world): after an edit that moves every statement,
 * the memoized lint gives what a fresh lint gives.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../server/src/analysis/catalog';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { catalogFor, FindingMemo, lintFileSteps } from '../../server/src/analysis/engine';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';

function lintFileWithMemo(file: ParsedFile, catalog: Catalog, memo?: FindingMemo) {
  const steps = lintFileSteps(file, catalog, DEFAULT_CONFIG, Infinity, Infinity, [], memo);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value.findings;
  }
}

describe('finding memo', () => {
  it('gives the same findings and fixes as a fresh lint after edits move every statement', () => {
    const files = ['postgres-regress/select.sql', 'postgres-regress/join.sql', 'postgres-regress/partition_prune.sql', 'sqlfluff-postgres/select.sql'];
    for (const name of files) {
      const text = readFileSync(resolve(__dirname, '../../../shared/corpus/real-world', name), 'utf8');
      const cache = new ParseCache();
      const memo = new FindingMemo();
      const first = new ParsedFile(name, text, cache);
      const catalog = catalogFor([first]);
      const collect = (f: ParsedFile, m?: FindingMemo) => lintFileWithMemo(f, catalog, m).map((x) => ({ ...x, fix: x.fix && JSON.stringify(x.fix) }));
      collect(first, memo);
      // Insert a line at the top: every statement keeps its text but moves.
      const edited = `-- moved\n${text}`;
      const again = new ParsedFile(name, edited, cache);
      expect(collect(again, memo), name).toEqual(collect(new ParsedFile(name, edited)));
    }
  });
});

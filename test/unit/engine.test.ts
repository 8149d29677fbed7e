import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../server/src/analysis/catalog';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { catalogFor, checkedFix, FindingMemo, lintFileSteps, lintSources } from '../../server/src/analysis/engine';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';

function lintFileWithMemo(file: ParsedFile, catalog: Catalog, memo?: FindingMemo) {
  const steps = lintFileSteps(file, catalog, DEFAULT_CONFIG, Infinity, Infinity, [], memo);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value.findings;
  }
}

describe('engine', () => {
  it('offers a fix only when the edited statement still parses', () => {
    const file = new ParsedFile('a.sql', 'SELECT 1;\nREINDEX INDEX i;');
    const st = file.statements[1];
    const good = { title: 'ok', edits: [{ start: st.start + 13, end: st.start + 13, newText: ' CONCURRENTLY' }] };
    const bad = { title: 'broken', edits: [{ start: st.start + 13, end: st.start + 13, newText: ' (((' }] };
    expect(checkedFix(good, st)).toBe(good);
    expect(checkedFix(bad, st)).toBeUndefined();
    expect(checkedFix({ title: 'empty', edits: [] }, st)).toBeUndefined();
  });

  it('computes fixes lazily, once, and includes them in JSON', () => {
    const { files } = lintSources([{ path: 'a.sql', text: 'REINDEX INDEX i;' }]);
    const f = files[0].findings[0];
    expect(f.fix).toBe(f.fix);
    expect(JSON.parse(JSON.stringify(f)).fix.edits).toEqual([{ start: 13, end: 13, newText: ' CONCURRENTLY' }]);
  });
});

describe('finding memo', () => {
  it('gives the same findings and fixes as a fresh lint after edits move every statement', () => {
    const files = ['postgres-regress/select.sql', 'postgres-regress/join.sql', 'postgres-regress/partition_prune.sql', 'sqlfluff-postgres/select.sql'];
    for (const name of files) {
      const text = readFileSync(resolve(__dirname, '../../../shared/corpus/real-world', name), 'utf8');
      const cache = new ParseCache();
      const memo = new FindingMemo();
      const first = new ParsedFile(name, text, cache);
      const catalog = catalogFor([first]);
      const collect = (f: ParsedFile, m?: FindingMemo) =>
        lintFileWithMemo(f, catalog, m).map((x) => ({ ...x, fix: x.fix && JSON.stringify(x.fix) }));
      collect(first, memo);
      // Insert a line at the top: every statement keeps its text but moves.
      const edited = `-- moved\n${text}`;
      const again = new ParsedFile(name, edited, cache);
      expect(collect(again, memo), name).toEqual(collect(new ParsedFile(name, edited)));
    }
  });
});

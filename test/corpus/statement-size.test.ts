/**
 * The bound on what pgperf analyses (MAX_ANALYSED_CHARS, server/src/analysis/pg.ts) is far above SQL written by others:
 * no statement of the shared corpus, in .sql files or in application code's SQL strings, is a fifth as long, so the
 * bound changes nothing there (a statement past it is only checked for syntax).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host/index';
import { ParsedFile } from '../../server/src/analysis/parse';
import { MAX_ANALYSED_CHARS } from '../../server/src/analysis/pg';

const CORPUS = resolve(__dirname, '../../../shared/corpus');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.(sql|ts|tsx|js|mjs|cjs|py|go|rs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('statement sizes in the corpus', () => {
  beforeAll(() => initEmbedded());

  it('every statement is under a fifth of MAX_ANALYSED_CHARS, and none is reported as too large', () => {
    let longest = 0;
    let where = '';
    let statements = 0;
    for (const path of [...files(join(CORPUS, 'real-world')), ...files(join(CORPUS, 'apps'))]) {
      const file = new ParsedFile(path, readFileSync(path, 'utf8'));
      for (const st of file.statements) {
        statements++;
        expect(st.error?.tooLarge, path).toBeFalsy();
        if (st.end - st.start > longest) [longest, where] = [st.end - st.start, path];
      }
    }
    expect(statements).toBeGreaterThan(50_000);
    expect(longest, where).toBeLessThan(MAX_ANALYSED_CHARS / 5);
  }, 300_000);
});

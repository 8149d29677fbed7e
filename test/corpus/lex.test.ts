/**
 * The JavaScript lexer (server/src/analysis/lex.ts) against the WASM scanner on SQL written by others: every SQL file
 * of the shared corpus, whole and cut at three places (inside strings, comments and dollar quotes as it happens).
 * Wherever the lexer reads a text, its tokens must be the scanner's, field for field; it must read almost every
 * whole file (else the fast path would not be the one taken).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lexSql, lexSqlPrefix } from '../../server/src/analysis/lex';
import { tokenize, tokenizeWithScanner } from '../../server/src/analysis/tokens';

const CORPUS = resolve(__dirname, '../../../shared/corpus');

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith('.sql') ? [join(dir, e.name)] : [],
  );
}

describe('the JavaScript lexer on the corpus', () => {
  it('gives the scanner’s tokens wherever it reads, and reads at least 98% of the whole files', () => {
    const files = [...sqlFiles(join(CORPUS, 'real-world')), ...sqlFiles(join(CORPUS, 'apps'))].sort();
    expect(files.length).toBeGreaterThan(1_500);
    const mismatches: string[] = [];
    let wholeRead = 0;
    let cutsRead = 0;
    for (const path of files) {
      const text = readFileSync(path, 'utf8');
      const cuts = [0.29, 0.58, 0.87].map((f) => text.slice(0, Math.floor(text.length * f)));
      for (const [k, t] of [text, ...cuts].entries()) {
        const fast = lexSql(t, 11);
        if (!fast) continue;
        if (k === 0) wholeRead++;
        else cutsRead++;
        const slow = tokenizeWithScanner(t, 11);
        if (JSON.stringify(fast) !== JSON.stringify(slow)) {
          const i = fast.findIndex((x, j) => JSON.stringify(x) !== JSON.stringify(slow[j]));
          mismatches.push(`${path} (${k ? `cut ${k}` : 'whole'}): token ${i}: ${JSON.stringify(fast[i])} vs ${JSON.stringify(slow[i])}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(wholeRead / files.length).toBeGreaterThanOrEqual(0.98);
    // Cut texts are often unterminated (left to the scanner), but many are not.
    expect(cutsRead).toBeGreaterThan(files.length);
  });

  it('tokenize(), which leaves the scanner only what follows the first token the lexer is unsure of, gives the scanner’s tokens', () => {
    const files = [...sqlFiles(join(CORPUS, 'real-world')), ...sqlFiles(join(CORPUS, 'apps'))].sort();
    const mismatches: string[] = [];
    let partly = 0;
    for (const path of files) {
      const text = readFileSync(path, 'utf8');
      const cuts = [0.29, 0.58, 0.87].map((f) => text.slice(0, Math.floor(text.length * f)));
      for (const [k, t] of [text, ...cuts].entries()) {
        if (lexSql(t, 11)) continue;
        if ((lexSqlPrefix(t, 11)?.end ?? 0) > 0) partly++;
        const mixed = JSON.stringify(tokenize(t, 11));
        if (mixed !== JSON.stringify(tokenizeWithScanner(t, 11))) mismatches.push(`${path} (${k ? `cut ${k}` : 'whole'})`);
      }
    }
    expect(mismatches).toEqual([]);
    // Texts the lexer reads only a part of: whole files with a B'…' or U&'…' literal, cuts inside strings.
    expect(partly).toBeGreaterThan(100);
  });
});

/**
 * Robustness on SQL written by others: every file of the shared real-world corpus (sqlfluff fixtures and the
 * PostgreSQL regression suite) is linted as one workspace. Nothing may crash, every statement the real parser
 * rejects must be a syntax-error finding, and no other rule may report on such a statement.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintSources } from '../../server/src/analysis/engine';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';
import { parseSql } from '../../server/src/analysis/pg';

const CORPUS = resolve(__dirname, '../../../shared/corpus/real-world');

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith('.sql') ? [join(dir, e.name)] : [],
  );
}

describe('real-world corpus', () => {
  it('lints all 412 files without a crash; syntax-error is exactly the rejected statements', () => {
    expect(existsSync(CORPUS), `corpus missing at ${CORPUS}`).toBe(true);
    const files = sqlFiles(CORPUS).sort();
    expect(files.length).toBe(412);
    const result = lintSources(files.map((path) => ({ path, text: readFileSync(path, 'utf8') })));
    expect(result.internalErrors).toEqual([]);

    let statements = 0;
    let rejected = 0;
    const problems: string[] = [];
    for (const { file, findings } of result.files) {
      for (const st of file.statements) {
        statements++;
        const inside = findings.filter((f) => f.start >= st.start && f.start <= st.end);
        const alone = parseSql(st.sqlText);
        const where = `${file.path}:${file.source.positionAt(st.start).line + 1}`;
        if (!alone.ok) {
          rejected++;
          if (!inside.some((f) => f.ruleId === 'syntax-error')) problems.push(`${where}: rejected but no syntax-error`);
          const others = inside.filter((f) => f.ruleId !== 'syntax-error' && f.ruleId !== 'unused-suppression');
          if (others.length > 0) problems.push(`${where}: ${others.map((f) => f.ruleId)} on a rejected statement`);
        } else if (inside.some((f) => f.ruleId === 'syntax-error')) {
          problems.push(`${where}: accepted alone but reported as syntax-error`);
        }
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    // Sanity: the corpus is ~57,700 statements with ~2 % deliberate errors in the regression suite.
    expect(statements).toBeGreaterThan(50_000);
    expect(rejected).toBeGreaterThan(500);
    expect(rejected / statements).toBeLessThan(0.03);
  });
});

describe('parse cache', () => {
  it('parses every corpus file to the same statements with and without the statement cache', () => {
    const cache = new ParseCache();
    const diffs: string[] = [];
    for (const path of sqlFiles(CORPUS)) {
      const text = readFileSync(path, 'utf8');
      const plain = new ParsedFile(path, text);
      const cached = new ParsedFile(path, text, cache);
      const shape = (f: ParsedFile) => f.statements.map((s) => `${s.start}-${s.end}:${s.kind || `error@${s.error!.offset}`}`).join(' ');
      if (shape(plain) !== shape(cached)) diffs.push(path);
    }
    expect(diffs).toEqual([]);
  });

  it('re-parses only the statement whose text changed', () => {
    const cache = new ParseCache();
    const text = 'SELECT 1;\nSELECT * FROM t WHERE a = 1 OR a = 2;\nVACUUM FULL t;\n';
    const first = new ParsedFile('x.sql', text, cache);
    expect(cache.size).toBe(3);
    const edited = text.replace('a = 2', 'a = 3');
    const second = new ParsedFile('x.sql', edited, cache);
    expect(cache.size).toBe(4);
    expect(second.statements[0].ast).toBe(first.statements[0].ast);
    expect(second.statements[1].ast).not.toBe(first.statements[1].ast);
    expect(second.statements[2].ast).toBe(first.statements[2].ast);
  });
});

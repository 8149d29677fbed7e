/**
 * Issue 18: one statement never takes down its file, one file never its workspace. Statements nested deeper than
 * the analysis goes (operator chains, set operations, subqueries, CASE, calls, casts, joins) are reported as too
 * deep to analyse; the parser is never handed one that would overflow its stack, and no rule walks a tree deeper
 * than the limit. The sizes are far past the parser's limit in a worker thread (4 MB of stack) as on the main thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { lintSources } from '../../server/src/analysis/engine';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';
import { parseSql, parseSqlDeferred } from '../../server/src/analysis/pg';
import { RULES } from '../../server/src/analysis/rules/index';
import { run } from '../cli/spawn-cli';

const repeat = (n: number, part: string, sep = '') => Array(n).fill(part).join(sep);

/** Statements far too deep for the parser's stack (the inputs, scaled past a worker thread's stack). */
const TOO_DEEP: Record<string, string> = {
  plus: `SELECT ${repeat(60_000, '1', '+')};`,
  concat: `SELECT ${repeat(60_000, "'a'", '||')};`,
  union: `${repeat(50_000, 'SELECT 1', ' UNION ')};`,
  subqueries: `SELECT ${repeat(12_000, '(SELECT ')}1${repeat(12_000, ')')};`,
  not: `SELECT ${repeat(40_000, 'NOT ')}true;`,
  casts: `SELECT 1${repeat(40_000, '::int')};`,
  joins: `SELECT * FROM t0${Array.from({ length: 40_000 }, (_, i) => ` JOIN t${i + 1} ON true`).join('')};`,
  parens: `SELECT ${repeat(12_000, '(')}1${repeat(12_000, ')')} + ${repeat(30_000, '1', '+')};`,
};

/** Deep, but within what pgperf analyses: every rule runs over these trees. */
const DEEP_BUT_ANALYSED: Record<string, string> = {
  plus: `SELECT ${repeat(400, 'a', '+')} FROM t WHERE x = 1 OR x = 2;`,
  // Each arm without a finding: a fix is checked by parsing its whole statement again.
  union: `${repeat(1_000, 'SELECT a FROM t WHERE x = 1', ' UNION ')};`,
  subqueries: `SELECT ${repeat(100, '(SELECT a FROM t WHERE a = ')}1${repeat(100, ')')};`,
  case: `SELECT ${repeat(150, 'CASE WHEN a = 1 THEN ')}1${repeat(150, ' END')} FROM t;`,
  calls: `SELECT ${repeat(300, 'coalesce(')}a${repeat(300, ', 1)')} FROM t ORDER BY random();`,
  exists: `DELETE FROM t WHERE ${repeat(80, 'EXISTS (SELECT 1 FROM t WHERE a NOT IN (SELECT b FROM u WHERE ')}true${repeat(80, '))')};`,
};

const OTHER = 'CREATE TABLE t (a int, x int);\nVACUUM FULL t;\n';

/** Every rule on, opt-in ones included. */
const ALL_RULES = { ...DEFAULT_CONFIG, rules: Object.fromEntries(RULES.filter((r) => r.meta.optIn).map((r) => [r.meta.id, r.meta.severity])) };

describe('a statement too deep to analyse', () => {
  for (const [shape, sql] of Object.entries(TOO_DEEP)) {
    it(`${shape}: reported as too deep; the other statements and files keep their findings`, () => {
      const text = `VACUUM FULL t;\n${sql}\nREINDEX TABLE t;\n`;
      const result = lintSources(
        [
          { path: 'deep.sql', text },
          { path: 'other.sql', text: OTHER },
        ],
        ALL_RULES,
        undefined,
        { fixes: true },
      );
      expect(result.internalErrors).toEqual([]);
      const [deep, other] = result.files;
      expect(deep.file.statements.map((s) => s.kind || 'rejected')).toEqual(['VacuumStmt', 'rejected', 'ReindexStmt']);
      const tooDeep = deep.findings.filter((f) => f.messageId === 'tooDeep');
      expect(tooDeep).toHaveLength(1);
      expect(tooDeep[0]).toMatchObject({ ruleId: 'syntax-error', severity: 'info', start: text.indexOf(sql), end: text.indexOf(sql) + 'SELECT'.length });
      expect(deep.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['vacuum-full', 'reindex-concurrently']));
      expect(other.findings.map((f) => f.ruleId)).toContain('vacuum-full');
    });
  }

  it('the parser entry reports it as a failure (tooDeep), never a throw, and parses normally afterwards', () => {
    for (const sql of Object.values(TOO_DEEP)) {
      for (const parse of [parseSql, parseSqlDeferred]) {
        const r = parse(sql);
        expect(r.ok).toBe(false);
        expect(!r.ok && r.tooDeep).toBe(true);
      }
    }
    // Near the limit of the parser, again and again: the limit does not drop after earlier work.
    for (let i = 0; i < 3; i++) expect(parseSql(`SELECT ${repeat(1_000, '1', '+')}`).ok).toBe(true);
  });

  it('with a statement cache (the language server) as without, also after an edit', () => {
    const cache = new ParseCache();
    const text = `SELECT 1;\n${TOO_DEEP.plus}\nSELECT 2;`;
    for (const t of [text, text.replace('SELECT 2', 'SELECT 3')]) {
      const file = new ParsedFile('a.sql', t, cache);
      expect(file.statements.map((s) => !!s.error?.tooDeep)).toEqual([false, true, false]);
    }
  });

  it('a tree deeper than the analysis goes, which the parser still accepts, is reported too', () => {
    // 3,000 `+` terms: the parser's tree is 6,000 levels deep, past what any rule is handed.
    const result = lintSources([{ path: 'a.sql', text: `SELECT ${repeat(3_000, 'a', '+')} FROM t WHERE x = 1 OR x = 2;` }], ALL_RULES);
    expect(result.internalErrors).toEqual([]);
    expect(result.files[0].findings.map((f) => f.messageId)).toEqual(['tooDeep']);
  });
});

describe('deep statements within the limit', () => {
  for (const [shape, sql] of Object.entries(DEEP_BUT_ANALYSED)) {
    it(`${shape}: every rule runs without failing`, () => {
      const result = lintSources([{ path: 'a.sql', text: `CREATE TABLE t (a int, x int);\nCREATE TABLE u (b int);\n${sql}` }], ALL_RULES);
      expect(result.internalErrors).toEqual([]);
      expect(result.files[0].file.statements.every((s) => !s.error)).toBe(true);
    });
  }
});

describe('the CLI with a too-deep file in the workspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgperf-deep-'));
  // The issue's own inputs: the main thread's stack is smaller than a worker's.
  writeFileSync(join(dir, 'plus.sql'), `SELECT ${repeat(9_650, '1', '+')};\n`);
  writeFileSync(join(dir, 'concat.sql'), `SELECT ${repeat(9_650, "'a'", '||')};\n`);
  writeFileSync(join(dir, 'union.sql'), `${repeat(12_500, 'SELECT 1', ' UNION ')};\n`);
  writeFileSync(join(dir, 'far.sql'), `${TOO_DEEP.plus}\n`);
  writeFileSync(join(dir, 'other.sql'), OTHER);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = (code: number | null, out: string) => {
    expect(code).toBe(0);
    const report = JSON.parse(out) as { findings: { file: string; ruleId: string; severity: string; message: string }[] };
    const of = (file: string) => report.findings.filter((f) => f.file === file);
    for (const deep of ['plus.sql', 'concat.sql', 'union.sql', 'far.sql']) {
      expect(of(deep).map((f) => [f.ruleId, f.severity])).toEqual([['syntax-error', 'info']]);
      expect(of(deep)[0].message).toMatch(/nested too deeply for pgperf to analyse/);
    }
    expect(of('other.sql').map((f) => f.ruleId)).toEqual(['vacuum-full']);
  };

  it('in process', async () => {
    let out = '';
    let err = '';
    const code = await main(['lint', '--format', 'json', '.'], { out: (s) => (out += s), err: (s) => (err += s), cwd: dir, color: false });
    expect(err).toBe('');
    check(code, out);
  });

  it('the built bundle (node bin/pgperf.js lint)', async () => {
    const r = await run(['lint', '--format', 'json', '.'], dir);
    expect(r.err).toBe('');
    check(r.code, r.out);
  });
});

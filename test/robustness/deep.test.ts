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

/**
 * Deep, but within what pgperf analyses: each shape at the largest size the parser entry still accepts (found by
 * search), so that every rule, the catalog and the semantic model walk trees as deep as they are ever handed.
 */
const AT_THE_LIMIT: Record<string, (n: number) => string> = {
  plus: (n) => `SELECT ${repeat(n, 'a', '+')} FROM t WHERE x = 1 OR x = 2;`,
  concat: (n) => `SELECT * FROM t WHERE a::text LIKE '%' || ${repeat(n, 'a::text', ' || ')};`,
  // Each arm without a finding: a fix is checked by parsing its whole statement again.
  union: (n) => `${repeat(n, 'SELECT a FROM t WHERE x = 1', ' UNION ')};`,
  subqueries: (n) => `SELECT ${repeat(n, '(SELECT a FROM t WHERE a = ')}1${repeat(n, ')')};`,
  inSubqueries: (n) => `DELETE FROM t WHERE ${repeat(n, 'a NOT IN (SELECT b FROM u WHERE EXISTS (SELECT 1 FROM t WHERE ')}true${repeat(n, '))')};`,
  case: (n) => `SELECT ${repeat(n, 'CASE WHEN a = 1 THEN ')}1${repeat(n, ' END')} FROM t ORDER BY random();`,
  calls: (n) => `SELECT ${repeat(n, 'coalesce(')}a${repeat(n, ', 1)')} FROM t ORDER BY random() LIMIT 10 OFFSET 100;`,
  and: (n) => `UPDATE t SET x = 1 WHERE ${repeat(n, '(a = 1 AND (x = 2 OR x = 3) AND ')}true${repeat(n, ')')};`,
  not: (n) => `SELECT * FROM t WHERE ${repeat(n, 'NOT ')}(x = 1 OR x = 2);`,
  joins: (n) => `SELECT * FROM t t0${Array.from({ length: n }, (_, i) => ` JOIN t t${i + 1} ON t${i}.a = t${i + 1}.a`).join('')} WHERE t0.x = 1 OR t0.x = 2;`,
  ctes: (n) => `${repeat(n, 'WITH x AS (')}SELECT a FROM t${repeat(n, ') SELECT * FROM x')};`,
  views: (n) => `CREATE VIEW v AS SELECT ${repeat(n, '(SELECT max(a) FROM t WHERE a > ')}0${repeat(n, ')')} AS m;`,
  defaults: (n) => `CREATE TABLE w (a int DEFAULT ${repeat(n, '1', ' + ')}, b int CHECK (${repeat(n, 'NOT ')}(b > 0)));`,
  casts: (n) => `SELECT * FROM t WHERE x${repeat(n, '::int')} = 1;`,
};

/** The largest n for which `shape(n)` is parsed and analysed (not too deep). */
function deepest(shape: (n: number) => string): number {
  const accepted = (n: number) => parseSql(shape(n)).ok;
  let lo = 1;
  let hi = 2;
  while (accepted(hi)) [lo, hi] = [hi, hi * 2];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (accepted(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const SCHEMA = 'CREATE TABLE t (a int, x int);\nCREATE TABLE u (b int);\n';

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
  for (const [shape, make] of Object.entries(AT_THE_LIMIT)) {
    it(`${shape}: every rule runs without failing at the deepest size analysed`, () => {
      const n = deepest(make);
      expect(n).toBeGreaterThan(50);
      const result = lintSources([{ path: 'a.sql', text: SCHEMA + make(n) }], ALL_RULES, undefined, { fixes: true });
      expect(result.internalErrors).toEqual([]);
      expect(result.files[0].file.statements.every((s) => !s.error)).toBe(true);
      // One size deeper is reported, not analysed.
      const deeper = lintSources([{ path: 'a.sql', text: SCHEMA + make(n + 1) }], ALL_RULES).files[0].findings;
      expect(deeper.map((f) => f.messageId)).toContain('tooDeep');
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
  // At the limit of the analysis, on the main thread's smaller stack: analysed, no rule fails.
  const limits = Object.entries(AT_THE_LIMIT).map(([shape, make]) => [`limit-${shape}.sql`, make(deepest(make))] as const);
  writeFileSync(join(dir, 'schema.sql'), SCHEMA);
  for (const [name, sql] of limits) writeFileSync(join(dir, name), sql + '\n');
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
    for (const [name] of limits) expect(of(name).filter((f) => f.ruleId === 'syntax-error')).toEqual([]);
    expect(report.findings.filter((f) => f.file.startsWith('limit-')).length).toBeGreaterThan(5);
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

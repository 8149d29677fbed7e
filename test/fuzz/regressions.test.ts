/**
 * What the fuzzer found (bench/fuzz.mjs, issue 18), each reduced to its smallest shape: a file that crashed the
 * whole lint (and with it the language server) with `RangeError: Maximum call stack size exceeded`, because an
 * array proportional to the file was spread into a call's arguments. Linted by the built CLI in its own process:
 * the main thread's stack, as users run it (a vitest worker's stack is four times deeper and hides the overflow).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../cli/spawn-cli';

const N = 150_000;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `pgperf lint --format json` of one file: exit 0 or 1 (findings), never 2 (internal error); its findings' rules. */
async function lint(text: string, file = 'fuzz.sql'): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pgperf-fuzz-regression-'));
  dirs.push(dir);
  writeFileSync(join(dir, file), text);
  const r = await run(['lint', '--no-cache', '--format', 'json', '.'], dir);
  expect(r.err).toBe('');
  expect([0, 1]).toContain(r.code);
  return (JSON.parse(r.out).findings as { ruleId: string }[]).map((f) => f.ruleId);
}

describe('fuzz regressions: files far longer than the stack is deep', () => {
  it(`a routine and ${N.toLocaleString('en')} statements (the body queries were spread back into the statement list)`, async () => {
    const text = 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1 FROM t ORDER BY random(); END $$;\n' + 'SELECT 1;\n'.repeat(N);
    expect(await lint(text)).toContain('order-by-random');
  }, 60_000);

  it(`${N.toLocaleString('en')} indexes on one table (its indexes were spread into the catalog's)`, async () => {
    expect(await lint('CREATE TABLE t (a int, b int);\n' + 'CREATE INDEX ON t (a);\n'.repeat(N) + 'SELECT * FROM t ORDER BY random();\n')).toContain(
      'order-by-random',
    );
  }, 60_000);

  it(`a table with ${N.toLocaleString('en')} UNIQUE constraints after an index (its uniques were spread into the entry)`, async () => {
    expect(await lint('CREATE INDEX ON t (a);\nCREATE TABLE t (a int' + ', UNIQUE (a)'.repeat(N) + ');\nSELECT * FROM t ORDER BY random();\n')).toContain(
      'order-by-random',
    );
  }, 60_000);

  it(`a ${N.toLocaleString('en')}-character SQL string in TypeScript and in Python (its offsets were spread into the SQL view's)`, async () => {
    const long = `'${'a'.repeat(N)}'`;
    expect(await lint(`const q = (db: any) => db.query(\`SELECT ${long} FROM t ORDER BY random()\`);\n`, 'q.ts')).toContain('order-by-random');
    expect(await lint(`def q(cur):\n    cur.execute("""SELECT ${long} FROM t ORDER BY random()""")\n`, 'q.py')).toContain('order-by-random');
  }, 60_000);

  it('an IN list of 25,000 items in a TypeScript query; one of 50,000 is too large to analyse, not a crash', async () => {
    const query = (n: number) =>
      `const q = (db: any) => db.query(\`SELECT * FROM t WHERE a IN (${Array.from({ length: n }, (_, i) => i).join(', ')}) ORDER BY random()\`);\n`;
    expect(await lint(query(25_000), 'q.ts')).toContain('order-by-random');
    // 338,890 characters, past MAX_ANALYSED_CHARS (test/robustness/large.test.ts).
    expect(await lint(query(50_000), 'q.ts')).toEqual(['syntax-error']);
  }, 60_000);

  it('a query argument concatenated 8,000 levels deep is not read (nor a crash); the query beside it is found', async () => {
    // bench/fuzz.mjs --seed 4, input 591: the string reading recursed once per `+` and overflowed the stack.
    const text = `export const a = (db: any) => db.query('SELECT ' + ${Array(8_000).fill('1').join(' + ')});\nexport const b = (db: any) => db.query('VACUUM FULL t');\n`;
    expect(await lint(text, 'c.ts')).toEqual(['vacuum-full']);
  }, 60_000);

  it('a query beside a generated expression 8,000 levels deep, and one nested 60 functions deep, are both found', async () => {
    const deep = `const x = ${Array(8_000).fill('1').join('+')};\nexport const q = (db: any) => db.query(\`VACUUM FULL t\`);\n`;
    expect(await lint(deep, 'q.ts')).toContain('vacuum-full');
    const nested = `export const f = ${'() => '.repeat(60)}(db: any) => db.query(\`VACUUM FULL t\`);\n`;
    expect(await lint(nested, 'n.ts')).toContain('vacuum-full');
  }, 60_000);
  it('a fix checked in a JavaScript file with a syntax error 6,000 parentheses deep (its error count recursed)', async () => {
    // bench/fuzz.mjs --seed 1, input 67294: counting the host tree's errors before and after a fix overflowed the stack.
    const text = `const x = ${'('.repeat(6_000)}1 +${')'.repeat(6_000)};\nexport const q = (db) => db.query(\`SELECT * FROM t WHERE a = 1 OR a = 2 OR a = 3\`);\n`;
    expect(await lint(text, 'q.js')).toEqual(['or-chain']);
  }, 60_000);
});

describe('fuzz regressions: host files the parser recovers from for minutes', () => {
  // A mutated 325 KB Go file (bench/fuzz.mjs --seed 7, input 266) took 175 s in tree-sitter's error recovery alone; this
  // is the same shape, small: 600 unclosed parentheses before a 40,000-item list (over 20 s without a bound).
  const slowGo = `package x\n\nfunc q(db *sql.DB) { db.Query("VACUUM FULL t") }\n\nvar x = ${'('.repeat(600)}${'1, '.repeat(40_000)}\n`;

  it('is reported as not read, and the rest of the workspace is linted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-fuzz-regression-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'x.go'), slowGo);
    writeFileSync(join(dir, 'ok.go'), 'package x\n\nfunc r(db *sql.DB) { db.Query("VACUUM FULL t") }\n');
    writeFileSync(join(dir, 'm.sql'), 'VACUUM FULL t;\n');
    const r = await run(['lint', '--format', 'json', '.'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const findings = (JSON.parse(r.out).findings as { ruleId: string; file: string; line: number }[]).map((f) => `${f.file}:${f.line} ${f.ruleId}`);
    expect(findings.sort()).toEqual(['m.sql:1 vacuum-full', 'ok.go:3 vacuum-full', 'x.go:1 host-parse-timeout']);
  }, 60_000);
});

describe('fuzz regressions: host trees the query cursor reads for minutes', () => {
  // A Python file with a 400 KB line of `/* ***…` (bench/fuzz.mjs --seed 2, input 1497) took 213 s: its error tree
  // has nodes with tens of thousands of children, which tree-sitter's query cursor reads in quadratic time (its
  // progress callback is never called there). The same shape, small: over 3 s in the queries without the bound.
  const slowPy = `import db\n\ndb.execute("VACUUM FULL t")\n\n/* ${'*'.repeat(40_000)}\n`;

  it('is reported as not read, within the parse’s bound, and the rest of the workspace is linted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-fuzz-regression-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'x.py'), slowPy);
    writeFileSync(join(dir, 'ok.py'), 'import db\n\ndb.execute("VACUUM FULL t")\n');
    const r = await run(['lint', '--format', 'json', '--no-cache', '.'], dir);
    expect(r.err).toBe('');
    const findings = (JSON.parse(r.out).findings as { ruleId: string; file: string; line: number }[]).map((f) => `${f.file}:${f.line} ${f.ruleId}`);
    expect(findings.sort()).toEqual(['ok.py:3 vacuum-full', 'x.py:1 host-parse-timeout']);
  }, 60_000);
});

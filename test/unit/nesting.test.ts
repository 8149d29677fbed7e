/** nestingBound: an upper bound of the parse tree's JSON depth, read from the text, for every shape that nests. */
import { describe, expect, it } from 'vitest';
import { jsonDeeperThan, nestingBound } from '../../server/src/analysis/nesting';
import { parseSql } from '../../server/src/analysis/pg';

const repeat = (n: number, part: string, sep = '') => Array(n).fill(part).join(sep);

/** The JSON depth of the parser's tree, as the parser writes it. */
function treeDepth(sql: string): number {
  const r = parseSql(sql);
  if (!r.ok) throw new Error(`${r.message}: ${sql.slice(0, 80)}`);
  const json = JSON.stringify({ version: 1, stmts: r.stmts });
  let depth = 0;
  let max = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
    } else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

const SHAPES: Record<string, (n: number) => string> = {
  plus: (n) => `SELECT ${repeat(n + 1, '1', ' + ')}`,
  concat: (n) => `SELECT ${repeat(n + 1, "'a'", '||')}`,
  unaryMinus: (n) => `SELECT ${repeat(n, '- ')}1`,
  not: (n) => `SELECT ${repeat(n, 'NOT ')}true`,
  casts: (n) => `SELECT 1${repeat(n, '::int')}`,
  collate: (n) => `SELECT 'a'${repeat(n, ' COLLATE "C"')}`,
  atTimeZone: (n) => `SELECT now()${repeat(n, " AT TIME ZONE 'UTC'")}`,
  isNull: (n) => `SELECT ${repeat(n, '(')}a IS NULL${repeat(n, ') IS NULL')} FROM t`,
  likeEscape: (n) => `SELECT ${repeat(n, '(')}a${repeat(n, " LIKE 'x' ESCAPE '!')")} FROM t`,
  between: (n) => `SELECT ${repeat(n, 'a BETWEEN 1 + 1 AND (')}1${repeat(n, ')')} FROM t`,
  inList: (n) => `SELECT ${repeat(n, '(a IN (1, ')}1${repeat(n, '))')} FROM t`,
  subqueries: (n) => `SELECT ${repeat(n, '(SELECT ')}1${repeat(n, ')')}`,
  exists: (n) => `SELECT 1 WHERE ${repeat(n, 'EXISTS (SELECT 1 WHERE ')}true${repeat(n, ')')}`,
  case: (n) => `SELECT ${repeat(n, 'CASE WHEN true THEN ')}1${repeat(n, ' END')}`,
  caseElse: (n) => `SELECT ${repeat(n, 'CASE WHEN a THEN 1 ELSE ')}2${repeat(n, ' END')} FROM t`,
  calls: (n) => `SELECT ${repeat(n, 'f(')}1${repeat(n, ')')}`,
  arrays: (n) => `SELECT ${repeat(n, 'ARRAY[')}1${repeat(n, ']')}`,
  subscripts: (n) => `SELECT ${repeat(n, '(')}a${repeat(n, ')[1]')} FROM t`,
  union: (n) => repeat(n + 1, 'SELECT 1, 2', ' UNION '),
  unionAll: (n) => repeat(n + 1, '(SELECT a FROM t WHERE a = 1 + 2)', ' UNION ALL '),
  intersect: (n) => repeat(n + 1, 'SELECT 1', ' INTERSECT '),
  joins: (n) => `SELECT * FROM t0${Array.from({ length: n }, (_, i) => ` JOIN t${i + 1} ON t${i}.a = t${i + 1}.a`).join('')}`,
  andOr: (n) => `SELECT 1 FROM t WHERE ${repeat(n, '(a = 1 OR b = 2 AND NOT c = 3 OR ')}true${repeat(n, ')')}`,
  cte: (n) => `${repeat(n, 'WITH x AS (')}SELECT 1${repeat(n, ') SELECT * FROM x')}`,
  insertSelect: (n) => `INSERT INTO t SELECT ${repeat(n, '(SELECT a + ')}1${repeat(n, ' FROM t)')}`,
  update: (n) => `UPDATE t SET a = ${repeat(n + 1, 'a', ' * ')} WHERE b = ${repeat(n, 'abs(')}1${repeat(n, ')')} RETURNING a - 1`,
  routineBody: (n) => `CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT ${repeat(n + 1, '1', ' + ')}; END`,
};

describe('nestingBound', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`${name}: at or above the tree's depth`, () => {
      for (const n of [0, 1, 2, 3, 5, 8, 13, 40, 200]) {
        const sql = shape(n);
        expect(nestingBound(sql), `${name} ${n}`).toBeGreaterThanOrEqual(treeDepth(sql));
      }
    });
  }

  it('reads literals, quoted names, dollar quotes and comments (with CR, CRLF or LF line ends) as leaves', () => {
    const plain = nestingBound('SELECT 1');
    for (const text of ["SELECT '((((((('", 'SELECT "(((((((("', "SELECT E'\\'((((('", 'SELECT $x$((((((($x$', 'SELECT /* (( /* (( */ (( */ 1']) {
      expect(nestingBound(text), text).toBe(plain);
    }
    for (const eol of ['\n', '\r\n', '\r']) expect(nestingBound(`-- ((((((((${eol}SELECT 1`)).toBe(plain);
    // A CR ends a -- comment: what follows is code.
    expect(nestingBound('-- x\rSELECT ((((1))))')).toBeGreaterThan(plain);
  });

  it('is the deepest statement, not the sum: a semicolon ends one', () => {
    const one = nestingBound(repeat(100, 'SELECT 1', ' UNION '));
    expect(nestingBound(repeat(100, 'SELECT 1', ' UNION ') + ';' + repeat(100, 'SELECT 1', ' UNION '))).toBe(one);
  });

  it('stays low for long flat statements: lists, VALUES rows, AND / OR chains, CASE arms', () => {
    expect(nestingBound(`INSERT INTO t VALUES ${repeat(10_000, "(1, -2, 'a', now())", ', ')}`)).toBeLessThan(100);
    expect(nestingBound(`SELECT 1 FROM t WHERE ${repeat(25_000, 'a = 1', ' OR ')}`)).toBeLessThan(100);
    expect(nestingBound(`SELECT CASE ${repeat(5_000, 'WHEN a = 1 THEN 2')} END FROM t`)).toBeLessThan(100);
    expect(nestingBound(`SELECT a IN (${repeat(20_000, '1', ', ')}) FROM t`)).toBeLessThan(100);
  });
});

describe('jsonDeeperThan', () => {
  it('counts objects and arrays, not brackets in strings', () => {
    expect(jsonDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[{"b":1}]}', 2)).toBe(true);
    expect(jsonDeeperThan('{"a":"[[[[\\"[[[[","b":["\\\\"]}', 2)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings, flagged } from '../helpers';

const db = fixOnDb();

const RULE = 'offset-pagination';

describe(RULE, () => {
  it.each([
    ['SELECT * FROM event_log ORDER BY timestamp DESC LIMIT 100 OFFSET 10000;', 'OFFSET 10000'],
    ['SELECT id FROM t ORDER BY id LIMIT $1 OFFSET $2;', 'OFFSET $2'],
    ['SELECT id FROM t ORDER BY id OFFSET ($1) ROWS FETCH FIRST 10 ROWS ONLY;', 'OFFSET ($1) ROWS'],
    ['SELECT id FROM t ORDER BY id OFFSET 20 LIMIT 10;', 'OFFSET 20'],
    ['SELECT id FROM t ORDER BY id LIMIT 10 offset ($2 - 1) * 10;', 'offset ($2 - 1) * 10'],
    ['SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 10::bigint;', 'OFFSET 10::bigint'],
    ['SELECT * FROM (SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 50) s;', 'OFFSET 50'],
    ['WITH p AS (SELECT id FROM t ORDER BY id LIMIT 10 OFFSET $1) SELECT * FROM p;', 'OFFSET $1'],
    ['INSERT INTO a SELECT id FROM t ORDER BY id LIMIT $1 OFFSET $2;', 'OFFSET $2'],
    ['SELECT id FROM t ORDER BY id OFFSET $1;', 'OFFSET $1'],
    ['SELECT id FROM t ORDER BY id LIMIT $1 OFFSET 500;', 'OFFSET 500'],
    ['SELECT id FROM t ORDER BY id LIMIT ($1) OFFSET 100;', 'OFFSET 100'],
    ['SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 10;', 'OFFSET 10'],
    ['SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 5 * 4;', 'OFFSET 5 * 4'],
    ['SELECT id FROM t ORDER BY id LIMIT 10 OFFSET ($1 - 1) * 10;', 'OFFSET ($1 - 1) * 10'],
    // One row at a time, by a parameter: still a page (of one row), and the cost still grows with it.
    ['SELECT id FROM t ORDER BY id LIMIT 1 OFFSET $1;', 'OFFSET $1'],
    // A column-computed offset under a larger LIMIT: not known to be a per-row pick.
    ['SELECT (SELECT n FROM generate_series(1, 10) AS n ORDER BY n LIMIT 5 OFFSET s) FROM generate_series(1, 3) AS s;', 'OFFSET s'],
    ['(SELECT id FROM a ORDER BY id LIMIT 5 OFFSET 5) UNION SELECT id FROM b;', 'OFFSET 5'],
  ])('fires on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/discards/);
  });

  it.each([
    'SELECT * FROM t ORDER BY id LIMIT 10;',
    'SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 0;',
    'SELECT * FROM t ORDER BY id OFFSET 0 ROWS FETCH FIRST 5 ROWS ONLY;',
    'SELECT * FROM t ORDER BY id LIMIT 10 OFFSET NULL;',
    "SELECT 'LIMIT 10 OFFSET 20' AS s;",
    '-- LIMIT 10 OFFSET 20\nSELECT 1;',
    'SELECT "offset" FROM t ORDER BY "offset" LIMIT 10;',
    'SELECT id FROM t WHERE "offset" > 10 ORDER BY id LIMIT 10;',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  // Constant skips that are not pages: the first row of a small function result, the n-th row, a few leading rows.
  it.each([
    "SELECT x FROM unnest(string_to_array($1, '/')) AS x OFFSET 1;",
    'INSERT INTO a SELECT id FROM t ORDER BY id OFFSET 5;',
    'SELECT id FROM t ORDER BY id LIMIT 1 OFFSET 1;',
    'SELECT id FROM t ORDER BY id LIMIT 1 OFFSET 3;',
    'SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 1;',
    'SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 9;',
    'SELECT id FROM t ORDER BY id LIMIT $1 OFFSET 1;',
    'SELECT id FROM t ORDER BY id LIMIT $1 OFFSET 99;',
    'SELECT id FROM t ORDER BY id LIMIT ALL OFFSET 20;',
    'SELECT id FROM t ORDER BY id OFFSET 1 ROWS FETCH NEXT 1 ROW ONLY;',
    'SELECT id FROM t ORDER BY id OFFSET 2::int;',
    // Arithmetic of constants is a constant (postgres-regress tuplesort.sql, sqlfluff limit_clause.sql).
    'SELECT a FROM t ORDER BY a OFFSET 20000 - 4;',
    'SELECT col_a FROM test_table LIMIT 2 * 5 * 10 OFFSET (5 + 10);',
    'SELECT col_a FROM test_table LIMIT (10 / 10) OFFSET 10 - 5;',
    // The i-th row per outer row, not a page (postgres-regress limit.sql, tsrf.sql).
    'SELECT (SELECT n FROM generate_series(1, 10) AS n ORDER BY n LIMIT 1 OFFSET s - 1) FROM generate_series(1, 10) AS s;',
    'SELECT (SELECT generate_series(1, 3) LIMIT 1 OFFSET g.i) FROM generate_series(0, 3) g(i);',
  ])('does not fire on the constant skip %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('without ORDER BY says the page order is undefined and offers no fix', () => {
    const sql = 'SELECT * FROM t LIMIT 10 OFFSET 20;';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/no ORDER BY.*undefined/);
    expect(f[0].fix).toBeUndefined();
  });

  it('set operations fire without a fix', () => {
    const sql = 'SELECT id FROM a UNION ALL SELECT id FROM b ORDER BY id LIMIT 10 OFFSET 30;';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe('OFFSET 30');
    expect(f[0].fix).toBeUndefined();
  });

  it('no fix when a sort key is an aggregate or a window function', () => {
    const agg = 'SELECT user_id, count(*) AS n FROM e GROUP BY user_id ORDER BY n DESC LIMIT 10 OFFSET 10;';
    const win = 'SELECT id, row_number() OVER (ORDER BY id) AS r FROM e ORDER BY r LIMIT 10 OFFSET 10;';
    for (const sql of [agg, win]) {
      const f = findings(sql, RULE);
      expect(f).toHaveLength(1);
      expect(f[0].fix).toBeUndefined();
    }
  });

  it('fixes the guide example: WHERE before ORDER BY, DESC → <, keeps LIMIT', () => {
    const sql = 'SELECT * FROM event_log\nORDER BY timestamp DESC LIMIT 100 OFFSET 10000;\n';
    expect(applyFix(sql, RULE)).toBe('SELECT * FROM event_log\nWHERE timestamp < $1\nORDER BY timestamp DESC LIMIT 100;\n');
    const f = findings(sql, RULE)[0];
    expect(f.fix!.title).toMatch(/keyset pagination/);
    expect(f.message).toMatch(/last row's values of the previous page/);
  });

  it('reuses the dropped OFFSET parameter, numbers the rest after the highest $n, ANDs to an existing WHERE', () => {
    const sql = 'SELECT id, ts FROM e WHERE tenant_id = $1 ORDER BY ts ASC, id ASC LIMIT $2 OFFSET $3;';
    expect(applyFix(sql, RULE)).toBe('SELECT id, ts FROM e WHERE tenant_id = $1 AND (ts, id) > ($3, $4) ORDER BY ts ASC, id ASC LIMIT $2;');
    const shared = 'SELECT id FROM e WHERE $2 > 0 ORDER BY id LIMIT $1 OFFSET $2;';
    expect(applyFix(shared, RULE)).toBe('SELECT id FROM e WHERE $2 > 0 AND id > $3 ORDER BY id LIMIT $1;');
    const constant = 'SELECT id FROM e WHERE k = $1 ORDER BY id DESC LIMIT 10 OFFSET 100;';
    expect(applyFix(constant, RULE)).toBe('SELECT id FROM e WHERE k = $1 AND id < $2 ORDER BY id DESC LIMIT 10;');
  });

  it('wraps a WHERE with a top-level OR in parentheses', () => {
    const sql = 'SELECT id FROM e WHERE a = 1 OR b IS NULL ORDER BY id DESC LIMIT 10 OFFSET 10;';
    expect(applyFix(sql, RULE)).toBe('SELECT id FROM e WHERE (a = 1 OR b IS NULL) AND id < $1 ORDER BY id DESC LIMIT 10;');
    const paren = 'SELECT id FROM e WHERE (a = 1 OR b = 2) ORDER BY id DESC LIMIT 10 OFFSET 10;';
    expect(applyFix(paren, RULE)).toBe('SELECT id FROM e WHERE (a = 1 OR b = 2) AND id < $1 ORDER BY id DESC LIMIT 10;');
  });

  it('expands mixed directions', () => {
    const sql = 'SELECT * FROM e e1 ORDER BY e1.created_at DESC, e1.id LIMIT 20 OFFSET 40;';
    expect(applyFix(sql, RULE)).toBe(
      'SELECT * FROM e e1 WHERE (e1.created_at < $1 OR (e1.created_at = $1 AND e1.id > $2)) ORDER BY e1.created_at DESC, e1.id LIMIT 20;',
    );
  });

  it('resolves output aliases and positions, and inserts before GROUP BY', () => {
    const sql = 'SELECT user_id AS u, count(*) FROM e GROUP BY user_id ORDER BY u LIMIT 10 OFFSET 10;';
    expect(applyFix(sql, RULE)).toBe('SELECT user_id AS u, count(*) FROM e WHERE user_id > $1 GROUP BY user_id ORDER BY u LIMIT 10;');
    const pos = 'SELECT lower(name) FROM e ORDER BY 1 DESC LIMIT 10 OFFSET 10;';
    expect(applyFix(pos, RULE)).toBe('SELECT lower(name) FROM e WHERE lower(name) < $1 ORDER BY 1 DESC LIMIT 10;');
  });

  it('fixes OFFSET … ROWS FETCH FIRST, keeps comments, and handles subqueries', () => {
    const sql = 'SELECT id FROM t -- page\nORDER BY id OFFSET $1 ROWS FETCH FIRST 10 ROWS ONLY;';
    expect(applyFix(sql, RULE)).toBe('SELECT id FROM t -- page\nWHERE id > $1\nORDER BY id FETCH FIRST 10 ROWS ONLY;');
    const sub = 'SELECT * FROM (SELECT id FROM t WHERE x IS NOT NULL ORDER BY id LIMIT 10 OFFSET 50) s;';
    expect(applyFix(sub, RULE)).toBe('SELECT * FROM (SELECT id FROM t WHERE x IS NOT NULL AND id > $1 ORDER BY id LIMIT 10) s;');
  });

  it('fixes an OFFSET inside a parenthesised UNION arm', () => {
    const sql = '(SELECT id FROM a ORDER BY id LIMIT 5 OFFSET 5) UNION SELECT id FROM b;';
    expect(applyFix(sql, RULE)).toBe('(SELECT id FROM a WHERE id > $1 ORDER BY id LIMIT 5) UNION SELECT id FROM b;');
  });

  it('does not swallow a line comment before OFFSET', () => {
    const sql = 'SELECT id FROM t ORDER BY id LIMIT 10 -- next\nOFFSET 10;';
    expect(applyFix(sql, RULE)).toBe('SELECT id FROM t WHERE id > $1 ORDER BY id LIMIT 10 -- next\n;');
  });

  it('parenthesises an operator sort key', () => {
    const sql = 'SELECT a, b FROM t ORDER BY a + b DESC LIMIT 5 OFFSET 5;';
    expect(applyFix(sql, RULE)).toBe('SELECT a, b FROM t WHERE (a + b) < $1 ORDER BY a + b DESC LIMIT 5;');
  });
});

describe(`${RULE}: the keyset fix runs on PostgreSQL with the workspace schema`, () => {
  const SCHEMA =
    'CREATE TABLE e (id bigint PRIMARY KEY, tenant_id int, k int, a int, b int, ts timestamptz, created_at timestamptz, user_id int, name text, x text);\n' +
    'CREATE TABLE t (id int, a numeric, b numeric, x text);\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n' +
    'CREATE TABLE event_log (id bigint, timestamp timestamptz, payload jsonb);\n';
  it.each([
    ['SELECT * FROM event_log ORDER BY timestamp DESC LIMIT 100 OFFSET 10000;', 'WHERE timestamp < $1'],
    ['SELECT id, ts FROM e WHERE tenant_id = $1 ORDER BY ts ASC, id ASC LIMIT $2 OFFSET $3;', '(ts, id) > ($3, $4)'],
    ['SELECT id FROM e WHERE $2 > 0 ORDER BY id LIMIT $1 OFFSET $2;', 'id > $3'],
    ['SELECT id FROM e WHERE a = 1 OR b IS NULL ORDER BY id DESC LIMIT 10 OFFSET 10;', '(a = 1 OR b IS NULL) AND id < $1'],
    ['SELECT * FROM e e1 ORDER BY e1.created_at DESC, e1.id LIMIT 20 OFFSET 40;', '(e1.created_at < $1 OR (e1.created_at = $1 AND e1.id > $2))'],
    ['SELECT user_id AS u, count(*) FROM e GROUP BY user_id ORDER BY u LIMIT 10 OFFSET 10;', 'WHERE user_id > $1 GROUP BY'],
    ['SELECT lower(name) FROM e ORDER BY 1 DESC LIMIT 10 OFFSET 10;', 'lower(name) < $1'],
    ['SELECT id FROM t ORDER BY id OFFSET $1 ROWS FETCH FIRST 10 ROWS ONLY;', 'WHERE id > $1'],
    ['SELECT * FROM (SELECT id FROM t WHERE x IS NOT NULL ORDER BY id LIMIT 10 OFFSET 50) s;', 'AND id > $1'],
    ['(SELECT id FROM a ORDER BY id LIMIT 5 OFFSET 5) UNION SELECT id FROM b;', 'WHERE id > $1'],
    ['SELECT a, b FROM t ORDER BY a + b DESC LIMIT 5 OFFSET 5;', '(a + b) < $1'],
    ['INSERT INTO a SELECT id FROM t ORDER BY id LIMIT $1 OFFSET $2;', 'WHERE id > $2'],
  ])('%s', async (query, predicate) => {
    const r = await db.check(SCHEMA + query, RULE);
    expect(r.how).toBe('prepared');
    expect(r.statement).toContain(predicate);
    expect(r.statement).not.toMatch(/OFFSET/i);
  });
});

import { describe, expect, it } from 'vitest';
import { applyFix, findings, flagged } from '../helpers';

const RULE = 'or-chain';

describe(RULE, () => {
  it.each([
    ['SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2 OR session_id = $3;', 'session_id = $1 OR session_id = $2 OR session_id = $3'],
    ['SELECT * FROM t WHERE x > 0 AND (status = 1 OR status = 2);', 'status = 1 OR status = 2'],
    ["SELECT * FROM t WHERE 'a' = kind OR kind = 'b';", "'a' = kind OR kind = 'b'"],
    ['SELECT * FROM a JOIN b ON b.id = a.id AND (b.k = 1 OR b.k = 2);', 'b.k = 1 OR b.k = 2'],
    ['UPDATE t SET x = 1 WHERE id = 1 OR id = 2;', 'id = 1 OR id = 2'],
    ['DELETE FROM t WHERE id = lower($1) OR id = now()::text;', 'id = lower($1) OR id = now()::text'],
    ['SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.s = 1 OR u.s = 2);', 'u.s = 1 OR u.s = 2'],
    ['SELECT * FROM t WHERE a = 1 OR b = 2 OR a = 3;', 'a = 1 OR b = 2 OR a = 3'],
  ])('fires on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/ANY\(ARRAY\[|IN \(/);
  });

  it.each([
    'SELECT * FROM t WHERE a = 1 OR b = 2;',
    'SELECT * FROM t WHERE a = 1 OR a IS NULL;',
    'SELECT * FROM t WHERE a = b OR a = c;',
    'SELECT * FROM t WHERE a = 1 AND a = 2;',
    'SELECT * FROM t WHERE a = 1 OR a > 5;',
    'SELECT * FROM t WHERE a = ANY(ARRAY[1, 2]);',
    'SELECT * FROM t WHERE s.id = 1 OR id = 2;',
    'SELECT * FROM t WHERE a = 1 OR (a = 2 AND b = 3);',
    "SELECT 'a = 1 OR a = 2';",
    'SELECT * FROM t WHERE a = (SELECT max(x) FROM u) OR a = (SELECT min(x) FROM u);',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('fix: numbers keep ANY(ARRAY[…]) and other arms stay verbatim', () => {
    expect(applyFix('SELECT * FROM t WHERE a = 1 OR b = 2 OR a = 3;', RULE)).toBe('SELECT * FROM t WHERE a = ANY(ARRAY[1, 3]) OR b = 2;');
    expect(applyFix('SELECT * FROM t WHERE x > 0 AND (status = 1 OR /* hot */ status = 2);', RULE)).toBe(
      'SELECT * FROM t WHERE x > 0 AND (status = ANY(ARRAY[1, 2]));',
    );
  });

  it('fix: parenthesised and reversed arms', () => {
    expect(applyFix('SELECT * FROM t WHERE (a = 1) OR 2 = a OR (b IS NULL);', RULE)).toBe(
      'SELECT * FROM t WHERE a = ANY(ARRAY[1, 2]) OR (b IS NULL);',
    );
    expect(applyFix('SELECT * FROM t WHERE b IS NULL OR t.a = 1::int8 OR t.a = 2::int8;', RULE)).toBe(
      'SELECT * FROM t WHERE b IS NULL OR t.a = ANY(ARRAY[1::int8, 2::int8]);',
    );
  });

  it('fix: parameters of a uuid column get a cast from the catalog (text[] would not compare with uuid)', () => {
    const files = {
      'schema.sql': 'CREATE TABLE sessions (session_id uuid PRIMARY KEY, name text);',
      'main.sql': 'SELECT * FROM sessions s WHERE s.session_id = $1 OR s.session_id = $2 OR s.session_id = $3;',
    };
    expect(applyFix(files, RULE)).toBe('SELECT * FROM sessions s WHERE s.session_id = ANY(ARRAY[$1, $2, $3]::uuid[]);');
    const text = { ...files, 'main.sql': "SELECT * FROM sessions WHERE name = 'a' OR name = 'b';" };
    expect(applyFix(text, RULE)).toBe("SELECT * FROM sessions WHERE name = ANY(ARRAY['a', 'b']);");
  });

  it('fix: resolves the column type inside each arm of a UNION', () => {
    const files = {
      'schema.sql': 'CREATE TABLE sessions (session_id uuid PRIMARY KEY, name text);',
      'main.sql': 'SELECT 1 FROM t UNION SELECT 2 FROM sessions WHERE session_id = $1 OR session_id = $2;',
    };
    expect(applyFix(files, RULE)).toBe('SELECT 1 FROM t UNION SELECT 2 FROM sessions WHERE session_id = ANY(ARRAY[$1, $2]::uuid[]);');
  });

  it('fix: schemas decide the column type', () => {
    const files = {
      'schema.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.t (id int8);\nCREATE TABLE t (id text);',
      'main.sql': 'SET search_path = app;\nUPDATE t SET x = 1 WHERE id = $1 OR id = $2;',
    };
    expect(applyFix(files, RULE)).toBe('SET search_path = app;\nUPDATE t SET x = 1 WHERE id = ANY(ARRAY[$1, $2]::int8[]);');
  });

  it('fix: unknown column type with untyped values falls back to the equivalent IN list', () => {
    expect(applyFix('SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2;', RULE)).toBe(
      'SELECT * FROM sessions WHERE session_id IN ($1, $2);',
    );
  });

  it('fix: an array column gets the IN list, not an element-type cast', () => {
    const files = {
      'schema.sql': 'CREATE TABLE docs (id int8, tags text[], codes int4[]);',
      'main.sql': 'SELECT id FROM docs WHERE codes = $1 OR codes = $2;',
    };
    expect(applyFix(files, RULE)).toBe('SELECT id FROM docs WHERE codes IN ($1, $2);');
  });

  it('fix: several chains in one OR', () => {
    expect(applyFix('SELECT * FROM t WHERE a = 1 OR b = 2 OR a = 3 OR b = 4 OR c > 1;', RULE)).toBe(
      'SELECT * FROM t WHERE a = ANY(ARRAY[1, 3]) OR b = ANY(ARRAY[2, 4]) OR c > 1;',
    );
  });
});

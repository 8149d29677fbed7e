import { describe, expect, it } from 'vitest';
import { applyFix, findings, flagged } from '../helpers';

const RULE = 'select-star';

const SCHEMA =
  'CREATE SCHEMA app;\n' +
  'CREATE TABLE public.users (id int8 PRIMARY KEY, email text, "Display Name" text, "order" int4, timestamp timestamptz);\n' +
  'CREATE TABLE app.users (user_id uuid PRIMARY KEY, tenant_id text, profile jsonb);\n' +
  'CREATE TABLE artifacts (artifact_id uuid, name text, metadata jsonb);\n';

describe(RULE, () => {
  it.each([
    ['SELECT * FROM t;', '*'],
    ['SELECT t.* FROM t;', 't.*'],
    ['SELECT id, u . * FROM u;', 'u . *'],
    ['SELECT public.t.* FROM public.t;', 'public.t.*'],
    ['WITH x AS (SELECT id FROM t) SELECT * FROM x;', '*'],
    ['SELECT * FROM (SELECT id FROM t) s;', '*'],
    ['SELECT * FROM t WHERE EXISTS (SELECT * FROM u WHERE u.id = t.id);', '*'],
  ])('fires on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('info');
  });

  it('fires on each arm of a UNION', () => {
    const sql = 'SELECT * FROM a UNION ALL SELECT b.* FROM b;';
    expect(findings(sql, RULE).map((f) => flagged(sql, f))).toEqual(['*', 'b.*']);
  });

  it.each([
    'SELECT count(*) FROM t;',
    'SELECT id FROM t WHERE EXISTS (SELECT * FROM u WHERE u.id = t.id);',
    'SELECT id FROM (SELECT * FROM t) s;',
    'WITH x AS (SELECT * FROM t) SELECT id FROM x;',
    'INSERT INTO t2 SELECT * FROM t;',
    'CREATE TABLE t2 AS SELECT * FROM t;',
    'CREATE VIEW v AS SELECT * FROM t;',
    'SELECT * INTO t2 FROM t;',
    'EXPLAIN SELECT * FROM t;',
    "SELECT '*' FROM t;",
    'SELECT a * b FROM t;',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('mentions JSONB columns', () => {
    const f = findings({ 'schema.sql': SCHEMA, 'main.sql': "SELECT * FROM artifacts WHERE name = 'x';" }, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/metadata \(jsonb\)/);
  });

  it('expands to the right schema\'s columns, quoting when needed', () => {
    const pub = { 'schema.sql': SCHEMA, 'main.sql': 'SELECT * FROM users WHERE id = 1;' };
    expect(applyFix(pub, RULE)).toBe('SELECT id, email, "Display Name", "order", timestamp FROM users WHERE id = 1;');
    const app = { 'schema.sql': SCHEMA, 'main.sql': 'SELECT * FROM app.users;' };
    expect(applyFix(app, RULE)).toBe('SELECT user_id, tenant_id, profile FROM app.users;');
    const path = { 'schema.sql': SCHEMA, 'main.sql': 'SET search_path = app;\nSELECT * FROM users;' };
    expect(applyFix(path, RULE)).toBe('SET search_path = app;\nSELECT user_id, tenant_id, profile FROM users;');
  });

  it('qualifies with the alias and expands t.* alone', () => {
    const aliased = { 'schema.sql': SCHEMA, 'main.sql': 'SELECT * FROM app.users u;' };
    expect(applyFix(aliased, RULE)).toBe('SELECT u.user_id, u.tenant_id, u.profile FROM app.users u;');
    const join = {
      'schema.sql': SCHEMA,
      'main.sql': 'SELECT a.*, u.email FROM artifacts a JOIN users u ON u.id = 1;',
    };
    expect(applyFix(join, RULE)).toBe('SELECT a.artifact_id, a.name, a.metadata, u.email FROM artifacts a JOIN users u ON u.id = 1;');
    const both = { 'schema.sql': SCHEMA, 'main.sql': 'SELECT * FROM artifacts JOIN app.users ON true;' };
    expect(applyFix(both, RULE)).toBe(
      'SELECT artifacts.artifact_id, artifacts.name, artifacts.metadata, users.user_id, users.tenant_id, users.profile FROM artifacts JOIN app.users ON true;',
    );
  });

  it('no fix when a table behind the star is unknown, a CTE, or a USING join', () => {
    for (const main of [
      'SELECT * FROM unknown_table;',
      'SELECT * FROM artifacts, unknown_table;',
      'WITH users AS (SELECT 1 AS one) SELECT * FROM users;',
      'SELECT * FROM artifacts JOIN users USING (name);',
      'SELECT * FROM (SELECT 1) s;',
    ]) {
      const f = findings({ 'schema.sql': SCHEMA, 'main.sql': main }, RULE);
      expect(f, main).toHaveLength(1);
      expect(f[0].fix, main).toBeUndefined();
    }
    const partial = findings({ 'schema.sql': SCHEMA, 'main.sql': 'SELECT a.*, x.* FROM artifacts a, unknown_table x;' }, RULE);
    expect(partial).toHaveLength(2);
    expect(partial[0].fix).toBeDefined();
    expect(partial[1].fix).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, config, findings, flagged, lintAll } from '../helpers';

const db = fixOnDb();

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
    // a CTE or subquery that is itself a star still returns every column of its table
    ['WITH x AS (SELECT * FROM t) SELECT * FROM x;', '*'],
    ['SELECT * FROM (SELECT * FROM t UNION ALL SELECT id FROM u) s;', '*'],
    // the star covers a table beside a CTE that lists its columns
    ['WITH x AS (SELECT id FROM t) SELECT * FROM x JOIN u ON u.id = x.id;', '*'],
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
    // the CTE, subquery, function or VALUES already chose its columns
    'WITH x AS (SELECT id FROM t) SELECT * FROM x;',
    'WITH x(a, b) AS (SELECT id, name FROM t) SELECT * FROM x;',
    'SELECT * FROM (SELECT id FROM t) s;',
    'SELECT * FROM (SELECT id FROM t UNION SELECT id FROM u) s;',
    'WITH x AS (SELECT id FROM t) SELECT x.*, u.id FROM x JOIN u ON u.id = x.id;',
    'SELECT * FROM generate_series(1, 10) g;',
    'SELECT * FROM unnest($1::int8[]) AS u(id);',
    'SELECT * FROM (VALUES (1, 2)) v(a, b);',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r;',
    'WITH d AS (DELETE FROM t WHERE id = $1 RETURNING id, name) SELECT * FROM d;',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('mentions JSONB columns', () => {
    const f = findings({ 'schema.sql': SCHEMA, 'main.sql': "SELECT * FROM artifacts WHERE name = 'x';" }, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/metadata \(jsonb\)/);
  });

  it("expands to the right schema's columns, quoting when needed", () => {
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
      'WITH x AS (SELECT * FROM unknown_table) SELECT * FROM x;',
      'SELECT * FROM artifacts JOIN users USING (name);',
      'SELECT * FROM (SELECT * FROM artifacts JOIN users USING (name)) s;',
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

  it('a CTE named like a workspace table that lists its columns is not the table', () => {
    const files = { 'schema.sql': SCHEMA, 'main.sql': 'WITH users AS (SELECT id, email FROM users WHERE id > $1) SELECT * FROM users;' };
    expect(findings(files, RULE)).toEqual([]);
  });

  it("fix: a star-bodied CTE expands to its table's columns and runs on PostgreSQL", async () => {
    const r = await db.check(SCHEMA + 'WITH x AS (SELECT * FROM artifacts WHERE name = $1) SELECT * FROM x;', RULE);
    expect(r.how).toBe('prepared');
    expect(r.statement).toContain('SELECT artifact_id, name, metadata FROM x');
    const f = findings(SCHEMA + 'WITH x AS (SELECT * FROM artifacts) SELECT * FROM x;', RULE);
    expect(f[0].message).toMatch(/metadata \(jsonb\)/);
  });

  it('fix: a table beside a listing CTE, qualified, runs on PostgreSQL', async () => {
    const r = await db.check(SCHEMA + 'WITH x AS (SELECT id FROM users) SELECT * FROM x JOIN app.users u ON u.tenant_id = x.id::text;', RULE);
    expect(r.statement).toContain('SELECT x.id, u.user_id, u.tenant_id, u.profile FROM x JOIN app.users u');
  });

  it('not in function or DO bodies: the rows fill variables or loop records, or match the declared return type', () => {
    const bodies = [
      'CREATE FUNCTION f(p int) RETURNS void LANGUAGE plpgsql AS $$\nDECLARE r t%ROWTYPE;\nBEGIN\n  SELECT * INTO r FROM t WHERE id = p;\n  FOR r IN SELECT * FROM t LOOP\n    PERFORM 1;\n  END LOOP;\nEND $$;',
      'CREATE FUNCTION g() RETURNS SETOF t LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN QUERY SELECT * FROM t;\nEND $$;',
      'CREATE FUNCTION h() RETURNS SETOF t LANGUAGE sql AS $$ SELECT * FROM t $$;',
      "DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN SELECT * FROM t LOOP\n    RAISE NOTICE '%', r;\n  END LOOP;\nEND $$;",
    ];
    for (const sql of bodies) expect(findings(sql, RULE), sql).toEqual([]);
    // the same query outside a body still fires
    expect(findings('SELECT * FROM t WHERE id = $1;', RULE)).toHaveLength(1);
  });
});

describe(`${RULE} is opt-in`, () => {
  const sql = 'CREATE TABLE docs (id int, body jsonb);\nSELECT * FROM docs;\n';
  it('reports nothing under the default config', () => {
    expect(lintAll(sql, config()).filter((f) => f.ruleId === RULE)).toEqual([]);
  });
  it('reports at info once the config turns it on, and at the configured level', () => {
    expect(
      lintAll(sql, config({ rules: { [RULE]: 'info' } }))
        .filter((f) => f.ruleId === RULE)
        .map((f) => f.severity),
    ).toEqual(['info']);
    expect(
      lintAll(sql, config({ rules: { [RULE]: 'warning' } }))
        .filter((f) => f.ruleId === RULE)
        .map((f) => f.severity),
    ).toEqual(['warning']);
  });
  it('a suppression of it is unused only when it is on', () => {
    const suppressed = `-- pgperf-ignore ${RULE}: whole-row model\nSELECT id FROM docs;\n`;
    expect(lintAll(`CREATE TABLE docs (id int);\n${suppressed}`, config()).map((f) => f.ruleId)).toEqual([]);
    expect(lintAll(`CREATE TABLE docs (id int);\n${suppressed}`, config({ rules: { [RULE]: 'info' } })).map((f) => f.ruleId)).toEqual(['unused-suppression']);
  });
});

describe(`${RULE}: the expanded column lists run on PostgreSQL with the workspace schema`, () => {
  // The fixes above, from a schema file: quoted and keyword column names, schemas, search_path, aliases, joins.
  it.each([
    ['SELECT * FROM users WHERE id = 1;', 'SELECT id, email, "Display Name", "order", timestamp FROM users WHERE id = 1'],
    ['SELECT * FROM app.users;', 'SELECT user_id, tenant_id, profile FROM app.users'],
    ['SET search_path = app;\nSELECT * FROM users;', 'SELECT user_id, tenant_id, profile FROM users'],
    ['SELECT * FROM app.users u;', 'SELECT u.user_id, u.tenant_id, u.profile FROM app.users u'],
    [
      'SELECT a.*, u.email FROM artifacts a JOIN users u ON u.id = $1;',
      'SELECT a.artifact_id, a.name, a.metadata, u.email FROM artifacts a JOIN users u ON u.id = $1',
    ],
    [
      'SELECT * FROM artifacts JOIN app.users ON true;',
      'SELECT artifacts.artifact_id, artifacts.name, artifacts.metadata, users.user_id, users.tenant_id, users.profile FROM artifacts JOIN app.users ON true',
    ],
  ])('%s', async (main, statement) => {
    const r = await db.check({ 'schema.sql': SCHEMA, 'main.sql': main }, RULE);
    expect(r.how).toBe('prepared');
    expect(r.statement.trim()).toBe(statement);
    expect(r.skipped).toEqual([]);
  });
});

describe(`${RULE}: a table created with INHERITS (runs on PostgreSQL)`, () => {
  const PARENT = 'CREATE TABLE parent (id int, a text);\n';

  // PostgreSQL puts the parents' columns first, a redeclared one in its inherited place.
  it.each([
    ['CREATE TABLE child (b int) INHERITS (parent);\nSELECT * FROM child;', 'SELECT id, a, b FROM child'],
    ['CREATE TABLE child (b int, a text) INHERITS (parent);\nSELECT * FROM child;', 'SELECT id, a, b FROM child'],
    ['CREATE TABLE other (z int, id int);\nCREATE TABLE child (b int) INHERITS (parent, other);\nSELECT * FROM child;', 'SELECT id, a, z, b FROM child'],
    [
      'CREATE TABLE child (b int) INHERITS (parent);\nCREATE TABLE grandchild (c int) INHERITS (child);\nSELECT * FROM grandchild;',
      'SELECT id, a, b, c FROM grandchild',
    ],
  ])('%s', async (main, statement) => {
    const r = await db.check(PARENT + main, RULE);
    expect(r.statement).toBe(statement);
  });

  // A parent's later ALTER changes the child's columns too; the catalog does not follow it, so no expansion.
  it.each([
    'CREATE TABLE child (b int) INHERITS (parent);\nALTER TABLE parent ADD COLUMN n int;\nSELECT * FROM child;',
    'CREATE TABLE child (b int) INHERITS (parent);\nALTER TABLE parent DROP COLUMN a;\nSELECT * FROM child;',
    'CREATE TABLE child (b int) INHERITS (elsewhere);\nSELECT * FROM child;',
  ])('no expansion when the parents are unknown or changed since: %s', (main) => {
    const f = findings(PARENT + main, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].fix).toBeUndefined();
  });
});

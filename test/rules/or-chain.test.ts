import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings, flagged } from '../helpers';

const db = fixOnDb();

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

  it('a long chain: the message and the fix title show its ends, the fix writes every value', () => {
    const values = Array.from({ length: 5_000 }, (_, i) => i);
    const sql = `SELECT * FROM t WHERE ${values.map((v) => `a = ${v}`).join(' OR ')};`;
    const [f] = findings(sql, RULE);
    expect(f.message).toContain('`a` is compared with 5000 values');
    expect(f.message).toContain('a = ANY(ARRAY[0, 1, 2, … 4,996 more …, 4999])');
    expect(f.message.length).toBeLessThan(400);
    expect(f.fix!.title).toBe('Rewrite as a = ANY(ARRAY[0, 1, 2, … 4,996 more …, 4999])');
    expect(applyFix(sql, RULE)).toBe(`SELECT * FROM t WHERE a = ANY(ARRAY[${values.join(', ')}]);`);
  });

  it('fix: parenthesised and reversed arms', () => {
    expect(applyFix('SELECT * FROM t WHERE (a = 1) OR 2 = a OR (b IS NULL);', RULE)).toBe('SELECT * FROM t WHERE a = ANY(ARRAY[1, 2]) OR (b IS NULL);');
    expect(applyFix('SELECT * FROM t WHERE b IS NULL OR t.a = 1::int8 OR t.a = 2::int8;', RULE)).toBe(
      'SELECT * FROM t WHERE b IS NULL OR t.a = ANY(ARRAY[1::int8, 2::int8]);',
    );
  });

  it('fix: parameters of a uuid column get a cast from the catalog (text[] would not compare with uuid)', () => {
    const files = {
      'schema.sql': 'CREATE TABLE sessions (session_id uuid NOT NULL, name text);',
      'main.sql': 'SELECT * FROM sessions s WHERE s.session_id = $1 OR s.session_id = $2 OR s.session_id = $3;',
    };
    expect(applyFix(files, RULE)).toBe('SELECT * FROM sessions s WHERE s.session_id = ANY(ARRAY[$1, $2, $3]::uuid[]);');
    const text = { ...files, 'main.sql': "SELECT * FROM sessions WHERE name = 'a' OR name = 'b';" };
    expect(applyFix(text, RULE)).toBe("SELECT * FROM sessions WHERE name = ANY(ARRAY['a', 'b']);");
  });

  it('fix: resolves the column type inside each arm of a UNION', () => {
    const files = {
      'schema.sql': 'CREATE TABLE sessions (session_id uuid NOT NULL, name text);',
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
    expect(applyFix('SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2;', RULE)).toBe('SELECT * FROM sessions WHERE session_id IN ($1, $2);');
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

  describe('the column type comes from the scope the column is read in', () => {
    const SCHEMA = 'CREATE TABLE sessions (id bigint NOT NULL, status uuid, label text);\n';

    it('a CTE named like a workspace table shadows it: its text column gets no uuid cast (runs on PostgreSQL)', async () => {
      const sql = SCHEMA + 'WITH sessions AS (SELECT id, label AS status FROM sessions)\nSELECT id FROM sessions WHERE status = $1 OR status = $2;';
      const r = await db.check(sql, RULE);
      expect(r.how).toBe('prepared');
      expect(r.statement).toContain('WHERE status = ANY(ARRAY[$1, $2])');
      expect(r.statement).not.toContain('::uuid[]');
    });

    it('a CTE column of unknown type gets the IN list, which compares with any type (runs on PostgreSQL)', async () => {
      const sql =
        SCHEMA + 'WITH sessions AS (SELECT id, coalesce(label, $3) AS status FROM sessions)\nSELECT id FROM sessions WHERE status = $1 OR status = $2;';
      const r = await db.check(sql, RULE);
      expect(r.how).toBe('prepared');
      expect(r.statement).toContain('WHERE status IN ($1, $2)');
    });

    it('the workspace column through the table itself keeps its uuid cast (runs on PostgreSQL)', async () => {
      const r = await db.check(SCHEMA + 'SELECT id FROM sessions s WHERE s.status = $1 OR s.status = $2;', RULE);
      expect(r.statement).toContain('s.status = ANY(ARRAY[$1, $2]::uuid[])');
    });

    it('a subquery in FROM passes its column type on; an ambiguous name gets the IN list (runs on PostgreSQL)', async () => {
      const sub = await db.check(SCHEMA + 'SELECT x.id FROM (SELECT id, status FROM sessions) x WHERE x.status = $1 OR x.status = $2;', RULE);
      expect(sub.statement).toContain('x.status = ANY(ARRAY[$1, $2]::uuid[])');
      const amb = await db.check(SCHEMA + 'CREATE TABLE other (status text);\nSELECT 1 FROM sessions, other WHERE sessions.id = $1 OR sessions.id = $2;', RULE);
      expect(amb.statement).toContain('sessions.id = ANY(ARRAY[$1, $2]::int8[])');
    });
  });

  describe('only where a planner runs the OR as a scan condition', () => {
    it.each([
      ['CHECK constraint', "CREATE TABLE t (kind text CHECK (kind = 'a' OR kind = 'b'));"],
      ['ALTER TABLE … ADD CHECK', "ALTER TABLE t ADD CONSTRAINT k CHECK (kind = 'a' OR kind = 'b');"],
      ['partial index predicate', "CREATE INDEX ON t (id) WHERE kind = 'a' OR kind = 'b';"],
      ['column DEFAULT', "CREATE TABLE t (kind text, f bool DEFAULT (current_user = 'a' OR current_user = 'b'));"],
      ['generated column', "CREATE TABLE t (kind text, f bool GENERATED ALWAYS AS (kind = 'a' OR kind = 'b') STORED);"],
      ['policy WITH CHECK (checked per written row, no scan)', "CREATE POLICY p ON t FOR INSERT WITH CHECK (kind = 'a' OR kind = 'b');"],
      ['select list (no scan condition)', "SELECT kind = 'a' OR kind = 'b' AS hit FROM t;"],
      ['CASE in an UPDATE SET', "UPDATE t SET f = CASE WHEN kind = 'a' OR kind = 'b' THEN 1 END WHERE id = 1;"],
    ])('not in a %s', (_what, sql) => {
      expect(findings(sql, RULE)).toEqual([]);
    });

    it('in a policy USING expression, which the planner adds to every query on the table', () => {
      const sql = "CREATE POLICY p ON t USING (owner = current_user OR owner = 'admin');";
      const f = findings(sql, RULE);
      expect(f).toHaveLength(1);
      expect(flagged(sql, f[0])).toBe("owner = current_user OR owner = 'admin'");
    });

    it('in a view, a sublink, a data-modifying CTE and HAVING (moved into WHERE on grouping columns)', () => {
      expect(findings('CREATE VIEW v AS SELECT * FROM t WHERE a = 1 OR a = 2;', RULE)).toHaveLength(1);
      expect(findings('WITH d AS (DELETE FROM t WHERE id = $1 OR id = $2 RETURNING id) SELECT * FROM d;', RULE)).toHaveLength(1);
      expect(findings('SELECT * FROM u WHERE u.id IN (SELECT t.id FROM t WHERE t.k = 1 OR t.k = 2);', RULE)).toHaveLength(1);
      expect(findings("SELECT x, count(*) FROM t GROUP BY x HAVING x = 'a' OR x = 'b';", RULE)).toHaveLength(1);
    });
  });

  it('not when other conditions pin a unique key of the table: at most one row is left to test', () => {
    const schema =
      'CREATE TABLE templates (id int PRIMARY KEY, type text, is_default bool);\n' + 'CREATE UNIQUE INDEX ON templates (is_default) WHERE is_default = true;\n';
    expect(findings(schema + "SELECT id FROM templates WHERE is_default = true AND (type = 'a' OR type = 'b');", RULE)).toEqual([]);
    expect(findings(schema + "SELECT id FROM templates WHERE id = $1 AND (type = 'a' OR type = 'b');", RULE)).toEqual([]);
    // the partial index covers is_default = true only; a non-unique column or another item does not pin the table
    expect(findings(schema + "SELECT id FROM templates WHERE is_default = false AND (type = 'a' OR type = 'b');", RULE)).toHaveLength(1);
    expect(findings(schema + "SELECT id FROM templates WHERE type = $1 AND (type = 'a' OR type = 'b');", RULE)).toHaveLength(1);
    expect(findings(schema + "SELECT 1 FROM templates t JOIN templates u ON u.id = $1 WHERE t.type = 'a' OR t.type = 'b';", RULE)).toHaveLength(1);
  });
});

describe(`${RULE}: the fix runs on PostgreSQL with the workspace schema`, () => {
  // The fixes above, with every table they read declared, and column types the model maps to a cast.
  const SCHEMA =
    "CREATE EXTENSION citext;\nCREATE SCHEMA app;\nCREATE TYPE mood AS ENUM ('open', 'closed');\nCREATE DOMAIN label AS text;\n" +
    'CREATE TABLE t (id int8, a int4, b int4, c int4, x int4, status int4, kind text, ts timestamptz, d date, m mood, l label, ci citext, j jsonb, ch char(3));\n' +
    'CREATE TABLE sessions (session_id uuid NOT NULL, name text);\nCREATE TABLE app.t (id int8, x int4);\n' +
    'CREATE TABLE docs (id int8, tags text[], codes int4[]);\n';
  const files = (main: string) => ({ 'schema.sql': SCHEMA, 'main.sql': main });

  it.each([
    ['SELECT * FROM t WHERE a = 1 OR b = 2 OR a = 3;', 'a = ANY(ARRAY[1, 3]) OR b = 2'],
    ['SELECT * FROM t WHERE x > 0 AND (status = 1 OR /* hot */ status = 2);', 'status = ANY(ARRAY[1, 2])'],
    ['SELECT * FROM t WHERE (a = 1) OR 2 = a OR (b IS NULL);', 'a = ANY(ARRAY[1, 2]) OR (b IS NULL)'],
    ['SELECT * FROM t WHERE b IS NULL OR t.a = 1::int8 OR t.a = 2::int8;', 't.a = ANY(ARRAY[1::int8, 2::int8])'],
    ['SELECT * FROM t WHERE a = 1 OR b = 2 OR a = 3 OR b = 4 OR c > 1;', 'a = ANY(ARRAY[1, 3]) OR b = ANY(ARRAY[2, 4]) OR c > 1'],
    ["SELECT * FROM t WHERE 'a' = kind OR kind = 'b';", "kind = ANY(ARRAY['a', 'b'])"],
    ['DELETE FROM t WHERE kind = lower($1) OR kind = now()::text;', 'kind = ANY(ARRAY[lower($1), now()::text])'],
    ["SELECT * FROM t WHERE a = '1' OR a = '2';", "a = ANY(ARRAY['1', '2']::int4[])"],
    ["SELECT * FROM t WHERE ts = '2024-01-01' OR ts = $1;", "ts = ANY(ARRAY['2024-01-01', $1]::timestamptz[])"],
    ["SELECT * FROM t WHERE d = '2024-01-01' OR d = '2024-01-02';", "d = ANY(ARRAY['2024-01-01', '2024-01-02']::date[])"],
    ["SELECT * FROM t WHERE m = 'open' OR m = $1;", "m IN ('open', $1)"],
    ['SELECT * FROM t WHERE l = $1 OR l = $2;', 'l IN ($1, $2)'],
    ['SELECT * FROM t WHERE ci = $1 OR ci = $2;', 'ci IN ($1, $2)'],
    ["SELECT * FROM t WHERE j = '{}' OR j = '[]';", "j = ANY(ARRAY['{}', '[]']::jsonb[])"],
    ["SELECT * FROM t WHERE ch = 'x' OR ch = $1;", "ch = ANY(ARRAY['x', $1]::bpchar[])"],
    ['SELECT * FROM sessions s WHERE s.session_id = $1 OR s.session_id = $2 OR s.session_id = $3;', 's.session_id = ANY(ARRAY[$1, $2, $3]::uuid[])'],
    ["SELECT * FROM sessions WHERE name = 'a' OR name = 'b';", "name = ANY(ARRAY['a', 'b'])"],
    ['SELECT 1 FROM t UNION SELECT 2 FROM sessions WHERE session_id = $1 OR session_id = $2;', 'session_id = ANY(ARRAY[$1, $2]::uuid[])'],
    ['SET search_path = app;\nUPDATE t SET x = 1 WHERE id = $1 OR id = $2;', 'id = ANY(ARRAY[$1, $2]::int8[])'],
    ['SELECT id FROM docs WHERE codes = $1 OR codes = $2;', 'codes IN ($1, $2)'],
    ["SELECT id FROM docs WHERE tags = '{a}' OR tags = '{b}';", "tags IN ('{a}', '{b}')"],
  ])('%s', async (main, condition) => {
    const r = await db.check(files(main), RULE);
    expect(r.how).toBe('prepared');
    expect(r.statement).toContain(condition);
    expect(r.skipped).toEqual([]);
  });
});

describe(`${RULE}: a user type is not cast (runs on PostgreSQL)`, () => {
  // A domain's CHECK runs on every value cast to it: ANY(ARRAY['-1', '2']::pos[]) fails where the OR matched.
  const SCHEMA = 'CREATE DOMAIN pos AS int CHECK (VALUE > 0);\nCREATE TABLE t (p pos);\nINSERT INTO t VALUES (2);\n';
  it('a domain column gets IN (…), which compares as = does', async () => {
    const r = await db.check(SCHEMA + "SELECT * FROM t WHERE p = '-1' OR p = '2';", RULE);
    expect(r.statement).toContain("p IN ('-1', '2')");
  });
});

describe(`${RULE}: the cast names the declared type exactly (runs on PostgreSQL)`, () => {
  const SCHEMA =
    "CREATE SCHEMA app;\nCREATE TYPE \"Status\" AS ENUM ('open', 'closed');\nCREATE TYPE app.mood AS ENUM ('open', 'closed');\n" +
    'CREATE TABLE t (id serial, big bigserial, small smallserial, st "Status", m app.mood, flags bit(3), one "char");\n';

  it.each([
    // Prisma declares enums quoted and mixed-case: ::status[] would name no type.
    ["SELECT * FROM t WHERE st = 'open' OR st = $1;", `st IN ('open', $1)`],
    ['SELECT * FROM t WHERE m = $1 OR m = $2;', 'm IN ($1, $2)'],
    // serial is not a type (it is int4 with a sequence default).
    ['SELECT * FROM t WHERE id = $1 OR id = $2;', 'id = ANY(ARRAY[$1, $2]::int4[])'],
    ['SELECT * FROM t WHERE big = $1 OR big = $2;', 'big = ANY(ARRAY[$1, $2]::int8[])'],
    ['SELECT * FROM t WHERE small = $1 OR small = $2;', 'small = ANY(ARRAY[$1, $2]::int2[])'],
    // Bare `bit` is bit(1) and would truncate '101' to '1', matching other rows: quoted it has no length, as `=` reads it.
    ["SELECT * FROM t WHERE flags = '101' OR flags = '111';", `flags = ANY(ARRAY['101', '111']::"bit"[])`],
    // Bare `char` is bpchar(1); the one-byte "char" type keeps its quotes.
    ["SELECT * FROM t WHERE one = 'a' OR one = 'b';", `one = ANY(ARRAY['a', 'b']::"char"[])`],
  ])('%s', async (main, condition) => {
    const r = await db.check(SCHEMA + main, RULE);
    expect(r.how).toBe('prepared');
    expect(r.statement).toContain(condition);
  });

  it('a CTE column of a user type, known only by its lower-cased name, gets the IN list', async () => {
    const r = await db.check(SCHEMA + 'WITH x AS (SELECT st FROM t)\nSELECT * FROM x WHERE st = $1 OR st = $2;', RULE);
    expect(r.statement).toContain('st IN ($1, $2)');
  });
});

describe(`${RULE}: a column that is a key by itself`, () => {
  it('is quiet on a primary key or a unique column (each arm probes the key for one row: a BitmapOr as cheap as = ANY)', () => {
    for (const key of ['session_id uuid PRIMARY KEY', 'session_id uuid UNIQUE', 'session_id uuid, CONSTRAINT k PRIMARY KEY (session_id)']) {
      const files = {
        'schema.sql': `CREATE TABLE sessions (${key}, name text);`,
        'main.sql': 'SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2 OR session_id = $3;',
      };
      expect(findings(files, RULE, undefined, 'main.sql'), key).toEqual([]);
    }
    const index = {
      'schema.sql': 'CREATE TABLE sessions (session_id uuid, name text);\nCREATE UNIQUE INDEX ON sessions (session_id);',
      'main.sql': 'SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2;',
    };
    expect(findings(index, RULE, undefined, 'main.sql')).toEqual([]);
  });
  it('fires on a column that is only part of a key, or unique only under a predicate', () => {
    const part = { 'schema.sql': 'CREATE TABLE s (a int, b int, PRIMARY KEY (a, b));', 'main.sql': 'SELECT * FROM s WHERE a = 1 OR a = 2 OR a = 3;' };
    expect(findings(part, RULE, undefined, 'main.sql')).toHaveLength(1);
    const partial = {
      'schema.sql': 'CREATE TABLE s (a int, live bool);\nCREATE UNIQUE INDEX ON s (a) WHERE live;',
      'main.sql': 'SELECT * FROM s WHERE a = 1 OR a = 2;',
    };
    expect(findings(partial, RULE, undefined, 'main.sql')).toHaveLength(1);
  });
});

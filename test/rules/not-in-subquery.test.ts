import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notInSubquery } from '../../server/src/analysis/rules/not-in-subquery';
import { fixOnDb } from '../fix-on-db';
import { applyFix } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();
const RULE = 'not-in-subquery';

const SCHEMA = {
  'schema.sql':
    'CREATE TABLE users (id bigint PRIMARY KEY, email text, team_id bigint NOT NULL, manager_id bigint);\n' +
    'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, coupon text, status text NOT NULL);\n' +
    'CREATE TABLE teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n',
};

ruleTester(notInSubquery, {
  valid: [
    { name: 'NOT EXISTS', code: 'SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id);', files: SCHEMA },
    { name: 'IN (SELECT …)', code: 'SELECT id FROM users WHERE id IN (SELECT user_id FROM orders);', files: SCHEMA },
    { name: 'a NOT IN list', code: "SELECT id FROM orders WHERE status NOT IN ('paid', 'void');", files: SCHEMA },
    { name: 'a subquery of an array parameter', code: 'DELETE FROM orders WHERE status NOT IN (SELECT unnest($1::text[]));', files: SCHEMA },
    { name: 'a subquery of VALUES', code: "SELECT id FROM orders WHERE status NOT IN (SELECT * FROM (VALUES ('a'), ('b')) v(s));", files: SCHEMA },
    {
      name: 'a subquery of the system catalogs',
      code: "SELECT tablename FROM pg_tables WHERE tablename NOT IN (SELECT k.relname FROM pg_catalog.pg_class k WHERE k.relkind = 'v');",
    },
    {
      name: 'the outer rows pinned by a parameter',
      code: 'DELETE FROM orders WHERE user_id = $1 AND id NOT IN (SELECT id FROM orders ORDER BY id);',
      files: SCHEMA,
    },
    {
      name: 'a subquery cut by a LIMIT',
      code: 'DELETE FROM orders WHERE id NOT IN (SELECT id FROM orders ORDER BY id DESC LIMIT 100);',
      files: SCHEMA,
    },
    {
      name: 'a CTE pinned by a parameter',
      code: 'WITH mine AS (SELECT id FROM teams WHERE id = ANY($1)) SELECT id FROM users WHERE team_id NOT IN (SELECT id FROM mine);',
      files: SCHEMA,
    },
    {
      name: 'in Python with %s pinning the outer rows',
      filename: 'app/db.py',
      code: 'def prune(cur, u):\n    cur.execute("DELETE FROM orders WHERE user_id = %s AND id NOT IN (SELECT id FROM orders)", (u,))\n',
      files: SCHEMA,
    },
    { name: '= ALL is not NOT IN', code: 'SELECT id FROM users WHERE id = ALL (SELECT user_id FROM orders);', files: SCHEMA },
  ],
  invalid: [
    {
      name: 'both sides NOT NULL: rewritten to NOT EXISTS, the outer column qualified',
      code: 'SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders);',
      files: SCHEMA,
      errors: [
        {
          text: 'NOT IN',
          message: /anti-join.*NOT EXISTS \(SELECT 1 … WHERE users\.id = user_id\) means the same.* PostgreSQL 19 plans this one as an anti-join itself/,
          severity: 'info',
        },
      ],
      output: 'SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM orders WHERE users.id = user_id);',
    },
    {
      name: 'an existing WHERE with OR is parenthesised; the alias qualifies the outer column',
      code: "DELETE FROM users u WHERE u.id NOT IN (SELECT o.user_id FROM orders o WHERE o.status = 'paid' OR o.status = 'open');",
      files: SCHEMA,
      errors: [{ text: 'NOT IN' }],
      output: "DELETE FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE (o.status = 'paid' OR o.status = 'open') AND u.id = o.user_id);",
    },
    {
      name: 'same table inside and out: the subquery table gets an alias',
      code: 'SELECT id FROM users WHERE team_id NOT IN (SELECT id FROM users WHERE manager_id = 1);',
      files: SCHEMA,
      errors: [{ text: 'NOT IN' }],
      output: 'SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM users AS users_1 WHERE manager_id = 1 AND users.team_id = id);',
    },
    {
      name: 'same table and no WHERE in the subquery: the alias comes before the new WHERE',
      code: 'SELECT id FROM teams WHERE id NOT IN (SELECT id FROM teams);',
      files: SCHEMA,
      errors: [{ text: 'NOT IN' }],
      output: 'SELECT id FROM teams WHERE NOT EXISTS (SELECT 1 FROM teams AS teams_1 WHERE teams.id = id);',
    },
    {
      name: 'a nullable column of an inner join, rejected by its ON condition',
      code: 'SELECT id FROM teams WHERE id NOT IN (SELECT u.manager_id FROM users u JOIN users m ON m.id = u.manager_id);',
      files: SCHEMA,
      errors: [{ text: 'NOT IN', severity: 'info' }],
      output: 'SELECT id FROM teams WHERE NOT EXISTS (SELECT 1 FROM users u JOIN users m ON m.id = u.manager_id WHERE teams.id = u.manager_id);',
    },
    {
      name: 'GROUPING SETS can make a NOT NULL column NULL',
      code: 'SELECT id FROM teams WHERE id NOT IN (SELECT id FROM users GROUP BY GROUPING SETS ((id), (email)));',
      files: SCHEMA,
      errors: [{ message: /cannot tell here \(id\)/ }],
      output: null,
    },
    {
      name: "in the ON of the outer join that nulls it, the column is the row's own; no PostgreSQL 19 note outside WHERE",
      code: 'SELECT t.id FROM users u LEFT JOIN teams t ON t.id NOT IN (SELECT team_id FROM users);',
      files: SCHEMA,
      errors: [{ text: 'NOT IN', severity: 'warning', message: /planned as an anti-join\.$/ }],
      output: 'SELECT t.id FROM users u LEFT JOIN teams t ON NOT EXISTS (SELECT 1 FROM users WHERE t.id = team_id);',
    },
    {
      name: 'same table, the subquery qualifies by the table name: no fix',
      code: 'SELECT id FROM users WHERE team_id NOT IN (SELECT users.id FROM users);',
      files: SCHEMA,
      errors: [{ message: /Both sides are NOT NULL here, so NOT EXISTS \(SELECT 1 FROM … WHERE the subquery's column = the outer row's\).*no quick fix/ }],
      output: null,
    },
    {
      name: 'a nullable inner column: the NULL trap, no fix',
      code: 'SELECT id FROM users WHERE email NOT IN (SELECT coupon FROM orders);',
      files: SCHEMA,
      errors: [{ message: /coupon may be NULL \(it is not declared NOT NULL\).*returns none of them.*IS NOT NULL/ }],
      output: null,
    },
    {
      name: 'a nullable outer column: no fix',
      code: 'SELECT id FROM users WHERE manager_id NOT IN (SELECT user_id FROM orders);',
      files: SCHEMA,
      errors: [{ message: /manager_id may be NULL/ }],
      output: null,
    },
    {
      name: 'IS NOT NULL in the subquery and beside the NOT IN rules NULL out',
      code: 'SELECT id FROM users WHERE manager_id IS NOT NULL AND manager_id NOT IN (SELECT DISTINCT coupon::bigint FROM orders);',
      files: SCHEMA,
      errors: [{ message: /cannot tell here \(coupon::bigint\)/ }],
      output: null,
    },
    {
      name: 'nullable columns made non-NULL by WHERE conditions: fixed, a warning (PostgreSQL 19 reads no outer WHERE)',
      code: 'SELECT id FROM users WHERE manager_id > 0 AND manager_id NOT IN (SELECT DISTINCT t.id FROM teams t WHERE t.id IS NOT NULL);',
      files: SCHEMA,
      errors: [{ text: 'NOT IN', severity: 'warning', message: /planned as an anti-join\.$/ }],
      output: 'SELECT id FROM users WHERE manager_id > 0 AND NOT EXISTS (SELECT DISTINCT 1 FROM teams t WHERE t.id IS NOT NULL AND users.manager_id = t.id);',
    },
    {
      name: 'the nullable side of a LEFT JOIN',
      code: 'SELECT u.id FROM users u WHERE u.id NOT IN (SELECT o.user_id FROM teams t LEFT JOIN orders o ON o.user_id = t.id);',
      files: SCHEMA,
      errors: [{ message: /o\.user_id may be NULL \(it comes from the nullable side of an outer join\)/ }],
      output: null,
    },
    {
      name: 'a column NOT NULL at CREATE and dropped NOT NULL later',
      code: 'SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders);',
      files: { ...SCHEMA, 'schema_2.sql': 'ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL;' },
      errors: [{ message: /user_id may be NULL/ }],
      output: null,
    },
    {
      name: 'SET NOT NULL later',
      code: 'SELECT id FROM teams WHERE name NOT IN (SELECT coupon FROM orders);',
      files: { ...SCHEMA, 'schema_2.sql': 'ALTER TABLE orders ALTER COLUMN coupon SET NOT NULL;' },
      errors: [{ text: 'NOT IN' }],
      output: 'SELECT id FROM teams WHERE NOT EXISTS (SELECT 1 FROM orders WHERE teams.name = coupon);',
    },
    {
      name: 'NOT NULL from serial, ALTER … ADD PRIMARY KEY, ADD COLUMN … NOT NULL and CREATE TABLE (LIKE …)',
      code: 'SELECT n FROM copy WHERE n NOT IN (SELECT k FROM keyed WHERE k NOT IN (SELECT added FROM keyed));',
      files: {
        'schema.sql':
          'CREATE TABLE keyed (n serial, k int);\nALTER TABLE keyed ADD PRIMARY KEY (k);\nALTER TABLE keyed ADD COLUMN added int NOT NULL;\n' +
          'CREATE TABLE copy (LIKE keyed);\n',
      },
      errors: [
        { text: 'NOT IN', severity: 'info' },
        { text: 'NOT IN', severity: 'info' },
      ],
      output:
        // Overlapping fixes: the outer one is applied (the tester applies one pass), the inner NOT IN stays for the next.
        'SELECT n FROM copy WHERE NOT EXISTS (SELECT 1 FROM keyed WHERE k NOT IN (SELECT added FROM keyed) AND copy.n = k);',
    },
    {
      name: "a view's column carries no NOT NULL",
      code: 'SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM paid);',
      files: { ...SCHEMA, 'views.sql': "CREATE VIEW paid AS SELECT o.user_id FROM users u LEFT JOIN orders o ON o.user_id = u.id AND o.status = 'paid';" },
      errors: [{ message: /cannot tell here \(user_id\)/ }],
      output: null,
    },
    {
      name: 'a table unknown to the workspace: no fix, says why',
      code: 'SELECT id FROM accounts WHERE id NOT IN (SELECT account_id FROM invoices);',
      errors: [{ message: /cannot tell here \(account_id, id\)/ }],
      output: null,
    },
    {
      name: 'a GROUP BY subquery: flagged, no fix',
      code: 'DELETE FROM orders WHERE id NOT IN (SELECT max(id) FROM orders GROUP BY user_id);',
      files: SCHEMA,
      errors: [{ message: /cannot tell here \(max\(id\)\)/ }],
      output: null,
    },
    {
      name: 'a row NOT IN with NOT NULL columns',
      code: 'SELECT id FROM orders o WHERE (o.user_id, o.status) NOT IN (SELECT u.id, t.name FROM users u JOIN teams t ON t.id = u.team_id);',
      files: SCHEMA,
      errors: [{ text: 'NOT IN' }],
      output: 'SELECT id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM users u JOIN teams t ON t.id = u.team_id WHERE o.user_id = u.id AND o.status = t.name);',
    },
    {
      name: '<> ALL (SELECT …) is NOT IN',
      code: 'SELECT id FROM users WHERE id <> ALL (SELECT user_id FROM orders);',
      files: SCHEMA,
      errors: [{ text: '<> ALL' }],
      output: 'SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM orders WHERE users.id = user_id);',
    },
    {
      name: 'NOT (x IN (SELECT …)): flagged, no fix',
      code: 'SELECT id FROM users WHERE NOT (id IN (SELECT user_id FROM orders));',
      files: SCHEMA,
      errors: [{ text: 'NOT (id IN (' }],
      output: null,
    },
    {
      name: 'in a Go string',
      filename: 'store.go',
      code: 'package store\n\nfunc q(db DB) { db.Exec(`DELETE FROM orders WHERE user_id NOT IN (SELECT id FROM users)`) }\n',
      files: SCHEMA,
      errors: [{ text: 'NOT IN' }],
      output: 'package store\n\nfunc q(db DB) { db.Exec(`DELETE FROM orders WHERE NOT EXISTS (SELECT 1 FROM users WHERE orders.user_id = id)`) }\n',
    },
    {
      name: 'in a TypeScript template whose table is interpolated: no fix (the table is unknown)',
      filename: 'src/db.ts',
      code: 'export const q = (t: string) => sql.query(`SELECT id FROM ${t} WHERE id NOT IN (SELECT user_id FROM orders)`);\n',
      files: SCHEMA,
      errors: [{ message: /cannot tell here/ }],
      output: null,
    },
  ],
});

describe(`${RULE}: the rewrite runs on PostgreSQL and returns the same rows`, () => {
  const schema = Object.values(SCHEMA).join('');
  it.each([
    'SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders);',
    'SELECT id FROM users WHERE team_id NOT IN (SELECT id FROM users WHERE manager_id = 1);',
    'SELECT id FROM orders o WHERE (o.user_id, o.status) NOT IN (SELECT u.id, t.name FROM users u JOIN teams t ON t.id = u.team_id);',
    'SELECT id FROM users WHERE manager_id > 0 AND manager_id NOT IN (SELECT DISTINCT t.id FROM teams t WHERE t.id IS NOT NULL);',
  ])('%s', async (sql) => {
    const r = await db.check(`${schema}${sql}`, RULE);
    expect(r.how).toBe('prepared');
    expect(r.statement).toMatch(/NOT EXISTS/);
  });
});

describe(`${RULE}: on data with NULLs in the nullable columns, the fixed query returns the rows NOT IN returned`, () => {
  let pg: PGlite;
  const schema = Object.values(SCHEMA).join('');
  beforeAll(async () => {
    pg = new PGlite();
    await pg.exec(
      schema +
        "INSERT INTO users VALUES (1, 'a', 1, NULL), (2, 'b', 1, 1), (3, NULL, 2, 2), (4, 'd', 3, 5);\n" +
        "INSERT INTO teams (name) VALUES ('x'), ('paid');\n" +
        "INSERT INTO orders VALUES (10, 1, NULL, 'paid'), (11, 2, 'b', 'open'), (12, 9, 'z', 'x');\n",
    );
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });
  const ids = async (sql: string) => (await pg.query<{ id: number }>(sql)).rows.map((r) => Number(r.id)).sort((a, b) => a - b);

  it.each([
    'SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders)',
    'SELECT id FROM users WHERE team_id NOT IN (SELECT id FROM users WHERE manager_id = 1)',
    'SELECT id FROM orders o WHERE (o.user_id, o.status) NOT IN (SELECT u.id, t.name FROM users u JOIN teams t ON t.id = u.team_id)',
    'SELECT id FROM users WHERE manager_id > 0 AND manager_id NOT IN (SELECT DISTINCT t.id FROM teams t WHERE t.id IS NOT NULL)',
    'SELECT id FROM teams WHERE id NOT IN (SELECT id FROM teams)',
    'SELECT id FROM teams WHERE id NOT IN (SELECT u.manager_id FROM users u JOIN users m ON m.id = u.manager_id)',
  ])('%s', async (sql) => {
    const fixed = applyFix({ ...SCHEMA, 'main.sql': sql }, RULE, undefined, 'main.sql');
    expect(fixed).toMatch(/NOT EXISTS/);
    expect(await ids(fixed)).toEqual(await ids(sql));
  });

  it('a nullable subquery column is the trap the message describes: NOT IN returns no row, NOT EXISTS some', async () => {
    expect(await ids('SELECT id FROM users WHERE email NOT IN (SELECT coupon FROM orders)')).toEqual([]);
    expect(await ids('SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM orders WHERE users.email = coupon)')).not.toEqual([]);
  });
});

describe(`${RULE}: the plans the message describes (PGlite, EXPLAIN only)`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.exec(
      'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n' +
        'INSERT INTO users SELECT g FROM generate_series(1, 20000) g;\nINSERT INTO orders SELECT g, g FROM generate_series(1, 200000) g;\n' +
        "ANALYZE users;\nANALYZE orders;\nSET work_mem = '1MB';\nSET hash_mem_multiplier = 1;\n",
    );
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });
  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('NOT IN over a result larger than hash memory: a plain SubPlan per outer row, no anti-join', async () => {
    const p = await plan('SELECT count(*) FROM users WHERE id NOT IN (SELECT user_id FROM orders)');
    expect(p).toMatch(/SubPlan/);
    expect(p).not.toMatch(/hashed SubPlan|Anti Join/);
  });

  it('the NOT EXISTS rewrite: an anti-join', async () => {
    expect(await plan('SELECT count(*) FROM users WHERE NOT EXISTS (SELECT 1 FROM orders WHERE users.id = user_id)')).toMatch(/Anti Join/);
  });

  it('a small subquery result: a hashed SubPlan', async () => {
    expect(await plan('SELECT count(*) FROM orders WHERE user_id NOT IN (SELECT id FROM users WHERE id < 100)')).toMatch(/hashed SubPlan/);
  });
});

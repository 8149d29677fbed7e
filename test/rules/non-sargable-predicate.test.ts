import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { nonSargablePredicate } from '../../server/src/analysis/rules/non-sargable-predicate';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'non-sargable-predicate';
const SCHEMA =
  'CREATE TABLE users (id bigint PRIMARY KEY, email varchar(200) NOT NULL, name text, created_at timestamptz NOT NULL, day date, n int, ref uuid);\n' +
  'CREATE INDEX users_email ON users (email);\nCREATE INDEX users_created_at ON users (created_at);\nCREATE INDEX users_day ON users (day);\n' +
  'CREATE INDEX users_n ON users (n);\nCREATE INDEX users_ref ON users (ref);\n';
const files = { 'schema.sql': SCHEMA };

ruleTester(nonSargablePredicate, {
  valid: [
    { name: 'the primary key pinned by another condition (one row to test)', code: 'SELECT 1 FROM users WHERE id = $1 AND date(created_at) = $2;', files },
    { name: 'the bare column', code: 'SELECT id FROM users WHERE created_at >= $1 AND email = $2;', files },
    {
      name: 'an expression index matches',
      code: 'SELECT id FROM users WHERE lower(email) = lower($1);',
      files: { 'schema.sql': SCHEMA + 'CREATE UNIQUE INDEX users_email_lower ON users ((lower(email)));' },
    },
    {
      name: 'an expression index on the column, written differently (quiet: the planner may match it)',
      code: 'SELECT id FROM users WHERE date(created_at) = $1;',
      files: { 'schema.sql': SCHEMA + "CREATE INDEX users_day_utc ON users (((created_at AT TIME ZONE 'UTC')::date));" },
    },
    { name: 'the column leads no index (the predicate loses nothing)', code: 'SELECT id FROM users WHERE lower(name) = $1;', files },
    {
      name: 'the column is second in its index',
      code: 'SELECT 1 FROM t WHERE lower(b) = $1;',
      files: { 'schema.sql': 'CREATE TABLE t (a int, b text);\nCREATE INDEX t_ab ON t (a, b);' },
    },
    {
      name: 'a partial index on the column',
      code: 'SELECT 1 FROM t WHERE lower(b) = $1;',
      files: { 'schema.sql': 'CREATE TABLE t (b text);\nCREATE INDEX t_b ON t (b) WHERE b IS NOT NULL;' },
    },
    { name: 'a table the workspace does not declare', code: 'SELECT 1 FROM accounts WHERE lower(email) = $1;' },
    { name: 'an unresolved column (two tables could hold it)', code: 'SELECT 1 FROM users, accounts WHERE lower(email) = $1;', files },
    { name: 'varchar::text is a relabelling: the index serves it', code: 'SELECT id FROM users WHERE email::text = $1;', files },
    { name: 'a cast to the column’s own type', code: 'SELECT id FROM users WHERE day::date = $1 AND id::bigint = $2;', files },
    { name: 'a join condition (the other side reads the query’s rows)', code: 'SELECT 1 FROM users a JOIN users b ON lower(a.email) = lower(b.email);', files },
    { name: 'HAVING on an aggregate', code: 'SELECT email FROM users GROUP BY email HAVING count(email) > 1;', files },
    { name: 'the wrapped column on both sides of nothing: a function of two columns', code: 'SELECT 1 FROM users WHERE coalesce(email, name) = $1;', files },
    { name: 'not a comparison: LIKE and IS NULL', code: "SELECT 1 FROM users WHERE lower(email) LIKE 'a%' AND lower(email) IS NULL;", files },
    {
      name: 'a substring search (no expression index fits every value)',
      code: 'SELECT 1 FROM users WHERE position($1 in email) > 0 AND strpos(email, $2) > 0;',
      files,
    },
    { name: 'a function with a parameter among its arguments', code: 'SELECT 1 FROM users WHERE date_trunc($1, created_at) = $2;', files },
    {
      name: 'a host interpolation inside the expression',
      code: 'const r = await sql`SELECT 1 FROM users WHERE date_trunc(${unit}, created_at) = ${d}`;',
      filename: 'src/q.ts',
      files,
    },
    { name: 'a CTE of the same name shadows the table', code: 'WITH users AS (SELECT 1 AS n) SELECT 1 FROM users WHERE n + 1 = 2;', files },
  ],
  invalid: [
    {
      name: 'date(col) = $1 on a timestamptz column: the range rewrite',
      code: 'SELECT id FROM users WHERE date(created_at) = $1;',
      files,
      errors: [{ text: 'date(created_at)', messageId: 'day', message: /created_at >= \$1::date AND created_at < \$1::date \+ 1/, severity: 'warning' }],
      output: 'SELECT id FROM users WHERE created_at >= $1::date AND created_at < $1::date + 1;',
    },
    {
      name: 'col::date compared the other way round, and with < and >=',
      code: "SELECT id FROM users u WHERE current_date = u.created_at::date OR true;\nDELETE FROM users WHERE created_at::date < '2024-01-01' AND $1 <= created_at::date;",
      files,
      errors: [
        { text: 'created_at::date', line: 2 },
        { text: 'created_at::date', line: 2 },
      ],
      output:
        "SELECT id FROM users u WHERE current_date = u.created_at::date OR true;\nDELETE FROM users WHERE created_at < '2024-01-01'::date AND created_at >= $1::date;",
    },
    {
      name: 'a day range with a computed day, in a subquery',
      code: "SELECT * FROM (SELECT id FROM users WHERE date(created_at) > now() - interval '7 days') x;",
      files,
      errors: [{ text: 'date(created_at)' }],
      output: "SELECT * FROM (SELECT id FROM users WHERE created_at >= (now() - interval '7 days')::date + 1) x;",
    },
    {
      name: 'date(col) BETWEEN: the range of days from the first to the last',
      code: "SELECT id FROM users WHERE date(created_at) BETWEEN $1 AND '2024-12-31' AND lower(email) NOT BETWEEN 'a' AND 'b';",
      files,
      errors: [{ text: 'date(created_at)', messageId: 'day' }],
      output: "SELECT id FROM users WHERE created_at >= $1::date AND created_at < '2024-12-31'::date + 1 AND lower(email) NOT BETWEEN 'a' AND 'b';",
    },
    {
      name: 'lower(email) = $1: an expression index suggested, no fix',
      code: 'SELECT id FROM users WHERE lower(email) = $1;',
      files,
      errors: [{ text: 'lower(email)', messageId: 'function', message: /users_email.*CREATE INDEX … ON users \(\(lower\(email\)\)\)/ }],
      output: null,
    },
    {
      name: 'id::text = $1 on the primary key, ref::text on a uuid, n::bigint on an int',
      code: 'SELECT 1 FROM users WHERE id::text = $1 AND text(ref) = $2 AND n::bigint = $3;',
      files,
      errors: [
        { text: 'id::text', messageId: 'cast', message: /the primary key of users/ },
        { text: 'text(ref)', messageId: 'cast' },
        { text: 'n::bigint', messageId: 'cast', message: /cast to int4/ },
      ],
      output: null,
    },
    {
      name: 'arithmetic: the rewrite in the message',
      code: "UPDATE users SET name = 'x' WHERE created_at + interval '1 day' > now() AND 1 + n = $1 AND n * 2 > 10;",
      files,
      errors: [
        { text: "created_at + interval '1 day'", messageId: 'arithmetic', message: /created_at > now\(\) - interval '1 day'/ },
        { text: '1 + n', message: /n = \$1 - 1/ },
        { text: 'n * 2', messageId: 'arithmeticNoRewrite' },
      ],
      output: null,
    },
    {
      name: 'extract() on an indexed column in an EXISTS subquery',
      code: 'SELECT 1 WHERE EXISTS (SELECT 1 FROM users WHERE extract(year FROM created_at) = 2024);',
      files,
      errors: [{ text: 'extract(year FROM created_at)', message: /applies extract\(\)/ }],
      output: null,
    },
    {
      name: 'SQL in code: the rewrite',
      code: "const rows = await pool.query('SELECT id FROM users WHERE date(created_at) = $1', [day]);",
      filename: 'src/report.ts',
      files,
      errors: [{ text: 'date(created_at)' }],
      output: "const rows = await pool.query('SELECT id FROM users WHERE created_at >= $1::date AND created_at < $1::date + 1', [day]);",
    },
    {
      name: 'SQL in code: no rewrite that would repeat an interpolation',
      code: 'const rows = await sql`SELECT id FROM users WHERE date(created_at) = ${day}`;',
      filename: 'src/report.ts',
      files,
      errors: [{ text: 'date(created_at)', messageId: 'day' }],
      output: null,
    },
  ],
});

describe(`${RULE}: the rewrite on PostgreSQL`, () => {
  it('the fixed query prepares against the schema', async () => {
    const r = await db.check({ 'schema.sql': SCHEMA, 'main.sql': 'SELECT id FROM users WHERE date(created_at) = $1;' }, RULE, { file: 'main.sql' });
    expect(r.how).toBe('prepared');
    expect(r.statement).toBe('SELECT id FROM users WHERE created_at >= $1::date AND created_at < $1::date + 1');
  });

  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
    for (const st of new ParsedFile('schema.sql', SCHEMA).statements) await pg.exec(st.text);
    await pg.exec(
      "INSERT INTO users SELECT g, 'u' || g || '@x.io', 'n' || g, timestamptz '2024-01-01' + g * interval '5 minutes', date '2024-01-01' + g / 300, g, gen_random_uuid() " +
        'FROM generate_series(1, 50000) g; ANALYZE users;',
    );
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });

  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it.each([
    ["SELECT id FROM users WHERE date(created_at) = '2024-02-01'", 288],
    ["SELECT id FROM users WHERE date(created_at) BETWEEN '2024-02-01' AND '2024-02-02'", 576],
    ["SELECT id FROM users WHERE created_at::date < '2024-01-02'", 287],
  ])('%s reads every row; the range the fix writes seeks users_created_at, same rows (50,000 rows, no planner settings)', async (query, rows) => {
    expect(await plan(query)).toMatch(/Seq Scan on users/);
    const fixed = applyFix({ 'schema.sql': SCHEMA, 'main.sql': `${query};` }, RULE, undefined, 'main.sql');
    expect(await plan(fixed.replace(/;$/, ''))).toMatch(/Index Scan using users_created_at|Bitmap Index Scan on users_created_at/);
    // The same rows.
    const count = async (q: string) => (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${q}) x`)).rows[0].n;
    expect(await count(fixed.replace(/;$/, ''))).toBe(await count(query));
    expect(await count(query)).toBe(rows);
  });

  it('arithmetic: the rewrite the message gives seeks users_created_at, same rows (50,000 rows, no planner settings)', async () => {
    const query = "SELECT id FROM users WHERE created_at + interval '1 day' > timestamptz '2024-06-20 00:00+00'";
    const [f] = findings({ 'schema.sql': SCHEMA, 'main.sql': `${query};` }, RULE, undefined, 'main.sql');
    const rewrite = /Move the arithmetic to the other side: (.*)\.$/.exec(f.message)?.[1];
    expect(rewrite).toBe("created_at > timestamptz '2024-06-20 00:00+00' - interval '1 day'");
    expect(await plan(query)).toMatch(/Seq Scan on users/);
    const rewritten = `SELECT id FROM users WHERE ${rewrite}`;
    expect(await plan(rewritten)).toMatch(/Index Scan using users_created_at|Bitmap Index Scan on users_created_at/);
    const count = async (q: string) => (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${q}) x`)).rows[0].n;
    expect(await count(rewritten)).toBe(await count(query));
  });

  it('lower(email): the expression index the message suggests serves the query', async () => {
    const query = "SELECT id FROM users WHERE lower(email) = 'u42@x.io'";
    expect(await plan(query)).toMatch(/Seq Scan on users/);
    await pg.exec('CREATE INDEX users_email_lower ON users ((lower(email))); ANALYZE users;');
    expect(await plan(query)).toMatch(/Index Scan using users_email_lower|Bitmap Index Scan on users_email_lower/);
    await pg.exec('DROP INDEX users_email_lower;');
  });
});

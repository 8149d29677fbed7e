import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { leadingWildcardLike } from '../../server/src/analysis/rules/leading-wildcard-like';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'leading-wildcard-like';
const SCHEMA =
  'CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email varchar(200), code char(8), notes text, tags text[], n int);\n' +
  'CREATE INDEX customers_name ON customers (name);\n';
const files = { 'schema.sql': SCHEMA };

ruleTester(leadingWildcardLike, {
  valid: [
    {
      name: 'a scratch table, dropped after the search (a test script over its own rows)',
      code: "CREATE TABLE texttest (a text PRIMARY KEY, b int);\nSELECT * FROM texttest WHERE a LIKE '%1%';\nDROP TABLE texttest;",
    },
    { name: 'the primary key pinned by another condition (one row to test)', code: "SELECT 1 FROM customers WHERE id = $1 AND name LIKE '%x%';", files },
    { name: 'a prefix pattern (a B-tree may serve it)', code: "SELECT id FROM customers WHERE name LIKE 'abc%';", files },
    { name: 'a parameter alone (it may hold a prefix pattern)', code: 'SELECT id FROM customers WHERE name LIKE $1;', files },
    {
      name: 'a trigram GIN index on the column',
      code: "SELECT id FROM customers WHERE name ILIKE '%' || $1 || '%';",
      files: { 'schema.sql': SCHEMA + 'CREATE EXTENSION pg_trgm;\nCREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);' },
    },
    {
      name: 'a trigram GiST index added by a later migration',
      code: "SELECT id FROM customers WHERE email LIKE '%@example.com';",
      files: {
        'migrations/001.sql': SCHEMA,
        'migrations/002.sql': 'CREATE INDEX CONCURRENTLY customers_email_trgm ON customers USING gist (email gist_trgm_ops);',
      },
    },
    {
      name: 'an expression index on the column (it may be the one that serves the query)',
      code: "SELECT id FROM customers WHERE name ILIKE '%ab%';",
      files: { 'schema.sql': SCHEMA + 'CREATE INDEX customers_name_lower_trgm ON customers USING gin (lower(name) gin_trgm_ops);' },
    },
    { name: 'a table the workspace does not declare', code: "SELECT 1 FROM accounts WHERE name LIKE '%x%';", files },
    {
      name: 'a one-off data migration (umami populate-revenue-table.sql)',
      code: "INSERT INTO tagged SELECT id FROM customers WHERE notes ILIKE '%vip%';",
      filename: 'db/data-migrations/populate-tagged.sql',
      files: { ...files, 't.sql': 'CREATE TABLE tagged (id bigint);' },
    },
    {
      name: 'a statement of a file that changes the schema',
      code: "ALTER TABLE customers ADD COLUMN vip bool;\nUPDATE customers SET vip = true WHERE notes ILIKE '%vip%';",
      filename: 'db/002_vip.sql',
      files,
    },
    { name: 'NOT LIKE', code: "SELECT 1 FROM customers WHERE name NOT LIKE '%x%';", files },
    { name: 'inside an OR', code: "SELECT 1 FROM customers WHERE name LIKE '%x%' OR id = 1;", files },
    { name: 'a column that is not text', code: "SELECT 1 FROM customers WHERE n::text LIKE '%1';", files },
    {
      name: 'the pattern reads another table of the query (a join)',
      code: "SELECT 1 FROM customers c, words w WHERE c.name LIKE '%' || w.word;",
      files: { ...files, 'w.sql': 'CREATE TABLE words (word text);' },
    },
  ],
  invalid: [
    {
      name: "ILIKE '%' || $1 || '%' on an indexed text column (the B-tree does not serve it)",
      code: "SELECT id FROM customers WHERE name ILIKE '%' || $1 || '%' AND id > 0;",
      files,
      errors: [
        {
          text: "name ILIKE '%' || $1 || '%'",
          message: /no trigram index on name.*CREATE INDEX CONCURRENTLY … ON customers USING gin \(name gin_trgm_ops\)/,
          severity: 'info',
        },
      ],
      output: null,
    },
    {
      name: "LIKE '%…' literals, a varchar and a char column, concat(), an UPDATE",
      code: "UPDATE customers SET n = 1 WHERE email LIKE '%@example.com' AND code LIKE '_X%' AND notes ILIKE concat('%', $1::text, '%');",
      files,
      errors: [{ text: "email LIKE '%@example.com'" }, { text: "code LIKE '_X%'" }, { text: "notes ILIKE concat('%', $1::text, '%')" }],
      output: null,
    },
    {
      name: 'a schema-qualified table, from code',
      code: 'await pool.query("SELECT id FROM crm.people p WHERE p.name ILIKE \'%\' || $1", [q]);',
      filename: 'src/search.ts',
      files: { 'schema.sql': 'CREATE SCHEMA crm;\nCREATE TABLE crm.people (id int, name text);' },
      errors: [{ text: "p.name ILIKE '%' || $1", message: /ON crm\.people USING gin \(name gin_trgm_ops\)/ }],
      output: null,
    },
  ],
});

describe(`${RULE}: the index the message suggests, on PostgreSQL`, () => {
  const QUERY = "SELECT id FROM customers WHERE name ILIKE '%' || 'ustomer 123' || '%'";

  it('the query prepares against the schema', async () => {
    const r = await db.statement({ 'schema.sql': SCHEMA, 'main.sql': `${QUERY};` }, 'SELECT id');
    expect(r.how).toBe('prepared');
  });

  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite({ extensions: { pg_trgm } });
    await pg.waitReady;
    for (const st of new ParsedFile('schema.sql', SCHEMA).statements) await pg.exec(st.text);
    await pg.exec("INSERT INTO customers (id, name) SELECT g, 'Customer ' || g FROM generate_series(1, 30000) g; ANALYZE customers;");
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });

  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('a sequential scan despite the B-tree on name; with the trigram GIN index, a bitmap scan of it (30,000 rows, no planner settings)', async () => {
    expect(await plan(QUERY)).toMatch(/Seq Scan on customers/);
    await pg.exec('CREATE EXTENSION pg_trgm;');
    await pg.exec('CREATE INDEX CONCURRENTLY customers_name_trgm ON customers USING gin (name gin_trgm_ops);');
    await pg.exec('ANALYZE customers;');
    expect(await plan(QUERY)).toMatch(/Bitmap Index Scan on customers_name_trgm/);
  });
});

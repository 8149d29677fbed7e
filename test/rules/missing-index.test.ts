import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { missingIndex } from '../../server/src/analysis/rules/missing-index';
import { fixOnDb } from '../fix-on-db';
import { applyFix } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'missing-index';
const ORDERS =
  'CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id int NOT NULL, customer_id bigint NOT NULL, status text NOT NULL, ' +
  'paid boolean NOT NULL DEFAULT false, email text, created_at timestamptz NOT NULL);\n';
const schema = (extra = '') => ({ 'schema.sql': ORDERS + extra });
const ACCOUNTS = 'CREATE TABLE accounts (tenant_id uuid NOT NULL, id bigint NOT NULL, plan text NOT NULL, PRIMARY KEY (tenant_id, id));\n';
const RLS =
  'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n' +
  "CREATE POLICY accounts_tenant ON accounts USING (tenant_id = current_setting('app.current_tenant_id')::uuid);\n";

ruleTester(missingIndex, {
  valid: [
    {
      name: 'an index leads with the filtered column',
      code: 'SELECT id FROM orders WHERE customer_id = $1;',
      files: schema('CREATE INDEX ON orders (customer_id);'),
    },
    {
      name: 'an index leading with one of the filtered columns serves the scan',
      code: 'SELECT id FROM orders WHERE customer_id = $1 AND created_at > $2;',
      files: schema('CREATE INDEX ON orders (created_at, status);'),
    },
    { name: 'the primary key serves it', code: 'SELECT * FROM orders WHERE id = $1;', files: schema() },
    {
      name: 'a UNIQUE constraint added later serves it',
      code: 'SELECT id FROM orders WHERE email = $1;',
      files: schema('ALTER TABLE orders ADD CONSTRAINT orders_email_key UNIQUE (email);'),
    },
    {
      name: 'an index created by a later migration counts',
      code: 'SELECT id FROM orders WHERE customer_id = $1;',
      files: { 'migrations/001_init.sql': ORDERS, 'migrations/002_idx.sql': 'CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);' },
    },
    {
      name: 'an expression index on the column may be what the query needs',
      code: 'SELECT id FROM orders WHERE lower(email) = lower($1) AND status = $2;',
      files: schema('CREATE INDEX orders_email_lower ON orders ((lower(email)));'),
    },
    {
      name: 'a GIN index may serve a condition the model does not read (@>)',
      code: 'SELECT id FROM docs WHERE tags @> $1 AND owner_id = $2;',
      files: { 'schema.sql': 'CREATE TABLE docs (id int PRIMARY KEY, owner_id int, tags text[]);\nCREATE INDEX docs_tags ON docs USING gin (tags);' },
    },
    {
      name: 'a trigram index may serve an ILIKE',
      code: 'SELECT id FROM orders WHERE email ILIKE $1 AND customer_id = $2;',
      files: schema('CREATE EXTENSION pg_trgm;\nCREATE INDEX orders_email_trgm ON orders USING gin (email gin_trgm_ops);'),
    },
    {
      name: 'partitioned: the parent index serves a query of a partition',
      code: 'SELECT * FROM events_2026 WHERE account_id = $1;',
      files: {
        'schema.sql':
          'CREATE TABLE events (account_id bigint, at timestamptz) PARTITION BY RANGE (at);\nCREATE INDEX ON events (account_id);\n' +
          "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      },
    },
    {
      name: 'partitioned, with no partition declared: made by code, their indexes are not known',
      code: 'SELECT * FROM events WHERE account_id = $1;',
      files: { 'schema.sql': 'CREATE TABLE events (account_id bigint, at timestamptz) PARTITION BY RANGE (at);' },
    },
    {
      // The planner adds the policy's tenant_id = … to the query and seeks the primary key (tenant_id, id).
      name: 'row-level security: the policy pins the column the primary key leads with',
      code: 'SELECT plan FROM accounts WHERE id = $1;',
      files: { 'schema.sql': ACCOUNTS + RLS },
    },
    {
      name: 'row-level security with a policy known only from ALTER POLICY: its USING is unknown',
      code: 'SELECT plan FROM accounts WHERE id = $1;',
      files: { 'schema.sql': ACCOUNTS + 'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\nALTER POLICY p ON accounts TO app;' },
    },
    {
      name: 'row-level security on the partitioned parent: the policy applies to queries through it',
      code: 'SELECT kind FROM events WHERE id = $1;',
      files: {
        'schema.sql':
          'CREATE TABLE events (tenant_id uuid NOT NULL, id bigint NOT NULL, kind text, at timestamptz NOT NULL, PRIMARY KEY (tenant_id, at, id)) PARTITION BY RANGE (at);\n' +
          "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n" +
          'ALTER TABLE events ENABLE ROW LEVEL SECURITY;\n' +
          "CREATE POLICY events_tenant ON events USING (tenant_id = current_setting('app.current_tenant_id')::uuid);",
      },
    },
    {
      name: 'a table created with LIKE (its indexes may come with it)',
      code: 'SELECT * FROM orders_archive WHERE customer_id = $1;',
      files: schema('CREATE TABLE orders_archive (LIKE orders INCLUDING ALL);'),
    },
    {
      name: 'a table created as a query: its indexes are not declared with it',
      code: 'SELECT * FROM recent WHERE customer_id = $1;',
      files: schema('CREATE TABLE recent AS SELECT * FROM orders;'),
    },
    { name: 'a table the workspace does not define', code: 'SELECT * FROM invoices WHERE customer_id = $1;' },
    {
      name: 'a one-off migration statement',
      code: 'UPDATE orders SET status = $1 WHERE customer_id = $2;',
      filename: 'migrations/003_fix.sql',
      files: schema(),
    },
    { name: 'no parameter: a script, not a call of the application', code: "SELECT id FROM orders WHERE status = 'open';", files: schema() },
    { name: 'a boolean column alone is not selective', code: 'SELECT id FROM orders WHERE paid = $1;', files: schema() },
    {
      name: 'a settings table (small by its name)',
      code: 'SELECT value FROM app_settings WHERE key = $1;',
      files: { 'schema.sql': 'CREATE TABLE app_settings (id int PRIMARY KEY, key text, value text);' },
    },
    {
      name: 'a one-row table (CHECK pins the key)',
      code: 'SELECT * FROM singleton WHERE name = $1;',
      files: { 'schema.sql': 'CREATE TABLE singleton (id int PRIMARY KEY CHECK (id = 1), name text);' },
    },
    {
      name: 'a correlated lookup: the plan depends on the join',
      code: 'SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = $1);',
      files: schema('CREATE TABLE customers (id bigint PRIMARY KEY);'),
    },
    {
      name: 'a join whose other side is filtered: which side drives is the planner’s choice',
      code: 'SELECT o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1 AND o.status = $2;',
      files: schema('CREATE TABLE customers (id bigint PRIMARY KEY);'),
    },
    {
      name: 'IN (SELECT …): a semi-join or lookups, as the planner chooses',
      code: 'SELECT id FROM orders WHERE customer_id IN (SELECT id FROM vip) AND status = $1;',
      files: schema('CREATE TABLE vip (id bigint PRIMARY KEY);'),
    },
    {
      name: 'ORDER BY … LIMIT served by an index on the sort column',
      code: 'SELECT id FROM orders ORDER BY created_at DESC LIMIT $1;',
      files: schema('CREATE INDEX ON orders (created_at);'),
    },
    {
      name: 'ORDER BY without LIMIT reads every row anyway',
      code: 'SELECT id FROM orders WHERE paid ORDER BY created_at LIMIT ALL OFFSET $1;',
      files: schema(),
    },
    {
      name: 'a temporary table',
      code: 'SELECT * FROM scratch WHERE customer_id = $1;',
      files: { 'schema.sql': 'CREATE TEMP TABLE scratch (customer_id bigint);' },
    },
    {
      name: 'an inheritance parent: its children have indexes of their own',
      code: 'SELECT * FROM measurements WHERE city_id = $1;',
      files: { 'schema.sql': 'CREATE TABLE measurements (city_id int, at date);\nCREATE TABLE measurements_y2026 () INHERITS (measurements);' },
    },
    { name: 'a column named as an enumeration (status, type…) alone is not selective', code: 'SELECT id FROM orders WHERE status = $1;', files: schema() },
    {
      name: 'paging beside a condition the model does not read: which rows it leaves is unknown',
      code: 'SELECT id FROM orders WHERE (customer_id = $1 OR $1 IS NULL) ORDER BY created_at DESC LIMIT $2;',
      files: schema(),
    },
    { name: 'a column not compared with a value (<>)', code: 'SELECT id FROM orders WHERE customer_id <> $1;', files: schema() },
  ],
  invalid: [
    {
      // Without ENABLE ROW LEVEL SECURITY the policy is not applied: nothing pins tenant_id.
      name: 'a policy on a table whose row-level security is off',
      code: 'SELECT plan FROM accounts WHERE id = $1;',
      files: { 'schema.sql': ACCOUNTS + "CREATE POLICY accounts_tenant ON accounts USING (tenant_id = current_setting('app.current_tenant_id')::uuid);" },
      errors: [{ text: 'accounts', message: /Add an index on accounts \(id\)/ }],
      output: 'SELECT plan FROM accounts WHERE id = $1;\nCREATE INDEX CONCURRENTLY accounts_id_idx ON accounts (id);',
    },
    {
      name: 'row-level security whose policy reads a column no index leads with',
      code: 'SELECT id FROM orders WHERE customer_id = $1;',
      files: schema(
        "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\nCREATE POLICY orders_tenant ON orders USING (tenant_id = current_setting('app.tenant')::int);",
      ),
      errors: [{ text: 'orders', message: /Add an index on orders \(customer_id\)/ }],
      output: 'SELECT id FROM orders WHERE customer_id = $1;\nCREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);',
    },
    {
      name: 'equality on an unindexed column, with the sort column appended',
      code: 'SELECT id, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20;',
      files: schema(),
      errors: [
        {
          text: 'orders',
          line: 1,
          severity: 'info',
          message:
            'The query filters on customer_id and sorts by created_at with a LIMIT of orders, but no index of orders leads with any of them: each call reads the whole table. Add an index on orders (customer_id, created_at).',
        },
      ],
      output:
        'SELECT id, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20;\n' +
        'CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON orders (customer_id, created_at);',
    },
    {
      name: 'the tenant column first, then equalities, then the range',
      code: 'SELECT count(*) FROM orders WHERE created_at >= $1 AND status = $2 AND tenant_id = $3',
      files: schema('CREATE INDEX ON orders (email);'),
      errors: [{ text: 'orders', message: /Add an index on orders \(tenant_id, status, created_at\)/ }],
      output:
        'SELECT count(*) FROM orders WHERE created_at >= $1 AND status = $2 AND tenant_id = $3;\n' +
        'CREATE INDEX CONCURRENTLY orders_tenant_id_status_created_at_idx ON orders (tenant_id, status, created_at)',
    },
    {
      name: 'an index whose second column is the filtered one does not serve it',
      code: 'DELETE FROM orders WHERE customer_id = ANY($1);',
      files: schema('CREATE INDEX ON orders (status, customer_id);'),
      errors: [{ text: 'orders', message: /\(customer_id\)/ }],
      output: 'DELETE FROM orders WHERE customer_id = ANY($1);\nCREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);',
    },
    {
      name: 'ORDER BY … LIMIT alone, with mixed directions kept in the index',
      code: 'SELECT id FROM orders ORDER BY status, created_at DESC LIMIT $1;',
      files: schema(),
      errors: [{ text: 'orders', message: /sorts by status, created_at with a LIMIT .* \(status, created_at DESC\)/ }],
      output:
        'SELECT id FROM orders ORDER BY status, created_at DESC LIMIT $1;\nCREATE INDEX CONCURRENTLY orders_status_created_at_idx ON orders (status, created_at DESC);',
    },
    {
      name: 'a join whose other side is not filtered: the filtered side is scanned first',
      code: 'SELECT o.id, c.id FROM orders AS o JOIN customers c ON c.id = o.customer_id WHERE o.email = $1;',
      files: schema('CREATE TABLE customers (id bigint PRIMARY KEY);'),
      errors: [{ text: 'orders', message: /\(email\)/ }],
      output:
        'SELECT o.id, c.id FROM orders AS o JOIN customers c ON c.id = o.customer_id WHERE o.email = $1;\n' +
        'CREATE INDEX CONCURRENTLY orders_email_idx ON orders (email);',
    },
    {
      name: 'an expression index on another column does not serve it',
      code: 'SELECT id FROM orders WHERE customer_id = $1',
      files: schema('CREATE INDEX ON orders ((lower(email)));'),
      errors: [{ text: 'orders' }],
      output: 'SELECT id FROM orders WHERE customer_id = $1;\nCREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id)',
    },
    {
      name: 'a partitioned table with its partitions declared: a plain CREATE INDEX (CONCURRENTLY fails there)',
      code: 'SELECT count(*) FROM events WHERE account_id = $1;',
      files: {
        'schema.sql':
          'CREATE TABLE events (account_id bigint, at timestamptz) PARTITION BY RANGE (at);\n' +
          "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      },
      errors: [{ text: 'events', message: /\(account_id\)/ }],
      output: 'SELECT count(*) FROM events WHERE account_id = $1;\nCREATE INDEX events_account_id_idx ON events (account_id);',
    },
    {
      name: 'inside BEGIN … COMMIT: no fix (CONCURRENTLY cannot run there)',
      code: 'BEGIN;\nUPDATE orders SET status = $1 WHERE customer_id = $2;\nCOMMIT;',
      files: schema(),
      errors: [{ text: 'orders', line: 2 }],
      output: null,
    },
    {
      name: 'in host code: reported, no fix',
      code: 'export const q = (db, id) => db.query(`SELECT id FROM orders WHERE customer_id = ${id}`);\n',
      filename: 'src/orders.ts',
      files: schema(),
      errors: [{ text: 'orders', message: /\(customer_id\)/ }],
      output: null,
    },
  ],
});

describe(`${RULE}: the fix on PostgreSQL`, () => {
  it('on a partitioned table: the plain CREATE INDEX runs against the schema', async () => {
    const files = {
      'schema.sql':
        'CREATE TABLE events (account_id bigint, at timestamptz) PARTITION BY RANGE (at);\n' +
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      'main.sql': 'SELECT count(*) FROM events WHERE account_id = $1;',
    };
    const r = await db.check(files, RULE, { file: 'main.sql' });
    expect(r.fixed).toContain('CREATE INDEX events_account_id_idx ON events (account_id)');
  });

  it('the CREATE INDEX CONCURRENTLY after the query runs against the schema', async () => {
    const r = await db.check({ 'schema.sql': ORDERS, 'main.sql': 'SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20;' }, RULE, {
      file: 'main.sql',
    });
    expect(r.fixed).toContain('CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON orders (customer_id, created_at)');
  });
});

describe(`${RULE}: the index the fix adds serves the query the rule named`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });

  /** The plan of `query` after the schema and the fixed query file (run one by one) and 50,000 orders. */
  async function plan(sql: string, query: string): Promise<string> {
    await pg.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    for (const st of new ParsedFile('main.sql', sql).statements) if (!st.text.includes('$1')) await pg.exec(st.text);
    await pg.exec(
      "INSERT INTO orders SELECT g, g % 20, g % 5000, (ARRAY['open','paid','shipped'])[1 + g % 3], g % 2 = 0, 'u' || g || '@x', " +
        "timestamptz '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 50000) g; ANALYZE;",
    );
    const r = await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`);
    return r.rows.map((x) => x['QUERY PLAN']).join('\n');
  }

  it.each([
    ['SELECT id, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20', 'customer_id = 42', 'orders_customer_id_created_at_idx'],
    [
      'SELECT count(*) FROM orders WHERE created_at >= $1 AND status = $2 AND tenant_id = $3',
      "created_at >= '2026-01-20' AND status = 'open' AND tenant_id = 3",
      'orders_tenant_id_status_created_at_idx',
    ],
  ])(
    '%s: a sequential scan before the fix, the new index after it (50,000 rows, no planner settings)',
    async (query, bound, index) => {
      const sql = ORDERS + query + ';';
      const concrete = query.replace(/WHERE .*?( ORDER BY|$)/, `WHERE ${bound}$1`);
      expect(await plan(sql, concrete)).toMatch(/Seq Scan on orders/);
      const fixed = applyFix(sql, RULE);
      expect(fixed).toContain(`CREATE INDEX CONCURRENTLY ${index}`);
      const after = await plan(fixed, concrete);
      expect(after).toMatch(new RegExp(`Index (Only )?Scan (Backward )?using ${index} on orders|Bitmap Index Scan on ${index}`));
    },
    60_000,
  );
});

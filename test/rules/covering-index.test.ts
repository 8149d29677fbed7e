import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { coveringIndex } from '../../server/src/analysis/rules/covering-index';
import { fixOnDb } from '../fix-on-db';
import { applyFix } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'covering-index';
const ORDERS =
  'CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id int NOT NULL, customer_id bigint NOT NULL, total_cents int8 NOT NULL, ' +
  'placed_at timestamptz NOT NULL, code varchar(12), note text, meta jsonb);\n';
const BY_CUSTOMER = 'CREATE INDEX orders_customer_id_idx ON orders (customer_id);\n';
const schema = (extra = BY_CUSTOMER) => ({ 'schema.sql': ORDERS + extra });

ruleTester(coveringIndex, {
  valid: [
    { name: 'the index holds every column read already (keys)', code: 'SELECT customer_id FROM orders WHERE customer_id = $1;', files: schema() },
    { name: 'count(*): nothing beyond the keys is read', code: 'SELECT count(*) FROM orders WHERE customer_id = $1;', files: schema() },
    {
      name: 'the index INCLUDEs the columns already',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1;',
      files: schema('CREATE INDEX orders_customer_id_idx ON orders (customer_id) INCLUDE (total_cents);'),
    },
    {
      name: 'another index holds them all (a later migration)',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1;',
      files: {
        'migrations/001_init.sql': ORDERS + BY_CUSTOMER,
        'migrations/002_cover.sql': 'CREATE INDEX CONCURRENTLY o2 ON orders (customer_id, total_cents);',
      },
    },
    {
      // The policy's tenant_id = … is a condition of the query too: the index would need tenant_id as well.
      name: 'row-level security: the policy reads a column the index does not hold',
      code: 'SELECT id, total_cents FROM orders WHERE customer_id = $1;',
      files: schema(
        BY_CUSTOMER +
          "ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\nCREATE POLICY orders_tenant ON orders USING (tenant_id = current_setting('app.tenant')::int);",
      ),
    },
    { name: 'a star: the columns read are not listed', code: 'SELECT * FROM orders WHERE customer_id = $1;', files: schema() },
    {
      name: 'three columns beyond the keys: a second copy of the table',
      code: 'SELECT id, total_cents, placed_at FROM orders WHERE customer_id = $1;',
      files: schema(),
    },
    { name: 'an unbounded text column (could exceed the B-tree row limit)', code: 'SELECT note FROM orders WHERE customer_id = $1;', files: schema() },
    { name: 'a jsonb column', code: 'SELECT meta FROM orders WHERE customer_id = $1;', files: schema() },
    { name: 'the primary key pins one row', code: 'SELECT total_cents FROM orders WHERE customer_id = $1 AND id = $2;', files: schema() },
    {
      name: 'a unique index: its copy would not be unique',
      code: 'SELECT total_cents FROM orders WHERE code = $1;',
      files: schema('CREATE UNIQUE INDEX orders_code ON orders (code);'),
    },
    {
      name: 'the filtered column is second in the index',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1;',
      files: schema('CREATE INDEX orders_tenant_customer ON orders (tenant_id, customer_id);'),
    },
    {
      name: 'an expression index',
      code: 'SELECT total_cents FROM orders WHERE lower(code) = $1;',
      files: schema('CREATE INDEX orders_code_lower ON orders ((lower(code)));'),
    },
    {
      name: 'a partial index (whether its predicate holds is not known)',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1;',
      files: schema('CREATE INDEX orders_customer_open ON orders (customer_id) WHERE note IS NULL;'),
    },
    {
      name: 'two indexes lead with filtered columns: which one the planner takes is not known',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1 AND placed_at > $2;',
      files: schema(BY_CUSTOMER + 'CREATE INDEX orders_placed_at ON orders (placed_at);'),
    },
    {
      name: 'a join',
      code: 'SELECT o.total_cents FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_id = $1;',
      files: schema(BY_CUSTOMER + 'CREATE TABLE customers (id bigint PRIMARY KEY);'),
    },
    { name: 'a subquery in the query', code: 'SELECT total_cents, (SELECT 1) FROM orders WHERE customer_id = $1;', files: schema() },
    {
      name: 'a condition the model does not read',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1 AND (tenant_id = 1 OR tenant_id = 2);',
      files: schema(),
    },
    { name: 'no parameter: a script', code: 'SELECT total_cents FROM orders WHERE customer_id = 42;', files: schema() },
    {
      name: 'a one-off migration statement',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1;',
      filename: 'migrations/009_check.sql',
      files: schema(),
    },
    { name: 'an UPDATE visits the rows anyway', code: 'UPDATE orders SET total_cents = 0 WHERE customer_id = $1;', files: schema() },
    {
      name: 'a table created with LIKE (its indexes may come with it)',
      code: 'SELECT total_cents FROM orders_copy WHERE customer_id = $1;',
      files: schema(BY_CUSTOMER + 'CREATE TABLE orders_copy (LIKE orders INCLUDING ALL);\nCREATE INDEX ON orders_copy (customer_id);'),
    },
    {
      name: 'a partitioned table (its partitions’ indexes are their own)',
      code: 'SELECT total_cents FROM events WHERE customer_id = $1;',
      files: {
        'schema.sql':
          'CREATE TABLE events (customer_id bigint, total_cents int8, at timestamptz) PARTITION BY RANGE (at);\nCREATE INDEX ON events (customer_id);\n' +
          "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      },
    },
    { name: 'a table the workspace does not define', code: 'SELECT total_cents FROM invoices WHERE customer_id = $1;' },
    {
      name: 'a settings table',
      code: 'SELECT value_id FROM user_settings WHERE user_id = $1;',
      files: { 'schema.sql': 'CREATE TABLE user_settings (id int PRIMARY KEY, user_id int, value_id int);\nCREATE INDEX ON user_settings (user_id);' },
    },
    {
      name: 'a key column with its own sort order',
      code: 'SELECT total_cents FROM orders WHERE customer_id = $1;',
      files: schema('CREATE INDEX orders_customer_desc ON orders (customer_id DESC);'),
    },
  ],
  invalid: [
    {
      name: 'a policy on a table whose row-level security is off is not applied',
      code: 'SELECT id, total_cents FROM orders WHERE customer_id = $1;',
      files: schema(BY_CUSTOMER + "CREATE POLICY orders_tenant ON orders USING (tenant_id = current_setting('app.tenant')::int);"),
      errors: [{ text: 'orders', message: /INCLUDE \(id, total_cents\)/ }],
      output:
        'SELECT id, total_cents FROM orders WHERE customer_id = $1;\n' +
        'CREATE INDEX CONCURRENTLY orders_customer_id_id_total_cents_idx ON orders (customer_id) INCLUDE (id, total_cents);',
    },
    {
      name: 'one narrow column beyond the index keys',
      code: 'SELECT id, total_cents FROM orders WHERE customer_id = $1;',
      files: schema(),
      errors: [
        {
          text: 'orders',
          severity: 'info',
          message:
            'The query reads orders through orders_customer_id_idx (customer_id) but also needs id, total_cents, which only the table holds: each matching row costs a heap fetch. ' +
            'With INCLUDE (id, total_cents) it can run as an index-only scan: CREATE INDEX CONCURRENTLY … ON orders (customer_id) INCLUDE (id, total_cents), then drop orders_customer_id_idx.',
        },
      ],
      output:
        'SELECT id, total_cents FROM orders WHERE customer_id = $1;\n' +
        'CREATE INDEX CONCURRENTLY orders_customer_id_id_total_cents_idx ON orders (customer_id) INCLUDE (id, total_cents);',
    },
    {
      name: 'a two-column index, a range on the second key, ORDER BY a key, a short varchar read',
      code: 'SELECT code FROM orders WHERE tenant_id = $1 AND placed_at >= $2 ORDER BY placed_at DESC LIMIT 50',
      files: schema('CREATE INDEX orders_tenant_placed ON orders (tenant_id, placed_at);'),
      errors: [{ text: 'orders', message: /through orders_tenant_placed \(tenant_id, placed_at\) but also needs code/ }],
      output:
        'SELECT code FROM orders WHERE tenant_id = $1 AND placed_at >= $2 ORDER BY placed_at DESC LIMIT 50;\n' +
        'CREATE INDEX CONCURRENTLY orders_tenant_id_placed_at_code_idx ON orders (tenant_id, placed_at) INCLUDE (code)',
    },
    {
      name: 'in a CTE of the query',
      code: 'WITH mine AS (SELECT total_cents FROM orders WHERE customer_id = $1) SELECT sum(total_cents) FROM mine;',
      files: schema(),
      errors: [{ text: 'orders' }],
      output:
        'WITH mine AS (SELECT total_cents FROM orders WHERE customer_id = $1) SELECT sum(total_cents) FROM mine;\n' +
        'CREATE INDEX CONCURRENTLY orders_customer_id_total_cents_idx ON orders (customer_id) INCLUDE (total_cents);',
    },
    {
      name: 'in host code: reported, no fix',
      code: 'export const q = (db, id) => db.query(`SELECT total_cents FROM orders WHERE customer_id = ${id}`);\n',
      filename: 'src/orders.ts',
      files: schema(),
      errors: [{ text: 'orders', message: /INCLUDE \(total_cents\)/ }],
      output: null,
    },
    {
      name: 'inside BEGIN … COMMIT: no fix',
      code: 'BEGIN;\nSELECT total_cents FROM orders WHERE customer_id = $1;\nCOMMIT;',
      files: schema(),
      errors: [{ text: 'orders', line: 2 }],
      output: null,
    },
  ],
});

describe(`${RULE}: the fix on PostgreSQL`, () => {
  it('the CREATE INDEX CONCURRENTLY … INCLUDE after the query runs against the schema', async () => {
    const r = await db.check({ 'schema.sql': ORDERS + BY_CUSTOMER, 'main.sql': 'SELECT id, total_cents FROM orders WHERE customer_id = $1;' }, RULE, {
      file: 'main.sql',
    });
    expect(r.fixed).toContain('CREATE INDEX CONCURRENTLY orders_customer_id_id_total_cents_idx ON orders (customer_id) INCLUDE (id, total_cents)');
  });
});

describe(`${RULE}: the index the fix adds makes the query an index-only scan`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });

  /** The plan of `query` after the file's statements other than the query (run one by one), 50,000 orders and VACUUM ANALYZE. */
  async function plan(sql: string, query: string): Promise<string> {
    await pg.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    for (const st of new ParsedFile('main.sql', sql).statements) if (!st.text.includes('$1')) await pg.exec(st.text);
    await pg.exec(
      "INSERT INTO orders SELECT g, g % 20, g % 5000, g * 7, timestamptz '2026-01-01' + g * interval '1 minute', 'c' || g, repeat('n', 200), '{}' " +
        'FROM generate_series(1, 50000) g;',
    );
    // The visibility map an index-only scan needs, as autovacuum keeps it on a table read more than written.
    await pg.exec('VACUUM ANALYZE orders;');
    const r = await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`);
    return r.rows.map((x) => x['QUERY PLAN']).join('\n');
  }

  it.each([
    ['SELECT id, total_cents FROM orders WHERE customer_id = $1', 'customer_id = 42', BY_CUSTOMER, 'orders_customer_id_id_total_cents_idx'],
    [
      'SELECT code FROM orders WHERE tenant_id = $1 AND placed_at >= $2 ORDER BY placed_at DESC LIMIT 50',
      "tenant_id = 3 AND placed_at >= '2026-01-20'",
      'CREATE INDEX orders_tenant_placed ON orders (tenant_id, placed_at);\n',
      'orders_tenant_id_placed_at_code_idx',
    ],
  ])(
    '%s: a heap-fetching scan before the fix, an Index Only Scan of the new index after it (50,000 rows, no planner settings)',
    async (query, bound, index, created) => {
      const sql = ORDERS + index + query + ';';
      const concrete = query.replace(/WHERE .*?( ORDER BY|$)/, `WHERE ${bound}$1`);
      const before = await plan(sql, concrete);
      expect(before).toMatch(/Index Scan|Bitmap Heap Scan/);
      expect(before).not.toMatch(/Index Only Scan/);
      const fixed = applyFix(sql, RULE);
      expect(fixed).toContain(`CREATE INDEX CONCURRENTLY ${created}`);
      expect(await plan(fixed, concrete)).toMatch(new RegExp(`Index Only Scan (Backward )?using ${created} on orders`));
    },
    60_000,
  );
});

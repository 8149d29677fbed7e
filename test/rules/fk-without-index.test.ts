import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { fkWithoutIndex } from '../../server/src/analysis/rules/fk-without-index';
import { fixOnDb } from '../fix-on-db';
import { applyFix } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'fk-without-index';
const ACCOUNTS = 'CREATE TABLE accounts (id bigint PRIMARY KEY, tenant_id int NOT NULL, UNIQUE (tenant_id, id));\n';
const INVOICES = 'CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));';

ruleTester(fkWithoutIndex, {
  valid: [
    {
      name: 'an EXCLUDE constraint leading with the FK column (its GiST index serves the lookup)',
      code:
        'CREATE EXTENSION btree_gist;\nCREATE TABLE rooms (id int PRIMARY KEY);\n' +
        'CREATE TABLE bookings (room_id int REFERENCES rooms, during tstzrange, EXCLUDE USING gist (room_id WITH =, during WITH &&));',
    },
    { name: 'an index later in the same file', code: ACCOUNTS + INVOICES + '\nCREATE INDEX ON invoices (account_id);' },
    {
      // listmonk: migrations upgrade old installs, schema.sql (applied after them in the history) drops and creates
      // the final tables; the ALTER's key is not the final table's (that CREATE's own key is reported there).
      name: 'an ALTER before the table is created (again) in the history: its key is not part of the final table',
      code: 'ALTER TABLE invoices ADD COLUMN IF NOT EXISTS account_id bigint REFERENCES accounts (id);',
      filename: 'internal/migrations/v2.3.0.go.sql',
      files: { 'schema.sql': ACCOUNTS + 'DROP TABLE IF EXISTS invoices CASCADE;\n' + INVOICES },
    },
    {
      name: 'an index created by a later migration counts',
      code: ACCOUNTS + INVOICES,
      filename: 'migrations/001_init.sql',
      files: { 'migrations/002_index.sql': 'CREATE INDEX CONCURRENTLY invoices_account ON invoices (account_id, id);' },
    },
    {
      name: 'the FK column leads the primary key',
      code: ACCOUNTS + 'CREATE TABLE account_tags (account_id bigint REFERENCES accounts, tag text, PRIMARY KEY (account_id, tag));',
    },
    {
      name: 'the FK column leads a UNIQUE constraint added later',
      code: ACCOUNTS + INVOICES + '\nALTER TABLE invoices ADD CONSTRAINT one_per_account UNIQUE (account_id);',
    },
    {
      name: 'composite FK: an index leads with all its columns, in another order',
      code:
        ACCOUNTS +
        'CREATE TABLE notes (id int, tenant_id int, account_id bigint, FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id));\n' +
        'CREATE INDEX notes_account ON notes (account_id, tenant_id, id);',
    },
    { name: 'a partial index on the FK column counts', code: ACCOUNTS + INVOICES + '\nCREATE INDEX ON invoices (account_id) WHERE account_id IS NOT NULL;' },
    { name: 'a unique index counts', code: ACCOUNTS + INVOICES + '\nCREATE UNIQUE INDEX ON invoices (account_id, id);' },
    {
      name: 'partitioned: the index on the parent counts for the FK of the parent',
      code:
        ACCOUNTS +
        'CREATE TABLE events (account_id bigint REFERENCES accounts, at timestamptz) PARTITION BY RANGE (at);\n' +
        'CREATE INDEX ON events (account_id);',
    },
    {
      name: 'partitioned: the index on the parent counts for the FK of a partition',
      code:
        ACCOUNTS +
        'CREATE TABLE events (account_id bigint, at timestamptz) PARTITION BY RANGE (at);\nCREATE INDEX ON events (account_id);\n' +
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n" +
        'ALTER TABLE events_2026 ADD CONSTRAINT fk_account FOREIGN KEY (account_id) REFERENCES accounts;',
    },
    {
      name: 'the constraint is dropped by a later migration',
      code: ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint CONSTRAINT invoices_account_fk REFERENCES accounts);',
      filename: 'migrations/001_init.sql',
      files: { 'migrations/002_drop.sql': 'ALTER TABLE invoices DROP CONSTRAINT invoices_account_fk;' },
    },
    {
      name: 'an unnamed constraint dropped by its default name',
      code: ACCOUNTS + INVOICES + '\nALTER TABLE invoices DROP CONSTRAINT invoices_account_id_fkey;',
    },
    { name: 'the FK column is dropped later', code: ACCOUNTS + INVOICES + '\nALTER TABLE invoices DROP COLUMN account_id;' },
    { name: 'the table is dropped later', code: ACCOUNTS + INVOICES + '\nDROP TABLE invoices;' },
    { name: 'the table is renamed later (its final indexes are not followed)', code: ACCOUNTS + INVOICES + '\nALTER TABLE invoices RENAME TO bills;' },
    { name: 'a table the workspace does not create', code: 'ALTER TABLE invoices ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id);' },
    {
      name: 'a table created with LIKE (its indexes may come with it)',
      code: ACCOUNTS + 'CREATE TABLE invoices2 (LIKE invoices INCLUDING ALL, account_id bigint REFERENCES accounts);',
    },
    { name: 'a temporary table', code: ACCOUNTS + 'CREATE TEMP TABLE scratch (account_id bigint REFERENCES accounts);' },
    {
      name: 'a down migration',
      code: 'ALTER TABLE invoices ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id);',
      filename: 'migrations/002_fk.down.sql',
      files: { 'migrations/001_init.sql': ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint);' },
    },
    {
      name: 'a temporal foreign key (PERIOD): looked up by range overlap',
      code:
        'CREATE TABLE p (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS));\n' +
        'CREATE TABLE c (id int, parent_id int, valid_at daterange, FOREIGN KEY (parent_id, PERIOD valid_at) REFERENCES p (id, PERIOD valid_at));',
    },
    'CREATE TABLE t (id int PRIMARY KEY);',
  ],
  invalid: [
    {
      name: 'a column REFERENCES in CREATE TABLE: a plain CREATE INDEX after the table (it is new)',
      code: ACCOUNTS + INVOICES + '\n',
      errors: [{ text: 'REFERENCES accounts (id)', line: 2, message: /No index of invoices leads with the foreign key \(account_id\)/, severity: 'info' }],
      output: ACCOUNTS + INVOICES.slice(0, -1) + ';\nCREATE INDEX invoices_account_id_idx ON invoices (account_id);\n',
    },
    {
      name: 'a composite FK with an index on its first column only; the tenant column first in the fix',
      code:
        ACCOUNTS +
        'CREATE TABLE notes (\n  id int,\n  account_id bigint,\n  tenant_id int,\n' +
        '  CONSTRAINT notes_account FOREIGN KEY (account_id, tenant_id) REFERENCES accounts (id, tenant_id) ON DELETE CASCADE\n);\n' +
        'CREATE INDEX notes_account_only ON notes (account_id);',
      errors: [{ text: 'CONSTRAINT notes_account FOREIGN KEY (account_id, tenant_id) REFERENCES accounts (id, tenant_id)', line: 6 }],
      output:
        ACCOUNTS +
        'CREATE TABLE notes (\n  id int,\n  account_id bigint,\n  tenant_id int,\n' +
        '  CONSTRAINT notes_account FOREIGN KEY (account_id, tenant_id) REFERENCES accounts (id, tenant_id) ON DELETE CASCADE\n);\n' +
        'CREATE INDEX notes_tenant_id_account_id_idx ON notes (tenant_id, account_id);\n' +
        'CREATE INDEX notes_account_only ON notes (account_id);',
    },
    {
      name: 'an index that does not lead with the FK column, and an expression index on it, do not count',
      code: ACCOUNTS + INVOICES + '\nCREATE INDEX ON invoices (id, account_id);\nCREATE INDEX ON invoices ((account_id + 0));',
      errors: [{ text: 'REFERENCES accounts (id)' }],
      output:
        ACCOUNTS +
        INVOICES.slice(0, -1) +
        ';\nCREATE INDEX invoices_account_id_idx ON invoices (account_id);\nCREATE INDEX ON invoices (id, account_id);\nCREATE INDEX ON invoices ((account_id + 0));',
    },
    {
      name: 'ALTER TABLE … ADD CONSTRAINT on a table an earlier migration created: CREATE INDEX CONCURRENTLY',
      code: 'ALTER TABLE invoices\n  ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts;\n',
      filename: 'migrations/002_fk.sql',
      files: { 'migrations/001_init.sql': ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint);' },
      errors: [{ text: 'CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts', line: 2, column: 7 }],
      output:
        'ALTER TABLE invoices\n  ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts;\n' +
        'CREATE INDEX CONCURRENTLY invoices_account_id_idx ON invoices (account_id);\n',
    },
    {
      name: 'a constraint dropped and added again (with another ON DELETE): the earlier DROP does not silence it',
      code: 'ALTER TABLE invoices DROP CONSTRAINT invoices_account_fk;\nALTER TABLE invoices ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts ON DELETE CASCADE;',
      filename: 'migrations/002_cascade.sql',
      files: { 'migrations/001_init.sql': ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint CONSTRAINT invoices_account_fk REFERENCES accounts);' },
      errors: [{ text: 'CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts', line: 2 }],
      output:
        'ALTER TABLE invoices DROP CONSTRAINT invoices_account_fk;\nALTER TABLE invoices ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts ON DELETE CASCADE;\n' +
        'CREATE INDEX CONCURRENTLY invoices_account_id_idx ON invoices (account_id);',
    },
    {
      name: 'inside an explicit transaction block on an existing table: no fix (CONCURRENTLY fails there)',
      code: 'BEGIN;\nALTER TABLE invoices ADD FOREIGN KEY (account_id) REFERENCES accounts;\nCOMMIT;',
      filename: 'migrations/002_fk.sql',
      files: { 'migrations/001_init.sql': ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint);' },
      errors: [{ text: 'FOREIGN KEY (account_id) REFERENCES accounts' }],
      output: null,
    },
    {
      name: 'ALTER TABLE … ADD COLUMN … REFERENCES, last statement without a semicolon',
      code: ACCOUNTS + 'CREATE TABLE invoices (id int);\nALTER TABLE invoices ADD COLUMN account_id bigint REFERENCES accounts ON DELETE SET NULL',
      errors: [{ text: 'REFERENCES accounts', line: 3 }],
      output:
        ACCOUNTS +
        'CREATE TABLE invoices (id int);\nALTER TABLE invoices ADD COLUMN account_id bigint REFERENCES accounts ON DELETE SET NULL;\n' +
        'CREATE INDEX invoices_account_id_idx ON invoices (account_id)',
    },
    {
      name: 'a partitioned table: a plain CREATE INDEX (CONCURRENTLY is not supported there)',
      code: 'CREATE TABLE events (account_id bigint REFERENCES accounts, at timestamptz) PARTITION BY RANGE (at);',
      filename: 'migrations/002_events.sql',
      files: { 'migrations/001_init.sql': ACCOUNTS },
      errors: [{ text: 'REFERENCES accounts' }],
      output:
        'CREATE TABLE events (account_id bigint REFERENCES accounts, at timestamptz) PARTITION BY RANGE (at);\nCREATE INDEX events_account_id_idx ON events (account_id);',
    },
    {
      name: 'two foreign keys, a schema-qualified quoted table: a fix each, the name left to PostgreSQL when taken',
      code:
        'CREATE SCHEMA app;\nCREATE TABLE app.users (id int PRIMARY KEY);\nCREATE INDEX "Orders_user_id_idx" ON app.users (id);\n' +
        'CREATE TABLE app."Orders" ("user_id" int REFERENCES app.users, "Buyer" int REFERENCES app.users (id));',
      errors: [{ text: 'REFERENCES app.users' }, { text: 'REFERENCES app.users (id)' }],
      output:
        'CREATE SCHEMA app;\nCREATE TABLE app.users (id int PRIMARY KEY);\nCREATE INDEX "Orders_user_id_idx" ON app.users (id);\n' +
        'CREATE TABLE app."Orders" ("user_id" int REFERENCES app.users, "Buyer" int REFERENCES app.users (id));\n' +
        'CREATE INDEX ON app."Orders" (user_id);\nCREATE INDEX ON app."Orders" ("Buyer");',
    },
    {
      name: 'SQL in code: the finding, without a fix (the new statement would join a one-statement string)',
      code: "await knex.raw('ALTER TABLE invoices ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id)');",
      filename: 'src/migrate.ts',
      files: { 'schema.sql': ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint);' },
      errors: [{ text: 'CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id)' }],
      output: null,
    },
  ],
});

describe(`${RULE}: the fix on PostgreSQL`, () => {
  it.each([
    ['a new table', ACCOUNTS + INVOICES],
    [
      'a composite key with the tenant column',
      ACCOUNTS + 'CREATE TABLE notes (account_id bigint, tenant_id int, FOREIGN KEY (account_id, tenant_id) REFERENCES accounts (id, tenant_id));',
    ],
    ['a partitioned table', ACCOUNTS + 'CREATE TABLE events (account_id bigint REFERENCES accounts, at timestamptz) PARTITION BY RANGE (at);'],
  ])('%s: the fixed file runs', async (_name, sql) => {
    const r = await db.check(sql, RULE);
    expect(r.fixed).toMatch(/CREATE INDEX \w+ ON/);
  });

  it('on an existing table: CREATE INDEX CONCURRENTLY runs in its place in the migration history', async () => {
    const files = {
      'migrations/001_init.sql': ACCOUNTS + 'CREATE TABLE invoices (id int, account_id bigint);',
      'migrations/002_fk.sql': 'ALTER TABLE invoices ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts;',
    };
    const r = await db.check(files, RULE, { file: 'migrations/002_fk.sql' });
    expect(r.fixed).toContain('CREATE INDEX CONCURRENTLY invoices_account_id_idx ON invoices (account_id)');
  });
});

describe(`${RULE}: the index the fix adds serves the lookup of the referencing rows`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });

  /** The plan of `query` after the file's statements (run one by one, as a migration tool does) and 20,000 invoices. */
  async function plan(sql: string, query: string): Promise<string> {
    await pg.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    for (const st of new ParsedFile('main.sql', sql).statements) await pg.exec(st.text);
    await pg.exec('INSERT INTO accounts SELECT g, g % 10 FROM generate_series(1, 2000) g;');
    await pg.exec('INSERT INTO invoices SELECT g, 1 + g % 2000 FROM generate_series(1, 20000) g; ANALYZE;');
    const r = await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query}`);
    return r.rows.map((x) => x['QUERY PLAN']).join('\n');
  }

  // The query a DELETE of an account runs per row (PostgreSQL's referential check), and a join from the parent.
  const LOOKUP = 'SELECT 1 FROM ONLY invoices x WHERE account_id = 42 FOR KEY SHARE OF x';
  const JOIN = 'SELECT i.id FROM accounts a JOIN invoices i ON i.account_id = a.id WHERE a.id = 42';

  it.each([LOOKUP, JOIN])(
    '%s: a sequential scan before the fix, the new index after it (20,000 rows, no planner settings)',
    async (query) => {
      const sql = ACCOUNTS + INVOICES;
      expect(await plan(sql, query)).toMatch(/Seq Scan on invoices/);
      const after = await plan(applyFix(sql, RULE), query);
      expect(after).toMatch(/Index (Only )?Scan using invoices_account_id_idx on invoices|Bitmap Index Scan on invoices_account_id_idx/);
    },
    60_000,
  );
});

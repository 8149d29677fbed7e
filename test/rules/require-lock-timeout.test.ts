import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../database/connection/types';
import { requireLockTimeout } from '../../server/src/analysis/rules/require-lock-timeout';
import { openTestServer, q, uniqueSchema } from '../db/helpers';
import { fixOnDb } from '../fix-on-db';
import { findings } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'require-lock-timeout';
const INIT = 'migrations/001_init.sql';
const MAIN = 'migrations/002_change.sql';
const SCHEMA =
  'CREATE TABLE sessions (id int PRIMARY KEY, tenant_id int, status text);\n' +
  'CREATE INDEX idx_status ON sessions (status);\n' +
  'CREATE SCHEMA app;\nCREATE TABLE app.t (a int);\n';
const files = { [INIT]: SCHEMA };
const ADD = 'ALTER TABLE sessions ADD COLUMN note text;';

ruleTester(requireLockTimeout, {
  valid: [
    { code: `SET lock_timeout = '5s';\n${ADD}`, filename: MAIN, files },
    { code: `SET lock_timeout TO 3000;\n${ADD}`, filename: MAIN, files },
    { code: `BEGIN;\nSET LOCAL lock_timeout = '2s';\n${ADD}\nCOMMIT;`, filename: MAIN, files },
    { code: `SELECT set_config('lock_timeout', '1s', false);\n${ADD}`, filename: MAIN, files },
    { code: `DO $$ BEGIN PERFORM set_config('lock_timeout', '1s', false); END $$;\n${ADD}`, filename: MAIN, files },
    {
      name: 'ALTER ROLE … SET lock_timeout in the workspace',
      code: ADD,
      filename: MAIN,
      files: { ...files, 'roles.sql': "ALTER ROLE migrator SET lock_timeout = '5s';" },
    },
    {
      name: 'ALTER DATABASE … SET lock_timeout in the workspace',
      code: ADD,
      filename: MAIN,
      files: { ...files, 'db.sql': "ALTER DATABASE app SET lock_timeout TO '5s';" },
    },
    { name: 'a table created in the same file', code: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;' },
    {
      name: 'a table created in the same changeset',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;',
    },
    {
      name: 'a rename of the table this file created on its search_path, not of the earlier file’s public one',
      code: 'CREATE SCHEMA s;\nSET search_path TO s, public;\nCREATE TABLE sessions (a int);\nALTER TABLE sessions RENAME TO old_sessions;',
      filename: MAIN,
      files,
    },
    {
      name: 'a baseline schema/ folder beside migrations/: its files run on a new database',
      code: 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;',
      filename: 'app/schema/002_security.sql',
      files: { 'app/schema/001_tables.sql': SCHEMA, 'app/migrations/003_more.sql': 'CREATE INDEX idx_tenant ON sessions (tenant_id);' },
    },
    { name: 'a table unknown to the workspace', code: 'ALTER TABLE elsewhere ADD COLUMN b int;', filename: MAIN, files },
    { name: 'a table the same migration shows empty', code: 'ALTER TABLE sessions ADD COLUMN x int NOT NULL;', filename: MAIN, files },
    // Weaker locks than ACCESS EXCLUSIVE (checked against pg_locks below).
    { code: 'ALTER TABLE sessions VALIDATE CONSTRAINT c;', filename: MAIN, files },
    { code: 'ALTER TABLE sessions ALTER COLUMN status SET STATISTICS 500;', filename: MAIN, files },
    { code: 'ALTER TABLE sessions ADD CONSTRAINT fk FOREIGN KEY (tenant_id) REFERENCES app.t (a);', filename: MAIN, files },
    { code: 'ALTER TABLE sessions SET (fillfactor = 70);', filename: MAIN, files },
    { code: 'CREATE INDEX idx_tenant ON sessions (tenant_id);', filename: MAIN, files },
    { name: 'DROP INDEX is drop-index-concurrently’s', code: 'DROP INDEX idx_status;', filename: MAIN, files },
    { code: 'LOCK TABLE sessions IN SHARE MODE;', filename: MAIN, files },
    { code: "COMMENT ON TABLE sessions IS 'x';", filename: MAIN, files },
    { name: 'the down section of a goose file, timeout set there', code: `-- +goose Up\nSELECT 1;\n-- +goose Down\nSET lock_timeout = '1s';\n${ADD}` },
  ],
  invalid: [
    {
      code: ADD,
      filename: MAIN,
      files,
      errors: [
        {
          text: 'ALTER TABLE sessions',
          line: 1,
          column: 1,
          severity: 'warning',
          message: /ACCESS EXCLUSIVE lock on table sessions \(created in migrations\/001_init\.sql\)/,
        },
      ],
      output: `SET lock_timeout = '5s';\n${ADD}`,
    },
    {
      name: 'one finding per migration, at the first statement, with the count of the others',
      code: `-- add the columns\n  ${ADD}\nALTER TABLE app.t DROP COLUMN a;\nTRUNCATE sessions;`,
      filename: MAIN,
      files,
      errors: [{ line: 2, column: 3, text: 'ALTER TABLE sessions', message: /Statements after it in this migration that take such a lock too: 2\.$/ }],
      output: `-- add the columns\n  SET lock_timeout = '5s';\n  ${ADD}\nALTER TABLE app.t DROP COLUMN a;\nTRUNCATE sessions;`,
    },
    {
      name: 'a schema/ folder with no migrations/ beside it is a migration history (sqlc + goose layouts)',
      code: '-- +goose Up\nALTER TABLE sessions ENABLE ROW LEVEL SECURITY;',
      filename: 'sql/schema/002_security.sql',
      files: { 'sql/schema/001_tables.sql': SCHEMA },
      errors: [{ line: 2 }],
      output: "-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE sessions ENABLE ROW LEVEL SECURITY;",
    },
    {
      name: 'a migrations/ file altering a table of the baseline schema/ folder',
      code: 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;',
      filename: 'app/migrations/003_rls.sql',
      files: { 'app/schema/001_tables.sql': SCHEMA },
      errors: [{ line: 1, message: /created in app\/schema\/001_tables\.sql/ }],
      output: "SET lock_timeout = '5s';\nALTER TABLE sessions ENABLE ROW LEVEL SECURITY;",
    },
    {
      name: 'a statement that shares its line: the SET goes just before it',
      code: `BEGIN; ${ADD} COMMIT;`,
      filename: MAIN,
      files,
      errors: [{ text: 'ALTER TABLE sessions' }],
      output: `BEGIN; SET lock_timeout = '5s'; ${ADD} COMMIT;`,
    },
    {
      name: 'SET LOCAL ends with its transaction',
      code: `BEGIN;\nSET LOCAL lock_timeout = '2s';\nCOMMIT;\n${ADD}`,
      filename: MAIN,
      files,
      errors: [{ line: 4 }],
      output: `BEGIN;\nSET LOCAL lock_timeout = '2s';\nCOMMIT;\nSET lock_timeout = '5s';\n${ADD}`,
    },
    {
      name: 'zero turns the timeout off',
      code: `SET lock_timeout = 0;\n${ADD}\nALTER TABLE app.t ADD COLUMN b int;`,
      filename: MAIN,
      files,
      errors: [{ line: 2, message: /such a lock too: 1\.$/ }],
      output: `SET lock_timeout = 0;\nSET lock_timeout = '5s';\n${ADD}\nALTER TABLE app.t ADD COLUMN b int;`,
    },
    {
      name: 'RESET turns the timeout off',
      code: `SET lock_timeout = '1s';\nRESET lock_timeout;\n${ADD}`,
      filename: MAIN,
      files,
      errors: [{ line: 3 }],
      output: `SET lock_timeout = '1s';\nRESET lock_timeout;\nSET lock_timeout = '5s';\n${ADD}`,
    },
    {
      name: 'statement_timeout does not count',
      code: `SET statement_timeout = '5s';\n${ADD}`,
      filename: MAIN,
      files,
      errors: [{ line: 2 }],
      output: `SET statement_timeout = '5s';\nSET lock_timeout = '5s';\n${ADD}`,
    },
    {
      name: 'the other ACCESS EXCLUSIVE statements',
      code: 'ALTER TABLE sessions RENAME COLUMN status TO state;',
      filename: MAIN,
      files,
      errors: [{ text: 'ALTER TABLE sessions', message: /^ALTER TABLE … RENAME takes/ }],
      output: "SET lock_timeout = '5s';\nALTER TABLE sessions RENAME COLUMN status TO state;",
    },
    {
      name: 'a table renamed: looked up under its old name, just before the rename',
      code: 'ALTER TABLE sessions RENAME TO sessions_old;',
      filename: MAIN,
      files,
      errors: [{ text: 'ALTER TABLE sessions', message: /table sessions \(created in/ }],
      output: "SET lock_timeout = '5s';\nALTER TABLE sessions RENAME TO sessions_old;",
    },
    {
      code: 'ALTER TABLE app.t SET SCHEMA public;',
      filename: MAIN,
      files,
      errors: [{ text: 'ALTER TABLE app.t', message: /^ALTER TABLE … SET SCHEMA takes .* table app\.t/ }],
      output: "SET lock_timeout = '5s';\nALTER TABLE app.t SET SCHEMA public;",
    },
    {
      code: 'CREATE POLICY p ON sessions USING (tenant_id = 1);',
      filename: MAIN,
      files,
      errors: [{ text: 'CREATE POLICY p ON sessions', message: /^CREATE POLICY takes/ }],
      output: "SET lock_timeout = '5s';\nCREATE POLICY p ON sessions USING (tenant_id = 1);",
    },
    {
      code: 'LOCK TABLE app.t;',
      filename: MAIN,
      files,
      errors: [{ text: 'LOCK TABLE app.t', message: /table app\.t/ }],
      output: "SET lock_timeout = '5s';\nLOCK TABLE app.t;",
    },
    {
      name: 'each Liquibase changeset is its own migration',
      code:
        "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nSET lock_timeout = '1s';\n" +
        '--changeset a:2\nALTER TABLE t ADD COLUMN b int;\n--changeset a:3\nALTER TABLE t ADD COLUMN c int;',
      errors: [{ line: 6 }, { line: 8 }],
      output:
        "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nSET lock_timeout = '1s';\n" +
        "--changeset a:2\nSET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN b int;\n--changeset a:3\nSET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN c int;",
    },
    {
      name: "a host migration's down(): a run of its own, which the SET in up() does not cover",
      code:
        'export class AddNote1700000000000 implements MigrationInterface {\n  async up(queryRunner: QueryRunner) {\n' +
        '    await queryRunner.query("SET lock_timeout = \'1s\'");\n    await queryRunner.query("ALTER TABLE sessions ADD COLUMN note text");\n  }\n' +
        '  async down(queryRunner: QueryRunner) {\n    await queryRunner.query("ALTER TABLE sessions DROP COLUMN note");\n  }\n}\n',
      filename: 'migrations/002_change.ts',
      files,
      errors: [{ line: 7, text: 'ALTER TABLE sessions' }],
      output: null,
    },
    {
      name: 'SQL in a TypeScript migration: no fix (set it on the connection)',
      code: "export const up = (db) => db.query('ALTER TABLE sessions ADD COLUMN note text');",
      filename: 'migrations/002_change.ts',
      files,
      errors: [{ text: 'ALTER TABLE sessions' }],
      output: null,
    },
  ],
});

describe(`${RULE}: the fix runs on PostgreSQL`, () => {
  it.each([ADD, 'ALTER TABLE sessions ALTER COLUMN status SET NOT NULL;', 'TRUNCATE app.t;'])('%s', async (sql) => {
    const r = await db.check({ [INIT]: SCHEMA, [MAIN]: sql }, RULE, { file: MAIN });
    expect(r.fixed.startsWith("SET lock_timeout = '5s';\n")).toBe(true);
    expect(r.how).toBe('executed');
  });
});

/**
 * The rule's lock table against PostgreSQL 15 itself: each statement runs in a transaction on the test server, and
 * the rule fires on it exactly when pg_locks shows an ACCESS EXCLUSIVE lock on its table.
 */
describe(`${RULE}: ACCESS EXCLUSIVE exactly where PostgreSQL 15 takes it (pg_locks)`, () => {
  const PG_SCHEMA =
    'CREATE TABLE p (id int PRIMARY KEY);\n' +
    'CREATE TABLE t (id int PRIMARY KEY, a int, b text, p_id int);\n' +
    'CREATE INDEX t_a ON t (a);\n' +
    'ALTER TABLE t ADD CONSTRAINT t_chk CHECK (a > 0) NOT VALID;\n' +
    'ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (p_id) REFERENCES p (id);\n' +
    'CREATE POLICY pol ON t USING (true);\n' +
    'CREATE TABLE parted (id int, d date) PARTITION BY RANGE (d);\n' +
    "CREATE TABLE part0 PARTITION OF parted FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');\n" +
    'CREATE TABLE part1 (id int, d date);\n';
  const CASES: [string, string][] = [
    ['ALTER TABLE t ADD COLUMN c int', 't'],
    ['ALTER TABLE t ADD COLUMN c int DEFAULT 1', 't'],
    ['ALTER TABLE t DROP COLUMN b', 't'],
    ['ALTER TABLE t ALTER COLUMN b TYPE varchar(10)', 't'],
    ['ALTER TABLE t ALTER COLUMN a SET DEFAULT 1', 't'],
    ['ALTER TABLE t ALTER COLUMN a DROP DEFAULT', 't'],
    ['ALTER TABLE t ALTER COLUMN a SET NOT NULL', 't'],
    ['ALTER TABLE t ALTER COLUMN a DROP NOT NULL', 't'],
    ['ALTER TABLE t ALTER COLUMN a SET STATISTICS 500', 't'],
    ['ALTER TABLE t ALTER COLUMN a SET (n_distinct = 10)', 't'],
    ['ALTER TABLE t ALTER COLUMN a RESET (n_distinct)', 't'],
    ['ALTER TABLE t ALTER COLUMN b SET STORAGE EXTERNAL', 't'],
    ['ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY', 't'],
    ['ALTER TABLE t ADD CONSTRAINT c1 CHECK (a > 0)', 't'],
    ['ALTER TABLE t ADD CONSTRAINT c1 CHECK (a > 0) NOT VALID', 't'],
    ['ALTER TABLE t ADD CONSTRAINT f1 FOREIGN KEY (p_id) REFERENCES p (id)', 't'],
    ['ALTER TABLE t ADD CONSTRAINT f1 FOREIGN KEY (p_id) REFERENCES p (id) NOT VALID', 't'],
    ['ALTER TABLE t ADD CONSTRAINT u1 UNIQUE (a)', 't'],
    ['ALTER TABLE t VALIDATE CONSTRAINT t_chk', 't'],
    ['ALTER TABLE t DROP CONSTRAINT t_chk', 't'],
    ['ALTER TABLE t ALTER CONSTRAINT t_fk DEFERRABLE', 't'],
    ['ALTER TABLE t RENAME CONSTRAINT t_chk TO t_chk2', 't'],
    ['ALTER TABLE t RENAME COLUMN a TO a2', 't'],
    ['ALTER TABLE t RENAME TO t2', 't2'],
    ['ALTER TABLE t CLUSTER ON t_a', 't'],
    ['ALTER TABLE t SET WITHOUT CLUSTER', 't'],
    ['ALTER TABLE t SET (fillfactor = 70)', 't'],
    ['ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 0.01)', 't'],
    ['ALTER TABLE t RESET (fillfactor)', 't'],
    ['ALTER TABLE t SET (user_catalog_table = true)', 't'],
    ['ALTER TABLE t ENABLE ROW LEVEL SECURITY', 't'],
    ['ALTER TABLE t FORCE ROW LEVEL SECURITY', 't'],
    ['ALTER TABLE t REPLICA IDENTITY FULL', 't'],
    ['ALTER TABLE t OWNER TO CURRENT_USER', 't'],
    ['ALTER TABLE t SET UNLOGGED', 't'],
    ['ALTER TABLE t SET TABLESPACE pg_default', 't'],
    ['ALTER TABLE t SET ACCESS METHOD heap', 't'],
    ['ALTER TABLE t INHERIT p', 't'],
    ["ALTER TABLE parted ATTACH PARTITION part1 FOR VALUES FROM ('2001-01-01') TO ('2002-01-01')", 'parted'],
    ['ALTER TABLE parted DETACH PARTITION part0', 'parted'],
    ['ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint', 't'],
    ['CREATE POLICY pol2 ON t USING (true)', 't'],
    ['ALTER POLICY pol ON t USING (false)', 't'],
    ['DROP POLICY pol ON t', 't'],
    ['CREATE RULE r2 AS ON UPDATE TO t DO INSTEAD NOTHING', 't'],
    ['TRUNCATE t CASCADE', 't'],
    ['LOCK TABLE t', 't'],
    ['LOCK TABLE t IN SHARE MODE', 't'],
    ['LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE', 't'],
    ["COMMENT ON TABLE t IS 'x'", 't'],
    ['CREATE INDEX t_b ON t (b)', 't'],
    ['CREATE STATISTICS st ON a, p_id FROM t', 't'],
    ['ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED', 't'],
  ];
  let server: Database;
  const schema = uniqueSchema('pgperf_locks');
  beforeAll(async () => {
    server = await openTestServer();
    await q(server, `CREATE SCHEMA ${schema}; SET search_path = ${schema}; ${PG_SCHEMA}`);
  }, 30_000);
  afterAll(async () => {
    await q(server, `DROP SCHEMA ${schema} CASCADE`);
    await server.close();
  });

  it.each(CASES)('%s', async (sql, table) => {
    const s = await server.session();
    let locked: boolean;
    try {
      await s.query(`BEGIN; SET LOCAL search_path = ${schema}; ${sql};`);
      const r = await s.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation ` +
          `WHERE l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock' AND c.relname = '${table}' AND c.relnamespace = '${schema}'::regnamespace`,
      );
      locked = (r.rows[0] as { n: number }).n > 0;
    } finally {
      await s.query('ROLLBACK').catch(() => undefined);
      await s.release();
    }
    const fired = findings({ [INIT]: PG_SCHEMA, [MAIN]: `${sql};` }, RULE, undefined, MAIN).length > 0;
    expect(fired, `PostgreSQL ${locked ? 'takes' : 'does not take'} ACCESS EXCLUSIVE on ${table}`).toBe(locked);
  });
});

import { describe, expect, it } from 'vitest';
import { dropIndexConcurrently } from '../../server/src/analysis/rules/drop-index-concurrently';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'drop-index-concurrently';
const INIT = 'migrations/001_init.sql';
const SCHEMA =
  'CREATE TABLE sessions (id int PRIMARY KEY, tenant_id int, status text);\n' +
  'CREATE INDEX idx_status ON sessions (status);\nCREATE INDEX idx_tenant ON sessions (tenant_id);\n' +
  'CREATE SCHEMA app;\nCREATE TABLE app.t (a int);\nCREATE INDEX idx_a ON app.t (a);\n' +
  'CREATE TABLE events (id int, at timestamptz) PARTITION BY RANGE (at);\nCREATE INDEX idx_events_at ON events (at);\n';
const files = { [INIT]: SCHEMA };
const MAIN = 'migrations/002_drop.sql';

ruleTester(dropIndexConcurrently, {
  valid: [
    { code: 'DROP INDEX CONCURRENTLY idx_status;', filename: MAIN, files },
    { code: 'DROP INDEX CONCURRENTLY IF EXISTS idx_status;', filename: MAIN, files },
    { name: 'an index the workspace never created', code: 'DROP INDEX idx_unknown;', filename: MAIN, files },
    { name: 'the primary key index (a constraint owns it: DROP INDEX fails either way)', code: 'DROP INDEX sessions_pkey;', filename: MAIN, files },
    { name: 'an index of a table created in the same file', code: 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\nDROP INDEX i;' },
    {
      name: 'an index of a table created by the same migration (another file of the version)',
      code: 'DROP INDEX i;',
      filename: 'migrations/003_b/down.sql',
      files: { 'migrations/003_b/up.sql': 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);' },
    },
    {
      name: 'the same changeset of a Liquibase file',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\nDROP INDEX i;',
    },
    { name: 'a partitioned table (no concurrent drop of a partitioned index)', code: 'DROP INDEX idx_events_at;', filename: MAIN, files },
    { name: 'a table the same migration shows empty', code: 'ALTER TABLE sessions ADD COLUMN x int NOT NULL;\nDROP INDEX idx_status;', filename: MAIN, files },
    { name: 'not an index', code: 'DROP TABLE sessions;', filename: MAIN, files },
    { name: 'in a string', code: "SELECT 'DROP INDEX idx_status';", filename: MAIN, files },
    { name: 'schema-qualified index of another schema', code: 'DROP INDEX idx_a;', filename: MAIN, files },
    // Its DROP TABLE takes the same ACCESS EXCLUSIVE lock: CONCURRENTLY before it would spare no one.
    { name: 'a table the same migration drops afterwards', code: 'DROP INDEX idx_status;\nDROP TABLE public.sessions;', filename: MAIN, files },
    {
      name: 'a db-migrate down() that drops the index, then the table up() created',
      code:
        "exports.up = (db) => db.runSql('CREATE TABLE s (sid varchar PRIMARY KEY, expired timestamptz); CREATE INDEX idx_s ON s (expired);');\n" +
        'exports.down = (db) => db.runSql(`\n  DROP INDEX idx_s;\n  DROP TABLE s;\n`);',
      filename: 'migrations/20210212-add-session.js',
    },
  ],
  invalid: [
    {
      name: 'a later DROP TABLE of another table, or in another changeset, does not stand in for the lock',
      code: '--liquibase formatted sql\n--changeset a:2\nDROP INDEX idx_status;\nDROP TABLE app.t;\n--changeset a:3\nDROP TABLE sessions;',
      filename: MAIN,
      files,
      errors: [{ text: 'DROP INDEX', line: 3 }],
      output: '--liquibase formatted sql\n--changeset a:2\nDROP INDEX CONCURRENTLY idx_status;\nDROP TABLE app.t;\n--changeset a:3\nDROP TABLE sessions;',
    },
    {
      name: 'a db-migrate down() that drops an index of a table it keeps',
      code:
        "exports.up = (db) => db.runSql('CREATE TABLE s (sid varchar PRIMARY KEY, expired timestamptz); CREATE INDEX idx_s ON s (expired);');\n" +
        "exports.down = (db) => db.runSql('DROP INDEX idx_s');",
      filename: 'migrations/20210212-add-session.js',
      errors: [{ text: 'DROP INDEX' }],
      output:
        "exports.up = (db) => db.runSql('CREATE TABLE s (sid varchar PRIMARY KEY, expired timestamptz); CREATE INDEX idx_s ON s (expired);');\n" +
        "exports.down = (db) => db.runSql('DROP INDEX CONCURRENTLY idx_s');",
    },
    {
      code: 'DROP INDEX idx_status;',
      filename: MAIN,
      files,
      errors: [
        {
          text: 'DROP INDEX',
          line: 1,
          column: 1,
          severity: 'warning',
          message: /ACCESS EXCLUSIVE lock on table sessions \(created in migrations\/001_init\.sql\)/,
        },
      ],
      output: 'DROP INDEX CONCURRENTLY idx_status;',
    },
    {
      code: 'drop index if exists app.idx_a restrict;',
      filename: MAIN,
      files,
      errors: [{ text: 'drop index', message: /table app\.t/ }],
      output: 'drop index CONCURRENTLY if exists app.idx_a restrict;',
    },
    {
      name: 'several indexes: one DROP INDEX CONCURRENTLY each',
      code: '-- tidy up\nDROP INDEX IF EXISTS idx_status, idx_tenant;\n',
      filename: MAIN,
      files,
      errors: [{ line: 2, message: /one statement per index/ }],
      output: '-- tidy up\nDROP INDEX CONCURRENTLY IF EXISTS idx_status;\nDROP INDEX CONCURRENTLY IF EXISTS idx_tenant;\n',
    },
    {
      name: 'CASCADE: fires without a fix (CONCURRENTLY refuses CASCADE)',
      code: 'DROP INDEX idx_status CASCADE;',
      filename: MAIN,
      files,
      errors: [{ message: /refuses CASCADE/ }],
      output: null,
    },
    {
      name: 'inside BEGIN … COMMIT: fires without a fix, and says to move it out',
      code: 'BEGIN;\nDROP INDEX idx_status;\nCOMMIT;\nDROP INDEX idx_tenant;',
      filename: MAIN,
      files,
      errors: [{ line: 2, message: /outside the explicit transaction block/ }, { line: 4 }],
      output: 'BEGIN;\nDROP INDEX idx_status;\nCOMMIT;\nDROP INDEX CONCURRENTLY idx_tenant;',
    },
    {
      name: 'a later changeset of a Liquibase file',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\n--changeset a:2\nDROP INDEX i;',
      errors: [{ line: 6 }],
      output: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\n--changeset a:2\nDROP INDEX CONCURRENTLY i;',
    },
    {
      name: 'SQL in a TypeScript migration',
      code: "export const up = (db) => db.query('DROP INDEX idx_status');",
      filename: 'migrations/002_drop.ts',
      files,
      errors: [{ text: 'DROP INDEX' }],
      output: "export const up = (db) => db.query('DROP INDEX CONCURRENTLY idx_status');",
    },
  ],
});

describe(`${RULE}: PostgreSQL`, () => {
  it('refuses DROP INDEX CONCURRENTLY of several indexes, with CASCADE, and on a partitioned index', async () => {
    await expect(db.statement(SCHEMA + 'DROP INDEX CONCURRENTLY idx_status, idx_tenant;', 'DROP INDEX')).rejects.toThrow(/multiple objects/);
    await expect(db.statement(SCHEMA + 'DROP INDEX CONCURRENTLY idx_status CASCADE;', 'DROP INDEX')).rejects.toThrow(/CASCADE/);
    await expect(db.statement(SCHEMA + 'DROP INDEX CONCURRENTLY idx_events_at;', 'DROP INDEX')).rejects.toThrow(/partitioned index/);
  });

  it.each(['DROP INDEX idx_status;', 'DROP INDEX IF EXISTS idx_status, idx_tenant;', 'drop index app.idx_a restrict;'])('the fix of %s runs', async (sql) => {
    const r = await db.check({ [INIT]: SCHEMA, [MAIN]: sql }, RULE, { file: MAIN });
    expect(r.how).toBe('executed');
    expect(r.fixed).toMatch(/CONCURRENTLY/);
  });
});

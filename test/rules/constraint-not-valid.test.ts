import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constraintNotValid } from '../../server/src/analysis/rules/constraint-not-valid';
import { defaultConstraintName } from '../../server/src/analysis/rules/_locking';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'constraint-not-valid';
const INIT = 'migrations/001_init.sql';
const MAIN = 'migrations/002_change.sql';
const SCHEMA =
  'CREATE TABLE tenants (id int PRIMARY KEY);\n' +
  'CREATE TABLE sessions (id int PRIMARY KEY, tenant_id int, status text, starts int, ends int);\n' +
  'CREATE TABLE events (id int, tenant_id int, at timestamptz) PARTITION BY RANGE (at);\n';
const files = { [INIT]: SCHEMA };
const FK = 'ALTER TABLE sessions ADD CONSTRAINT sessions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)';

ruleTester(constraintNotValid, {
  valid: [
    { code: `${FK} NOT VALID;`, filename: MAIN, files },
    { code: "ALTER TABLE sessions ADD CONSTRAINT c CHECK (status <> '') NOT VALID;", filename: MAIN, files },
    { code: 'ALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;', filename: MAIN, files },
    { name: 'a table created in the same file', code: 'CREATE TABLE t (a int);\nALTER TABLE t ADD CHECK (a > 0);' },
    {
      name: 'a table created in the same changeset',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\nALTER TABLE t ADD CHECK (a > 0);',
    },
    { name: 'a table unknown to the workspace', code: 'ALTER TABLE elsewhere ADD CHECK (a > 0);', filename: MAIN, files },
    { name: 'a table the same statement shows empty', code: 'ALTER TABLE sessions ADD COLUMN x int NOT NULL, ADD CHECK (x > 0);', filename: MAIN, files },
    {
      name: 'a foreign key on a partitioned table (NOT VALID refused there)',
      code: 'ALTER TABLE events ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id);',
      filename: MAIN,
      files,
    },
    { name: 'a column constraint of ADD COLUMN', code: 'ALTER TABLE sessions ADD COLUMN owner int REFERENCES tenants (id);', filename: MAIN, files },
    { name: 'UNIQUE is unique-constraint-index’s', code: 'ALTER TABLE sessions ADD UNIQUE (status);', filename: MAIN, files },
    {
      name: 'VALIDATE after the COMMIT of the ADD … NOT VALID',
      code: `BEGIN;\n${FK} NOT VALID;\nCOMMIT;\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;`,
      filename: MAIN,
      files,
    },
    {
      name: 'VALIDATE in a later Liquibase changeset',
      code: `--liquibase formatted sql\n--changeset a:2\n${FK} NOT VALID;\n--changeset a:3\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;`,
      filename: MAIN,
      files,
    },
    {
      name: 'VALIDATE in a Liquibase changeset run without a transaction',
      code: `--liquibase formatted sql\n--changeset a:2 runInTransaction:false\n${FK} NOT VALID;\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;`,
      filename: MAIN,
      files,
    },
    {
      name: 'VALIDATE of another constraint than the one added NOT VALID',
      code: `BEGIN;\n${FK} NOT VALID;\nALTER TABLE sessions VALIDATE CONSTRAINT older_check;\nCOMMIT;`,
      filename: MAIN,
      files,
    },
    {
      name: 'VALIDATE in the same transaction on a table created by this migration',
      code: 'BEGIN;\nCREATE TABLE t (a int);\nALTER TABLE t ADD CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_a_check;\nCOMMIT;',
    },
    { name: 'NOT ENFORCED', code: 'ALTER TABLE sessions ADD CONSTRAINT c CHECK (starts < ends) NOT ENFORCED;', filename: MAIN, files },
  ],
  invalid: [
    {
      code: `${FK};`,
      filename: MAIN,
      files,
      errors: [
        {
          text: 'CONSTRAINT sessions_tenant_fk FOREIGN KEY',
          severity: 'warning',
          message: /SHARE ROW EXCLUSIVE locks on sessions and tenants .*VALIDATE CONSTRAINT sessions_tenant_fk in a separate transaction/,
        },
      ],
      output: `${FK} NOT VALID;\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;`,
    },
    {
      name: 'unnamed CHECK on one column: named as PostgreSQL would (<table>_<column>_check)',
      code: "ALTER TABLE sessions ADD CHECK (status IN ('open', 'closed'));",
      filename: MAIN,
      files,
      errors: [{ text: 'CHECK', message: /ACCESS EXCLUSIVE lock .*VALIDATE CONSTRAINT sessions_status_check/ }],
      output:
        "ALTER TABLE sessions ADD CONSTRAINT sessions_status_check CHECK (status IN ('open', 'closed')) NOT VALID;\n" +
        'ALTER TABLE sessions VALIDATE CONSTRAINT sessions_status_check;',
    },
    {
      name: 'unnamed CHECK on two columns (<table>_check), an unnamed foreign key (<table>_<columns>_fkey), both in one statement',
      code: 'ALTER TABLE ONLY sessions\n  ADD CHECK (starts < ends),\n  ADD FOREIGN KEY (tenant_id) REFERENCES tenants ON DELETE CASCADE DEFERRABLE;',
      filename: MAIN,
      files,
      errors: [
        { line: 2, text: 'CHECK' },
        { line: 3, text: 'FOREIGN KEY' },
      ],
      output:
        'ALTER TABLE ONLY sessions\n  ADD CONSTRAINT sessions_check CHECK (starts < ends) NOT VALID,\n' +
        '  ADD CONSTRAINT sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants ON DELETE CASCADE DEFERRABLE NOT VALID;\n' +
        'ALTER TABLE ONLY sessions VALIDATE CONSTRAINT sessions_check;\nALTER TABLE ONLY sessions VALIDATE CONSTRAINT sessions_tenant_id_fkey;',
    },
    {
      name: 'inside BEGIN … COMMIT: the VALIDATE goes after the COMMIT',
      code: `BEGIN;\n${FK};\nCOMMIT;\n`,
      filename: MAIN,
      files,
      errors: [{ line: 2 }],
      output: `BEGIN;\n${FK} NOT VALID;\nCOMMIT;\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;\n`,
    },
    {
      name: 'a CHECK on a partitioned table (NOT VALID is accepted there)',
      code: 'ALTER TABLE events ADD CONSTRAINT events_tenant CHECK (tenant_id > 0)',
      filename: MAIN,
      files,
      errors: [{ text: 'CONSTRAINT events_tenant CHECK' }],
      output: 'ALTER TABLE events ADD CONSTRAINT events_tenant CHECK (tenant_id > 0) NOT VALID;\nALTER TABLE events VALIDATE CONSTRAINT events_tenant;',
    },
    {
      name: 'a later Liquibase changeset',
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\nALTER TABLE t ADD CHECK (a > 0);',
      errors: [{ line: 5 }],
      output:
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\n' +
        'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID;\n--changeset a:2-validate\nALTER TABLE t VALIDATE CONSTRAINT t_a_check;',
    },
    {
      name: 'a Liquibase changeset with more statements: the VALIDATE goes to a changeset of its own after them',
      code:
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int, b int);\n--changeset bob:add-check labels:x\n' +
        'ALTER TABLE t ADD CHECK (a > 0);\nALTER TABLE t ADD COLUMN c int;\n\n--changeset a:3\nSELECT 1;',
      errors: [{ line: 5 }],
      output:
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int, b int);\n--changeset bob:add-check labels:x\n' +
        'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID;\nALTER TABLE t ADD COLUMN c int;\n--changeset bob:add-check-validate\n' +
        'ALTER TABLE t VALIDATE CONSTRAINT t_a_check;\n\n--changeset a:3\nSELECT 1;',
    },
    {
      name: 'VALIDATE in the same explicit transaction as the ADD … NOT VALID: no gain',
      code: `BEGIN;\n${FK} NOT VALID;\nALTER TABLE sessions VALIDATE CONSTRAINT sessions_tenant_fk;\nCOMMIT;`,
      filename: MAIN,
      files,
      errors: [{ line: 3, text: 'VALIDATE CONSTRAINT', messageId: 'validateInSameTransaction', message: /lock on sessions is held until COMMIT/ }],
      output: null,
    },
    {
      name: 'VALIDATE in the same Liquibase changeset as the ADD … NOT VALID (of an unnamed constraint, by its default name)',
      code:
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\n' +
        'ALTER TABLE t ADD CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_a_check;',
      errors: [{ line: 6, messageId: 'validateInSameTransaction' }],
      output: null,
    },
    {
      name: 'SQL in a TypeScript migration: no fix (the VALIDATE belongs in a later migration)',
      code: `export const up = (db) => db.query('${FK}');`,
      filename: 'migrations/002_change.ts',
      files,
      errors: [{ text: 'CONSTRAINT sessions_tenant_fk FOREIGN KEY' }],
      output: null,
    },
  ],
});

describe(`${RULE}: the fix runs on PostgreSQL`, () => {
  it.each([
    `${FK};`,
    "ALTER TABLE sessions ADD CHECK (status IN ('open', 'closed'));",
    'ALTER TABLE events ADD CONSTRAINT events_tenant CHECK (tenant_id > 0);',
  ])('%s', async (sql) => {
    const r = await db.check({ [INIT]: SCHEMA, [MAIN]: sql }, RULE, { file: MAIN });
    expect(r.how).toBe('executed');
    expect(r.fixed).toMatch(/NOT VALID[\s\S]*VALIDATE CONSTRAINT/);
  });
});

describe(`${RULE}: the fix of two constraints in one statement runs on PostgreSQL`, () => {
  it('both added NOT VALID, both validated', async () => {
    const fixed =
      'ALTER TABLE ONLY sessions\n  ADD CONSTRAINT sessions_check CHECK (starts < ends) NOT VALID,\n' +
      '  ADD CONSTRAINT sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants ON DELETE CASCADE DEFERRABLE NOT VALID;\n' +
      'ALTER TABLE ONLY sessions VALIDATE CONSTRAINT sessions_check;\nALTER TABLE ONLY sessions VALIDATE CONSTRAINT sessions_tenant_id_fkey;';
    const r = await db.statement({ [INIT]: SCHEMA, [MAIN]: fixed }, 'ALTER TABLE ONLY sessions VALIDATE CONSTRAINT sessions_tenant_id_fkey', MAIN);
    expect(r.unchecked).toBeUndefined();
  });
});

describe(`${RULE}: VALIDATE in the transaction of the ADD … NOT VALID still holds the ADD's lock (PGlite pg_locks)`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
  }, 60_000);
  afterAll(async () => {
    await pg.close();
  });
  it('ACCESS EXCLUSIVE on the table while VALIDATE scans; none in a transaction of its own', async () => {
    await pg.exec('CREATE TABLE t (a int); INSERT INTO t SELECT g FROM generate_series(1, 100) g;');
    const held = async () =>
      (
        await pg.query<{ mode: string }>(
          "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 't' AND l.pid = pg_backend_pid()",
        )
      ).rows.map((r) => r.mode);
    await pg.exec('BEGIN; ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT c;');
    expect(await held()).toContain('AccessExclusiveLock');
    await pg.exec('ROLLBACK');
    await pg.exec('ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID');
    await pg.exec('BEGIN');
    await pg.exec('ALTER TABLE t VALIDATE CONSTRAINT c');
    const own = await held();
    await pg.exec('ROLLBACK; DROP TABLE t;');
    expect(own).toContain('ShareUpdateExclusiveLock');
    expect(own).not.toContain('AccessExclusiveLock');
  });
});

describe(`${RULE}: the names PostgreSQL gives unnamed constraints`, () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
  }, 60_000);
  afterAll(async () => {
    await pg.close();
  });
  const LONG = 'a_very_long_table_name_that_goes_on_and_on_and_on_forever_xyz';
  const COL = 'a_very_long_column_name_that_goes_on_and_on';
  it.each([
    ['t', 'CHECK (a > 0)', 'check', ['a']],
    ['t', 'CHECK (a > 0 AND a < 10)', 'check', ['a']],
    ['t', 'CHECK (a > b)', 'check', ['a', 'b']],
    ['t', 'CHECK (true)', 'check', []],
    ['t', 'CHECK ("Odd Col" > 0)', 'check', ['Odd Col']],
    ['t', 'FOREIGN KEY (a, b) REFERENCES p (x, y)', 'fkey', ['a', 'b']],
    [LONG, `CHECK (${COL} > 0)`, 'check', [COL]],
    [LONG, `FOREIGN KEY (${COL}, b) REFERENCES p (x, y)`, 'fkey', [COL, 'b']],
    ['t', 'UNIQUE (a) INCLUDE (b)', 'key', ['a', 'b']],
    [LONG, `UNIQUE (${COL}, b)`, 'key', [COL, 'b']],
    [LONG, 'PRIMARY KEY (a)', 'pkey', []],
  ] as const)('%s ADD %s', async (table, constraint, kind, columns) => {
    await pg.exec(
      `CREATE TABLE p (x int, y int, UNIQUE (x, y)); CREATE TABLE ${table} (a int, b int, "Odd Col" int, ${COL} int);` +
        `ALTER TABLE ${table} ADD ${constraint};`,
    );
    const r = await pg.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conrelid = '${table}'::regclass AND contype <> 'n'`);
    await pg.exec(`DROP TABLE ${table}, p;`);
    expect(r.rows.map((x) => x.conname)).toEqual([defaultConstraintName(table, kind, columns)]);
  });
});

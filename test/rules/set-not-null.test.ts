import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setNotNull } from '../../server/src/analysis/rules/set-not-null';
import { Workspace } from '../../server/src/ide/workspace';
import { findings } from '../helpers';
import { ruleTester } from '../rule-tester';

const RULE = 'set-not-null';
const INIT = 'migrations/001_init.sql';
const MAIN = 'migrations/003_not_null.sql';
const SCHEMA =
  'CREATE TABLE accounts (id int PRIMARY KEY, email text, name text NOT NULL, plan text, amount int, ' +
  'nick text CHECK (nick IS NOT NULL), CONSTRAINT amount_positive CHECK (amount > 0));\n' +
  "CREATE TABLE events (id int, at timestamptz) PARTITION BY RANGE (at);\nCREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
/** The migration between the CREATE and the case. */
const at = (code: string, between = '', name?: string) => ({
  code,
  filename: MAIN,
  files: { [INIT]: SCHEMA, 'migrations/002_between.sql': between },
  ...(name ? { name } : {}),
});

ruleTester(setNotNull, {
  valid: [
    // Already NOT NULL: PostgreSQL does nothing.
    at('ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;'),
    at('ALTER TABLE accounts ALTER COLUMN id SET NOT NULL;'),
    at(
      'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      'set NOT NULL by an earlier migration',
    ),
    // A valid CHECK proves it: no scan (PostgreSQL 12+).
    at('ALTER TABLE accounts ALTER COLUMN nick SET NOT NULL;', '', 'a column CHECK (nick IS NOT NULL) of the CREATE'),
    at(
      'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      'ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL);',
      'a valid CHECK added earlier',
    ),
    at(
      'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\nALTER TABLE accounts DROP CONSTRAINT email_nn;',
      'ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT email_nn;',
      'NOT VALID, then validated, in earlier migrations',
    ),
    at(
      'ALTER TABLE accounts VALIDATE CONSTRAINT email_nn;\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      'ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;',
      'validated earlier in the same migration',
    ),
    at(
      'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      'ALTER TABLE accounts ADD CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_check;',
      'an unnamed CHECK validated by the name PostgreSQL gave it',
    ),
    at(
      'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      'ALTER TABLE accounts ADD CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT some_other_name;',
      'a VALIDATE of a constraint it cannot name',
    ),
    at('ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;', "ALTER TABLE accounts ADD CONSTRAINT k CHECK (email IS NOT NULL AND email <> '');"),
    at(
      'ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;',
      "ALTER TABLE accounts ADD CONSTRAINT k CHECK (COALESCE(plan, '') <> '');",
      'a CHECK that may prove it',
    ),
    at('ALTER TABLE accounts ADD CONSTRAINT k CHECK (email IS NOT NULL), ALTER COLUMN email SET NOT NULL;', '', 'the CHECK added by the same statement'),
    // A column the same statement adds without a default: PostgreSQL rejects the SET NOT NULL unless the table is empty.
    at('ALTER TABLE accounts ADD COLUMN x int, ALTER COLUMN x SET NOT NULL;'),
    // A table this migration creates is empty; one unknown to the workspace is not judged.
    { code: 'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;', filename: MAIN, files: { [INIT]: SCHEMA } },
    at('ALTER TABLE elsewhere ALTER COLUMN a SET NOT NULL;'),
    at('ALTER TABLE accounts ALTER COLUMN nope SET NOT NULL;'),
    // Partitioned tables and partitions: each partition's own constraints decide.
    at('ALTER TABLE events ALTER COLUMN at SET NOT NULL;'),
    at('ALTER TABLE events_2024 ALTER COLUMN id SET NOT NULL;'),
    at('ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;'),
    at('CREATE PROCEDURE tighten() LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE accounts ALTER COLUMN email SET NOT NULL; END $$;', '', 'a routine body'),
    {
      code: 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      filename: 'migrations/003_not_null.down.sql',
      files: { [INIT]: SCHEMA },
      name: 'a down script',
    },
  ],
  invalid: [
    {
      ...at('ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;'),
      errors: [
        {
          text: 'ALTER COLUMN email SET NOT NULL',
          line: 1,
          column: 22,
          severity: 'warning',
          message: /scans all of accounts \(created in migrations\/001_init.sql\)/,
        },
      ],
      output: null,
    },
    {
      ...at('ALTER TABLE accounts ADD COLUMN "Region" text;\nUPDATE accounts SET "Region" = \'eu\';\nALTER TABLE accounts ALTER COLUMN "Region" SET NOT NULL;'),
      errors: [{ line: 3, message: /SET NOT NULL on "Region" .* CHECK \("Region" IS NOT NULL\) NOT VALID/ }],
      name: 'a mixed-case column is quoted in the advice',
    },
    {
      ...at('ALTER TABLE accounts ALTER email SET NOT NULL, ALTER plan SET NOT NULL;'),
      errors: [{ text: 'ALTER email SET NOT NULL' }, { text: 'ALTER plan SET NOT NULL' }],
    },
    {
      ...at('ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;', 'ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;'),
      errors: [{ message: /the CHECK constraint email_nn is NOT VALID/ }],
      name: 'a NOT VALID check, never validated',
    },
    {
      ...at('ALTER TABLE accounts ALTER COLUMN amount SET NOT NULL;'),
      errors: [{ message: /scans all/ }],
      name: 'CHECK (amount > 0) passes on NULL: it proves nothing',
    },
    {
      ...at('ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;', "ALTER TABLE accounts ADD CONSTRAINT k CHECK (plan IN ('free', 'pro') OR plan LIKE 'x%');"),
      errors: [{ message: /scans all/ }],
      name: 'IN, LIKE and OR of strict operators prove nothing',
    },
    {
      ...at(
        'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
        'ALTER TABLE accounts ADD CONSTRAINT email_nn CHECK (email IS NOT NULL);\nALTER TABLE accounts DROP CONSTRAINT email_nn;',
      ),
      errors: [{}],
      name: 'the CHECK was dropped before',
    },
    {
      ...at('ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;', 'ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL;'),
      errors: [{}],
      name: 'NOT NULL dropped by an earlier migration',
    },
    {
      ...at('ALTER TABLE accounts ALTER COLUMN mail SET NOT NULL;', 'ALTER TABLE accounts RENAME COLUMN email TO mail;'),
      errors: [{ text: 'ALTER COLUMN mail SET NOT NULL' }],
      name: 'a column renamed by an earlier migration',
    },
    {
      ...at("ALTER TABLE accounts ADD COLUMN region text;\nUPDATE accounts SET region = 'eu';\nALTER TABLE accounts ALTER COLUMN region SET NOT NULL;"),
      errors: [{ line: 3 }],
      name: 'a column this migration adds and backfills',
    },
    {
      ...at("ALTER TABLE accounts ADD COLUMN region text DEFAULT 'eu', ALTER COLUMN region SET NOT NULL;"),
      errors: [{ text: 'ALTER COLUMN region SET NOT NULL', message: /declare it NOT NULL in the ADD COLUMN/ }],
      name: 'a column the same statement adds with a default',
    },
    {
      ...at("ALTER TABLE accounts ADD COLUMN region text DEFAULT 'eu';\nALTER TABLE accounts ALTER COLUMN region SET NOT NULL;"),
      errors: [{ line: 2, message: /declare it NOT NULL in the ADD COLUMN/ }],
      name: 'a column an earlier statement of the migration adds with a default',
    },
    {
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\nALTER TABLE t ALTER COLUMN a SET NOT NULL;',
      errors: [{ line: 5 }],
      name: 'an earlier changeset of a Liquibase file',
    },
  ],
});

/**
 * What the rule says against what PostgreSQL does: on PGlite, with rows in the table, the statement either scans it
 * (pg_stat_xact_user_tables counts a sequential scan) or proves the column from a valid CHECK and does not.
 */
describe(`${RULE}: a finding is a scan on PostgreSQL`, () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  }, 60_000);
  afterAll(async () => db?.close());

  async function scans(setup: string, alter: string): Promise<boolean> {
    await db.exec(
      `DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, c int, d int NOT NULL); INSERT INTO t SELECT g, g, g FROM generate_series(1, 100) g; ${setup}`,
    );
    // The backend's counts not yet flushed, the set-up's scans included: the statement's are the difference.
    const count = async () =>
      Number((await db.query<{ n: number }>("SELECT seq_scan AS n FROM pg_stat_xact_user_tables WHERE relid = 't'::regclass")).rows[0].n);
    await db.exec('BEGIN');
    try {
      const before = await count();
      await db.exec(alter);
      return (await count()) > before;
    } finally {
      await db.exec('ROLLBACK');
    }
  }

  it.each([
    ['', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c IS NOT NULL)', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c IS NOT NULL) NOT VALID', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT k', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0)', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c IS NOT NULL AND c > 0)', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c IN (1, 2) OR c BETWEEN 3 AND 200)', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL'],
    ['', 'ALTER TABLE t ALTER COLUMN d SET NOT NULL'],
    ['', 'ALTER TABLE t ADD COLUMN e int DEFAULT 0, ALTER COLUMN e SET NOT NULL'],
    ['', 'ALTER TABLE t ADD COLUMN e int NOT NULL DEFAULT 0'],
    ['', 'ALTER TABLE t ALTER COLUMN id SET NOT NULL'],
  ])('%s; %s', async (setup, alter) => {
    const create = 'CREATE TABLE t (id int PRIMARY KEY, c int, d int NOT NULL);';
    const flagged =
      findings(
        { 'migrations/001_init.sql': create, 'migrations/002_setup.sql': setup + ';', 'migrations/003_alter.sql': alter + ';' },
        RULE,
        undefined,
        'migrations/003_alter.sql',
      ).length > 0;
    expect(flagged).toBe(await scans(setup, alter));
  });
});

describe(`${RULE}: in the language server's workspace model`, () => {
  it('an edit of a CHECK in an earlier migration re-lints the SET NOT NULL of a later one', () => {
    const ws = new Workspace();
    const later = 'file:///m/003_not_null.sql';
    ws.update('file:///m/001_init.sql', 'm/001_init.sql', 'CREATE TABLE accounts (id int, email text);');
    ws.update('file:///m/002_check.sql', 'm/002_check.sql', 'ALTER TABLE accounts ADD CONSTRAINT k CHECK (email IS NOT NULL);');
    ws.update(later, 'm/003_not_null.sql', 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;');
    expect(ws.lint(later)!.findings.filter((f) => f.ruleId === RULE)).toEqual([]);
    const before = ws.catalog('m/003_not_null.sql');
    // The same columns, indexes and constraints the catalog keeps; only the CHECK's expression differs.
    ws.update('file:///m/002_check.sql', 'm/002_check.sql', "ALTER TABLE accounts ADD CONSTRAINT k CHECK (email <> '');");
    expect(ws.affectedBy(before, ws.catalog('m/003_not_null.sql'), 'm/003_not_null.sql')).toContain(later);
    expect(ws.lint(later)!.findings.filter((f) => f.ruleId === RULE)).toHaveLength(1);
  });
});

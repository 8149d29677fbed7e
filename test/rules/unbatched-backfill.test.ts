import { describe, expect, it } from 'vitest';
import { unbatchedBackfill } from '../../server/src/analysis/rules/unbatched-backfill';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'unbatched-backfill';
const INIT = 'migrations/001_init.sql';
const MAIN = 'migrations/002_backfill.sql';
const SCHEMA = 'CREATE TABLE accounts (id bigint PRIMARY KEY, plan text, tier text);\nCREATE TABLE audit (id bigint, at timestamptz);';
const files = { [INIT]: SCHEMA };
const later = (code: string, name?: string) => ({ code, filename: MAIN, files, ...(name ? { name } : {}) });

ruleTester(unbatchedBackfill, {
  valid: [
    // A WHERE that may narrow the rows is not judged.
    later("UPDATE accounts SET tier = 'free' WHERE plan = 'free';"),
    later("UPDATE accounts SET tier = 'free' WHERE tier IS NULL;", 'WHERE col IS NULL on a column an earlier migration added'),
    later("ALTER TABLE accounts ADD COLUMN region text;\nUPDATE accounts SET region = 'eu' WHERE region IS NULL AND plan = 'pro';"),
    later("UPDATE accounts SET tier = 'free' WHERE id IN (SELECT id FROM accounts WHERE tier IS NULL LIMIT 10000);", 'a batch'),
    later("DELETE FROM audit WHERE at < now() - interval '90 days';"),
    later(
      "ALTER TABLE accounts ADD COLUMN region text;\nUPDATE accounts SET region = 'us' FROM audit WHERE audit.id = accounts.id;\nUPDATE accounts SET region = 'eu' WHERE region IS NULL;",
      'WHERE col IS NULL after an UPDATE that filled some of the new column',
    ),
    later(
      "ALTER TABLE accounts ADD COLUMN region text DEFAULT 'us';\nUPDATE accounts SET region = 'eu' WHERE region IS NULL;",
      'WHERE col IS NULL on a column added with a default: no row is NULL',
    ),
    later('ALTER TABLE accounts ADD COLUMN n bigserial;\nUPDATE accounts SET n = 0 WHERE n IS NULL;', 'WHERE col IS NULL on a serial column just added'),
    later(
      "ALTER TABLE accounts ADD COLUMN IF NOT EXISTS region text;\nUPDATE accounts SET region = 'eu' WHERE region IS NULL;",
      'ADD COLUMN IF NOT EXISTS may find the column filled',
    ),
    // A table this migration creates is empty; one unknown to the workspace is not judged.
    later("CREATE TABLE plans (id int, name text);\nINSERT INTO plans VALUES (1, 'free');\nUPDATE plans SET name = upper(name);"),
    later('UPDATE elsewhere SET a = 1;'),
    {
      code: 'UPDATE accounts SET tier = plan;',
      filename: 'migrations/002_b.sql',
      files: { 'migrations/002_a.sql': SCHEMA },
      name: 'created by another file of the same version',
    },
    // Not a migration: a query file, a seed, a schema file, a down script or section.
    { code: "UPDATE accounts SET tier = 'free';", filename: 'queries/reset.sql', files },
    { code: "UPDATE accounts SET tier = 'free';", filename: 'seed.sql', files },
    { code: "UPDATE accounts SET tier = 'free';", filename: 'migrations/002_backfill.down.sql', files },
    { code: '-- +goose Up\nSELECT 1;\n-- +goose Down\nUPDATE accounts SET tier = NULL;', filename: MAIN, files, name: 'a goose down section' },
    // A function's body runs when it is called.
    later("CREATE FUNCTION reset_tiers() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE accounts SET tier = 'free'; END $$;"),
    later("DO $$ BEGIN IF true THEN UPDATE accounts SET tier = 'free'; END IF; END $$;", 'inside a DO block: what the block does around it is not read'),
    // The table is created by a later migration, or in another folder (no order between them).
    { code: "UPDATE accounts SET tier = 'free';", filename: 'migrations/000_first.sql', files },
    { code: "UPDATE accounts SET tier = 'free';", filename: 'db/migrate/002_x.sql', files },
    later('SELECT count(*) FROM accounts;'),
  ],
  invalid: [
    {
      ...later("UPDATE accounts SET tier = coalesce(plan, 'free');"),
      errors: [
        {
          text: 'UPDATE accounts',
          line: 1,
          column: 1,
          severity: 'warning',
          message: /UPDATE of every row of accounts \(created in migrations\/001_init.sql\) in one statement/,
        },
      ],
      output: null,
    },
    {
      ...later("ALTER TABLE accounts ADD COLUMN region text;\nUPDATE public.accounts SET region = 'eu' WHERE region IS NULL;"),
      errors: [{ text: 'UPDATE public.accounts', line: 2, message: /WHERE region IS NULL: the column this migration adds/ }],
      name: 'WHERE col IS NULL on the column this migration just added',
    },
    {
      ...later("ALTER TABLE accounts ADD COLUMN region text DEFAULT NULL;\nUPDATE accounts SET region = 'eu' WHERE region IS NULL;"),
      errors: [{ line: 2 }],
      name: 'a column added with DEFAULT NULL is NULL in every row',
    },
    { ...later('DELETE FROM audit;'), errors: [{ text: 'DELETE FROM audit', message: /TRUNCATE/ }] },
    { ...later('UPDATE accounts a SET tier = p.name FROM plans p;'), errors: [{ text: 'UPDATE accounts' }], name: 'UPDATE … FROM with no WHERE' },
    {
      code: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (a int);\n--changeset a:2\nUPDATE t SET a = 0;',
      errors: [{ line: 5 }],
      name: 'an earlier changeset of a Liquibase file',
    },
    {
      code: "-- +goose Up\nUPDATE accounts SET tier = 'free';\n-- +goose Down\nSELECT 1;",
      filename: MAIN,
      files,
      errors: [{ line: 2 }],
      name: 'a goose up section',
    },
    {
      code: "UPDATE accounts SET tier = 'free';",
      filename: 'prisma/migrations/20240102000000_tier/migration.sql',
      files: { 'prisma/migrations/20240101000000_init/migration.sql': SCHEMA },
      errors: [{}],
      name: 'a Prisma migration folder',
    },
    {
      code: 'module.exports = { up: (q) => q.query("UPDATE accounts SET tier = \'free\'") };',
      filename: 'migrations/1700000000001-tier.js',
      files: { 'migrations/1700000000000-init.js': `module.exports = { up: (q) => q.query('${SCHEMA.replace(/\n/g, ' ')}') };` },
      errors: [{ text: 'UPDATE accounts' }],
      name: 'a migration in JavaScript',
    },
  ],
});

describe(`${RULE}: the batched form the docs show runs on PostgreSQL`, () => {
  it('the DO loop updates every row, a batch at a time, and the rule is quiet on it', async () => {
    const rule = unbatchedBackfill.meta.docs.good!;
    const loop = rule.slice(rule.indexOf('DO $$'));
    const r = await db.statement({ [INIT]: SCHEMA, [MAIN]: loop }, 'DO $$', MAIN);
    expect(r.how).toBe('executed');
    expect(r.unchecked).toBeUndefined();
  });
});

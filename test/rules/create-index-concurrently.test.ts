import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings, flagged } from '../helpers';

const db = fixOnDb();

const RULE = 'create-index-concurrently';
const INIT = '001_init.sql';
const SCHEMA =
  'CREATE TABLE sessions (tenant_id int, status text);\nCREATE TABLE app.t (a int);\n' +
  'CREATE TABLE events (id int, at timestamptz) PARTITION BY RANGE (at);\nCREATE TEMP TABLE scratch (a int);';

const withMain = (main: string) => ({ [INIT]: SCHEMA, 'main.sql': main });

describe(RULE, () => {
  it.each([
    ['CREATE INDEX idx_sessions_status ON sessions (tenant_id, status);', 'CREATE INDEX'],
    ['create unique index on sessions (tenant_id);', 'create unique index'],
    ['CREATE INDEX IF NOT EXISTS i ON public.sessions USING btree (status);', 'CREATE INDEX'],
    ['CREATE /* online? */ UNIQUE INDEX i ON sessions (status);', 'CREATE /* online? */ UNIQUE INDEX'],
    ['CREATE INDEX i ON ONLY sessions (status);', 'CREATE INDEX'],
    ['CREATE INDEX i ON app.t (a);', 'CREATE INDEX'],
  ])('fires on %s', (sql, text) => {
    const f = findings(withMain(sql), RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain(INIT);
  });

  it.each([
    'CREATE INDEX CONCURRENTLY i ON sessions (status);',
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON sessions (status);',
    'CREATE INDEX i ON unknown_table (a);',
    // CONCURRENTLY is not supported on a partitioned table.
    'CREATE INDEX i ON events (at);',
    'CREATE INDEX i ON scratch (a);',
    'CREATE TABLE sessions2 (a int);\nCREATE INDEX i ON sessions2 (a);',
    "SELECT 'CREATE INDEX i ON sessions (status)';",
  ])('does not fire on %s', (sql) => {
    expect(findings(withMain(sql), RULE)).toEqual([]);
  });

  it('does not fire on an index in the same file as its table', () => {
    expect(findings('CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);', RULE)).toEqual([]);
    expect(findings(SCHEMA + '\nCREATE INDEX i ON sessions (status);', RULE)).toEqual([]);
  });

  it('schemas: app.t created in another file, public.t in this one', () => {
    const files = {
      'a.sql': 'CREATE TABLE app.t (a int);',
      'main.sql': 'CREATE TABLE t (a int);\nCREATE INDEX i1 ON t (a);\nCREATE INDEX i2 ON app.t (a);\nCREATE INDEX i3 ON public.t (a);',
    };
    const f = findings(files, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].range.start.line).toBe(2);
    expect(f[0].message).toContain('app.t');
  });

  it("follows the search_path to the other file's table", () => {
    const files = {
      'a.sql': 'CREATE TABLE app.t (a int);',
      'main.sql': 'CREATE TABLE t (a int);\nSET search_path = app, public;\nCREATE INDEX i ON t (a);',
    };
    const f = findings(files, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].range.start.line).toBe(2);
  });

  it("a table re-created in this file (CREATE TABLE IF NOT EXISTS) counts as this file's", () => {
    const files = {
      'a.sql': 'CREATE TABLE IF NOT EXISTS t (a int);',
      'main.sql': 'CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX i ON t (a);',
    };
    expect(findings(files, RULE)).toEqual([]);
  });

  it('inside an explicit transaction block: no fix, says to move it out', () => {
    const main = 'BEGIN;\nCREATE INDEX i ON sessions (status);\nCOMMIT;\nCREATE INDEX j ON sessions (tenant_id);';
    const f = findings(withMain(main), RULE);
    expect(f).toHaveLength(2);
    expect(f[0].fix).toBeUndefined();
    expect(f[0].message).toMatch(/outside the explicit transaction block/);
    expect(f[1].fix).toBeDefined();
  });

  it('fix inserts CONCURRENTLY after INDEX', () => {
    expect(applyFix(withMain('CREATE INDEX idx ON sessions (status);'), RULE)).toBe('CREATE INDEX CONCURRENTLY idx ON sessions (status);');
    expect(applyFix(withMain('-- add status index\ncreate unique  index\n  idx ON sessions (status);'), RULE)).toBe(
      '-- add status index\ncreate unique  index CONCURRENTLY\n  idx ON sessions (status);',
    );
  });

  it('fix keeps IF NOT EXISTS after CONCURRENTLY and unnamed indexes valid', () => {
    expect(applyFix(withMain('CREATE INDEX IF NOT EXISTS idx ON sessions (status);'), RULE)).toBe(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx ON sessions (status);',
    );
    expect(applyFix(withMain('CREATE UNIQUE INDEX ON app.t (a);'), RULE)).toBe('CREATE UNIQUE INDEX CONCURRENTLY ON app.t (a);');
  });
});

describe('create-index-concurrently: the migration history', () => {
  const INIT_TABLE = 'CREATE TABLE sessions (tenant_id int, status text);';
  const only = (files: Record<string, string>, file: string) => findings(files, RULE, undefined, file);

  it('fires on a table that exists under a new name (ALTER TABLE … RENAME TO)', () => {
    const files = {
      'm/1_init.sql': INIT_TABLE,
      'm/2_rename.sql': 'ALTER TABLE sessions RENAME TO user_sessions;',
      'm/3_idx.sql': 'CREATE INDEX i ON user_sessions (status);',
    };
    expect(only(files, 'm/3_idx.sql')).toHaveLength(1);
  });

  it('a table created under another name in this migration and renamed (Prisma RedefineTables) is new', () => {
    const files = {
      'p/20240101000000_init/migration.sql': INIT_TABLE,
      'p/20240201000000_redefine/migration.sql':
        'CREATE TABLE "new_sessions" (tenant_id int, status text NOT NULL);\nINSERT INTO "new_sessions" SELECT * FROM sessions;\n' +
        'DROP TABLE sessions;\nALTER TABLE "new_sessions" RENAME TO sessions;\nCREATE INDEX i ON sessions (status);',
    };
    expect(only(files, 'p/20240201000000_redefine/migration.sql')).toEqual([]);
  });

  it('fires on materialized views and CREATE TABLE AS of an earlier migration, not of the same one', () => {
    const mv = 'CREATE TABLE src (id int, n text);\nCREATE MATERIALIZED VIEW stats AS SELECT id, n FROM src;\nCREATE TABLE copy AS SELECT id FROM src;';
    const later = { 'm/1_a.sql': mv, 'm/2_b.sql': 'CREATE INDEX i ON stats (id);\nCREATE INDEX j ON copy (id);' };
    const f = only(later, 'm/2_b.sql');
    expect(f).toHaveLength(2);
    expect(f[0].message).toContain('materialized view stats');
    expect(f[0].message).toContain('REFRESH');
    expect(only({ 'm/1_a.sql': `${mv}\nCREATE INDEX i ON stats (id);\nCREATE INDEX j ON copy (id);` }, 'm/1_a.sql')).toEqual([]);
  });

  it('does not fire on a table created by another file of the same migration version (split *.up.sql files)', () => {
    const files = { 'm/000012_a.up.sql': INIT_TABLE, 'm/000012_b.up.sql': 'CREATE INDEX i ON sessions (status);' };
    expect(only(files, 'm/000012_b.up.sql')).toEqual([]);
    expect(only({ 'm/000012_a.up.sql': INIT_TABLE, 'm/000013_b.up.sql': 'CREATE INDEX i ON sessions (status);' }, 'm/000013_b.up.sql')).toHaveLength(1);
  });

  it('does not fire on a table dropped and re-created by this migration, nor on one created only by a later migration', () => {
    const recreated = { 'm/1_a.sql': INIT_TABLE, 'm/2_b.sql': `DROP TABLE sessions;\n${INIT_TABLE}\nCREATE INDEX i ON sessions (status);` };
    expect(only(recreated, 'm/2_b.sql')).toEqual([]);
    const later = { 'm/V2__idx.sql': 'CREATE INDEX i ON sessions (status);', 'm/V10__init.sql': INIT_TABLE };
    expect(only(later, 'm/V2__idx.sql')).toEqual([]);
  });

  it('a table declared in a schema folder beside the migrations is an existing table, whichever folder sorts first', () => {
    // migrations/ sorts before schema/, but folders have no order between them: the schema file describes the table.
    const files = { 'schema/001_tables.sql': INIT_TABLE, 'migrations/002_idx.sql': 'CREATE INDEX i ON sessions (status);' };
    expect(only(files, 'migrations/002_idx.sql')).toHaveLength(1);
    const db = { 'db/schema.sql': INIT_TABLE, 'app/migrations/0002_idx.sql': 'CREATE INDEX i ON sessions (status);' };
    expect(only(db, 'app/migrations/0002_idx.sql')).toHaveLength(1);
  });

  it('does not fire after ADD COLUMN … NOT NULL without a default in the same migration (the table is empty)', () => {
    const files = { 'm/1_a.sql': INIT_TABLE, 'm/2_b.sql': 'ALTER TABLE sessions ADD COLUMN slug text NOT NULL;\nCREATE UNIQUE INDEX s ON sessions (slug);' };
    expect(only(files, 'm/2_b.sql')).toEqual([]);
    for (const add of ["ADD COLUMN slug text NOT NULL DEFAULT ''", 'ADD COLUMN slug text', 'ADD COLUMN IF NOT EXISTS slug text NOT NULL']) {
      const other = { 'm/1_a.sql': INIT_TABLE, 'm/2_b.sql': `ALTER TABLE sessions ${add};\nCREATE UNIQUE INDEX s ON sessions (slug);` };
      expect(only(other, 'm/2_b.sql'), add).toHaveLength(1);
    }
  });

  it('says nothing after a DO block that names the table (it may convert or re-create it)', () => {
    const files = {
      'm/1_a.sql': 'CREATE TABLE src (id int);\nCREATE MATERIALIZED VIEW stats AS SELECT id FROM src;',
      'm/2_b.sql':
        'DO $$ BEGIN CREATE TABLE stats_t AS SELECT * FROM stats; DROP MATERIALIZED VIEW stats; ALTER TABLE stats_t RENAME TO stats; END $$;\nCREATE INDEX i ON stats (id);',
    };
    expect(only(files, 'm/2_b.sql')).toEqual([]);
  });

  it('Liquibase formatted SQL: an index in a later changeset of the same file fires, in the same changeset it does not', () => {
    const later = `--liquibase formatted sql\n--changeset a:1\n${INIT_TABLE}\n--changeset a:2\nCREATE INDEX i ON sessions (status);`;
    expect(findings(later, RULE)).toHaveLength(1);
    const same = `--liquibase formatted sql\n--changeset a:1\n${INIT_TABLE}\nCREATE INDEX i ON sessions (status);`;
    expect(findings(same, RULE)).toEqual([]);
    // Without the Liquibase header, a changeset-like comment is just a comment: one file, one migration.
    expect(findings(`--changeset a:1\n${INIT_TABLE}\n--changeset a:2\nCREATE INDEX i ON sessions (status);`, RULE)).toEqual([]);
  });
});

describe('create-index-concurrently: the fix runs on PostgreSQL, outside a transaction block', () => {
  // The schema of the tests above, with the schema `app` it uses created, so every table exists on the database;
  // without the temporary table, which outlives the emptying of the database between checks (same session).
  const DB_SCHEMA = `CREATE SCHEMA app;\n${SCHEMA.replace(/\nCREATE TEMP TABLE [^;]*;/, '')}`;
  const onDb = (main: string) => ({ [INIT]: DB_SCHEMA, 'main.sql': main });

  it.each([
    ['CREATE INDEX idx_sessions_status ON sessions (tenant_id, status);', 'CREATE INDEX CONCURRENTLY idx_sessions_status ON sessions (tenant_id, status)'],
    ['create unique index on sessions (tenant_id);', 'create unique index CONCURRENTLY on sessions (tenant_id)'],
    [
      'CREATE INDEX IF NOT EXISTS i ON public.sessions USING btree (status);',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON public.sessions USING btree (status)',
    ],
    ['CREATE /* online? */ UNIQUE INDEX i ON sessions (status);', 'CREATE /* online? */ UNIQUE INDEX CONCURRENTLY i ON sessions (status)'],
    ['CREATE INDEX i ON ONLY sessions (status);', 'CREATE INDEX CONCURRENTLY i ON ONLY sessions (status)'],
    ['CREATE UNIQUE INDEX ON app.t (a);', 'CREATE UNIQUE INDEX CONCURRENTLY ON app.t (a)'],
    ['-- add status index\ncreate unique  index\n  idx ON sessions (status);', 'create unique  index CONCURRENTLY\n  idx ON sessions (status)'],
    ['CREATE INDEX i ON sessions (status) WHERE tenant_id IS NOT NULL;', 'CREATE INDEX CONCURRENTLY i ON sessions (status) WHERE tenant_id IS NOT NULL'],
  ])('%s', async (sql, fixed) => {
    const r = await db.check(onDb(sql), RULE, { file: 'main.sql' });
    expect(r.how).toBe('executed');
    expect(r.statement.trim()).toBe(fixed);
  });

  it('after a COMMIT that closes the transaction block, in the migration history', async () => {
    const main = 'BEGIN;\nALTER TABLE sessions ADD COLUMN note text;\nCOMMIT;\nCREATE INDEX j ON sessions (note);';
    const r = await db.check(onDb(main), RULE, { file: 'main.sql' });
    expect(r.statement).toBe('CREATE INDEX CONCURRENTLY j ON sessions (note)');
  });

  it('on a table renamed by an earlier migration, and on a materialized view', async () => {
    const INIT_TABLE = 'CREATE TABLE sessions (tenant_id int, status text);';
    const renamed = {
      'm/1_init.sql': INIT_TABLE,
      'm/2_rename.sql': 'ALTER TABLE sessions RENAME TO user_sessions;',
      'm/3_idx.sql': 'CREATE INDEX i ON user_sessions (status);',
    };
    expect((await db.check(renamed, RULE, { file: 'm/3_idx.sql' })).fixed).toBe('CREATE INDEX CONCURRENTLY i ON user_sessions (status);');
    const mv = {
      'm/1_a.sql': 'CREATE TABLE src (id int, n text);\nCREATE MATERIALIZED VIEW stats AS SELECT id, n FROM src;',
      'm/2_b.sql': 'CREATE UNIQUE INDEX i ON stats (id);',
    };
    expect((await db.check(mv, RULE, { file: 'm/2_b.sql' })).fixed).toBe('CREATE UNIQUE INDEX CONCURRENTLY i ON stats (id);');
  });

  it('in a later changeset of a Liquibase formatted-SQL file', async () => {
    const sql =
      '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE sessions (tenant_id int, status text);\n--changeset a:2\nCREATE INDEX i ON sessions (status);';
    const r = await db.check(sql, RULE);
    expect(r.fixed).toBe(sql.replace('CREATE INDEX i', 'CREATE INDEX CONCURRENTLY i'));
    expect(r.skipped).toEqual([]);
  });

  it('PostgreSQL refuses the concurrent form on a partitioned table, where the rule stays silent', async () => {
    const files = onDb('CREATE INDEX CONCURRENTLY i ON events (at);');
    expect(findings(onDb('CREATE INDEX i ON events (at);'), RULE)).toEqual([]);
    await expect(db.statement(files, 'CREATE INDEX')).rejects.toThrow(/partitioned table/);
  });
});

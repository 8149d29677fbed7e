/**
 * A role whose search_path puts a hostile schema before pg_catalog: every function, operator and relation
 * pgperf names in its own queries (the lexing check, settings, the probe's catalog walk, the plan's catalog
 * context) must still be pg_catalog's. The hostile copies bump a sequence; it must not move.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../database/connection/postgres';
import type { Database } from '../../database/connection/types';
import { explain, ExplainRefused } from '../../database/explain/run';
import { exec, rows, TEST_DATABASE_URL } from './scenarios';

const tag = `pgperf_sp_${process.pid}`;
const evil = `${tag}_evil`;
const role = `${tag}_role`;
let admin: Database;
let victim: Database;

const bump = `PERFORM pg_catalog.setval('${evil}.hits', pg_catalog.nextval('${evil}.hits') + 100)`;

beforeAll(async () => {
  admin = openPostgres(TEST_DATABASE_URL);
  await exec(admin, [
    `DROP SCHEMA IF EXISTS ${evil} CASCADE`,
    `DROP ROLE IF EXISTS ${role}`,
    `CREATE ROLE ${role} LOGIN`,
    `CREATE SCHEMA ${evil}`,
    `GRANT ALL ON SCHEMA ${evil} TO ${role}`,
    `CREATE SEQUENCE ${evil}.hits`,
    `CREATE TABLE ${evil}.items (id int PRIMARY KEY, name text)`,
    `INSERT INTO ${evil}.items SELECT g, 'n' || g FROM generate_series(1, 50) g`,
    // Shadows of what pgperf's own queries call, each with a side effect.
    `CREATE FUNCTION ${evil}.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN pg_catalog.current_setting($1); END $$`,
    `CREATE FUNCTION ${evil}.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN pg_catalog.set_config($1, $2, $3); END $$`,
    `CREATE FUNCTION ${evil}.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN QUERY SELECT * FROM pg_catalog.unnest($1); END $$`,
    `CREATE FUNCTION ${evil}.name_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN $1 OPERATOR(pg_catalog.=) $2; END $$`,
    `CREATE OPERATOR ${evil}.= (FUNCTION = ${evil}.name_eq, LEFTARG = name, RIGHTARG = name)`,
    `CREATE FUNCTION ${evil}.oid_eq(oid, oid) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN $1 OPERATOR(pg_catalog.=) $2; END $$`,
    `CREATE OPERATOR ${evil}.= (FUNCTION = ${evil}.oid_eq, LEFTARG = oid, RIGHTARG = oid)`,
    `CREATE FUNCTION ${evil}.touch() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN true; END $$`,
    `CREATE VIEW ${evil}.pg_depend AS SELECT * FROM pg_catalog.pg_depend WHERE ${evil}.touch()`,
    `CREATE VIEW ${evil}.pg_class AS SELECT * FROM pg_catalog.pg_class WHERE ${evil}.touch()`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA ${evil} TO ${role}`,
    `GRANT USAGE, UPDATE ON SEQUENCE ${evil}.hits TO ${role}`,
    `ALTER ROLE ${role} SET search_path = ${evil}, pg_catalog`,
  ]);
  const u = new URL(TEST_DATABASE_URL);
  u.username = role;
  victim = openPostgres(u.toString());
}, 60_000);

afterAll(async () => {
  await victim?.close();
  if (!admin) return;
  await exec(admin, [`DROP SCHEMA IF EXISTS ${evil} CASCADE`, `DROP OWNED BY ${role}`, `DROP ROLE IF EXISTS ${role}`]);
  await admin.close();
});

const hits = async () => (await rows(admin, `SELECT last_value::int AS v, is_called FROM ${evil}.hits`))[0];

describe('a search_path that shadows pg_catalog', () => {
  it('the shadows work on a plain session of the role (the attack is real)', async () => {
    const s = await victim.session();
    try {
      const before = await hits();
      await s.query("SELECT current_setting('search_path')");
      expect(await hits()).not.toEqual(before);
    } finally {
      await s.release(true);
    }
  });

  it.each([
    ['plain EXPLAIN', false],
    ['EXPLAIN ANALYZE', true],
  ])('%s of harmless statements calls none of them', async (_what, analyze) => {
    const before = await hits();
    for (const sql of ['SELECT 1 AS one', `SELECT name FROM ${evil}.items WHERE id > 3`, `SELECT count(*) FROM ${evil}.items WHERE id = $1`]) {
      const r = await explain(victim, { sql, analyze, timeoutMs: 10_000, ...(sql.includes('$1') ? { params: ['5'] } : {}) });
      expect(r.tree.nodeType).toBeTruthy();
    }
    // pgperf's own settings go through set_config too.
    await explain(victim, { sql: `SELECT id FROM ${evil}.items`, analyze, timeoutMs: 10_000, settings: { work_mem: '8MB' } });
    expect(await hits()).toEqual(before);
  });

  it("the statement itself still resolves with the role's path, and its shadowed calls ask", async () => {
    const before = await hits();
    await expect(explain(victim, { sql: "SELECT current_setting('work_mem')", analyze: true, timeoutMs: 10_000 })).rejects.toBeInstanceOf(ExplainRefused);
    // VOLATILE, so the planner does not call it: plain EXPLAIN needs no consent, and nothing runs.
    await explain(victim, { sql: "SELECT current_setting('work_mem')", analyze: false, timeoutMs: 10_000 });
    await expect(explain(victim, { sql: 'SELECT relname FROM pg_class LIMIT 1', analyze: true, timeoutMs: 10_000 })).rejects.toBeInstanceOf(ExplainRefused);
    expect(await hits()).toEqual(before);
  });
});

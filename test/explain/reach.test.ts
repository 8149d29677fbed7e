/**
 * What running a statement reaches, resolved by the server (reach.ts), on the PostgreSQL server of the test
 * environment: user functions behind every kind of indirection are found and judged by what they are, not by
 * their volatility label; built-ins stay quiet unless a rollback cannot undo them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../database/connection/postgres';
import type { Database } from '../../database/connection/types';
import { explain, ExplainRefused, type ConfirmRequest } from '../../database/explain/run';
import { exec, TEST_DATABASE_URL } from './scenarios';

const schema = `pgperf_reach_${process.pid}`;
let db: Database;

/** The consent request a statement leads to (undefined: it ran with none); nothing is run. */
async function request(sql: string, analyze = true): Promise<ConfirmRequest | undefined> {
  let asked: ConfirmRequest | undefined;
  await explain(db, { sql, analyze, timeoutMs: 10_000, settings: { search_path: `${schema}, public` }, confirm: async (r) => ((asked = r), false) }).catch(
    (e) => {
      if (!(e instanceof ExplainRefused)) throw e;
    },
  );
  return asked;
}
const all = (r: ConfirmRequest | undefined) => [...(r?.reasons ?? []), ...(r?.irreversible ?? [])].join(' | ');

beforeAll(async () => {
  db = openPostgres(TEST_DATABASE_URL);
  await exec(db, [
    `DROP SCHEMA IF EXISTS ${schema} CASCADE`,
    `CREATE SCHEMA ${schema}`,
    `SET search_path = ${schema}`,
    `CREATE TABLE ${schema}.t (id int PRIMARY KEY, v int, name text)`,
    `CREATE SEQUENCE ${schema}.s`,
    `CREATE FUNCTION ${schema}.evil() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM setval('${schema}.s', 99); RETURN 1; END $$`,
    `CREATE FUNCTION ${schema}.evil2(int, int) RETURNS bool LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN true; END $$`,
    `CREATE FUNCTION ${schema}.sqlsetval() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT setval('${schema}.s', 5) $$`,
    `CREATE FUNCTION ${schema}.atomic_lock() RETURNS void LANGUAGE sql STABLE BEGIN ATOMIC SELECT pg_advisory_lock(1); END`,
    `CREATE FUNCTION ${schema}.plus(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x + 1'`,
    `CREATE FUNCTION ${schema}.nested(x int) RETURNS int LANGUAGE sql STABLE AS $$ SELECT ${schema}.plus(x) + ${schema}.evil() $$`,
    `CREATE OPERATOR ${schema}.=== (FUNCTION = ${schema}.evil2, LEFTARG = int, RIGHTARG = int)`,
    `CREATE VIEW ${schema}.vw AS SELECT id, setval('${schema}.s', 7) AS x FROM ${schema}.t`,
    `CREATE VIEW ${schema}.clean AS SELECT id, lower(name) AS n FROM ${schema}.t`,
    `CREATE FUNCTION ${schema}.random(int) RETURNS int LANGUAGE plpgsql VOLATILE AS $$ BEGIN RETURN 4; END $$`,
    `CREATE TABLE ${schema}.serial_t (id serial PRIMARY KEY, v int)`,
    `CREATE TABLE ${schema}.guarded (id int, owner text)`,
    `ALTER TABLE ${schema}.guarded ENABLE ROW LEVEL SECURITY`,
    `CREATE POLICY p ON ${schema}.guarded USING (${schema}.evil2(id, 1))`,
    `CREATE FUNCTION ${schema}.sfunc(int, int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN $1 + $2; END $$`,
    `CREATE AGGREGATE ${schema}.mysum(int) (SFUNC = ${schema}.sfunc, STYPE = int, INITCOND = '0')`,
    `CREATE DOMAIN ${schema}.checked AS int CHECK (${schema}.evil() > 0)`,
    `CREATE TYPE ${schema}.wrapped AS (x int)`,
    `CREATE FUNCTION ${schema}.to_wrapped(int) RETURNS ${schema}.wrapped LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN ROW($1); END $$`,
    `CREATE CAST (int AS ${schema}.wrapped) WITH FUNCTION ${schema}.to_wrapped(int) AS IMPLICIT`,
    `CREATE FUNCTION ${schema}.est(internal, oid, internal, int) RETURNS float8 LANGUAGE internal VOLATILE AS 'eqsel'`,
    `CREATE FUNCTION ${schema}.cmp(text, text) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2'`,
    `CREATE OPERATOR ${schema}.~~~ (FUNCTION = ${schema}.cmp, LEFTARG = text, RIGHTARG = text, RESTRICT = ${schema}.est)`,
  ]);
}, 60_000);

afterAll(async () => {
  if (!db) return;
  await exec(db, [`DROP SCHEMA IF EXISTS ${schema} CASCADE`]);
  await db.close();
});

describe('what a statement reaches', () => {
  it('built-in reads need no consent, with or without ANALYZE', async () => {
    expect(
      await request(
        "SELECT count(*), lower(name), now(), random(), gen_random_uuid(), date_trunc('day', now()) FROM t WHERE id = 1 OR name LIKE 'x%' GROUP BY name",
      ),
    ).toBeUndefined();
    expect(await request('SELECT n FROM clean ORDER BY random() LIMIT 3')).toBeUndefined();
    expect(await request('SELECT plus(v) FROM t', false)).toBeUndefined();
    expect(await request('SELECT plus(v) FROM t')).toBeUndefined();
  });

  it('an IMMUTABLE plpgsql function asks, even for plain EXPLAIN (constant folding calls it)', async () => {
    expect(all(await request('SELECT evil()', false))).toMatch(new RegExp(`${schema}\\.evil\\(\\), a plpgsql function`));
    expect(all(await request('SELECT evil()'))).toMatch(/evil\(\)/);
  });

  it('follows string-bodied SQL functions, nested', async () => {
    expect((await request('SELECT sqlsetval()'))?.irreversible.join()).toMatch(/setval\(\) changes a sequence/);
    expect(all(await request('SELECT nested(1)'))).toMatch(/evil\(\), a plpgsql function/);
  });

  it('reads BEGIN ATOMIC bodies for the built-ins they call', async () => {
    expect((await request('SELECT atomic_lock()'))?.irreversible.join()).toMatch(/pg_advisory_lock\(\) takes a session-level advisory lock/);
  });

  it('operators and views lead to their functions', async () => {
    expect(all(await request('SELECT 1 OPERATOR(===) 2'))).toMatch(/evil2\(\)/);
    expect((await request('SELECT id FROM vw'))?.irreversible.join()).toMatch(/setval\(\)/);
  });

  it('policies, aggregates, domains, implicit casts and operator estimators lead to their functions', async () => {
    expect(all(await request('SELECT * FROM guarded', false))).toMatch(/evil2\(\)/);
    expect(all(await request('SELECT mysum(v) FROM t'))).toMatch(/sfunc\(\)/);
    expect(all(await request('SELECT 1::checked'))).toMatch(/evil\(\)/);
    expect(all(await request(`SELECT (1::${schema}.wrapped).x`))).toMatch(/to_wrapped\(\)/);
    // A VOLATILE user estimator (a superuser's, pointing at C code): not folded, but the planner calls it.
    expect(all(await request("SELECT * FROM t WHERE name OPERATOR(~~~) 'x'", false))).toMatch(/est\(\)/);
  });

  it('column defaults count for INSERT, not for UPDATE', async () => {
    expect((await request('INSERT INTO serial_t (v) VALUES (1)'))?.irreversible.join()).toMatch(
      /nextval\(\) changes a sequence.*\(called from a column default\)/,
    );
    expect(await request('UPDATE serial_t SET v = 2')).toEqual({ analyze: true, reasons: ['UPDATE modifies rows'], irreversible: [] });
    expect((await request('UPDATE serial_t SET id = DEFAULT'))?.irreversible.join()).toMatch(/nextval/);
  });

  it('a function named like a built-in is judged as what it is', async () => {
    expect(all(await request('SELECT random(3)'))).toMatch(new RegExp(`${schema}\\.random\\(\\), a plpgsql function`));
  });
});

/**
 * EXPLAIN against the PostgreSQL server of the test environment (PGPERF_TEST_DATABASE_URL, default the local
 * server): the plan scenarios, and safety — EXPLAIN ANALYZE of writes leaves the database exactly as it was.
 * An unreachable server fails these tests (never skipped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../database/connection/postgres';
import { DatabaseError, type Database } from '../../database/connection/types';
import { explain, ExplainRefused, ExplainUnsupported, startExplain, type ConfirmRequest, type ExplainOptions } from '../../database/explain/run';
import { classify } from '../../database/explain/safety';
import { exec, planScenarios, rows, TEST_DATABASE_URL } from './scenarios';

const APP = `pgperf_explain_test_${process.pid}`;
function url(): string {
  const u = new URL(TEST_DATABASE_URL);
  u.searchParams.set('application_name', APP);
  return u.toString();
}

planScenarios('the PostgreSQL server', async () => openPostgres(url()), `pgperf_explain_srv_${process.pid}`);

describe('EXPLAIN ANALYZE safety on the PostgreSQL server', () => {
  const schema = `pgperf_explain_safety_${process.pid}`;
  let db: Database;
  const opts = (sql: string, extra: Partial<ExplainOptions> = {}): ExplainOptions => ({
    sql,
    analyze: true,
    timeoutMs: 10_000,
    settings: { search_path: schema },
    ...extra,
  });
  const yes = async () => true;

  /** Everything a write could change: the relations of the schema (with their files) and the table contents. */
  async function snapshot() {
    return {
      relations: await rows(
        db,
        `SELECT c.relname, c.relkind, c.relfilenode::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 ORDER BY c.relname`,
        [schema],
      ),
      victims: await rows(db, `SELECT count(*)::int AS n, sum(v)::int AS sum, max(id)::int AS max FROM ${schema}.victims`),
      log: await rows(db, `SELECT count(*)::int AS n FROM ${schema}.log`),
    };
  }

  beforeAll(async () => {
    db = openPostgres(url());
    await exec(db, [
      `DROP SCHEMA IF EXISTS ${schema} CASCADE`,
      `CREATE SCHEMA ${schema}`,
      `CREATE TABLE ${schema}.victims (id serial PRIMARY KEY, v int NOT NULL)`,
      `INSERT INTO ${schema}.victims (v) SELECT g FROM generate_series(1, 100) g`,
      `CREATE TABLE ${schema}.log (at timestamptz DEFAULT now())`,
      `CREATE FUNCTION ${schema}.bump() RETURNS int LANGUAGE sql VOLATILE AS 'INSERT INTO ${schema}.log DEFAULT VALUES RETURNING 1'`,
      `CREATE FUNCTION ${schema}.pure(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x + 1'`,
    ]);
  }, 60_000);

  afterAll(async () => {
    if (!db) return;
    await exec(db, [`DROP SCHEMA IF EXISTS ${schema} CASCADE`]);
    await db.close();
  });

  it.each([
    ['INSERT', 'INSERT INTO victims (v) SELECT g FROM generate_series(1, 1000) g', 'Insert on victims'],
    ['UPDATE', 'UPDATE victims SET v = v + 1', 'Update on victims'],
    ['DELETE', 'DELETE FROM victims WHERE id > 10', 'Delete on victims'],
    ['CREATE TABLE AS', 'CREATE TABLE copy AS SELECT * FROM victims', 'Seq Scan on victims'],
    ['SELECT INTO', 'SELECT * INTO copy2 FROM victims', 'Seq Scan on victims'],
    ['a data-modifying WITH', 'WITH d AS (DELETE FROM victims RETURNING *) SELECT count(*) FROM d', 'Aggregate'],
    ['a volatile function', 'SELECT bump() FROM generate_series(1, 5)', 'Function Scan on generate_series'],
  ])('%s: refused without confirm; with it, executed and rolled back', async (_what, sql, root) => {
    const before = await snapshot();
    await expect(explain(db, opts(sql))).rejects.toBeInstanceOf(ExplainRefused);
    let asked: string[] = [];
    await expect(explain(db, opts(sql, { confirm: async (r) => ((asked = [...r.reasons, ...r.irreversible]), false) }))).rejects.toThrow(/nothing was run/);
    expect(asked.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
    const r = await explain(db, opts(sql, { confirm: yes }));
    expect(r.analyzed).toBe(true);
    expect(r.tree.label).toBe(root);
    expect(r.consented).toBeDefined();
    const after = await snapshot();
    // Sequences are not transactional: an INSERT into a serial column uses up ids (reported as irreversible).
    if (_what === 'INSERT') expect(asked.join(' ')).toMatch(/nextval\(\) changes a sequence/);
    expect(after).toEqual(before);
  });

  it.each([
    ['CREATE TABLE', 'CREATE TABLE made_here (id int)'],
    ['DROP TABLE', 'DROP TABLE victims'],
    ['TRUNCATE', 'TRUNCATE victims'],
    ['two statements', 'SELECT 1; DELETE FROM victims'],
  ])('%s: EXPLAIN cannot run it; nothing is sent, nothing changes', async (_what, sql) => {
    const before = await snapshot();
    await expect(explain(db, opts(sql, { confirm: yes }))).rejects.toBeInstanceOf(ExplainUnsupported);
    expect(await snapshot()).toEqual(before);
  });

  it('plain EXPLAIN of a write runs nothing and needs no confirmation', async () => {
    const before = await snapshot();
    const r = await explain(db, opts('DELETE FROM victims', { analyze: false }));
    expect(r.analyzed).toBe(false);
    expect(r.tree.label).toBe('Delete on victims');
    expect(await snapshot()).toEqual(before);
  });

  it('consent: reads stay reads (SQL functions looked into, random()), volatile and unknown ones ask', async () => {
    const asked = async (sql: string, analyze = true) => {
      let request: ConfirmRequest | undefined;
      await explain(db, opts(sql, { analyze, confirm: async (r) => ((request = r), false) })).catch((e) => {
        if (!(e instanceof ExplainRefused)) throw e;
      });
      return request;
    };
    expect(await asked("SELECT pure(v), random(), now(), lower('X') FROM victims ORDER BY 1")).toBeUndefined();
    expect((await asked('SELECT bump()'))?.reasons).toEqual([`${schema}.bump() runs INSERT (rolled back)`]);
    expect((await asked(`SELECT ${schema}.bump()`))?.reasons).toEqual([`${schema}.bump() runs INSERT (rolled back)`]);
    expect(await asked('SELECT bump()', false)).toBeUndefined(); // a VOLATILE function is not called while planning
    await expect(explain(db, opts('SELECT no_such_fn()'))).rejects.toMatchObject({ kind: 'sql', code: '42883' });
    expect((await asked('SELECT * FROM victims FOR UPDATE'))?.reasons).toEqual(['FOR UPDATE/SHARE locks the rows it reads']);
    expect(await classify('SELECT * FROM victims WHERE id = $2')).toMatchObject({ writes: false, maxParam: 2, explainable: true });
  });

  it('a statement over statement_timeout: a clear error, and the session is rolled back', async () => {
    const before = await snapshot();
    const started = Date.now();
    const err = await explain(db, opts('SELECT bump(), pg_sleep(3)', { timeoutMs: 200, confirm: yes })).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/^the statement ran longer than statement_timeout \(200 ms\) and was stopped; nothing was changed \(rolled back\)/);
    expect(await snapshot()).toEqual(before);
    // No connection of this test was left inside a transaction, and SET LOCAL did not leak.
    expect(await rows(db, "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'", [APP])).toEqual([]);
    expect(await rows(db, "SELECT current_setting('statement_timeout') AS t")).toEqual([{ t: '0' }]);
    const again = await explain(db, opts('SELECT count(*) FROM victims'));
    expect(again.tree.actualRows).toBe(1);
  });

  it('an SQL error mid-run: rolled back, the next run works', async () => {
    const before = await snapshot();
    await expect(explain(db, opts('UPDATE victims SET v = v / (id - id)', { confirm: yes }))).rejects.toMatchObject({ kind: 'sql', code: '22012' });
    expect(await snapshot()).toEqual(before);
    expect(await rows(db, "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'", [APP])).toEqual([]);
  });

  it('the cancel handle stops a running EXPLAIN ANALYZE (pg_cancel_backend) and rolls back', async () => {
    const before = await snapshot();
    const started = Date.now();
    const handle = startExplain(db, opts('SELECT bump(), pg_sleep(5)', { confirm: yes }));
    await new Promise((r) => setTimeout(r, 400));
    await handle.cancel();
    const err = await handle.result.catch((e) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err.kind).toBe('cancelled');
    expect(err.message).toBe('EXPLAIN was cancelled; nothing was changed (rolled back)');
    expect(await snapshot()).toEqual(before);
  });

  it('an AbortSignal cancels too', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(explain(db, opts('SELECT pg_sleep(5)', { signal: ac.signal }))).rejects.toMatchObject({ kind: 'cancelled' });
  });
});

/**
 * What-if indexes with HypoPG against the real PostgreSQL of the test environment (PGPERF_TEST_DATABASE_URL; an
 * unreachable server fails, never skips). The setup makes a scratch database of its own (dropped in afterAll):
 * without hypopg first, for the "not created" answer, then with `CREATE EXTENSION hypopg`, so the run needs nothing
 * of the shared test database but the installed package. On 100,000-row tables the suggested indexes of
 * missing-index, fk-without-index and split-tenant-indexes lower the planner's cost and are in the plan;
 * afterwards the session holds no hypothetical index and no prepared statement, pg_class is unchanged, and
 * hostile names harmed nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../database/connection/postgres';
import { quoteIdent } from '../../database/connection/quote';
import type { Database } from '../../database/connection/types';
import { whatIfCases } from '../../database/whatif/cases';
import { hypopgMissingText, runWhatIf, whatIfOnSession, type WhatIfResult } from '../../database/whatif/run';
import { lintSources } from '../../server/src/analysis/index';
import { parseSqlForExplain } from '../../server/src/analysis/pg';
import { openTestServer, q, TEST_URL, uniqueSchema } from '../db/helpers';

const dbName = `pgperf_whatif_${process.pid}_${randomBytes(4).toString('hex')}`;
const schema = uniqueSchema('pgperf_whatif');
/** A table name that, pasted into SQL unquoted, would end the statement and drop the victim table. */
const EVIL = `evil"; DROP TABLE ${schema}.victim; --`;
const evil = `${schema}.${quoteIdent(EVIL)}`;

let admin: Database;
let db: Database;

function urlOf(database: string): string {
  const u = new URL(TEST_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The workspace the linter reads: the tables as the server has them, and the queries of the application. */
const WORKSPACE = [
  `CREATE TABLE ${schema}.orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL, note text);`,
  `CREATE TABLE ${schema}.accounts (id bigint PRIMARY KEY, name text);`,
  `CREATE TABLE ${schema}.invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES ${schema}.accounts (id), total int);`,
  `CREATE TABLE ${evil} (id bigint PRIMARY KEY, customer_id bigint NOT NULL, account_id bigint NOT NULL REFERENCES ${schema}.accounts (id));`,
  `SELECT id, created_at FROM ${schema}.orders WHERE customer_id = $1;`,
  `SELECT id FROM ${evil} WHERE customer_id = $1;`,
  '',
].join('\n');

beforeAll(async () => {
  admin = await openTestServer();
  await q(admin, `CREATE DATABASE ${quoteIdent(dbName)}`);
  db = openPostgres(urlOf(dbName));
  await q(db, `CREATE SCHEMA ${schema}`);
  for (const st of WORKSPACE.split('\n').filter((l) => l.startsWith('CREATE TABLE'))) await q(db, st);
  await q(db, `CREATE TABLE ${schema}.victim (id int)`);
  await q(db, `INSERT INTO ${schema}.orders SELECT g, g % 5000, now() - g * interval '1 minute', 'n' FROM generate_series(1, 100000) g`);
  await q(db, `INSERT INTO ${schema}.accounts SELECT g, 'a' || g FROM generate_series(1, 10000) g`);
  await q(db, `INSERT INTO ${schema}.invoices SELECT g, 1 + g % 10000, g % 997 FROM generate_series(1, 100000) g`);
  await q(db, `INSERT INTO ${evil} SELECT g, g % 5000, 1 + g % 10000 FROM generate_series(1, 100000) g`);
  await q(db, `ANALYZE`);
}, 120_000);

afterAll(async () => {
  await db?.close().catch(() => undefined);
  if (admin) {
    await q(admin, `DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
    await admin.close();
  }
});

function derived() {
  const lint = lintSources([{ path: 'app/queries.sql', text: WORKSPACE }], undefined, undefined, { fixes: true });
  return whatIfCases(lint.files, parseSqlForExplain);
}

const show = (r: WhatIfResult) =>
  `${r.case.finding.ruleId} line ${r.case.line}: ${r.before?.toFixed(2)} → ${r.after?.toFixed(2)} (×${r.ratio?.toFixed(4)}), uses ${r.hypotheticalIndex}: ${r.usesIndex}`;

describe('what-if with HypoPG on PostgreSQL', () => {
  it('without the extension created: says CREATE EXTENSION hypopg is needed, and runs nothing', async () => {
    const { rows } = await q(db, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'hypopg'`);
    expect(rows[0].n).toBe(0);
    const { cases } = derived();
    expect(cases.length).toBeGreaterThan(0);
    const report = await runWhatIf(db, cases, []);
    expect(report.results).toEqual([]);
    expect(report.hypopg).toMatchObject({ available: false, state: 'not-created' });
    expect(!report.hypopg.available && report.hypopg.reason).toMatch(/CREATE EXTENSION hypopg/);
    // Nothing was created for the user.
    expect((await q(db, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'hypopg'`)).rows[0].n).toBe(0);
  });

  it('a server without the package: how to get it, for its major version', () => {
    const text = hypopgMissingText('not-installed', 15);
    expect(text).toContain('apt install postgresql-15-hypopg');
    expect(text).toContain('https://github.com/HypoPG/hypopg');
    expect(hypopgMissingText('embedded')).toMatch(/PGlite\) has no hypopg/);
  });

  it('the suggested indexes lower the cost and are in the plan; nothing is left behind', async () => {
    await q(db, 'CREATE EXTENSION hypopg');
    const { cases, skipped } = derived();
    expect(skipped).toEqual([]);
    const rules = cases.map((c) => c.finding.ruleId).sort();
    expect(rules).toEqual(['fk-without-index', 'fk-without-index', 'missing-index', 'missing-index']);

    const classesBefore = (await q(db, 'SELECT count(*)::int AS n FROM pg_class')).rows[0].n;
    const s = await db.session();
    try {
      const pid = (await s.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const { hypopg, results } = await whatIfOnSession(s, cases);
      expect(hypopg).toMatchObject({ available: true, version: '1.3.1' });
      for (const r of results) console.log(`what-if: ${show(r)}\n  ${r.case.index}\n  ${r.case.query}`);
      expect(results.map((r) => r.status)).toEqual(['measured', 'measured', 'measured', 'measured']);
      for (const r of results) {
        expect(r.after!).toBeLessThan(r.before!);
        expect(r.usesIndex).toBe(true);
        expect(r.hypotheticalIndex).toMatch(/^<\d+>btree_/);
      }
      // The same backend (hypothetical indexes and prepared statements are per backend): nothing of the run remains.
      expect((await s.query('SELECT pg_backend_pid() AS pid')).rows[0].pid).toBe(pid);
      expect((await s.query('SELECT count(*)::int AS n FROM hypopg_list_indexes')).rows[0].n).toBe(0);
      expect((await s.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n).toBe(0);
      expect((await s.query('SELECT now() = statement_timestamp() AS idle')).rows[0].idle).toBe(true);
    } finally {
      await s.release();
    }
    expect((await q(db, 'SELECT count(*)::int AS n FROM pg_class')).rows[0].n).toBe(classesBefore);
    expect(
      (
        await q(
          db,
          `SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
          [schema],
        )
      ).rows[0].n,
    ).toBe(4);
  });

  it('a hostile table name is only ever a quoted name: the victim table and the data are intact', async () => {
    const { cases } = derived();
    const hostile = cases.filter((c) => c.index.includes('DROP TABLE'));
    expect(hostile.map((c) => c.finding.ruleId).sort()).toEqual(['fk-without-index', 'missing-index']);
    const report = await runWhatIf(db, hostile, []);
    for (const r of report.results) console.log(`what-if (hostile name): ${show(r)}`);
    expect(report.results.map((r) => [r.status, r.usesIndex])).toEqual([
      ['measured', true],
      ['measured', true],
    ]);
    expect((await q(db, `SELECT to_regclass($1) IS NOT NULL AS here`, [`${schema}.victim`])).rows[0].here).toBe(true);
    expect((await q(db, `SELECT count(*)::int AS n FROM ${evil}`)).rows[0].n).toBe(100000);
  });

  it('split-tenant-indexes: (tenant_id, status) beats the index on status alone for the tenant query', async () => {
    // The workspace forces RLS (the rule's premise); on the server the query carries tenant_id itself.
    const sessions = `${schema}.sessions`;
    const workspace =
      `CREATE TABLE ${sessions} (tenant_id int NOT NULL, session_id uuid, status text);\n` +
      `ALTER TABLE ${sessions} ENABLE ROW LEVEL SECURITY;\nALTER TABLE ${sessions} FORCE ROW LEVEL SECURITY;\n` +
      `CREATE POLICY tenant_isolation ON ${sessions} USING (tenant_id = current_setting('app.current_tenant_id')::int);\n` +
      `CREATE INDEX idx_sessions_status ON ${sessions} (status);\n`;
    await q(db, `CREATE TABLE ${sessions} (tenant_id int NOT NULL, session_id uuid, status text)`);
    await q(db, `INSERT INTO ${sessions} SELECT g % 200, gen_random_uuid(), 's' || (g % 10) FROM generate_series(1, 100000) g`);
    await q(db, `CREATE INDEX idx_sessions_status ON ${sessions} (status)`);
    await q(db, `ANALYZE ${sessions}`);
    const lint = lintSources([{ path: 'app/sessions.sql', text: workspace }], undefined, undefined, { fixes: true });
    const { cases } = whatIfCases(lint.files, parseSqlForExplain);
    expect(cases.map((c) => c.finding.ruleId)).toEqual(['split-tenant-indexes']);
    const [r] = (await runWhatIf(db, cases, [])).results;
    console.log(`what-if: ${show(r)}\n  ${r.case.index}\n  ${r.case.query}`);
    expect(r).toMatchObject({ status: 'measured', usesIndex: true });
    expect(r.after!).toBeLessThan(r.before!);
  });

  it('a case the server refuses fails alone; the next one still runs on a clean session', async () => {
    const { cases } = derived();
    const good = cases.find((c) => c.finding.ruleId === 'missing-index' && !c.index.includes('DROP'))!;
    const broken = { ...good, index: good.index.replace('(customer_id)', '(no_such_column)') };
    // Prepared, then refused at EXPLAIN EXECUTE (NULL is no value of a NOT NULL domain): the clean-up deallocates it.
    await q(db, `CREATE DOMAIN ${schema}.nn AS bigint NOT NULL`);
    const unplannable = { ...good, query: `SELECT id FROM ${schema}.orders WHERE customer_id = $1::${schema}.nn` };
    const s = await db.session();
    try {
      const { results } = await whatIfOnSession(s, [broken, unplannable, good]);
      expect(results[0]).toMatchObject({ status: 'failed' });
      expect(results[0].reason).toMatch(/no_such_column/);
      expect(results[1]).toMatchObject({ status: 'failed' });
      expect(results[1].reason).toMatch(/does not allow null values/);
      expect(results[2]).toMatchObject({ status: 'measured', usesIndex: true });
      expect((await s.query('SELECT count(*)::int AS n FROM hypopg_list_indexes')).rows[0].n).toBe(0);
      expect((await s.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n).toBe(0);
    } finally {
      await s.release();
    }
  });
});

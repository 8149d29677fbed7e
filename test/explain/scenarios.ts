/**
 * The EXPLAIN scenarios run against both the PostgreSQL server and embedded PGlite (server.test.ts,
 * embedded.test.ts): a scratch schema per file, real plans, the expected findings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../database/connection/types';
import { explain, type ExplainOptions, type ExplainResult } from '../../database/explain/run';

export { TEST_URL as TEST_DATABASE_URL } from '../db/helpers';

export async function exec(db: Database, statements: string[]): Promise<void> {
  const s = await db.session();
  try {
    for (const sql of statements) await s.query(sql);
  } finally {
    await s.release();
  }
}

export async function rows(db: Database, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
  const s = await db.session();
  try {
    return (await s.query(sql, params)).rows;
  } finally {
    await s.release();
  }
}

function setupSql(schema: string, events = 50_000): string[] {
  return [
    `DROP SCHEMA IF EXISTS ${schema} CASCADE`,
    `CREATE SCHEMA ${schema}`,
    `CREATE TABLE ${schema}.events (id bigint PRIMARY KEY, tenant_id int NOT NULL, kind text NOT NULL, ts timestamptz NOT NULL, payload text)`,
    `INSERT INTO ${schema}.events SELECT g, g % 100, CASE WHEN g % 1000 = 0 THEN 'rare' ELSE 'common' END,
       timestamptz '2025-01-01' + g * interval '1 minute', md5(g::text) FROM generate_series(1, ${events}) g`,
    `CREATE TABLE ${schema}.event_log (tenant_id int NOT NULL, ts timestamptz NOT NULL, event_type text NOT NULL, body text) PARTITION BY RANGE (ts)`,
    ...Array.from({ length: 12 }, (_, m) => {
      const from = `2025-${String(m + 1).padStart(2, '0')}-01`;
      const to = m === 11 ? '2026-01-01' : `2025-${String(m + 2).padStart(2, '0')}-01`;
      return `CREATE TABLE ${schema}.event_log_2025_${String(m + 1).padStart(2, '0')} PARTITION OF ${schema}.event_log FOR VALUES FROM ('${from}') TO ('${to}')`;
    }),
    `INSERT INTO ${schema}.event_log SELECT g % 50, timestamptz '2025-01-01' + (g % 365) * interval '1 day',
       CASE WHEN g % 97 = 0 THEN 'agent.state_changed' ELSE 'tick' END, md5(g::text) FROM generate_series(1, 24000) g`,
    `ANALYZE ${schema}.events`,
    `ANALYZE ${schema}.event_log`,
  ];
}

/** The scenarios of the issue: seq scan, index scan, partitions with and without pruning, a spilling sort. */
export function planScenarios(name: string, open: () => Promise<Database>, schema: string): void {
  describe(`EXPLAIN ANALYZE scenarios on ${name}`, () => {
    let db: Database;
    const run = (sql: string, extra: Partial<ExplainOptions> = {}): Promise<ExplainResult> =>
      explain(db, { sql, analyze: true, timeoutMs: 20_000, settings: { search_path: schema }, ...extra });

    beforeAll(async () => {
      db = await open();
      await exec(db, setupSql(schema));
    }, 120_000);

    afterAll(async () => {
      if (!db) return;
      await exec(db, [`DROP SCHEMA IF EXISTS ${schema} CASCADE`]);
      await db.close();
    });

    it('a sequential scan that filters out most rows', async () => {
      const r = await run("SELECT * FROM events e WHERE kind = 'rare'");
      expect(r.database).toBe(db.label);
      expect(r.analyzed).toBe(true);
      expect(r.tree.label).toBe('Seq Scan on events e');
      expect(r.tree.actualRows).toBe(50);
      expect(r.executionMs).toBeGreaterThan(0);
      expect(r.findings.map((f) => [f.rule, f.node])).toEqual([['seq-scan-filter', 'Seq Scan on events e']]);
      expect(r.findings[0].message).toContain('read 50,000 rows and its filter removed 49,950 (99.9 %)');
    });

    it('an index scan: no finding', async () => {
      const r = await run('SELECT * FROM events WHERE id = 42');
      expect(r.tree.nodeType).toBe('Index Scan');
      expect(r.tree.index).toBe('events_pkey');
      expect(r.tree.actualRows).toBe(1);
      expect(r.findings).toEqual([]);
    });

    it('a partitioned table without a range on the key: all 12 partitions, a finding naming the key', async () => {
      const r = await run("SELECT count(*) FROM event_log WHERE event_type = 'agent.state_changed'");
      const append = r.nodes.find((n) => n.nodeType === 'Append')!;
      expect(append.children).toHaveLength(12);
      const f = r.findings.find((x) => x.rule === 'partitions-not-pruned');
      expect(f).toMatchObject({ node: 'Append', nodeId: append.id });
      expect(f!.message).toContain('scans all 12 partitions of event_log: there is no predicate on the partition key (ts)');
    });

    it('a partitioned table with a range on the key: pruned to one partition, no pruning finding', async () => {
      const r = await run("SELECT count(*) FROM event_log WHERE ts >= '2025-01-01' AND ts < '2025-02-01' AND event_type = 'agent.state_changed'");
      const scans = r.nodes.filter((n) => n.relation);
      expect(scans.map((n) => n.relation)).toEqual(['event_log_2025_01']);
      expect(r.findings.filter((x) => x.rule === 'partitions-not-pruned')).toEqual([]);
    });

    it('a sort that spills with work_mem = 64kB', async () => {
      const r = await run('SELECT * FROM events ORDER BY payload', { settings: { search_path: schema, work_mem: '64kB' } });
      const sort = r.nodes.find((n) => n.nodeType === 'Sort')!;
      expect(String(sort.raw['Sort Method'])).toMatch(/^external/);
      expect(r.findings.map((f) => f.rule)).toContain('sort-spill');
    });

    it('parameters: values are sent as query parameters; without values, the generic plan', async () => {
      const withValue = await run('SELECT * FROM events WHERE id = $1', { params: [42] });
      expect(withValue.analyzed).toBe(true);
      expect(withValue.tree.actualRows).toBe(1);
      const generic = await run('SELECT * FROM events WHERE id = $1');
      expect(generic.analyzed).toBe(false);
      expect(generic.generic).toBe(true);
      expect(generic.tree.label).toBe('Index Scan using events_pkey on events');
      expect(generic.warnings).toEqual(['ANALYZE needs values for $1…$1: showing the generic plan instead (not executed)']);
      // Before 16 the generic plan comes from PREPARE: it must not outlive the call.
      expect(await rows(db, 'SELECT count(*)::int AS n FROM pg_prepared_statements')).toEqual([{ n: 0 }]);
    });
  });
}

/**
 * The health checks on the embedded PGlite database: the catalog checks run (pgvector's HNSW size among them,
 * since PGlite has pgvector and the PostgreSQL 15 of health.test.ts does not), the rest say why they are skipped;
 * and `pgperf health` without DATABASE_URL loads the current folder's DDL first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { type EmbeddedDatabase, openEmbedded } from '../../database/connection/embedded';
import { HEALTH_CHECKS } from '../../database/health/registry';
import { runHealth } from '../../database/health/run';
import { q } from '../db/helpers';

let db: EmbeddedDatabase;

beforeAll(async () => {
  db = await openEmbedded();
  await q(db, 'CREATE EXTENSION vector');
  await q(db, 'CREATE TABLE items (id int PRIMARY KEY, embedding vector(128))');
  await q(db, `INSERT INTO items SELECT i, (SELECT array_agg(sin(i * d))::vector FROM generate_series(1, 128) d) FROM generate_series(1, 2000) i`);
  await q(db, 'CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops)');
  await q(db, 'ANALYZE items');
}, 120_000);

afterAll(async () => {
  await db?.close();
});

const hnsw = async () => (await runHealth(db, { checks: ['hnsw-index-size'] })).checks[0];

describe('pgperf health on the embedded database', () => {
  it('runs the catalog checks and says why the others are skipped', async () => {
    const r = await runHealth(db);
    const ran = r.checks.filter((c) => c.status !== 'skipped').map((c) => c.id);
    expect(ran).toEqual(['duplicate-indexes', 'future-partitions', 'hnsw-index-size']);
    for (const c of r.checks.filter((x) => x.status === 'skipped')) expect(c.reason, c.id).toMatch(/^embedded database: .{20,}/);
    expect(r.checks).toHaveLength(HEALTH_CHECKS.length);
    // The trend's numbers, as far as PGlite keeps statistics (a number it does not give stays absent, never made up).
    for (const v of Object.values(r.vitals)) expect(Number.isFinite(v)).toBe(true);
    expect(r.vitals.maxConnections).toBeGreaterThan(0);
  });

  it('an HNSW index of its expected size is quiet; one that kept the entries of two rewrites of the table is reported', async () => {
    const fresh = await hnsw();
    expect(fresh.status, JSON.stringify(fresh)).toBe('ok');
    // New vectors (pgvector folds an equal vector into the element it has): the graph keeps the old ones until VACUUM.
    for (const shift of [0.5, 1.5])
      await q(db, `UPDATE items SET embedding = (SELECT array_agg(cos(id * d + ${shift}))::vector FROM generate_series(1, 128) d)`);
    await q(db, 'ANALYZE items');
    const grown = await hnsw();
    expect(grown.status, JSON.stringify(grown)).toBe('findings');
    const f = grown.findings[0];
    expect(f.object).toBe('public.items_hnsw');
    expect(f.evidence).toMatchObject({ dimensions: 128, m: 16, rows: 2000 });
    expect(f.evidence.ratio).toBeGreaterThan(2);
    expect(f.fix).toBe('REINDEX INDEX CONCURRENTLY public.items_hnsw;\nANALYZE public.items;');
    await q(db, 'REINDEX INDEX public.items_hnsw');
    expect((await hnsw()).status).toBe('ok');
  }, 120_000);

  it('pgperf health without a database URL checks the folder DDL in the embedded database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-health-'));
    try {
      writeFileSync(
        join(dir, 'schema.sql'),
        `CREATE TABLE "Orders" (id int PRIMARY KEY, customer int);
CREATE INDEX by_customer ON "Orders" (customer);
CREATE INDEX by_customer_again ON "Orders" (customer);
CREATE TABLE log (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE log_2025_01 PARTITION OF log FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
`,
      );
      const out: string[] = [];
      const err: string[] = [];
      const saved = { ...process.env };
      for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER']) delete process.env[k];
      let code: number;
      try {
        code = await main(['health', '--format', 'json'], { out: (s) => out.push(s), err: (s) => err.push(s), cwd: dir, color: false });
      } finally {
        process.env = saved;
      }
      expect(err.join('')).toMatch(/using the embedded database/);
      expect(code).toBe(1);
      const report = JSON.parse(out.join('')) as { checks: { id: string; findings: { object?: string; severity: string; fix?: string }[] }[] };
      const of = (id: string) => report.checks.find((c) => c.id === id)!.findings;
      expect(of('duplicate-indexes').map((f) => f.fix)).toEqual(['DROP INDEX CONCURRENTLY public.by_customer_again;']);
      expect(of('future-partitions')).toMatchObject([
        {
          object: 'public.log',
          severity: 'error',
          fix: "CREATE TABLE public.log_2025_02 PARTITION OF public.log\n  FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');",
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

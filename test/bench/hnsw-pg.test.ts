/**
 * The HNSW sweep through the `pg` client code path against pgvector: the local PostgreSQL has no pgvector, so
 * a PGlite instance with the extension (in this process) is served over the PostgreSQL wire protocol by
 * @electric-sql/pglite-socket (one connection) and the sweep runs with openPostgres() against it.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocal, runHnswSweep } from '../../database/bench/hnsw';
import { createScratchSchema, dropLeftovers } from '../../database/bench/scratch';
import { openPostgres } from '../../database/connection/postgres';
import type { Database } from '../../database/connection/types';
import { expectCompleteReport, scratchSchemas } from './helpers';

let pglite: PGlite;
let server: PGLiteSocketServer;
let db: Database;

beforeAll(async () => {
  pglite = await PGlite.create({ extensions: { vector } });
  await pglite.exec('CREATE EXTENSION vector');
  server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  db = openPostgres(`postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await server?.stop();
  await pglite?.close();
});

const SMALL = {
  dim: 64,
  count: 2000,
  queries: 50,
  distribution: 'clustered' as const,
  metric: 'l2' as const,
  m: [8, 16],
  efConstruction: [32],
  efSearch: [10, 80],
  k: 10,
  seed: 11,
};

describe('HNSW sweep through the pg client (PGlite over the wire protocol)', () => {
  it('talks to pgvector through pg', async () => {
    expect(db.kind).toBe('postgres');
    expect(db.label).toMatch(/^127\.0\.0\.1:\d+\/postgres$/);
    expect((await db.serverVersion()).text).toMatch(/^PostgreSQL 18\./);
    expect(await isLocal(db)).toBe(true);
  });

  it('runs a small sweep: every field, recall in [0, 1] rising with ef_search, the scratch schema gone', async () => {
    const report = await runHnswSweep(db, SMALL);
    expectCompleteReport(report, SMALL);
    expect(report.kind).toBe('postgres');
    expect(report.database).toBe(db.label);
    for (const m of SMALL.m) {
      const [lo, hi] = report.results.filter((r) => r.m === m).sort((a, b) => a.efSearch - b.efSearch);
      expect(hi!.recall).toBeGreaterThanOrEqual(lo!.recall);
      expect(hi!.recall).toBeGreaterThan(0.9);
    }
    // and strictly for at least one configuration (ef_search 10 misses some neighbours on this data)
    expect(
      SMALL.m.some((m) => {
        const rs = report.results.filter((r) => r.m === m).sort((a, b) => a.efSearch - b.efSearch);
        return rs[1]!.recall > rs[0]!.recall;
      }),
    ).toBe(true);
    expect(await scratchSchemas(db)).toEqual([]);
    // the session-level prepared statement was deallocated before the connection went back to the pool
    const s = await db.session();
    try {
      expect((await s.query(`select name from pg_prepared_statements where name like 'pgperf_knn_%'`)).rows).toEqual([]);
    } finally {
      await s.release();
    }
  }, 50_000);

  it('runs the cosine metric on a second run (the pool of one connection is never asked for two)', async () => {
    const r = await runHnswSweep(db, { ...SMALL, metric: 'cosine', m: [8], efSearch: [80] });
    expect(r.results[0]!.recall).toBeGreaterThan(0.9);
    expect(await scratchSchemas(db)).toEqual([]);
  }, 30_000);

  it('drops a leftover schema whose backend is this very connection (no other run can be using it)', async () => {
    const s = await db.session();
    try {
      await createScratchSchema(s, 'pgperf_bench_leftover2', 'hnsw');
    } finally {
      await s.release();
    }
    expect(await dropLeftovers(db)).toEqual([{ kind: 'schema', name: 'pgperf_bench_leftover2' }]);
    expect(await scratchSchemas(db)).toEqual([]);
  });
});

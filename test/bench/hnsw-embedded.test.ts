/**
 * The HNSW sweep end to end on the embedded PGlite database (in memory): a small clustered data set, two
 * configurations, two ef_search values. Then cancel in the middle of an index build, on an embedded database
 * with a data directory (so the scratch schema committed before the build survives the worker restart and the
 * cleanup really has to drop it). Needs dist/pglite-worker.js (`node build.mjs`; `npm test` builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeScratch, estimateScratchBytes, isLocal, resolveHnswParams, runHnswSweep, type HnswReport } from '../../database/bench/hnsw';
import { createScratchSchema, dropLeftovers } from '../../database/bench/scratch';
import { openEmbedded, type EmbeddedDatabase } from '../../database/connection/embedded';
import { DatabaseError } from '../../database/connection/types';
import { q } from '../db/helpers';
import { expectCompleteReport, scratchSchemas } from './helpers';

const SMALL = {
  dim: 64,
  count: 2000,
  queries: 50,
  distribution: 'clustered' as const,
  metric: 'cosine' as const,
  m: [8, 16],
  efConstruction: [32],
  efSearch: [10, 80],
  k: 10,
  seed: 7,
};

let db: EmbeddedDatabase;

beforeAll(async () => {
  db = await openEmbedded();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe('HNSW sweep on the embedded database', () => {
  it('checks parameters and estimates what it creates', async () => {
    expect(() => resolveHnswParams({ m: [40], efConstruction: [64] })).toThrow(/below 2 × m/);
    expect(() => resolveHnswParams({ dim: 3000 })).toThrow(RangeError);
    expect(() => resolveHnswParams({ efSearch: [] })).toThrow(RangeError);
    expect(() => resolveHnswParams({ table: 'docs' })).toThrow(/table and column/);
    const d = resolveHnswParams();
    expect(d).toMatchObject({ m: [12, 16, 24], efConstruction: [64, 128, 256], efSearch: [20, 40, 100, 200], k: 10, recallTarget: 0.95 });
    // 10,000 × 768: the table (~32 MB) plus the largest index (m = 24: 10,000 × (192 + 3,072) × 1.3)
    const bytes = estimateScratchBytes();
    expect(bytes).toBeGreaterThan(70e6);
    expect(bytes).toBeLessThan(90e6);
    expect(describeScratch()).toMatch(/pgperf_bench_<random>.*10000 synthetic 768-dim vectors.*9 HNSW index builds.*MB/);
    expect(await isLocal(db)).toBe(true);
  });

  let report: HnswReport;
  const steps: { step: string; fraction: number; eta: number | undefined }[] = [];

  it('runs a small sweep: every field, recall in [0, 1] rising with ef_search, the scratch schema gone', async () => {
    report = await runHnswSweep(db, SMALL, { onProgress: (step, fraction, eta) => steps.push({ step, fraction, eta }) });
    expectCompleteReport(report, SMALL);
    expect(report.kind).toBe('embedded');
    expect(report.database).toMatch(/^embedded PGlite/);
    for (const m of SMALL.m) {
      const [lo, hi] = report.results.filter((r) => r.m === m).sort((a, b) => a.efSearch - b.efSearch);
      expect(hi!.recall).toBeGreaterThanOrEqual(lo!.recall);
      expect(hi!.recall).toBeGreaterThan(0.9); // clustered data, ef_search 80: nearly exact
    }
    // and strictly for at least one configuration (ef_search 10 misses some neighbours on this data)
    expect(
      SMALL.m.some((m) => {
        const rs = report.results.filter((r) => r.m === m).sort((a, b) => a.efSearch - b.efSearch);
        return rs[1]!.recall > rs[0]!.recall;
      }),
    ).toBe(true);
    // progress: fractions within [0, 1], non-decreasing, ending at 1; steps named
    expect(steps.length).toBeGreaterThan(5);
    expect(steps.at(-1)).toEqual({ step: 'done', fraction: 1, eta: 0 });
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.fraction).toBeGreaterThanOrEqual(steps[i - 1]!.fraction);
    expect(steps.some((s) => /building index m=16, ef_construction=32 \(2\/2\)/.test(s.step))).toBe(true);
    expect(steps.some((s) => s.eta !== undefined && s.eta > 0)).toBe(true);
    expect(await scratchSchemas(db)).toEqual([]);
  }, 50_000);

  it('runs the inner-product metric too (a fresh scratch schema each run)', async () => {
    // The data set is reproducible from the seed; the index is not quite: pgvector draws HNSW levels from the
    // backend's PRNG, so recall can differ by a little between two builds of the same data.
    const again = await runHnswSweep(db, { ...SMALL, metric: 'ip', m: [8], efSearch: [80] });
    expect(again.params.metric).toBe('ip');
    expect(again.results[0]!.recall).toBeGreaterThan(0.8);
    expect(again.scratchSchema).not.toBe(report.scratchSchema);
    expect(await scratchSchemas(db)).toEqual([]);
  }, 30_000);

  it('drops leftover scratch schemas of a dead run, and leaves other schemas alone', async () => {
    const s = await db.session();
    try {
      await createScratchSchema(s, 'pgperf_bench_leftover1', 'hnsw');
      await s.query('CREATE SCHEMA pgperf_bench_not_ours'); // no pgperf comment: never touched
    } finally {
      await s.release();
    }
    expect(await dropLeftovers(db)).toEqual([{ kind: 'schema', name: 'pgperf_bench_leftover1' }]);
    expect(await scratchSchemas(db)).toEqual(['pgperf_bench_not_ours']);
    await q(db, 'DROP SCHEMA pgperf_bench_not_ours');
  });

  it('fails clearly (and cleans up) when the data cannot be sampled', async () => {
    const err = await runHnswSweep(db, { ...SMALL, table: 'no_such_table', column: 'v' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/table no_such_table not found .*the scratch schema pgperf_bench_[0-9a-f]{12} was dropped/);
    expect(await scratchSchemas(db)).toEqual([]);
  });

  it('samples vectors from a user table into the scratch schema (the table untouched)', async () => {
    await q(db, 'CREATE TABLE docs (id int, body text, emb vector(16))');
    await q(
      db,
      `INSERT INTO docs SELECT i, 'doc ' || i, (SELECT array_agg(sin(i * j + (i % 7))) FROM generate_series(1, 16) j)::vector FROM generate_series(1, 600) i`,
    );
    const r = await runHnswSweep(db, { table: 'docs', column: 'emb', count: 500, queries: 50, m: [8], efConstruction: [32], efSearch: [40], metric: 'l2' });
    expect(r.params).toMatchObject({ dim: 16, count: 500, queries: 50, table: 'docs', column: 'emb' });
    expect(r.results).toHaveLength(1);
    expect(r.results[0]!.recall).toBeGreaterThan(0.5);
    expect((await q(db, 'select count(*)::int as n from docs')).rows).toEqual([{ n: 600 }]);
    expect(await scratchSchemas(db)).toEqual([]);
    await q(db, 'DROP TABLE docs');
  }, 30_000);

  it('stops before it starts when the signal is already aborted', async () => {
    const err = await runHnswSweep(db, SMALL, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'cancelled' });
    expect(await scratchSchemas(db)).toEqual([]);
  });
});

describe('cancel during an index build', () => {
  it('stops the build, reports a clear error and drops the scratch schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-bench-cancel-'));
    const disk = await openEmbedded({ dataDir: dir });
    try {
      const controller = new AbortController();
      const seen: string[] = [];
      let buildStartedAt = 0;
      const started = performance.now();
      const run = runHnswSweep(
        disk,
        { ...SMALL, count: 4000, m: [16], efConstruction: [400], efSearch: [40] },
        {
          signal: controller.signal,
          onProgress: (step) => {
            seen.push(step);
            if (step.startsWith('building index') && !buildStartedAt) {
              buildStartedAt = performance.now();
              setTimeout(() => controller.abort(), 300);
            }
          },
        },
      );
      const err = await run.catch((e: unknown) => e);
      const stoppedAfter = performance.now() - buildStartedAt;
      expect(err).toBeInstanceOf(DatabaseError);
      expect(err).toMatchObject({ kind: 'cancelled', code: '57014' });
      expect((err as Error).message).toMatch(
        /^the HNSW benchmark was cancelled \(building index m=16, ef_construction=400 \(1\/1\)\); the scratch schema pgperf_bench_[0-9a-f]{12} was dropped$/,
      );
      expect(seen.some((s) => s.startsWith('ef_search'))).toBe(false); // it never got past the build
      expect(disk.restarts).toBe(1); // the build was stopped by restarting the worker
      expect(stoppedAfter).toBeLessThan(8000); // the restart (~3 s) included
      expect(await scratchSchemas(disk)).toEqual([]);
      expect(performance.now() - started).toBeLessThan(40_000);
    } finally {
      await disk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * The RLS overhead benchmark end to end, on the local PostgreSQL server (PGPERF_TEST_DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/test; unreachable → the tests fail) and on the embedded PGlite database (in
 * memory). Small sizes; every run must leave no scratch schema and no role behind — also when aborted — and never
 * touch a concurrent live run's; a lock held on a scratch table makes the cleanup give up, not hang. The
 * embedded test that cancels a running statement restarts the worker (an in-memory database is then empty), so
 * it runs last in its block. Needs dist/pglite-worker.js (`node build.mjs`; `npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded, type EmbeddedDatabase } from '../../database/connection/embedded';
import { DatabaseError, type Database } from '../../database/connection/types';
import { runRlsBenchmark, type RlsRunReport, type RlsScratch } from '../../database/bench/rls';
import { CLEANUP_LOCK_TIMEOUT_MS, dropLeftovers } from '../../database/bench/scratch';
import { openTestServer, q, rejection, sleep } from '../db/helpers';

const SMALL = { rows: 5_000, rounds: 20, tenants: 10, seed: 7, perRound: 2 };
const QUERY_NAMES = ['tenant-scoped lookup', 'range scan', 'aggregate'];

async function objectsLeft(db: Database, scratch: RlsScratch): Promise<{ schemas: number; roles: number }> {
  const r = await q(
    db,
    `select (select count(*) from pg_namespace where nspname = $1)::int as schemas,
            (select count(*) from pg_roles where rolname = $2)::int as roles`,
    [scratch.schema, scratch.role],
  );
  return { schemas: Number(r.rows[0]!.schemas), roles: Number(r.rows[0]!.roles) };
}

function finite(x: number): boolean {
  return typeof x === 'number' && Number.isFinite(x);
}

function checkReport(report: RlsRunReport, db: Database): void {
  expect(report.database.kind).toBe(db.kind);
  expect(report.database.label).toBe(db.label);
  expect(report.database.serverVersion).toMatch(/^PostgreSQL \d+/);
  expect(report.params).toEqual({ rows: 5_000, rounds: 20, tenants: 10, seed: 7, perRound: 2, warmupRounds: 2 });
  expect(report.targetPct).toBe(5);
  expect(finite(report.overheadPct)).toBe(true);
  expect(report.ci95Pct).toHaveLength(2);
  expect(report.ci95Pct.every(finite)).toBe(true);
  expect(report.ci95Pct[0]).toBeLessThanOrEqual(report.overheadPct);
  expect(report.ci95Pct[1]).toBeGreaterThanOrEqual(report.overheadPct);
  expect(['below-target', 'above-target', 'inconclusive']).toContain(report.verdict);
  expect(finite(report.totalMs) && report.totalMs > 0).toBe(true);
  expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
  expect(report.scratch.schema).toMatch(/^pgperf_bench_[0-9a-f]{10}$/);
  expect(report.scratch.role).toMatch(/^pgperf_bench_[0-9a-f]{10}$/);
  expect(report.queries.map((x) => x.name)).toEqual(QUERY_NAMES);
  for (const x of report.queries) {
    for (const v of [x.withoutRlsMs.p50, x.withoutRlsMs.p95, x.withRlsMs.p50, x.withRlsMs.p95]) {
      expect(finite(v) && v > 0).toBe(true);
    }
    expect(x.withoutRlsMs.p95).toBeGreaterThanOrEqual(x.withoutRlsMs.p50);
    expect(x.withRlsMs.p95).toBeGreaterThanOrEqual(x.withRlsMs.p50);
    expect(finite(x.overheadPct)).toBe(true);
    expect(x.ci95Pct.every(finite)).toBe(true);
    expect(typeof x.planChanged).toBe('boolean');
    // The policy really applied on the RLS side (not bypassed by a superuser or the owner) — and only there.
    expect(x.planWith).toContain('current_setting');
    expect(x.planWith).toContain('t_rls');
    expect(x.planWithout).not.toContain('current_setting');
    expect(x.planWithout).toContain('t_norls');
  }
}

function abortAt(prefix: string, delayMs = 0): { controller: AbortController; onProgress: (step: string) => void } {
  const controller = new AbortController();
  return {
    controller,
    onProgress: (step) => {
      if (step.startsWith(prefix) && !controller.signal.aborted) {
        if (delayMs > 0) setTimeout(() => controller.abort(new Error('test abort')), delayMs);
        else controller.abort(new Error('test abort'));
      }
    },
  };
}

describe('RLS benchmark on the local PostgreSQL server', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestServer();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reports the overhead per query and overall, and drops its schema and role', async () => {
    let scratch: RlsScratch | undefined;
    let during: { schemas: number; roles: number } | undefined;
    const steps: string[] = [];
    let lastFraction = -1;
    let monotonic = true;
    const report = await runRlsBenchmark(db, SMALL, {
      onScratch: (s) => (scratch = s),
      onProgress: (step, fraction) => {
        steps.push(step);
        if (fraction < lastFraction) monotonic = false;
        lastFraction = fraction;
        if (step === 'round 1/20' && scratch && !during) void objectsLeft(db, scratch).then((o) => (during = o));
      },
    });
    checkReport(report, db);
    expect(report.scratch).toEqual(scratch);
    expect(report.database.serverVersion).toMatch(/^PostgreSQL 1[5-9]/);
    expect(steps).toContain('compare plans');
    expect(steps.at(-1)).toBe('done');
    expect(monotonic).toBe(true);
    // While it ran, both objects existed (seen from another connection)…
    await expect.poll(() => during).toEqual({ schemas: 1, roles: 1 });
    // …and afterwards neither does.
    expect(await objectsLeft(db, report.scratch)).toEqual({ schemas: 0, roles: 0 });
  }, 40_000);

  it('cleans up when aborted between rounds', async () => {
    let scratch: RlsScratch | undefined;
    const { controller, onProgress } = abortAt('round 5/');
    const err = await rejection(runRlsBenchmark(db, SMALL, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }));
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).kind).toBe('cancelled');
    expect(scratch).toBeDefined();
    expect(await objectsLeft(db, scratch!)).toEqual({ schemas: 0, roles: 0 });
  }, 30_000);

  it('cancels a long load statement on abort and cleans up', async () => {
    let scratch: RlsScratch | undefined;
    const { controller, onProgress } = abortAt('load ', 300);
    const t0 = Date.now();
    const err = await rejection(
      runRlsBenchmark(db, { ...SMALL, rows: 20_000_000 }, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }),
    );
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).kind).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(10_000); // 20 M rows take far longer: the INSERT was cancelled
    expect(await objectsLeft(db, scratch!)).toEqual({ schemas: 0, roles: 0 });
  }, 30_000);

  it('rejects bad parameters before creating anything', async () => {
    let scratch: RlsScratch | undefined;
    await expect(runRlsBenchmark(db, { ...SMALL, rounds: 1 }, { onScratch: (s) => (scratch = s) })).rejects.toThrow(RangeError);
    await expect(runRlsBenchmark(db, { ...SMALL, rows: 5, tenants: 10 })).rejects.toThrow(RangeError);
    expect(scratch).toBeUndefined();
  });

  it('leaves the schema and role of a live concurrent run alone, and drops them when that run ends', async () => {
    const other = await openTestServer();
    let a: RlsScratch | undefined;
    let during: { schemas: number; roles: number } | undefined;
    let bReport: RlsRunReport | undefined;
    const controller = new AbortController();
    let started = false;
    const onProgress = (step: string) => {
      if (started || !step.includes('round 2/')) return;
      started = true;
      void (async () => {
        // Another run, on another pool, while A is in its rounds: its leftover sweep and its own cleanup.
        await dropLeftovers(other);
        bReport = await runRlsBenchmark(other, { ...SMALL, rounds: 2, rows: 500 });
        during = await objectsLeft(other, a!);
      })().finally(() => controller.abort(new Error('test: end run A')));
    };
    try {
      const err = await rejection(runRlsBenchmark(db, { ...SMALL, rounds: 100_000 }, { signal: controller.signal, onProgress, onScratch: (s) => (a = s) }));
      expect(err.kind).toBe('cancelled');
      expect(bReport?.scratch.schema).toMatch(/^pgperf_bench_/);
      expect(bReport!.scratch.schema).not.toBe(a!.schema);
      expect(during).toEqual({ schemas: 1, roles: 1 });
      expect(await objectsLeft(db, a!)).toEqual({ schemas: 0, roles: 0 });
      expect(await objectsLeft(db, bReport!.scratch)).toEqual({ schemas: 0, roles: 0 });
    } finally {
      await other.close();
    }
  }, 60_000);

  it('does not hang when another session holds a lock on a scratch table: names what it left, the next sweep drops it', async () => {
    let scratch: RlsScratch | undefined;
    const controller = new AbortController();
    const locker = await db.session();
    let lockedAt = 0;
    let locking = false;
    const onProgress = (step: string) => {
      if (locking || !step.includes('round 2/')) return;
      locking = true;
      void (async () => {
        await locker.query('begin');
        await locker.query(`lock table "${scratch!.schema}".t_rls in access exclusive mode`);
        lockedAt = Date.now();
        await sleep(200); // the run is now blocked on its next query of t_rls
        controller.abort(new Error('test abort'));
      })();
    };
    try {
      const err = await rejection(
        runRlsBenchmark(db, { ...SMALL, rounds: 100_000 }, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }),
      );
      const ms = Date.now() - lockedAt;
      expect(err.kind).toBe('cancelled');
      expect(ms).toBeLessThan(CLEANUP_LOCK_TIMEOUT_MS + 4000);
      expect(err.message).toContain(`schema ${scratch!.schema}`);
      expect(err.message).toContain(`role ${scratch!.role}`);
      expect(err.message).toContain(`DROP SCHEMA IF EXISTS "${scratch!.schema}" CASCADE;`);
      expect(err.message).toContain(`DROP ROLE IF EXISTS "${scratch!.role}";`);
      expect(await objectsLeft(db, scratch!)).toEqual({ schemas: 1, roles: 1 });
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.release();
    }
    // The run discarded its connection (its backend is gone), so the next run's sweep may drop what it left.
    await expect
      .poll(
        async () => {
          await dropLeftovers(db);
          return objectsLeft(db, scratch!);
        },
        { timeout: 5000 },
      )
      .toEqual({ schemas: 0, roles: 0 });
  }, 30_000);
});

describe('RLS benchmark on embedded PGlite', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await openEmbedded();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it('reports the overhead per query and overall, and drops its schema and role', async () => {
    const report = await runRlsBenchmark(db, SMALL);
    checkReport(report, db);
    expect(report.database.serverVersion).toMatch(/^PostgreSQL 1[7-9]/);
    expect(await objectsLeft(db, report.scratch)).toEqual({ schemas: 0, roles: 0 });
    expect(db.restarts).toBe(0);
  }, 40_000);

  it('cleans up when aborted between rounds', async () => {
    let scratch: RlsScratch | undefined;
    const { controller, onProgress } = abortAt('round 3/');
    const err = await rejection(runRlsBenchmark(db, SMALL, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }));
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).kind).toBe('cancelled');
    // No restart: the objects were dropped by the cleanup, not lost with an emptied in-memory database.
    expect(db.restarts).toBe(0);
    expect(await objectsLeft(db, scratch!)).toEqual({ schemas: 0, roles: 0 });
  }, 30_000);

  it('cancels a long load statement on abort (the worker restarts) and leaves nothing behind', async () => {
    let scratch: RlsScratch | undefined;
    const { controller, onProgress } = abortAt('load ', 300);
    const err = await rejection(
      runRlsBenchmark(db, { ...SMALL, rows: 20_000_000 }, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }),
    );
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).kind).toBe('cancelled');
    expect(db.restarts).toBe(1);
    expect(await objectsLeft(db, scratch!)).toEqual({ schemas: 0, roles: 0 });
  }, 40_000);
});

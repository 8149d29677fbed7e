/**
 * The RLS overhead benchmark end to end, on the local PostgreSQL server (PGPERF_TEST_DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/test; unreachable → the tests fail) and on the embedded PGlite database (in
 * memory). Small sizes; every run must leave no scratch schema and no role behind — also when aborted. The
 * embedded test that cancels a running statement restarts the worker (an in-memory database is then empty), so
 * it runs last in its block. Needs dist/pglite-worker.js (`node build.mjs`; `npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded, type EmbeddedDatabase } from '../../client/src/db/embedded';
import { DatabaseError, type Database } from '../../client/src/db/types';
import { dropLeftoverRlsRoles, runRlsBenchmark, type RlsRunReport, type RlsScratch } from '../../client/src/bench/rls';
import { openTestServer, q, rejection } from '../db/helpers';

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
    const err = await rejection(
      runRlsBenchmark(db, SMALL, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }),
    );
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

  it('drops roles left by a run whose cleanup never ran', async () => {
    const old = `pgperf_bench_${process.pid}old`;
    const fresh = `pgperf_bench_${process.pid}new`;
    try {
      await q(db, `create role ${old} nologin`);
      await q(db, `comment on role ${old} is 'pgperf RLS benchmark role, created 2020-01-01T00:00:00.000Z; safe to drop'`);
      await q(db, `create role ${fresh} nologin`);
      await q(db, `comment on role ${fresh} is 'pgperf RLS benchmark role, created ${new Date().toISOString()}; safe to drop'`);
      const dropped = await dropLeftoverRlsRoles(db);
      expect(dropped).toContain(old);
      expect(dropped).not.toContain(fresh);
      const r = await q(db, `select rolname from pg_roles where rolname in ($1, $2)`, [old, fresh]);
      expect(r.rows.map((x) => x.rolname)).toEqual([fresh]);
    } finally {
      await q(db, `drop role if exists ${old}`);
      await q(db, `drop role if exists ${fresh}`);
    }
  });
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
    const err = await rejection(
      runRlsBenchmark(db, SMALL, { signal: controller.signal, onProgress, onScratch: (s) => (scratch = s) }),
    );
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

/** Shared by the benchmark tests. */
import { expect } from 'vitest';
import type { HnswParams, HnswReport, HnswRunOptions } from '../../database/bench/hnsw';
import type { BenchRunOptions, HnswReport as SharedHnswReport } from '../../database/bench/report-types';
import type { Database } from '../../database/connection/types';
import { q } from '../db/helpers';

/** The scratch schemas (pgperf_bench_%) in the database, by name. */
export async function scratchSchemas(db: Database): Promise<string[]> {
  const r = await q(db, `select nspname from pg_namespace where nspname like 'pgperf\\_bench\\_%' order by 1`);
  return r.rows.map((row) => row.nspname as string);
}

/** Every field of an HNSW report, with sane values, one result per grid point. */
export function expectCompleteReport(report: HnswReport, params: Partial<HnswParams>): void {
  // compile-time: the report is the shared report-types.ts shape, and the shared run options fit runHnswSweep
  const shared: SharedHnswReport = report;
  const options: HnswRunOptions = {} as BenchRunOptions;
  void shared;
  void options;
  expect(Object.keys(report).sort()).toEqual(
    [
      'database',
      'exact',
      'kind',
      'memoryFormula',
      'params',
      'pgvectorVersion',
      'recommendation',
      'results',
      'scratchSchema',
      'serverVersion',
      'startedAt',
      'totalMs',
    ].sort(),
  );
  expect(report.params).toMatchObject(params);
  expect(report.serverVersion).toMatch(/^PostgreSQL \d+/);
  expect(report.pgvectorVersion).toMatch(/^\d+\.\d+/);
  expect(report.scratchSchema).toMatch(/^pgperf_bench_[0-9a-f]{12}$/);
  expect(new Date(report.startedAt).toISOString()).toBe(report.startedAt);
  expect(report.totalMs).toBeGreaterThan(0);
  expect(report.exact.p50Ms).toBeGreaterThan(0);
  const grid = params.m!.length * params.efConstruction!.length * params.efSearch!.length;
  expect(report.results).toHaveLength(grid);
  let i = 0;
  for (const m of params.m!) {
    for (const efConstruction of params.efConstruction!) {
      for (const efSearch of params.efSearch!) {
        const r = report.results[i++]!;
        expect(Object.keys(r).sort()).toEqual(
          ['buildMs', 'efConstruction', 'efSearch', 'indexBytes', 'm', 'meanMs', 'p50Ms', 'p95Ms', 'p99Ms', 'qps', 'recall'].sort(),
        );
        expect(r).toMatchObject({ m, efConstruction, efSearch });
        expect(r.recall).toBeGreaterThanOrEqual(0);
        expect(r.recall).toBeLessThanOrEqual(1);
        expect(r.buildMs).toBeGreaterThan(0);
        expect(r.indexBytes).toBeGreaterThan(0);
        expect(r.indexBytes % 8192).toBe(0);
        expect(r.p50Ms).toBeGreaterThan(0);
        expect(r.p95Ms).toBeGreaterThanOrEqual(r.p50Ms);
        expect(r.p99Ms).toBeGreaterThanOrEqual(r.p95Ms);
        expect(r.qps).toBeGreaterThan(0);
      }
    }
  }
  expect(report.memoryFormula).toHaveLength(params.m!.length * params.efConstruction!.length);
  for (const f of report.memoryFormula) {
    expect(f.formulaBytes).toBe(params.count! * (f.m * 2 * 4 + params.dim! * 4));
    expect(f.indexBytes).toBe(report.results.find((r) => r.m === f.m && r.efConstruction === f.efConstruction)!.indexBytes);
  }
  const target = report.params.recallTarget;
  const ok = report.results.filter((r) => r.recall >= target);
  if (ok.length === 0) {
    expect(report.recommendation).toBeNull();
  } else {
    const rec = report.recommendation!;
    expect(rec.recall).toBeGreaterThanOrEqual(target);
    expect(rec.p50Ms).toBe(Math.min(...ok.map((r) => r.p50Ms)));
    expect(rec.reason).toMatch(/lowest p50/);
  }
}

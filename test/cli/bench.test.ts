/**
 * `pgperf bench hnsw` / `pgperf bench rls`, run as a user runs them (the built CLI in a child process): usage
 * errors (exit 2, nothing touched), the --yes rule for a server that is not on this machine (exit 2 before any
 * connection), a tiny HNSW sweep on the embedded PGlite database (table on stdout, progress on stderr, --json and
 * --csv files), and a tiny RLS benchmark on the real PostgreSQL server of the test environment (its scratch
 * schema and role gone afterwards, checked on the server).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../client/src/db/types';
import { openTestServer, q, TEST_URL } from '../db/helpers';
import { run } from './spawn-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-bench-'));
});

describe('pgperf bench: usage', () => {
  it.each([
    [['bench'], 'bench needs "hnsw" or "rls"'],
    [['bench', 'ivfflat'], 'unknown benchmark "ivfflat" (hnsw or rls)'],
    [['bench', 'hnsw', '--metric', 'dot'], '--metric is one of cosine, l2, ip, not "dot"'],
    [['bench', 'hnsw', '--distribution', 'normal'], '--distribution is one of clustered, uniform'],
    [['bench', 'hnsw', '--m', '12,x'], '--m needs a comma-separated list of whole numbers from 2 to 100'],
    [['bench', 'hnsw', '--m', '40', '--ef-construction', '64'], 'ef_construction 64 is below 2 × m (m = 40)'],
    [['bench', 'hnsw', '--dim', '4000'], '--dim needs a whole number from 1 to 2000'],
    [['bench', 'hnsw', '--recall-target', '1.5'], '--recall-target needs a number in (0, 1]'],
    [['bench', 'hnsw', '--table', 'items'], '--table and --column go together'],
    [['bench', 'hnsw', '--count', '5', '--k', '10'], '--count 5 is below --k 10'],
    [['bench', 'hnsw', '--count', '8', '--k', '3'], 'count must be'],
    [['bench', 'hnsw', '--bogus'], "Unknown option '--bogus'"],
    [['bench', 'rls', '--rows', 'many'], '--rows needs a whole number ≥ 100, not "many"'],
    [['bench', 'rls', '--csv', 'x.csv'], "Unknown option '--csv'"],
  ])('%j → exit 2', async (args, message) => {
    const r = await run(args, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('lists both benchmarks in --help', async () => {
    const r = await run(['--help'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('pgperf bench hnsw [--dim N] [--count N] [--queries N] [--distribution clustered|uniform]');
    expect(r.out).toContain('pgperf bench rls [--rows N] [--rounds N] [--yes] [--json F]');
  });

  it('refuses a server that is not on this machine without --yes, saying what it would create (no connection made)', async () => {
    const url = { DATABASE_URL: 'postgres://app@db.example.invalid:5432/app' };
    const h = await run(['bench', 'hnsw', '--count', '20000', '--dim', '256'], dir, url);
    expect(h.code).toBe(2);
    expect(h.err).toContain('not on this machine');
    expect(h.err).toContain('scratch schema pgperf_bench_<random>');
    expect(h.err).toContain('20000 + 100 synthetic 256-dimensional vectors');
    expect(h.err).toMatch(/builds 9 HNSW indexes one after another: about [\d.]+ MiB at its largest/);
    expect(h.err).toContain('Pass --yes');
    const r = await run(['bench', 'rls', '--rows', '50000'], dir, url);
    expect(r.code).toBe(2);
    expect(r.err).toContain('two 50000-row tables');
    expect(r.err).toContain('NOLOGIN role');
    // With --yes it tries (and fails to resolve the host: a database error, exit 1).
    const y = await run(['bench', 'rls', '--rows', '1000', '--yes'], dir, url);
    expect(y.code).toBe(1);
    expect(y.err).toMatch(/RLS benchmark failed: connection/);
  });
});

describe('pgperf bench hnsw on the embedded database', () => {
  it('prints the table, writes JSON and CSV, progress on stderr', async () => {
    const r = await run(
      ['bench', 'hnsw', '--dim', '16', '--count', '600', '--queries', '20', '--m', '8,16', '--ef-construction', '32', '--ef-search', '10,40', '--k', '5', '--seed', '3', '--json', 'h.json', '--csv', 'h.csv'],
      dir,
    );
    expect(r.err).toContain('embedded PGlite');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/pgperf: \[\s*\d+%\] building index m=8, ef_construction=32/);
    expect(r.out).toContain('HNSW sweep on embedded PGlite');
    const rows = r.out.split('\n').filter((l) => /^\s*(8|16)\s+32\s+(10|40)\s/.test(l));
    expect(rows).toHaveLength(4);
    const json = JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')) as Record<string, unknown> & { results: Record<string, number>[] };
    for (const key of ['database', 'params', 'results', 'recommendation']) expect(json).toHaveProperty(key);
    expect(json.results).toHaveLength(4);
    for (const res of json.results) {
      for (const key of ['m', 'efConstruction', 'efSearch', 'buildMs', 'indexBytes', 'recall', 'p50Ms', 'p95Ms', 'p99Ms', 'qps']) expect(typeof res[key], key).toBe('number');
      expect(res.recall).toBeGreaterThanOrEqual(0);
      expect(res.recall).toBeLessThanOrEqual(1);
    }
    const csv = readFileSync(join(dir, 'h.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('m,ef_construction,ef_search,build_ms,index_bytes,recall,p50_ms,p95_ms,p99_ms,qps,recommended');
    expect(csv.filter((l) => l !== '')).toHaveLength(5);
  }, 120_000);
});

describe('pgperf bench rls on the PostgreSQL server (DATABASE_URL)', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestServer();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reports the overhead with its CI and per-query figures, and leaves no scratch schema or role', async () => {
    const r = await run(['bench', 'rls', '--rows', '2000', '--rounds', '4', '--json', 'r.json'], dir, { DATABASE_URL: TEST_URL });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('RLS overhead on 127.0.0.1:5432/test');
    expect(r.out).toMatch(/Overall: [+-][\d.]+ % \(95 % CI -?[\d.]+ … -?[\d.]+ %\)/);
    for (const name of ['tenant-scoped lookup', 'range scan', 'aggregate']) expect(r.out).toContain(name);
    expect(r.err).toMatch(/pgperf: \[\s*\d+%\] round 4\/4/);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
      overheadPct: number;
      ci95Pct: [number, number];
      queries: { name: string; overheadPct: number; planChanged: boolean }[];
      scratch: { schema: string; role: string };
    };
    expect(Number.isFinite(json.overheadPct)).toBe(true);
    expect(json.ci95Pct[0]).toBeLessThanOrEqual(json.overheadPct);
    expect(json.ci95Pct[1]).toBeGreaterThanOrEqual(json.overheadPct);
    expect(json.queries.map((x) => x.name)).toEqual(['tenant-scoped lookup', 'range scan', 'aggregate']);
    expect(json.scratch.schema).toMatch(/^pgperf_bench_/);
    const left = await q(db, 'select (select count(*)::int from pg_namespace where nspname = $1) as schemas, (select count(*)::int from pg_roles where rolname = $2) as roles', [json.scratch.schema, json.scratch.role]);
    expect(left.rows[0]).toEqual({ schemas: 0, roles: 0 });
  }, 120_000);
});

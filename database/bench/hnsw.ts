/**
 * The pgvector HNSW parameter sweep (issue 5): for every (m, ef_construction) it builds an index and measures
 * its build time and size; for every ef_search it measures recall@k against exact results and the latency of
 * the query set. No `vscode` import: driven by the command palette and by `pgperf bench hnsw`.
 *
 * How it measures:
 * - Everything lives in a scratch schema `pgperf_bench_<random>`, commented with the run's backend (scratch.ts)
 *   so that the next run's `dropLeftovers` can tell a leftover (its backend is gone) from a concurrent run; the
 *   schema is dropped in `finally` (success, failure, cancel) with a bounded lock wait, and leftovers on the next
 *   run of either benchmark.
 * - Data: synthetic (`clustered` / `uniform` from vectors.ts, count + queries vectors from one seed: the last
 *   `queries` are held out as the query set) or sampled from the user's table/column (`setseed` + `ORDER BY
 *   random()`, copied into the scratch schema; the user's table is only read).
 * - Vectors travel as pgvector text. Queries run through a server-side prepared statement (`PREPARE … (vector)
 *   AS SELECT id … ORDER BY embedding <op> $1 LIMIT k`, then `EXECUTE name('[…]')`): the `Session` interface
 *   has no named-statement API and `EXECUTE` cannot take bind parameters, so the text vector is a quoted
 *   literal argument of EXECUTE (validated: digits, signs, dots, exponents, commas only). One round trip each.
 * - Exact results are computed once, before any index exists (a sequential scan; index scans also disabled
 *   with `SET LOCAL` in that transaction), with the same statement.
 * - Per ef_search: one transaction `BEGIN; SET LOCAL hnsw.ef_search = n; SET LOCAL enable_seqscan = off`, the
 *   plan checked to use the HNSW index, a warm-up of min(10, queries) queries, then every query timed on the
 *   client (performance.now() around the round trip), then COMMIT. The first ef_search of each new index warms
 *   up with every query instead: measured without it, whichever ef_search came first was 5–25 % slower (its
 *   pass paid for reading the fresh index), so the order of the grid showed in the results.
 * - QPS = queries / (sum of their latencies): one client, sequential.
 * - Cancel: `signal` is checked between statements; during an index build it also calls `session.cancel()`
 *   (pg_cancel_backend on a server; a worker restart on the embedded database).
 */
import { quoteIdent } from '../connection/quote';
import { withSession } from '../connection/session';
import { DatabaseError, type Database, type Session } from '../connection/types';
import { BENCH_METRICS } from '../explain/pgvector';
import type { HnswParams, HnswReport as ReportShape, HnswResult as ReportResult } from './report-types';
import {
  createScratchSchema,
  dropLeftovers,
  type DropScratchOptions,
  leftBehindText,
  newScratchName,
  runWithScratch,
  SCRATCH_PREFIX,
  ScratchLedger,
  type ScratchOutcome,
} from './scratch';
import { recallAtK, summarize } from './stats';
import { clustered, toVectorText, uniform } from './vectors';

export type { HnswParams } from './report-types';
/** The guide's grid; a 10,000 × 768 clustered data set, 100 held-out queries. */
export const DEFAULT_HNSW_PARAMS: Readonly<HnswParams> = Object.freeze({
  dim: 768,
  count: 10_000,
  queries: 100,
  distribution: 'clustered',
  metric: 'cosine',
  m: [12, 16, 24],
  efConstruction: [64, 128, 256],
  efSearch: [20, 40, 100, 200],
  k: 10,
  recallTarget: 0.95,
  seed: 42,
}) as Readonly<HnswParams>;

/** A result as the sweep measures it: the report shape, with the mean latency always there. */
export interface HnswResult extends ReportResult {
  meanMs: number;
}

export interface HnswRecommendation extends HnswResult {
  /** Why this one: the rule, in words. */
  reason: string;
}

/** The report as the sweep produces it: the shared report shape with everything it knows filled in. */
export interface HnswReport extends ReportShape {
  /** The database's label, e.g. "embedded PGlite (PostgreSQL 18.1)" or "127.0.0.1:5432/app". */
  database: string;
  kind: Database['kind'];
  serverVersion: string;
  pgvectorVersion: string;
  /** One per (m, ef_construction, ef_search), in grid order. */
  results: HnswResult[];
  /** Lowest p50 among the results reaching recallTarget (ties: smaller index, faster build); null when none does. */
  recommendation: HnswRecommendation | null;
  /** Latency of the exact (sequential scan) query, for comparison. */
  exact: { p50Ms: number; p95Ms: number };
  scratchSchema: string;
}

export type HnswProgress = (step: string, fraction: number, etaMs: number | undefined) => void;

export interface HnswRunOptions {
  onProgress?: HnswProgress;
  signal?: AbortSignal;
  /** Where the run records its scratch schema until it is dropped (the CLI names what is left on a forced exit). */
  ledger?: ScratchLedger;
}
const INDEX_NAME = 'pgperf_hnsw';

// ---------------------------------------------------------------------------------------------------------------
// Parameters

function intList(name: string, xs: unknown, min: number, max: number): number[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new RangeError(`${name} must be a non-empty list`);
  for (const x of xs) {
    if (!Number.isInteger(x) || (x as number) < min || (x as number) > max) {
      throw new RangeError(`${name}: ${String(x)} is not an integer within ${min}–${max}`);
    }
  }
  return [...new Set(xs as number[])];
}

function intIn(name: string, x: unknown, min: number, max: number): number {
  if (!Number.isInteger(x) || (x as number) < min || (x as number) > max) {
    throw new RangeError(`${name} must be an integer within ${min}–${max} (got ${String(x)})`);
  }
  return x as number;
}

/** Fills the defaults and checks the values (pgvector's limits: m 2–100, ef_construction 4–1000 and ≥ 2 × m, ef_search 1–1000, HNSW up to 2,000 dimensions). */
export function resolveHnswParams(params: Partial<HnswParams> = {}): HnswParams {
  const p: HnswParams = { ...DEFAULT_HNSW_PARAMS, ...stripUndefined(params) } as HnswParams;
  p.m = intList('m', [...p.m], 2, 100);
  p.efConstruction = intList('ef_construction', [...p.efConstruction], 4, 1000);
  p.efSearch = intList('ef_search', [...p.efSearch], 1, 1000);
  intIn('dim', p.dim, 1, 2000);
  intIn('k', p.k, 1, 1000);
  intIn('count', p.count, Math.max(p.k, 10), 100_000_000);
  intIn('queries', p.queries, 1, 100_000);
  if (!Number.isInteger(p.seed)) throw new RangeError(`seed must be an integer (got ${String(p.seed)})`);
  if (!(typeof p.recallTarget === 'number' && p.recallTarget > 0 && p.recallTarget <= 1)) {
    throw new RangeError(`recallTarget must be within (0, 1] (got ${String(p.recallTarget)})`);
  }
  if (p.distribution !== 'clustered' && p.distribution !== 'uniform') {
    throw new RangeError(`distribution must be clustered or uniform (got ${String(p.distribution)})`);
  }
  if (!Object.hasOwn(BENCH_METRICS, p.metric)) throw new RangeError(`metric must be cosine, l2 or ip (got ${String(p.metric)})`);
  if ((p.table === undefined) !== (p.column === undefined)) throw new RangeError('table and column go together');
  for (const m of p.m) {
    for (const ef of p.efConstruction) {
      if (ef < 2 * m) {
        throw new RangeError(`ef_construction ${ef} is below 2 × m for m = ${m}: pgvector refuses to build that index`);
      }
    }
  }
  return p;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The guide's memory formula: (m × 2) × 4 + dim × 4 bytes per vector. */
function formulaBytes(count: number, dim: number, m: number): number {
  return count * (m * 2 * 4 + dim * 4);
}

/** Rough peak size of the scratch schema: the vector table plus the largest index (one index exists at a time). */
export function estimateScratchBytes(params: Partial<HnswParams> = {}): number {
  const p = { ...DEFAULT_HNSW_PARAMS, ...stripUndefined(params) };
  const rows = p.table ? p.count + p.queries : p.count;
  // heap tuple: 24 header + 4 id + (8 + 4 × dim) vector, + 4 line pointer, ~10 % page slack
  const table = Math.round(rows * (24 + 4 + 8 + 4 * p.dim + 4) * 1.1);
  const index = Math.max(...p.m.map((m) => formulaBytes(p.count, p.dim, m)));
  return table + Math.round(index * 1.3);
}

/** What a run creates, in words (the confirmation for a non-local server). */
export function describeScratch(params: Partial<HnswParams> = {}): string {
  const p = { ...DEFAULT_HNSW_PARAMS, ...stripUndefined(params) };
  const mb = (estimateScratchBytes(p) / 1e6).toFixed(0);
  const source = p.table ? `${p.count + p.queries} vectors sampled from ${p.table}.${p.column}` : `${p.count} synthetic ${p.dim}-dim vectors`;
  const builds = p.m.length * p.efConstruction.length;
  return (
    `a schema ${SCRATCH_PREFIX}<random> with a table of ${source} and ${builds} HNSW index build${builds === 1 ? '' : 's'} ` +
    `(one index at a time), about ${mb} MB at its peak; dropped at the end`
  );
}

/** Whether the database is on this machine: the embedded one, or a server reached over a Unix socket or loopback. */
export async function isLocal(db: Database): Promise<boolean> {
  if (db.kind === 'embedded') return true;
  return withSession(db, async (s) => {
    const r = await s.query('select host(inet_server_addr()) as addr');
    const addr = r.rows[0]?.addr as string | null | undefined;
    return addr == null || addr === '::1' || /^127\./.test(addr) || addr === '::ffff:127.0.0.1';
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The sweep, in phases: plan (the grid and its progress model), set-up (pgvector, the scratch schema, the data,
// the prepared query), measure (exact results, then each index and its ef_search passes), report, clean-up.

const VECTOR_TEXT = /^\[[0-9eE+\-.,\s]*\]$/;

function cancelledError(where: string, cleanup: string): DatabaseError {
  return new DatabaseError('cancelled', `the HNSW benchmark was cancelled (${where}); ${cleanup}`, '57014');
}

class Aborted extends Error {}

interface Build {
  m: number;
  efConstruction: number;
}

/**
 * Plan: the builds of the grid and the progress they make, in work units (a cost model fitted on the embedded
 * database, 10,000 × 768: one unit ≈ one distance term of a sequential scan; build time grows about as
 * ef_construction^0.67 × m^0.7), with the ETA from the rate measured so far. Reads `p` live: sampling from a
 * table sets its count, dim and queries.
 */
class SweepPlan {
  readonly builds: Build[] = [];
  readonly loadUnits: number;
  readonly exactUnits: number;
  readonly total: number;
  /** The step under way, named in a cancel or failure message. */
  step = 'starting';
  done = 0;
  private readonly warmup: number;
  private static readonly PER_QUERY = 150_000; // a round trip and the vector text

  constructor(
    private readonly p: HnswParams,
    readonly t0: number,
    private readonly onProgress: HnswProgress | undefined,
  ) {
    this.warmup = Math.min(10, p.queries);
    for (const m of p.m) for (const efConstruction of p.efConstruction) this.builds.push({ m, efConstruction });
    this.loadUnits = (p.count + p.queries) * p.dim * 230;
    this.exactUnits = p.queries * (p.count * p.dim + SweepPlan.PER_QUERY);
    this.total =
      this.loadUnits + this.exactUnits + this.builds.reduce((s, b) => s + this.buildUnits(b) + p.efSearch.reduce((t, ef) => t + this.passUnits(b.m, ef), 0), 0);
  }

  buildUnits(b: Build): number {
    return this.p.count * this.p.dim * 1.5 * b.efConstruction ** 0.67 * b.m ** 0.7;
  }

  /** The first ef_search of each new index warms up with every query (see the file comment). */
  warmupOf(ef: number): number {
    return ef === this.p.efSearch[0] ? this.p.queries : this.warmup;
  }

  passUnits(m: number, ef: number): number {
    return (this.p.queries + this.warmupOf(ef)) * (Math.max(ef, this.p.k) * m * this.p.dim * 0.3 + SweepPlan.PER_QUERY);
  }

  report(name: string, extra = 0): void {
    this.step = name;
    if (!this.onProgress) return;
    const elapsed = performance.now() - this.t0;
    const d = this.done + extra;
    const eta = d > 0 ? (elapsed * (this.total - d)) / d : undefined;
    this.onProgress(name, Math.min(1, d / this.total), eta === undefined ? undefined : Math.round(eta));
  }

  /** Progress during a long statement (an index build): interpolated on the rate measured so far. */
  ticker(step: string, units: number): () => void {
    if (!this.onProgress) return () => undefined;
    const expectedMs = units * ((performance.now() - this.t0) / Math.max(this.done, 1));
    const start = performance.now();
    const timer = setInterval(() => this.report(step, units * Math.min(0.95, (performance.now() - start) / Math.max(expectedMs, 1))), 500);
    return () => clearInterval(timer);
  }
}

interface SweepState {
  /** The scratch schema is in the ledger (its CREATE was sent): the messages say it was dropped. */
  created: boolean;
  /** While true, an abort cancels the running statement (an index build). */
  building: boolean;
}

/** What the phases share once the set-up is done. */
interface Sweep {
  p: HnswParams;
  plan: SweepPlan;
  q: Q;
  /** Throws Aborted once the signal has fired (checked between statements). */
  check: () => void;
  /** The scratch schema, by name and quoted; pgvector's schema, quoted. */
  schema: string;
  s: string;
  es: string;
  state: SweepState;
  /** The prepared k-NN statement's name. */
  stmt: string;
  queryTexts: string[];
  runQuery: (text: string) => Promise<number[]>;
  serverVersion: string;
  pgvectorVersion: string;
}

/** The k nearest ids of each query and their latencies, before any index exists. */
interface Exact {
  ids: number[][];
  ms: number[];
}

/** Runs the sweep. Always drops its scratch schema; rejects with DatabaseError 'cancelled' when `signal` aborts. */
export async function runHnswSweep(db: Database, params: Partial<HnswParams> = {}, options: HnswRunOptions = {}): Promise<HnswReport> {
  const p = resolveHnswParams(params);
  const { signal } = options;
  const plan = new SweepPlan(p, performance.now(), options.onProgress);
  const startedAt = new Date().toISOString();
  if (signal?.aborted) throw cancelledError('before it started', 'nothing was created');
  const schema = newScratchName(6);
  plan.report('removing leftover scratch objects');
  await dropLeftovers(db);
  if (signal?.aborted) throw cancelledError('before it started', 'nothing was created');

  const ledger = options.ledger ?? new ScratchLedger();
  const state: SweepState = { created: false, building: false };
  const outcome = await runWithScratch(
    db,
    ledger,
    {
      signal,
      cancelOnAbort: () => state.building,
      brokenBy: (err) => err instanceof DatabaseError && (err.kind === 'connection' || err.kind === 'cancelled' || err.kind === 'timeout'),
    },
    async (session, cleanup) => {
      const check = () => {
        if (signal?.aborted) throw new Aborted();
      };
      const sweep = await setUp(db, session, ledger, cleanup, { p, plan, schema, check, state });
      const exact = await measureExact(sweep);
      const grid = await measureGrid(sweep, exact.ids);
      plan.report(`dropping scratch schema ${schema}`);
      return sweepReport(db, sweep, grid, exact, startedAt);
    },
  );
  const report = finishSweep(outcome, plan, schema, state, signal);
  report.totalMs = round(performance.now() - plan.t0);
  options.onProgress?.('done', 1, 0);
  return report;
}

// ---- set-up

/** Set-up: pgvector, the scratch schema (in the ledger before it exists), the vectors, the prepared k-NN query. */
async function setUp(
  db: Database,
  session: Session,
  ledger: ScratchLedger,
  cleanup: DropScratchOptions,
  run: Pick<Sweep, 'p' | 'plan' | 'schema' | 'check' | 'state'>,
): Promise<Sweep> {
  const { p, plan, schema, check } = run;
  const q: Q = (sql, args) => session.query(sql, args);
  plan.report('checking pgvector');
  const ext = await ensurePgvector(q, db.kind);
  const es = quoteIdent(ext.schema);
  // on this session: db.serverVersion() would need a second connection (a pool of one would deadlock)
  const v = await q(`select current_setting('server_version') as v`);

  plan.report(`creating scratch schema ${schema}`);
  ledger.add({ kind: 'schema', name: schema });
  run.state.created = true;
  await createScratchSchema(session, schema, 'hnsw');
  check();

  const s = quoteIdent(schema);
  const queryTexts = await loadVectors(q, s, es, p, plan, check);
  for (const t of queryTexts) if (!VECTOR_TEXT.test(t)) throw new DatabaseError('sql', `unexpected vector text: ${t.slice(0, 60)}`);
  await q(`ANALYZE ${s}.items`);
  check();

  const stmt = `pgperf_knn_${schema.slice(SCRATCH_PREFIX.length)}`;
  const op = `OPERATOR(${es}.${BENCH_METRICS[p.metric].operator})`;
  await q(`PREPARE ${stmt} (${es}.vector) AS SELECT id FROM ${s}.items ORDER BY embedding ${op} $1 LIMIT ${p.k}`);
  // PREPARE outlives transactions: the cleanup deallocates it on this session before the drops.
  cleanup.before = [`DEALLOCATE ${stmt}`];
  return {
    ...run,
    q,
    s,
    es,
    stmt,
    queryTexts,
    runQuery: async (text) => (await q(`EXECUTE ${stmt}('${text}')`)).rows.map((row) => Number(row.id)),
    serverVersion: `PostgreSQL ${String(v.rows[0]!.v)}`,
    pgvectorVersion: ext.version,
  };
}

/** The data: sampled from the user's table, or generated and loaded in batches. Returns the held-out query vectors. */
async function loadVectors(q: Q, s: string, es: string, p: HnswParams, plan: SweepPlan, check: () => void): Promise<string[]> {
  if (p.table !== undefined) {
    plan.report(`sampling ${p.count + p.queries} vectors from ${p.table}.${p.column}`);
    const sampled = await sampleFromTable(q, s, es, p);
    p.dim = sampled.dim;
    p.count = sampled.count;
    p.queries = sampled.queries.length;
    plan.done += plan.loadUnits;
    return sampled.queries;
  }
  plan.report('generating vectors');
  const all = (p.distribution === 'clustered' ? clustered : uniform)(p.count + p.queries, p.dim, p.seed);
  const queryTexts = all.slice(p.count).map(toVectorText);
  await q(`CREATE TABLE ${s}.items (id int4 NOT NULL, embedding ${es}.vector(${p.dim}) NOT NULL)`);
  const batch = Math.max(1, Math.floor(2_000_000 / (p.dim * 10)));
  for (let i = 0; i < p.count; i += batch) {
    check();
    plan.report(`loading vectors (${i.toLocaleString('en-US')} / ${p.count.toLocaleString('en-US')})`);
    const texts = all.slice(i, Math.min(p.count, i + batch)).map(toVectorText);
    await q(
      `INSERT INTO ${s}.items (id, embedding)
         SELECT (u.ord - 1 + $2::int8)::int4, u.v::${es}.vector(${p.dim}) FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord)`,
      [texts, i],
    );
    plan.done += (plan.loadUnits * texts.length) / (p.count + p.queries);
  }
  plan.done = plan.loadUnits;
  return queryTexts;
}

// ---- measure

/** The exact results (no index exists yet; index scans disabled too), timed: the baseline of recall and latency. */
async function measureExact(sw: Sweep): Promise<Exact> {
  const { p, plan, q, check } = sw;
  plan.report(`exact results for ${p.queries} queries`);
  const exact: Exact = { ids: [], ms: [] };
  await q('BEGIN; SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off');
  for (const t of sw.queryTexts) {
    check();
    const a = performance.now();
    exact.ids.push(await sw.runQuery(t));
    exact.ms.push(performance.now() - a);
    plan.done += plan.exactUnits / p.queries;
  }
  await q('COMMIT');
  plan.report(`exact results for ${p.queries} queries`);
  return exact;
}

interface Grid {
  results: HnswResult[];
  memoryFormula: HnswReport['memoryFormula'];
}

/** Every (m, ef_construction): one index at a time, built, measured at every ef_search, dropped. */
async function measureGrid(sw: Sweep, exact: number[][]): Promise<Grid> {
  const grid: Grid = { results: [], memoryFormula: [] };
  const { builds } = sw.plan;
  for (let bi = 0; bi < builds.length; bi++) {
    const b = builds[bi]!;
    sw.check();
    const label = `m=${b.m}, ef_construction=${b.efConstruction}`;
    const { buildMs, indexBytes } = await buildIndex(sw, b, `building index ${label} (${bi + 1}/${builds.length})`);
    grid.memoryFormula.push({ m: b.m, efConstruction: b.efConstruction, formulaBytes: formulaBytes(sw.p.count, sw.p.dim, b.m), indexBytes });
    for (const ef of sw.p.efSearch) {
      const pass = await measurePass(sw, label, b, ef, exact);
      grid.results.push({ m: b.m, efConstruction: b.efConstruction, efSearch: ef, buildMs: round(buildMs), indexBytes, ...pass });
    }
    await sw.q(`DROP INDEX ${sw.s}.${INDEX_NAME}`);
  }
  return grid;
}

/** Builds the index (an abort cancels the build) and reads its size. */
async function buildIndex(sw: Sweep, b: Build, step: string): Promise<{ buildMs: number; indexBytes: number }> {
  const { p, plan, q, check } = sw;
  plan.report(step);
  const units = plan.buildUnits(b);
  const stopTicker = plan.ticker(step, units);
  let buildMs: number;
  try {
    sw.state.building = true;
    check();
    const a = performance.now();
    await q(
      `CREATE INDEX ${INDEX_NAME} ON ${sw.s}.items USING hnsw (embedding ${sw.es}.${BENCH_METRICS[p.metric].opclass}) ` +
        `WITH (m = ${b.m}, ef_construction = ${b.efConstruction})`,
    );
    buildMs = performance.now() - a;
  } finally {
    sw.state.building = false;
    stopTicker();
  }
  plan.done += units;
  check();
  const size = await q(`SELECT pg_relation_size('${sw.schema}.${INDEX_NAME}'::regclass)::int8 AS bytes`);
  return { buildMs, indexBytes: Number(size.rows[0]!.bytes) };
}

/** One ef_search on the current index: the plan checked to use it, a warm-up, every query timed; recall against exact. */
async function measurePass(
  sw: Sweep,
  label: string,
  b: Build,
  ef: number,
  exact: number[][],
): Promise<Omit<HnswResult, 'm' | 'efConstruction' | 'efSearch' | 'buildMs' | 'indexBytes'>> {
  const { p, plan, q, check, queryTexts } = sw;
  check();
  plan.report(`ef_search=${ef} on ${label}`);
  await q(`BEGIN; SET LOCAL hnsw.ef_search = ${ef}; SET LOCAL enable_seqscan = off`);
  const explained = await q(`EXPLAIN (FORMAT JSON) EXECUTE ${sw.stmt}('${queryTexts[0]}')`);
  if (!JSON.stringify(explained.rows).includes(INDEX_NAME)) {
    throw new DatabaseError('sql', `the query does not use the HNSW index (${label}, ef_search=${ef}): ${JSON.stringify(explained.rows).slice(0, 300)}`);
  }
  for (let i = 0; i < plan.warmupOf(ef); i++) await sw.runQuery(queryTexts[i]!);
  const found: number[][] = [];
  const ms: number[] = [];
  for (const t of queryTexts) {
    check();
    const a = performance.now();
    found.push(await sw.runQuery(t));
    ms.push(performance.now() - a);
  }
  await q('COMMIT');
  plan.done += plan.passUnits(b.m, ef);
  const sum = ms.reduce((x, y) => x + y, 0);
  const st = summarize(ms);
  return {
    recall: round(recallAtK(found, exact, p.k), 4),
    p50Ms: round(st.p50),
    p95Ms: round(st.p95),
    p99Ms: round(st.p99),
    meanMs: round(st.mean),
    qps: round((ms.length * 1000) / sum, 1),
  };
}

// ---- report and clean-up

function sweepReport(db: Database, sw: Sweep, grid: Grid, exact: Exact, startedAt: string): HnswReport {
  const ex = summarize(exact.ms);
  return {
    database: db.label,
    kind: db.kind,
    serverVersion: sw.serverVersion,
    pgvectorVersion: sw.pgvectorVersion,
    params: sw.p,
    results: grid.results,
    recommendation: recommend(grid.results, sw.p.recallTarget),
    memoryFormula: grid.memoryFormula,
    exact: { p50Ms: round(ex.p50), p95Ms: round(ex.p95) },
    scratchSchema: sw.schema,
    startedAt,
    totalMs: 0,
  };
}

/** After the drops: the report, or the cancel or failure, worded with what the cleanup did. */
function finishSweep(outcome: ScratchOutcome<HnswReport>, plan: SweepPlan, schema: string, state: SweepState, signal: AbortSignal | undefined): HnswReport {
  const { failure, left } = outcome;
  const step = plan.step;
  const aborted =
    signal?.aborted === true && (failure instanceof Aborted || (failure instanceof DatabaseError && failure.kind !== 'sql') || failure === undefined);
  const cleanupText = left.length > 0 ? leftBehindText(left) : state.created ? `the scratch schema ${schema} was dropped` : 'nothing was created';
  if (aborted) throw cancelledError(step, cleanupText);
  if (failure !== undefined) {
    if (failure instanceof DatabaseError) {
      throw new DatabaseError(failure.kind, `${failure.message} (HNSW benchmark, ${step}; ${cleanupText})`, failure.code, { cause: failure });
    }
    if (left.length > 0)
      throw new DatabaseError('sql', `${String((failure as Error)?.message ?? failure)} (HNSW benchmark, ${step}; ${cleanupText})`, undefined, {
        cause: failure,
      });
    throw failure instanceof Error ? failure : new Error(String(failure as string));
  }
  if (left.length > 0) throw new DatabaseError('sql', `HNSW benchmark: the scratch schema could not be dropped; ${cleanupText}`);
  return outcome.result!;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The cheapest configuration reaching the target: lowest p50, then the smaller index, then the faster build. */
function recommend(results: readonly HnswResult[], recallTarget: number): HnswRecommendation | null {
  const ok = results.filter((r) => r.recall >= recallTarget);
  if (ok.length === 0) return null;
  const best = [...ok].sort((a, b) => a.p50Ms - b.p50Ms || a.indexBytes - b.indexBytes || a.buildMs - b.buildMs)[0]!;
  return {
    ...best,
    reason: `lowest p50 latency (${best.p50Ms} ms) among the ${ok.length} of ${results.length} configurations ` + `reaching recall@k ≥ ${recallTarget}`,
  };
}

type Q = (sql: string, args?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** The schema and version of pgvector; creates the extension only in the embedded database (our own). */
async function ensurePgvector(q: Q, kind: Database['kind']): Promise<{ schema: string; version: string }> {
  const find = () =>
    q(`select n.nspname as schema, e.extversion as version from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector'`);
  let r = await find();
  if (r.rows.length === 0 && kind === 'embedded') {
    await q('CREATE EXTENSION IF NOT EXISTS vector');
    r = await find();
  }
  if (r.rows.length === 0) {
    const avail = await q(`select 1 from pg_available_extensions where name = 'vector'`);
    throw new DatabaseError(
      'sql',
      avail.rows.length > 0
        ? 'pgvector is available on this server but not installed in this database: run CREATE EXTENSION vector (pgperf does not create it on a server), or benchmark on the embedded database'
        : 'pgvector is not installed on this server (no extension "vector"): benchmark on the embedded database, or install pgvector',
    );
  }
  return { schema: r.rows[0]!.schema as string, version: r.rows[0]!.version as string };
}

/** Copies a sample of the user's vectors into the scratch schema: `items` (count rows) and the held-out queries. */
async function sampleFromTable(q: Q, s: string, es: string, p: HnswParams): Promise<{ dim: number; count: number; queries: string[] }> {
  const rel = await q('select to_regclass($1)::oid as oid', [p.table]);
  const oid = rel.rows[0]?.oid;
  if (oid == null) throw new DatabaseError('sql', `table ${p.table} not found`, '42P01');
  const col = await q(
    `select quote_ident(a.attname) as col, $1::oid::regclass::text as rel, t.typname as type, a.atttypmod as typmod
       from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = $1::oid and a.attname = $2 and a.attnum > 0 and not a.attisdropped`,
    [oid, p.column],
  );
  const c = col.rows[0];
  if (!c) throw new DatabaseError('sql', `column ${p.column} not found in ${p.table}`, '42703');
  if (c.type !== 'vector') throw new DatabaseError('sql', `column ${p.column} of ${p.table} is ${String(c.type)}, not vector`);
  const ref = `${String(c.rel)}`;
  const column = String(c.col);
  let dim = Number(c.typmod);
  if (!(dim > 0)) {
    const d = await q(`select ${es}.vector_dims(${column}) as d from ${ref} where ${column} is not null limit 1`);
    dim = Number(d.rows[0]?.d);
    if (!(dim > 0)) throw new DatabaseError('sql', `column ${p.column} of ${p.table} has no vectors`);
  }
  if (dim > 2000) throw new DatabaseError('sql', `HNSW indexes vectors of up to 2,000 dimensions (${p.table}.${p.column} has ${dim})`);
  await q('select setseed($1)', [(((p.seed % 1000) + 1000) % 1000) / 1000]);
  await q(
    `CREATE TABLE ${s}.sample AS SELECT (row_number() OVER () - 1)::int4 AS rn, v AS embedding
       FROM (SELECT ${column}::${es}.vector(${dim}) AS v FROM ${ref} WHERE ${column} IS NOT NULL ORDER BY random() LIMIT ${p.count + p.queries}) x`,
  );
  const n = Number((await q(`select count(*)::int8 as n from ${s}.sample`)).rows[0]!.n);
  let nq = p.queries;
  if (n < p.count + p.queries) nq = Math.min(p.queries, Math.max(1, Math.floor(n / 10)));
  const count = n - nq;
  if (count < Math.max(p.k, 10)) throw new DatabaseError('sql', `${p.table}.${p.column} has only ${n} vectors: too few to benchmark`);
  await q(`CREATE TABLE ${s}.items AS SELECT rn AS id, embedding FROM ${s}.sample WHERE rn < ${count}`);
  const qr = await q(`SELECT embedding::text AS v FROM ${s}.sample WHERE rn >= ${count} ORDER BY rn`);
  await q(`DROP TABLE ${s}.sample`);
  return { dim, count, queries: qr.rows.map((r) => String(r.v)) };
}

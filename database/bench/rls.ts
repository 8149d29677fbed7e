/**
 * RLS overhead benchmark (issue 5, "RLS overhead"): the same three queries — a tenant-scoped lookup, a range scan,
 * an aggregate — with row-level security off and on, interleaved A/B over `rounds` paired rounds; overhead % per
 * query and overall with a 95 % confidence interval, against the tuning guide's < 5 % target, and whether the
 * plan changed. No `vscode` import.
 *
 * Design: what differs between the two sides is RLS and nothing else.
 * - Two identical tables in a scratch schema `pgperf_bench_<random>`: `t_norls` (RLS off) and `t_rls` (ENABLE +
 *   FORCE ROW LEVEL SECURITY, policy `tenant_id = current_setting('app.current_tenant_id')`). `t_rls` is filled
 *   from `t_norls` in the same physical order, both get the same indexes and VACUUM ANALYZE (a table of ≤ 30,000
 *   rows is analysed completely, so their statistics are identical; above that ANALYZE samples each table on its
 *   own). Two tables rather than toggling RLS on one: `ALTER TABLE … ENABLE/DISABLE ROW LEVEL SECURITY` takes an
 *   ACCESS EXCLUSIVE lock and invalidates cached plans, so toggling inside the A/B loop would perturb what is
 *   measured (and interleaving per round would mean DDL twice per round); toggling only between long A and B
 *   blocks loses the pairing. `row_security = off` cannot switch RLS off for a role it applies to (it raises an
 *   error instead), and a BYPASSRLS role can only be created by a superuser on PostgreSQL ≤ 15.
 * - Both sides run as the same plain role `pgperf_bench_<random>` (NOLOGIN, created for the run, granted SELECT
 *   on both tables), by `SET LOCAL ROLE` inside each transaction: a superuser — PGlite always runs as one — always
 *   bypasses RLS, and a table owner bypasses it unless FORCE is set. The role owns neither table; FORCE is set
 *   anyway so the RLS side is subject to the policy whoever runs it.
 * - Every transaction has the same shape on both sides: `BEGIN; SET LOCAL ROLE r; SET LOCAL app.current_tenant_id
 *   = 'tenant-…'` (one round trip, untimed), the query (timed, client-side round trip, parameters sent through the
 *   extended protocol), `COMMIT` (untimed). The tenant predicate is present on both sides: on the RLS side the
 *   policy adds it, on the other the query states it in its WHERE with the tenant as a parameter — as the
 *   application would without RLS, and as the guide's benchmark does with a literal. So the overhead includes what
 *   RLS really costs: the policy's `current_setting()` call and its planning (the planner cannot see the tenant
 *   value behind `current_setting()`, which can change the plan — reported as `planChanged`).
 * - Per round, every query runs `perRound` times on each side, A/B alternating which side goes first, with the
 *   same tenant and parameters for the A and the B execution of a pair. A round's sample per side is the median
 *   of its executions: a sub-millisecond query's round trip has rare spikes of 1–3 ms (GC, scheduling) on either
 *   side, and a mean would let a few of them decide the sign of the overhead (measured: ±10 % swings). The
 *   overhead is 100 × (mean over rounds of B − A) / mean of A, with the t interval of the paired differences
 *   (stats.ts `overheadCI95`); overall: the per-round sums over the three queries, i.e. weighted by each query's
 *   time, as "1000 queries in 245 ms" in the guide. p50/p95 are over the individual executions. Warm-up rounds
 *   run first and are not recorded.
 * - Plans: `EXPLAIN (FORMAT JSON)` of each query, run as the role in the same transaction shape; "changed" means the
 *   pre-order list of node types and index names differs (index names with the table name normalised away).
 * - Cleanup in `finally` — success, failure, abort: `DROP SCHEMA … CASCADE` (tables, policy, grants) then
 *   `DROP ROLE`, each waiting at most lock_timeout for a lock another session holds; what could not be dropped is
 *   named in the error with the SQL to drop it by hand. Schema and role are both noted with the run's backend
 *   (scratch.ts), so the next run of either benchmark drops them if this one's cleanup never ran (process
 *   killed, connection lost) as soon as that backend is gone, and never while this run is alive.
 */
import { performance } from 'node:perf_hooks';
import { quoteIdent, quoteLiteral } from '../connection/quote';
import { isConnectionError } from '../connection/session';
import { DatabaseError, type Database, type QueryResult, type Session } from '../connection/types';
import { labelOf, type RawPlanNode } from '../explain/plan';
import {
  RLS_DEFAULTS,
  type BenchDatabase,
  type BenchRunOptions,
  type LatencyP50P95,
  type RlsParams,
  type RlsQueryResult,
  type RlsReport,
} from './report-types';
import {
  createScratchRole,
  createScratchSchema,
  dropLeftovers,
  type DropScratchOptions,
  leftBehindText,
  newScratchName,
  runWithScratch,
  ScratchLedger,
} from './scratch';
import { overheadCI95, percentile } from './stats';
import { mulberry32 as prng } from './vectors';

/** The guide's target: RLS overhead under 5 %. */
const RLS_TARGET_PCT = 5;

/** Executions of each query per side per round (a round's sample is their median). */
const RLS_PER_ROUND_DEFAULT = 10;

export interface RlsRunParams extends RlsParams {
  /** Executions of each query per side per round (default 10); the round's sample is their median. */
  perRound?: number;
  /** Warm-up rounds, not recorded (default max(2, ⌈rounds / 10⌉)). */
  warmupRounds?: number;
}

export interface RlsRunOptions extends BenchRunOptions {
  /** Called once the names of the scratch objects are chosen (before anything is created). */
  onScratch?: (scratch: RlsScratch) => void;
  /** Where the run records its scratch objects until they are dropped (the CLI names what is left on a forced exit). */
  ledger?: ScratchLedger;
}

export interface RlsScratch {
  schema: string;
  role: string;
}

/** What the run produced: the contract's RlsReport plus the resolved parameters and the scratch names it used. */
export interface RlsRunReport extends RlsReport {
  database: BenchDatabase;
  params: RlsParams & { tenants: number; perRound: number; warmupRounds: number };
  /** below-target: the whole CI is under targetPct; above-target: the whole CI is over it; else inconclusive. */
  verdict: 'below-target' | 'above-target' | 'inconclusive';
  scratch: RlsScratch;
  startedAt: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Deterministic choices

const BASE_TIME_MS = Date.UTC(2025, 0, 1);
const MINUTE_MS = 60_000;

function tenantName(t: number): string {
  return `tenant-${String(t).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The queries

interface Draw {
  tenant: string;
  /** Lookup: an id of this tenant. */
  id: number;
  /** Range scan: [from, to). */
  from: string;
  to: string;
  /** Aggregate: the tenant's rows since this time (in the first half of the span). */
  since: string;
}

interface QuerySpec {
  name: string;
  /** SQL for table `t` (schema-qualified) with the tenant predicate stated (RLS off) or left to the policy. */
  sql(t: string, statesTenant: boolean): string;
  params(d: Draw, statesTenant: boolean): unknown[];
}

const QUERIES: QuerySpec[] = [
  {
    name: 'tenant-scoped lookup',
    sql: (t, st) => `select id, created_at, payload from ${t} where id = $1${st ? ' and tenant_id = $2' : ''}`,
    params: (d, st) => (st ? [d.id, d.tenant] : [d.id]),
  },
  {
    name: 'range scan',
    sql: (t, st) => `select id, created_at, payload from ${t} where ${st ? 'tenant_id = $3 and ' : ''}created_at >= $1 and created_at < $2 order by created_at`,
    params: (d, st) => (st ? [d.from, d.to, d.tenant] : [d.from, d.to]),
  },
  {
    // A parameter on both sides (the tenant's rows since a date): a query without parameters would go through the
    // simple query protocol on one side only, and that difference in the protocol would be measured as RLS cost.
    name: 'aggregate',
    sql: (t, st) => `select count(*) as n, max(created_at) as last from ${t} where ${st ? 'tenant_id = $2 and ' : ''}created_at >= $1`,
    params: (d, st) => (st ? [d.since, d.tenant] : [d.since]),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Plans

/** One line per node, indented as PostgreSQL's text format, with the conditions that show where RLS went. */
function planText(raw: RawPlanNode): string {
  const lines: string[] = [];
  const visit = (n: RawPlanNode, depth: number) => {
    const conds = ['Index Cond', 'Recheck Cond', 'Filter'].filter((k) => typeof n[k] === 'string').map((k) => `${k}: ${n[k] as string}`);
    lines.push(`${depth === 0 ? '' : `${'  '.repeat(depth)}-> `}${labelOf(n)}${conds.length ? ` (${conds.join('; ')})` : ''}`);
    for (const c of n.Plans ?? []) visit(c, depth + 1);
  };
  visit(raw, 0);
  return lines.join('\n');
}

/** Node types and index names in pre-order; the table name is normalised out of index names. */
function planSignature(raw: RawPlanNode, table: string): string[] {
  const out: string[] = [];
  const visit = (n: RawPlanNode, depth: number) => {
    const index = typeof n['Index Name'] === 'string' ? (n['Index Name'] as string).split(table).join('<table>') : '';
    out.push(`${depth}:${n['Node Type']}${index ? ` [${index}]` : ''}`);
    for (const c of n.Plans ?? []) visit(c, depth + 1);
  };
  visit(raw, 0);
  return out;
}

function rootOf(rows: Record<string, unknown>[]): RawPlanNode {
  let v: unknown = rows[0]?.['QUERY PLAN'];
  if (typeof v === 'string') v = JSON.parse(v);
  const top = (Array.isArray(v) ? v[0] : v) as { Plan?: RawPlanNode } | undefined;
  if (!top?.Plan) throw new Error('EXPLAIN (FORMAT JSON) returned no plan');
  return top.Plan;
}

// ---------------------------------------------------------------------------------------------------------------
// Run

function cancelled(signal: AbortSignal | undefined, cleanupText?: string): DatabaseError {
  const reason = signal?.reason;
  const why = reason instanceof Error && reason.message ? `: ${reason.message}` : '';
  return new DatabaseError('cancelled', `the RLS benchmark was cancelled${why}${cleanupText ? `; ${cleanupText}` : ''}`, '57014');
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled(signal);
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min} (got ${v})`);
  return v;
}

/** The run's resolved parameters (the defaults filled in, each checked). */
type RlsResolved = RlsRunReport['params'];

/** Plan: the parameters with their defaults, checked before anything connects. */
function resolveRlsParams(params: Partial<RlsRunParams> = {}): RlsResolved {
  const rows = positiveInt('rows', params.rows ?? RLS_DEFAULTS.rows);
  const rounds = positiveInt('rounds', params.rounds ?? RLS_DEFAULTS.rounds, 2);
  const tenants = positiveInt('tenants', params.tenants ?? RLS_DEFAULTS.tenants ?? 100);
  const seed = Math.trunc(params.seed ?? RLS_DEFAULTS.seed);
  const perRound = positiveInt('perRound', params.perRound ?? RLS_PER_ROUND_DEFAULT);
  const warmupRounds = positiveInt('warmupRounds', params.warmupRounds ?? Math.max(2, Math.ceil(rounds / 10)), 0);
  if (tenants > rows) throw new RangeError(`tenants (${tenants}) must not exceed rows (${rows})`);
  return { rows, rounds, tenants, seed, perRound, warmupRounds };
}

/** What the phases share: the parameters, the scratch names (quoted), the session's statement runner. */
interface RlsRun {
  p: RlsResolved;
  signal: AbortSignal | undefined;
  progress: (step: string, fraction: number, etaMs?: number | null) => void;
  /** Runs a statement on the run's session: checks the abort first, and marks the session broken on a lost connection. */
  exec: (sql: string, params?: unknown[]) => Promise<QueryResult>;
  /** The scratch schema and role, quoted; the two tables, schema-qualified. */
  S: string;
  R: string;
  plain: string;
  secured: string;
  /** Per query, its SQL on each side (filled by sideSql). */
  sql: { without: string; with: string }[];
}

/** The plans of one query without and with RLS, as text, and whether their shape differs. */
interface PlanPair {
  without: string;
  with: string;
  changed: boolean;
}

/** Per query: the per-round medians (the paired samples) and every recorded execution, RLS off (A) and on (B). */
interface Samples {
  roundsA: number[][];
  roundsB: number[][];
  allA: number[][];
  allB: number[][];
}

/**
 * Runs the benchmark on `db` (one session for the whole run; the embedded database has only one). Throws a
 * DatabaseError 'cancelled' when `signal` aborts; the scratch schema and role are dropped in every case.
 */
export async function runRlsBenchmark(db: Database, params: Partial<RlsRunParams> = {}, options: RlsRunOptions = {}): Promise<RlsRunReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const p = resolveRlsParams(params);
  const { signal, onProgress } = options;
  checkAbort(signal);

  const version = await db.serverVersion();
  const database: BenchDatabase = { kind: db.kind, label: db.label, serverVersion: version.text };
  const tag = newScratchName(5);
  const scratch: RlsScratch = { schema: tag, role: tag };
  options.onScratch?.(scratch);
  const progress = (step: string, fraction: number, etaMs: number | null = null) => onProgress?.(step, Math.min(1, Math.max(0, fraction)), etaMs);

  // What earlier runs left behind when their process or connection died mid-run (their finally never ran).
  await dropLeftovers(db);
  const ledger = options.ledger ?? new ScratchLedger();

  const outcome = await runWithScratch(
    db,
    ledger,
    // Abort during a long statement (loading a big table): cancel it rather than wait.
    { signal, onCleanup: () => progress('drop the scratch schema and role', 0.99) },
    async (session, cleanup) => {
      const run = rlsRun(p, scratch, session, cleanup, signal, progress);
      await setUp(run, session, ledger, scratch);
      const draw = drawer(p);
      const plans = await comparePlans(run, draw());
      const samples = await measureRounds(run, draw);
      return rlsReport(p, samples, plans, { database, scratch, startedAt });
    },
  );

  // Clean-up is done: word the outcome with what it dropped or left.
  const leftText = outcome.left.length > 0 ? leftBehindText(outcome.left) : undefined;
  if (signal?.aborted) throw cancelled(signal, leftText ?? `the scratch schema and role ${tag} were dropped`);
  if (outcome.failure !== undefined) throw withCleanup(outcome.failure, leftText);
  if (leftText) throw new DatabaseError('sql', `the RLS benchmark finished, but its scratch objects could not be dropped; ${leftText}`);
  const report = outcome.result!;
  report.totalMs = performance.now() - started;
  progress('done', 1, 0);
  return report;
}

// ---- set-up

function rlsRun(
  p: RlsResolved,
  scratch: RlsScratch,
  session: Session,
  cleanup: DropScratchOptions,
  signal: AbortSignal | undefined,
  progress: RlsRun['progress'],
): RlsRun {
  const S = quoteIdent(scratch.schema);
  return {
    p,
    signal,
    progress,
    exec: async (sql, args) => {
      checkAbort(signal);
      try {
        return await session.query(sql, args);
      } catch (err) {
        if (isConnectionError(err)) cleanup.broken = true;
        if (signal?.aborted) throw cancelled(signal);
        throw err;
      }
    },
    S,
    R: quoteIdent(scratch.role),
    plain: `${S}.t_norls`,
    secured: `${S}.t_rls`,
    sql: [],
  };
}

/** Set-up: the scratch schema and role (each in the ledger before it exists), the two tables, indexes, policy, grants. */
async function setUp(run: RlsRun, session: Session, ledger: ScratchLedger, scratch: RlsScratch): Promise<void> {
  const { exec, S, R, plain, secured, p, progress } = run;
  progress(`create the scratch schema and role ${scratch.schema}`, 0);
  // Noted with this connection's backend, so that a later run drops them if this one's cleanup never runs.
  checkAbort(run.signal);
  ledger.add({ kind: 'schema', name: scratch.schema });
  await createScratchSchema(session, scratch.schema, 'rls');
  ledger.add({ kind: 'role', name: scratch.role });
  await createScratchRole(session, scratch.role, 'rls');
  // SET ROLE needs membership: implicit for a superuser, explicit for a CREATEROLE user (PG 16 gives the
  // creator ADMIN but not SET on the new role).
  await exec(`grant ${R} to current_user`).catch((err: unknown) => {
    if (!(err instanceof DatabaseError && err.kind === 'sql')) throw err; // e.g. already a member
  });

  progress(`load ${p.rows.toLocaleString('en-US')} rows`, 0.02);
  await exec(`create table ${plain} (tenant_id text not null, id bigint not null, created_at timestamptz not null, payload text not null)`);
  await exec(`select setseed($1)`, [(((p.seed % 2147483647) + 2147483647) % 2147483647) / 2147483647]);
  await exec(
    `insert into ${plain} (tenant_id, id, created_at, payload)
     select 'tenant-' || lpad((i % $2)::text, 4, '0'), i,
            $3::timestamptz + (i * interval '1 minute') + random() * interval '59 seconds',
            md5(random()::text) || md5(i::text)
     from generate_series(1, $1::int) as i`,
    [p.rows, p.tenants, new Date(BASE_TIME_MS).toISOString()],
  );
  await exec(`create table ${secured} (like ${plain} including all)`);
  await exec(`insert into ${secured} select * from ${plain} order by id`);
  progress('create indexes', 0.08);
  for (const t of ['t_norls', 't_rls']) {
    await exec(`alter table ${S}.${t} add constraint ${t}_pkey primary key (id)`);
    await exec(`create index ${t}_tenant_created_idx on ${S}.${t} (tenant_id, created_at)`);
  }
  await exec(`alter table ${secured} enable row level security`);
  await exec(`alter table ${secured} force row level security`);
  await exec(`create policy tenant_isolation on ${secured} using (tenant_id = current_setting('app.current_tenant_id'))`);
  await exec(`grant usage on schema ${S} to ${R}`);
  await exec(`grant select on ${plain}, ${secured} to ${R}`);
  progress('vacuum analyze', 0.12);
  await exec(`vacuum analyze ${plain}`);
  await exec(`vacuum analyze ${secured}`);
}

/** Draws: the same seeded sequence of tenants, ids and time windows for both sides. */
function drawer(p: RlsResolved): () => Draw {
  const { rows, tenants } = p;
  const rand = prng(p.seed);
  const perTenant = Math.floor(rows / tenants);
  const spanMin = rows; // created_at spans about `rows` minutes
  const windowMin = Math.min(spanMin, Math.max(60, Math.round((spanMin * 20) / Math.max(1, perTenant)))); // ~20 rows per tenant
  return () => {
    const t = Math.floor(rand() * tenants);
    // ids of tenant t: i ≡ t (mod tenants), 1 ≤ i ≤ rows
    const first = t === 0 ? tenants : t;
    const count = Math.floor((rows - first) / tenants) + 1;
    const id = first + tenants * Math.floor(rand() * count);
    const startMin = Math.floor(rand() * Math.max(1, spanMin - windowMin));
    return {
      tenant: tenantName(t),
      id,
      from: new Date(BASE_TIME_MS + startMin * MINUTE_MS).toISOString(),
      to: new Date(BASE_TIME_MS + (startMin + windowMin) * MINUTE_MS).toISOString(),
      since: new Date(BASE_TIME_MS + Math.floor((rand() * spanMin) / 2) * MINUTE_MS).toISOString(),
    };
  };
}

/** Query qi's SQL on one side (built once per run: nothing but the round trip is timed). */
function sideSql(run: RlsRun, qi: number, withRls: boolean): string {
  const side = (run.sql[qi] ??= { without: QUERIES[qi]!.sql(run.plain, true), with: QUERIES[qi]!.sql(run.secured, false) });
  return withRls ? side.with : side.without;
}

/** `body` in one transaction of the measured shape: as the role, with the tenant set (one untimed round trip). */
async function asTenant<T>(run: RlsRun, tenant: string, body: () => Promise<T>): Promise<T> {
  await run.exec(`begin; set local role ${run.R}; set local app.current_tenant_id = ${quoteLiteral(tenant)}`);
  try {
    return await body();
  } finally {
    await run.exec('commit').catch(() => undefined);
  }
}

// ---- measure

/** Each query's plan without and with RLS, explained in the transaction shape the measurement uses. */
async function comparePlans(run: RlsRun, d: Draw): Promise<PlanPair[]> {
  run.progress('compare plans', 0.15);
  const plans: PlanPair[] = [];
  for (let qi = 0; qi < QUERIES.length; qi++) {
    const q = QUERIES[qi]!;
    const explainAs = (withRls: boolean) =>
      asTenant(run, d.tenant, async () => rootOf((await run.exec(`explain (format json) ${sideSql(run, qi, withRls)}`, q.params(d, !withRls))).rows));
    const a = await explainAs(false);
    const b = await explainAs(true);
    const changed = planSignature(a, 't_norls').join('\n') !== planSignature(b, 't_rls').join('\n');
    plans.push({ without: planText(a), with: planText(b), changed });
  }
  return plans;
}

/** One execution of query qi on one side; returns the client-side round trip of the query alone, ms. */
function timed(run: RlsRun, qi: number, withRls: boolean, d: Draw): Promise<number> {
  const q = QUERIES[qi]!;
  return asTenant(run, d.tenant, async () => {
    const sql = sideSql(run, qi, withRls);
    const t0 = performance.now();
    const r = await run.exec(sql, q.params(d, !withRls));
    const ms = performance.now() - t0;
    if (r.rows.length === 0) throw new Error(`${q.name} returned no rows (${withRls ? 'with' : 'without'} RLS)`);
    return ms;
  });
}

/** Warm-up rounds (not recorded), then the measured rounds: per query, perRound A/B pairs, alternating which goes first. */
async function measureRounds(run: RlsRun, draw: () => Draw): Promise<Samples> {
  const { rounds, warmupRounds, perRound } = run.p;
  const samples: Samples = { roundsA: QUERIES.map(() => []), roundsB: QUERIES.map(() => []), allA: QUERIES.map(() => []), allB: QUERIES.map(() => []) };
  const total = warmupRounds + rounds;
  const loopStart = performance.now();
  for (let r = 0; r < total; r++) {
    checkAbort(run.signal);
    const warm = r < warmupRounds;
    const elapsed = performance.now() - loopStart;
    run.progress(
      warm ? `warm-up round ${r + 1}/${warmupRounds}` : `round ${r - warmupRounds + 1}/${rounds}`,
      0.18 + 0.8 * (r / total),
      r > 0 ? Math.round((elapsed / r) * (total - r)) : null,
    );
    for (let qi = 0; qi < QUERIES.length; qi++) {
      const roundA: number[] = [];
      const roundB: number[] = [];
      for (let k = 0; k < perRound; k++) {
        const d = draw();
        const rlsFirst = (r + k) % 2 === 1;
        let a: number;
        let b: number;
        if (rlsFirst) {
          b = await timed(run, qi, true, d);
          a = await timed(run, qi, false, d);
        } else {
          a = await timed(run, qi, false, d);
          b = await timed(run, qi, true, d);
        }
        roundA.push(a);
        roundB.push(b);
        if (!warm) {
          samples.allA[qi]!.push(a);
          samples.allB[qi]!.push(b);
        }
      }
      if (!warm) {
        samples.roundsA[qi]!.push(median(roundA));
        samples.roundsB[qi]!.push(median(roundB));
      }
    }
  }
  return samples;
}

// ---- report

function rlsReport(p: RlsResolved, samples: Samples, plans: PlanPair[], run: Pick<RlsRunReport, 'database' | 'scratch' | 'startedAt'>): RlsRunReport {
  const lat = (xs: number[]): LatencyP50P95 => {
    const sorted = [...xs].sort((x, y) => x - y);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  };
  const queries: RlsQueryResult[] = QUERIES.map((q, qi) => {
    const o = overheadCI95(samples.roundsA[qi]!, samples.roundsB[qi]!);
    return {
      name: q.name,
      withoutRlsMs: lat(samples.allA[qi]!),
      withRlsMs: lat(samples.allB[qi]!),
      overheadPct: o.pct,
      ci95Pct: o.ci95Pct,
      planChanged: plans[qi]!.changed,
      planWithout: plans[qi]!.without,
      planWith: plans[qi]!.with,
    };
  });
  const roundSum = (per: number[][]) => per[0]!.map((_, r) => per.reduce((s, xs) => s + xs[r]!, 0));
  const overall = overheadCI95(roundSum(samples.roundsA), roundSum(samples.roundsB));
  const verdict = overall.ci95Pct[1] < RLS_TARGET_PCT ? 'below-target' : overall.ci95Pct[0] > RLS_TARGET_PCT ? 'above-target' : 'inconclusive';
  return {
    database: run.database,
    params: { rows: p.rows, rounds: p.rounds, tenants: p.tenants, seed: p.seed, perRound: p.perRound, warmupRounds: p.warmupRounds },
    overheadPct: overall.pct,
    ci95Pct: overall.ci95Pct,
    targetPct: RLS_TARGET_PCT,
    verdict,
    queries,
    scratch: run.scratch,
    startedAt: run.startedAt,
    totalMs: 0,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The failure, with what the cleanup left behind added to its message. */
function withCleanup(failure: unknown, leftText: string | undefined): unknown {
  if (!leftText) return failure;
  const message = failure instanceof Error ? failure.message : String(failure);
  const kind = failure instanceof DatabaseError ? failure.kind : 'sql';
  const code = failure instanceof DatabaseError ? failure.code : undefined;
  return new DatabaseError(kind, `${message}; ${leftText}`, code, { cause: failure });
}

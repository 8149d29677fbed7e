/**
 * What-if indexes with HypoPG: for each case, the planner's cost of its query before and after
 * `hypopg_create_index` made the suggested index exist for this backend's planner alone. Nothing is built and
 * nothing is written: each case runs in `BEGIN READ ONLY` with `SET LOCAL statement_timeout`, always rolled
 * back, and its prepared statements and hypothetical indexes (which a rollback does not undo) are removed
 * afterwards (`DEALLOCATE`, `hypopg_reset()`); a session where that fails is discarded, not pooled.
 *
 * The extension is never created here: a server without it gets the reason and how to get it. The CREATE INDEX
 * text goes to hypopg_create_index as a bind parameter, never into other SQL; the query is the one the case
 * names (one statement, checked in cases.ts) and is only planned (PREPARE, EXPLAIN EXECUTE), never executed.
 * PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN): a query with `$n` is prepared under `plan_cache_mode =
 * force_generic_plan` and explained with NULL for each parameter, the plan the server would use for any value.
 */
import { quoteIdent } from '../connection/quote';
import { withSession } from '../connection/session';
import { type Database, DatabaseError, type Session } from '../connection/types';
import type { WhatIfCase, WhatIfSkip } from './cases';

export const DEFAULT_WHATIF_TIMEOUT_MS = 10_000;

export type HypopgStatus =
  { available: true; version: string; schema: string } | { available: false; state: 'embedded' | 'not-installed' | 'not-created'; reason: string };

export interface WhatIfResult {
  case: WhatIfCase;
  status: 'measured' | 'failed';
  /** The plan's total cost without, then with the hypothetical index. */
  before?: number;
  after?: number;
  /** after / before. */
  ratio?: number;
  /** Whether the plan with the index reads it. */
  usesIndex?: boolean;
  /** HypoPG's name for it (`<13556>btree_orders_customer_id`). */
  hypotheticalIndex?: string;
  /** Why a case failed (the server's error). */
  reason?: string;
}

export interface WhatIfReport {
  database: { label: string; serverVersion: string };
  hypopg: HypopgStatus;
  results: WhatIfResult[];
  skipped: WhatIfSkip[];
}

/** What to say when HypoPG cannot be used, and how to get it. */
export function hypopgMissingText(state: 'embedded' | 'not-installed' | 'not-created', serverMajor?: number): string {
  const major = serverMajor ?? '<major>';
  if (state === 'embedded') {
    return (
      'what-if indexes need a PostgreSQL server with the HypoPG extension; the embedded database (PGlite) has no hypopg. ' +
      'Set DATABASE_URL or PG* to a server where hypopg is installed.'
    );
  }
  if (state === 'not-created') {
    return (
      'the HypoPG extension is installed on the server but not created in this database: run CREATE EXTENSION hypopg ' +
      '(it creates functions only, builds nothing; pgperf never creates it for you).'
    );
  }
  return (
    `the HypoPG extension is not installed on the server. On Debian or Ubuntu (PGDG packages): apt install postgresql-${major}-hypopg; ` +
    'elsewhere build it from https://github.com/HypoPG/hypopg (make install), then run CREATE EXTENSION hypopg in the database.'
  );
}

/** Whether HypoPG can be used in the session's database. */
async function hypopgStatus(s: Session): Promise<HypopgStatus> {
  const version = await s.query(`SELECT current_setting('server_version_num')::int AS num`);
  const major = Math.floor(Number(version.rows[0]?.num) / 10000) || undefined;
  const created = await s.query(`SELECT e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'`);
  const row = created.rows[0];
  if (row) return { available: true, version: String(row.extversion), schema: String(row.nspname) };
  const avail = await s.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'`);
  const state = avail.rows.length > 0 ? 'not-created' : 'not-installed';
  return { available: false, state, reason: hypopgMissingText(state, major) };
}

type Plan = Record<string, unknown>;

function planOf(value: unknown): Plan {
  const json: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  const plan = Array.isArray(json) ? (json[0] as { Plan?: Plan } | undefined)?.Plan : undefined;
  if (!plan) throw new DatabaseError('sql', 'EXPLAIN returned no plan');
  return plan;
}

/** Whether the plan, at any depth, reads the index of that name. */
function usesIndexNamed(plan: Plan, name: string): boolean {
  if (plan['Index Name'] === name) return true;
  return Array.isArray(plan.Plans) && (plan.Plans as Plan[]).some((p) => usesIndexNamed(p, name));
}

/** Prepared statement names of this module, one per plan (a prepared plan is cached: a new index needs a new one). */
let prepared = 0;

/**
 * The generic plan of `query`: PREPARE (the server infers the parameters' types), EXPLAIN EXECUTE with NULL
 * for each, DEALLOCATE. `pending` holds the name until it is deallocated, for the clean-up after an error.
 */
async function genericPlan(s: Session, query: string, pending: Set<string>): Promise<Plan> {
  const name = `pgperf_whatif_${process.pid}_${++prepared}`;
  await s.statement(`PREPARE ${name} AS ${query}`);
  pending.add(name);
  const { rows } = await s.statement(`SELECT cardinality(parameter_types) AS n FROM pg_prepared_statements WHERE name = $1`, [name]);
  const n = Number(rows[0]?.n ?? 0);
  const args = n > 0 ? `(${Array.from({ length: n }, () => 'NULL').join(', ')})` : '';
  const explain = await s.statement(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${args}`);
  await s.statement(`DEALLOCATE ${name}`);
  pending.delete(name);
  return planOf(explain.rows[0]?.[explain.fields[0]]);
}

const cost = (p: Plan): number => Number(p['Total Cost']);

/** One case, in its own read-only transaction; every trace removed afterwards (see the file's comment). */
async function runCase(s: Session, c: WhatIfCase, hypopgSchema: string, timeoutMs: number): Promise<WhatIfResult> {
  const pending = new Set<string>();
  const fn = `${quoteIdent(hypopgSchema)}.`;
  let result: WhatIfResult;
  await s.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(timeoutMs)}; SET LOCAL plan_cache_mode = force_generic_plan`);
  try {
    const before = cost(await genericPlan(s, c.query, pending));
    const made = await s.statement(`SELECT indexrelid, indexname FROM ${fn}hypopg_create_index($1)`, [c.index]);
    const name = made.rows[0]?.indexname;
    if (typeof name !== 'string') throw new DatabaseError('sql', 'hypopg_create_index made no index');
    const withIndex = await genericPlan(s, c.query, pending);
    const after = cost(withIndex);
    result = {
      case: c,
      status: 'measured',
      before,
      after,
      ratio: before > 0 ? after / before : 1,
      usesIndex: usesIndexNamed(withIndex, name),
      hypotheticalIndex: name,
    };
  } catch (e) {
    if (!(e instanceof DatabaseError) || e.kind === 'connection' || e.kind === 'cancelled') throw e;
    result = { case: c, status: 'failed', reason: `${e.message.split('\n')[0]}${e.code ? ` (SQLSTATE ${e.code})` : ''}` };
  } finally {
    await s.query('ROLLBACK').catch(() => undefined);
    await cleanUp(s, fn, pending);
  }
  return result;
}

/**
 * Removes what a rollback leaves: the prepared statements and the hypothetical indexes of this backend. A failure
 * here is reported as a lost connection, so that the session is discarded rather than pooled with them.
 */
async function cleanUp(s: Session, fn: string, pending: Set<string>): Promise<void> {
  try {
    for (const name of pending) await s.statement(`DEALLOCATE ${name}`);
    await s.statement(`SELECT ${fn}hypopg_reset()`);
  } catch (e) {
    throw new DatabaseError('connection', `the hypothetical indexes could not be removed (${(e as Error).message}); the connection is discarded`, undefined, {
      cause: e,
    });
  }
}

export interface WhatIfOptions {
  /** statement_timeout of each case, ms (default 10000; 0: none). */
  timeoutMs?: number;
}

/** The what-if run on one session (the caller owns it): HypoPG's status, then each case. */
export async function whatIfOnSession(
  s: Session,
  cases: readonly WhatIfCase[],
  options: WhatIfOptions = {},
): Promise<Pick<WhatIfReport, 'hypopg' | 'results'>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WHATIF_TIMEOUT_MS;
  await s.query('BEGIN READ ONLY');
  let hypopg: HypopgStatus;
  try {
    hypopg = await hypopgStatus(s);
  } finally {
    await s.query('ROLLBACK').catch(() => undefined);
  }
  const results: WhatIfResult[] = [];
  if (!hypopg.available) return { hypopg, results };
  for (const c of cases) results.push(await runCase(s, c, hypopg.schema, timeoutMs));
  return { hypopg, results };
}

/** The what-if run on a database: the embedded one has no HypoPG; a server runs every case on one session. */
export async function runWhatIf(
  db: Database,
  cases: readonly WhatIfCase[],
  skipped: readonly WhatIfSkip[],
  options: WhatIfOptions = {},
): Promise<WhatIfReport> {
  const version = await db.serverVersion();
  const database = { label: db.label, serverVersion: version.text };
  if (db.kind === 'embedded') {
    return { database, hypopg: { available: false, state: 'embedded', reason: hypopgMissingText('embedded') }, results: [], skipped: [...skipped] };
  }
  const run = await withSession(db, (s) => whatIfOnSession(s, cases, options));
  return { database, ...run, skipped: [...skipped] };
}

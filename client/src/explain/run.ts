/**
 * Runs EXPLAIN [ANALYZE] against a Database, always inside a transaction that is rolled back (also on error and
 * cancel), with a statement_timeout, a cancel handle, and a refusal of writing statements unless confirmed.
 */
import { DatabaseError, type Database, type Session } from '../db/types';
import { planFindings, type PlanContext, type PlanFinding } from './findings';
import { parsePlan, walk, type PlanNode, type PlanTotals } from './plan';
import { classify, type Classification, type FunctionVerdictCache } from './safety';

export interface ExplainOptions {
  sql: string;
  /** EXPLAIN ANALYZE (executes the statement, rolled back) or plain EXPLAIN. */
  analyze: boolean;
  /** Values for `$1…$n`, sent as query parameters. */
  params?: unknown[];
  /** Force the generic plan (implied when the statement has `$n` and no params are given). */
  generic?: boolean;
  /** SET LOCAL statement_timeout, ms. */
  timeoutMs: number;
  /** Asked before EXPLAIN ANALYZE runs a statement that writes; resolve true to run it (still rolled back). */
  confirm?: (reasons: string[]) => Promise<boolean>;
  /** Planner/executor settings for this run only (SET LOCAL), e.g. `{ work_mem: '256MB' }`. */
  settings?: Record<string, string>;
  /** Aborting cancels the running statement (pg_cancel_backend) and rolls back. */
  signal?: AbortSignal;
}

export interface ExplainResult {
  /** db.label: which database the plan came from. */
  database: string;
  sql: string;
  /** The server's JSON plan, as returned. */
  plan: unknown;
  tree: PlanNode;
  /** Every node in pre-order (nodes[id]). */
  nodes: PlanNode[];
  totals: PlanTotals;
  findings: PlanFinding[];
  planningMs?: number;
  executionMs?: number;
  /** Whether the statement was executed (ANALYZE) or only planned. */
  analyzed: boolean;
  generic: boolean;
  warnings: string[];
  classification: Classification;
}

/** A writing statement was not confirmed (or no confirm callback was given): nothing was run. */
export class ExplainRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`EXPLAIN ANALYZE executes the statement, and this one writes (${reasons.join('; ')}): confirm to run it inside a transaction that is rolled back`);
    this.name = 'ExplainRefused';
  }
}

/** The statement cannot be explained (syntax error, several statements, DDL that EXPLAIN does not accept). */
export class ExplainUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExplainUnsupported';
  }
}

export interface ExplainHandle {
  result: Promise<ExplainResult>;
  /** Cancels the running statement; `result` then rejects with DatabaseError('cancelled'). */
  cancel(): Promise<void>;
}

/** EXPLAIN with a cancel handle. */
export function startExplain(db: Database, options: ExplainOptions): ExplainHandle {
  const state: { session?: Session; cancelled: boolean } = { cancelled: false };
  const cancel = async () => {
    state.cancelled = true;
    await state.session?.cancel();
  };
  const result = run(db, options, state);
  // The caller may attach its handler only after awaiting cancel(): do not let the rejection count as unhandled.
  result.catch(() => {});
  return { result, cancel };
}

export function explain(db: Database, options: ExplainOptions): Promise<ExplainResult> {
  const handle = startExplain(db, options);
  const signal = options.signal;
  if (signal) {
    if (signal.aborted) void handle.cancel();
    else signal.addEventListener('abort', () => void handle.cancel().catch(() => {}), { once: true });
  }
  return handle.result;
}

const JSON_OPTS = 'FORMAT JSON';
/** Built-in function verdicts per database (see safety.ts). */
const verdicts = new WeakMap<Database, FunctionVerdictCache>();
let prepareCounter = 0;

async function run(db: Database, o: ExplainOptions, state: { session?: Session; cancelled: boolean }): Promise<ExplainResult> {
  const timeoutMs = Math.max(1, Math.floor(o.timeoutMs));
  if (!Number.isFinite(timeoutMs)) throw new RangeError('timeoutMs must be a number of milliseconds');
  const sql = o.sql.trim().replace(/;\s*$/, '');
  const warnings: string[] = [];

  const session = await db.session();
  state.session = session;
  let broken = false;
  let inTransaction = false;
  let prepared: string | undefined;
  let rollback: Promise<void> | undefined;
  try {
    if (state.cancelled) throw new DatabaseError('cancelled', 'cancelled before it started');
    let cache = verdicts.get(db);
    if (!cache) verdicts.set(db, (cache = new Map()));
    const cls = await classify(sql, session, cache);
    if (cls.error) throw new ExplainUnsupported(cls.error);
    if (!cls.explainable) {
      throw new ExplainUnsupported(
        `EXPLAIN cannot run ${cls.statementType?.replace(/Stmt$/, '') ?? 'this statement'}: it explains SELECT, VALUES, INSERT, UPDATE, DELETE, MERGE, EXECUTE, DECLARE and CREATE TABLE … AS (${cls.reasons.join('; ')})`,
      );
    }
    const params = o.params ?? [];
    if (o.params && o.params.length < cls.maxParam) {
      throw new ExplainUnsupported(`the statement uses $1…$${cls.maxParam} but ${o.params.length} value(s) were given`);
    }
    let generic = o.generic === true || (cls.maxParam > 0 && o.params === undefined);
    let analyze = o.analyze;
    if (generic && analyze) {
      warnings.push(cls.maxParam > 0 && o.params === undefined
        ? `ANALYZE needs values for $1…$${cls.maxParam}: showing the generic plan instead (not executed)`
        : 'a generic plan cannot be executed: showing it without ANALYZE');
      analyze = false;
    }
    if (generic && cls.maxParam === 0) generic = false; // nothing to generalize
    if (analyze && cls.writes) {
      const ok = o.confirm ? await o.confirm(cls.reasons) : false;
      if (!ok) throw new ExplainRefused(cls.reasons);
    }
    if (state.cancelled) throw new DatabaseError('cancelled', 'cancelled before it started');

    const version = generic ? (await db.serverVersion()).num : 0;
    // One round trip where possible: BEGIN, the SET LOCALs and (without parameters) the EXPLAIN itself go in
    // one simple-protocol message; the result is the last statement's.
    const prologue = ['BEGIN', `SET LOCAL statement_timeout = ${timeoutMs}`];
    for (const [name, value] of Object.entries(o.settings ?? {})) {
      if (!/^[a-z_][a-z0-9_.]*$/i.test(name)) throw new ExplainUnsupported(`not a setting name: ${name}`);
      const lit = (x: string) => `'${x.replace(/'/g, "''")}'`;
      // set_config, not SET: its value is parsed like a configuration file's (a list for search_path).
      prologue.push(`SELECT set_config(${lit(name)}, ${lit(String(value))}, true)`);
    }
    inTransaction = true; // from here on, the finally block rolls back (a ROLLBACK outside a transaction only warns)
    let res;
    if (!generic) {
      const explainSql = `EXPLAIN (${analyze ? `ANALYZE, BUFFERS, ${JSON_OPTS}` : JSON_OPTS}) ${sql}`;
      if (cls.maxParam > 0) {
        await session.query(prologue.join('; '));
        res = await session.query(explainSql, params.slice(0, cls.maxParam));
      } else {
        res = await session.query(`${prologue.join('; ')};\n${explainSql}`);
      }
    } else if (version >= 160000) {
      await session.query(prologue.join('; '));
      res = await session.query(`EXPLAIN (GENERIC_PLAN, ${JSON_OPTS}) ${sql}`);
    } else {
      await session.query(prologue.join('; '));
      // Before 16: a prepared statement planned generically, explained with NULLs (values do not matter then).
      const name = `pgperf_explain_${process.pid}_${++prepareCounter}`;
      await session.query(`PREPARE ${name} AS ${sql}`);
      prepared = name;
      await session.query('SET LOCAL plan_cache_mode = force_generic_plan');
      const nulls = Array.from({ length: cls.maxParam }, () => 'NULL').join(', ');
      res = await session.query(`EXPLAIN (${JSON_OPTS}) EXECUTE ${name}(${nulls})`);
      await session.query(`DEALLOCATE ${name}`);
      prepared = undefined;
    }
    const planJson = planOutput(res.rows, res.fields);
    const parsed = parsePlan(planJson);
    const ctx = await catalogContext(session, parsed.tree, parsed.totals.analyzed);
    // Roll back now and compute the findings while the ROLLBACK travels; the finally block awaits it.
    rollback = session.query('ROLLBACK').then(() => undefined);
    const findings = planFindings(parsed, ctx);
    return {
      database: db.label,
      sql,
      plan: planJson,
      tree: parsed.tree,
      nodes: parsed.nodes,
      totals: parsed.totals,
      findings,
      planningMs: parsed.totals.planningMs,
      executionMs: parsed.totals.executionMs,
      analyzed: parsed.totals.analyzed,
      generic,
      warnings,
      classification: cls,
    };
  } catch (err) {
    throw clearError(err, timeoutMs, state.cancelled);
  } finally {
    if (inTransaction) {
      try {
        await (rollback ?? session.query('ROLLBACK'));
      } catch {
        broken = true; // the connection is unusable: discard it rather than hand back an open transaction
      }
    }
    if (prepared && !broken) {
      // PREPARE is not transactional: the rollback above does not remove it.
      await session.query(`DEALLOCATE ${prepared}`).catch(() => {
        broken = true;
      });
    }
    await session.release(broken);
    state.session = undefined;
  }
}

/** The single value of EXPLAIN's one-row, one-column result ("QUERY PLAN"), JSON text or already parsed. */
function planOutput(rows: Record<string, unknown>[], fields: string[]): unknown {
  const row = rows[0];
  if (!row) throw new Error('EXPLAIN returned no row');
  const value = row[fields[0] ?? 'QUERY PLAN'] ?? Object.values(row)[0];
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function clearError(err: unknown, timeoutMs: number, cancelled: boolean): unknown {
  if (!(err instanceof DatabaseError)) return err;
  if (err.kind === 'timeout' || (err.code === '57014' && !cancelled)) {
    return new DatabaseError('timeout',
      `the statement ran longer than statement_timeout (${timeoutMs} ms) and was stopped; nothing was changed (rolled back). Raise the timeout, or use plain EXPLAIN (no ANALYZE) to see the plan without running it. (${err.message})`,
      err.code, { cause: err });
  }
  if (cancelled && (err.kind === 'cancelled' || err.code === '57014')) {
    return new DatabaseError('cancelled', 'EXPLAIN was cancelled; nothing was changed (rolled back)', err.code, { cause: err });
  }
  return err;
}

/**
 * Catalog facts for the findings: partition parents and keys (for Append nodes) and table sizes (for plain
 * EXPLAIN, which has no actual row counts). Skipped when the plan needs neither, so a simple EXPLAIN ANALYZE
 * costs no extra round trip.
 */
async function catalogContext(session: Session, tree: PlanNode, analyzed: boolean): Promise<PlanContext> {
  const names = new Set<string>();
  let needed = false;
  walk(tree, (x) => {
    if (x.nodeType === 'Append' || x.nodeType === 'Merge Append') needed = true;
    if (!analyzed && x.nodeType === 'Seq Scan') needed = true;
    if (x.relation) names.add(x.relation);
  });
  if (!needed || names.size === 0) return {};
  const res = await session.query(
    `SELECT DISTINCT ON (c.relname) c.relname, c.reltuples::float8 AS rows, p.relname AS parent, pt.partstrat AS strategy,
            (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum) AS key,
            (SELECT count(*) FROM pg_inherits i2 WHERE i2.inhparent = p.oid)::int AS partitions
       FROM pg_class c
       LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
       LEFT JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
       LEFT JOIN pg_class p ON p.oid = pt.partrelid
      WHERE c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'm', 'f')
      ORDER BY c.relname, pg_table_is_visible(c.oid) DESC`,
    [[...names]],
  );
  const relations: NonNullable<PlanContext['relations']> = {};
  for (const r of res.rows) {
    const entry: NonNullable<PlanContext['relations']>[string] = {};
    if (typeof r.rows === 'number' && r.rows >= 0) entry.rows = r.rows;
    if (typeof r.parent === 'string') {
      entry.partitionOf = {
        parent: r.parent,
        key: Array.isArray(r.key) ? r.key.map(String) : typeof r.key === 'string' ? r.key.replace(/[{}]/g, '').split(',').filter(Boolean) : [],
        strategy: ({ r: 'range', l: 'list', h: 'hash' } as Record<string, string>)[String(r.strategy)] ?? String(r.strategy),
        partitions: Number(r.partitions),
      };
    }
    relations[String(r.relname)] = entry;
  }
  return { relations };
}

/**
 * Runs EXPLAIN [ANALYZE] against a Database, always inside a transaction that is rolled back (also on error and
 * cancel), with a statement_timeout, a cancel handle, and a refusal of writing statements unless confirmed.
 */
import { DatabaseError, type Database, type Session } from '../connection/types';
import { planFindings, type PlanContext, type PlanFinding } from './findings';
import { parsePlan, walk, type PlanNode, type PlanTotals } from './plan';
import { parseSqlForExplain } from '../../server/src/analysis/pg';
import { PREFLIGHT_COLUMNS, preflightOf, PROBE_SAVEPOINT, reachedEffects, type CallEffect, type Preflight } from './reach';
import { classify, treeText, type Classification } from './safety';

export interface ExplainOptions {
  sql: string;
  /** EXPLAIN ANALYZE (executes the statement, rolled back) or plain EXPLAIN. */
  analyze: boolean;
  /** Values for `$1…$n`, sent as query parameters. */
  params?: unknown[];
  /** Force the generic plan (implied when the statement has `$n` and no params are given). */
  generic?: boolean;
  /** SET LOCAL statement_timeout, ms; 0 means none. */
  timeoutMs: number;
  /**
   * Asked before anything that needs consent runs: a statement that writes (rolled back), a call pgperf cannot
   * prove harmless, an effect a rollback cannot undo (listed apart). Resolve true to run it; true consents to
   * everything the request names, and nothing else.
   */
  confirm?: (request: ConfirmRequest) => Promise<boolean>;
  /** Planner/executor settings for this run only (SET LOCAL), e.g. `{ work_mem: '256MB' }`. */
  settings?: Record<string, string>;
  /** Aborting cancels the running statement (pg_cancel_backend) and rolls back. */
  signal?: AbortSignal;
  /**
   * CREATE INDEX statements (without CONCURRENTLY) run first, inside the same rolled-back transaction: the plan
   * with an index a fix suggests, nothing left behind. On a server the build holds a SHARE lock on the table
   * (its writes wait) until the rollback, so it needs consent there.
   */
  setup?: string[];
}

/** What a run would do that needs consent. */
export interface ConfirmRequest {
  /** EXPLAIN ANALYZE (executes) or plain EXPLAIN (plans only). */
  analyze: boolean;
  /** Writes that the rollback undoes, and calls pgperf cannot prove harmless. */
  reasons: string[];
  /** Effects a rollback cannot undo, each naming what stays. */
  irreversible: string[];
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
  /** What the user consented to before it ran (undefined: nothing needed consent). */
  consented?: ConfirmRequest;
}

/** Consent was not given (or no confirm callback was given): nothing of the statement was run. */
export class ExplainRefused extends Error {
  readonly reasons: string[];
  readonly irreversible: string[];
  constructor(
    readonly request: ConfirmRequest,
    why?: string,
  ) {
    const all = [...request.irreversible.map((r) => `cannot be rolled back: ${r}`), ...request.reasons];
    super(
      why ??
        `${request.analyze ? 'EXPLAIN ANALYZE executes the statement' : 'planning the statement may call functions'}, and it needs consent (${all.join('; ')}): nothing was run`,
    );
    this.name = 'ExplainRefused';
    this.reasons = request.reasons;
    this.irreversible = request.irreversible;
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
  const state: RunState = { cancelled: false };
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

interface RunState {
  session?: Session;
  cancelled: boolean;
}

const JSON_OPTS = 'FORMAT JSON';
/** Settings the server lexes SQL by: pinned to what libpg_query assumes, so both read the same statement. */
const LEXING = { client_encoding: 'UTF8', standard_conforming_strings: 'on', backslash_quote: 'safe_encoding' } as const;
/** The volatile pg_catalog functions, per database (they change only with the server version). */
const volatileBuiltins = new WeakMap<Database, Promise<Set<string>>>();
let prepareCounter = 0;
/**
 * Parse-tree depth past which PGlite's smaller WASM stack fails, and loses the error (measured: a 1,000-term sum,
 * depth 2,005, parses; 1,500 terms, depth 3,005, do not).
 */
const EMBEDDED_MAX_DEPTH = 2_200;
/** Questions before pgperf gives up on a database that keeps changing. */
const MAX_ROUNDS = 4;

/** statement_timeout in ms: 0 is "none", as in PostgreSQL. */
function timeoutSetting(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError('timeoutMs must be a number of milliseconds (0 for none)');
  return Math.floor(ms);
}

async function run(db: Database, o: ExplainOptions, state: RunState): Promise<ExplainResult> {
  const timeoutMs = timeoutSetting(o.timeoutMs);
  const sql = o.sql.trim().replace(/;\s*$/, '');
  const warnings: string[] = [];
  const cls = await classify(sql);
  if (cls.error) throw new ExplainUnsupported(cls.error);
  if (!cls.explainable) {
    throw new ExplainUnsupported(
      `EXPLAIN cannot run ${cls.statementWords ?? 'this statement'}: it explains SELECT, VALUES, INSERT, UPDATE, DELETE, MERGE, EXECUTE, DECLARE and CREATE TABLE … AS (${cls.reasons.join('; ')})`,
    );
  }
  if (db.kind === 'embedded' && cls.depth > EMBEDDED_MAX_DEPTH) {
    throw new ExplainUnsupported(
      `the statement nests ${cls.depth} levels deep, more than the embedded database can parse (about ${EMBEDDED_MAX_DEPTH}): explain it on a PostgreSQL server`,
    );
  }
  const setup = (o.setup ?? []).map(checkedSetup);
  const params = o.params ?? [];
  if (o.params && o.params.length < cls.maxParam) {
    throw new ExplainUnsupported(`the statement uses $1…$${cls.maxParam} but ${o.params.length} value(s) were given`);
  }
  for (const name of Object.keys(o.settings ?? {})) {
    if (!/^[a-z_][a-z0-9_.]*$/i.test(name)) throw new ExplainUnsupported(`not a setting name: ${name}`);
    if (name.toLowerCase() in LEXING)
      throw new ExplainUnsupported(`${name} cannot be changed for EXPLAIN: pgperf pins it so that the server reads the statement as pgperf checked it`);
  }
  let generic = o.generic === true || (cls.maxParam > 0 && o.params === undefined);
  let analyze = o.analyze;
  if (generic && analyze) {
    warnings.push(
      cls.maxParam > 0 && o.params === undefined
        ? `ANALYZE needs values for $1…$${cls.maxParam}: showing the generic plan instead (not executed)`
        : 'a generic plan cannot be executed: showing it without ANALYZE',
    );
    analyze = false;
  }
  if (generic && cls.maxParam === 0) generic = false; // nothing to generalize
  const explainSql = checkedExplain(sql, analyze, generic);

  let consented: ConfirmRequest | undefined;
  // Each round finds what needs consent; what was not consented to yet is asked with no transaction open, and
  // the next round starts afresh. The round that finds nothing new runs.
  for (let round = 1; ; round++) {
    if (state.cancelled) throw new DatabaseError('cancelled', 'cancelled before it started');
    const session = await db.session();
    state.session = session;
    let inTransaction = false;
    let discard = false;
    let prepared: string | undefined;
    try {
      const { searchPath, preflight } = await begin(session, timeoutMs, o.settings, setup);
      inTransaction = true;
      const consentedTexts = new Set([...(consented?.reasons ?? []), ...(consented?.irreversible ?? [])]);
      const effects = await reachedEffects(session, sql, cls, {
        searchPath,
        writes: cls.writes,
        inserts: cls.inserts,
        volatileBuiltins: await builtins(db, session),
        preflight,
        consented: consentedTexts,
      });
      const request = consentRequest(analyze, cls, effects, db.kind === 'embedded' ? [] : setup.map((x) => setupReason(x)));
      if (request) {
        const added = [...request.reasons, ...request.irreversible].filter((r) => !consentedTexts.has(r));
        if (added.length) {
          // Ask (again) with no transaction open. A second question comes when consent let pgperf look further
          // (the server's analysis itself needed it) or the database changed meanwhile.
          if (round >= MAX_ROUNDS)
            throw new ExplainRefused(request, `the database kept changing while pgperf asked: ${added.join('; ')} (nothing was run; try again)`);
          await session.query('ROLLBACK');
          inTransaction = false;
          const ok = o.confirm ? await o.confirm(request) : false;
          if (!ok) throw new ExplainRefused(request);
          consented = request;
          continue;
        }
      }
      // An unknown, irreversible or session-changing call may leave session state: do not pool this connection.
      discard = effects.length > 0;
      if (state.cancelled) throw new DatabaseError('cancelled', 'cancelled before it started');

      let res;
      if (!generic) {
        res = await session.statement(explainSql, params.slice(0, cls.maxParam));
      } else {
        // A prepared statement planned generically, explained with NULLs (values do not matter then). Not
        // EXPLAIN (GENERIC_PLAN): through the extended protocol its $n would be the EXPLAIN's own parameters.
        const name = `pgperf_explain_${process.pid}_${++prepareCounter}`;
        await session.statement(`PREPARE ${name} AS\n${sql}`);
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
        ...(consented ? { consented } : {}),
      };
    } catch (err) {
      throw clearError(err, timeoutMs, state.cancelled);
    } finally {
      await finish(session, inTransaction, prepared, discard);
      state.session = undefined;
    }
  }
}

/**
 * BEGIN, the timeout and the pinned lexing settings in one message of pgperf's own constant text; then a check
 * that the session really reads SQL that way, and the caller's settings as bound parameters. Returns the
 * search_path the statement will run with. Every function and relation pgperf names itself is qualified: the
 * session's search_path may put someone else's `current_setting` before pg_catalog's.
 */
async function begin(
  session: Session,
  timeoutMs: number,
  settings: Record<string, string> | undefined,
  setup: readonly string[] = [],
): Promise<{ searchPath: string; preflight: Preflight }> {
  const pins = Object.entries(LEXING).map(([k, v]) => `SET LOCAL ${k} = '${v}'`);
  const read = ['search_path', ...Object.keys(LEXING)].map((k) => `pg_catalog.current_setting('${k}') AS ${k}`).join(', ');
  const entries = Object.entries(settings ?? {});
  // The probes roll back to a savepoint set after every setting the statement is to run with.
  const savepointNow = entries.length === 0 && setup.length === 0 ? [PROBE_SAVEPOINT] : [];
  const check = await session.query(
    ['BEGIN', `SET LOCAL statement_timeout = ${timeoutMs}`, ...pins, ...savepointNow, `SELECT ${read}, ${PREFLIGHT_COLUMNS}`].join('; '),
  );
  const row = check.rows[0] ?? {};
  for (const [k, v] of Object.entries(LEXING)) {
    if (String(row[k]).toLowerCase() !== v.toLowerCase()) {
      throw new ExplainUnsupported(
        `the session's ${k} is ${String(row[k])} and could not be set to ${v}: pgperf will not send a statement the server may read differently from how it was checked`,
      );
    }
  }
  if (entries.length) {
    // set_config, not SET: its value is parsed like a configuration file's (a list for search_path).
    await session.statement(
      'SELECT pg_catalog.set_config(s.name, s.value, true) FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS s(name, value)',
      [entries.map(([k]) => k), entries.map(([, v]) => String(v))],
    );
  }
  // Built before the probes' savepoint, so that rolling back to it keeps the index for the statement.
  for (const statement of setup) await session.query(statement);
  if (savepointNow.length === 0) await session.query(PROBE_SAVEPOINT);
  const own = entries.find(([k]) => k.toLowerCase() === 'search_path');
  return { searchPath: own ? String(own[1]) : String(row.search_path), preflight: preflightOf(row) };
}

/** What needs consent: for ANALYZE the statement's writes and every effect; for plain EXPLAIN what planning calls. */
function consentRequest(analyze: boolean, cls: Classification, effects: CallEffect[], setupReasons: string[] = []): ConfirmRequest | undefined {
  const relevant = (analyze ? effects : effects.filter((e) => e.whilePlanning)).filter((e) => !e.quiet);
  const reasons = [...setupReasons, ...(analyze ? cls.reasons : []), ...relevant.filter((e) => !e.irreversible).map((e) => e.text)];
  const irreversible = relevant.filter((e) => e.irreversible).map((e) => e.text);
  if (reasons.length === 0 && irreversible.length === 0) return undefined;
  return { analyze, reasons: [...new Set(reasons)], irreversible: [...new Set(irreversible)] };
}

async function builtins(db: Database, session: Session): Promise<Set<string>> {
  let p = volatileBuiltins.get(db);
  if (!p) {
    p = session
      .statement(
        "SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace AND p.provolatile OPERATOR(pg_catalog.=) 'v'",
      )
      .then((r) => new Set(r.rows.map((x) => String(x.proname))));
    volatileBuiltins.set(db, p);
    p.catch(() => volatileBuiltins.delete(db));
  }
  return p;
}

/**
 * `EXPLAIN (…) <sql>`, checked on the parse tree to be one EXPLAIN of exactly the statement given: the text the
 * server gets cannot mean more than what was classified.
 */
function checkedExplain(sql: string, analyze: boolean, generic: boolean): string {
  const opts = analyze && !generic ? `ANALYZE, BUFFERS, ${JSON_OPTS}` : JSON_OPTS;
  const text = `EXPLAIN (${opts})\n${sql}`;
  const whole = parseSqlForExplain(text);
  const inner = parseSqlForExplain(sql);
  const ok =
    whole.ok &&
    inner.ok &&
    whole.stmts.length === 1 &&
    inner.stmts.length === 1 &&
    whole.stmts[0].stmt.ExplainStmt !== undefined &&
    treeText(whole.stmts[0].stmt.ExplainStmt.query) === treeText(inner.stmts[0].stmt);
  if (!ok) throw new ExplainUnsupported('pgperf cannot put this statement under EXPLAIN unchanged');
  return text;
}

/**
 * A setup statement, checked on the parse tree: exactly one CREATE INDEX without CONCURRENTLY (which cannot run in
 * a transaction). Anything else is refused before a connection is taken.
 */
function checkedSetup(sql: string): string {
  const text = sql.trim().replace(/;\s*$/, '');
  const parsed = parseSqlForExplain(text);
  const index = parsed.ok && parsed.stmts.length === 1 ? parsed.stmts[0].stmt.IndexStmt : undefined;
  if (!index || index.concurrent)
    throw new ExplainUnsupported(`pgperf builds only a CREATE INDEX (without CONCURRENTLY) before a statement, not: ${text.slice(0, 80)}`);
  return text;
}

/** What building a setup index on a server holds up, for consent. */
function setupReason(sql: string): string {
  return `builds ${sql.replace(/\s+/g, ' ')} inside the transaction (rolled back): writes to that table wait until it ends`;
}

/** Rolls back, deallocates, and returns the connection — discarded when it may hold session state. */
async function finish(session: Session, inTransaction: boolean, prepared: string | undefined, discard: boolean): Promise<void> {
  let broken = discard;
  if (inTransaction) {
    await session.query('ROLLBACK').catch(() => {
      broken = true; // the connection is unusable: discard it rather than hand back an open transaction
    });
  }
  if (prepared && !broken) {
    // PREPARE is not transactional: the rollback does not remove it.
    await session.query(`DEALLOCATE ${prepared}`).catch(() => {
      broken = true;
    });
  }
  await session.release(broken);
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
    return new DatabaseError(
      'timeout',
      `the statement ran longer than statement_timeout (${timeoutMs} ms) and was stopped; nothing was changed (rolled back). Raise the timeout, or use plain EXPLAIN (no ANALYZE) to see the plan without running it. (${err.message})`,
      err.code,
      { cause: err },
    );
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
  // Qualified throughout: it runs after the statement, under the statement's search_path (for visibility).
  const res = await session.statement(
    `SELECT DISTINCT ON (c.relname) c.relname, c.reltuples::pg_catalog.float8 AS rows, p.relname AS parent, pt.partstrat AS strategy,
            (SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord)
               FROM pg_catalog.unnest(pt.partattrs::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) pt.partrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum) AS key,
            (SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits i2 WHERE i2.inhparent OPERATOR(pg_catalog.=) p.oid)::pg_catalog.int4 AS partitions
       FROM pg_catalog.pg_class c
       LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid OPERATOR(pg_catalog.=) c.oid
       LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid OPERATOR(pg_catalog.=) i.inhparent
       LEFT JOIN pg_catalog.pg_class p ON p.oid OPERATOR(pg_catalog.=) pt.partrelid
      WHERE c.relname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.name[])
        AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m,f}'::pg_catalog.char[])
      ORDER BY c.relname, pg_catalog.pg_table_is_visible(c.oid) DESC`,
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

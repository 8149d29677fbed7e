/**
 * Does running this statement write? Decided on the real PostgreSQL parse tree (libpg_query) and, for function
 * calls, on the database's own volatility marks (pg_proc.provolatile: immutable and stable functions cannot modify
 * the database). Used before EXPLAIN ANALYZE, which executes the statement (inside a rolled-back transaction).
 */
import { initParser, parseSql } from '../../../server/src/analysis/pg';
import type { Session } from '../db/types';

export interface Classification {
  writes: boolean;
  /** Why, one line each: "UPDATE modifies rows", "calls nextval() (volatile)". */
  reasons: string[];
  /** The parse tree's statement type ("SelectStmt", "InsertStmt"…), undefined when it does not parse. */
  statementType?: string;
  /** Highest `$n` in the statement (0 when none). */
  maxParam: number;
  /** Whether EXPLAIN accepts this statement at all (DDL other than CREATE TABLE AS cannot be explained). */
  explainable: boolean;
  /** Set when the SQL does not parse or holds more or less than one statement. */
  error?: string;
}

/** Statements EXPLAIN accepts (PostgreSQL's ExplainableStmt). */
const EXPLAINABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'ExecuteStmt', 'DeclareCursorStmt', 'CreateTableAsStmt']);

const MODIFYING: Record<string, string> = {
  InsertStmt: 'INSERT adds rows',
  UpdateStmt: 'UPDATE modifies rows',
  DeleteStmt: 'DELETE removes rows',
  MergeStmt: 'MERGE modifies rows',
};

/**
 * Volatile built-ins that read or produce values but change nothing in the database: calling them does not make a
 * statement a write (ORDER BY random() is a read).
 */
export const READ_ONLY_VOLATILE = new Set([
  'random', 'random_normal', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'uuid_generate_v4', 'pg_sleep',
  'pg_backend_pid', 'txid_current_if_assigned', 'statement_timestamp', 'setseed',
]);

/** A function named in the statement: `[schema, name]` or `[name]`. */
type FuncName = string[];

interface Scan {
  reasons: string[];
  functions: FuncName[];
  maxParam: number;
}

function scanTree(value: unknown, scan: Scan, key?: string): void {
  if (Array.isArray(value)) {
    for (const v of value) scanTree(v, scan);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k in MODIFYING && key !== 'root') scan.reasons.push(`a data-modifying WITH: ${MODIFYING[k]}`);
    if (k === 'FuncCall') {
      const name = ((v as { funcname?: { String?: { sval?: string } }[] }).funcname ?? []).map((p) => p.String?.sval ?? '');
      scan.functions.push(name);
    }
    if (k === 'ParamRef') {
      const number = (v as { number?: number }).number ?? 0;
      scan.maxParam = Math.max(scan.maxParam, number);
    }
    if (k === 'intoClause' && v) scan.reasons.push('SELECT … INTO creates a table');
    if (k === 'lockingClause' && Array.isArray(v) && v.length) scan.reasons.push('FOR UPDATE/SHARE locks the rows it reads');
    scanTree(v, scan, k);
  }
}

/**
 * Verdicts on built-in functions (every visible overload in pg_catalog), kept per database so that a repeated
 * EXPLAIN does not pay a round trip for count() or lower(): `null` read-only, else the reason. Entries expire
 * after BUILTIN_CACHE_MS in case a same-named function is created later.
 */
export type FunctionVerdictCache = Map<string, { reason: string | null; at: number }>;
export const BUILTIN_CACHE_MS = 5 * 60_000;

/** Parses `sql` (one statement) and, with a session, asks the database about the functions it calls. */
export async function classify(sql: string, session?: Pick<Session, 'query'>, cache?: FunctionVerdictCache): Promise<Classification> {
  await initParser();
  const parsed = parseSql(sql);
  if (!parsed.ok) {
    return { writes: true, reasons: [`does not parse: ${parsed.message}`], maxParam: 0, explainable: false, error: `syntax error: ${parsed.message}` };
  }
  if (parsed.stmts.length !== 1) {
    const error = parsed.stmts.length === 0 ? 'no statement to explain' : `${parsed.stmts.length} statements: explain one statement at a time`;
    return { writes: true, reasons: [error], maxParam: 0, explainable: false, error };
  }
  const stmt = parsed.stmts[0].stmt;
  const statementType = Object.keys(stmt)[0];
  const body = stmt[statementType];
  const scan: Scan = { reasons: [], functions: [], maxParam: 0 };
  if (statementType in MODIFYING) scan.reasons.push(MODIFYING[statementType]);
  else if (statementType === 'CreateTableAsStmt') scan.reasons.push(`${body?.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE … AS'} creates a relation`);
  else if (statementType === 'ExecuteStmt') scan.reasons.push('EXECUTE runs a prepared statement pgperf cannot inspect');
  else if (statementType !== 'SelectStmt' && statementType !== 'DeclareCursorStmt') {
    scan.reasons.push(`${statementType.replace(/Stmt$/, '')} is not a query (DDL, COPY, CALL and utility statements change the database)`);
  }
  scanTree(body, scan, 'root');
  if (statementType === 'CallStmt') scan.functions = [];

  if (scan.functions.length) {
    const unknown = await volatileFunctions(scan.functions, session, cache);
    for (const f of unknown) scan.reasons.push(f);
  }
  const reasons = [...new Set(scan.reasons)];
  if (reasons.some((r) => r.includes('nextval') || r.startsWith('INSERT'))) {
    reasons.push('sequence values taken during the run (nextval, serial/identity columns) are not given back by the rollback');
  }
  return {
    writes: reasons.length > 0,
    reasons,
    statementType,
    maxParam: scan.maxParam,
    explainable: EXPLAINABLE.has(statementType),
  };
}

/** Reasons for the calls that are not provably read-only. */
async function volatileFunctions(functions: FuncName[], session?: Pick<Session, 'query'>, cache?: FunctionVerdictCache): Promise<string[]> {
  const names = new Map<string, FuncName>();
  const out: string[] = [];
  const now = Date.now();
  for (const f of functions) {
    const name = f[f.length - 1];
    if (f.length === 1 && READ_ONLY_VOLATILE.has(name)) continue;
    if (f.length === 2 && f[0] === 'pg_catalog' && READ_ONLY_VOLATILE.has(name)) continue;
    const key = f.join('.');
    const cached = cache?.get(key);
    if (cached && now - cached.at < BUILTIN_CACHE_MS) {
      if (cached.reason) out.push(cached.reason);
      continue;
    }
    names.set(key, f);
  }
  if (names.size === 0) return [...new Set(out)];
  if (!session) return [...out, ...[...names.keys()].map((n) => `calls ${n}() (its volatility is unknown without a database)`)];
  // One round trip for all names. Overloads: any volatile one makes the call not provably read-only.
  const list = [...names.values()];
  const res = await session.query(
    `SELECT f.name, f.schema, bool_or(p.provolatile = 'v') AS volatile, count(p.oid)::int AS n,
            bool_and(p.pronamespace = 'pg_catalog'::regnamespace) AS builtin
       FROM unnest($1::text[], $2::text[]) AS f(schema, name)
       LEFT JOIN pg_proc p ON p.proname = f.name
        AND (CASE WHEN f.schema = '' THEN pg_function_is_visible(p.oid) ELSE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = f.schema) END)
      GROUP BY f.name, f.schema`,
    [list.map((f) => (f.length > 1 ? f[f.length - 2] : '')), list.map((f) => f[f.length - 1])],
  );
  for (const row of res.rows) {
    const qualified = row.schema ? `${String(row.schema)}.${String(row.name)}` : String(row.name);
    let reason: string | null = null;
    if (Number(row.n) === 0) reason = `calls ${qualified}(), which the database does not know (cannot prove it read-only)`;
    else if (row.volatile === true) reason = `calls ${qualified}(), a VOLATILE function that may write`;
    if (reason) out.push(reason);
    if (row.builtin === true) cache?.set(qualified, { reason, at: now });
  }
  return [...new Set(out)];
}

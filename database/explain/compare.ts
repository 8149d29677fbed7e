/**
 * Compare with Fix: EXPLAIN (ANALYZE, BUFFERS) of a statement as written and as its fix leaves it, on the same
 * database, each in its own rolled-back transaction (run.ts). The fixed side gets what the fix needs: the index
 * it adds (built inside its transaction) and, for keyset pagination, the previous page's last row read from the
 * data at the same page depth. Sides alternate over several runs, and the median execution time is compared.
 */
import type { FixComparison } from '../../server/src/analysis/index';
import { DatabaseError, type Database, type Session } from '../connection/types';
import { groupDigits } from './digits';
import { walk, type PlanNode } from './plan';
import { explain, ExplainUnsupported, type ExplainOptions, type ExplainResult } from './run';
import { classify } from './safety';

export interface CompareOptions {
  /** Values of the statement's `$1…$n` as written (the fixed statement gets the same, plus the last row's). */
  params?: unknown[];
  timeoutMs: number;
  /** Runs of each side (alternating, the first pair included); the median is compared. Default 3. */
  runs?: number;
  confirm?: ExplainOptions['confirm'];
  signal?: AbortSignal;
}

export interface CompareSide {
  sql: string;
  params: unknown[];
  /** The last run's result (its plan is the one shown). */
  result: ExplainResult;
  /** Execution time of each run, ms. */
  executionMs: number[];
  medianMs: number;
  /** Rows the plan's table scans read (returned, and removed by their filter or recheck), summed over loops. */
  rowsScanned: number;
  /** Shared buffers hit + read by the whole plan. */
  buffers: number;
}

export interface CompareOutcome {
  comparison: FixComparison;
  before: CompareSide;
  after: CompareSide;
  /** before.medianMs ÷ after.medianMs. */
  speedup: number;
  /** The scans that differ: `Seq Scan on sessions → Index Scan using sessions_tenant_id_created_at_idx on sessions`. */
  changes: string[];
  /** What the user should know about the values used (the last row pgperf read, …). */
  notes: string[];
}

const DEFAULT_RUNS = 3;

/** A speed-up in words, as the CLI and the panel show it: "12× faster", "1.3× slower", "about the same". */
export function speedupText(x: number): string {
  if (!Number.isFinite(x) || x <= 0) return 'not measured';
  if (x >= 1.05) return `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}× faster`;
  if (x <= 0.95) return `${(1 / x).toFixed(1)}× slower`;
  return 'about the same';
}

export async function compareFix(db: Database, comparison: FixComparison, o: CompareOptions): Promise<CompareOutcome> {
  const runs = o.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError('runs must be a positive integer');
  const params = o.params ?? [];
  if (params.length < comparison.beforeParams) {
    const list = comparison.beforeParams === 1 ? '$1' : `$1…$${comparison.beforeParams}`;
    throw new ExplainUnsupported(`Compare with Fix runs the statement: it needs values for ${list} (${params.length} given)`);
  }
  const notes: string[] = [];
  const base = { analyze: true, timeoutMs: o.timeoutMs, ...(o.confirm ? { confirm: o.confirm } : {}), ...(o.signal ? { signal: o.signal } : {}) };
  const beforeParams = params.slice(0, comparison.beforeParams);
  // The first run of the statement as written also asks for any consent it needs, before anything else runs.
  const first = await explain(db, { ...base, sql: comparison.before, params: beforeParams });
  let afterParams = beforeParams;
  if (comparison.lastRow) {
    const values = await previousPageLastRow(db, comparison.lastRow.sql, beforeParams, o);
    afterParams = [...beforeParams];
    comparison.lastRow.params.forEach((n, i) => (afterParams[n - 1] = values[i]));
    notes.push(
      `the keyset page starts after the previous page's last row, read from the data: ${comparison.lastRow.params.map((n, i) => `$${n} = ${JSON.stringify(values[i])}`).join(', ')}`,
    );
  }
  afterParams = afterParams.slice(0, comparison.afterParams);
  const afterOptions = { ...base, sql: comparison.after, params: afterParams, ...(comparison.setup.length ? { setup: comparison.setup } : {}) };
  if (comparison.setup.length) notes.push(`the fixed statement ran with ${comparison.setup.join('; ')} built inside its transaction (rolled back)`);

  const beforeRuns: ExplainResult[] = [first];
  const afterRuns: ExplainResult[] = [];
  for (let i = 0; i < runs; i++) {
    if (i > 0) beforeRuns.push(await explain(db, { ...base, sql: comparison.before, params: beforeParams }));
    afterRuns.push(await explain(db, afterOptions));
  }
  const same = await sameResult(db, { sql: comparison.before, params: beforeParams }, { sql: comparison.after, params: afterParams }, o);
  if (same) notes.push(same);
  const before = side(comparison.before, beforeParams, beforeRuns);
  const after = side(comparison.after, afterParams, afterRuns);
  return {
    comparison,
    before,
    after,
    speedup: before.medianMs / Math.max(after.medianMs, 0.001),
    changes: scanChanges(before.result.tree, after.result.tree),
    notes,
  };
}

function side(sql: string, params: unknown[], results: ExplainResult[]): CompareSide {
  const executionMs = results.map((r) => r.executionMs ?? 0);
  const result = results[results.length - 1];
  // Rows each table scan read: those it returned and those its filter or recheck threw away, over its loops. A
  // Bitmap Index Scan names no relation (its rows are counted by the Bitmap Heap Scan above it).
  let rowsScanned = 0;
  walk(result.tree, (n) => {
    if (!/Scan$/.test(n.nodeType) || !n.relation || n.neverExecuted) return;
    const raw = n.raw as Record<string, unknown>;
    const removed = (k: string) => (typeof raw[k] === 'number' ? (raw[k] as number) : 0);
    rowsScanned += ((n.actualRows ?? 0) + removed('Rows Removed by Filter') + removed('Rows Removed by Index Recheck')) * (n.loops ?? 1);
  });
  return {
    sql,
    params,
    result,
    executionMs,
    medianMs: median(executionMs),
    rowsScanned: Math.round(rowsScanned),
    buffers: (result.totals.sharedHit ?? 0) + (result.totals.sharedRead ?? 0),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Scan labels of one plan that the other lacks, as `before → after` lines (each side's extras when unpaired). */
function scanChanges(before: PlanNode, after: PlanNode): string[] {
  const scans = (tree: PlanNode) => {
    const out: string[] = [];
    walk(tree, (n) => {
      if (/Scan$/.test(n.nodeType)) out.push(n.label);
    });
    return out;
  };
  const a = scans(before);
  const b = scans(after);
  const gone = a.filter((x) => !b.includes(x));
  const added = b.filter((x) => !a.includes(x));
  const lines: string[] = [];
  const n = Math.max(gone.length, added.length);
  for (let i = 0; i < n; i++) lines.push(`${gone[i] ?? '(none)'} → ${added[i] ?? '(none)'}`);
  return lines;
}

/** Runs `fn` on a session in a READ ONLY transaction with the statement timeout, always rolled back. */
async function readOnly<T>(db: Database, o: CompareOptions, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = await db.session();
  let broken = false;
  const abort = () => void session.cancel().catch(() => undefined);
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    await session.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(o.timeoutMs)}`);
    return await fn(session);
  } catch (e) {
    if (o.signal?.aborted && e instanceof DatabaseError)
      throw new DatabaseError('cancelled', 'Compare with Fix was cancelled; nothing was changed (rolled back)', e.code, { cause: e });
    throw e;
  } finally {
    o.signal?.removeEventListener('abort', abort);
    await session.query('ROLLBACK').catch(() => (broken = true));
    await session.release(broken);
  }
}

/**
 * The sort keys of the last row before the page (OFFSET n − 1), as text. The query is the statement's own FROM and
 * WHERE, which EXPLAIN ANALYZE has just run.
 */
async function previousPageLastRow(db: Database, sql: string, params: unknown[], o: CompareOptions): Promise<string[]> {
  const cls = await classify(sql);
  if (cls.error || cls.writes || cls.statementType !== 'SelectStmt')
    throw new ExplainUnsupported(`pgperf cannot read the previous page's last row (${cls.error ?? cls.reasons.join('; ')})`);
  return readOnly(db, o, async (session) => {
    const res = await session.statement(sql, params.slice(0, cls.maxParam));
    const row = res.rows[0];
    if (!row) throw new ExplainUnsupported('the page is past the last row at this offset: give a smaller offset');
    // Selected as text: strings, or NULL.
    const values = Object.values(row).map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v)));
    if (values.some((v) => v === null)) throw new ExplainUnsupported('the previous page ends on a NULL sort key: keyset pagination cannot start after it');
    return values as string[];
  });
}

/** Rows compared at most: a bigger result is not read twice just to check it. */
const SAME_RESULT_MAX_ROWS = 10_000;

/**
 * Whether both statements return the same rows (as multisets; in order when the statement sorts), read in one
 * READ ONLY transaction: a note either way, or none for a statement that writes or returns too many rows.
 */
async function sameResult(
  db: Database,
  before: { sql: string; params: unknown[] },
  after: { sql: string; params: unknown[] },
  o: CompareOptions,
): Promise<string | undefined> {
  for (const s of [before, after]) {
    const cls = await classify(s.sql);
    if (cls.error || cls.writes || cls.statementType !== 'SelectStmt') return undefined;
  }
  const compared = readOnly(db, o, async (session) => {
    // On lines of their own: a statement may end in a `--` comment.
    const rows = async (s: { sql: string; params: unknown[] }) =>
      (await session.statement(`SELECT * FROM (\n${s.sql}\n) AS pgperf_result LIMIT ${SAME_RESULT_MAX_ROWS + 1}`, s.params)).rows.map((r) =>
        JSON.stringify(Object.values(r)),
      );
    const a = await rows(before);
    const b = await rows(after);
    if (a.length > SAME_RESULT_MAX_ROWS || b.length > SAME_RESULT_MAX_ROWS) return undefined;
    const sa = [...a].sort();
    const sb = [...b].sort();
    const same = sa.length === sb.length && sa.every((x, i) => x === sb[i]);
    if (same) return `both return the same ${groupDigits(a.length)} row${a.length === 1 ? '' : 's'}`;
    const inB = new Set(b);
    const missing = a.filter((x) => !inB.has(x)).length;
    return `the results differ: ${groupDigits(a.length)} rows as written, ${groupDigits(b.length)} fixed, ${groupDigits(missing)} of the first not in the second (ties in the sort keys, or a fix that changes the meaning)`;
  });
  // A statement that cannot be wrapped as a subquery is still compared by its plans; only a cancel stops the run.
  return compared.catch((e: unknown) => {
    if (e instanceof DatabaseError && e.kind === 'cancelled') throw e;
    if (e instanceof DatabaseError) return undefined;
    throw e;
  });
}

/**
 * What "Compare with Fix" measures for a finding: the statement as written, the same statement with the finding's
 * fix applied, and what the fixed run needs besides — the index the fix adds (built inside the rolled-back
 * transaction) and, for keyset pagination, the query that reads the previous page's last row. Pure: it applies
 * the fix to the file's text and reads both statements back with the parser; the database side runs them.
 */
import { parseSqlForExplain } from './pg';
import { ParsedFile, type ParseOptions, type Statement } from './parse';
import { previousPageLastRow } from './rules/offset-pagination';
import type { Finding, TextEdit } from './types';

export interface FixComparison {
  rule: string;
  /** The fix's title, as the quick fix shows it. */
  title: string;
  /** The statement as written ($n parameters as written). */
  before: string;
  /** The statement as the fix leaves it. */
  after: string;
  /** Statements of the fix that run before `after` only, inside its rolled-back transaction: the index it adds. */
  setup: string[];
  /** For keyset pagination: the query that reads the previous page's last row, and the `$n` of `after` each of its columns goes to. */
  lastRow?: { sql: string; params: number[] };
  /** The highest `$n` of `before` and of `after`. */
  beforeParams: number;
  afterParams: number;
}

export type ComparisonResult = { ok: true; comparison: FixComparison } | { ok: false; reason: string };

/** Statement kinds EXPLAIN ANALYZE runs (and pgperf can measure both sides of). */
const MEASURABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * The comparison for `finding` (a finding of `file`'s lint, with its fix), or why there is none. `options` must be
 * the ones `file` was parsed with, so that the fixed text is read the same way.
 */
export function comparisonFor(file: ParsedFile, finding: Finding, options: ParseOptions = {}): ComparisonResult {
  const fix = finding.fix;
  if (!fix) return { ok: false, reason: `this ${finding.ruleId} finding has no fix to compare with` };
  const st = statementAt(file, finding.start);
  if (!st) return { ok: false, reason: 'the finding is not inside a statement' };
  if (!MEASURABLE.has(st.kind)) {
    return {
      ok: false,
      reason: `the finding is on ${words(st.kind)}, not on a query: there is nothing to time before and after (for a suggested index on a server, pgperf whatif shows the planner's costs)`,
    };
  }
  if (file.host?.touchesHole(st.start, st.end)) {
    return { ok: false, reason: 'the statement holds values or names from host code: pgperf cannot run it as written' };
  }
  const before = st.text;
  const edited = applyEdits(file.document.text, fix.edits);
  const fixed = new ParsedFile(file.path, edited.text, undefined, undefined, options);
  const docStart = file.toDocument(st.start, st.end).start;
  const after = statementAt(fixed, edited.map(docStart));
  if (!after || !after.hasAst) return { ok: false, reason: 'the fixed statement could not be read back' };
  if (!MEASURABLE.has(after.kind)) return { ok: false, reason: `the fix turns the statement into ${words(after.kind)}` };

  // Statements the fix inserted (a CREATE INDEX after the query): run first, inside the transaction.
  const setup: string[] = [];
  for (const other of fixed.statements) {
    if (other === after || other.container) continue;
    const span = fixed.toDocument(other.start, other.end);
    if (!edited.inserted.some((r) => r.start <= span.start && span.end <= r.end)) continue;
    const index = inTransactionIndex(other);
    if (!index) return { ok: false, reason: `the fix adds ${words(other.kind)}, which pgperf does not run to measure it` };
    setup.push(index);
  }

  const beforeParams = st.maxParam();
  const afterParams = after.maxParam();
  const comparison: FixComparison = { rule: finding.ruleId, title: fix.title, before, after: after.text, setup, beforeParams, afterParams };
  if (finding.ruleId === 'offset-pagination') {
    const lastRow = previousPageLastRow(st);
    if (!lastRow) return { ok: false, reason: 'pgperf cannot read the previous page of this statement' };
    comparison.lastRow = lastRow;
  } else if (afterParams > beforeParams) {
    return { ok: false, reason: `the fix adds parameters ($${beforeParams + 1}…$${afterParams}) that pgperf has no values for` };
  }
  return { ok: true, comparison };
}

/** The statement whose SQL-view span (in document coordinates) holds a document offset: the innermost one. */
function statementAt(file: ParsedFile, docOffset: number): Statement | undefined {
  let found: Statement | undefined;
  for (const st of file.statements) {
    if (st.container) continue;
    const span = file.toDocument(st.start, st.end);
    if (span.start <= docOffset && docOffset < Math.max(span.end, span.start + 1)) found = st;
  }
  return found;
}

interface Edited {
  text: string;
  /** A document offset of the original text → the same place in the edited one (for an offset outside the edits). */
  map(offset: number): number;
  /** The inserted texts' ranges in the edited text. */
  inserted: { start: number; end: number }[];
}

function applyEdits(text: string, edits: readonly TextEdit[]): Edited {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  const inserted: Edited['inserted'] = [];
  for (const e of sorted) {
    out += text.slice(at, e.start);
    inserted.push({ start: out.length, end: out.length + e.newText.length });
    out += e.newText;
    at = e.end;
  }
  out += text.slice(at);
  const map = (offset: number) => {
    let shift = 0;
    for (const e of sorted) if (e.end <= offset) shift += e.newText.length - (e.end - e.start);
    return offset + shift;
  };
  return { text: out, map, inserted };
}

/**
 * A CREATE INDEX the fix adds, as it can run inside a transaction: without CONCURRENTLY (the fix's advice for the
 * migration; within the rolled-back run a plain build is the same index). Undefined for anything else.
 */
function inTransactionIndex(st: Statement): string | undefined {
  if (st.kind !== 'IndexStmt') return undefined;
  const concurrently = st.body.concurrent ? st.codeTokens().find((t) => t.keyword === 'CONCURRENTLY') : undefined;
  const text = concurrently
    ? `${st.text.slice(0, concurrently.start - st.start).trimEnd()} ${st.text.slice(concurrently.end - st.start).trimStart()}`
    : st.text;
  const check = parseSqlForExplain(text);
  if (!check.ok || check.stmts.length !== 1 || !check.stmts[0].stmt.IndexStmt || check.stmts[0].stmt.IndexStmt.concurrent) return undefined;
  return text.trim();
}

/** `SelectStmt` → "a SELECT", `IndexStmt` → "CREATE INDEX", for messages. */
function words(kind: string): string {
  const known: Record<string, string> = {
    IndexStmt: 'CREATE INDEX',
    CreateStmt: 'CREATE TABLE',
    AlterTableStmt: 'ALTER TABLE',
    VariableSetStmt: 'a SET',
    SelectStmt: 'a SELECT',
  };
  return (
    known[kind] ??
    kind
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}

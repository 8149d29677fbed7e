/**
 * The statements of a document as the client shows them: each statement's SQL (for a host file, what EXPLAIN runs:
 * see explain-sql.ts) with its document range, and the statement at a cursor position.
 */
import type { ParsedFile, Statement } from '../analysis/parse';
import type { Position, Range } from '../analysis/types';
import { explainSql } from './explain-sql';

/** A statement for the client (the shape of the protocol's StatementInfo). */
export interface StatementView {
  text: string;
  range: Range;
  /** libpg_query's statement kind, or '' for a statement the parser rejected. */
  kind: string;
  params?: string[];
  refused?: string;
}

/**
 * One statement's view. In a host file the range of the first statement of a SQL string starts where the string
 * expression does, so its CodeLens sits on the line the string starts on.
 */
function statementView(file: ParsedFile, st: Statement): StatementView {
  if (!file.host) return { text: st.text, range: file.source.rangeOf(st.start, st.end), kind: st.kind };
  const seg = file.host.segmentAt(st.start);
  const r = file.toDocument(st.start, st.end);
  const first = !!seg && !file.statements.some((o) => o !== st && o.start < st.start && o.start >= seg.base);
  const start = first ? Math.min(seg.embedded.start, r.start) : r.start;
  return { ...explainSql(file, st), range: file.document.rangeOf(start, r.end), kind: st.kind };
}

/** Every statement of a document, in order. */
export function statementViews(file: ParsedFile): StatementView[] {
  return file.statements.map((st) => statementView(file, st));
}

/**
 * The statement at a cursor: the one that holds it, or else the last one that ends before it on the same line (after
 * `;`), or else (host code on the line a SQL string starts on: `db.query(` before its string) the first starting there.
 */
export function statementAt(file: ParsedFile, position: Position): StatementView | undefined {
  const offset = file.document.offsetAt(position);
  const line = position.line;
  const views = statementViews(file);
  const span = (r: Range) => ({ s: file.document.offsetAt(r.start), e: file.document.offsetAt(r.end) });
  const inside = views.find((v) => {
    const { s, e } = span(v.range);
    return s <= offset && offset <= e;
  });
  const before = [...views].reverse().find((v) => span(v.range).e <= offset && v.range.end.line === line);
  const sameLine = file.host ? views.find((v) => v.range.start.line === line) : undefined;
  return inside ?? before ?? sameLine;
}

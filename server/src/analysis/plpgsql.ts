/**
 * The SQL inside routine bodies: the queries of a `LANGUAGE plpgsql` function or procedure or of a `DO` block
 * (read with the PL/pgSQL parser libpg_query ships), and the body of a `LANGUAGE sql` function. Each query is
 * located in the file, so that rules see it as a statement of its own with exact offsets. Only dollar-quoted
 * bodies are read: there the file text is the body text (a body in '…' doubles its quotes).
 */
import type { Node } from './ast';
import { parsePlpgsql } from './pg';

/** One query found in a body: its span in the containing statement's text and the SQL to parse for it. */
export interface BodyQuery {
  /** Offsets into the containing statement's text. */
  start: number;
  end: number;
  /** As long as [start, end): the text there, with PL/pgSQL's `INTO target` blanked and `PERFORM` as `SELECT `. */
  sql: string;
  /** Whether the text is a whole `LANGUAGE sql` body (possibly several statements) rather than one query. */
  sqlBody: boolean;
}

/** PL/pgSQL statement types whose field holds a query (parse mode 0, a whole SQL statement). */
const QUERY_FIELDS: Record<string, string> = {
  PLpgSQL_stmt_execsql: 'sqlstmt',
  PLpgSQL_stmt_perform: 'expr',
  PLpgSQL_stmt_fors: 'query',
  PLpgSQL_stmt_return_query: 'query',
  PLpgSQL_stmt_open: 'query',
  // CALL and DO: a nested DO block is read in turn.
  PLpgSQL_stmt_call: 'expr',
};

const QUERY_WORD = /\b(?:select|insert|update|delete|merge|perform|with|values|table)\b/i;

/** The queries in a CreateFunctionStmt or DoStmt body; `text` is that statement's text (templates replaced). */
export function bodyQueries(kind: string, body: Node, text: string): BodyQuery[] {
  const options: Node[] = (kind === 'DoStmt' ? body.args : body.options) ?? [];
  let language = kind === 'DoStmt' ? 'plpgsql' : '';
  let source: string | undefined;
  for (const o of options) {
    const d = o?.DefElem;
    if (!d) continue;
    if (d.defname === 'language') language = String(d.arg?.String?.sval ?? '').toLowerCase();
    else if (d.defname === 'as') source = d.arg?.String?.sval ?? d.arg?.List?.items?.[0]?.String?.sval;
  }
  if (source === undefined || (language !== 'plpgsql' && language !== 'sql')) return [];
  // A body without a query keyword holds no query: the PL/pgSQL parser is not run for it.
  if (!QUERY_WORD.test(source)) return [];
  const at = dollarBody(text, source);
  if (at < 0) return [];
  if (language === 'sql') return /\S/.test(source) ? [{ start: at, end: at + source.length, sql: source, sqlBody: true }] : [];
  const tree = parsePlpgsql(text);
  if (!tree?.plpgsql_funcs) return [];
  const lines = lineStarts(source);
  const out: BodyQuery[] = [];
  for (const fn of tree.plpgsql_funcs) {
    visitStatements(fn, (type, stmt) => {
      const field = QUERY_FIELDS[type];
      const query: string | undefined = field ? stmt[field]?.PLpgSQL_expr?.query : undefined;
      if (!query || (stmt[field]?.PLpgSQL_expr?.parseMode ?? 0) !== 0) return;
      const line = typeof stmt.lineno === 'number' ? stmt.lineno : 1;
      const from = lines[Math.min(Math.max(line - 1, 0), lines.length - 1)];
      const found = type === 'PLpgSQL_stmt_perform' ? locatePerform(source, query, from) : locate(source, query, from);
      if (found) out.push({ start: at + found.start, end: at + found.start + found.sql.length, sql: found.sql, sqlBody: false });
    });
  }
  return out;
}

/** The offset in `text` where `body` starts as the content of a dollar quote, or -1. */
function dollarBody(text: string, body: string): number {
  const opener = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/g;
  for (let m = opener.exec(text); m; m = opener.exec(text)) {
    const start = m.index + m[0].length;
    if (text.startsWith(body, start) && text.startsWith(m[0], start + body.length)) return start;
    // Skip the whole quoted body so that a tag inside it is not taken for an opener.
    const close = text.indexOf(m[0], start);
    if (close < 0) return -1;
    opener.lastIndex = close + m[0].length;
  }
  return -1;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Every PL/pgSQL statement of a function tree, depth first, with an explicit stack (a deeply nested body
 * cannot exhaust the call stack).
 */
function visitStatements(root: Node, visit: (type: string, stmt: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      continue;
    }
    for (const [k, child] of Object.entries(v as Node)) {
      if (k.startsWith('PLpgSQL_stmt_') && child && typeof child === 'object') visit(k, child as Node);
      if (k !== 'datums' && child && typeof child === 'object') stack.push(child);
    }
  }
}

/**
 * Where an execsql / FOR / RETURN QUERY query starts, at or after `from` (the start of its line): the PL/pgSQL
 * parser gives the query's text with `INTO target` turned into spaces, so a space there matches anything.
 */
function locate(body: string, query: string, from: number): { start: number; sql: string } | undefined {
  const head = /^\S+/.exec(query)?.[0];
  if (!head) return undefined;
  for (let p = body.indexOf(head, from); p >= 0; p = body.indexOf(head, p + 1)) {
    if (matchesAt(body, query, p)) return { start: p, sql: query };
  }
  return undefined;
}

function matchesAt(body: string, query: string, p: number): boolean {
  if (p + query.length > body.length) return false;
  for (let i = 0; i < query.length; i++) {
    const q = query.charCodeAt(i);
    if (q !== body.charCodeAt(p + i) && q !== 32) return false;
  }
  return true;
}

/** `PERFORM expr` reaches the parser as `SELECT expr`: the span is the PERFORM statement, read as SELECT. */
function locatePerform(body: string, query: string, from: number): { start: number; sql: string } | undefined {
  const rest = query.replace(/^SELECT /, '');
  for (let p = body.slice(from).search(/\bperform\b/i); p >= 0;) {
    const at = from + p;
    let r = at + 7;
    while (r < body.length && /\s/.test(body[r])) r++;
    if (body.startsWith(rest, r)) return { start: at, sql: 'SELECT' + ' '.repeat(r - at - 6) + rest };
    const next = body.slice(at + 7).search(/\bperform\b/i);
    p = next < 0 ? -1 : p + 7 + next;
  }
  return undefined;
}

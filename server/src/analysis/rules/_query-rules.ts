/**
 * Shared helpers of offset-pagination, or-chain and select-star: exact expression spans, token navigation
 * and name scopes.
 *
 * Why `exprSpan` exists: `Statement.span` derives a node's end from the token stream with rules for the
 * constructs PostgreSQL records only the start of (`t.col`, `now()`, `x::double precision`, `b IS NULL`,
 * `CASE … END`). Fixes that rewrite an expression must not trust a heuristic, so this confirms the end with
 * the real parser: the shortest token run from the span's start that parses as a SELECT target equal to the
 * node (locations aside) — normally span's own end, found with one parse.
 */
import { as, type Node } from '../ast';
import type { Statement } from '../parse';
import { parseSql } from '../pg';
import { isComment, tokenIndexAt, type Token } from '../tokens';

export interface Span {
  start: number;
  end: number;
}

function stripLocations(n: unknown): unknown {
  if (Array.isArray(n)) return n.map(stripLocations);
  if (!n || typeof n !== 'object') return n;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n as Node)) if (k !== 'location') out[k] = stripLocations(v);
  return out;
}

/** How far past Statement.span's end an expression may run (tokens). */
const MAX_EXTRA_TOKENS = 48;

/**
 * The exact file span of an expression node (one that can stand as a SELECT target), or undefined when it
 * cannot be established.
 */
export function exprSpan(st: Statement, node: Node): Span | undefined {
  const approx = st.span(node);
  if (!approx) return undefined;
  const want = JSON.stringify(stripLocations(node));
  const code = st.codeTokens();
  const text = st.file.text;
  let depth = 0;
  let extra = 0;
  for (let i = tokenIndexAt(code, approx.start); i < code.length && extra <= MAX_EXTRA_TOKENS; i++) {
    const t = code[i];
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    if (depth < 0 || t.text === ';') break;
    if (t.end < approx.end) continue;
    extra++;
    if (depth > 0) continue;
    const parsed = parseSql(`SELECT ${text.slice(approx.start, t.end)}`);
    if (!parsed.ok || parsed.stmts.length !== 1) continue;
    const targets = parsed.stmts[0].stmt?.SelectStmt?.targetList as Node[] | undefined;
    if (!targets || targets.length !== 1) continue;
    const val = as(targets[0], 'ResTarget')?.val;
    if (JSON.stringify(stripLocations(val)) === want) return { start: approx.start, end: t.end };
  }
  return undefined;
}

/** The span widened over parentheses that enclose exactly it: `((a OR b))` for `a OR b`. */
export function widenParens(st: Statement, span: Span): Span {
  const code = st.codeTokens();
  let s = span;
  for (;;) {
    const before = prevCodeToken(code, s.start);
    const after = nextCodeToken(code, s.end);
    if (before?.text !== '(' || after?.text !== ')') return s;
    // The pair encloses `s` only when the '(' matches the ')': everything between is balanced because `s` is.
    s = { start: before.start, end: after.end };
  }
}

/** The last code token ending at or before `offset`. */
export function prevCodeToken(code: Token[], offset: number): Token | undefined {
  let i = tokenIndexAt(code, offset) - 1;
  while (i >= 0 && code[i].end > offset) i--;
  return i >= 0 ? code[i] : undefined;
}

/** The first code token starting at or after `offset`. */
export function nextCodeToken(code: Token[], offset: number): Token | undefined {
  const i = tokenIndexAt(code, offset);
  return i < code.length ? code[i] : undefined;
}

/** The token (comment or code) ending right before `offset`. */
export function prevToken(st: Statement, offset: number): Token | undefined {
  const all = st.tokens();
  let i = tokenIndexAt(all, offset) - 1;
  while (i >= 0 && all[i].end > offset) i--;
  return i >= 0 ? all[i] : undefined;
}

export { isComment };

/**
 * The first code token at bracket depth 0 from `from` (file offset) whose keyword is in `keywords`; stops
 * at an unbalanced ')' (the end of an enclosing subquery), ';' or the end of the statement.
 */
export function findKeywordAtDepth0(st: Statement, from: number, keywords: ReadonlySet<string>): Token | undefined {
  const code = st.codeTokens();
  let depth = 0;
  for (let i = tokenIndexAt(code, from); i < code.length; i++) {
    const t = code[i];
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      depth--;
      if (depth < 0) return undefined;
    } else if (t.text === ';') return undefined;
    else if (depth === 0 && keywords.has(t.keyword)) return t;
  }
  return undefined;
}

/** Whitespace (only) right before `offset`, e.g. the newline and indentation before a clause keyword. */
export function leadingWhitespace(text: string, offset: number): string {
  let s = offset;
  while (s > 0 && /\s/.test(text[s - 1])) s--;
  return text.slice(s, offset);
}

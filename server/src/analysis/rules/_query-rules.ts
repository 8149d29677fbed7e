/**
 * Shared helpers of offset-pagination, or-chain and select-star: exact expression spans, token navigation
 * and name scopes.
 *
 * `exprSpan` is Statement.span under the name these rules use for expressions.
 */
import type { Node } from '../ast';
import type { Statement } from '../parse';
import { isComment, tokenIndexAt, type Token } from '../tokens';

export interface Span {
  start: number;
  end: number;
}

/**
 * The exact file span of an expression node, or undefined when it cannot be established. Statement.span
 * derives the end from the token stream; the engine re-parses every fix before offering it, so a span that
 * fell short would cost a fix, never produce broken SQL.
 */
export function exprSpan(st: Statement, node: Node): Span | undefined {
  return st.span(node);
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

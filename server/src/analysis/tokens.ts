/** Tokens with file offsets, and the range arithmetic that turns a parser start location into a full span. */
import { scanSql, type RawToken } from './pg';
import { OffsetMap } from './source';

export interface Token {
  /** UTF-16 offsets in the file. */
  start: number;
  end: number;
  text: string;
  /** libpg_query's token name: IDENT, SCONST, ICONST, FCONST, PARAM, Op, SQL_COMMENT, C_COMMENT, ASCII_40, ... */
  name: string;
  /** Upper-case keyword text for keywords, '' otherwise. */
  keyword: string;
}

export function isComment(t: Token): boolean {
  return t.name === 'SQL_COMMENT' || t.name === 'C_COMMENT';
}

/** Tokenizes text that starts at file offset `base`; returns [] when the tokenizer cannot read it. */
export function tokenize(text: string, base: number): Token[] {
  let raw: RawToken[];
  try {
    raw = scanSql(text);
  } catch {
    return [];
  }
  const map = new OffsetMap(text);
  return raw.map((r) => ({
    start: base + map.fromByte(r.start),
    end: base + map.fromByte(r.end),
    text: r.text,
    name: r.tokenName,
    keyword: r.keywordKind > 0 ? r.text.toUpperCase() : '',
  }));
}

/** Index of the first token starting at or after offset (tokens sorted by start). */
export function tokenIndexAt(tokens: Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const OPEN = new Set(['(', '[']);
const CLOSE = new Set([')', ']']);

/**
 * The span of tokens [first, last] widened so that its brackets balance: an expression the parser locates
 * from `a` in `(a = 1)` gets its parentheses when they belong to it, and `f(x` is extended to `f(x)`.
 */
export function balancedSpan(tokens: Token[], first: number, last: number): [number, number] {
  let depth = 0;
  let minDepth = 0;
  for (let i = first; i <= last; i++) {
    const t = tokens[i].text;
    if (OPEN.has(t)) depth++;
    else if (CLOSE.has(t)) {
      depth--;
      if (depth < minDepth) minDepth = depth;
    }
  }
  let f = first;
  for (let need = -minDepth; need > 0 && f > 0; ) {
    f--;
    if (OPEN.has(tokens[f].text)) need--;
    else if (CLOSE.has(tokens[f].text)) need++;
  }
  let l = last;
  for (let open = depth - minDepth; open > 0 && l < tokens.length - 1; ) {
    l++;
    if (CLOSE.has(tokens[l].text)) open--;
    else if (OPEN.has(tokens[l].text)) open++;
  }
  return [f, l];
}


/** Tokens with file offsets, and the range arithmetic that turns a parser start location into a full span. */
import { lexSqlPrefix } from './lex';
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
  const lexed = lexSqlPrefix(text, base);
  if (!lexed) return tokenizeWithScanner(text, base);
  if (lexed.end === text.length) return lexed.tokens;
  // The scanner reads on from the token the lexer stopped at: between tokens it holds no state, so the rest's tokens
  // are those of the whole text; and where it fails on the rest, it fails on the whole (no tokens, as below).
  const rest = tokenizeWithScanner(text.slice(lexed.end), base + lexed.end);
  return rest.length > 0 ? lexed.tokens.concat(rest) : [];
}

/** tokenize() by the WASM scanner alone (lex.ts reads most text faster, and gives up where it is not certain). */
export function tokenizeWithScanner(text: string, base: number): Token[] {
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
  for (let need = -minDepth; need > 0 && f > 0;) {
    f--;
    if (OPEN.has(tokens[f].text)) need--;
    else if (CLOSE.has(tokens[f].text)) need++;
  }
  let l = last;
  for (let open = depth - minDepth; open > 0 && l < tokens.length - 1;) {
    l++;
    if (CLOSE.has(tokens[l].text)) open--;
    else if (OPEN.has(tokens[l].text)) open++;
  }
  return [f, l];
}

/** Words that continue a type name after its first word (`character varying`, `timestamp with time zone`). */
const TYPE_WORDS = new Set(['VARYING', 'PRECISION', 'WITH', 'WITHOUT', 'TIME', 'ZONE', 'TO', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'YEAR', 'MONTH']);
/** Words that end `x IS [NOT] …`. */
const IS_WORDS = new Set(['NOT', 'NULL', 'TRUE', 'FALSE', 'UNKNOWN', 'DOCUMENT', 'NORMALIZED']);
/** Operators an expression cannot end with: a node located at one continues with its operand. */
const PREFIX_OPS = new Set(['-', '+', '=', '<', '>', '<=', '>=', '<>', '!=', '~', '@', '#']);

/** Index of the bracket closing the one at `open`, or the last index when unbalanced. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i].text;
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return tokens.length - 1;
}

export interface EndHints {
  /** File offsets where a function call's name starts. */
  calls: Set<number>;
  /** File offsets where a type name starts. */
  types: Set<number>;
  /** File offsets where an option (`name = value`, whose value has no location) starts. */
  options?: Set<number>;
}

/**
 * Extends a node's last token to the node's real end. PostgreSQL records only where nodes start, so the token
 * at the largest location is often not the last one: `t.col` (located at `t`), `now()`, `x::double precision`,
 * `b IS NULL`, `CASE … END`, `-1` and `m = 16` (located at the operator). `tokens` must be code tokens.
 */
export function extendEnd(tokens: Token[], first: number, last: number, hints: EndHints): number {
  let l = last;
  let inType = false;
  for (let guard = 0; guard < 10_000 && l + 1 < tokens.length; guard++) {
    const cur = tokens[l];
    const next = tokens[l + 1];
    if (hints.types.has(cur.start)) inType = true;
    if (next.text === '.' && l + 2 < tokens.length) {
      l += 2; // a qualified name goes on: schema.table.column, t.*
      continue;
    }
    if (next.text === '(' && (hints.calls.has(chainStart(tokens, l)) || inType)) {
      l = closing(tokens, l + 1); // call arguments, type modifiers
      continue;
    }
    if (next.text === '[' && inType) {
      l = closing(tokens, l + 1);
      continue;
    }
    if (inType && next.keyword && TYPE_WORDS.has(next.keyword)) {
      l++;
      continue;
    }
    if ((cur.keyword === 'IS' || (cur.keyword === 'NOT' && tokens[l - 1]?.keyword === 'IS')) && next.keyword && IS_WORDS.has(next.keyword)) {
      l++;
      continue;
    }
    if (cur.keyword === 'COLLATE' || PREFIX_OPS.has(cur.text) || (next.text === '=' && hints.options?.has(cur.start))) {
      l++;
      continue;
    }
    break;
  }
  // CASE … END: take in the END of every CASE the span opened.
  let open = 0;
  for (let i = first; i <= l; i++) {
    if (tokens[i].keyword === 'CASE') open++;
    else if (tokens[i].keyword === 'END' && open > 0) open--;
  }
  for (let i = l + 1; open > 0 && i < tokens.length; i++) {
    if (tokens[i].keyword === 'CASE') open++;
    else if (tokens[i].keyword === 'END') open--;
    l = i;
  }
  return l;
}

/** The first token of the dotted name that ends at index i (`pg_catalog.now` → `pg_catalog`). */
function chainStart(tokens: Token[], i: number): number {
  let j = i;
  while (j >= 2 && tokens[j - 1].text === '.') j -= 2;
  return tokens[j].start;
}

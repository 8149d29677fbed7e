/**
 * The real PostgreSQL parser (libpg_query compiled to WASM): the one source of truth for validity.
 *
 * This is a thin binding over the WASM build the libpg-query package ships (its Emscripten module), not over
 * the package's JS wrapper: the wrapper turns every parse tree into objects at once, and pgperf wants the tree's
 * JSON text, so that statements no rule looks into are never turned into objects (see parseSqlDeferred). The
 * calls, pointers and error fields are the ones the wrapper itself uses (libpg-query 18).
 */
// @ts-expect-error: the Emscripten module has no type declarations; PgQueryWasm below is the part pgperf uses.
import createPgQueryModule from 'libpg-query/wasm/libpg-query.js';
import type { Node } from './ast';
import { jsonDeeperThan, nestingBound } from './nesting';

interface PgQueryWasm {
  _malloc(size: number): number;
  _free(ptr: number): void;
  /** → PgQueryParseResult*: { char* parse_tree; char* stderr_buffer; PgQueryError* error } */
  _wasm_parse_query_raw(queryPtr: number): number;
  _wasm_free_parse_result(resultPtr: number): void;
  /** → char*: the tokens as JSON, or an error message. */
  _wasm_scan(queryPtr: number): number;
  /** → char*: the PL/pgSQL trees of a CREATE FUNCTION or DO statement as JSON, or an error message. */
  _wasm_parse_plpgsql(queryPtr: number): number;
  /** → char*: the statement's fingerprint (hex), or an error message. */
  _wasm_fingerprint(queryPtr: number): number;
  _wasm_free_string(ptr: number): void;
  getValue(ptr: number, type: 'i32'): number;
  UTF8ToString(ptr: number): string;
  stringToUTF8(str: string, ptr: number, maxBytes: number): void;
  lengthBytesUTF8(str: string): number;
}

let wasm: PgQueryWasm | undefined;
let ready: Promise<void> | undefined;
/** A fresh parser being loaded after the current one overflowed its stack (see guarded). */
let replacing: Promise<void> | undefined;

/** Loads the WASM parser once; every sync call below needs it to have resolved. */
export function initParser(): Promise<void> {
  ready ??= (createPgQueryModule as () => Promise<PgQueryWasm>)().then((m) => {
    wasm = m;
  });
  return ready;
}

function loaded(): PgQueryWasm {
  if (!wasm) throw new Error('the SQL parser is not loaded: await initParser() first');
  return wasm;
}

/**
 * The deepest parse tree pgperf analyses, in levels of its JSON text (about two per operator of an `a + b + …`
 * chain, seven per nested subquery): a statement nested deeper is reported as too deep to analyse, and no rule
 * or catalog walker ever sees a deeper tree. Hand-written SQL stays far below (the corpora: under 200).
 */
const MAX_TREE_DEPTH = 3_000;
/**
 * The largest nestingBound a text may have to reach the parser. Its stack overflows at 13,000 to 22,000 JSON
 * levels on Node's main thread (less when called from deep in a stack, or after it has overflowed once), and
 * the bound is above the real depth, so the parser never sees a statement that could overflow it.
 */
const MAX_PARSED_BOUND = 8_000;

const TOO_DEEP = 'statement nested too deeply to analyse';

/** The parse failure of a text too deep to analyse. */
function tooDeep(): ParseFail {
  return { ok: false, message: TOO_DEEP, cursor: 0, tooDeep: true };
}

/**
 * Runs a call into the WASM parser. Should its stack overflow after all (a RangeError thrown through its frames,
 * which skips its clean-up: its memory context and error handler stay as they were), the call gives `onOverflow`
 * and a fresh parser is loaded to replace this one as soon as the event loop turns; until then this one goes on.
 */
function guarded<T>(call: (m: PgQueryWasm) => T, onOverflow: () => T): T {
  try {
    return call(loaded());
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    replacing ??= (createPgQueryModule as () => Promise<PgQueryWasm>)().then(
      (m) => {
        wasm = m;
        replacing = undefined;
      },
      () => {
        replacing = undefined;
      },
    );
    return onOverflow();
  }
}

/** Runs `f` with `sql` as a NUL-terminated UTF-8 string in WASM memory. */
function withCString<T>(m: PgQueryWasm, sql: string, f: (ptr: number) => T): T {
  const size = m.lengthBytesUTF8(sql) + 1;
  const ptr = m._malloc(size);
  try {
    m.stringToUTF8(sql, ptr, size);
    return f(ptr);
  } finally {
    m._free(ptr);
  }
}

/**
 * The parse tree as libpg_query's JSON text, or the parser's error. `wantTree: false` only checks validity. A text
 * that could nest deeper than the parser's stack allows is not parsed; one whose tree nests deeper than
 * MAX_TREE_DEPTH is a failure too (`tooDeep` both).
 */
function parseRaw(sql: string, wantTree: boolean, maxDepth = MAX_TREE_DEPTH): { ok: true; json: string } | ParseFail {
  if (mayBeTooDeep(sql)) return tooDeep();
  const r = guarded((m) => parseInWasm(m, sql, wantTree), tooDeep);
  // A JSON text nests at most half its length deep.
  if (r.ok && r.json.length > maxDepth * 2 && jsonDeeperThan(r.json, maxDepth)) return tooDeep();
  return r;
}

/** Whether the text's nesting bound is too high for the parser (a text bounds at most 8 levels per character). */
function mayBeTooDeep(sql: string): boolean {
  return sql.length * 8 + 16 > MAX_PARSED_BOUND && nestingBound(sql) > MAX_PARSED_BOUND;
}

function parseInWasm(m: PgQueryWasm, sql: string, wantTree: boolean): { ok: true; json: string } | ParseFail {
  return withCString(m, sql, (queryPtr) => {
    const result = m._wasm_parse_query_raw(queryPtr);
    if (!result) throw new Error('the SQL parser could not allocate memory');
    try {
      const errorPtr = m.getValue(result + 8, 'i32');
      if (errorPtr) {
        const messagePtr = m.getValue(errorPtr, 'i32');
        const cursor = m.getValue(errorPtr + 16, 'i32'); // 1-based, 0 when unknown
        return { ok: false, message: messagePtr ? m.UTF8ToString(messagePtr) : 'syntax error', cursor: cursor > 0 ? cursor - 1 : 0 };
      }
      const treePtr = m.getValue(result, 'i32');
      if (!treePtr) throw new Error('the SQL parser returned no parse tree');
      return { ok: true, json: wantTree ? m.UTF8ToString(treePtr) : '' };
    } finally {
      m._wasm_free_parse_result(result);
    }
  });
}

export interface RawStmt {
  stmt: Node;
  stmt_location?: number;
  stmt_len?: number;
}

export interface ParseOk {
  ok: true;
  stmts: RawStmt[];
}

export interface ParseFail {
  ok: false;
  message: string;
  /** 0-based code-point offset of the error in the input. */
  cursor: number;
  /** The text is valid or not, but nested too deeply to analyse (see MAX_TREE_DEPTH); `cursor` is 0. */
  tooDeep?: true;
}

export function parseSql(sql: string): ParseOk | ParseFail {
  return parseSqlUpTo(sql, MAX_TREE_DEPTH);
}

/**
 * parseSql without the analysis's depth cap (still never past what the parser's stack takes): for EXPLAIN's gates
 * on the database side, which must judge every statement the server would run, and read deep trees without recursing.
 */
export function parseSqlForExplain(sql: string): ParseOk | ParseFail {
  return parseSqlUpTo(sql, Infinity);
}

function parseSqlUpTo(sql: string, maxDepth: number): ParseOk | ParseFail {
  if (sql.trim() === '') return { ok: true, stmts: [] };
  const r = parseRaw(sql, true, maxDepth);
  if (!r.ok) return r;
  return { ok: true, stmts: (JSON.parse(r.json) as { stmts?: RawStmt[] }).stmts ?? [] };
}

export interface RawToken {
  /** UTF-8 byte offsets into the scanned text. */
  start: number;
  end: number;
  text: string;
  tokenName: string;
  keywordKind: number;
}

/** The real tokenizer. Throws on input it cannot tokenize (an unterminated string or comment). */
export function scanSql(sql: string): RawToken[] {
  const text = guarded(
    (m) =>
      withCString(m, sql, (queryPtr) => {
        const ptr = m._wasm_scan(queryPtr);
        try {
          return m.UTF8ToString(ptr);
        } finally {
          if (ptr) m._wasm_free_string(ptr);
        }
      }),
    () => TOO_DEEP,
  );
  if (!text.startsWith('{')) throw new Error(text);
  return (JSON.parse(text) as { tokens: RawToken[] }).tokens;
}

/**
 * A statement's tree kept as its JSON text until first used. Most statements of a lint run are never looked
 * into (every rule's cheap kind or text test fails), and turning the parser's JSON into objects is the larger
 * part of parsing; the objects would also stay alive, and be copied by every young-generation GC, until the end.
 */
export class DeferredNode {
  constructor(
    readonly json: string,
    /** The wrapper's type name: the object's first key. */
    readonly kind: string,
  ) {}

  parse(): Node {
    return JSON.parse(this.json);
  }
}

export interface DeferredRawStmt {
  stmt: Node | DeferredNode;
  stmt_location?: number;
  stmt_len?: number;
}

export interface DeferredParseOk {
  ok: true;
  stmts: DeferredRawStmt[];
}

/**
 * parseSql with each statement's tree left as JSON text (a DeferredNode) when the tree's JSON has the expected
 * shape (splitTree); otherwise the statements are parsed as parseSql does.
 */
export function parseSqlDeferred(sql: string): DeferredParseOk | ParseFail {
  if (sql.trim() === '') return { ok: true, stmts: [] };
  const r = parseRaw(sql, true);
  if (!r.ok) return r;
  return { ok: true, stmts: splitTree(r.json) ?? (JSON.parse(r.json) as { stmts?: RawStmt[] }).stmts ?? [] };
}

/** Index of the `"` that closes the JSON string whose content starts at i, or -1. */
function stringEnd(s: string, i: number): number {
  for (;;) {
    const q = s.indexOf('"', i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let b = q - 1; s.charCodeAt(b) === 92; b--) backslashes++;
    if ((backslashes & 1) === 0) return q;
    i = q + 1;
  }
}

/** The index just after the JSON object or array that starts at i, or -1. */
function compositeEnd(s: string, i: number): number {
  let depth = 0;
  for (const n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      i = stringEnd(s, i + 1);
      if (i < 0) return -1;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** A non-negative JSON integer at i (at most 15 digits): [value, index after it], or undefined. */
function integerAt(s: string, i: number): [number, number] | undefined {
  let value = 0;
  let j = i;
  for (let c = s.charCodeAt(j); c >= 48 && c <= 57 && j - i < 15; c = s.charCodeAt(++j)) value = value * 10 + (c - 48);
  if (j === i || (s.charCodeAt(i) === 48 && j > i + 1)) return undefined;
  const next = s.charCodeAt(j);
  return next >= 48 && next <= 57 ? undefined : [value, j];
}

/**
 * The statements of a parse tree's JSON, `{"version":N,"stmts":[{"stmt":{…},"stmt_location":N,"stmt_len":N},…]}`
 * (libpg_query leaves out zero fields), each tree as its JSON text; undefined for anything else.
 */
const TREE_START = '{"version":';

export function splitTree(s: string): DeferredRawStmt[] | undefined {
  const version = integerAt(s, TREE_START.length);
  if (!s.startsWith(TREE_START) || !version) return undefined;
  let i = version[1];
  const out: DeferredRawStmt[] = [];
  if (s.charCodeAt(i) === 125 /* } */) return i + 1 === s.length ? out : undefined;
  if (!s.startsWith(',"stmts":[', i)) return undefined;
  i += ',"stmts":['.length;
  if (s.charCodeAt(i) === 93 /* ] */) return s.length === i + 2 && s.charCodeAt(i + 1) === 125 ? out : undefined;
  for (;;) {
    if (!s.startsWith('{"stmt":{"', i)) return undefined;
    const start = i + '{"stmt":'.length;
    const end = compositeEnd(s, start);
    if (end < 0) return undefined;
    const keyEnd = s.indexOf('"', start + 2);
    const kind = s.slice(start + 2, keyEnd);
    // A plain type name followed by its object: `{"SelectStmt":{…}}`.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(kind) || s.charCodeAt(keyEnd + 1) !== 58 /* : */) return undefined;
    const raw: DeferredRawStmt = { stmt: new DeferredNode(s.slice(start, end), kind) };
    i = end;
    if (s.startsWith(',"stmt_location":', i)) {
      const n = integerAt(s, i + ',"stmt_location":'.length);
      if (!n) return undefined;
      raw.stmt_location = n[0];
      i = n[1];
    }
    if (s.startsWith(',"stmt_len":', i)) {
      const n = integerAt(s, i + ',"stmt_len":'.length);
      if (!n) return undefined;
      raw.stmt_len = n[0];
      i = n[1];
    }
    if (s.charCodeAt(i) !== 125 /* } */) return undefined;
    out.push(raw);
    i++;
    const c = s.charCodeAt(i);
    if (c === 44 /* , */) {
      i++;
      continue;
    }
    return c === 93 /* ] */ && s.charCodeAt(i + 1) === 125 && i + 2 === s.length ? out : undefined;
  }
}

/** Whether the parser accepts `sql` (parseSql(sql).ok), without reading its tree. */
/**
 * libpg_query's fingerprint of a statement: the same for texts that differ only in constants, parameter numbers,
 * whitespace, comments and keyword case — what pg_stat_statements groups by, so a statement it reports can be found
 * in the workspace. Undefined for a text that does not parse (or is too deep to).
 */
export function fingerprintSql(sql: string): string | undefined {
  if (mayBeTooDeep(sql)) return undefined;
  return guarded(
    (m) =>
      withCString(m, sql, (queryPtr) => {
        const ptr = m._wasm_fingerprint(queryPtr);
        if (!ptr) return undefined;
        try {
          const text = m.UTF8ToString(ptr);
          return /^[0-9a-f]{16}$/.test(text) ? text : undefined;
        } finally {
          m._wasm_free_string(ptr);
        }
      }),
    () => undefined,
  );
}

/**
 * The longest statement pgperf analyses, in UTF-16 characters. A statement's parse tree, tokens and spans cost about
 * 1.4 µs per character of a dense expression (a 545 KB OR chain: 0.75 s to lint), and the language server answers
 * within a second; hand-written statements stay far below (test/corpus/statement-size.test.ts).
 * A longer one is checked for syntax only (sqlCheck) and reported as too large to analyse.
 */
export const MAX_ANALYSED_CHARS = 200_000;

/** The parser's verdict on `sql` without its tree: undefined when it parses, else the failure. */
export function sqlCheck(sql: string): ParseFail | undefined {
  if (sql.trim() === '') return undefined;
  const r = parseRaw(sql, false);
  return r.ok ? undefined : r;
}

export function sqlParses(sql: string): boolean {
  return sql.trim() === '' || parseRaw(sql, false).ok;
}

/**
 * The PL/pgSQL parser's trees for the functions of `sql` (a CREATE FUNCTION/PROCEDURE … LANGUAGE plpgsql or DO
 * statement), as libpg_query's JSON `{"plpgsql_funcs":[{"PLpgSQL_function":{…}}]}`; undefined when it rejects
 * the body (PostgreSQL checks a body only when the function is created with check_function_bodies on, and
 * pgperf reports nothing for it either).
 */
export function parsePlpgsql(sql: string): { plpgsql_funcs?: Node[] } | undefined {
  if (mayBeTooDeep(sql)) return undefined;
  const text = guarded(
    (m) =>
      withCString(m, sql, (queryPtr) => {
        const ptr = m._wasm_parse_plpgsql(queryPtr);
        try {
          return ptr ? m.UTF8ToString(ptr) : '';
        } finally {
          if (ptr) m._wasm_free_string(ptr);
        }
      }),
    () => '',
  );
  if (!text.startsWith('{') || (text.length > MAX_TREE_DEPTH * 2 && jsonDeeperThan(text, MAX_TREE_DEPTH))) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

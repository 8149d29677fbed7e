/**
 * Parser adapter: one AST per statement with exact source offsets. The whole file is parsed in one call
 * (the fast path, and the parser's own statement boundaries); when that fails the file is split with the
 * tokenizer and each statement is parsed on its own, so one bad statement hides nothing else.
 */
import {
  DeferredNode,
  MAX_ANALYSED_CHARS,
  parseSql,
  parseSqlDeferred,
  sqlCheck,
  type DeferredParseOk,
  type DeferredRawStmt,
  type ParseFail,
  type ParseOk,
  type RawStmt,
} from './pg';

type ParseResult = ParseOk | ParseFail;
/** A parse result whose statement trees may still be JSON text (see parseSqlDeferred). */
export type DeferredParseResult = DeferredParseOk | ParseFail;
import { OffsetMap, SourceText } from './source';
import { semicolonMaySplit, splitPlain, splitStatements, type Piece } from './split';
import { balancedSpan, extendEnd, isComment, tokenize, tokenIndexAt, type EndHints, type Token } from './tokens';
import { indexNodes, locationBounds, walk, type Node } from './ast';
import { replaceTemplates, type TemplatePattern, type TemplateRegion } from './templates';
import { bodyQueries } from './plpgsql';
import { HostView } from './embedded';
import { DEFAULT_EMBEDDED_OPTIONS, hostLanguageOf, type EmbeddedOptions } from './host/index';

export interface SyntaxError {
  message: string;
  /** File offset of the parser's cursor. */
  offset: number;
  /** Not a syntax error: the statement nests too deeply to analyse (the parser was not, or not fully, run). */
  tooDeep?: boolean;
  /** Not a syntax error: the statement is longer than MAX_ANALYSED_CHARS (it parses; its tree was not built). */
  tooLarge?: boolean;
}

/** A fragment that is one JSON string with nothing escaped in it: a key or a whole string value. */
const QUOTED_WORD = /^"([^"\\]*)"$/;

/**
 * The words the rules have asked treeMayInclude about, each with a bit (a few dozen constant fragments): a built tree
 * keeps, per word asked, whether it holds it, so that the workspace's trees cost two numbers each, not a set of words.
 */
const WORD_BITS = new Map<string, number>();
const MAX_WORDS = 31;

/** Per built tree: which words' bits are known, and which of those it holds. */
const TREE_WORDS = new WeakMap<object, { known: number; has: number }>();

/** Whether `tree` holds `word` as a key or a string value; undefined when no bit is left for the word. */
function treeHolds(tree: Node, word: string): boolean | undefined {
  let bit = WORD_BITS.get(word);
  if (bit === undefined) {
    if (WORD_BITS.size >= MAX_WORDS) return undefined;
    WORD_BITS.set(word, (bit = 1 << WORD_BITS.size));
  }
  let entry = TREE_WORDS.get(tree);
  if (!entry || !(entry.known & bit)) {
    // One walk answers every word registered so far.
    let known = 0;
    for (const b of WORD_BITS.values()) known |= b;
    let has = 0;
    const stack: unknown[] = [tree];
    while (stack.length) {
      const v = stack.pop();
      if (typeof v === 'string') has |= WORD_BITS.get(v) ?? 0;
      else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) stack.push(v[i]);
      else if (v && typeof v === 'object') {
        for (const k in v) {
          has |= WORD_BITS.get(k) ?? 0;
          stack.push((v as Record<string, unknown>)[k]);
        }
      }
    }
    entry = { known, has };
    TREE_WORDS.set(tree, entry);
  }
  return (entry.has & bit) !== 0;
}

/** Each fragment's word (null: not one quoted word). */
const FRAGMENT_WORDS = new Map<string, string | null>();

export class Statement {
  /** Offset of the AST's byte locations: a location L is byte L - byteBase of this statement's text. */
  private readonly byteBase: number;
  private map: OffsetMap | undefined;
  private tokenCache: Token[] | undefined;
  private codeCache: Token[] | undefined;
  private nodeIndex: Map<string, Node[]> | undefined;
  private textCache: string | undefined;
  private sqlCache: string | undefined;
  private kindCache: string | undefined;
  /** The statement node, or its JSON text until first read. */
  private astValue: Node | DeferredNode | undefined;
  /** Schemas that unqualified names resolve in, from the file's `SET search_path` before this statement. */
  searchPath: string[] = DEFAULT_SEARCH_PATH;

  constructor(
    readonly file: ParsedFile,
    /** Position in file.statements (a routine's inner queries follow the routine). */
    public index: number,
    readonly start: number,
    readonly end: number,
    /** The statement node, e.g. `{ SelectStmt: {...} }` (or its JSON text); undefined when the parser rejected it. */
    ast: Node | DeferredNode | undefined,
    readonly error: SyntaxError | undefined,
    byteBase: number,
    /** The text that was parsed, when it is not the file's SQL text there (a PL/pgSQL query: INTO blanked). */
    parsedText?: string,
    /** For a query inside a function, procedure or DO body: that CREATE FUNCTION / DO statement. */
    readonly container?: Statement,
  ) {
    this.byteBase = byteBase;
    this.astValue = ast;
    this.sqlCache = parsedText;
  }

  /** The statement node, e.g. `{ SelectStmt: {...} }`; undefined when the parser rejected it. */
  get ast(): Node | undefined {
    const value = this.astValue;
    if (value instanceof DeferredNode) return (this.astValue = value.parse());
    return value;
  }

  /** Whether the parser accepted the statement (the same as `!!ast`, without building a deferred tree). */
  get hasAst(): boolean {
    return this.astValue !== undefined;
  }

  /**
   * A cheap test before reading the tree: false only when the tree's JSON text does not contain `fragment` (write it
   * with its quotes, e.g. `"A_Star"`: inside a JSON string a quote is escaped, so `"A_Star"` can only be a key or a
   * whole string value). A built tree answers from its keys and string values, read once per tree for the words asked
   * so far: the language server's trees come built from its cache, and every rule asking every statement again per
   * keystroke added up.
   */
  treeMayInclude(fragment: string): boolean {
    const value = this.astValue;
    if (value instanceof DeferredNode) return value.json.includes(fragment);
    if (!value) return true;
    let word = FRAGMENT_WORDS.get(fragment);
    if (word === undefined) FRAGMENT_WORDS.set(fragment, (word = QUOTED_WORD.exec(fragment)?.[1] ?? null));
    return word === null || treeHolds(value, word) !== false;
  }

  /** The same with a pattern for the JSON text. */
  treeMayMatch(pattern: RegExp): boolean {
    const value = this.astValue;
    return !(value instanceof DeferredNode) || pattern.test(value.json);
  }

  /** The statement's text as written in the file (templates included). */
  get text(): string {
    return (this.textCache ??= this.file.text.slice(this.start, this.end));
  }

  /**
   * The text the parser read: as long as `text`, with templates as placeholders (see templates.ts). AST
   * locations and tokens are positions in it, which are positions in `text` too.
   */
  get sqlText(): string {
    return (this.sqlCache ??= this.file.sqlText.slice(this.start, this.end));
  }

  /** The statement's kind: SelectStmt, IndexStmt, ... */
  get kind(): string {
    return (this.kindCache ??= kindOf(this.astValue));
  }

  /** The statement node's body, e.g. the object under `SelectStmt`. */
  get body(): Node {
    return this.ast ? (this.ast as Record<string, Node>)[this.kind] : {};
  }

  private offsets(): OffsetMap {
    this.map ??= new OffsetMap(this.sqlText);
    return this.map;
  }

  /** A parser location (UTF-8 bytes) → file offset. */
  loc(location: number): number {
    return this.start + this.offsets().fromByte(location - this.byteBase);
  }

  /** Every node of one type in the statement's AST (set-operation arms count as SelectStmt); one walk, cached. */
  nodes(type: string): readonly Node[] {
    this.nodeIndex ??= indexNodes(this.ast);
    return this.nodeIndex.get(type) ?? [];
  }

  /** The real tokenizer's tokens of this statement, with file offsets; computed on first use. */
  tokens(): Token[] {
    if (!this.tokenCache) {
      const cache = this.file.cache;
      const start = this.start;
      const sql = this.sqlText;
      this.tokenCache = cache ? cache.tokens(sql).map((t) => ({ ...t, start: t.start + start, end: t.end + start })) : tokenize(sql, start);
      if (sql !== this.text) this.tokenCache = this.tokenCache.map((t) => this.asWritten(t));
    }
    return this.tokenCache;
  }

  /**
   * A token whose text differs from the file (a template's placeholder) carries the file's text instead, so
   * that a fix built from token texts writes what the user wrote, and then no longer parses: fixes are
   * re-parsed before they are offered (engine.ts, checkedFix), so no fix ever rewrites or copies a placeholder.
   */
  private asWritten(t: Token): Token {
    const written = this.file.text.slice(t.start, t.end);
    return written === t.text ? t : { ...t, text: written };
  }

  /** Non-comment tokens. */
  codeTokens(): Token[] {
    this.codeCache ??= this.tokens().filter((t) => !isComment(t));
    return this.codeCache;
  }

  /** Index into tokens() of the token starting at a parser location, or -1. */
  tokenAt(location: number): number {
    const tokens = this.tokens();
    const off = this.loc(location);
    const i = tokenIndexAt(tokens, off);
    return i < tokens.length && tokens[i].start === off ? i : -1;
  }

  /**
   * The file span [start, end) of an AST node: from its leftmost location to its real end, computed from the
   * token stream (the parser gives only start locations; see extendEnd), widened to balance brackets.
   */
  span(node: Node): { start: number; end: number } | undefined {
    const [lo, hi] = locationBounds(node);
    if (lo < 0) return undefined;
    const tokens = this.codeTokens();
    if (tokens.length === 0) return undefined;
    let first = tokenIndexAt(tokens, this.loc(lo));
    let last = tokenIndexAt(tokens, this.loc(hi));
    if (first >= tokens.length || last >= tokens.length) return undefined;
    const hints: EndHints = { calls: new Set(), types: new Set(), options: new Set() };
    walk(node, (type, n) => {
      if (type === 'FuncCall' && n.location >= 0) hints.calls.add(this.loc(n.location));
      else if (type === 'TypeName' && n.location >= 0) hints.types.add(this.loc(n.location));
      else if (type === 'TypeCast' && n.typeName?.location >= 0) hints.types.add(this.loc(n.typeName.location));
      else if (type === 'DefElem' && n.location >= 0) hints.options!.add(this.loc(n.location));
    });
    [first, last] = balancedSpan(tokens, first, last);
    last = extendEnd(tokens, first, last, hints);
    [first, last] = balancedSpan(tokens, first, last);
    return { start: tokens[first].start, end: tokens[last].end };
  }

  /**
   * The span of a possibly qualified name (`app.event_log`, `"Odd"."T"`, `t.*`) that starts at a parser
   * location, read from the text directly: cheaper than tokenizing the statement for the most common range.
   */
  nameSpan(location: number): { start: number; end: number } | undefined {
    const text = this.file.sqlText;
    const start = this.loc(location);
    let i = start;
    let end = -1;
    for (;;) {
      const part = NAME_PART.exec(text.slice(i, i + 256));
      if (!part) return end > start ? { start, end } : undefined;
      end = i + part[0].length;
      const dot = /^\s*\.\s*/.exec(text.slice(end, end + 64));
      if (!dot || end + dot[0].length >= this.end) return { start, end };
      i = end + dot[0].length;
    }
  }

  /**
   * This statement in another parse of a host file whose SQL view is the same text (see ParsedFile's `previous`):
   * its offsets, tree and caches are all in SQL-view coordinates, so they hold there unchanged.
   */
  rebind(file: ParsedFile, container: Statement | undefined): Statement {
    const st = new Statement(file, this.index, this.start, this.end, this.astValue, this.error, this.byteBase, this.sqlCache, container);
    st.map = this.map;
    st.tokenCache = this.tokenCache;
    st.codeCache = this.codeCache;
    st.nodeIndex = this.nodeIndex;
    st.textCache = this.textCache;
    st.kindCache = this.kindCache;
    st.searchPath = this.searchPath;
    return st;
  }

  /** The highest `$n` parameter number used in the statement (0 when none). */
  maxParam(): number {
    let max = 0;
    for (const t of this.tokens()) {
      if (t.name === 'PARAM') max = Math.max(max, Number(t.text.slice(1)) || 0);
    }
    return max;
  }
}

export const DEFAULT_SEARCH_PATH = ['public'];

/** Statements whose body may hold queries. */
const ROUTINE_KINDS: ReadonlySet<string> = new Set(['CreateFunctionStmt', 'DoStmt']);
/** The inner statements added from a body: queries and data changes. */
const QUERY_KINDS: ReadonlySet<string> = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** How deep DO blocks nested in bodies are followed. */
const MAX_BODY_DEPTH = 4;

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** One part of a qualified name: an identifier, a quoted identifier or a star. */
const NAME_PART = /^(?:"(?:[^"]|"")*"|[\p{L}_][\p{L}\p{N}_$]*|\*)/u;

/** A parse result for a piece of text; its AST locations count from `byteBase` (0 unless seeded from a larger text). */
interface CachedParse {
  result: ParseResult;
  byteBase: number;
}

/**
 * A map bounded by use: past capacity the least recently used entry goes first, but never one used since the current
 * file began. A file with more statements than the capacity read in order would otherwise evict, at each miss, the
 * very entry it needs next, and re-parse every statement on every edit.
 */
class FileLru<V> {
  private readonly entries = new Map<string, { value: V; epoch: number }>();
  private epoch = 0;

  constructor(private readonly capacity: number) {}

  beginFile(): void {
    this.epoch++;
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    // Moved to the back once per file: a file looks each statement up more than once.
    if (hit.epoch !== this.epoch) {
      this.entries.delete(key);
      hit.epoch = this.epoch;
      this.entries.set(key, hit);
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    for (const [oldest, { epoch }] of this.entries) {
      if (this.entries.size < this.capacity || epoch === this.epoch) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, epoch: this.epoch });
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Parse results by statement text, so that re-parsing an edited file re-parses only the statements whose text
 * changed (the language server keeps one per workspace). Bounded: see FileLru.
 */
export class ParseCache {
  private readonly entries: FileLru<CachedParse>;
  private readonly tokenEntries: FileLru<Token[]>;
  /** The real tokenizer's split of rejected pieces that hold a semicolon (a large one costs seconds to tokenize). */
  private readonly splitEntries = new Map<string, Piece[]>();
  /** How many texts were parsed for want of a cached result (for tests and benchmarks). */
  parses = 0;

  constructor(capacity = 50_000) {
    this.entries = new FileLru(capacity);
    this.tokenEntries = new FileLru(capacity);
  }

  /** Marks the start of one file's parse: nothing it uses is evicted to make room for the rest of it. */
  beginFile(): void {
    this.entries.beginFile();
    this.tokenEntries.beginFile();
  }

  /** The cached parse of `text`, refreshed as most recently used. */
  get(text: string): CachedParse | undefined {
    return this.entries.get(text);
  }

  set(text: string, value: CachedParse): void {
    this.entries.set(text, value);
  }

  parse(text: string): CachedParse {
    const hit = this.get(text);
    if (hit) return hit;
    this.parses++;
    const value = { result: parseSql(text), byteBase: 0 };
    this.set(text, value);
    return value;
  }

  /** A whole file's text, parsed uncached (its statements are seeded one by one). */
  parseWhole(text: string): ParseResult {
    this.parses++;
    return parseSql(text);
  }

  get size(): number {
    return this.entries.size;
  }

  /** splitStatements(text), kept for the next edit of the file. */
  resplit(text: string): Piece[] {
    let pieces = this.splitEntries.get(text);
    if (pieces) this.splitEntries.delete(text);
    else {
      pieces = splitStatements(text);
      if (this.splitEntries.size >= 1_000) this.splitEntries.delete(this.splitEntries.keys().next().value!);
    }
    this.splitEntries.set(text, pieces);
    return pieces;
  }

  /** The tokens of a statement text, with offsets from 0 (the tokenizer is as costly as the parser). */
  tokens(text: string): Token[] {
    let tokens = this.tokenEntries.get(text);
    if (!tokens) this.tokenEntries.set(text, (tokens = tokenize(text, 0)));
    return tokens;
  }
}

export interface ParseOptions {
  /** Extra template patterns (`.pgperf.json` `templates`), replaced like the built-in ones. */
  templates?: readonly TemplatePattern[];
  /** What is read as SQL in a host file (the `embedded` configuration key). */
  embedded?: EmbeddedOptions;
  /**
   * The last parse of the same host file (the language server's, before an edit): when the edit left the SQL view as
   * it was (typing in plain code), its statements are taken over instead of split, looked up and checked again.
   */
  previous?: ParsedFile;
}

export class ParsedFile {
  /** The SQL text: the file's own for a .sql file, the SQL view for a host file (see embedded.ts). */
  readonly text: string;
  /** Line arithmetic of `text`. */
  readonly source: SourceText;
  /** For a host file (TypeScript, Python, Go, Rust, …): its SQL strings and the way back to the host text. */
  readonly host: HostView | undefined;
  /** The text the user edits (the host file's, or `text`), where findings and fixes are placed. */
  readonly document: SourceText;
  /**
   * The text the parser reads: `text` with every template (Go templates, psql variables, sqlc parameters, …)
   * replaced by a placeholder of the same length, so offsets into one are offsets into the other.
   */
  readonly sqlText: string;
  /** The templates replaced, in file order. */
  readonly templates: readonly TemplateRegion[];
  readonly statements: Statement[] = [];
  /** The statement cache this file was parsed with, if any (statements share its token cache). */
  readonly cache: ParseCache | undefined;
  /** The template patterns it was parsed with (a later parse can take over its statements only under the same). */
  private readonly templatePatterns: readonly TemplatePattern[] | undefined;

  /**
   * A valid file is parsed in one call, with the parser's own statement boundaries. With a cache, a file whose
   * statements are mostly cached already is parsed statement by statement (only the changed ones reach the
   * parser); a file with an error is always parsed statement by statement (see split.ts for how they are found).
   */
  constructor(
    readonly path: string,
    fileText: string,
    cache?: ParseCache,
    /**
     * Without a cache: parse results of statement pieces by text, shared by the files of one run (a piece whose
     * text was parsed before gets the same result, as it would from a cache).
     */
    pieceMemo?: Map<string, DeferredParseResult>,
    options: ParseOptions = {},
  ) {
    this.cache = cache;
    cache?.beginFile();
    this.templatePatterns = options.templates;
    if (hostLanguageOf(path)) {
      this.host = new HostView(path, fileText, options.embedded ?? DEFAULT_EMBEDDED_OPTIONS);
      this.text = this.host.sql;
      // Templates a tool rewrites before sending (umami's `{{name::type}}` through its own query helper), as in .sql files.
      const templated = replaceTemplates(this.text, options.templates);
      this.sqlText = templated?.text ?? this.text;
      this.templates = templated?.regions ?? [];
      this.source = new SourceText(this.text);
      this.document = new SourceText(fileText);
      const previous = options.previous;
      if (previous && this.sameSqlView(previous)) {
        // Statements come in file order and a routine's inner queries after it, so a container is always rebound first.
        const rebound = new Map<Statement, Statement>();
        for (const st of previous.statements) {
          const next = st.rebind(this, st.container && rebound.get(st.container));
          rebound.set(st, next);
          this.statements.push(next);
        }
        return;
      }
      for (const seg of this.host.segments) this.parseRange(seg.base, seg.base + seg.embedded.sql.length, cache, pieceMemo);
    } else {
      this.host = undefined;
      this.text = fileText;
      this.source = this.document = new SourceText(fileText);
      const templated = replaceTemplates(fileText, options.templates);
      this.sqlText = templated?.text ?? fileText;
      this.templates = templated?.regions ?? [];
      this.parseRange(0, fileText.length, cache, pieceMemo);
    }
    if (this.statements.some((st) => ROUTINE_KINDS.has(st.kind))) this.addBodyQueries(pieceMemo);
    this.trackSearchPath();
  }

  /**
   * Whether `previous` was a parse of this host file with the same SQL strings at the same SQL-view offsets and under
   * the same templates and statement cache: then its statements (from parseRange, body queries and search paths,
   * all functions of that text and those boundaries) are this file's too.
   */
  private sameSqlView(previous: ParsedFile): boolean {
    const a = previous.host;
    const b = this.host!;
    if (!a || previous.path !== this.path || previous.cache !== this.cache || previous.templatePatterns !== this.templatePatterns) return false;
    if (a.sql !== b.sql || a.segments.length !== b.segments.length) return false;
    for (let i = 0; i < a.segments.length; i++) {
      if (a.segments[i].base !== b.segments[i].base || a.segments[i].embedded.sql.length !== b.segments[i].embedded.sql.length) return false;
    }
    return true;
  }

  /** A document range in the file's SQL view and where the way back to the document is defined. */
  toDocument(start: number, end: number): { start: number; end: number } {
    return this.host ? this.host.toDocument(start, end) : { start, end };
  }

  /** The SQL-view offset of a document offset; undefined in a host file outside its SQL strings. */
  fromDocument(offset: number): number | undefined {
    return this.host ? this.host.fromDocument(offset) : offset;
  }

  /** The 1-based line in the document of a SQL-view offset (what a message or a hover names). */
  lineOf(offset: number): number {
    return this.document.positionAt(this.toDocument(offset, offset).start).line + 1;
  }

  /** Parses sqlText[from, to): the whole file, or one SQL string of a host file. */
  private parseRange(from: number, to: number, cache: ParseCache | undefined, pieceMemo: Map<string, DeferredParseResult> | undefined): void {
    const text = from === 0 && to === this.sqlText.length ? this.sqlText : this.sqlText.slice(from, to);
    const shift = (p: Piece): Piece => (from === 0 ? p : { ...p, start: p.start + from, end: p.end + from });
    let pieces = cache ? splitPlain(text).map(shift) : undefined;
    const mostlyCached = !!pieces && pieces.filter((p) => cache!.get(this.sqlText.slice(p.start, p.end))).length * 2 >= pieces.length;
    // A statement too large to analyse is only checked (parsePiece): the text is not parsed whole, into its tree.
    if (text.length > MAX_ANALYSED_CHARS) pieces ??= splitPlain(text).map(shift);
    const oversized = text.length > MAX_ANALYSED_CHARS && pieces!.some((p) => p.end - p.start > MAX_ANALYSED_CHARS);
    // Without a cache the statement trees stay JSON until a rule or the catalog reads them (the cache keeps
    // parsed trees: the language server re-reads them after every edit).
    const whole = mostlyCached || oversized ? undefined : cache ? cache.parseWhole(text) : parseSqlDeferred(text);
    if (whole?.ok) {
      const first = this.statements.length;
      this.addParsed(whole.stmts, from, text.length, new OffsetMap(text), false, 0);
      if (cache) this.seed(cache, whole.stmts as RawStmt[], first);
    } else {
      for (const proposed of pieces ?? splitPlain(text).map(shift)) {
        if (this.parsePiece(proposed, false, pieceMemo) === 'ok') continue;
        // Rejected: the real tokenizer re-splits it in case the plain splitter missed a boundary, which can
        // only be a semicolon inside the piece.
        const pieceText = this.sqlText.slice(proposed.start, proposed.end);
        const split = !semicolonMaySplit(pieceText) ? [] : cache ? cache.resplit(pieceText) : splitStatements(pieceText);
        const again = split.map((p) => ({ start: p.start + proposed.start, end: p.end + proposed.start }));
        if (again.length > 1) for (const p of again) this.parsePiece(p, true, pieceMemo);
        else this.parsePiece(proposed, true, pieceMemo);
      }
    }
  }

  /**
   * Adds the queries inside routine bodies (see plpgsql.ts) after their routine, as statements with file
   * offsets and `container` set. Only queries are added: DDL in a function runs when it is called, not where
   * it is written, and CREATE INDEX CONCURRENTLY cannot run in a function or DO block at all. A body or query
   * that does not parse adds nothing (PostgreSQL checks PL/pgSQL bodies only when they run).
   */
  private addBodyQueries(memo: Map<string, DeferredParseResult> | undefined): void {
    const all: Statement[] = [];
    for (const st of this.statements) {
      all.push(st);
      this.innerStatements(st, 0, memo, all);
    }
    all.forEach((st, i) => (st.index = i));
    // Not push(...all): a spread passes every statement as an argument, past the stack for ~120,000 statements.
    this.statements.length = 0;
    for (const st of all) this.statements.push(st);
  }

  /** `top`: the file-level routine, the container of every query found in it (also in DO blocks nested in it). */
  private innerStatements(st: Statement, depth: number, memo: Map<string, DeferredParseResult> | undefined, out: Statement[], top = st): void {
    if (depth >= MAX_BODY_DEPTH || !ROUTINE_KINDS.has(st.kind) || !st.hasAst) return;
    if (st.kind === 'CreateFunctionStmt' && !st.treeMayMatch(/"(?:plpgsql|sql)"/)) return;
    for (const q of bodyQueries(st.kind, st.body, st.sqlText)) {
      const result = memoParse(q.sql, memo);
      if (!result.ok) continue;
      const map = new OffsetMap(q.sql);
      const base = st.start + q.start;
      result.stmts.forEach((raw) => {
        const locByte = raw.stmt_location ?? 0;
        const start = map.fromByte(locByte);
        const end = q.sqlBody ? (raw.stmt_len ? map.fromByte(locByte + raw.stmt_len) : q.sql.length) : q.sql.length;
        const text = q.sql.slice(start, end);
        const trimmed = text.replace(/[\s;]+$/, '');
        const lead = text.length - text.trimStart().length;
        const kind = raw.stmt instanceof DeferredNode ? raw.stmt.kind : Object.keys(raw.stmt)[0];
        if (!QUERY_KINDS.has(kind) && !ROUTINE_KINDS.has(kind)) return;
        const inner = new Statement(
          this,
          -1,
          base + start + lead,
          base + start + trimmed.length,
          raw.stmt,
          undefined,
          locByte + byteLength(text.slice(0, lead)),
          q.sql.slice(start + lead, start + trimmed.length),
          top,
        );
        if (QUERY_KINDS.has(kind)) out.push(inner);
        this.innerStatements(inner, depth + 1, memo, out, top);
      });
    }
  }

  /** Puts each statement of a whole-file parse into the cache under its own text, for the next edit. */
  private seed(cache: ParseCache, stmts: RawStmt[], first: number): void {
    stmts.forEach((raw, i) => {
      const st = this.statements[first + i];
      cache.set(this.sqlText.slice(st.start, st.end), { result: { ok: true, stmts: [raw] }, byteBase: raw.stmt_location ?? 0 });
    });
  }

  private trackSearchPath(): void {
    let path = DEFAULT_SEARCH_PATH;
    for (const st of this.statements) {
      st.searchPath = path;
      if (st.kind !== 'VariableSetStmt' || st.body.name !== 'search_path') continue;
      if (st.body.kind === 'VAR_SET_VALUE') {
        const schemas = (st.body.args ?? [])
          .map((a: Node) => a?.A_Const?.sval?.sval as string | undefined)
          .filter((s: string | undefined): s is string => !!s && s !== '$user');
        path = schemas.length > 0 ? schemas : DEFAULT_SEARCH_PATH;
      } else path = DEFAULT_SEARCH_PATH;
    }
  }

  /** Parses one piece; a rejected piece becomes a statement with a syntax error only when `final`. */
  private parsePiece(piece: Piece, final = false, memo?: Map<string, DeferredParseResult>): 'ok' | 'rejected' {
    const pieceText = this.sqlText.slice(piece.start, piece.end);
    if (pieceText.length > MAX_ANALYSED_CHARS) return this.checkOversized(piece, pieceText, final);
    const { result, byteBase } = this.cache ? this.cache.parse(pieceText) : { result: memoParse(pieceText, memo), byteBase: 0 };
    if (result.ok) {
      // A piece ends at its last code character already (the splitters skip trailing comments).
      this.addParsed(result.stmts, piece.start, pieceText.length, new OffsetMap(pieceText), true, byteBase);
      return 'ok';
    }
    if (!final) return 'rejected';
    const cursor = piece.start + new OffsetMap(pieceText).fromCodePoint(result.cursor);
    const error: SyntaxError = { message: result.message, offset: Math.min(cursor, piece.end) };
    if (result.tooDeep) error.tooDeep = true;
    this.statements.push(new Statement(this, this.statements.length, piece.start, piece.end, undefined, error, 0));
    return 'rejected';
  }

  /**
   * A piece longer than MAX_ANALYSED_CHARS: checked by the parser without its tree. It becomes one statement without
   * a tree, marked too large when it parses, with its syntax error (when `final`) when it does not.
   */
  private checkOversized(piece: Piece, pieceText: string, final: boolean): 'ok' | 'rejected' {
    const fail = sqlCheck(pieceText);
    if (fail && !final) return 'rejected';
    const error: SyntaxError = fail
      ? { message: fail.message, offset: Math.min(piece.start + new OffsetMap(pieceText).fromCodePoint(fail.cursor), piece.end) }
      : { message: `statement of ${pieceText.length} characters, longer than the ${MAX_ANALYSED_CHARS} analysed`, offset: piece.start, tooLarge: true };
    if (fail?.tooDeep) error.tooDeep = true;
    this.statements.push(new Statement(this, this.statements.length, piece.start, piece.end, undefined, error, 0));
    return fail ? 'rejected' : 'ok';
  }

  /**
   * Adds the parsed statements of text[base, base + length) (the whole file, or one piece of it), whose AST
   * locations count from `byteBase` at `base`.
   */
  private addParsed(stmts: DeferredRawStmt[], base: number, length: number, map: OffsetMap, endsAtCode: boolean, byteBase: number): void {
    stmts.forEach((raw, i) => {
      const locByte = raw.stmt_location ?? 0;
      const start = base + map.fromByte(locByte - byteBase);
      const end =
        endsAtCode && (i === stmts.length - 1 || !raw.stmt_len)
          ? base + length
          : codeEnd(this.sqlText, start, raw.stmt_len ? base + map.fromByte(locByte - byteBase + raw.stmt_len) : base + length);
      // AST locations count bytes from the start of the parsed text; locByte makes them statement-relative.
      this.statements.push(new Statement(this, this.statements.length, start, end, raw.stmt, undefined, locByte));
    });
  }
}

/** A statement node's type name (its first key), from a deferred tree without parsing it; '' when rejected. */
function kindOf(ast: Node | DeferredNode | undefined): string {
  if (ast instanceof DeferredNode) return ast.kind;
  for (const k in ast) return k; // Object.keys(ast)[0] without the array
  return '';
}

function memoParse(text: string, memo: Map<string, DeferredParseResult> | undefined): DeferredParseResult {
  if (!memo) return parseSqlDeferred(text);
  let result = memo.get(text);
  if (!result) {
    result = parseSqlDeferred(text);
    memo.set(text, result);
  }
  return result;
}

function trimWhitespace(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1])) e--;
  return e;
}

/**
 * The end of a statement's last code character. The parser counts trailing comments into a statement (up to
 * its semicolon, or to the end of the text for the last one); the plain splitter skips comments and stops at
 * code, which is that end. It runs only when the tail can hold a comment.
 */
function codeEnd(text: string, start: number, end: number): number {
  const e = trimWhitespace(text, start, end);
  // The statement's last line (a `--` comment ends at CR or LF), looked for no further back than the statement.
  let lineStart = e;
  while (lineStart > start && text.charCodeAt(lineStart - 1) !== 10 && text.charCodeAt(lineStart - 1) !== 13) lineStart--;
  const tailHasComment = (text[e - 1] === '/' && text[e - 2] === '*') || text.slice(lineStart, e).includes('--');
  if (!tailHasComment) return e;
  const pieces = splitPlain(text.slice(start, e));
  return pieces.length > 0 ? start + pieces[pieces.length - 1].end : e;
}

export function parseFile(path: string, text: string, cache?: ParseCache): ParsedFile {
  return new ParsedFile(path, text, cache);
}

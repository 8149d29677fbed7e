/**
 * SQL inside host-language code: finds the string literals passed to a database API, tagged as SQL, marked with
 * a `sql` comment or (as a fallback) reading as a statement, and gives each as SQL text for the PostgreSQL parser
 * with the host-file range of every SQL character.
 */
import { Query, type Node, type QueryCapture, type QueryOptions, type Tree } from 'web-tree-sitter';
import { initParser, sqlParses as parsesUncached } from '../pg';
import { Ancestry, parentOf } from './ancestry';
import { SqlBuilder, type Hole } from './builder';
import { goDownNames, inDownMigration, inTestCode, inTestOrAssertion, isBuilderStart, MAX_CONTEXT_DEPTH, setTextReadListener } from './context';
import { directivesOf, type HostDirective } from './directives';
import {
  HOST_LANGUAGES,
  HostParseTimeout,
  hostGrammar,
  hostLanguageOf,
  initHostParsers,
  parseBudgetMs,
  parseHost,
  parseHostFile,
  type HostChange,
  type HostLanguage,
} from './grammars';
import { DEFAULT_CALLS, DEFAULT_EMBEDDED_OPTIONS, DEFAULT_TAGS, type EmbeddedLanguage, type EmbeddedOptions } from './options';
import { FORMAT_OF, macroString, PSYCOPG_SQL, readString, type ParamSyntax, type Piece, type ReadContext, type Specials } from './strings';

export type FoundBy = 'call' | 'tag' | 'macro' | 'comment' | 'keyword';

export interface EmbeddedSql {
  /** The text to give the PostgreSQL parser. */
  sql: string;
  language: HostLanguage;
  /** The API it was passed to (`query`, `sql` tag, `sqlx::query!`), `sql comment` or `statement keyword`. */
  api: string;
  foundBy: FoundBy;
  /** Host range of the whole string expression (all its literals and holes). */
  start: number;
  end: number;
  /** Host ranges of the literal contents (inside the quotes): where an edit of the SQL may land. */
  pieces: Piece[];
  holes: Hole[];
  /**
   * The SQL does not parse with its interpolations replaced by either reading (a name or a value): the holes
   * stand for clauses or lists (`VALUES ${rows}`, `(${columns})`), so a syntax error may be theirs, not the SQL's.
   */
  holesUnreadable: boolean;
  /** `starts[i]`/`ends[i]`: host range of SQL character i; `starts[sql.length]` is the end of the last one. */
  starts: Int32Array;
  ends: Int32Array;
  /** Inside a migration's down step (TypeORM `down()`, knex `exports.down`, Alembic `downgrade()`, …). */
  down: boolean;
}

/**
 * Whether `sql` parses, remembered: a file re-read after a keystroke asks again for each of its strings, and all but
 * the one typed in are the same as before. Bounded; forgotten all at once when full.
 */
const PARSES = new Map<string, boolean>();
const PARSES_MAX = 4096;

function sqlParses(sql: string): boolean {
  let ok = PARSES.get(sql);
  if (ok === undefined) {
    ok = parsesUncached(sql);
    if (PARSES.size >= PARSES_MAX) PARSES.clear();
    PARSES.set(sql, ok);
  }
  return ok;
}

/** Loads the host grammars and the PostgreSQL parser (the keyword fallback checks that a literal parses). */
export async function initEmbedded(): Promise<void> {
  await Promise.all([initHostParsers(), initParser()]);
  // Compiling a language's query takes tens of milliseconds: done with the loading, not in the first file's time.
  for (const lang of HOST_LANGUAGES) queriesOf(lang);
}

/** The host offset of SQL offset `at` (the end of the SQL maps to the end of its last character). */
export function toHostOffset(e: EmbeddedSql, at: number): number {
  return at >= e.sql.length ? (e.ends[e.sql.length - 1] ?? e.end) : e.starts[at];
}

/** The host range of SQL range [start, end). */
export function toHostRange(e: EmbeddedSql, start: number, end: number): { start: number; end: number } {
  if (end <= start) {
    const at = toHostOffset(e, start);
    return { start: at, end: at };
  }
  return { start: e.starts[start], end: e.ends[Math.min(end, e.sql.length) - 1] };
}

/** Whether SQL range [start, end) touches an interpolated hole (a finding there is not about the SQL text). */
export function touchesInterpolation(e: EmbeddedSql, start: number, end: number): boolean {
  return e.holes.some((h) => h.origin === 'interpolation' && h.sqlStart < Math.max(end, start + 1) && start < h.sqlEnd);
}

function languageKey(lang: HostLanguage): EmbeddedLanguage {
  return lang === 'tsx' ? 'typescript' : lang;
}

/** Statement keywords a string passed to a generic API must start with. */
const STATEMENT_START =
  /^(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|GRANT|REVOKE|COMMENT|SET|SHOW|BEGIN|COMMIT|ROLLBACK|START|END|SAVEPOINT|RELEASE|DO|VALUES|TABLE|EXPLAIN|LOCK|VACUUM|ANALYZE|ANALYSE|REFRESH|COPY|DECLARE|FETCH|CLOSE|LISTEN|NOTIFY|UNLISTEN|CALL|MERGE|RESET|PREPARE|EXECUTE|DEALLOCATE|REINDEX|CLUSTER|CHECKPOINT|DISCARD|IMPORT|SECURITY|ABORT)\b/i;
const STATEMENT_KEYWORDS = STATEMENT_START.source.slice(2, STATEMENT_START.source.indexOf(')')).split('|');
/**
 * The fallback takes only these (as the statement's first word, in upper or lower case: `Select an item from the
 * list` parses too, as a select from table `the`) and only when the text parses.
 */
const FALLBACK_START = /^(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|select|insert|update|delete|with|create|alter|drop)\s/;

/** A literal's source text (prefix, quote, then the content) that may open with a FALLBACK_START keyword. */
const FALLBACK_RAW = /^[A-Za-z]*(?:'''|"""|[`'"]|#*")[\s(]*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP)\b/i;

/** Where the text starts after white space and comments (and opening parentheses, with `parens`). */
function leadIndex(text: string, parens: boolean): number {
  let i = 0;
  for (;;) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || (parens && c === '(')) i++;
    else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return text.length;
      i = nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return text.length;
      i = close + 2;
    } else return i;
  }
}

/** The text after leading white space, comments and opening parentheses. */
function lead(text: string): string {
  return text.slice(leadIndex(text, true));
}

/**
 * Whether SQL passed to an API reads as a statement: it opens with a statement keyword. Text that opens with a
 * parenthesis is often an expression (knex `raw('(SELECT …) AS n')`), so it must parse as well.
 */
function isStatement(sql: string): boolean {
  if (!STATEMENT_START.test(lead(sql))) return false;
  return sql[leadIndex(sql, false)] !== '(' || sqlParses(sql);
}

/**
 * A query's range option for host range [start, end): the query cursor counts bytes of the UTF-16 text the trees
 * are parsed from (two per index), not string indices as nodes do. It takes the nodes that overlap the range.
 */
function byteRange(start: number, end: number): { startIndex: number; endIndex: number } {
  return { startIndex: 2 * start, endIndex: 2 * end };
}

/** Node types of a literal (or a concatenation of them) that the keyword fallback and markers look at. */
const LITERALS: Record<HostLanguage, ReadonlySet<string>> = {
  typescript: new Set(['string', 'template_string']),
  tsx: new Set(['string', 'template_string']),
  javascript: new Set(['string', 'template_string']),
  python: new Set(['string', 'concatenated_string']),
  go: new Set(['interpreted_string_literal', 'raw_string_literal']),
  rust: new Set(['string_literal', 'raw_string_literal']),
};

/**
 * How deep in the host tree an API call or a nested literal is looked for. The query cursor keeps a match in progress
 * for every open ancestor a pattern may start at, so a generated expression thousands of levels deep (`1+1+…+1`, a
 * UNION chain built in code) made it quadratic: 4,000 terms 3.8 s, 8,000 terms 12 s. Real code nests calls a few
 * dozen levels (corpus/apps: every API call is found with a bound of 24); a query deeper than this is not found.
 */
const MAX_API_DEPTH = 256;

const CONCAT = new Set(['binary_expression', 'binary_operator', 'parenthesized_expression', 'concatenated_string']);

/**
 * Where a literal's text may open with a FALLBACK_RAW keyword: its opening quote (after any prefix letters), white
 * space, parentheses and comments, then the keyword. Unanchored and without the trailing \b, so that every literal
 * FALLBACK_RAW takes has a match at its opening.
 */
const LITERAL_OPENING = /(?:'''|"""|[`'"]|#*")[\s(]*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP)/gi;

/** Argument node types isStringish may accept besides the literals and concatenations. */
const STRINGISH_EXTRA: Record<HostLanguage, readonly string[]> = {
  typescript: [],
  tsx: [],
  javascript: [],
  python: ['call'],
  go: ['call_expression'],
  rust: ['macro_invocation', 'reference_expression'],
};

interface Queries {
  /** `api`: the nodes apiOf may take (each with an argument of a type isStringish accepts); `nest`: host code inside literals. */
  nodes: Query;
  /** Every literal (for files with marker comments; compiled when first needed). */
  literals: () => Query;
}

const QUERIES = new Map<HostLanguage, Queries>();

/**
 * Queries that find, inside the WASM parser, what a JS walk over every node would have to look at: the API nodes
 * with an argument apiOf could read (it gives nothing for the others) and the host code inside literals (template
 * substitutions, f-string interpolations, a concatenated string's strings), which is skipped as no literal's insides
 * hold further SQL.
 */
function queriesOf(lang: HostLanguage): Queries {
  let q = QUERIES.get(lang);
  if (q) return q;
  const grammar = hostGrammar(lang);
  // Only the types the grammar has (a query naming another does not compile).
  const types = (names: Iterable<string>): string =>
    [...new Set(names)]
      .filter((t) => grammar.idForNodeType(t, true) !== null)
      .map((t) => `(${t})`)
      .join(' ');
  const stringish = types([...LITERALS[lang], ...CONCAT, ...STRINGISH_EXTRA[lang]]);
  let source: string;
  switch (lang) {
    case 'python':
      source = `(call arguments: [(argument_list [${stringish}]) (generator_expression [${stringish}])]) @api
        (interpolation) @nest (concatenated_string) @nest`;
      break;
    case 'go':
      source = `(call_expression arguments: (argument_list [${stringish}])) @api`;
      break;
    case 'rust':
      source = `(call_expression arguments: (arguments [${stringish}])) @api
        (macro_invocation (token_tree [(string_literal) (raw_string_literal)])) @api`;
      break;
    default:
      // A \`>\` before a template may close a tag's type arguments (typeArgumentsTag).
      source = `(call_expression arguments: (arguments [${stringish}])) @api (call_expression arguments: (template_string)) @api
        (binary_expression operator: [">" ">>" ">>>"] right: (_)) @api (template_substitution) @nest`;
  }
  let literals: Query | undefined;
  q = { nodes: new Query(grammar, source), literals: () => (literals ??= new Query(grammar, `[${types(LITERALS[lang])}] @lit`)) };
  QUERIES.set(lang, q);
  return q;
}

/** Whether a node lies inside a literal: in one of the `nests`, or one of a concatenated string's strings. */
function hiddenTest(nests: Node[]): (n: Node) => boolean {
  if (nests.length === 0) return () => false;
  // The outermost ones, sorted and disjoint.
  nests.sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
  const outer: { start: number; end: number; type: string }[] = [];
  for (const n of nests) {
    const last = outer[outer.length - 1];
    if (!last || n.startIndex >= last.end) outer.push({ start: n.startIndex, end: n.endIndex, type: n.type });
  }
  return (n) => {
    let lo = 0;
    let hi = outer.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = outer[mid];
      if (n.startIndex < r.start) hi = mid - 1;
      else if (n.startIndex >= r.end) lo = mid + 1;
      // A concatenated string is not hidden by itself.
      else return n.endIndex <= r.end && !(n.startIndex === r.start && n.endIndex === r.end && n.type === r.type);
    }
    return false;
  };
}

interface Api {
  api: string;
  foundBy: FoundBy;
  /** The argument that holds the SQL. */
  arg: Node;
  tagged: boolean;
  params: readonly ParamSyntax[];
}

/** Every SQL string in a host file, in text order. Needs initEmbedded() to have resolved. */
export function extractSql(path: string, text: string, options: EmbeddedOptions = DEFAULT_EMBEDDED_OPTIONS): EmbeddedSql[] {
  return extractHost(path, text, options).sql;
}

export interface HostExtract {
  sql: EmbeddedSql[];
  /** The `pgperf-ignore` comments of the file. */
  directives: HostDirective[];
  /** Set when the file's parse overran its time bound (that bound, in ms): nothing of the file was read. */
  parseTimeoutMs?: number;
  /**
   * Set when the file was parsed: how long its parse and reading took, in ms. The fix checks of its strings re-parse
   * it and share one time bound with this (see HostView.hostFix).
   */
  parseMs?: number;
}

/**
 * Whether a file may hold a SQL string to find, read from its text alone (a file that may not is not parsed: the
 * parse is most of the extraction's time). Every string taken opens, after white space, comments and `(`, with a
 * statement keyword: STATEMENT_START (any case) for one passed to an API or marked with a comment, FALLBACK_START
 * (upper or lower case, then white space) for the keyword fallback. Its first characters come from a literal's
 * content right after the opening quote (a hole becomes `$…`, `_…` or digits, never white space or a letter), so
 * the text must hold an opening quote, then white space, `(` or `\n` `\t` `\r` escapes or a line continuation,
 * then the keyword; or anything the text alone cannot tell apart: a comment there (`--`, `/*`), an escape that may
 * stand for a letter (`\x53`, `\u0053`, `\123`, `\N{…}`), a keyword's beginning cut by an escape or a closing quote
 * before a concatenation (`'SEL' + 'ECT'`, `"SEL" "ECT"`). An API or marked string also needs the name of an API or
 * tag (its last segment, as an identifier) or a marker comment in the text.
 */
interface Prefilter {
  statement: RegExp;
  fallback: RegExp | undefined;
  names: RegExp;
}

const PREFILTERS = new WeakMap<EmbeddedOptions, Map<HostLanguage, Prefilter>>();

/** Quotes a literal may open with: Rust's `'` and Go's `'` are characters (Rust raw strings end `r#"`: a `"`). */
const OPENING_QUOTES: Record<HostLanguage, string> = {
  typescript: `'"\``,
  tsx: `'"\``,
  javascript: `'"\``,
  python: `'"`,
  go: `"\``,
  rust: '"',
};

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A pattern matching any of `words` at its end (`end`), or any beginning of one cut by `cut`; `anyCase`: each letter
 * in either case (without the `i` flag, which would also take `\N` for `\n` in the escapes around it).
 */
function trie(words: string[], anyCase: boolean, end: string, cut: string): string {
  const letter = (c: string): string => (anyCase && c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c);
  const node = (ws: string[], depth: number): string => {
    const alts: string[] = [];
    const next = new Map<string, string[]>();
    for (const w of ws) {
      if (w.length === depth) continue;
      const c = anyCase ? w[depth].toUpperCase() : w[depth];
      next.set(c, [...(next.get(c) ?? []), w]);
    }
    for (const [c, rest] of next) alts.push(letter(c) + node(rest, depth + 1));
    if (ws.some((w) => w.length === depth)) alts.push(end);
    if (depth > 0) alts.push(cut);
    return `(?:${alts.join('|')})`;
  };
  return node(words, 0);
}

function prefilterOf(lang: HostLanguage, options: EmbeddedOptions): Prefilter {
  let byLang = PREFILTERS.get(options);
  if (!byLang) PREFILTERS.set(options, (byLang = new Map()));
  let f = byLang.get(lang);
  if (f) return f;
  const q = OPENING_QUOTES[lang];
  const lead = `(?:[\\s(]|\\\\[ntr\\r\\n])*`;
  // What the text alone cannot tell: a comment, an escape that may be a letter.
  const unclear = `--|\\/\\*|\\\\[xXuU0-7]|\\\\N\\{`;
  // A keyword cut by an escape, or by a closing quote followed by what may join another literal to it.
  const cut = `\\\\|['"\`]\\s*(?:[+#'"\`]|\\/[/*]|\\\\[\\r\\n]|[A-Za-z]{1,2}['"])`;
  const opening = (keywords: string): RegExp => new RegExp(`[${q}]${lead}(?:${keywords}|${unclear})`);
  const fallbackWords = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'CREATE', 'ALTER', 'DROP'];
  const names = [...DEFAULT_CALLS[languageKey(lang)], ...options.calls, ...DEFAULT_TAGS, ...options.tags]
    .map((n) => n.replace(/!$/, '').split(/\.|::/).pop()!)
    .filter((n) => n.length > 0);
  f = {
    statement: opening(trie(STATEMENT_KEYWORDS, true, '(?![A-Za-z0-9_])', cut)),
    fallback: options.keywordFallback
      ? opening(
          `${trie(fallbackWords, false, `(?:\\s|\\\\)`, cut)}|${trie(
            fallbackWords.map((w) => w.toLowerCase()),
            false,
            `(?:\\s|\\\\)`,
            cut,
          )}`,
        )
      : undefined,
    names: new RegExp(`(?<![A-Za-z0-9_$])(?:${[...new Set(names)].map(escapeRegex).join('|')})(?![A-Za-z0-9_$])`),
  };
  byLang.set(lang, f);
  return f;
}

/** Whether `text` may hold a SQL string to find (see Prefilter); exported for tests and benches. */
export function mayHoldSqlText(text: string, lang: HostLanguage, options: EmbeddedOptions): boolean {
  const f = prefilterOf(lang, options);
  // `statement` takes whatever `fallback` does (any keyword in any case, a word's end): one scan of a file with neither.
  if (!f.statement.test(text)) return false;
  return f.names.test(text) || MARKER_ANYWHERE.test(text) || (f.fallback?.test(text) ?? false);
}

/**
 * Extractions done elsewhere (worker threads of a command-line scan), each for one path, text and options: taken
 * once by the extractHost call of exactly that file, so the results are the ones this thread would compute.
 */
const PRIMED = new Map<string, { text: string; options: string; extract: HostExtract }>();

/** What a primed extraction must match besides the text: the options as data (they cross threads as a copy). */
function optionsKey(options: EmbeddedOptions): string {
  return JSON.stringify(options);
}

/** Hands over extractions computed elsewhere for exactly these texts and options (see PRIMED). */
export function primeHostExtracts(results: Iterable<{ path: string; text: string; extract: HostExtract }>, options: EmbeddedOptions): void {
  const key = optionsKey(options);
  for (const r of results) PRIMED.set(r.path, { text: r.text, options: key, extract: r.extract });
}

/** The SQL strings and the suppression comments of a host file, from one parse. Needs initEmbedded(). */
export function extractHost(path: string, text: string, options: EmbeddedOptions = DEFAULT_EMBEDDED_OPTIONS): HostExtract {
  const primed = PRIMED.get(path);
  if (primed) {
    PRIMED.delete(path);
    if (primed.text === text && primed.options === optionsKey(options)) return forget(path, primed.extract);
  }
  const lang = hostLanguageOf(path);
  if (!lang || !options.languages[languageKey(lang)]) return forget(path, { sql: [], directives: [] });
  const mayHoldSql = mayHoldSqlText(text, lang, options);
  const mayHoldDirectives = text.includes('pgperf-ignore');
  if (!mayHoldSql && !mayHoldDirectives) return forget(path, { sql: [], directives: [] });
  let parsed: ReturnType<typeof parseHostFile>;
  const started = performance.now();
  try {
    parsed = parseHostFile(lang, path, text, options.parseTimeoutMs);
  } catch (e) {
    if (e instanceof HostParseTimeout) return forget(path, { sql: [], directives: [], parseTimeoutMs: e.budgetMs });
    throw e;
  }
  const { tree, owned, change, unchanged } = parsed;
  extraction = { deadline: started + parseBudgetMs(text.length, options.parseTimeoutMs), budgetMs: parseBudgetMs(text.length, options.parseTimeoutMs) };
  try {
    const result = extractFromTree(path, lang, text, options, tree, owned, mayHoldSql, mayHoldDirectives, change, unchanged);
    result.parseMs = performance.now() - started;
    return result;
  } catch (e) {
    // The queries over the tree overran the same bound as the parse (see Extractor.bounded): nothing of the file is read.
    if (e instanceof HostParseTimeout) return forget(path, { sql: [], directives: [], parseTimeoutMs: e.budgetMs });
    throw e;
  } finally {
    extraction = NO_BOUND;
    if (owned) tree.delete();
  }
}

/**
 * The time bound of the extraction under way: the parse and the queries over its tree share the parse's bound
 * (parseBudgetMs of the file's length), from the start of the parse. Set by extractHost around its reading.
 */
const NO_BOUND = { deadline: Infinity, budgetMs: Infinity };
let extraction = NO_BOUND;

function extractFromTree(
  path: string,
  lang: HostLanguage,
  text: string,
  options: EmbeddedOptions,
  tree: Tree,
  owned: boolean,
  mayHoldSql: boolean,
  mayHoldDirectives: boolean,
  change: HostChange | undefined,
  unchanged: boolean | undefined,
): HostExtract {
  {
    const root = tree.rootNode;
    const markers = mayHoldSql && MARKER_ANYWHERE.test(text);
    if (owned)
      return { sql: mayHoldSql ? new Extractor(lang, options).run(root, text, markers) : [], directives: mayHoldDirectives ? directivesOf(root, text) : [] };
    // The tree is kept (a file edited in the editor): so are the results, to re-read after an edit only around it.
    const prev = LAST.get(path);
    LAST.delete(path);
    const same =
      prev &&
      prev.lang === lang &&
      prev.options === options &&
      prev.mayHoldSql === mayHoldSql &&
      prev.mayHoldDirectives === mayHoldDirectives &&
      prev.markers === markers;
    let state: LastExtract | undefined;
    if (same && unchanged && prev.text === text) state = prev;
    else if (same && change && prev.text === change.oldText) state = reextract(prev, root, text, change);
    if (state && state !== prev) REEXTRACTS.partial++;
    state ??= (REEXTRACTS.full++, fullExtract(lang, options, root, text, mayHoldSql, mayHoldDirectives, markers));
    LAST.set(path, state);
    if (LAST.size > LAST_MAX) LAST.delete(LAST.keys().next().value!);
    return { sql: state.sql.slice(), directives: state.directives.slice() };
  }
}

/**
 * What extractHost spends before reading any string: the language and prefilter checks and the tree-sitter parse
 * (the tree deleted at once). Returns whether the file was parsed. For bench/host-scan.mjs, whose floor it is: no
 * extraction of these files can take less time on this thread.
 */
export function parseLikeExtraction(path: string, text: string, options: EmbeddedOptions = DEFAULT_EMBEDDED_OPTIONS): boolean {
  const lang = hostLanguageOf(path);
  if (!lang || !options.languages[languageKey(lang)]) return false;
  if (!mayHoldSqlText(text, lang, options) && !text.includes('pgperf-ignore')) return false;
  parseHost(lang, text, options.parseTimeoutMs).delete();
  return true;
}

/**
 * The last extraction of each file whose tree is kept (see parseHostFile), with what it read beyond each string's
 * own statement: an edit re-reads only the statements it touched and takes the rest over, shifted.
 */
interface LastExtract {
  lang: HostLanguage;
  options: EmbeddedOptions;
  text: string;
  mayHoldSql: boolean;
  mayHoldDirectives: boolean;
  markers: boolean;
  sql: EmbeddedSql[];
  directives: HostDirective[];
  /** Triples (from, start, end): the judging of the node at `from` read host text [start, end). */
  reads: number[];
  /** Go: the functions the file registers as down steps (a string's `down` depends on them, wherever they are). */
  goDown: string;
}

const LAST = new Map<string, LastExtract>();
/** How many extractions of kept trees re-read a span only, and how many the whole file (for tests). */
export const REEXTRACTS = { partial: 0, full: 0 };
const LAST_MAX = 8;

function forget(path: string, result: HostExtract): HostExtract {
  LAST.delete(path);
  return result;
}

/** The text reads of the run under way (undefined: none is noted). */
let reads: number[] | undefined;

function noteRead(from: number, start: number, end: number): void {
  reads?.push(from, start, end);
}

const noteContextRead = (from: number, start: number, end: number): void => noteRead(from, start, end);

function goDownOf(lang: HostLanguage, root: Node): string {
  return lang === 'go' ? [...goDownNames(root)].sort().join('\n') : '';
}

function fullExtract(
  lang: HostLanguage,
  options: EmbeddedOptions,
  root: Node,
  text: string,
  mayHoldSql: boolean,
  mayHoldDirectives: boolean,
  markers: boolean,
): LastExtract {
  const noted: number[] = [];
  reads = noted;
  setTextReadListener(noteContextRead);
  try {
    const sql = mayHoldSql ? new Extractor(lang, options).run(root, text, markers) : [];
    const directives = mayHoldDirectives ? directivesOf(root, text, undefined, noteRead) : [];
    return { lang, options, text, mayHoldSql, mayHoldDirectives, markers, sql, directives, reads: noted, goDown: goDownOf(lang, root) };
  } finally {
    reads = undefined;
    setTextReadListener(undefined);
  }
}

/** Children that belong with the next statement: comments (a marker, a directive), Rust attributes, decorators. */
const PREAMBLES = new Set(['attribute_item', 'inner_attribute_item', 'decorator']);

function isPreamble(n: Node): boolean {
  return PREAMBLES.has(n.type) || /comment/.test(n.type);
}

/** Top-level nodes whose body's members are statements of their own (no judging reads a class's whole text). */
function classBody(n: Node): Node | null {
  let c: Node | null = n;
  if (c.type === 'export_statement') c = c.childForFieldName('declaration');
  else if (c.type === 'decorated_definition') c = c.childForFieldName('definition');
  if (!c) return null;
  switch (c.type) {
    case 'class_declaration':
    case 'abstract_class_declaration':
    case 'class_definition':
    case 'impl_item':
    case 'mod_item':
      return c.childForFieldName('body');
    default:
      return null;
  }
}

/**
 * The host range to re-read after an edit: the statements (top-level ones, or members of one top-level class) that
 * overlap the edited text and the tree's changed ranges, widened by one statement each side and over the comments,
 * attributes and decorators next to them. Undefined when it takes the whole file.
 */
function spanOf(root: Node, text: string, change: HostChange): { start: number; end: number } | undefined {
  let lo = change.edit.startIndex;
  let hi = change.edit.newEndIndex;
  for (const r of change.changed) {
    lo = Math.min(lo, r.startIndex);
    hi = Math.max(hi, r.endIndex);
  }
  const around = (container: Node, top: boolean): { start: number; end: number } | undefined | null => {
    const children = container.children;
    let f = 0;
    while (f < children.length && children[f]!.endIndex < lo) f++;
    let l = children.length - 1;
    while (l >= 0 && children[l]!.startIndex > hi) l--;
    if (top && f === l) {
      const body = classBody(children[f]!);
      if (body && lo > body.startIndex && hi < body.endIndex) {
        const inner = around(body, false);
        if (inner) return inner;
      }
    }
    // Before: the comments and attributes up to the last statement outside the change (which depends on nothing
    // after it). After: those and the statement they stand before (its marker or test attribute may be among them).
    let i0 = Math.min(f, l + 1) - 1;
    while (i0 >= 0 && isPreamble(children[i0]!)) i0--;
    let i1 = Math.max(l, f - 1) + 1;
    while (i1 < children.length && isPreamble(children[i1]!)) i1++;
    if (!top && (i0 < 0 || i1 >= children.length)) return null;
    const start = i0 >= 0 ? children[i0]!.endIndex : 0;
    const end = i1 < children.length ? children[i1]!.endIndex : text.length;
    return start === 0 && end === text.length ? undefined : { start, end };
  };
  return around(root, true) ?? undefined;
}

/** `e` with every host offset from `at` on moved by `delta`. */
function shiftSql(e: EmbeddedSql, at: number, delta: number): EmbeddedSql {
  const mv = (x: number): number => (x >= at ? x + delta : x);
  const starts = e.starts.slice();
  const ends = e.ends.slice();
  for (let i = 0; i < starts.length; i++) starts[i] = mv(starts[i]);
  for (let i = 0; i < ends.length; i++) ends[i] = mv(ends[i]);
  return {
    ...e,
    start: mv(e.start),
    end: mv(e.end),
    pieces: e.pieces.map((p) => ({ ...p, start: mv(p.start), end: mv(p.end) })),
    holes: e.holes.map((h) => shiftHole(h, mv)),
    starts,
    ends,
  };
}

function shiftHole(h: Hole, mv: (x: number) => number): Hole {
  return { ...h, hostStart: mv(h.hostStart), hostEnd: mv(h.hostEnd) };
}

function shiftDirective(d: HostDirective, at: number, delta: number): HostDirective {
  const mv = (x: number): number => (x >= at ? x + delta : x);
  return { ...d, start: mv(d.start), end: mv(d.end), covers: { start: mv(d.covers.start), end: mv(d.covers.end) } };
}

/**
 * The extraction of the edited text from the last one: the span around the edit read again, the strings and
 * directives outside it taken over (moved by the edit's length change). Undefined when that cannot be exact: the
 * span takes the file, a string kept read text inside it, or (Go) the down steps the file registers changed.
 */
function reextract(prev: LastExtract, root: Node, text: string, change: HostChange): LastExtract | undefined {
  const span = spanOf(root, text, change);
  if (!span) return undefined;
  const delta = text.length - change.oldText.length;
  const oldEnd = span.end - delta;
  if (span.start > change.edit.startIndex || oldEnd < change.edit.oldEndIndex) return undefined;
  const kept: number[] = [];
  for (let i = 0; i < prev.reads.length; i += 3) {
    const [from, start, end] = [prev.reads[i], prev.reads[i + 1], prev.reads[i + 2]];
    if (from >= span.start && from < oldEnd) continue;
    if (start < oldEnd && end > span.start) return undefined;
    kept.push(from >= oldEnd ? from + delta : from, start >= oldEnd ? start + delta : start, end >= oldEnd ? end + delta : end);
  }
  const goDown = goDownOf(prev.lang, root);
  if (goDown !== prev.goDown) return undefined;
  reads = kept;
  setTextReadListener(noteContextRead);
  try {
    const found = prev.mayHoldSql ? new Extractor(prev.lang, prev.options).run(root, text, prev.markers, span) : [];
    const directives = prev.mayHoldDirectives ? directivesOf(root, text, span, noteRead) : [];
    const merge = <T extends { start: number }>(old: T[], fresh: T[], shift: (x: T) => T, shiftBefore: boolean): T[] => [
      ...old.filter((x) => x.start < span.start).map((x) => (shiftBefore ? shift(x) : x)),
      ...fresh,
      ...old.filter((x) => x.start >= oldEnd).map(shift),
    ];
    return {
      ...prev,
      text,
      sql: merge(prev.sql, found, (e) => shiftSql(e, oldEnd, delta), false),
      // A `pgperf-ignore-file` before the span covers up to the end of the file.
      directives: merge(prev.directives, directives, (d) => shiftDirective(d, oldEnd, delta), true),
      reads: kept,
      goDown,
    };
  } finally {
    reads = undefined;
    setTextReadListener(undefined);
  }
}

class Extractor {
  private readonly calls: Set<string>;
  private readonly tags: Set<string>;
  private readonly found: EmbeddedSql[] = [];
  /** Host ranges of the API arguments read, sorted and disjoint (later calls and the fallback skip what is inside them). */
  private readonly taken: { start: number; end: number }[] = [];
  private markers = false;
  private text = '';

  constructor(
    private readonly lang: HostLanguage,
    private readonly options: EmbeddedOptions,
  ) {
    this.calls = new Set([...DEFAULT_CALLS[languageKey(lang)], ...options.calls]);
    this.tags = new Set([...DEFAULT_TAGS, ...options.tags]);
  }

  /**
   * A query's captures within the run's time bound. The query cursor is slow on some deep error trees (a Python
   * file with a 400 KB line of `/* ***…`, from bench/fuzz.mjs: 213 s): past the bound it is cancelled and the file is
   * not read, as one whose parse overran (HostParseTimeout).
   */
  private bounded(query: Query, root: Node, options: QueryOptions): QueryCapture[] {
    const { deadline, budgetMs } = extraction;
    if (!Number.isFinite(deadline)) return query.captures(root, options);
    const left = deadline - performance.now();
    if (left <= 0) throw new HostParseTimeout(this.lang, budgetMs);
    // Its progress callback is not called on such trees (the time goes to sibling scans inside one step), its
    // timeout is honoured: a query that stopped there (gave a part of its captures) ends at the deadline.
    const captures = query.captures(root, { ...options, timeoutMicros: Math.ceil(left * 1000) });
    if (performance.now() >= deadline - 1) throw new HostParseTimeout(this.lang, budgetMs);
    return captures;
  }

  /**
   * The SQL strings of the file, or (with `span`) of the statements in host range `span` only: those of the others
   * depend on nothing there (see reextract).
   */
  run(root: Node, text: string, markers: boolean, span?: { start: number; end: number }): EmbeddedSql[] {
    return Ancestry.during(root, (ancestry) => this.runWith(ancestry, root, text, markers, span));
  }

  private runWith(ancestry: Ancestry, root: Node, text: string, markers: boolean, span?: { start: number; end: number }): EmbeddedSql[] {
    this.text = text;
    // Marker comments are looked for only in files that hold one.
    this.markers = markers;
    const q = queriesOf(this.lang);
    const apis: Node[] = [];
    const nests: Node[] = [];
    const seen = new Set<number>();
    const inSpan = span ? (n: Node): boolean => n.startIndex >= span.start && n.endIndex <= span.end : undefined;
    for (const c of this.bounded(q.nodes, root, { ...(span && byteRange(span.start, span.end)), maxStartDepth: MAX_API_DEPTH })) {
      if (inSpan && !inSpan(c.node)) continue;
      if (c.name === 'nest') nests.push(c.node);
      // A call with several string arguments matches once per argument.
      else if (!seen.has(c.node.id)) {
        seen.add(c.node.id);
        apis.push(c.node);
      }
    }
    const hidden = hiddenTest(nests);
    // Pre-order (a call before the calls inside it), as a walk of the whole tree meets them.
    apis.sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
    for (const node of apis) {
      if (hidden(node) || this.isTaken(node.startIndex)) continue;
      const api = this.apiOf(node);
      if (api) this.take(api);
    }
    for (const lit of this.candidates(ancestry, root, text, q.literals, hidden, span)) this.fallback(lit);
    return this.found.sort((a, b) => a.start - b.start);
  }

  /**
   * The literals the fallback may take, in text order, none inside another (a literal's insides hold no further SQL):
   * every literal where a marker comment may stand before one, else those whose text may open with a statement
   * keyword (FALLBACK_RAW, tested in fallback), found by their opening in the text, then their node.
   */
  private candidates(
    ancestry: Ancestry,
    root: Node,
    text: string,
    literals: () => Query,
    hidden: (n: Node) => boolean,
    span?: { start: number; end: number },
  ): Node[] {
    const from = span?.start ?? 0;
    const to = span?.end ?? text.length;
    if (this.markers) {
      return this.bounded(literals(), root, span ? byteRange(from, to) : {})
        .map((c) => c.node)
        .filter((n) => n.startIndex >= from && n.endIndex <= to && !hidden(n))
        .sort((a, b) => a.startIndex - b.startIndex);
    }
    if (!this.options.keywordFallback) return [];
    const literalTypes = LITERALS[this.lang];
    const out: Node[] = [];
    let last = -1;
    LITERAL_OPENING.lastIndex = from;
    for (let m = LITERAL_OPENING.exec(text); m && m.index < to; m = LITERAL_OPENING.exec(text)) {
      // Matches may overlap (a triple quote and its last quote; a quote that closes a literal and one that opens one).
      LITERAL_OPENING.lastIndex = m.index + 1;
      // A literal deeper than any call the API query looks at is not looked at either.
      const path = ancestry.pathAt(m.index, MAX_API_DEPTH);
      let outer: Node | undefined;
      for (let i = Math.max(0, (path?.length ?? 0) - MAX_CONTEXT_DEPTH); path && i < path.length && !outer; i++)
        if (literalTypes.has(path[i]!.type)) outer = path[i];
      if (outer && outer.startIndex > last && outer.startIndex >= from && outer.endIndex <= to) {
        out.push(outer);
        last = outer.startIndex;
      }
    }
    return out;
  }

  /** The database API `node` calls, with the argument holding the SQL. */
  private apiOf(node: Node): Api | undefined {
    switch (this.lang) {
      case 'python':
        return node.type === 'call' ? this.callApi(node, node.childForFieldName('function'), 'attribute') : undefined;
      case 'go':
        return node.type === 'call_expression' ? this.callApi(node, node.childForFieldName('function'), 'field') : undefined;
      case 'rust':
        if (node.type === 'macro_invocation') {
          const name = node.childForFieldName('macro');
          const last = name?.type === 'scoped_identifier' ? name.childForFieldName('name')?.text : name?.text;
          const arg = macroString(node);
          if (!last || !arg || !(this.calls.has(`${last}!`) || this.calls.has(`${name!.text}!`))) return undefined;
          return { api: `${name!.text}!`, foundBy: 'macro', arg, tagged: false, params: [] };
        }
        return node.type === 'call_expression' ? this.callApi(node, node.childForFieldName('function'), 'field') : undefined;
      default:
        if (node.type === 'call_expression') {
          const fn = node.childForFieldName('function');
          const args = node.childForFieldName('arguments');
          if (fn && args?.type === 'template_string') {
            const tag = tagOf(fn);
            const name = tag && calleeName(tag);
            if (tag && (this.tags.has(tag.text) || (name && this.tags.has(name))))
              return { api: `${tag.text}\`\``, foundBy: 'tag', arg: args, tagged: true, params: [] };
            return undefined;
          }
          return this.callApi(node, fn, 'property');
        }
        // `sql<Row>\`…\`` reads as (sql < Row) > `…` in the TypeScript grammar, `sql<Array<Row>>\`…\`` as
        // sql < (Array < (Row >> `…`)), and `sql<Row>\`…\`.then(f)` as (sql < Row) > (`…`.then(f)).
        if (node.type === 'binary_expression') {
          const op = node.childForFieldName('operator');
          const tpl = leadingTemplate(node.childForFieldName('right'));
          const tag = op && tpl ? typeArgumentsTag(node, this.text, op.endIndex) : undefined;
          if (tag && tpl && (this.tags.has(tag.text) || this.tags.has(calleeName(tag) ?? ''))) {
            return { api: `${tag.text}\`\``, foundBy: 'tag', arg: tpl, tagged: true, params: [] };
          }
        }
        return undefined;
    }
  }

  private callApi(node: Node, fn: Node | null, field: string): Api | undefined {
    if (!fn) return undefined;
    let target = fn.type === 'generic_function' ? fn.childForFieldName('function') : fn;
    // `await db.query<Row>(…)` reads as a call of (await db.query) with type arguments.
    while (target?.type === 'await_expression' && node.childForFieldName('type_arguments')) target = target.namedChildren[0];
    if (!target) return undefined;
    const name = calleeName(target, field);
    if (!name || !(this.calls.has(name) || this.calls.has(target.text))) return undefined;
    const args = node.childForFieldName('arguments');
    // The first argument that is a literal (Go's ctx and sqlx's &dest come before the query).
    for (const a of args?.namedChildren ?? []) {
      if (!a || a.type === 'comment') continue;
      const value = a.type === 'keyword_argument' ? null : a;
      if (value && isStringish(value, this.lang)) return { api: name, foundBy: 'call', arg: value, tagged: false, params: this.paramsOf(name) };
    }
    return undefined;
  }

  private paramsOf(name: string): readonly ParamSyntax[] {
    if (this.lang === 'python') return name === 'text' ? ['named'] : ['pyformat'];
    if (this.lang === 'go') return name.startsWith('Named') ? ['named', 'question'] : ['question'];
    // knex raw() and db-migrate runSql() bind `?` (and knex `:name`).
    if (name === 'raw') return ['named', 'question'];
    if (name === 'runSql') return ['question'];
    return [];
  }

  private take(api: Api): void {
    this.markTaken(api.arg);
    // SQL sent by test code runs against throwaway databases; a builder's start is not the query it builds.
    if (inTestCode(api.arg, this.lang) || isBuilderStart(api.arg, this.lang)) return;
    const e = this.read(api.arg, api.api, api.foundBy, api.tagged, api.params);
    if (!e || !isStatement(e.sql)) return;
    e.down = inDownMigration(api.arg, this.lang);
    this.found.push(e);
  }

  /**
   * Adds a node's range, keeping the ranges sorted and disjoint. Not always after the last one: a call chain
   * (`sqlx::query("…").bind(x).execute(&mut *tx)`) meets the outer call, and its later argument, before the inner one.
   * Nodes nest or are apart, so a range inside one kept adds nothing, and one around others replaces them.
   */
  private markTaken(node: Node): void {
    const { startIndex: start, endIndex: end } = node;
    let lo = 0;
    let hi = this.taken.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.taken[mid].start <= start) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && start < this.taken[lo - 1].end) return;
    let inside = lo;
    while (inside < this.taken.length && this.taken[inside].start < end) inside++;
    this.taken.splice(lo, inside - lo, { start, end });
  }

  private isTaken(at: number): boolean {
    let lo = 0;
    let hi = this.taken.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.taken[mid];
      if (at < r.start) hi = mid - 1;
      else if (at >= r.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private fallback(lit: Node): void {
    if (this.isTaken(lit.startIndex)) return;
    const marked = this.markers && hasSqlMarker(lit);
    // Cheap test on the literal's own text before anything is built: it must open with a statement keyword.
    if (!marked && !(this.options.keywordFallback && FALLBACK_RAW.test(lit.text))) return;
    const top = enclosing(lit, this.lang);
    this.markTaken(top);
    // Expected SQL in assertions and tests, and the start of a query built at run time, are not queries sent.
    if (inTestOrAssertion(lit, this.lang) || isBuilderStart(top, this.lang)) return;
    const params: readonly ParamSyntax[] = this.lang === 'python' ? ['pyformat'] : this.lang === 'go' ? ['question'] : [];
    const api = marked ? 'sql comment' : 'statement keyword';
    const foundBy = marked ? 'comment' : 'keyword';
    let e = this.read(top, api, foundBy, false, params);
    if (!e) return;
    if (!marked && FALLBACK_START.test(lead(e.sql)) && !sqlParses(e.sql) && top === lit && FORMAT_OF[this.lang]) {
      // A template kept apart from the call that formats it (`const q = "… %s …"` for a later fmt.Sprintf).
      const formatted = this.read(top, api, foundBy, false, [], FORMAT_OF[this.lang]);
      if (formatted && formatted.holes.length > 0) e = formatted;
    }
    if (marked ? isStatement(e.sql) : FALLBACK_START.test(lead(e.sql)) && sqlParses(e.sql)) {
      e.down = inDownMigration(top, this.lang);
      this.found.push(e);
    }
  }

  private read(node: Node, api: string, foundBy: FoundBy, tagged: boolean, params: readonly ParamSyntax[], format?: Specials): EmbeddedSql | undefined {
    const b = new SqlBuilder();
    const specials = format ?? (this.lang === 'python' && api === 'SQL' ? PSYCOPG_SQL : undefined);
    const ctx: ReadContext = { lang: this.lang, templateStyle: tagged ? 'numbered' : 'padded', params, specials, pieces: [] };
    if (!readString(node, b, ctx) || !b.hasText) return undefined;
    let built = b.build();
    if (built.sql.trim() === '') return undefined;
    let holesUnreadable = false;
    if (b.hasInterpolation && !sqlParses(built.sql)) {
      const flipped = b.build(true);
      if (sqlParses(flipped.sql)) built = flipped;
      else holesUnreadable = true;
    }
    const starts = new Int32Array(built.sql.length + 1);
    starts.set(built.starts);
    starts[built.sql.length] = built.ends[built.sql.length - 1] ?? node.endIndex;
    return {
      sql: built.sql,
      language: this.lang,
      api,
      foundBy,
      start: node.startIndex,
      end: node.endIndex,
      pieces: ctx.pieces,
      holes: built.holes,
      holesUnreadable,
      down: false,
      starts,
      ends: built.ends.slice(),
    };
  }
}

/**
 * The tag of a tagged template, without type arguments. `tag<Row[]>\`…\`` (an array, object, tuple or readonly type
 * argument) reads as a call of `tag<Row[]>` with a missing `!` after it, which pulls what stands before the tag into
 * the callee: `x = tag<Row[]>` (an assignment), `c ? a : tag<Row[]>` (a ternary), `() => tag<Row[]>` (an arrow
 * function: with `<Row>` too), `await tag<Row[]>` (an await inside the instantiation). The tag is the expression that
 * ends where the callee does.
 */
function tagOf(fn: Node): Node | null {
  let n: Node | null = fn;
  while (n) {
    switch (n.type) {
      case 'non_null_expression': {
        // A `!` written after the tag is a real non-null assertion: `tag!` is not the tag.
        if (!n.child(n.childCount - 1)?.isMissing) return n;
        n = n.namedChildren[0];
        break;
      }
      case 'arrow_function':
        n = n.childForFieldName('body');
        break;
      case 'assignment_expression':
      case 'augmented_assignment_expression':
      case 'binary_expression':
        n = n.childForFieldName('right');
        break;
      case 'ternary_expression':
        n = n.childForFieldName('alternative');
        break;
      case 'instantiation_expression': {
        let tag: Node | null = n.namedChildren[0];
        while (tag?.type === 'await_expression') tag = tag.namedChildren[0];
        return tag;
      }
      default:
        return n;
    }
  }
  return null;
}

/** The template literal an expression opens with (`\`…\`.then(f)`: the template), if it opens with one. */
function leadingTemplate(n: Node | null): Node | null {
  while (n && n.type !== 'template_string') n = n.childCount > 0 ? n.child(0) : null;
  return n;
}

/** What cannot stand in type arguments: logical, arithmetic and comparison operators, an assignment. */
const NOT_TYPE_ARGUMENTS = /&&|\|\||\?\?|[+*/%!]|=(?!>)/;

/**
 * The tag before the type arguments a `>` (or `>>`, `>>>`) ending at `close` closes: the `<` that balances it, and
 * the expression ending there, when it is the left operand of that `<` and what stands between reads as types.
 */
function typeArgumentsTag(node: Node, text: string, close: number): Node | undefined {
  let depth = 0;
  let open = -1;
  let i = close - 1;
  for (; i >= 0 && open < 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 62 /* > */) {
      if (text.charCodeAt(i - 1) === 61 /* = */) i--;
      else depth++;
    } else if (c === 60 /* < */ && --depth === 0) open = i;
    else if (c === 59 /* ; */ && depth === 0) break;
  }
  // The scan may run back past the node's statement: what it read is noted for the reuse after an edit.
  noteRead(node.startIndex, Math.max(0, Math.min(i, open) - 1), close);
  if (open < 0 || NOT_TYPE_ARGUMENTS.test(text.slice(open + 1, close - 1))) return undefined;
  let end = open;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  noteRead(node.startIndex, Math.max(0, end - 1), close);
  let tag: Node | null = node.tree.rootNode.descendantForIndex(end - 1, end);
  for (let p = parentOf(tag); p && p.endIndex === end && p.type !== 'binary_expression'; p = parentOf(tag)) tag = p;
  const cmp = parentOf(tag);
  if (!tag || tag.endIndex !== end || cmp?.type !== 'binary_expression' || cmp.childForFieldName('operator')?.startIndex !== open) return undefined;
  if (cmp.childForFieldName('left')?.id !== tag.id) return undefined;
  // `await tag<Row>\`…\`` reads as (await tag) < Row: the tag is the await's operand.
  while (tag?.type === 'await_expression') tag = tag.namedChildren[0];
  return tag ?? undefined;
}

/** The called name: the method or field for `a.b.name(…)`, the last path segment for `a::name(…)`. */
function calleeName(fn: Node, field = 'property'): string | undefined {
  switch (fn.type) {
    case 'identifier':
    case 'field_identifier':
    case 'property_identifier':
      return fn.text;
    case 'member_expression':
    case 'attribute':
    case 'selector_expression':
    case 'field_expression':
      return fn.childForFieldName(field)?.text;
    case 'scoped_identifier':
      return fn.childForFieldName('name')?.text;
    default:
      return undefined;
  }
}

/**
 * The whole expression a literal starts: its concatenation (`+`, Python `%` and adjacency) and the formatting
 * call it is the format of (`fmt.Sprintf`, `format!`, Python `.format`), so that its holes are read as holes.
 */
function enclosing(lit: Node, lang: HostLanguage): Node {
  let top = lit;
  for (;;) {
    const p = parentOf(top);
    if (!p || (p.startIndex !== top.startIndex && !(p.type === 'argument_list' || p.type === 'token_tree'))) return top;
    if (CONCAT.has(p.type) && isConcat(p)) {
      top = p;
      continue;
    }
    // The formatting call around p, when p can be its arguments or its `.format` (asked only then: a parent costs).
    const call = p.type === 'argument_list' || p.type === 'token_tree' || p.type === 'attribute' ? parentOf(p) : null;
    if (
      lang === 'go' &&
      p.type === 'argument_list' &&
      p.namedChildren[0]?.startIndex === top.startIndex &&
      call?.childForFieldName('function')?.text === 'fmt.Sprintf'
    )
      top = call;
    else if (
      lang === 'rust' &&
      p.type === 'token_tree' &&
      call?.type === 'macro_invocation' &&
      /^(std::)?format$/.test(call.childForFieldName('macro')?.text ?? '') &&
      macroString(call)?.startIndex === top.startIndex
    )
      top = call;
    else if (lang === 'python' && p.type === 'attribute' && p.childForFieldName('attribute')?.text === 'format' && call?.type === 'call') top = call;
    else return top;
  }
}

function isConcat(node: Node): boolean {
  if (node.type === 'parenthesized_expression' || node.type === 'concatenated_string') return true;
  const op = node.childForFieldName('operator')?.type;
  return op === '+' || (op === '%' && node.type === 'binary_operator');
}

/** Whether an argument may be read as a string (a literal, a concatenation, a formatting call). */
function isStringish(node: Node, lang: HostLanguage): boolean {
  if (LITERALS[lang].has(node.type) || CONCAT.has(node.type)) return true;
  if (lang === 'go') return node.type === 'call_expression' && node.childForFieldName('function')?.text === 'fmt.Sprintf';
  if (lang === 'rust') return node.type === 'macro_invocation' || node.type === 'reference_expression';
  if (lang === 'python') return node.type === 'call' && node.childForFieldName('function')?.childForFieldName('attribute')?.text === 'format';
  return false;
}

const MARKER_ANYWHERE = /\/\*\s*sql\s*\*\/|(?:\/\/|--|#)\s*sql\s*$/im;
const MARKER = /^(?:\/\*\s*sql\s*\*\/|\/\/\s*sql\s*$|--\s*sql\s*$|#\s*sql\s*$)/i;

/** Nodes a marker comment may stand before, around the literal: its declaration, assignment or statement. */
const WRAPPERS = new Set([
  'variable_declarator',
  'lexical_declaration',
  'variable_declaration',
  'assignment',
  'assignment_expression',
  'expression_statement',
  'let_declaration',
  'const_item',
  'static_item',
  'short_var_declaration',
  'assignment_statement',
  'expression_list',
  'const_spec',
  'var_spec',
  'const_declaration',
  'var_declaration',
  'pair',
  'keyword_argument',
]);

/**
 * A `/* sql *\/`, `// sql`, `-- sql` or `# sql` comment right before the literal, or before the declaration,
 * assignment or statement whose value it is.
 */
function hasSqlMarker(node: Node): boolean {
  for (let n: Node | null = node, depth = 0; n && depth < 5; n = parentOf(n), depth++) {
    if (depth > 0 && !WRAPPERS.has(n.type)) return false;
    const prev = n.previousSibling;
    if (prev && /comment/.test(prev.type)) return MARKER.test(prev.text.trim());
  }
  return false;
}

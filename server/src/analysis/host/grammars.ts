/**
 * The host-language grammars (tree-sitter compiled to WASM, the builds VS Code ships in @vscode/tree-sitter-wasm,
 * run by web-tree-sitter 0.25 — a pair measured to load together). Loaded once, lazily; parsing is sync after.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Edit, type Point, type Range, type Tree } from 'web-tree-sitter';
import { DEFAULT_PARSE_TIMEOUT_MS } from './options';

export type HostLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go' | 'rust';

export const HOST_LANGUAGES: readonly HostLanguage[] = ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust'];

/** The language of a host file by its extension, or undefined for a file that is not one. */
export function hostLanguageOf(path: string): HostLanguage | undefined {
  const m = /\.([a-z]+)$/i.exec(path);
  switch (m?.[1].toLowerCase()) {
    case 'ts':
    case 'mts':
    case 'cts':
      return 'typescript';
    case 'tsx':
      return 'tsx';
    case 'js':
    case 'mjs':
    case 'cjs':
    case 'jsx':
      return 'javascript';
    case 'py':
    case 'pyi':
      return 'python';
    case 'go':
      return 'go';
    case 'rs':
      return 'rust';
    default:
      return undefined;
  }
}

/**
 * Where the WASM files are: beside the bundle (build.mjs copies them to dist/tree-sitter/, which the .vsix holds)
 * or, when running from source, in the two packages.
 */
function wasmPaths(): { runtime: string; grammar: (lang: HostLanguage) => string } {
  const bundled = join(__dirname, 'tree-sitter');
  if (existsSync(join(bundled, 'tree-sitter.wasm'))) {
    return { runtime: join(bundled, 'tree-sitter.wasm'), grammar: (l) => join(bundled, `tree-sitter-${l}.wasm`) };
  }
  const require = createRequire(__filename);
  const runtime = join(dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm');
  const grammars = dirname(require.resolve('@vscode/tree-sitter-wasm'));
  return { runtime, grammar: (l) => join(grammars, `tree-sitter-${l}.wasm`) };
}

let ready: Promise<void> | undefined;
const parsers = new Map<HostLanguage, Parser>();

/** Loads the runtime and every grammar once; the sync calls below need it to have resolved. */
export function initHostParsers(): Promise<void> {
  ready ??= (async () => {
    const paths = wasmPaths();
    await Parser.init({ locateFile: () => paths.runtime });
    for (const lang of HOST_LANGUAGES) {
      const parser = new Parser();
      parser.setLanguage(await Language.load(paths.grammar(lang)));
      parsers.set(lang, parser);
    }
  })();
  return ready;
}

/** The loaded grammar of `lang` (for queries over its trees). */
export function hostGrammar(lang: HostLanguage): Language {
  const language = parsers.get(lang)?.language;
  if (!language) throw new Error('the host-language parsers are not loaded: await initHostParsers() first');
  return language;
}

export function hostParsersReady(): boolean {
  return parsers.size === HOST_LANGUAGES.length;
}

/** A host parse stopped at its time bound (see DEFAULT_PARSE_TIMEOUT_MS): nothing of the file was read. */
export class HostParseTimeout extends Error {
  constructor(
    readonly lang: HostLanguage,
    /** The bound it ran into, in ms. */
    readonly budgetMs: number,
  ) {
    super(`the ${lang} parse did not finish within ${budgetMs} ms`);
  }
}

/** The time bound of parsing `length` characters with `msPerMB` (see DEFAULT_PARSE_TIMEOUT_MS), in whole ms. */
export function parseBudgetMs(length: number, msPerMB: number): number {
  return msPerMB > 0 ? Math.ceil(msPerMB * Math.max(1, length / 1e6)) : Infinity;
}

/**
 * `parser.parse` until `deadline` (a performance.now() time; `budget` is the bound it stands for, in ms, named in
 * the timeout). The runtime calls the progress callback every 100 parse operations (measured on the slowest inputs:
 * never more than 30 ms apart), and a cancelled parser must be reset, or its next parse resumes the cancelled one.
 */
function parseUntil(parser: Parser, lang: HostLanguage, text: string, old: Tree | null, deadline: number, budget: number): Tree {
  const bounded = Number.isFinite(deadline);
  const tree = parser.parse(text, old, bounded ? { progressCallback: () => performance.now() > deadline } : undefined);
  if (tree) return tree;
  parser.reset();
  if (bounded && performance.now() > deadline) throw new HostParseTimeout(lang, budget);
  throw new Error(`the ${lang} parser returned no tree`);
}

/** `parser.parse` within the time bound of `text`'s length (see parseBudgetMs). */
function boundedParse(parser: Parser, lang: HostLanguage, text: string, old: Tree | null, msPerMB: number): Tree {
  const budget = parseBudgetMs(text.length, msPerMB);
  return parseUntil(parser, lang, text, old, performance.now() + budget, budget);
}

/** The syntax tree of a host file. Offsets in it are UTF-16 offsets into `text`, as JavaScript strings index. */
export function parseHost(lang: HostLanguage, text: string, msPerMB = DEFAULT_PARSE_TIMEOUT_MS): Tree {
  const parser = parsers.get(lang);
  if (!parser) throw new Error('the host-language parsers are not loaded: await initHostParsers() first');
  return boundedParse(parser, lang, text, null, msPerMB);
}

/**
 * Trees kept by path, for parsing a changed text incrementally (the language server re-reads a file on every
 * keystroke: the old tree, edited, lets tree-sitter re-parse only around the change). Least recently used last out.
 */
const KEPT_MAX = 8;
const kept = new Map<string, { lang: HostLanguage; text: string; tree: Tree }>();
/** Paths parsed once: a tree is kept from a path's second parse on, so that a one-shot scan keeps none. */
const parsedOnce = new Set<string>();
const PARSED_ONCE_MAX = 100_000;

/** How a kept tree was brought to a new text: the edit, and where the new tree's structure differs from the old. */
export interface HostChange {
  oldText: string;
  edit: Edit;
  changed: Range[];
}

/**
 * The syntax tree of host file `path` with text `text`, parsed incrementally from the path's previous tree when
 * one is kept. `owned`: the caller deletes the tree; otherwise it belongs to the cache (valid until the next call).
 * `change`: set when the tree was re-parsed from the kept one (`unchanged`: the kept tree was of the same text).
 */
export function parseHostFile(
  lang: HostLanguage,
  path: string,
  text: string,
  msPerMB = DEFAULT_PARSE_TIMEOUT_MS,
): { tree: Tree; owned: boolean; change?: HostChange; unchanged?: boolean } {
  const prev = kept.get(path);
  if (prev && prev.lang === lang) {
    kept.delete(path);
    let change: HostChange | undefined;
    if (prev.text !== text) {
      const edit = editBetween(prev.text, text);
      prev.tree.edit(edit);
      let tree: Tree;
      try {
        tree = boundedParse(parsers.get(lang)!, lang, text, prev.tree, msPerMB);
      } catch (e) {
        prev.tree.delete();
        throw e;
      }
      // Read before the old tree goes: the extraction re-reads only there (and around the edit).
      change = { oldText: prev.text, edit, changed: tree.getChangedRanges(prev.tree) };
      prev.tree.delete();
      prev.tree = tree;
      prev.text = text;
    }
    kept.set(path, prev);
    return { tree: prev.tree, owned: false, change, unchanged: !change };
  }
  if (prev) {
    kept.delete(path);
    prev.tree.delete();
  }
  const tree = parseHost(lang, text, msPerMB);
  if (!parsedOnce.has(path)) {
    if (parsedOnce.size >= PARSED_ONCE_MAX) parsedOnce.clear();
    parsedOnce.add(path);
    return { tree, owned: true };
  }
  kept.set(path, { lang, text, tree });
  if (kept.size > KEPT_MAX) {
    const [oldest, entry] = kept.entries().next().value!;
    kept.delete(oldest);
    entry.tree.delete();
  }
  return { tree, owned: false };
}

/**
 * Trees of host texts whose edits are checked (a fix must not break the host file), by path: each checked edit is
 * re-parsed incrementally from a copy of its text's tree, not from scratch. A few kept, the oldest deleted.
 */
const BASES_MAX = 4;
const bases = new Map<string, { lang: HostLanguage; text: string; tree: Tree }>();

/** The tree of `text` as edited into `edited`, re-parsed incrementally; `base` is the tree of `text` (both the caller's to read, not to keep). */
export function withEditedHostTree<T>(
  lang: HostLanguage,
  path: string,
  text: string,
  edited: string,
  read: (base: Tree, tree: Tree) => T,
  budgetMs?: number,
): T {
  // Both parses (the base text's, when it is not kept, and the edited one) within one bound: the default one of the
  // edited text's length, or `budgetMs` when that is tighter.
  const budget = Math.min(parseBudgetMs(edited.length, DEFAULT_PARSE_TIMEOUT_MS), budgetMs ?? Infinity);
  const deadline = performance.now() + budget;
  let entry = bases.get(path);
  bases.delete(path);
  if (entry && (entry.lang !== lang || entry.text !== text)) {
    entry.tree.delete();
    entry = undefined;
  }
  entry ??= { lang, text, tree: parseUntil(parsers.get(lang)!, lang, text, null, deadline, budget) };
  bases.set(path, entry);
  if (bases.size > BASES_MAX) {
    const [oldest, first] = bases.entries().next().value!;
    bases.delete(oldest);
    first.tree.delete();
  }
  const copy = entry.tree.copy();
  copy.edit(editBetween(text, edited));
  let tree: Tree;
  try {
    tree = parseUntil(parsers.get(lang)!, lang, edited, copy, deadline, budget);
  } finally {
    copy.delete();
  }
  try {
    return read(entry.tree, tree);
  } finally {
    tree.delete();
  }
}

/** How many trees are kept for incremental parsing (for tests). */
export function keptHostTrees(): number {
  return kept.size;
}

/** The edit that turns `old` into `text`: the range between their common prefix and common suffix. */
function editBetween(old: string, text: string): Edit {
  const min = Math.min(old.length, text.length);
  let start = 0;
  while (start < min && old.charCodeAt(start) === text.charCodeAt(start)) start++;
  let oldEnd = old.length;
  let newEnd = text.length;
  while (oldEnd > start && newEnd > start && old.charCodeAt(oldEnd - 1) === text.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  // Never between the two halves of a surrogate pair (tree-sitter reads the text as UTF-16 characters).
  if (start > 0 && isHighSurrogate(text.charCodeAt(start - 1))) start--;
  if (isLowSurrogate(old.charCodeAt(oldEnd)) || isLowSurrogate(text.charCodeAt(newEnd))) {
    oldEnd++;
    newEnd++;
  }
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(text, start),
    oldEndPosition: pointAt(old, oldEnd),
    newEndPosition: pointAt(text, newEnd),
  };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Row and column (UTF-16 units, as web-tree-sitter counts them) of `index` in `text`. */
function pointAt(text: string, index: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < index; nl = text.indexOf('\n', nl + 1)) {
    row++;
    lineStart = nl + 1;
  }
  return { row, column: index - lineStart };
}

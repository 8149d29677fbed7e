/**
 * The editor's model of a workspace (the language server holds one), free of LSP and file-system calls so tests
 * drive it directly: every file's text, its DDL (what the catalog is built from), its last findings, and the catalog
 * of each project.
 *
 * Memory: only open documents keep their parsed trees; a closed file keeps its text and its DDL statements
 * (as plain stand-ins) and is re-parsed through the statement cache when it must be linted again.
 */
import { buildCatalogFrom, changesCatalog, type Catalog, type CatalogStatement, type TableInfo } from '../analysis/catalog';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../analysis/config';
import { FindingMemo, lintFileSteps } from '../analysis/engine';
import { ParseCache, ParsedFile, type ParseOptions } from '../analysis/parse';
import { projectOf } from '../analysis/projects';
import { escapeRegExp } from '../analysis/regexp';
import {
  hostLanguageOf,
  packExtract,
  primeHostExtracts,
  unpackExtract,
  type EmbeddedOptions,
  type HostExtract,
  type PackedExtract,
} from '../analysis/host/index';
import { SourceText } from '../analysis/source';
import type { Finding } from '../analysis/types';

export interface FileState {
  uri: string;
  /** The path findings and messages use (relative to the workspace folder). */
  path: string;
  text: string;
  /** The editor's version of an open document; undefined for a file read from disk. */
  version?: number;
  open: boolean;
  /** Kept while the document is open (hover and code actions read it), and for a closed file until its next lint. */
  parsed?: ParsedFile;
  /**
   * A closed host file's SQL strings, kept when `parsed` is not: parsing it again (for its lint, a hover) then
   * costs the SQL parse only, not the host grammar's, which is most of a host file's time. Packed (see
   * host/pack.ts): the offsets of every SQL character were most of a host file's memory.
   */
  hostExtract?: { extract: PackedExtract; options: EmbeddedOptions };
  ddl: CatalogStatement[];
  /** The DDL's text and search paths: equal keys mean the file cannot have changed the catalog. */
  ddlKey: string;
  findings: Finding[];
  /** False when the time budget stopped the rules before the end of the file. */
  complete: boolean;
  statements: number;
  syntaxErrors: number;
}

/** A workspace-wide summary for the status bar. */
export interface Summary {
  files: number;
  statements: number;
  findings: { error: number; warning: number; info: number };
  syntaxErrors: number;
}

/** Distinct finding messages the workspace shares (see Workspace.messages). */
const MESSAGES_MAX = 4_096;

export class Workspace {
  private readonly files = new Map<string, FileState>();
  /** Statements of the documents being edited; closed files re-parse whole (one parser call) when needed. */
  private readonly cache = new ParseCache(5_000);
  /** Findings by statement text for the current catalog: an edit re-runs the rules only where text changed. */
  private readonly memo = new FindingMemo();
  /** The catalog of each project (by project folder; '' is the top project), built when first asked for. */
  private readonly catalogs = new Map<string, Catalog>();
  /** Folders below the workspace holding a `.pgperf.json` (separate projects) → their config. */
  private projects = new Map<string, ResolvedConfig>();
  private roots: string[] = [];
  /** The top project's config. */
  config: ResolvedConfig = structuredClone(DEFAULT_CONFIG);
  /**
   * Finding messages by text, so that equal messages of different files are one string (a rule's message is often
   * the same in every file it fires in). Bounded; forgotten all at once when full.
   */
  private readonly messages = new Map<string, string>();
  /** Milliseconds the rules may spend on one file. */
  budgetMs = 2_000;
  readonly internalErrors: string[] = [];

  get(uri: string): FileState | undefined {
    return this.files.get(uri);
  }

  uris(): string[] {
    return [...this.files.keys()];
  }

  /**
   * Sets a file's text (from the editor or the disk). Returns whether its DDL changed, i.e. whether the
   * catalog, and so possibly other files' findings, must be recomputed.
   */
  update(uri: string, path: string, text: string, options: { version?: number; open?: boolean; lintLater?: boolean } = {}): boolean {
    const old = this.files.get(uri);
    const open = options.open ?? old?.open ?? false;
    if (old && old.text === text && old.path === path) {
      old.version = options.version ?? old.version;
      old.open = open;
      if (!open) this.dropParse(old);
      return false;
    }
    // Only documents being edited use the statement cache: a closed file is parsed whole in one call.
    // An open host file's last parse lets an edit in plain code (the SQL strings unchanged) keep its statements.
    const previous = open && old?.open && old.path === path ? old.parsed : undefined;
    const parsed = new ParsedFile(path, text, open ? this.cache : undefined, undefined, { ...this.parseOptions(path), previous });
    const ddl = ddlOf(parsed);
    // Statement offsets are into the SQL text (a host file's SQL view, not `text`).
    const ddlKey = ddl.map((d) => `${d.searchPath.join(',')}|${parsed.text.slice(d.start, d.end)}`).join('\n');
    const syntaxErrors = parsed.statements.filter((s) => s.error).length;
    const state: FileState = {
      uri,
      path,
      text,
      version: options.version,
      open,
      // Kept for the lint, unless that comes later (a workspace scan reads every file first) and a second parse is
      // cheap: a file the parser accepts whole is parsed again in one call, while a file with syntax errors is
      // split and parsed piece by piece. Corpus scan, back to back: RSS 260-267 MB -> 210-232 MB, time within noise.
      parsed: open || !options.lintLater || syntaxErrors > 0 ? parsed : undefined,
      ddl,
      ddlKey,
      findings: old?.findings ?? [],
      complete: old?.complete ?? true,
      statements: parsed.statements.length,
      syntaxErrors,
    };
    if (!state.parsed) state.hostExtract = extractOf(parsed, text);
    this.files.set(uri, state);
    const changed = !old || old.ddlKey !== ddlKey || old.path !== path;
    if (changed) this.catalogs.clear();
    return changed;
  }

  /** The editor closed a document: its disk text (if given) becomes the truth again. */
  close(uri: string): void {
    const f = this.files.get(uri);
    if (!f) return;
    f.open = false;
    f.version = undefined;
    this.dropParse(f);
  }

  /** A closed file's parse goes (its trees are most of its memory); a host file keeps its SQL strings. */
  private dropParse(f: FileState): void {
    if (f.parsed) f.hostExtract = extractOf(f.parsed, f.text);
    f.parsed = undefined;
  }

  /** A closed file parsed again, its host extraction (if kept) handed to the parse instead of re-done. */
  private reparse(f: FileState): ParsedFile {
    const options = this.parseOptions(f.path);
    // Taken only under the options it was made with (primeHostExtracts compares them with the parse's).
    const kept = this.hostExtractOf(f.uri);
    if (kept) primeHostExtracts([{ path: f.path, text: f.text, extract: kept.extract }], kept.options);
    return new ParsedFile(f.path, f.text, f.open ? this.cache : undefined, undefined, options);
  }

  /** A closed host file's kept SQL strings, unpacked, with the options they were read under. */
  hostExtractOf(uri: string): { extract: HostExtract; options: EmbeddedOptions } | undefined {
    const f = this.files.get(uri);
    const kept = f?.hostExtract;
    return kept && { extract: unpackExtract(kept.extract, f.text), options: kept.options };
  }

  remove(uri: string): boolean {
    const f = this.files.get(uri);
    if (!f) return false;
    this.files.delete(uri);
    if (f.ddl.length > 0) this.catalogs.clear();
    return f.ddl.length > 0;
  }

  setConfig(config: ResolvedConfig): void {
    this.config = config;
    this.catalogs.clear();
  }

  /** Sets the separate projects: workspace-relative folders that hold a `.pgperf.json`, with their configs. */
  setProjects(projects: Map<string, ResolvedConfig>): void {
    this.projects = projects;
    this.roots = [...projects.keys()];
    this.catalogs.clear();
  }

  /** The project folder a workspace-relative path belongs to ('' for the top project). */
  projectOf(path: string): string {
    return this.roots.length === 0 ? '' : projectOf(path, this.roots);
  }

  /** How a file is parsed under its project's config (its template patterns, what is SQL in a host file). */
  parseOptions(path: string): ParseOptions {
    const config = this.configOf(path);
    return { templates: config.templates, embedded: config.embedded };
  }

  /** The config of the project a path belongs to. */
  configOf(path: string): ResolvedConfig {
    const root = this.projectOf(path);
    return root === '' ? this.config : (this.projects.get(root) ?? this.config);
  }

  /**
   * The catalog of the project a path belongs to (default: the top project), from the DDL of that project's
   * files (the catalog applies them in migration order, as the CLI does).
   */
  catalog(path = ''): Catalog {
    const root = this.projectOf(path);
    let cat = this.catalogs.get(root);
    if (!cat) {
      const files = [...this.files.values()].filter((f) => this.projectOf(f.path) === root);
      cat = buildCatalogFrom(
        files.flatMap((f) => f.ddl),
        { partitionedTables: this.configOf(path).partitionedTables },
      );
      this.catalogs.set(root, cat);
    }
    return cat;
  }

  /** Lints one file against the current catalog and stores its findings. */
  lint(uri: string): FileState | undefined {
    const steps = this.lintSteps(uri, Infinity);
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
    }
  }

  /**
   * The same in steps of about `sliceMs` (see lintFileSteps). The findings are stored only when the last step
   * completes against the text it started with; a caller that drops the generator leaves the file as it was.
   */
  *lintSteps(uri: string, sliceMs: number): Generator<void, FileState | undefined> {
    const f = this.files.get(uri);
    if (!f) return undefined;
    const text = f.text;
    const parsed = f.parsed ?? this.reparse(f);
    // The memo serves edits, i.e. open documents; a closed file's reports would keep its parse alive in it.
    const memo = f.open ? this.memo : undefined;
    // The stored findings carry no fixes: findingsWithFixes computes those a code action asks for.
    const result = yield* lintFileSteps(parsed, this.catalog(f.path), this.configOf(f.path), this.budgetMs, sliceMs, this.internalErrors, memo, {
      fixes: false,
    });
    const now = this.files.get(uri);
    if (now !== f || now.text !== text) return now;
    for (const x of result.findings) x.message = this.sharedMessage(x.message);
    f.findings = result.findings;
    f.complete = result.complete;
    f.parsed = parsed;
    if (!f.open) this.dropParse(f);
    return f;
  }

  private sharedMessage(message: string): string {
    const hit = this.messages.get(message);
    if (hit !== undefined) return hit;
    if (this.messages.size >= MESSAGES_MAX) this.messages.clear();
    this.messages.set(message, message);
    return message;
  }

  /**
   * A document's findings with the fixes `wanted` selects (a code action: the rules under the cursor; fix-all: every
   * one). The stored findings carry none, as checking a fix re-parses what it edits (in a host file, the whole host
   * file): too much for every keystroke. The file is linted again through the memo, so mostly the fixes cost.
   */
  findingsWithFixes(uri: string, wanted: (finding: Finding) => boolean): Finding[] | undefined {
    const f = this.files.get(uri);
    if (!f) return undefined;
    const memo = f.open ? this.memo : undefined;
    // Rule failures were recorded by the lint that stored the findings.
    const steps = lintFileSteps(this.parsed(uri)!, this.catalog(f.path), this.configOf(f.path), this.budgetMs, Infinity, [], memo, { fixes: wanted });
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value.findings;
    }
  }

  /** The parsed file of a document (parsing it again if it is closed). */
  parsed(uri: string): ParsedFile | undefined {
    const f = this.files.get(uri);
    if (!f) return undefined;
    return f.parsed ?? this.reparse(f);
  }

  /**
   * The 0-based line in the file at `path` of an offset into its SQL text (catalog entries, such as where a table
   * is declared, hold SQL-view offsets; a host file's lines are those of the host text, so it is parsed for the way
   * back). Undefined for a path the workspace does not hold.
   */
  lineOf(path: string, offset: number): number | undefined {
    const f = [...this.files.values()].find((x) => x.path === path);
    if (!f) return undefined;
    if (!hostLanguageOf(f.path)) return new SourceText(f.text).positionAt(offset).line;
    const parsed = this.parsed(f.uri)!;
    return parsed.document.positionAt(parsed.toDocument(offset, offset).start).line;
  }

  /** Every file's state, in path order. */
  allFiles(): FileState[] {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Every file parsed, in path order (as the catalog applies them). */
  allParsed(): ParsedFile[] {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => this.parsed(f.uri)!);
  }

  summary(): Summary {
    const s: Summary = { files: this.files.size, statements: 0, findings: { error: 0, warning: 0, info: 0 }, syntaxErrors: 0 };
    for (const f of this.files.values()) {
      s.statements += f.statements;
      s.syntaxErrors += f.syntaxErrors;
      for (const x of f.findings) s.findings[x.severity]++;
    }
    return s;
  }

  /**
   * The files whose findings may differ between two catalogs: those that mention (by name) a table that was
   * added, removed or changed. A rule can only depend on a table its statement names, so this is a safe
   * superset of the files to lint again.
   */
  affectedBy(before: Catalog | undefined, after: Catalog, path?: string): string[] {
    // Only files of the same project read that catalog.
    const root = path === undefined ? undefined : this.projectOf(path);
    const files = [...this.files.values()].filter((f) => root === undefined || this.projectOf(f.path) === root);
    if (!before) return files.map((f) => f.uri);
    const changed = changedTableNames(before, after);
    if (changed.size === 0) return [];
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}_$])(?:${[...changed].map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_$])`, 'iu');
    return files.filter((f) => pattern.test(f.text)).map((f) => f.uri);
  }
}

/** DDL statements as plain stand-ins that do not keep the parsed file (and all its trees) alive. */
function ddlOf(parsed: ParsedFile): CatalogStatement[] {
  const file = { path: parsed.path, text: parsed.text };
  return parsed.statements
    .filter((s) => s.hasAst && changesCatalog(s))
    .map((s) => ({ kind: s.kind, body: s.body, searchPath: s.searchPath, index: s.index, start: s.start, end: s.end, file }));
}

function tableKey(t: TableInfo): string {
  return JSON.stringify({
    columns: [...t.columns.values()],
    partition: t.partition,
    partitionOf: t.partitionOf,
    rls: t.rls,
    policies: t.policies.map((p) => p.name),
    indexes: t.indexes.map((i) => [
      i.name,
      i.method,
      i.columns.map((c) => [c.column, c.exprColumns, c.opclass]),
      i.params,
      i.unique,
      i.partial,
      i.include,
      i.statement.file.path,
    ]),
    uniques: t.uniques.map((u) => [u.columns, u.primary, u.statement.file.path, u.statement.index]),
    created: t.created ? [t.created.file.path, t.created.index] : undefined,
    kind: t.kind,
    ambiguous: t.ambiguous,
    // Rules replay these (a CHECK constraint, a column's earlier type): an edit of one changes what they see.
    alters: t.alters?.map((s) => [s.file.path, s.index, s.file.text?.slice(s.start, s.end)]),
  });
}

/** A relation's whole history (each version and where it starts): statements see the version at their place. */
function historyKey(cat: Catalog, k: string): string {
  return (cat.history.get(k) ?? []).map((v) => `${v.pos}:${v.onlyFile ?? ''}:${v.table ? tableKey(v.table) : '-'}`).join('\n');
}

function changedTableNames(before: Catalog, after: Catalog): Set<string> {
  const names = new Set<string>();
  const nameOf = (k: string) => k.slice(k.indexOf('.') + 1);
  for (const [k, t] of after.tables) {
    const old = before.tables.get(k);
    if (!old || tableKey(old) !== tableKey(t)) names.add(t.name);
  }
  for (const [k, t] of before.tables) if (!after.tables.has(k)) names.add(t.name);
  for (const k of new Set([...before.history.keys(), ...after.history.keys()])) {
    if (!names.has(nameOf(k)) && historyKey(before, k) !== historyKey(after, k)) names.add(nameOf(k));
  }
  return names;
}

/** A host file's SQL strings and suppression comments as its parse found them (packed), with the options it read them under. */
function extractOf(parsed: ParsedFile, text: string): FileState['hostExtract'] {
  const host = parsed.host;
  return host && { extract: packExtract({ sql: host.segments.map((s) => s.embedded), directives: [...host.directives] }, text), options: host.options };
}

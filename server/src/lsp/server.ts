/**
 * LSP wiring: documents, workspace scan, file watching, configuration, diagnostics, code actions, hover.
 * Analysis lives in ../analysis and the workspace model in ./workspace; this file only moves data between
 * them and the client.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  FileChangeType,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type Connection,
  type InitializeResult,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseConfigText, resolveConfig, type ResolvedConfig } from '../analysis/config';
import { initParser, parseSql } from '../analysis/pg';
import { hostLanguageOf, initEmbedded, type EmbeddedLanguage } from '../analysis/host/index';
import { matchesGlobs } from '../analysis/glob';
import { RULES } from '../analysis/rules/index';
import { RULE_IDS } from '../analysis/rules/index';
import type { ConfigProblem } from '../analysis/types';
import { collectFiles } from '../files';
import { orderedDdl } from '../analysis/ddl-order';
import { CONFIG_FILE, foldersAbove } from '../analysis/projects';
import { FIX_ALL_KIND, fixAll, quickFixes } from './actions';
import { toDiagnostic } from './convert';
import { hoverAt } from '../ide/hover';
import { statementAt, statementViews } from '../ide/statements';
import {
  DDL_REQUEST,
  STATEMENT_AT_REQUEST,
  STATEMENTS_REQUEST,
  STATUS_NOTIFICATION,
  type DdlResult,
  type StatementAtParams,
  type StatementInfo,
  type StatementsParams,
  type StatusParams,
} from '../../../protocol/index';
import { Workspace } from '../ide/workspace';

/** Quiet time after an edit before analysis starts; a newer edit restarts it. */
const DEBOUNCE_MS = 5;
/** How long analysis runs before it lets the event loop serve other messages. */
const SLICE_MS = 20;

/**
 * The host languages served besides `sql`, by LSP languageId, with the extension a document of that language is
 * parsed as when its name has none (an untitled editor, a script without an extension).
 */
const HOST_LANGUAGE_IDS: Readonly<Record<string, string>> = {
  typescript: '.ts',
  typescriptreact: '.tsx',
  javascript: '.js',
  javascriptreact: '.jsx',
  python: '.py',
  go: '.go',
  rust: '.rs',
};

/** Host files the server watches on disk (the extensions hostLanguageOf reads), besides the .sql files. */
const HOST_WATCH_GLOB = '**/*.{ts,mts,cts,tsx,js,mjs,cjs,jsx,py,go,rs}';

/** The `embedded.languages` key of a host file's path (`.tsx` is TypeScript), undefined for a SQL file. */
function embeddedLanguageOf(path: string): EmbeddedLanguage | undefined {
  const lang = hostLanguageOf(path);
  return lang === 'tsx' ? 'typescript' : lang;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const ws = new Workspace();
  let folders: string[] = [];
  let canConfigure = false;
  let canProgress = false;
  let canWatch = false;
  let ready = false;
  const pending = new Map<string, NodeJS.Timeout>();
  /** Files to lint again (a catalog change touched them), drained in the background. */
  const dirty = new Set<string>();
  let draining = false;
  let statusTimer: NodeJS.Timeout | undefined;
  let configProblemUris: string[] = [];

  const log = (msg: string) => connection.console.log(`[pgperf] ${msg}`);

  // --- identities: every file is keyed by the canonical file URI of its path -------------------------------
  const keyOf = (uri: string) => (uri.startsWith('file:') ? pathToFileURL(fileURLToPath(uri)).href : uri);
  const clientUri = new Map<string, string>();
  /** The languageId of each open document (what a document without a telling extension is parsed as). */
  const languageOf = new Map<string, string>();
  const pathOf = (key: string): string => {
    let path = key;
    if (key.startsWith('file:')) {
      const fsPath = fileURLToPath(key);
      const root = folders.find((f) => fsPath === f || fsPath.startsWith(f + sep));
      path = (root ? relative(root, fsPath) : fsPath).split(sep).join('/');
    }
    // The analysis tells a host file by its extension: an untitled TypeScript editor is read as `….ts`.
    const ext = HOST_LANGUAGE_IDS[languageOf.get(key) ?? ''];
    if (ext && !hostLanguageOf(path) && !/\.sql$/i.test(path)) path += ext;
    return path;
  };
  /** Whether the workspace scan would read this file: include/exclude, and its host language switched on. */
  const inScope = (key: string): boolean => {
    if (!key.startsWith('file:')) return true;
    const fsPath = fileURLToPath(key);
    const root = folders.find((f) => fsPath.startsWith(f + sep));
    if (!root) return false;
    const rel = relative(root, fsPath).split(sep).join('/');
    // The globs the scan applies (the top project's, relative to the workspace folder).
    const cfg = ws.config;
    const lang = embeddedLanguageOf(rel);
    return matchesGlobs(rel, cfg.include, cfg.exclude) && (!lang || cfg.embedded.languages[lang]);
  };

  // --- publishing ----------------------------------------------------------------------------------------
  const publish = (key: string) => {
    const f = ws.get(key);
    if (!f) return;
    const diagnostics = f.findings.map(toDiagnostic);
    if (!f.complete) {
      diagnostics.push({
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity: 3,
        source: 'pgperf',
        message: `pgperf stopped analysing this file after ${ws.budgetMs} ms; findings after that point are not shown.`,
      });
    }
    void connection.sendDiagnostics({ uri: clientUri.get(key) ?? key, version: f.version, diagnostics });
  };

  const sendStatus = (state: StatusParams['state'], ms?: number) => {
    clearTimeout(statusTimer);
    const send = () => void connection.sendNotification(STATUS_NOTIFICATION, { state, ...ws.summary(), ms } satisfies StatusParams);
    if (state === 'scanning') send();
    else statusTimer = setTimeout(send, 50);
  };

  /** One analysis in progress per file: a newer edit cancels it, a request that needs it finishes it. */
  const jobs = new Map<string, { steps: Generator<void, unknown>; cancelled: boolean; done: Promise<void> }>();

  const reportInternalErrors = () => {
    for (const e of ws.internalErrors.splice(0)) connection.console.error(`[pgperf] internal error: ${e}`);
  };

  /**
   * Lints a file in time slices: the first slice runs at once (a small document is answered without a
   * round trip through the event loop), later ones after other pending work. Publishes when complete.
   */
  const lintAndPublish = (key: string): Promise<void> => {
    const old = jobs.get(key);
    if (old) old.cancelled = true;
    let finish!: () => void;
    const job = { steps: ws.lintSteps(key, SLICE_MS), cancelled: false, done: new Promise<void>((r) => (finish = r)) };
    jobs.set(key, job);
    const tick = () => {
      if (job.cancelled) return finish();
      if (!job.steps.next().done) {
        setImmediate(tick);
        return;
      }
      if (jobs.get(key) === job) jobs.delete(key);
      publish(key);
      reportInternalErrors();
      finish();
    };
    tick();
    return job.done;
  };

  /** Finishes a file's analysis now (hover and code actions answer about the current text). */
  const finishNow = (key: string) => {
    const job = jobs.get(key);
    if (!job) return;
    while (!job.cancelled && !job.steps.next().done);
  };

  /** Lints the dirty files one after another, each in slices, so edits and requests are served in between. */
  const drain = async () => {
    if (draining) return;
    draining = true;
    while (dirty.size > 0) {
      const key = dirty.values().next().value!;
      dirty.delete(key);
      if (pending.has(key) || jobs.has(key)) continue; // its own edit is linting it
      await lintAndPublish(key);
    }
    draining = false;
    sendStatus('ready');
  };

  /** Sets a file's text and lints what it affects: itself first, other files in the background. */
  const apply = (key: string, text: string, options: { version?: number; open?: boolean }) => {
    const path = pathOf(key);
    const before = ws.catalog(path);
    const ddlChanged = ws.update(key, path, text, options);
    const linted = lintAndPublish(key);
    if (ddlChanged && ready) {
      for (const k of ws.affectedBy(before, ws.catalog(path), path)) if (k !== key) dirty.add(k);
      void linted.then(drain);
    } else void linted.then(() => !draining && sendStatus('ready'));
  };

  // --- configuration --------------------------------------------------------------------------------------
  const configFileUri = () => (folders[0] ? pathToFileURL(join(folders[0], '.pgperf.json')).href : undefined);

  const loadConfig = async (): Promise<ResolvedConfig> => {
    const problems: { uri: string; problems: ConfigProblem[]; text?: string }[] = [];
    let base: ResolvedConfig | undefined;
    const fileUri = configFileUri();
    if (fileUri) {
      const text = await readFile(fileURLToPath(fileUri), 'utf8').catch(() => undefined);
      if (text !== undefined) {
        const r = parseConfigText(text, RULE_IDS);
        base = r.config;
        problems.push({ uri: fileUri, problems: r.problems, text });
      }
    }
    let settings: Record<string, unknown> = {};
    if (canConfigure) {
      settings = ((await connection.workspace.getConfiguration({ section: 'pgperf' }).catch(() => ({}))) ?? {}) as Record<string, unknown>;
    }
    const config = mergeSettings(base, settings);
    for (const p of config.problems) connection.console.warn(`[pgperf] setting pgperf.${p.path}: ${p.message} (ignored)`);
    // Problems in .pgperf.json are shown on the file itself.
    for (const uri of configProblemUris) void connection.sendDiagnostics({ uri, diagnostics: [] });
    configProblemUris = [];
    for (const p of problems) {
      if (p.problems.length === 0) continue;
      configProblemUris.push(p.uri);
      void connection.sendDiagnostics({
        uri: p.uri,
        diagnostics: p.problems.map((x) => ({
          range: rangeOfKey(p.text ?? '', x.path),
          severity: 2,
          source: 'pgperf',
          message: `${x.path || '(root)'}: ${x.message} (ignored)`,
        })),
      });
    }
    return config.config;
  };

  /**
   * Separate projects: each folder below a workspace folder that holds a `.pgperf.json` (read like the top one,
   * its problems shown on the file) gets its own config and catalog. Keyed by workspace-relative folder.
   */
  let projectProblemUris: string[] = [];
  const loadProjects = (paths: readonly string[]): Map<string, ResolvedConfig> => {
    const slash = (p: string) => p.split(sep).join('/');
    const seen = new Map<string, boolean>();
    const projects = new Map<string, ResolvedConfig>();
    for (const uri of projectProblemUris) void connection.sendDiagnostics({ uri, diagnostics: [] });
    projectProblemUris = [];
    for (const path of paths) {
      const root = folders.find((f) => path.startsWith(f + sep));
      if (!root) continue;
      for (const dir of foldersAbove(slash(path), slash(root))) {
        if (seen.has(dir)) continue;
        const file = join(dir, CONFIG_FILE);
        const text = existsSync(file) ? readText(file) : undefined;
        seen.set(dir, text !== undefined);
        if (text === undefined) continue;
        const r = parseConfigText(text, RULE_IDS);
        projects.set(slash(relative(root, dir)), r.config);
        if (r.problems.length === 0) continue;
        const uri = pathToFileURL(file).href;
        projectProblemUris.push(uri);
        void connection.sendDiagnostics({
          uri,
          diagnostics: r.problems.map((x) => ({
            range: rangeOfKey(text, x.path),
            severity: 2,
            source: 'pgperf',
            message: `${x.path || '(root)'}: ${x.message} (ignored)`,
          })),
        });
      }
    }
    return projects;
  };

  // --- workspace scan -------------------------------------------------------------------------------------
  const scan = async () => {
    const started = performance.now();
    ready = false;
    sendStatus('scanning');
    const progress = canProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    progress?.begin('pgperf: analysing SQL files', 0, undefined, false);
    const cfg = ws.config;
    const paths = folders.flatMap((root) => {
      try {
        // Host files of a language switched off are not read at all (they would hold no SQL).
        return collectFiles(['.'], root, cfg.include, cfg.exclude).filter((p) => {
          const lang = embeddedLanguageOf(p);
          return !lang || cfg.embedded.languages[lang];
        });
      } catch {
        return [];
      }
    });
    ws.setProjects(loadProjects(paths));
    const keys = new Set(paths.map((p) => pathToFileURL(p).href));
    for (const key of ws.uris()) if (key.startsWith('file:') && !keys.has(key) && !ws.get(key)?.open) ws.remove(key);
    let done = 0;
    for (const path of paths) {
      const key = pathToFileURL(path).href;
      if (!ws.get(key)?.open) {
        // Local files, read synchronously: awaiting each read left the thread idle for a fifth of the scan.
        const text = readText(path);
        // Every file is read before any is linted: the catalog needs all the DDL.
        if (text !== undefined) ws.update(key, pathOf(key), text, { lintLater: true });
      }
      if (++done % 50 === 0) {
        progress?.report(Math.round((done / paths.length) * 50), `read ${done}/${paths.length} files`);
        await new Promise((r) => setImmediate(r));
      }
    }
    const all = ws.uris();
    let linted = 0;
    for (const key of all) {
      if (!pending.has(key)) await lintAndPublish(key);
      if (++linted % 20 === 0) progress?.report(50 + Math.round((linted / all.length) * 50), `analysed ${linted}/${all.length} files`);
    }
    progress?.done();
    ready = true;
    const ms = Math.round(performance.now() - started);
    log(`analysed ${all.length} files in ${ms} ms`);
    sendStatus('ready', ms);
  };

  const rescan = async () => {
    ws.setConfig(await loadConfig());
    await scan();
  };

  // --- protocol handlers ----------------------------------------------------------------------------------
  // The parser loads before the server answers initialize: a client sends no document before that answer, so
  // nothing can be parsed before the parser is there.
  connection.onInitialize(async (params): Promise<InitializeResult> => {
    // The host grammars too: a host file cannot be parsed before they are loaded.
    await Promise.all([initParser(), initEmbedded()]);
    const caps = params.capabilities;
    canConfigure = !!caps.workspace?.configuration;
    canProgress = !!caps.window?.workDoneProgress;
    canWatch = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    const fromFolders = (params.workspaceFolders ?? []).map((f: WorkspaceFolder) => f.uri);
    const roots = fromFolders.length > 0 ? fromFolders : params.rootUri ? [params.rootUri] : [];
    folders = roots.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.SourceFixAll, FIX_ALL_KIND] },
        workspace: { workspaceFolders: { supported: true } },
      },
      serverInfo: { name: 'pgperf', version: process.env.PGPERF_VERSION ?? undefined },
    };
  });

  connection.onInitialized(async () => {
    if (canConfigure) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'pgperf' });
    if (canWatch) {
      void connection.client.register(
        // A plain object: the registration options of workspace/didChangeWatchedFiles.
        { method: 'workspace/didChangeWatchedFiles' } as never,
        { watchers: [{ globPattern: '**/*.sql' }, { globPattern: HOST_WATCH_GLOB }, { globPattern: '**/.pgperf.json' }] } as never,
      );
    }
    warmUp();
    await rescan();
  });

  documents.onDidOpen(({ document }) => {
    const key = keyOf(document.uri);
    clientUri.set(key, document.uri);
    languageOf.set(key, document.languageId);
    clearTimeout(pending.get(key));
    pending.delete(key);
    apply(key, document.getText(), { version: document.version, open: true });
  });

  documents.onDidChangeContent(({ document }) => {
    const key = keyOf(document.uri);
    if (ws.get(key)?.version === document.version) return; // the open event linted this version
    clearTimeout(pending.get(key));
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        const current = documents.get(document.uri);
        if (current) apply(key, current.getText(), { version: current.version, open: true });
      }, DEBOUNCE_MS),
    );
  });

  documents.onDidClose(async ({ document }) => {
    const key = keyOf(document.uri);
    clearTimeout(pending.get(key));
    pending.delete(key);
    clientUri.delete(key);
    const path = pathOf(key);
    languageOf.delete(key);
    // A host file the scan does not read (node_modules, a language switched off, a script read by its
    // languageId) leaves the workspace with its editor; a .sql file stays, read from disk, as before.
    const leaves = !!embeddedLanguageOf(path) && (path !== pathOf(key) || !inScope(key));
    if (!key.startsWith('file:') || leaves) {
      const before = ws.catalog(path);
      const ddl = ws.remove(key);
      void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
      if (ddl && ready) {
        for (const k of ws.affectedBy(before, ws.catalog(path), path)) dirty.add(k);
        void drain();
      }
      return;
    }
    ws.close(key);
    // The file on disk is the truth again (the editor may have closed without saving).
    const text = await readFile(fileURLToPath(key), 'utf8').catch(() => undefined);
    if (text === undefined) {
      ws.remove(key);
      void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    } else apply(key, text, { open: false });
  });

  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    let configChanged = false;
    for (const change of changes) {
      if (change.uri.endsWith('/.pgperf.json')) {
        configChanged = true;
        continue;
      }
      const key = keyOf(change.uri);
      if (ws.get(key)?.open) continue; // the editor's text wins while the document is open
      // The host glob watches every .js and .py file, `npm install` and virtual environments included.
      if (!ws.get(key) && !inScope(key)) continue;
      if (change.type === FileChangeType.Deleted) {
        const path = pathOf(key);
        const before = ws.catalog(path);
        const ddl = ws.remove(key);
        void connection.sendDiagnostics({ uri: clientUri.get(key) ?? key, diagnostics: [] });
        if (ddl) {
          for (const k of ws.affectedBy(before, ws.catalog(path), path)) dirty.add(k);
          void drain();
        }
        continue;
      }
      const text = await readFile(fileURLToPath(key), 'utf8').catch(() => undefined);
      if (text !== undefined) apply(key, text, {});
    }
    if (configChanged) await rescan();
    else sendStatus('ready');
  });

  connection.onDidChangeConfiguration(async () => {
    await rescan();
  });

  /** Brings a document's findings up to date before answering about it. */
  const flush = (key: string) => {
    const timer = pending.get(key);
    if (timer) {
      clearTimeout(timer);
      pending.delete(key);
      const doc = documents.get(clientUri.get(key) ?? key);
      if (doc) apply(key, doc.getText(), { version: doc.version, open: true });
    }
    finishNow(key);
  };

  connection.onCodeAction(({ textDocument, context }): CodeAction[] => {
    const key = keyOf(textDocument.uri);
    flush(key);
    const f = ws.get(key);
    const file = ws.parsed(key);
    if (!f || !file) return [];
    const only = context.only;
    const wantsFixAll = only?.some(
      (k) => k === CodeActionKind.Source || CodeActionKind.SourceFixAll.startsWith(k) || k.startsWith(CodeActionKind.SourceFixAll),
    );
    const actions: CodeAction[] = [];
    if (!only || only.some((k) => k === CodeActionKind.QuickFix || k === CodeActionKind.Empty)) {
      actions.push(...quickFixes(textDocument.uri, file, f.findings, context.diagnostics));
    }
    if (wantsFixAll) {
      const all = fixAll(textDocument.uri, file, f.findings, 'Fix all pgperf problems in this file');
      if (all) actions.push(all);
    }
    return actions;
  });

  connection.onHover(({ textDocument, position }) => {
    const key = keyOf(textDocument.uri);
    flush(key);
    const f = ws.get(key);
    const file = ws.parsed(key);
    if (!f || !file) return null;
    const hover = hoverAt(file, f.findings, ws.catalog(f.path), (path, o) => ws.lineOf(path, o), position);
    return hover ? { contents: { kind: 'markdown', value: hover.markdown }, range: hover.range } : null;
  });

  connection.onRequest(STATEMENT_AT_REQUEST, ({ textDocument, position }: StatementAtParams): StatementInfo | null => {
    const key = keyOf(textDocument.uri);
    flush(key);
    const file = ws.parsed(key);
    return (file && statementAt(file, position)) ?? null;
  });

  connection.onRequest(STATEMENTS_REQUEST, ({ textDocument }: StatementsParams): StatementInfo[] => {
    const key = keyOf(textDocument.uri);
    flush(key);
    const file = ws.parsed(key);
    return file ? statementViews(file) : [];
  });

  connection.onRequest(DDL_REQUEST, (): DdlResult => ({ statements: orderedDdl(ws.allParsed()) }));

  documents.listen(connection);
  connection.listen();
}

/**
 * A fresh WASM module runs its first thousands of parses on baseline code (several times slower); a few
 * milliseconds of parsing at start-up let the engine optimise it before the first edit has to be answered.
 */
function warmUp(): void {
  const samples = RULES.flatMap((r) => [r.meta.docs.bad, r.meta.docs.good]).filter((x): x is string => !!x);
  const until = performance.now() + 60;
  for (let i = 0; performance.now() < until && i < 5_000; i++) parseSql(samples[i % samples.length]);
}

/** Settings over `.pgperf.json` over defaults; a setting left at its empty default does not override. */
function mergeSettings(base: ResolvedConfig | undefined, settings: Record<string, unknown>) {
  const raw: Record<string, unknown> = {};
  if (base) {
    raw.rules = { ...base.rules };
    raw.tenantColumn = base.tenantColumn;
    raw.partitionedTables = { ...base.partitionedTables };
    raw.include = base.include;
    raw.exclude = base.exclude;
    raw.embedded = base.embedded;
  }
  const s = settings;
  if (s.rules && typeof s.rules === 'object') raw.rules = { ...(raw.rules as object), ...(s.rules as object) };
  if (s.partitionedTables && typeof s.partitionedTables === 'object')
    raw.partitionedTables = { ...(raw.partitionedTables as object), ...(s.partitionedTables as object) };
  // `embedded`: true/false switches every language; an object overrides field by field, `languages` language by language.
  if (typeof s.embedded === 'boolean') raw.embedded = s.embedded;
  else if (s.embedded && typeof s.embedded === 'object' && !Array.isArray(s.embedded)) {
    const over = s.embedded as Record<string, unknown>;
    const under = (raw.embedded ?? {}) as Record<string, unknown>;
    const languages =
      over.languages && typeof over.languages === 'object' && !Array.isArray(over.languages) && under.languages
        ? { ...(under.languages as object), ...(over.languages as object) }
        : (over.languages ?? under.languages);
    raw.embedded = { ...under, ...over, ...(languages !== undefined ? { languages } : {}) };
  }
  for (const k of ['tenantColumn', 'include', 'exclude'] as const) if (s[k] !== undefined && s[k] !== null && s[k] !== '') raw[k] = s[k];
  return (() => {
    const r = resolveConfig(raw, RULE_IDS);
    return { config: r.config, problems: r.problems };
  })();
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function lineAt(text: string, offset: number): number {
  let line = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Where a dotted config path's key sits in the JSON text (a best effort for the diagnostic's range). */
function rangeOfKey(text: string, path: string) {
  const last = path.split('.').pop() ?? '';
  const at = last ? text.indexOf(`"${last}"`) : -1;
  const offset = at < 0 ? 0 : at;
  const line = lineAt(text, offset);
  const character = offset - (text.lastIndexOf('\n', offset - 1) + 1);
  const len = at < 0 ? 1 : last.length + 2;
  return { start: { line, character }, end: { line, character: character + len } };
}

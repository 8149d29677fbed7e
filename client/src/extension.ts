/**
 * The VS Code client: starts the pgperf language server (dist/server.js) over Node IPC and shows its state.
 * A thin client in the style of the LSP sample and vscode-eslint — every analysis runs in the server; this file
 * wires VS Code to it: document selector, file watchers, settings, an output channel, a status bar item fed by
 * the server's `pgperf/status` notification, and the commands. The database features (ui/connections.ts,
 * ui/explain-panel.ts, ui/codelens.ts) run EXPLAIN through database/explain and database/connection; the statement
 * under the cursor and the workspace DDL come from the server (`pgperf/statementAt`, `pgperf/ddl`).
 */
import * as path from 'node:path';
import {
  commands,
  type ExtensionContext,
  ExtensionMode,
  languages,
  type LogOutputChannel,
  Position,
  ProgressLocation,
  StatusBarAlignment,
  type StatusBarItem,
  type TextEditor,
  ThemeColor,
  Uri,
  window,
  workspace,
} from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  type ErrorHandler,
  ErrorAction,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { DDL_REQUEST, type DdlResult, STATEMENT_AT_REQUEST, type StatementAtParams, type StatementInfo } from '../../protocol/index';
import { CODE_LINKS_REQUEST, type CodeLinksResult, COMPARE_FIX_COMMAND, type CompareFixArgument } from '../../protocol/index';
import { loadSchema } from '../../database/index';
import { type Database, DatabaseError } from '../../database/index';
import { ExplainRefused, startExplain } from '../../database/index';
import { classify } from '../../database/index';
import { RESTART_COMMAND, RestartPolicy } from './restart-policy';
import { CompareCommands } from './ui/compare-commands';
import { consentDialog } from './ui/consent';
import { askParams } from './ui/params';
import { BenchCommands, BenchPanel } from './ui/bench-panel';
import { HealthPanel } from './ui/health-panel';
import { ExplainCodeLens } from './ui/codelens';
import { Connections } from './ui/connections';
import { ExplainPanels } from './ui/explain-panel';
import { ChangeFilter, explicitSettings } from './ui/settings';
import { type ClientPhase, formatPhase, formatStatus, isStatusParams, STATUS_NOTIFICATION, type StatusView } from './ui/status';

const SECTION = 'pgperf';

/** The languages the server lints: SQL, and the host languages whose SQL strings it reads (issue 12). */
export const LANGUAGES = ['sql', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust'] as const;
/** Files on disk whose changes the server must hear of (host files by the extensions the analysis reads). */
export const WATCHED = ['**/*.sql', '**/*.{ts,mts,cts,tsx,js,mjs,cjs,jsx,py,go,rs}', '**/.pgperf.json'] as const;
const SELECTOR = LANGUAGES.flatMap((language) => [
  { scheme: 'file', language },
  { scheme: 'untitled', language },
]);

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const output = window.createOutputChannel('pgperf', { log: true });
  const status = window.createStatusBarItem('pgperf.status', StatusBarAlignment.Left, 0);
  status.name = 'pgperf';
  status.command = 'pgperf.showOutput';
  context.subscriptions.push(output, status);
  show(status, formatPhase('starting'));
  status.show();

  const restarts = new RestartPolicy();
  const notices = new Notices(output);
  client = createClient(context, output, restartHandler(restarts, notices));
  const c = client;
  context.subscriptions.push(c);

  const lenses = new ExplainCodeLens(() => client);
  c.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
    // A new analysis pass: the statements (and so the CodeLenses) may have moved.
    if (isStatusParams(params) && params.state === 'ready') lenses.refresh();
    if (isStatusParams(params)) show(status, formatStatus(params));
    else output.warn(`ignored a malformed ${STATUS_NOTIFICATION} notification: ${JSON.stringify(params)}`);
  });
  context.subscriptions.push(
    c.onDidChangeState((e) => {
      const phase: Record<State, ClientPhase> = {
        [State.Starting]: 'starting',
        [State.Running]: 'running',
        [State.Stopped]: 'stopped',
        [State.StartFailed]: 'failed',
      };
      show(status, formatPhase(phase[e.newState]));
    }),
    commands.registerCommand('pgperf.showOutput', () => output.show(true)),
    commands.registerCommand(RESTART_COMMAND.id, async () => {
      output.info('restarting the language server');
      restarts.reset();
      await start(c, status, output, true);
    }),
  );
  // Test hooks, registered only when VS Code runs the extension's tests (--extensionTestsPath): the e2e suite
  // kills the server the way a crash would and reads back what the restart logic did and told the user.
  if (context.extensionMode === ExtensionMode.Test) {
    context.subscriptions.push(
      commands.registerCommand('pgperf.debug.crashServer', () => {
        const pid = c.serverProcess?.pid;
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        return pid;
      }),
      commands.registerCommand('pgperf.debug.serverState', () => ({
        running: c.isRunning(),
        pid: c.serverProcess?.pid,
        ...restarts.state(),
        notices: notices.shown,
      })),
    );
  }

  // Database features.
  const connections = new Connections(context, output);
  const panels = new ExplainPanels(context);
  const db = new DatabaseCommands(c, connections, panels, output);
  context.subscriptions.push(
    connections,
    panels,
    lenses,
    languages.registerCodeLensProvider(SELECTOR, lenses),
    commands.registerCommand('pgperf.explainAnalyze', (uri?: Uri, position?: Position) => db.explain(true, uri, position)),
    commands.registerCommand('pgperf.explain', (uri?: Uri, position?: Position) => db.explain(false, uri, position)),
    commands.registerCommand('pgperf.loadSchema', () => db.loadSchemaCommand()),
    commands.registerCommand('pgperf.addConnection', () => connections.add()),
    commands.registerCommand('pgperf.pickConnection', () => connections.pick()),
    commands.registerCommand('pgperf.testConnection', () => connections.test()),
    commands.registerCommand('pgperf.disconnect', () => connections.disconnect()),
  );
  const compare = new CompareCommands(connections, panels, output, () => db.activeDatabase());
  db.syntheticOf = (d) => compare.syntheticOf(d);
  context.subscriptions.push(
    commands.registerCommand('pgperf.loadSyntheticData', () => compare.loadSyntheticData()),
    commands.registerCommand(COMPARE_FIX_COMMAND, (arg?: CompareFixArgument) => compare.compareFix(arg)),
  );

  // Benchmarks (database/bench; inputs, progress and the report panel in ui/bench-panel.ts).
  const benchPanel = new BenchPanel(context);
  const bench = new BenchCommands(connections, benchPanel, output, () => db.activeDatabase());
  context.subscriptions.push(
    benchPanel,
    commands.registerCommand('pgperf.benchHnsw', () => bench.hnsw()),
    commands.registerCommand('pgperf.benchRls', () => bench.rls()),
  );

  // Database health (database/health; the panel, its trend and auto-refresh in ui/health-panel.ts).
  const health = new HealthPanel(
    context,
    output,
    () => db.activeDatabase(),
    async (params) => (c.isRunning() ? c.sendRequest<CodeLinksResult>(CODE_LINKS_REQUEST, params) : undefined),
  );
  context.subscriptions.push(
    health,
    commands.registerCommand('pgperf.databaseHealth', () => health.show()),
  );

  await start(c, status, output, false);
}

/** The EXPLAIN and schema commands: glue between VS Code, the language server and database/explain. */
class DatabaseCommands {
  /** The synthetic rows pgperf loaded into a database, in words (set once the data commands exist). */
  syntheticOf: (db: Database) => string | undefined = () => undefined;

  constructor(
    private readonly client: LanguageClient,
    private readonly connections: Connections,
    private readonly panels: ExplainPanels,
    private readonly output: LogOutputChannel,
  ) {}

  /** pgperf.explainAnalyze / pgperf.explain: the selection, or the statement at the cursor (or at a CodeLens). */
  async explain(analyze: boolean, uri?: Uri, position?: Position): Promise<void> {
    const what = analyze ? 'Explain Analyze' : 'Explain';
    const editor = await editorFor(uri);
    if (!editor) {
      void window.showWarningMessage(`pgperf: ${what} needs an editor with SQL`);
      return;
    }
    const fromLens = uri instanceof Uri && position instanceof Position;
    let sql: string | undefined;
    /** In a host file, the host code each `$n` stands for (shown when asking for its value). */
    let described: string[] = [];
    // A selection in a host file is host code (quotes, escapes, `${…}`): the server's SQL of the string under
    // the cursor is run instead, its holes as $n parameters.
    if (!fromLens && !editor.selection.isEmpty && editor.document.languageId === 'sql') sql = editor.document.getText(editor.selection);
    else {
      const at = await this.statementAt(editor, fromLens ? position : editor.selection.active);
      if (at === undefined) return;
      if (at?.refused) {
        void window.showWarningMessage(`pgperf: ${what}: ${at.refused}`);
        return;
      }
      sql = at?.text;
      described = at?.params ?? [];
    }
    if (!sql?.trim()) {
      void window.showWarningMessage('pgperf: no SQL statement at the cursor');
      return;
    }

    // $n parameters: values, or none for the generic plan.
    const { maxParam } = await classify(sql);
    const asked = await askParams(what, maxParam, described, true);
    if (asked === undefined) return;
    const generic = asked === 'generic';
    const params = generic ? [] : asked;

    const timeoutMs =
      this.connections.activeProfile()?.statementTimeoutMs ?? workspace.getConfiguration('pgperf').get<number>('explain.statementTimeoutMs', 30_000);
    const column = editor.viewColumn;
    let database = this.connections.activeProfile()?.name ?? 'embedded PGlite';
    await window.withProgress({ location: ProgressLocation.Notification, title: `pgperf: ${what}`, cancellable: true }, async (progress, token) => {
      try {
        progress.report({ message: `connecting to ${database}…` });
        const db = await this.database();
        database = db.label;
        if (token.isCancellationRequested) return;
        progress.report({ message: `on ${db.label}…` });
        const handle = startExplain(db, {
          sql: sql!,
          analyze,
          ...(params.length > 0 ? { params } : {}),
          generic,
          timeoutMs,
          confirm: async (request) => {
            const dialog = consentDialog(request, db.label);
            const answer = await window.showWarningMessage(dialog.message, { modal: true, detail: dialog.detail }, dialog.button);
            return answer === dialog.button;
          },
        });
        const sub = token.onCancellationRequested(() => void handle.cancel().catch((e) => this.output.warn(`cancel: ${String(e)}`)));
        try {
          const result = await handle.result;
          this.output.info(`${what} on ${db.label}: ${result.nodes.length} nodes, ${result.findings.length} findings`);
          this.panels.show(result, column, generic ? 'generic' : params.map((p) => (p === null ? 'NULL' : p)), this.syntheticOf(db));
        } finally {
          sub.dispose();
        }
      } catch (e) {
        if (e instanceof ExplainRefused) return;
        if (e instanceof DatabaseError && e.kind === 'cancelled') {
          void window.showInformationMessage(`pgperf: ${what} cancelled (rolled back)`);
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        this.output.error(`${what} on ${database} failed: ${message}`);
        this.panels.showError({ database, sql: sql!, message }, column);
      }
    });
  }

  /** The active database (for the benchmarks). */
  activeDatabase(): Promise<Database> {
    return this.database();
  }

  /** The active database; the embedded one gets the workspace schema when it is new. */
  private async database(): Promise<Database> {
    if (!this.connections.isEmbedded()) return this.connections.database();
    const { db, created } = await this.connections.embeddedDatabase();
    if (created) await this.loadSchema(db);
    return this.connections.database();
  }

  private async statementAt(editor: TextEditor, position: Position): Promise<StatementInfo | null | undefined> {
    if (!this.client.isRunning()) {
      void window.showErrorMessage('pgperf: the language server is not running (it finds the statement at the cursor)');
      return undefined;
    }
    const params: StatementAtParams = {
      textDocument: { uri: this.client.code2ProtocolConverter.asUri(editor.document.uri) },
      position: { line: position.line, character: position.character },
    };
    return this.client.sendRequest<StatementInfo | null>(STATEMENT_AT_REQUEST, params);
  }

  /** pgperf.loadSchema: a fresh embedded database with the workspace DDL (from the server, dependency order). */
  async loadSchemaCommand(): Promise<void> {
    try {
      const { db } = await window.withProgress({ location: ProgressLocation.Notification, title: 'pgperf: opening the embedded database…' }, () =>
        this.connections.embeddedDatabase(true),
      );
      await this.loadSchema(db);
    } catch (e) {
      this.connections.fail('loading the workspace schema failed', e);
    }
  }

  private async loadSchema(db: Database): Promise<void> {
    if (!this.client.isRunning()) throw new Error('the language server is not running (it reads the workspace DDL)');
    const { statements } = await this.client.sendRequest<DdlResult>(DDL_REQUEST, {});
    const result = await window.withProgress(
      { location: ProgressLocation.Notification, title: 'pgperf: loading the workspace schema into the embedded database', cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let last = 0;
        return loadSchema(
          db,
          statements.map((s) => ({ file: s.file, text: s.text })),
          {
            signal: abort.signal,
            onProgress: (done, total) => {
              progress.report({ message: `${done} / ${total}`, increment: ((done - last) / Math.max(total, 1)) * 100 });
              last = done;
            },
          },
        );
      },
    );
    const lines = new Map(statements.map((s) => [`${s.file}\u0000${s.text}`, s.line]));
    for (const f of result.failures) {
      const line = lines.get(`${f.file}\u0000${f.text}`);
      this.output.error(`schema: ${f.file}${line ? `:${line}` : ''}: ${f.error.message}`);
    }
    const files = new Set(statements.map((s) => s.file)).size;
    const summary = `loaded ${result.loaded} of ${statements.length} DDL statements from ${files} file${files === 1 ? '' : 's'} into ${db.label}`;
    this.output.info(summary);
    if (result.failures.length > 0) {
      // Not awaited: the EXPLAIN that opened the database goes on while the message waits for the user.
      const show = 'Show Output';
      void window.showWarningMessage(`pgperf: ${summary}; ${result.failures.length} failed`, show).then((answer) => {
        if (answer === show) this.output.show(true);
      });
    } else void window.showInformationMessage(`pgperf: ${summary}`);
  }
}

/** The editor of `uri` (a CodeLens argument) or the active one. */
async function editorFor(uri: Uri | undefined): Promise<TextEditor | undefined> {
  if (!(uri instanceof Uri)) return window.activeTextEditor;
  const visible = window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  return visible ?? window.showTextDocument(await workspace.openTextDocument(uri), { preserveFocus: false });
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}

/** The messages the restart logic shows, kept (the last few) so the extension's tests can read what the user saw. */
class Notices {
  readonly shown: { level: 'warning' | 'error'; message: string }[] = [];
  constructor(private readonly output: LogOutputChannel) {}

  warn(message: string): void {
    this.keep('warning', message);
    void window.showWarningMessage(message);
  }

  error(message: string): void {
    this.keep('error', message);
    const restart = 'Restart Server';
    const show = 'Show Output';
    void window.showErrorMessage(message, restart, show).then((answer) => {
      if (answer === restart) void commands.executeCommand(RESTART_COMMAND.id);
      else if (answer === show) this.output.show(true);
    });
  }

  private keep(level: 'warning' | 'error', message: string): void {
    this.shown.push({ level, message });
    if (this.shown.length > 20) this.shown.shift();
  }
}

/**
 * vscode-languageclient's default handler restarts a crashed server silently (the output channel only) and speaks
 * up only when it gives up; this one says so on every restart and, when it stops, how to start the server again.
 * The client re-sends every open document to the restarted server, so their diagnostics come back.
 */
function restartHandler(policy: RestartPolicy, notices: Notices): ErrorHandler {
  return {
    error: (_error, _message, count) => {
      const d = policy.connectionError(count);
      if (!d.shutdown) return { action: ErrorAction.Continue, handled: true };
      notices.error(d.message!);
      return { action: ErrorAction.Shutdown, message: d.message, handled: true };
    },
    closed: () => {
      const d = policy.crashed();
      if (d.restart) notices.warn(d.message);
      else notices.error(d.message);
      // `handled`: the message is already on screen; the client only logs it to the output channel.
      return { action: d.restart ? CloseAction.Restart : CloseAction.DoNotRestart, message: d.message, handled: true };
    },
  };
}

function createClient(context: ExtensionContext, output: LogOutputChannel, errorHandler: ErrorHandler): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const inspect = (scope: Parameters<typeof workspace.getConfiguration>[1]) => (key: string) => workspace.getConfiguration(SECTION, scope).inspect(key);

  // The settings of the window and of every workspace folder, to tell a real `pgperf.*` change from any other.
  const snapshot = () => [undefined, ...(workspace.workspaceFolders ?? []).map((f) => f.uri)].map((scope) => explicitSettings(inspect(scope)));
  const changes = new ChangeFilter(snapshot());

  const clientOptions: LanguageClientOptions = {
    documentSelector: SELECTOR,
    synchronize: {
      configurationSection: SECTION,
      fileEvents: WATCHED.map((glob) => workspace.createFileSystemWatcher(glob)),
    },
    diagnosticCollectionName: 'pgperf',
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler,
    middleware: {
      workspace: {
        // Only explicitly set `pgperf.*` values reach the server, so `.pgperf.json` still beats VS Code's defaults.
        configuration: async (params, token, next) => {
          const others = params.items.some((i) => i.section !== SECTION) ? await next(params, token) : [];
          if (!Array.isArray(others)) return others;
          return params.items.map((item, i) =>
            item.section === SECTION ? explicitSettings(inspect(item.scopeUri ? Uri.parse(item.scopeUri) : undefined)) : others[i],
          );
        },
        didChangeConfiguration: async () => {
          if (!changes.changed(snapshot())) return;
          await client?.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { [SECTION]: explicitSettings(inspect(undefined)) },
          });
        },
      },
    },
  };
  return new LanguageClient('pgperf', 'pgperf', serverOptions, clientOptions);
}

async function start(c: LanguageClient, status: StatusBarItem, output: LogOutputChannel, restart: boolean): Promise<void> {
  show(status, formatPhase('starting'));
  try {
    if (restart && c.isRunning()) await c.restart();
    else await c.start();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    output.error(`the language server could not start: ${message}`);
    show(status, formatPhase('failed', message));
  }
}

function show(item: StatusBarItem, view: StatusView): void {
  item.text = view.text;
  item.tooltip = view.tooltip;
  item.backgroundColor = view.warning ? new ThemeColor('statusBarItem.warningBackground') : undefined;
}

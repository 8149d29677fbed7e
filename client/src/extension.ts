/**
 * The VS Code client: starts the pgperf language server (dist/server.js) over Node IPC and shows its state.
 * A thin client in the style of the LSP sample and vscode-eslint — every analysis runs in the server; this file
 * wires VS Code to it: document selector, file watchers, settings, an output channel, a status bar item fed by
 * the server's `pgperf/status` notification, and two commands.
 */
import * as path from 'node:path';
import {
  commands,
  type ExtensionContext,
  type LogOutputChannel,
  StatusBarAlignment,
  type StatusBarItem,
  ThemeColor,
  Uri,
  window,
  workspace,
} from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { ChangeFilter, explicitSettings } from './ui/settings';
import { type ClientPhase, formatPhase, formatStatus, isStatusParams, STATUS_NOTIFICATION, type StatusView } from './ui/status';

const SECTION = 'pgperf';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const output = window.createOutputChannel('pgperf', { log: true });
  const status = window.createStatusBarItem('pgperf.status', StatusBarAlignment.Left, 0);
  status.name = 'pgperf';
  status.command = 'pgperf.showOutput';
  context.subscriptions.push(output, status);
  show(status, formatPhase('starting'));
  status.show();

  client = createClient(context, output);
  const c = client;
  context.subscriptions.push(c);

  c.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
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
    commands.registerCommand('pgperf.restartServer', async () => {
      output.info('restarting the language server');
      await start(c, status, output, true);
    }),
  );

  await start(c, status, output, false);
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}

function createClient(context: ExtensionContext, output: LogOutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const inspect = (scope: Parameters<typeof workspace.getConfiguration>[1]) => (key: string) =>
    workspace.getConfiguration(SECTION, scope).inspect(key);

  // The settings of the window and of every workspace folder, to tell a real `pgperf.*` change from any other.
  const snapshot = () => [undefined, ...(workspace.workspaceFolders ?? []).map((f) => f.uri)].map((scope) => explicitSettings(inspect(scope)));
  const changes = new ChangeFilter(snapshot());

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'sql' },
      { scheme: 'untitled', language: 'sql' },
    ],
    synchronize: {
      configurationSection: SECTION,
      fileEvents: [workspace.createFileSystemWatcher('**/*.sql'), workspace.createFileSystemWatcher('**/.pgperf.json')],
    },
    diagnosticCollectionName: 'pgperf',
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
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

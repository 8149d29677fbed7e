/** initialize and initialized: what the server can do, what the client can, the first scan. */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  TextDocumentSyncKind,
  type InitializeResult,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { fileURLToPath } from 'node:url';
import { initEmbedded, RULES } from '../../analysis/index';
import { initParser, parseSql } from '../../analysis/pg';
import { FIX_ALL_KIND } from '../actions';
import { rescan } from '../scan';
import type { ServerState } from '../state';

/** Host files the server watches on disk (the extensions hostLanguageOf reads), besides the .sql files. */
const HOST_WATCH_GLOB = '**/*.{ts,mts,cts,tsx,js,mjs,cjs,jsx,py,go,rs}';

export function registerLifecycle(s: ServerState): void {
  const { connection } = s;
  // The parser loads before the server answers initialize: a client sends no document before that answer, so
  // nothing can be parsed before the parser is there.
  connection.onInitialize(async (params): Promise<InitializeResult> => {
    // The host grammars too: a host file cannot be parsed before they are loaded.
    await Promise.all([initParser(), initEmbedded()]);
    const caps = params.capabilities;
    s.configuration.canConfigure = !!caps.workspace?.configuration;
    s.canProgress = !!caps.window?.workDoneProgress;
    s.canWatch = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    const fromFolders = (params.workspaceFolders ?? []).map((f: WorkspaceFolder) => f.uri);
    const roots = fromFolders.length > 0 ? fromFolders : params.rootUri ? [params.rootUri] : [];
    s.ids.folders = roots.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
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
    if (s.configuration.canConfigure) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'pgperf' });
    if (s.canWatch) {
      void connection.client.register(
        // A plain object: the registration options of workspace/didChangeWatchedFiles.
        { method: 'workspace/didChangeWatchedFiles' } as never,
        { watchers: [{ globPattern: '**/*.sql' }, { globPattern: HOST_WATCH_GLOB }, { globPattern: '**/.pgperf.json' }] } as never,
      );
    }
    warmUp();
    await rescan(s);
  });
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

/**
 * A small LSP client for protocol tests and benchmarks: spawns the BUILT server (`node bin/pgperf.js lsp --stdio`)
 * as a child process and speaks real JSON-RPC over its stdio. It answers the requests a client must answer
 * (workspace/configuration from the settings it holds, window/workDoneProgress/create, client/registerCapability),
 * and records every publishDiagnostics (per URI), every pgperf/status, progress and log messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  Command,
  Diagnostic,
  Hover,
  InitializeResult,
  Position,
  PublishDiagnosticsParams,
  Range,
  TextDocumentContentChangeEvent,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';

export const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/pgperf.js');

export type { StatusParams } from '../../protocol/index';
import type { StatusParams } from '../../protocol/index';

export type Settings = Record<string, unknown>;

export interface ClientOptions {
  /** Working directory of the server process (a temp workspace). */
  cwd: string;
  /** The `pgperf` settings section returned from workspace/configuration. */
  settings?: Settings;
  /** Extra arguments after `lsp --stdio`. */
  args?: string[];
}

const live = new Set<LspClient>();

/** Shuts down every client still running (for afterEach/afterAll). */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...live].map((c) => c.shutdown()));
}

export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

/** A fresh temp folder holding `files` (relative path → text); returns its real path. */
export function makeWorkspace(files: Record<string, string | Uint8Array> = {}, prefix = 'pgperf-lsp-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  for (const [rel, text] of Object.entries(files)) writeWorkspaceFile(dir, rel, text);
  return dir;
}

export function writeWorkspaceFile(dir: string, rel: string, text: string | Uint8Array): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

export function removeWorkspace(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function sleep(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms));
}

interface Waiter {
  check(): boolean;
}

export class LspClient {
  readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  settings: Settings;
  /** Every publishDiagnostics, in arrival order, per URI. */
  readonly published = new Map<string, PublishDiagnosticsParams[]>();
  /** Every pgperf/status notification. */
  readonly statuses: StatusParams[] = [];
  readonly progress: unknown[] = [];
  readonly logs: string[] = [];
  readonly registrations: { id: string; method: string; registerOptions?: unknown }[] = [];
  readonly configurationRequests: unknown[] = [];
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  initializeResult?: InitializeResult;
  private waiters = new Set<Waiter>();
  private folders: { uri: string; name: string }[] = [];
  private closed = false;

  constructor(readonly options: ClientOptions) {
    this.settings = options.settings ?? {};
    this.proc = spawn(process.execPath, [BIN, 'lsp', '--stdio', ...(options.args ?? [])], {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    live.add(this);
    this.exited = new Promise((res) => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.notifyWaiters();
        res();
      });
    });
    this.proc.on('error', (e) => {
      this.stderr += `\n[spawn error] ${e.message}`;
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => {
      this.stderr += d;
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    });
    // Writes to a dead server's stdin must not crash the test process.
    this.proc.stdin!.on('error', () => {});
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onError(() => {});
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = this.published.get(p.uri) ?? [];
      list.push(p);
      this.published.set(p.uri, list);
      this.notifyWaiters();
    });
    this.conn.onNotification('pgperf/status', (p: StatusParams) => {
      this.statuses.push(p);
      this.notifyWaiters();
    });
    this.conn.onNotification('$/progress', (p: unknown) => {
      this.progress.push(p);
    });
    this.conn.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.conn.onNotification('window/showMessage', (p: { message: string }) => {
      this.logs.push(`[showMessage] ${p.message}`);
    });
    this.conn.onRequest('workspace/configuration', (p: { items: { section?: string; scopeUri?: string }[] }) => {
      this.configurationRequests.push(p);
      return p.items.map((item) => this.section(item.section));
    });
    this.conn.onRequest('window/workDoneProgress/create', () => null);
    this.conn.onRequest('client/registerCapability', (p: { registrations: { id: string; method: string; registerOptions?: unknown }[] }) => {
      this.registrations.push(...p.registrations);
      return null;
    });
    this.conn.onRequest('client/unregisterCapability', () => null);
    this.conn.onRequest('workspace/workspaceFolders', () => this.folders);
    this.conn.onRequest('window/showMessageRequest', () => null);
    this.conn.onRequest('workspace/applyEdit', () => ({ applied: false }));
    this.conn.onRequest('workspace/diagnostic/refresh', () => null);
    this.conn.onRequest('workspace/codeLens/refresh', () => null);
    this.conn.onRequest('workspace/inlayHint/refresh', () => null);
    this.conn.onRequest('workspace/semanticTokens/refresh', () => null);
    this.conn.listen();
  }

  static start(options: ClientOptions): LspClient {
    return new LspClient(options);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** True while the server process runs. */
  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.exitCode === null && this.exitSignal === null;
  }

  /** The value of a configuration section, as VS Code computes it from the `pgperf` object we hold. */
  private section(section: string | undefined): unknown {
    if (!section) return { pgperf: this.settings };
    if (section === 'pgperf') return this.settings;
    if (section.startsWith('pgperf.')) {
      let v: unknown = this.settings;
      for (const k of section.slice('pgperf.'.length).split('.')) {
        if (v === null || typeof v !== 'object') return null;
        v = (v as Record<string, unknown>)[k];
      }
      return v ?? null;
    }
    return null;
  }

  async initialize(rootFolder: string, timeoutMs = 10_000): Promise<InitializeResult> {
    const rootUri = fileUri(rootFolder);
    this.folders = [{ uri: rootUri, name: rootFolder.split('/').pop() || 'root' }];
    const result = await this.request<InitializeResult>(
      'initialize',
      {
        processId: process.pid,
        clientInfo: { name: 'pgperf-test-client', version: '0.0.0' },
        rootUri,
        rootPath: rootFolder,
        workspaceFolders: this.folders,
        initializationOptions: {},
        capabilities: {
          workspace: {
            configuration: true,
            workspaceFolders: true,
            applyEdit: true,
            workspaceEdit: { documentChanges: true },
            didChangeConfiguration: { dynamicRegistration: true },
            didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
          },
          textDocument: {
            synchronization: { dynamicRegistration: false, didSave: true, willSave: false },
            publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
            hover: { contentFormat: ['markdown', 'plaintext'] },
            codeAction: {
              dataSupport: true,
              isPreferredSupport: true,
              resolveSupport: { properties: ['edit'] },
              codeActionLiteralSupport: {
                codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source', 'source.fixAll', 'source.fixAll.pgperf', 'source.organizeImports'] },
              },
            },
          },
          window: { workDoneProgress: true, showMessage: {} },
          general: { positionEncodings: ['utf-16'] },
        },
      },
      timeoutMs,
    );
    this.initializeResult = result;
    this.notify('initialized', {});
    return result;
  }

  notify(method: string, params: unknown): void {
    if (this.closed) throw new Error(`notify ${method} after the client was closed`);
    void this.conn.sendNotification(method, params);
  }

  /** A request with a timeout (the error names the method and includes the server's stderr). */
  async request<T = unknown>(method: string, params: unknown, timeoutMs = 10_000): Promise<T> {
    if (this.closed) throw new Error(`request ${method} after the client was closed`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${method}: no response within ${timeoutMs} ms${this.describeProcess()}`)), timeoutMs);
    });
    const died = this.exited.then(() => {
      throw new Error(`${method}: server exited before responding${this.describeProcess()}`);
    });
    try {
      return await Promise.race([this.conn.sendRequest(method, params) as Promise<T>, timeout, died]);
    } finally {
      clearTimeout(timer);
    }
  }

  open(uri: string, text: string, version = 1, languageId = 'sql'): void {
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** Incremental change: edits with ranges (or a whole-text replacement without one). */
  change(uri: string, version: number, edits: TextDocumentContentChangeEvent[]): void {
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: edits });
  }

  close(uri: string): void {
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  /** Tells the server settings changed (after updating `settings`); the server pulls them again. */
  changeSettings(settings: Settings): void {
    this.settings = settings;
    this.notify('workspace/didChangeConfiguration', { settings: { pgperf: settings } });
  }

  /** type: 1 created, 2 changed, 3 deleted. */
  watchedFilesChanged(changes: { uri: string; type: 1 | 2 | 3 }[]): void {
    this.notify('workspace/didChangeWatchedFiles', { changes });
  }

  hover(uri: string, position: Position, timeoutMs?: number): Promise<Hover | null> {
    return this.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position }, timeoutMs);
  }

  codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<(CodeAction | Command)[] | null> {
    return this.request<(CodeAction | Command)[] | null>('textDocument/codeAction', {
      textDocument: { uri },
      range,
      context: { diagnostics, ...(only ? { only } : {}), triggerKind: 1 },
    });
  }

  /** The latest diagnostics published for `uri` (undefined if none yet). */
  latest(uri: string): PublishDiagnosticsParams | undefined {
    const list = this.published.get(uri);
    return list?.[list.length - 1];
  }

  /**
   * Resolves with the first publishDiagnostics for `uri` (the latest one already received counts) whose
   * diagnostics satisfy `predicate`; rejects after `timeoutMs` with what was last published.
   */
  waitForDiagnostics(
    uri: string,
    predicate: (diagnostics: Diagnostic[], params: PublishDiagnosticsParams) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<PublishDiagnosticsParams> {
    let seen = 0;
    return this.waitFor(
      () => {
        const list = this.published.get(uri) ?? [];
        // The latest one already received may satisfy it; then every newer one in order.
        const from = seen === 0 ? Math.max(0, list.length - 1) : seen;
        for (let i = from; i < list.length; i++) if (predicate(list[i].diagnostics, list[i])) return list[i];
        seen = list.length;
        return undefined;
      },
      timeoutMs,
      () => {
        const last = this.latest(uri);
        return `no matching publishDiagnostics for ${uri}; last published: ${
          last
            ? JSON.stringify({
                version: last.version,
                diagnostics: last.diagnostics.map((d) => ({
                  code: d.code,
                  range: d.range,
                  message: String(typeof d.message === 'string' ? d.message : d.message.value).slice(0, 80),
                })),
              })
            : 'none'
        }`;
      },
    );
  }

  /** Resolves with the first pgperf/status (from index `from`) satisfying `predicate`. */
  waitForStatus(predicate: (s: StatusParams) => boolean, timeoutMs = 10_000, from = 0): Promise<StatusParams> {
    return this.waitFor(
      () => this.statuses.slice(from).find(predicate),
      timeoutMs,
      () => `no matching pgperf/status; received: ${JSON.stringify(this.statuses.slice(-5))}`,
    );
  }

  /** Polls `get` on every message (and on exit) until it returns a value. */
  waitFor<T>(get: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((res, rej) => {
      const waiter: Waiter = {
        check: () => {
          const v = get();
          if (v !== undefined) {
            finish();
            res(v);
            return true;
          }
          if (!this.alive) {
            finish();
            rej(new Error(`server exited: ${describe()}${this.describeProcess()}`));
            return true;
          }
          return false;
        },
      };
      const timer = setTimeout(() => {
        finish();
        rej(new Error(`timed out after ${timeoutMs} ms: ${describe()}${this.describeProcess()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  private notifyWaiters() {
    for (const w of [...this.waiters]) w.check();
  }

  describeProcess(): string {
    const state = this.alive ? 'running' : `exited (code ${this.exitCode}, signal ${this.exitSignal})`;
    const err = this.stderr.trim();
    return `\n[server ${state}]${err ? `\n[server stderr]\n${err.slice(-3000)}` : ''}`;
  }

  /** shutdown + exit; kills the process if it has not exited within `timeoutMs`. Safe to call twice. */
  async shutdown(timeoutMs = 3_000): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    live.delete(this);
    if (this.alive) {
      try {
        await Promise.race([this.conn.sendRequest('shutdown'), sleep(timeoutMs), this.exited]);
        if (this.alive) void this.conn.sendNotification('exit');
      } catch {
        // the server may be gone already
      }
      await Promise.race([this.exited, sleep(timeoutMs)]);
      if (this.alive) {
        this.proc.kill('SIGKILL');
        await Promise.race([this.exited, sleep(1_000)]);
      }
    }
    this.conn.dispose();
    this.proc.stdin?.destroy();
    this.proc.stdout?.destroy();
    this.proc.stderr?.destroy();
    for (const w of [...this.waiters]) w.check();
  }
}

// ---------- text helpers ----------

/** Offset of a 0-based LSP position (UTF-16) in `text`. */
export function offsetAt(text: string, pos: Position): number {
  let line = 0;
  let i = 0;
  while (line < pos.line) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) return text.length;
    i = nl + 1;
    line++;
  }
  const lineEnd = text.indexOf('\n', i);
  const end = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(i + pos.character, end);
}

export function positionAt(text: string, offset: number): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: Math.min(offset, text.length) - lineStart };
}

export function rangeOf(text: string, start: number, end: number): Range {
  return { start: positionAt(text, start), end: positionAt(text, end) };
}

/** The text a range covers. */
export function textIn(text: string, range: Range): string {
  return text.slice(offsetAt(text, range.start), offsetAt(text, range.end));
}

/** Applies LSP TextEdits (non-overlapping, positions in the original text) to `text`. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const abs = edits
    .map((e, i) => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), newText: e.newText, i }))
    .sort((a, b) => b.start - a.start || b.end - a.end || b.i - a.i);
  let out = text;
  for (const e of abs) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** The edits of a WorkspaceEdit for one URI (from `changes` or `documentChanges`). */
export function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  if (!edit) return [];
  const out: TextEdit[] = [];
  if (edit.changes?.[uri]) out.push(...edit.changes[uri]);
  for (const dc of edit.documentChanges ?? []) {
    if ('textDocument' in dc && dc.textDocument.uri === uri) {
      for (const e of dc.edits) if ('range' in e) out.push(e as TextEdit);
    }
  }
  return out;
}

/** The URIs a WorkspaceEdit touches. */
export function urisOf(edit: WorkspaceEdit | undefined): string[] {
  if (!edit) return [];
  const s = new Set<string>(Object.keys(edit.changes ?? {}));
  for (const dc of edit.documentChanges ?? []) if ('textDocument' in dc) s.add(dc.textDocument.uri);
  return [...s];
}

export function isCodeAction(x: CodeAction | Command): x is CodeAction {
  return typeof (x as Command).command !== 'string';
}

/** A whole-document replacement expressed as one incremental edit over the full old text. */
export function replaceAll(oldText: string, newText: string): TextDocumentContentChangeEvent {
  return { range: rangeOf(oldText, 0, oldText.length), text: newText };
}

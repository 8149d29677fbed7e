/**
 * Issue 18, "stale pushes": after a didChange, the server published one more set of diagnostics computed for the
 * previous version. A client cannot tell such a push from one sent before the didChange was read (the server
 * published it in the time slice right after reading the edit, before it answered anything sent after the edit),
 * so this test runs the server in the test's process over an in-memory JSON-RPC connection and checks each
 * publishDiagnostics as it is sent: it carries the version of the document the server holds at that moment.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { createConnection } from 'vscode-languageserver/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { startServer } from '../../server/src/lsp/server';
import type { ServerState } from '../../server/src/lsp/state';
import { fileUri, makeWorkspace, removeWorkspace, replaceAll } from './client';

/**
 * A document whose analysis takes several of the scheduler's time slices, every statement new in each version
 * (the literals carry the version), so that no cached finding shortens it.
 */
const doc = (v: number) =>
  Array.from(
    { length: 600 },
    (_, k) => `SELECT id, name FROM t${k % 7} WHERE a = ${v} OR a = ${k} OR a = ${v + k} ORDER BY id LIMIT 10 OFFSET ${v * 1000 + k};`,
  ).join('\n') + '\n';

interface Sent {
  params: PublishDiagnosticsParams;
  /** The version of the document the server held when it sent them. */
  current: number | undefined;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The server in this process: a client connection to it, and every publishDiagnostics as the server sent it. */
async function inProcess(root: string) {
  const up = new PassThrough();
  const down = new PassThrough();
  // Reader and writer objects, not streams: with streams, the library ends the process when they close.
  const server = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
  const sent: Sent[] = [];
  const send = server.sendDiagnostics.bind(server);
  server.sendDiagnostics = (params) => {
    // Called only once the server runs (after `state` is set below).
    sent.push({ params, current: state.documents.get(params.uri)?.version });
    return send(params);
  };
  const state: ServerState = startServer(server);
  const client: MessageConnection = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const received: PublishDiagnosticsParams[] = [];
  const listeners = new Set<() => void>();
  client.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  client.onRequest('client/registerCapability', () => null);
  client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    received.push(p);
    for (const l of [...listeners]) l();
  });
  /** Resolved by the next 'ready' status (the end of the scan; the idle server after the last edit). */
  let ready!: () => void;
  let nextReady = new Promise<void>((r) => (ready = r));
  client.onNotification('pgperf/status', (p: { state: string }) => {
    if (p.state !== 'ready') return;
    ready();
    nextReady = new Promise<void>((r) => (ready = r));
  });
  client.listen();
  cleanups.push(() => {
    client.dispose();
    server.dispose();
  });
  await client.sendRequest('initialize', {
    processId: null,
    rootUri: fileUri(root),
    workspaceFolders: [{ uri: fileUri(root), name: 'root' }],
    capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
  });
  void client.sendNotification('initialized', {});
  await nextReady;
  /** Resolves with the time the diagnostics of version `v` of `uri` arrive, or undefined after `ms`. */
  const arrival = (uri: string, v: number, ms: number) =>
    new Promise<number | undefined>((res) => {
      const check = () => {
        if (received.some((p) => p.uri === uri && p.version === v)) done(performance.now());
      };
      const timer = setTimeout(() => done(undefined), ms);
      const done = (t: number | undefined) => {
        clearTimeout(timer);
        listeners.delete(check);
        res(t);
      };
      listeners.add(check);
      check();
    });
  return { client, sent, arrival, idle: () => nextReady };
}

describe('lsp: no stale diagnostics', () => {
  it('every publishDiagnostics carries the version of the document the server holds when it sends them', async () => {
    const root = makeWorkspace();
    cleanups.push(() => removeWorkspace(root));
    const { client, sent, arrival, idle } = await inProcess(root);
    const u = fileUri(`${root}/big.sql`);
    let version = 1;
    let text = doc(version);
    void client.sendNotification('textDocument/didOpen', { textDocument: { uri: u, languageId: 'sql', version, text } });
    await arrival(u, 1, 30_000);
    const edit = () => {
      const next = doc(++version);
      void client.sendNotification('textDocument/didChange', { textDocument: { uri: u, version }, contentChanges: [replaceAll(text, next)] });
      text = next;
      return performance.now();
    };

    // A stale push needs an edit read during the last time slice of the previous edit's analysis, so each edit is
    // sent at another fraction of how long an analysis takes, measured as it goes (no assertion reads a time: a
    // fast or slow machine only moves where the edits land).
    let analysisMs = 0;
    for (let i = 0; i < 3; i++) {
      const at = edit();
      analysisMs = Math.max(analysisMs, ((await arrival(u, version, 30_000)) ?? at) - at);
    }
    const edits = 90;
    for (let i = 0; i < edits; i++) {
      const at = edit();
      const done = await arrival(u, version, analysisMs * (0.6 + (0.5 * ((i * 7) % 30)) / 30));
      if (done !== undefined) analysisMs = 0.7 * analysisMs + 0.3 * (done - at);
    }
    expect(await arrival(u, version, 30_000), `the last version (${version}) is published`).toBeDefined();
    // The status it sends once idle comes after the last publish; the connections close after it.
    await idle();

    const ours = sent.filter((s) => s.params.uri === u);
    const versions = ours.map((s) => s.params.version);
    expect(versions.every((v) => typeof v === 'number')).toBe(true);
    expect(
      versions.every((v, i) => i === 0 || v! >= versions[i - 1]!),
      `versions in order: ${versions.join(' ')}`,
    ).toBe(true);
    const stale = ours.filter((s) => s.params.version !== s.current).map((s) => `v${s.params.version} sent while the document was v${s.current}`);
    expect(stale, `${stale.length} stale of ${ours.length} publishes after ${edits + 3} edits`).toEqual([]);
  }, 120_000);
});

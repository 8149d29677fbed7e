// A minimal LSP client for the benchmarks: spawns the built server (`node bin/pgperf.js lsp --stdio`) over stdio,
// records diagnostics and pgperf/status notifications, answers the server's requests, and reads the server's memory
// from /proc. Used by bench/lsp.mjs and bench/big-workspace.mjs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const bin = join(root, 'bin/pgperf.js');

export const round = (x, d = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A minimal LSP client on a spawned server: records diagnostics and status, answers the server's requests. */
export function startServer(cwd, settings = {}) {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [bin, 'lsp', '--stdio'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  proc.stdin.on('error', () => {});
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  conn.onError(() => {});
  const listeners = new Set();
  const emit = (ev) => {
    for (const l of [...listeners]) l(ev);
  };
  const published = new Map(); // uri → first-publish time
  const statuses = [];
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    const t = performance.now();
    if (!published.has(p.uri)) published.set(p.uri, t);
    emit({ type: 'diagnostics', params: p, t });
  });
  conn.onNotification('pgperf/status', (p) => {
    statuses.push({ ...p, t: performance.now() });
    emit({ type: 'status', params: p, t: performance.now() });
  });
  conn.onRequest('workspace/configuration', (p) => p.items.map((i) => (i.section === 'pgperf' ? settings : null)));
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  proc.on('exit', () => emit({ type: 'exit' }));
  const until = (pred, timeoutMs, what) =>
    new Promise((res, rej) => {
      const timer = setTimeout(() => {
        listeners.delete(l);
        rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${stderr}`));
      }, timeoutMs);
      const l = (ev) => {
        if (ev.type === 'exit') {
          clearTimeout(timer);
          listeners.delete(l);
          rej(new Error(`server exited while waiting for ${what}\n${stderr}`));
        } else if (pred(ev)) {
          clearTimeout(timer);
          listeners.delete(l);
          res(ev);
        }
      };
      listeners.add(l);
    });
  const initialize = async (folder) => {
    const rootUri = pathToFileURL(folder).href;
    const r = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
        },
        textDocument: { synchronization: {}, publishDiagnostics: { versionSupport: true } },
        window: { workDoneProgress: true },
      },
    });
    void conn.sendNotification('initialized', {});
    return r;
  };
  const vmStatus = () => {
    const s = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssMB: round(kb('VmRSS') / 1024), peakMB: round(kb('VmHWM') / 1024) };
  };
  const stop = async () => {
    try {
      await Promise.race([conn.sendRequest('shutdown'), sleep(3000)]);
      void conn.sendNotification('exit');
    } catch {
      // The server may be gone already; the wait below and SIGKILL end it either way.
    }
    await Promise.race([new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r))), sleep(3000)]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    conn.dispose();
  };
  return { t0, proc, conn, until, initialize, published, statuses, vmStatus, stop, stderr: () => stderr };
}

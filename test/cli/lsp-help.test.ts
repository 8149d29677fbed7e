/**
 * `pgperf lsp --stdio --help` (the built bin in a child process) prints lsp's usage and exits 0, like every other
 * command's --help, instead of starting the language server; without --help, `lsp --stdio` still starts the
 * server (it answers initialize).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClients, LspClient } from '../lsp/client';
import { BIN, env, type Run } from './spawn-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-lsp-help-'));
});
afterAll(async () => {
  await closeAllClients();
});

/**
 * The CLI with a pipe for stdin that is never written nor closed: a server started by mistake waits on it, so the
 * run is killed after `ms` (code null) rather than passing on a server that happened to exit at end of input.
 */
function runHeld(args: string[], ms = 10_000): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out, err });
    });
  });
}

describe('pgperf lsp --stdio --help', () => {
  it.each([[['lsp', '--stdio', '--help']], [['lsp', '--stdio', '-h']], [['lsp', '--help', '--stdio']], [['lsp', '-h', '--stdio']]])(
    "%j: lsp's usage on stdout, exit 0, no server started",
    async (args) => {
      const r = await runHeld(args);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(/^Usage:\n {2}pgperf lsp --stdio {2,}Run the language server over stdio/);
      // lsp's page only, not the whole help
      expect(r.out).not.toContain('pgperf lint');
      // no LSP framing on stdout
      expect(r.out).not.toContain('Content-Length');
    },
  );

  it('without --help, lsp --stdio starts the language server', async () => {
    const client = new LspClient({ cwd: dir });
    const init = await client.initialize(dir);
    expect(init.capabilities).toBeDefined();
    await client.shutdown();
  }, 30_000);
});

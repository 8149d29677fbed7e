/** Long-running helper processes of the e2e suites (VS Code servers), each in its own process group. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';

export interface Service {
  readonly url: string;
  readonly log: string;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts `command args` in a process group of its own (so its children go with it), logs to `log`, and waits
 * until `url` answers HTTP. Fails with the process's output when it exits or does not answer in time.
 */
export async function startService(
  command: string,
  args: string[],
  opts: { url: string; log: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Service> {
  mkdirSync(dirname(opts.log), { recursive: true });
  const logStream = createWriteStream(opts.log);
  let output = '';
  const child: ChildProcess = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (const s of [child.stdout!, child.stderr!]) {
    s.on('data', (b: Buffer) => {
      output += b.toString();
      logStream.write(b);
    });
  }
  let running = true;
  void exited.then(() => (running = false));

  const stop = async (): Promise<void> => {
    if (running) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      if (!killed) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await exited;
      }
    }
    logStream.end();
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (!running) {
      await stop();
      throw new Error(`${command} exited before ${opts.url} answered:\n${output.slice(-4000)}`);
    }
    try {
      const res = await fetch(opts.url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${opts.url} did not answer within ${opts.timeoutMs ?? 60_000} ms:\n${output.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { url: opts.url, log: opts.log, output: () => output, stop };
}

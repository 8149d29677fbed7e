/**
 * A private PostgreSQL cluster for a test file: initdb into a temporary folder, a free port on 127.0.0.1, the
 * settings the test needs (shared_preload_libraries, …), started with pg_ctl and removed by `stop()`. It never
 * touches another server. The binaries are PostgreSQL 15's (PGPERF_TEST_PG_BIN overrides the folder); when they
 * are missing or the cluster does not start, the test fails with the reason: it is never skipped.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.PGPERF_TEST_PG_BIN || '/usr/lib/postgresql/15/bin';

export interface PrivateCluster {
  port: number;
  dataDir: string;
  /** postgres://user@127.0.0.1:port/database (trust authentication: no password). */
  url(user?: string, database?: string): string;
  /** Writes settings to postgresql.auto.conf's neighbour and restarts the server. */
  restart(settings?: Record<string, string>): void;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** initdb and postgres refuse to run as root: then they run as the postgres user, who owns the folder. */
function asServerUser(cmd: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  const file = root ? 'runuser' : cmd;
  const argv = root ? ['-u', 'postgres', '--', cmd, ...args] : args;
  try {
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr || err.stdout || err.message}`, { cause: e });
  }
}

function settingsText(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'\n`)
    .join('');
}

export async function startPrivateCluster(settings: Record<string, string> = {}): Promise<PrivateCluster> {
  if (!existsSync(join(BIN, 'initdb')))
    throw new Error(`PostgreSQL binaries not found in ${BIN} (PGPERF_TEST_PG_BIN): these tests need them and are not skipped`);
  const root = mkdtempSync(join(tmpdir(), 'pgperf-pg-'));
  const dataDir = join(root, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  const port = await freePort();
  asServerUser(join(BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const conf = join(dataDir, 'postgresql.conf');
  const base = { listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: root, fsync: 'off', ...settings };
  appendFileSync(conf, `\n# pgperf test cluster\n${settingsText(base)}`);
  const original = readFileSync(conf, 'utf8');
  const pgCtl = (...args: string[]) => asServerUser(join(BIN, 'pg_ctl'), ['-D', dataDir, '-l', join(root, 'server.log'), '-w', '-t', '60', ...args]);
  try {
    pgCtl('start');
  } catch (e) {
    const log = existsSync(join(root, 'server.log')) ? readFileSync(join(root, 'server.log'), 'utf8') : '';
    rmSync(root, { recursive: true, force: true });
    throw new Error(`the private PostgreSQL cluster did not start: ${(e as Error).message}\n${log}`, { cause: e });
  }
  let stopped = false;
  return {
    port,
    dataDir,
    url: (user = 'postgres', database = 'postgres') => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`,
    restart(more = {}) {
      writeFileSync(conf, `${original}${settingsText(more)}`);
      pgCtl('restart', '-m', 'fast');
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        pgCtl('stop', '-m', 'immediate');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

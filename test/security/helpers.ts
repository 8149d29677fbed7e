/**
 * Shared by the attack tests of pgperf's promise "EXPLAIN (ANALYZE) never leaves a change behind"
 * (explain-attacks.test.ts: the explain() API; explain-cli-attacks.test.ts: the spawned CLI).
 *
 * `Victims` creates, in a schema of its own, the things an attack would change and reads them all back in one
 * `state()`: the rows of a victim table, a log table (rows committed behind the transaction's back, by dblink),
 * a sequence, advisory locks, replication slots, roles, files written by lo_export and a victim backend. The tests
 * compare the state after every attempt with the state before it; `restore()` puts everything back between tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { openPostgres } from '../../database/connection/postgres';
import type { Database } from '../../database/connection/types';
import { BIN, env } from '../cli/spawn-cli';
import { q, sleep, TEST_URL, uniqueSchema } from '../db/helpers';

export { q, uniqueSchema };

/** What explain() hands its confirm callback (declared here so that the tests read it without a cast). */
export interface ConfirmRequest {
  analyze: boolean;
  reasons: string[];
  irreversible: string[];
}

/** A confirm callback that records every request and answers with `answer`. */
export function confirmer(answer: (r: ConfirmRequest) => boolean) {
  const calls: ConfirmRequest[] = [];
  const confirm = async (r: ConfirmRequest) => {
    calls.push(r);
    return answer(r);
  };
  return { calls, confirm };
}

/** The request's effects a rollback cannot undo (empty when the field is missing). */
export function irreversibleOf(r: { irreversible?: unknown } | undefined): string[] {
  return Array.isArray(r?.irreversible) ? (r.irreversible as string[]) : [];
}

/** The reasons of an ExplainRefused (empty for another error). */
export function reasonsOf(err: unknown): string[] {
  const reasons = (err as { reasons?: unknown } | undefined)?.reasons;
  return Array.isArray(reasons) ? (reasons as string[]) : [];
}

/** How a promise settled: the value or the error, never a throw. */
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A standard SQL literal (for set-up statements; the admin connection has standard_conforming_strings on). */
export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export async function exec(db: Database, statements: string[]): Promise<void> {
  for (const sql of statements) await q(db, sql);
}

export async function rows(db: Database, sql: string, params?: unknown[]): Promise<Record<string, unknown>[]> {
  return (await q(db, sql, params)).rows;
}

/** Polls `check` until it returns true; fails with `what` after `ms`. */
export async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The test server's URL with another user, database, application_name or libpq `options`. */
export function serverUrl(app: string, o: { user?: string; database?: string; options?: string } = {}): string {
  const u = new URL(TEST_URL);
  if (o.user) u.username = o.user;
  if (o.database) u.pathname = `/${o.database}`;
  u.searchParams.set('application_name', app);
  if (o.options) u.searchParams.set('options', o.options);
  return u.toString();
}

/** A libpq keyword/value connection string to the test server (for dblink, from inside the server). */
function libpqConninfo(extra: Record<string, string> = {}): string {
  const u = new URL(TEST_URL);
  const kv: Record<string, string> = {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port || '5432',
    dbname: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'test',
    user: decodeURIComponent(u.username) || 'postgres',
    ...extra,
  };
  if (u.password) kv.password = decodeURIComponent(u.password);
  return Object.entries(kv)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** The advisory lock key the attacks take: pg_advisory_lock(ADVISORY_CLASS, process.pid). */
export const ADVISORY_CLASS = 4242;

export interface VictimsOptions {
  /** dblink installed (in the schema), and touch() also inserts into the log over a dblink loopback connection. */
  dblink?: boolean;
  /** A large object to lo_export, and the check that the server writes into this machine's /tmp. */
  largeObject?: boolean;
  /** A backend of its own (running pg_sleep) that the attacks try to terminate or cancel. */
  victimBackend?: boolean;
}

export type State = Record<string, unknown>;

/**
 * The victims of one test file, on the PostgreSQL server (kind 'postgres', `admin` a superuser connection) or on
 * embedded PGlite (kind 'embedded': one backend, no slots, roles or files to watch).
 */
export class Victims {
  /** Also the schema, the prefix of every name the attacks could create (slots, roles, files, applications). */
  readonly prefix: string;
  readonly schema: string;
  readonly victim: string;
  readonly log: string;
  readonly seq: string;
  /** The application_name of the pgperf connections under test. */
  readonly app: string;
  readonly victimApp: string;
  readonly dblinkApp: string;
  readonly slot: string;
  readonly pwnedRole: string;
  readonly advisoryKey = process.pid;
  /** lo_export writes here (the server's /tmp must be this machine's /tmp: checked in setup). */
  readonly filePrefix: string;
  loOid = 0;
  dblinkSchema = '';
  private victimClient: pg.Client | undefined;
  private createdDblink = false;

  constructor(
    readonly admin: Database,
    readonly kind: 'postgres' | 'embedded',
    readonly options: VictimsOptions = {},
    prefix = uniqueSchema('pgperf_sec'),
  ) {
    this.prefix = prefix;
    this.schema = prefix;
    this.victim = `${prefix}.victim`;
    this.log = `${prefix}.log`;
    this.seq = `${prefix}.seq`;
    this.app = `${prefix}_pgperf`;
    this.victimApp = `${prefix}_victim`;
    this.dblinkApp = `${prefix}_dblink`;
    this.slot = `${prefix}_slot`;
    this.pwnedRole = `${prefix}_pwned`;
    this.filePrefix = join('/tmp', `${prefix}_`);
  }

  /** The connection string dblink uses to reach the test database from inside the server. */
  get dblinkConn(): string {
    return libpqConninfo();
  }

  /** SQL expressions, one per non-transactional effect, for the evil functions and the direct calls. */
  get effects(): Record<string, string> {
    const e: Record<string, string> = {
      setval: `setval(${lit(this.seq)}, 4242)`,
      pg_advisory_lock: `pg_advisory_lock(${ADVISORY_CLASS}, ${this.advisoryKey})`,
    };
    if (this.kind === 'embedded') return e;
    if (this.options.dblink) {
      e.dblink_exec = `${this.dblinkSchema}.dblink_exec(${lit(this.dblinkConn)}, ${lit(`insert into ${this.log} values ('dblink_exec')`)})`;
    }
    if (this.options.victimBackend) {
      e.pg_terminate_backend = `pg_terminate_backend((select pid from pg_stat_activity where application_name = ${lit(this.victimApp)}))`;
    }
    e.pg_create_physical_replication_slot = `pg_create_physical_replication_slot(${lit(this.slot)})`;
    if (this.options.largeObject) e.lo_export = `lo_export(${this.loOid}, ${lit(this.file('lo_export'))})`;
    return e;
  }

  file(tag: string): string {
    return `${this.filePrefix}${tag}`;
  }

  async setup(): Promise<void> {
    const s = this.schema;
    await exec(this.admin, [
      `DROP SCHEMA IF EXISTS ${s} CASCADE`,
      `CREATE SCHEMA ${s}`,
      `CREATE TABLE ${this.victim} (id int PRIMARY KEY, v int NOT NULL, name text NOT NULL, doc jsonb NOT NULL)`,
      `CREATE TABLE ${this.log} (what text)`,
      `CREATE SEQUENCE ${this.seq}`,
    ]);
    if (this.kind === 'postgres' && this.options.dblink) {
      const existing = await rows(this.admin, "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink'");
      if (existing.length) this.dblinkSchema = String(existing[0].nspname);
      else {
        await q(this.admin, `CREATE EXTENSION dblink SCHEMA ${s}`);
        this.dblinkSchema = s;
        this.createdDblink = true;
      }
      // The loopback connection must work (trust authentication), or the dblink attacks would prove nothing.
      await q(this.admin, `SELECT ${this.dblinkSchema}.dblink_exec(${lit(this.dblinkConn)}, ${lit(`insert into ${this.log} values ('probe')`)})`);
      expect(await rows(this.admin, `SELECT what FROM ${this.log}`)).toEqual([{ what: 'probe' }]);
    }
    if (this.kind === 'postgres' && this.options.largeObject) {
      this.loOid = Number((await rows(this.admin, "SELECT lo_from_bytea(0, convert_to('written by lo_export', 'UTF8'))::int AS oid"))[0].oid);
      // The server must write where this process looks (same /tmp: no PrivateTmp, same machine).
      const probe = this.file('probe');
      await q(this.admin, `SELECT lo_export(${this.loOid}, ${lit(probe)})`);
      if (!existsSync(probe)) {
        throw new Error(
          `lo_export(${probe}) succeeded on the server but the file is not visible here (PrivateTmp or another machine): the lo_export attacks would prove nothing`,
        );
      }
      unlinkSync(probe);
    }
    // touch(): the side effect the hidden calls below perform. SECURITY DEFINER, so that it also works for the
    // unprivileged roles of the tests.
    const touchBody = [
      `PERFORM setval(${lit(this.seq)}, 4242);`,
      this.kind === 'embedded' ? `PERFORM pg_advisory_lock(${ADVISORY_CLASS}, ${this.advisoryKey});` : '',
      this.options.dblink ? `PERFORM ${this.effects.dblink_exec};` : '',
    ].join(' ');
    await exec(this.admin, [
      `CREATE FUNCTION ${s}.touch() RETURNS int LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $f$ BEGIN ${touchBody} RETURN 1; END $f$`,
      `CREATE FUNCTION ${s}.touch_imm(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $f$ BEGIN PERFORM ${s}.touch(); RETURN x; END $f$`,
      `CREATE FUNCTION ${s}.touch_stable(x int) RETURNS int LANGUAGE plpgsql STABLE AS $f$ BEGIN PERFORM ${s}.touch(); RETURN x; END $f$`,
    ]);
    await this.restore();
  }

  /** Everything an attack could have changed. Compare the state after an attempt with the state before it. */
  async state(): Promise<State> {
    const p = lit(this.prefix);
    const parts = [
      `(SELECT json_build_object('rows', count(*)::int, 'digest', md5(coalesce(string_agg(id || ':' || v || ':' || name || ':' || doc::text, ',' ORDER BY id), '')))
          FROM ${this.victim}) AS victim`,
      `(SELECT count(*)::int FROM ${this.log}) AS log`,
      `(SELECT json_build_object('last_value', last_value, 'is_called', is_called) FROM ${this.seq}) AS sequence`,
    ];
    if (this.kind === 'embedded') {
      // One backend: every advisory lock in pg_locks is one the embedded database keeps.
      parts.push(`(SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory') AS "advisoryLocks"`);
    } else {
      parts.push(
        `(SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND classid = ${ADVISORY_CLASS} AND objid = ${this.advisoryKey}) AS "advisoryKey"`,
        `(SELECT count(*)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND starts_with(a.application_name, ${p})) AS "advisoryLocksOfOurBackends"`,
        `(SELECT coalesce(json_agg(slot_name ORDER BY slot_name), '[]') FROM pg_replication_slots WHERE starts_with(slot_name::text, ${p})) AS slots`,
        `(SELECT coalesce(json_agg(rolname ORDER BY rolname), '[]') FROM pg_roles WHERE starts_with(rolname::text, ${lit(this.pwnedRole)})) AS roles`,
        `(SELECT count(*)::int FROM pg_stat_activity WHERE application_name = ${lit(this.dblinkApp)}) AS "dblinkBackends"`,
      );
      if (this.options.victimBackend) {
        parts.push(
          `(SELECT coalesce(json_agg(state ORDER BY pid), '[]') FROM pg_stat_activity WHERE application_name = ${lit(this.victimApp)}) AS "victimBackend"`,
        );
      }
    }
    const state: State = (await rows(this.admin, `SELECT ${parts.join(',\n')}`))[0];
    if (this.kind === 'postgres') state.files = this.files();
    return state;
  }

  /** Files an attack left in /tmp under this file's prefix. */
  files(): string[] {
    const base = this.filePrefix.slice('/tmp/'.length);
    return readdirSync('/tmp')
      .filter((f) => f.startsWith(base))
      .sort();
  }

  /** Undoes whatever a (failed) test changed, so that the next test starts from the same state. */
  async restore(): Promise<void> {
    const s = this.schema;
    const p = lit(this.prefix);
    if (this.kind === 'embedded') {
      await q(this.admin, 'SELECT pg_advisory_unlock_all()');
    } else {
      // Backends still holding what an attack took: pgperf connections with an advisory lock, the holders of
      // the attack's key, dblink connections an attack left open. (Never the admin or the victim backend.)
      const stale = `SELECT a.pid FROM pg_stat_activity a
        WHERE a.pid <> pg_backend_pid() AND a.application_name IS DISTINCT FROM ${lit(this.victimApp)}
          AND (a.application_name = ${lit(this.dblinkApp)}
               OR a.pid IN (SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory'
                             AND ((l.classid = ${ADVISORY_CLASS} AND l.objid = ${this.advisoryKey}) OR starts_with(a.application_name, ${p}))))`;
      await q(this.admin, `SELECT pg_terminate_backend(pid) FROM (${stale}) x`);
      await waitFor(async () => (await rows(this.admin, stale)).length === 0, 10_000, 'the backends an attack left behind to end');
      await q(this.admin, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE starts_with(slot_name::text, ${p}) AND NOT active`);
      for (const r of await rows(this.admin, `SELECT rolname FROM pg_roles WHERE starts_with(rolname::text, ${lit(this.pwnedRole)})`)) {
        await q(this.admin, `DROP ROLE IF EXISTS ${String(r.rolname)}`);
      }
      for (const f of this.files()) unlinkSync(join('/tmp', f));
    }
    await exec(this.admin, [
      `DELETE FROM ${this.victim}`,
      `INSERT INTO ${this.victim} SELECT g, g * 10, 'Name ' || g, jsonb_build_object('a', g, 'tags', jsonb_build_array('x', g)) FROM generate_series(1, 20) g`,
      `DELETE FROM ${this.log}`,
      `SELECT setval(${lit(this.seq)}, 1, false)`,
      `ANALYZE ${s}.victim`,
    ]);
    if (this.options.victimBackend) await this.ensureVictimBackend();
  }

  /** The victim backend, running a long pg_sleep (so that pg_cancel_backend is visible: it turns idle). */
  private async ensureVictimBackend(): Promise<void> {
    const states = async () => (await rows(this.admin, 'SELECT state FROM pg_stat_activity WHERE application_name = $1', [this.victimApp])).map((r) => r.state);
    const now = await states();
    if (now.length === 1 && now[0] === 'active') return;
    await this.stopVictimBackend();
    const client = new pg.Client({ connectionString: TEST_URL, application_name: this.victimApp });
    client.on('error', () => {});
    await client.connect();
    client.query('SELECT pg_sleep(3600)').catch(() => {});
    this.victimClient = client;
    await waitFor(
      async () => {
        const st = await states();
        return st.length === 1 && st[0] === 'active';
      },
      10_000,
      'the victim backend to run',
    );
  }

  private async stopVictimBackend(): Promise<void> {
    await q(this.admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [this.victimApp]);
    await this.victimClient?.end().catch(() => {});
    this.victimClient = undefined;
  }

  async teardown(): Promise<void> {
    if (this.kind === 'postgres') {
      await this.restore().catch(() => undefined);
      await this.stopVictimBackend().catch(() => undefined);
      if (this.loOid) await q(this.admin, `SELECT lo_unlink(${this.loOid})`).catch(() => undefined);
    }
    await q(this.admin, `DROP SCHEMA IF EXISTS ${this.schema} CASCADE`).catch(() => undefined);
    if (this.createdDblink) await q(this.admin, 'DROP EXTENSION IF EXISTS dblink').catch(() => undefined);
  }
}

/** A superuser connection of the test server (its own application_name), proved reachable. */
export async function openAdmin(prefix: string, database?: string): Promise<Database> {
  const db = openPostgres(serverUrl(`${prefix}_admin`, database ? { database } : {}));
  try {
    await db.serverVersion();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new Error(`the PostgreSQL test server is unreachable (${TEST_URL}): ${(err as Error).message}. These tests need it and are not skipped.`, {
      cause: err,
    });
  }
  return db;
}

// ---------------------------------------------------------------------------------------------------------------
// The CLI

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Spawns the built CLI (stdin not a TTY); `exit` resolves when it ends. The caller may signal `child`. */
export function startCli(args: string[], cwd: string, extra: Record<string, string> = {}): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<Exit>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, out, err }));
  });
  return { child, exit };
}

/** Fails when dist/cli.js is older than a source file: the CLI tests would test yesterday's code. */
export function assertFreshBuild(): void {
  const root = resolve(__dirname, '../..');
  const bundle = join(root, 'dist', 'cli.js');
  if (!existsSync(bundle)) throw new Error('dist/cli.js is missing: run `node build.mjs` first');
  const built = statSync(bundle).mtimeMs;
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && statSync(p).mtimeMs > built) stale.push(p.slice(root.length + 1));
    }
  };
  walk(join(root, 'server', 'src'));
  walk(join(root, 'client', 'src'));
  if (stale.length) throw new Error(`dist/cli.js is older than ${stale.slice(0, 3).join(', ')}: run \`node build.mjs\` first`);
}

/** Races `p` against a timer: the value, or `undefined` after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

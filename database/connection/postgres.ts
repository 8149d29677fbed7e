/**
 * A PostgreSQL server through a `pg` Pool. Errors become DatabaseError: connection refused/terminated →
 * 'connection', 57014 → 'timeout' (statement_timeout) or 'cancelled' (pg_cancel_backend), everything else 'sql'
 * with the SQLSTATE. A connection the server dropped (pg_terminate_backend, restart) is discarded, and the next
 * `session()` opens a fresh one.
 */
import pg from 'pg';
import type { ClientConfig, PoolClient, QueryResult as PgQueryResult } from 'pg';
import { connectionConfig, DEFAULT_POOL_SIZE, profileLabel, SSL_MODES, sslOption, type ConnectionProfile, type SslMode } from './profiles';
import { DatabaseError, type Database, type QueryResult, type Session } from './types';
import { withSession } from './session';

/** The tuning guide's pool size for an application server: `cores × 2 + effective spindle count` (SSD: 1). */
export function poolSizeAdvice(cores: number, spindles: number): number {
  if (!Number.isInteger(cores) || cores < 1) throw new RangeError('cores must be a positive integer');
  if (!Number.isInteger(spindles) || spindles < 0) throw new RangeError('spindles must be a non-negative integer');
  return cores * 2 + spindles;
}

/** The guide rounds the advice up to a multiple of 5 (17 → 20, 33 → 35, 10 → 10). */
export function roundedPoolSize(size: number): number {
  return Math.ceil(size / 5) * 5;
}

/** "pool size 20: (8 cores × 2) + 1 spindle = 17, rounded up" — the text the UI shows beside a profile. */
export function poolSizeAdviceText(cores: number, spindles: number): string {
  const size = poolSizeAdvice(cores, spindles);
  const rounded = roundedPoolSize(size);
  const formula = `(${cores} core${cores === 1 ? '' : 's'} × 2) + ${spindles} spindle${spindles === 1 ? '' : 's'} = ${size}`;
  return rounded === size ? `pool size ${size}: ${formula}` : `pool size ${rounded}: ${formula}, rounded up`;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

const TIMEOUT_MESSAGE = 'canceling statement due to statement timeout';
const CONNECTION_CODES = /^(08|57P0[1-4]|28|3D000|53300)/; // connection exceptions, admin/crash shutdown, auth, no db, too many
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT', // unix socket missing
]);

interface PgLikeError {
  message?: string;
  code?: string;
  errors?: unknown[];
}

function errnoOf(err: PgLikeError): string | undefined {
  if (err.code && CONNECTION_ERRNOS.has(err.code)) return err.code;
  if (Array.isArray(err.errors)) {
    for (const e of err.errors) {
      const code = (e as PgLikeError | null)?.code;
      if (code && CONNECTION_ERRNOS.has(code)) return code;
    }
  }
  return undefined;
}

function messageOf(err: PgLikeError): string {
  if (err.message) return err.message;
  if (Array.isArray(err.errors) && err.errors.length > 0) {
    return err.errors.map((e) => (e as PgLikeError | null)?.message ?? String(e as string)).join('; ');
  }
  return err.code ? `error ${err.code}` : err instanceof Error ? err.name : 'unknown error (no message)';
}

/** Maps an error from `pg` (or the socket under it) to a DatabaseError. `where` names the server for messages. */
export function toDatabaseError(err: unknown, where: string, connecting = false): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as PgLikeError;
  const message = messageOf(e);
  const sqlstate = e.code && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const errno = errnoOf(e);
  if (sqlstate === '57014') {
    return message.includes(TIMEOUT_MESSAGE)
      ? new DatabaseError('timeout', `${message} (on ${where})`, sqlstate, { cause: err })
      : new DatabaseError('cancelled', message, sqlstate, { cause: err });
  }
  if (errno) {
    const hint = errno === 'ECONNREFUSED' ? ' — is the server running and accepting TCP connections?' : '';
    return new DatabaseError('connection', `cannot reach ${where}: ${message}${hint}`, undefined, { cause: err });
  }
  if (sqlstate && CONNECTION_CODES.test(sqlstate)) {
    const verb = connecting ? 'cannot connect to' : 'lost the connection to';
    return new DatabaseError('connection', `${verb} ${where}: ${message}`, sqlstate, { cause: err });
  }
  if (!sqlstate && (connecting || /Connection terminated|not queryable|connection (is )?closed|socket/i.test(message))) {
    const verb = connecting ? 'cannot connect to' : 'lost the connection to';
    return new DatabaseError('connection', `${verb} ${where}: ${message}`, undefined, { cause: err });
  }
  if (sqlstate) return new DatabaseError('sql', message, sqlstate, { cause: err });
  // An error of ours or of the driver (e.g. a bad parameter value): not from the server.
  return new DatabaseError('sql', message, undefined, { cause: err });
}

// ---------------------------------------------------------------------------------------------------------------
// Connection strings

interface Target {
  config: ClientConfig & { max: number };
  label: string;
  /** libpq `prefer`: TLS first, plain when the server refuses TLS. */
  prefer: boolean;
}

const URL_START = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Splits `scheme://user-info@rest` at the LAST "@": a password may hold an unencoded "@", a host never does. The
 * user-info is decoded here and never handed to the URL parser, so that nothing built from the parsed URL — host,
 * port, path, label, error message — can contain it, whatever the parser makes of a malformed string (for
 * `postgres://admin:2024/Secret@host/db` WHATWG URL takes "2024" for the port and "Secret@host/db" for the path).
 */
function splitUserInfo(url: string, name: string): { scheme: string; userInfo: string | undefined; rest: string } {
  const m = URL_START.exec(url.trim());
  if (!m) throw new DatabaseError('connection', `${name} is not a postgres:// URL`);
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new DatabaseError('connection', `${name} must start with postgres:// (got ${scheme}://)`);
  }
  const after = url.trim().slice(m[0].length);
  const at = after.lastIndexOf('@');
  if (at < 0) return { scheme, userInfo: undefined, rest: after };
  const userInfo = after.slice(0, at);
  // Before the last "@" there can only be user:password; a "/", "?" or "#" there means the URL does not say where
  // the host starts (libpq and URL parsers would each guess differently): refuse it, quoting none of it.
  if (/[/?#]/.test(userInfo)) {
    throw new DatabaseError(
      'connection',
      `${name}: not of the form postgres://user:password@host:port/database (a "/", "?" or "#" comes before its last "@"): ` +
        'percent-encode them in the user name and password (/ as %2F, ? as %3F, # as %23, @ as %40)',
    );
  }
  return { scheme, userInfo, rest: after.slice(at + 1) };
}

function decodeUserInfo(userInfo: string | undefined, name: string): { user?: string; password?: string } {
  if (userInfo === undefined) return {};
  const colon = userInfo.indexOf(':');
  const rawUser = colon < 0 ? userInfo : userInfo.slice(0, colon);
  const rawPassword = colon < 0 ? '' : userInfo.slice(colon + 1);
  try {
    return {
      ...(rawUser ? { user: decodeURIComponent(rawUser) } : {}),
      ...(rawPassword ? { password: decodeURIComponent(rawPassword) } : {}),
    };
  } catch {
    throw new DatabaseError('connection', `${name}: the user name or password has a malformed percent-encoding (write "%" as %25)`);
  }
}

/** "port … is not a number" when that is why `host[:port]` did not parse; the text quoted is the host part's only. */
function hostPartError(rest: string, name: string): DatabaseError {
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(authority)?.[1];
  if (port && !isPort(port)) return badPort(port, name);
  return new DatabaseError('connection', `${name}: the host part "${authority}" is not host[:port]`);
}

function isPort(port: string): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

function badPort(port: string, name: string): DatabaseError {
  return new DatabaseError('connection', `${name}: port "${port}" is not a number from 1 to 65535`);
}

function checkedPort(port: string, name: string): number | undefined {
  if (port === '') return undefined;
  if (!isPort(port)) throw badPort(port, name);
  return Number(port);
}

/** The percent-decoded host or database name (from after the user-info: safe to quote). */
function decoded(text: string, name: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new DatabaseError('connection', `${name}: "${text}" has a malformed percent-encoding (write "%" as %25)`);
  }
}

function sslmodeParam(raw: string | undefined, name: string): SslMode | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'allow') return 'disable';
  if (raw === 'verify-ca') return 'verify-full';
  if ((SSL_MODES as readonly string[]).includes(raw)) return raw as SslMode;
  throw new DatabaseError('connection', `unknown sslmode "${raw}" in ${name}`);
}

/**
 * Parses a `postgres://user:pass@host:port/db?sslmode=…` URL. `name` says what it is in messages (e.g.
 * "DATABASE_URL"). Neither the label nor any error message holds any of the user-info (see splitUserInfo).
 */
export function parseConnectionString(url: string, name = 'the connection string'): { config: ClientConfig; sslmode: SslMode | undefined; label: string } {
  const { scheme, userInfo, rest } = splitUserInfo(url, name);
  const { user: urlUser, password: urlPassword } = decodeUserInfo(userInfo, name);
  let u: URL;
  try {
    u = new URL(`${scheme}://${rest}`);
  } catch {
    throw hostPartError(rest, name);
  }
  const q = u.searchParams;
  const host = q.get('host') ?? (u.hostname ? decoded(u.hostname.replace(/^\[|\]$/g, ''), name) : undefined);
  const port = checkedPort(q.get('port') ?? u.port, name);
  const database = decoded(u.pathname.replace(/^\//, ''), name) || q.get('dbname') || undefined;
  const user = urlUser ?? q.get('user') ?? undefined;
  const password = urlPassword ?? q.get('password') ?? undefined;
  const sslmode = sslmodeParam(q.get('sslmode') ?? undefined, name);
  const config: ClientConfig = {};
  if (host) config.host = host;
  if (port) config.port = port;
  if (database) config.database = database;
  if (user) config.user = user;
  if (password !== undefined) config.password = password;
  const appName = q.get('application_name');
  if (appName) config.application_name = appName;
  // libpq's `options` (e.g. "-c statement_timeout=0"), as the server reads it: pg sends it in the startup packet.
  const options = q.get('options');
  if (options) config.options = options;
  // Host part only: the user name is user-info too (the server defaults the database to it; the label does not).
  const label = `${host ?? 'localhost'}:${port ?? 5432}/${database ?? ''}`;
  return { config, sslmode, label };
}

function targetOf(source: ConnectionProfile | string, password?: string): Target {
  if (typeof source !== 'string') {
    const mode = source.sslmode ?? 'prefer';
    return { config: connectionConfig(source, password), label: profileLabel(source), prefer: mode === 'prefer' };
  }
  const { config, sslmode, label } = parseConnectionString(source);
  if (password !== undefined) config.password = password;
  // A URL without sslmode keeps pg's default (no TLS), as most local development URLs expect.
  const ssl = sslmode ? sslOption(sslmode) : false;
  return {
    config: { application_name: 'pgperf', ...config, ssl, max: DEFAULT_POOL_SIZE },
    label,
    prefer: sslmode === 'prefer',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Database and sessions

function toResult(r: PgQueryResult | PgQueryResult[]): QueryResult {
  const last = Array.isArray(r) ? r[r.length - 1] : r;
  if (!last) return { rows: [], fields: [], rowCount: null, command: '' };
  return {
    rows: last.rows as Record<string, unknown>[],
    fields: (last.fields ?? []).map((f) => f.name),
    rowCount: last.rowCount ?? null,
    command: last.command ?? '',
  };
}

class PgSession implements Session {
  private running = 0;
  private released = false;
  private lost: DatabaseError | undefined;
  private readonly onError = (err: Error) => {
    this.lost ??= toDatabaseError(err, this.db.label);
    if (this.lost.kind !== 'connection') {
      this.lost = new DatabaseError('connection', `lost the connection to ${this.db.label}: ${err.message}`, this.lost.code);
    }
  };

  constructor(
    private readonly db: PgDatabase,
    private readonly client: PoolClient,
  ) {
    client.on('error', this.onError);
  }

  query(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.send({ text: sql, values: params });
  }

  statement(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.send({ text: sql, values: params ?? [], queryMode: 'extended' });
  }

  private async send(config: { text: string; values?: unknown[]; queryMode?: 'extended' }): Promise<QueryResult> {
    if (this.released) throw new DatabaseError('connection', 'this session was released');
    if (this.lost) {
      throw new DatabaseError('connection', `${this.lost.message} (start a new session to reconnect)`, this.lost.code);
    }
    this.running++;
    try {
      const r = await this.client.query(config);
      return toResult(r as PgQueryResult | PgQueryResult[]);
    } catch (err) {
      const e = toDatabaseError(err, this.db.label);
      if (e.kind === 'connection') this.lost ??= e;
      throw e;
    } finally {
      this.running--;
    }
  }

  async cancel(): Promise<void> {
    if (this.released || this.lost || this.running === 0) return;
    const pid = (this.client as unknown as { processID?: number | null }).processID;
    if (!pid) return;
    await this.db.cancelBackend(pid);
  }

  async release(broken = false): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.client.removeListener('error', this.onError);
    // A client whose socket failed keeps emitting; the pool's own listener is back after release, but a
    // destroyed client may still report, so keep a no-op listener on it.
    if (broken || this.lost) {
      this.client.on('error', () => {});
      this.client.release(true);
    } else {
      this.client.release();
    }
  }
}

class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly label: string;
  private pool: pg.Pool;
  private config: ClientConfig & { max: number };
  private prefer: boolean;
  private closed = false;

  constructor(target: Target) {
    this.label = target.label;
    this.config = target.config;
    this.prefer = target.prefer;
    this.pool = this.makePool();
  }

  private makePool(): pg.Pool {
    const pool = new pg.Pool({ ...this.config, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
    // An idle connection the server dropped: the pool removes it; without a listener the process would crash.
    pool.on('error', () => {});
    return pool;
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      if (this.prefer && /does not support SSL/i.test(messageOf(err as PgLikeError))) {
        // sslmode=prefer: the server refuses TLS, so connect without it from now on.
        this.prefer = false;
        const old = this.pool;
        this.config = { ...this.config, ssl: false };
        this.pool = this.makePool();
        void old.end().catch(() => {});
        return this.connect();
      }
      throw toDatabaseError(err, this.label, true);
    }
  }

  async session(): Promise<Session> {
    if (this.closed) throw new DatabaseError('connection', `the connection to ${this.label} is closed`);
    return new PgSession(this, await this.connect());
  }

  async serverVersion(): Promise<{ num: number; text: string }> {
    return withSession(this, async (s) => {
      const r = await s.query(
        "select pg_catalog.current_setting('server_version_num')::pg_catalog.int4 as num, pg_catalog.current_setting('server_version') as v",
      );
      const row = r.rows[0] as { num: number; v: string };
      return { num: row.num, text: `PostgreSQL ${row.v}` };
    });
  }

  /** pg_cancel_backend(pid) on a connection of its own (not from the pool, which may be exhausted). */
  async cancelBackend(pid: number): Promise<void> {
    const { max: _max, ...config } = this.config;
    // Bounded: the abort of a benchmark fires this and must not wait on a server that stopped answering.
    const client = new pg.Client({ ...config, statement_timeout: 10_000, connectionTimeoutMillis: 10_000 });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (err) {
      throw toDatabaseError(err, this.label, true);
    }
    try {
      // Qualified: the role's search_path may put another pg_cancel_backend first.
      await client.query('select pg_catalog.pg_cancel_backend($1::pg_catalog.int4)', [pid]);
    } catch (err) {
      throw toDatabaseError(err, this.label);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * A Database on a PostgreSQL server, from a profile (with its password from SecretStorage) or a
 * `postgres://` URL. Nothing connects until the first `session()`.
 */
export function openPostgres(source: ConnectionProfile | string, password?: string): Database {
  return new PgDatabase(targetOf(source, password));
}

/** For env.ts: a Database from an explicit pg config. */
export function openPostgresConfig(config: ClientConfig, label: string, sslmode?: SslMode): Database {
  const ssl = sslmode ? sslOption(sslmode) : false;
  return new PgDatabase({
    config: { application_name: 'pgperf', ...config, ssl, max: DEFAULT_POOL_SIZE },
    label,
    prefer: sslmode === 'prefer',
  });
}

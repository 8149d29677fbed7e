/**
 * The CLI's database from the environment: `DATABASE_URL`, or the libpq variables PGHOST, PGPORT, PGDATABASE,
 * PGUSER (with PGPASSWORD and PGSSLMODE completing them). Undefined when none of them names a database — then
 * the CLI uses the embedded PGlite database. PGPASSWORD or PGSSLMODE alone do not select a server (they are
 * often exported globally); they apply to DATABASE_URL too when it has no password / sslmode of its own.
 */
import type { ClientConfig } from 'pg';
import { openPostgresConfig, parseConnectionString } from './postgres';
import { SSL_MODES, type SslMode } from './profiles';
import { DatabaseError, type Database } from './types';

export type Env = Record<string, string | undefined>;

export interface EnvTarget {
  /** `DATABASE_URL` or the PG* variables that selected the server. */
  source: 'DATABASE_URL' | 'PG*';
  config: ClientConfig;
  sslmode?: SslMode;
  /** "host:port/database" — never the password. */
  label: string;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function sslmodeOf(raw: string | undefined): SslMode | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'allow') return 'disable';
  if (raw === 'verify-ca') return 'verify-full';
  if ((SSL_MODES as readonly string[]).includes(raw)) return raw as SslMode;
  throw new DatabaseError('connection', `PGSSLMODE="${raw}" is not one of disable, allow, prefer, require, verify-ca, verify-full`);
}

/** Resolves the environment to a connection target without connecting (undefined: use the embedded database). */
export function targetFromEnv(env: Env): EnvTarget | undefined {
  const url = nonEmpty(env.DATABASE_URL);
  const password = nonEmpty(env.PGPASSWORD);
  if (url) {
    const { config, sslmode, label } = parseConnectionString(url, 'DATABASE_URL');
    if (config.password === undefined && password !== undefined) config.password = password;
    const mode = sslmode ?? sslmodeOf(nonEmpty(env.PGSSLMODE));
    return { source: 'DATABASE_URL', config, ...(mode ? { sslmode: mode } : {}), label };
  }
  const host = nonEmpty(env.PGHOST);
  const port = nonEmpty(env.PGPORT);
  const database = nonEmpty(env.PGDATABASE);
  const user = nonEmpty(env.PGUSER);
  if (!host && !port && !database && !user) return undefined;
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new DatabaseError('connection', `PGPORT="${port}" is not a port number (1 to 65535)`);
  }
  const effectiveUser = user ?? nonEmpty(env.USER) ?? nonEmpty(env.USERNAME);
  const config: ClientConfig = {
    host: host ?? 'localhost',
    port: port ? Number(port) : 5432,
  };
  if (effectiveUser) config.user = effectiveUser;
  const db = database ?? effectiveUser;
  if (db) config.database = db;
  if (password !== undefined) config.password = password;
  const sslmode = sslmodeOf(nonEmpty(env.PGSSLMODE));
  return {
    source: 'PG*',
    config,
    ...(sslmode ? { sslmode } : {}),
    label: `${config.host}:${config.port}/${db ?? ''}`,
  };
}

/**
 * A Database from DATABASE_URL or PG* variables, or undefined when none is set. Does not connect yet; throws a
 * DatabaseError 'connection' for a value it cannot use (naming the variable, never a URL's user-info).
 */
export function databaseFromEnv(env: Env = process.env): Database | undefined {
  const target = targetFromEnv(env);
  if (!target) return undefined;
  return openPostgresConfig(target.config, target.label, target.sslmode);
}

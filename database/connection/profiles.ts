/**
 * Connection profiles (`pgperf.connections` items), validated with zod one item at a time: a bad item is reported
 * with its path (`pgperf.connections[1].port: …`) and left out, the others still apply. A profile never holds a
 * password: one in settings is rejected (passwords live in VS Code SecretStorage, or PGPASSWORD/DATABASE_URL for
 * the CLI).
 */
import type { ClientConfig } from 'pg';
import { z } from 'zod';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const connectionProfileSchema = z.object({
  name: z.string().trim().min(1, 'a name is required'),
  host: z
    .string()
    .trim()
    .min(1, 'a host is required')
    .refine((h) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(h), {
      message: 'host is a connection URL: give host, port, database and user as separate fields',
    }),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().min(1, 'a database is required'),
  user: z.string().min(1, 'a user is required'),
  sslmode: z.enum(SSL_MODES).optional(),
  /** `statement_timeout` for every session of this connection, in milliseconds (0 = none). */
  statementTimeoutMs: z.number().int().min(0).max(2_147_483_647).optional(),
  applicationName: z.string().max(63).optional(),
  /** Connections pgperf itself may open (default 4); the guide's advice for the application is `poolSizeAdvice`. */
  poolSize: z.number().int().min(1).max(100).optional(),
});

export type ConnectionProfile = z.infer<typeof connectionProfileSchema>;

export interface ProfileProblem {
  /** Index of the item in `pgperf.connections` (-1: the setting itself). */
  index: number;
  /** The item's name when it has one. */
  name?: string;
  /** e.g. `pgperf.connections[1].port`. */
  path: string;
  message: string;
}

export interface ProfilesResult {
  profiles: ConnectionProfile[];
  problems: ProfileProblem[];
}

const KNOWN_KEYS = new Set(Object.keys(connectionProfileSchema.shape));
const PASSWORD_KEY = /^(password|passwd|pwd|pass|secret)$/i;
const BASE = 'pgperf.connections';

export const PASSWORD_IN_SETTINGS_MESSAGE =
  'a password does not belong in settings (they are plain text and often synced): remove it; pgperf asks for the password on first connect and keeps it in VS Code SecretStorage';

/**
 * Validates the `pgperf.connections` setting. Items with a problem are left out (an unknown field is only
 * reported); a `password` field rejects the item; names must be unique (the later duplicate is left out).
 */
export function validateProfiles(raw: unknown): ProfilesResult {
  const profiles: ConnectionProfile[] = [];
  const problems: ProfileProblem[] = [];
  if (raw === undefined || raw === null) return { profiles, problems };
  if (!Array.isArray(raw)) {
    problems.push({ index: -1, path: BASE, message: 'expected an array of connection profiles' });
    return { profiles, problems };
  }
  const names = new Set<string>();
  raw.forEach((item, index) => {
    const at = `${BASE}[${index}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push({ index, path: at, message: 'expected an object { name, host, port?, database, user, sslmode?, … }' });
      return;
    }
    const record = item as Record<string, unknown>;
    const name = typeof record.name === 'string' && record.name.trim() ? record.name.trim() : undefined;
    const own: ProfileProblem[] = [];
    let rejected = false;
    for (const key of Object.keys(record)) {
      if (PASSWORD_KEY.test(key)) {
        own.push({ index, name, path: `${at}.${key}`, message: PASSWORD_IN_SETTINGS_MESSAGE });
        rejected = true;
      } else if (!KNOWN_KEYS.has(key)) {
        own.push({ index, name, path: `${at}.${key}`, message: `unknown field "${key}" (ignored)` });
      }
    }
    const known = Object.fromEntries(Object.entries(record).filter(([k]) => KNOWN_KEYS.has(k)));
    const parsed = connectionProfileSchema.safeParse(known);
    if (!parsed.success) {
      rejected = true;
      for (const issue of parsed.error.issues) {
        const path = [at, ...issue.path.map(String)].join('.');
        own.push({ index, name, path, message: issue.message });
      }
    } else if (names.has(parsed.data.name)) {
      rejected = true;
      own.push({ index, name, path: `${at}.name`, message: `duplicate connection name "${parsed.data.name}" (the first one is used)` });
    }
    problems.push(...own);
    if (!rejected && parsed.success) {
      names.add(parsed.data.name);
      profiles.push(parsed.data);
    }
  });
  return { profiles, problems };
}

/** `pg` TLS options for a libpq sslmode (`prefer` is handled by the caller: TLS first, plain on refusal). */
export function sslOption(mode: SslMode): ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      // libpq's `require`: encrypted, certificate not verified.
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

export const DEFAULT_POOL_SIZE = 4;

/** The `pg` configuration of a profile (password from SecretStorage, or undefined for trust/.pgpass-less auth). */
export function connectionConfig(profile: ConnectionProfile, password?: string): ClientConfig & { max: number } {
  const config: ClientConfig & { max: number } = {
    host: profile.host,
    port: profile.port ?? 5432,
    database: profile.database,
    user: profile.user,
    ssl: sslOption(profile.sslmode ?? 'prefer'),
    application_name: profile.applicationName ?? 'pgperf',
    max: profile.poolSize ?? DEFAULT_POOL_SIZE,
  };
  if (password !== undefined) config.password = password;
  if (profile.statementTimeoutMs === 0) {
    // "0 = none" must reach the server: pg leaves a falsy statement_timeout out of the startup packet, and the
    // server's default for the role or database (ALTER ROLE … SET statement_timeout) would then apply.
    config.options = '-c statement_timeout=0';
  } else if (profile.statementTimeoutMs !== undefined) {
    config.statement_timeout = profile.statementTimeoutMs;
  }
  return config;
}

/** What the UI shows for a profile: "prod — db.example.com:5432/app". Never a password. */
export function profileLabel(profile: ConnectionProfile): string {
  return `${profile.name} — ${profile.host}:${profile.port ?? 5432}/${profile.database}`;
}

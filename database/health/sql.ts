/** Names and values as the health checks print them in messages and fix SQL: quoted exactly as PostgreSQL reads them. */
import { quoteIdentIfNeeded, quoteLiteral } from '../connection/quote';

/** `schema.name`, each part quoted only where needed (`public."x""; DROP TABLE t; --"`). */
export function qualified(schema: string, name: string): string {
  return `${quoteIdentIfNeeded(schema)}.${quoteIdentIfNeeded(name)}`;
}

export { quoteIdentIfNeeded, quoteLiteral };

/** A numeric column from the driver (bigint and numeric arrive as text). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

export function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean | bigint);
}

/** `12.3 MB`, for messages (the evidence keeps the bytes). */
export function bytesText(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} bytes` : `${v >= 100 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/** A size for `ALTER SYSTEM SET`: whole megabytes, or gigabytes when exact. */
export function settingSize(bytes: number): string {
  const mb = Math.max(1, Math.round(bytes / (1024 * 1024)));
  return mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`;
}

/** Query text for evidence: whitespace collapsed, at most `max` characters. */
export function queryText(v: unknown, max = 200): string | null {
  if (v === null || v === undefined) return null;
  const t = str(v).replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The schemas a user's objects live in: not the system's. */
export const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'`;

/**
 * Leads every statement a check sends, so that pg_stat_statements and pg_stat_activity show them as pgperf's and
 * top-queries leaves them out.
 */
export const HEALTH_QUERY_MARK = '/* pgperf health */ ';

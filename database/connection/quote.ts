/**
 * Quoting names and values into SQL text, for the statements pgperf builds itself (scratch objects, benchmark
 * tables, the SQL a report recommends). The one place these rules live on the database side.
 */

/** Always quoted: safe for any name, and what pgperf prints for dropping its scratch objects by hand. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quoted only when PostgreSQL needs it to: a name that is lower case, starts with a letter or `_` and is not a
 * reserved keyword stays bare (for SQL a person reads and pastes: `items`, `"Items"`, `"user"`).
 */
export function quoteIdentIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : quoteIdent(name);
}

/** A string literal (standard_conforming_strings, on by default since PostgreSQL 9.1: backslashes are plain). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Keywords that cannot stand as a bare column or table name (PostgreSQL's reserved and type-function words). */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable ' +
    'desc distinct do else end except false fetch for foreign from grant group having in initially intersect ' +
    'into lateral leading limit localtime localtimestamp not null offset on only or order placing primary ' +
    'references returning select session_user some symmetric system_user table then to trailing true union ' +
    'unique user using variadic when where window with authorization binary collation concurrently cross ' +
    'current_schema freeze full ilike inner is isnull join left like natural notnull outer overlaps right ' +
    'similar tablesample verbose'
  ).split(' '),
);

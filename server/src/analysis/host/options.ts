/** What the embedded-SQL extraction looks for (the `embedded` configuration key). */

export type EmbeddedLanguage = 'typescript' | 'javascript' | 'python' | 'go' | 'rust';

export interface EmbeddedOptions {
  /** Host languages read (`typescript` covers .tsx too). */
  languages: Record<EmbeddedLanguage, boolean>;
  /** Extra function or method names (`runQuery`, or dotted: `db.runQuery`) whose first string argument is SQL. */
  calls: string[];
  /** Extra template tags (`sql`, `db.sql`) whose template is SQL (JavaScript/TypeScript). */
  tags: string[];
  /** Also take a literal that starts with a statement keyword and parses, when no API or marker says it is SQL. */
  keywordFallback: boolean;
  /**
   * How long the host-language parse of a file may take, in ms per MB of its text (at least this for a smaller
   * file); a file whose parse runs longer is reported (host-parse-timeout), not read. 0: no bound.
   */
  parseTimeoutMs: number;
}

/**
 * How long the parse of a host file may take, in ms per MB of its text (and at least this long for a smaller one):
 * tree-sitter's error recovery on badly broken code can run for minutes on a few hundred KB (a mutated 325 KB Go
 * file: 175 s), while real files parse at about 7 MB/s (corpus/apps: the slowest, 133 KB, in 19 ms). The default
 * of `parseTimeoutMs`.
 */
export const DEFAULT_PARSE_TIMEOUT_MS = 500;

export const DEFAULT_EMBEDDED_OPTIONS: EmbeddedOptions = {
  languages: { typescript: true, javascript: true, python: true, go: true, rust: true },
  calls: [],
  tags: [],
  keywordFallback: true,
  parseTimeoutMs: DEFAULT_PARSE_TIMEOUT_MS,
};

/**
 * Database APIs per language, by the name of the function, method or macro (the last segment of the callee).
 * Generic names (`query`, `Get`, `text`) are only taken with a literal that starts with a statement keyword.
 */
export const DEFAULT_CALLS: Record<EmbeddedLanguage, readonly string[]> = {
  // node-postgres / TypeORM query(), Prisma, knex raw(), db-migrate runSql, postgres.js unsafe().
  typescript: ['query', '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe', 'raw', 'runSql', 'unsafe'],
  javascript: ['query', '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe', 'raw', 'runSql', 'unsafe'],
  // psycopg / asyncpg / SQLAlchemy text() / alembic op.execute / psycopg.sql.SQL; PL/Python plpy.execute and
  // plpy.prepare (a statement with $n parameters, planned once).
  python: ['execute', 'executemany', 'mogrify', 'fetch', 'fetchrow', 'fetchval', 'text', 'SQL', 'prepare'],
  // database/sql, pgx, sqlx.
  go: [
    'Query',
    'QueryRow',
    'QueryContext',
    'QueryRowContext',
    'Exec',
    'ExecContext',
    'Get',
    'GetContext',
    'Select',
    'SelectContext',
    'NamedExec',
    'NamedExecContext',
    'NamedQuery',
    'NamedQueryContext',
    'Queryx',
    'QueryRowx',
    'QueryxContext',
    'QueryRowxContext',
    'MustExec',
    'MustExecContext',
    'Prepare',
    'PrepareContext',
  ],
  // tokio-postgres, sqlx functions and macros, diesel sql_query.
  rust: [
    'query',
    'execute',
    'query_one',
    'query_opt',
    'query_raw',
    'batch_execute',
    'simple_query',
    'prepare',
    'query_as',
    'query_scalar',
    'sql_query',
    'query!',
    'query_as!',
    'query_scalar!',
    'query_unchecked!',
    'query_as_unchecked!',
    'query_scalar_unchecked!',
  ],
};

/** Template tags whose template is SQL: postgres.js, Slonik, Kysely, Drizzle, sql-template-strings, Prisma. */
export const DEFAULT_TAGS: readonly string[] = ['sql', 'SQL', '$queryRaw', '$executeRaw', 'Prisma.sql'];

// Interfaces shared by the database code (database/connection), the explain helper (database/explain), the CLI and the
// VS Code UI. No `vscode` import here or anywhere in database/connection.

export interface QueryResult {
  rows: Record<string, unknown>[];
  fields: string[];
  rowCount: number | null;
  command: string;
}

/** One connection, held for a transaction. */
export interface Session {
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
  /**
   * Exactly one statement, sent with the extended protocol (Parse/Bind/Execute) even without parameters: the
   * server refuses a text that holds two, however its settings make it lex the text.
   */
  statement(sql: string, params?: unknown[]): Promise<QueryResult>;
  /**
   * `COPY table (columns) FROM '/dev/blob'` with `data` (COPY's text format) as the file: the embedded database's
   * bulk load. Absent on a PostgreSQL session (node-postgres has no COPY FROM STDIN without another package).
   */
  copyFrom?(sql: string, data: string): Promise<QueryResult>;
  /** Cancels the statement running on this session (pg: pg_cancel_backend from another connection). */
  cancel(): Promise<void>;
  /** Returns the connection; `broken` discards it (after an error that left it unusable). */
  release(broken?: boolean): Promise<void>;
}

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  /** What the UI shows: "embedded PGlite (PostgreSQL 18.6)" or "prod — db.example.com:5432/app". Never a password. */
  readonly label: string;
  serverVersion(): Promise<{ num: number; text: string }>; // num like 150019
  session(): Promise<Session>;
  close(): Promise<void>;
}

export type DatabaseErrorKind = 'connection' | 'timeout' | 'cancelled' | 'sql';

export class DatabaseError extends Error {
  readonly kind: DatabaseErrorKind;
  /** SQLSTATE, when the server gave one. */
  readonly code?: string;

  constructor(kind: DatabaseErrorKind, message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
    this.kind = kind;
    if (code !== undefined) this.code = code;
  }
}

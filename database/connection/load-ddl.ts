/**
 * Loads the workspace DDL (already in dependency order, from `orderedDdl`) into a database, statement by
 * statement, each in its own transaction: a failing statement is recorded and the others still load.
 */
import { DatabaseError, type Database } from './types';

export interface DdlStatement {
  file: string;
  text: string;
  /** Where the statement starts in its file (1-based), for the failure lines. */
  line?: number;
}

export interface DdlFailure extends DdlStatement {
  error: DatabaseError;
}

export interface LoadResult {
  loaded: number;
  failures: DdlFailure[];
}

export interface LoadOptions {
  /** Called after each statement (for progress reporting). */
  onProgress?: (done: number, total: number) => void;
  /** Stops between statements when aborted (the statements not run yet are neither loaded nor failures). */
  signal?: AbortSignal;
}

/**
 * Runs each statement on one session; after a failure the session is rolled back (a statement like
 * `CREATE INDEX CONCURRENTLY` that cannot run in a transaction block is run as is). A lost connection gets a
 * new session and loading goes on.
 */
export async function loadSchema(db: Database, statements: DdlStatement[], options: LoadOptions = {}): Promise<LoadResult> {
  const failures: DdlFailure[] = [];
  let loaded = 0;
  let session = await db.session();
  let broken = false;
  try {
    for (let i = 0; i < statements.length; i++) {
      if (options.signal?.aborted) break;
      const stmt = statements[i]!;
      try {
        await session.query(stmt.text);
        loaded++;
      } catch (err) {
        const error = err instanceof DatabaseError ? err : new DatabaseError('sql', err instanceof Error ? err.message : String(err));
        failures.push({ ...stmt, error });
        if (error.kind === 'connection' || error.kind === 'cancelled' || error.kind === 'timeout') {
          await session.release(true);
          session = await db.session();
        } else {
          // A statement with its own BEGIN may have left a transaction open and aborted.
          await session.query('ROLLBACK').catch(() => undefined);
        }
      }
      options.onProgress?.(i + 1, statements.length);
    }
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    await session.release(broken);
  }
  return { loaded, failures };
}

/** What a failed statement's line says: "schema/001.sql:12: relation "x" does not exist". */
export function failureLine(failure: DdlFailure): string {
  return `${failure.file}${failure.line ? `:${failure.line}` : ''}: ${failure.error.message}`;
}

/** "loaded 3 of 4 DDL statements from 2 files" (the caller says where from and where to). */
export function loadedSummary(result: LoadResult, statements: readonly DdlStatement[]): string {
  const files = new Set(statements.map((s) => s.file)).size;
  return `loaded ${result.loaded} of ${statements.length} DDL statements from ${files} file${files === 1 ? '' : 's'}`;
}

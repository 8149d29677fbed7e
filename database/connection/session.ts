/** Borrowing one session of a database for a piece of work. */
import { DatabaseError, type Database, type Session } from './types';

/** A lost connection: the session cannot go back to the pool. */
export function isConnectionError(err: unknown): boolean {
  return err instanceof DatabaseError && err.kind === 'connection';
}

/**
 * Runs `work` on a session of `db` and releases it afterwards, whatever happens; a session whose connection was
 * lost is discarded rather than pooled.
 */
export async function withSession<T>(db: Pick<Database, 'session'>, work: (session: Session) => Promise<T>): Promise<T> {
  const s = await db.session();
  let broken = false;
  try {
    return await work(s);
  } catch (err) {
    broken = isConnectionError(err);
    throw err;
  } finally {
    await s.release(broken);
  }
}

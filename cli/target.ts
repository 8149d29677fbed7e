/** The server DATABASE_URL / PG* name, for the commands that connect to one. */
import { DatabaseError, type Env, targetFromEnv } from '../database/index';
import { UsageError } from '../server/src/files';

/** targetFromEnv, with settings that do not parse (not a URL, PGPORT=abc, …) as the user's to fix: a usage error. */
export function serverTarget(env: Env): ReturnType<typeof targetFromEnv> {
  try {
    return targetFromEnv(env);
  } catch (e) {
    if (e instanceof DatabaseError) throw new UsageError(e.message);
    throw e;
  }
}

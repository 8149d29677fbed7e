/**
 * The benchmarks' scratch objects: the schemas `pgperf_bench_<random>` (both benchmarks) and the RLS benchmark's
 * NOLOGIN role of the same name. What is whose, and what a run may drop:
 * - Each object is created in one transaction with its comment, a JSON note naming the run's backend: its pid and
 *   its start as epoch seconds (`extract(epoch from backend_start)`: the same text whatever the session's TimeZone
 *   or DateStyle, which `backend_start::text` is not). Created together, so no crash leaves an object without it.
 * - A leftover is a dead run's when its backend is gone from pg_stat_activity, or is the very connection doing the
 *   sweep (no other run holds it now). The next run drops those whatever their age. A live run's objects, objects
 *   without pgperf's note, and those of a backend whose start this role may not see (pg_stat_activity hides it
 *   from other roles without pg_read_all_stats) are left alone.
 * - Every drop runs with SET LOCAL lock_timeout and statement_timeout: a session holding a lock on a scratch table
 *   makes the cleanup give up after CLEANUP_LOCK_TIMEOUT_MS instead of hanging. What it could not drop is named
 *   with the SQL to drop it by hand, and its connection is discarded, so that the objects' owner backend ends and
 *   the next run sees them as a dead run's.
 * No `vscode` import.
 */
import { randomBytes } from 'node:crypto';
import { DatabaseError, type Database, type Session } from '../connection/types';
import { quoteIdent, quoteLiteral } from '../connection/quote';
import { isConnectionError, withSession } from '../connection/session';

export const SCRATCH_PREFIX = 'pgperf_bench_';

/** A new scratch object name: the prefix and `bytes` random bytes in hex (the HNSW sweep uses 6, the RLS benchmark 5). */
export function newScratchName(bytes: number): string {
  return `${SCRATCH_PREFIX}${randomBytes(bytes).toString('hex')}`;
}

/** How long a cleanup drop waits for a lock held by another session before it gives up. */
export const CLEANUP_LOCK_TIMEOUT_MS = 3000;
/** How long a cleanup drop may run at all (dropping a scratch schema takes milliseconds). */
const CLEANUP_STATEMENT_TIMEOUT_MS = 20_000;

/** Roles of pgperf before the owner note (comment "pgperf RLS benchmark role, created <ISO time>; …"): by age. */
const LEGACY_ROLE_NOTE = /^pgperf RLS benchmark role, created (\S+);/;
const LEGACY_MAX_AGE_MS = 60 * 60_000;

export interface ScratchObject {
  kind: 'schema' | 'role';
  name: string;
}

export interface LeftBehind {
  object: ScratchObject;
  /** Why it could not be dropped, e.g. "another session holds a lock on it (gave up after lock_timeout 3 s)". */
  reason: string;
}

/** What a run has created (or is about to) and not dropped yet, in creation order: what a cleanup must drop. */
export class ScratchLedger {
  private readonly objects: ScratchObject[] = [];

  /** Call before creating the object: a run killed during its CREATE still names it. */
  add(object: ScratchObject): void {
    if (!this.objects.some((o) => same(o, object))) this.objects.push({ ...object });
  }

  dropped(object: ScratchObject): void {
    const i = this.objects.findIndex((o) => same(o, object));
    if (i >= 0) this.objects.splice(i, 1);
  }

  remaining(): ScratchObject[] {
    return this.objects.map((o) => ({ ...o }));
  }
}

function same(a: ScratchObject, b: ScratchObject): boolean {
  return a.kind === b.kind && a.name === b.name;
}

/** The statement that drops it (IF EXISTS: safe to run twice), as printed for dropping by hand. */
function dropSql(object: ScratchObject): string {
  return object.kind === 'schema' ? `DROP SCHEMA IF EXISTS ${quoteIdent(object.name)} CASCADE;` : `DROP ROLE IF EXISTS ${quoteIdent(object.name)};`;
}

/** "left behind: schema x (why), role x (why). Drop them by hand: DROP …; DROP …; — or …" */
export function leftBehindText(left: readonly (LeftBehind | ScratchObject)[]): string {
  const entries = left.map((l) => ('object' in l ? l : { object: l, reason: undefined }));
  const names = entries.map((e) => `${e.object.kind} ${e.object.name}${e.reason ? ` (${e.reason})` : ''}`);
  const sql = entries.map((e) => dropSql(e.object)).join(' ');
  const them = entries.length === 1 ? 'it' : 'them';
  return (
    `left behind: ${names.join(', ')}. Drop ${them} by hand: ${sql} — or the next pgperf benchmark on this ` +
    `database drops ${them} once nothing holds a lock on ${them}`
  );
}

function checkName(name: string): void {
  if (!name.startsWith(SCRATCH_PREFIX) || !/^[a-z0-9_]+$/.test(name)) throw new RangeError(`not a scratch object name: ${name}`);
}

/** BEGIN; …; COMMIT in one round trip; on failure the aborted transaction is rolled back. */
async function inTransaction(s: Session, statements: string[]): Promise<void> {
  try {
    await s.query(['BEGIN', ...statements, 'COMMIT'].join('; '));
  } catch (err) {
    await s.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Creating, with the owner note

interface OwnerNote {
  tool: 'pgperf';
  bench: string;
  pid: number;
  /** extract(epoch from backend_start)::numeric::text; null where pg_stat_activity has no start time. */
  backendStart: string | null;
  createdAt: string;
}

async function ownerNote(session: Session, bench: string): Promise<string> {
  const who = await session.query(
    `select pg_backend_pid() as pid,
            (select extract(epoch from backend_start)::numeric::text from pg_stat_activity where pid = pg_backend_pid()) as started`,
  );
  const row = who.rows[0] ?? {};
  const note: OwnerNote = {
    tool: 'pgperf',
    bench,
    pid: Number(row.pid),
    backendStart: (row.started as string | null | undefined) ?? null,
    createdAt: new Date().toISOString(),
  };
  return JSON.stringify(note);
}

/** Creates the scratch schema `name`, noted as this session's backend's (see the file comment). */
export async function createScratchSchema(session: Session, name: string, bench: string): Promise<void> {
  checkName(name);
  const note = await ownerNote(session, bench);
  await inTransaction(session, [`CREATE SCHEMA ${quoteIdent(name)}`, `COMMENT ON SCHEMA ${quoteIdent(name)} IS ${quoteLiteral(note)}`]);
}

/** Creates the NOLOGIN role `name`, noted as this session's backend's. */
export async function createScratchRole(session: Session, name: string, bench: string): Promise<void> {
  checkName(name);
  const note = await ownerNote(session, bench);
  await inTransaction(session, [`CREATE ROLE ${quoteIdent(name)} NOLOGIN`, `COMMENT ON ROLE ${quoteIdent(name)} IS ${quoteLiteral(note)}`]);
}

// ---------------------------------------------------------------------------------------------------------------
// Dropping

async function dropOne(s: Session, object: ScratchObject): Promise<void> {
  await inTransaction(s, [
    `SET LOCAL lock_timeout = ${CLEANUP_LOCK_TIMEOUT_MS}`,
    `SET LOCAL statement_timeout = ${CLEANUP_STATEMENT_TIMEOUT_MS}`,
    dropSql(object).replace(/;$/, ''),
  ]);
}

function reasonOf(err: unknown): string {
  if (err instanceof DatabaseError && err.code === '55P03') {
    return `another session holds a lock on it: gave up after lock_timeout ${CLEANUP_LOCK_TIMEOUT_MS / 1000} s`;
  }
  if (err instanceof DatabaseError && err.kind === 'timeout') {
    return `gave up after statement_timeout ${CLEANUP_STATEMENT_TIMEOUT_MS / 1000} s`;
  }
  return err instanceof Error ? err.message : String(err);
}

export interface DropScratchOptions {
  /** The run's session is unusable (lost connection, cancelled worker): drop on a fresh one. */
  broken?: boolean;
  /** Statements for the run's session first (e.g. DEALLOCATE); when one fails, a fresh session does the drops. */
  before?: string[];
}

/** The run's session rolled back and ready for the drops, or undefined (then released as broken). */
async function readySession(session: Session | undefined, options: DropScratchOptions): Promise<Session | undefined> {
  if (!session) return undefined;
  if (!options.broken) {
    try {
      await session.query('ROLLBACK');
      for (const sql of options.before ?? []) await session.query(sql);
      return session;
    } catch {
      // fall through: a fresh session drops the objects
    }
  }
  await session.release(true).catch(() => undefined);
  return undefined;
}

/**
 * Drops what `ledger` holds (schemas before the role: the role's privileges live in the schema), on the run's
 * `session` when it still works, else on a fresh one (once more after a lost connection or a stray cancel). Takes over `session`
 * (releases it). Never throws: returns what it could not drop, and why; each drop waits at most
 * CLEANUP_LOCK_TIMEOUT_MS for a lock.
 */
export async function dropScratch(db: Database, session: Session | undefined, ledger: ScratchLedger, options: DropScratchOptions = {}): Promise<LeftBehind[]> {
  let s = await readySession(session, options);
  const left: LeftBehind[] = [];
  for (const object of ledger.remaining()) {
    let error: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        s ??= await db.session();
        await dropOne(s, object);
        ledger.dropped(object);
        error = undefined;
        break;
      } catch (err) {
        error = err;
        // A cancel meant for the run's last statement can still land on this one: try once more.
        if (err instanceof DatabaseError && err.kind === 'cancelled') continue;
        if (!isConnectionError(err)) break;
        await s?.release(true).catch(() => undefined);
        s = undefined;
      }
    }
    if (error !== undefined) left.push({ object, reason: reasonOf(error) });
  }
  // Something left: discard the connection, so that its backend (the objects' owner) ends and the next run's sweep
  // may drop them; back in the pool it would look like a live run for as long as the pool keeps it.
  await s?.release(left.length > 0).catch(() => undefined);
  return left;
}

// ---------------------------------------------------------------------------------------------------------------
// Leftovers of dead runs

const CANDIDATES_SQL = `
  select 'schema' as kind, n.nspname as name, obj_description(n.oid, 'pg_namespace') as note, pg_backend_pid() as self
    from pg_namespace n where n.nspname like 'pgperf\\_bench\\_%'
  union all
  select 'role', r.rolname, shobj_description(r.oid, 'pg_authid'), pg_backend_pid()
    from pg_roles r where r.rolname like 'pgperf\\_bench\\_%' and not r.rolcanlogin
  order by 1 desc, 2`;

type Owner = { pid: number; backendStart: string | null } | { createdAtMs: number };

/** The owner a note names; undefined for an object without pgperf's note (never touched). */
function ownerOf(note: unknown): Owner | undefined {
  const text = typeof note === 'string' ? note : '';
  const legacy = LEGACY_ROLE_NOTE.exec(text);
  if (legacy) return { createdAtMs: Date.parse(legacy[1]!) };
  try {
    const n = JSON.parse(text) as Partial<OwnerNote>;
    if (n.tool !== 'pgperf' || typeof n.pid !== 'number') return undefined;
    return { pid: n.pid, backendStart: typeof n.backendStart === 'string' ? n.backendStart : null };
  } catch {
    return undefined;
  }
}

/**
 * Whether the owning run is over. Its backend counts as alive while a backend with its pid exists and either has
 * the same start (as epoch, or as text: notes of an older pgperf) or hides its start from this role.
 */
async function ownerGone(s: Session, owner: Owner, self: number): Promise<boolean> {
  if ('createdAtMs' in owner) return Number.isFinite(owner.createdAtMs) && Date.now() - owner.createdAtMs > LEGACY_MAX_AGE_MS;
  if (owner.pid === self) return true;
  const startMatches = owner.backendStart
    ? `and (backend_start is null or extract(epoch from backend_start)::numeric::text = $2 or backend_start::text = $2)`
    : '';
  const alive = await s.query(
    `select 1 from pg_stat_activity where pid = $1 ${startMatches}`,
    owner.backendStart ? [owner.pid, owner.backendStart] : [owner.pid],
  );
  return alive.rows.length === 0;
}

async function dropDead(s: Session): Promise<ScratchObject[]> {
  const candidates = await s.query(CANDIDATES_SQL);
  const dropped: ScratchObject[] = [];
  for (const row of candidates.rows) {
    const object: ScratchObject = { kind: row.kind === 'role' ? 'role' : 'schema', name: String(row.name) };
    const owner = ownerOf(row.note);
    if (!owner || !(await ownerGone(s, owner, Number(row.self)))) continue;
    try {
      await dropOne(s, object);
      dropped.push(object);
    } catch (err) {
      if (isConnectionError(err)) throw err;
      // locked (lock_timeout), another owner's, or a role with privileges in another database: the next run retries
    }
  }
  return dropped;
}

/**
 * Drops the schemas and roles left by benchmark runs that are over (see the file comment), whatever their age;
 * never a live run's. Returns what it dropped.
 */
export async function dropLeftovers(db: Database): Promise<ScratchObject[]> {
  return withSession(db, dropDead);
}

// ---------------------------------------------------------------------------------------------------------------
// A benchmark's session, with its cleanup

export interface ScratchSessionOptions {
  signal?: AbortSignal;
  /** Whether an abort right now cancels the running statement (default: always); otherwise the next check stops the run. */
  cancelOnAbort?: () => boolean;
  /** Whether the run's failure left its session unusable, so that the drops take a fresh one. */
  brokenBy?: (failure: unknown) => boolean;
  /** Called once the run is over, before the drops (progress). */
  onCleanup?: () => void;
}

export interface ScratchOutcome<T> {
  /** What `run` returned; undefined when it failed. */
  result?: T;
  /** What `run` threw; undefined when it succeeded. */
  failure?: unknown;
  /** What the cleanup could not drop. */
  left: LeftBehind[];
}

/**
 * Runs a benchmark on one session of `db` and then, whatever happened (success, failure, abort), drops what `ledger`
 * holds. `run` records each object in the ledger before creating it, and may set `cleanup.broken` (its session is
 * unusable) and `cleanup.before` (statements for its session first). An abort cancels the running statement; the
 * drops wait for that cancel, which, sent late from another connection, would otherwise cancel a DROP instead.
 * Never throws after the session is open: the caller words the outcome.
 */
export async function runWithScratch<T>(
  db: Database,
  ledger: ScratchLedger,
  options: ScratchSessionOptions,
  run: (session: Session, cleanup: DropScratchOptions) => Promise<T>,
): Promise<ScratchOutcome<T>> {
  const { signal } = options;
  const session = await db.session();
  const cleanup: DropScratchOptions = {};
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    if (options.cancelOnAbort?.() ?? true) cancelling = session.cancel().catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const outcome: ScratchOutcome<T> = { left: [] };
  try {
    outcome.result = await run(session, cleanup);
  } catch (err) {
    outcome.failure = err;
    if (options.brokenBy?.(err)) cleanup.broken = true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  options.onCleanup?.();
  await cancelling;
  outcome.left = await dropScratch(db, session, ledger, cleanup);
  return outcome;
}

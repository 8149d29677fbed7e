/**
 * The embedded database: PGlite (PostgreSQL 18 compiled to WASM) with pgvector, in a worker thread
 * (pglite-worker.ts, bundled to dist/pglite-worker.js) so that a long statement — an HNSW build takes seconds —
 * never blocks the extension host's event loop. Requests go over postMessage; errors come back with their
 * SQLSTATE. PGlite runs as the superuser `postgres`, has no autovacuum and no hypopg.
 *
 * One connection: `session()` hands out one session at a time (the next waits for `release()`), and a released
 * session's open transaction is rolled back.
 *
 * Cancel and statement_timeout. PGlite has no backend pid, and while a statement runs the WASM code holds its
 * thread: pg_cancel_backend does not exist for it, a cancel message would only be read after the statement
 * ends, and PostgreSQL's own statement_timeout never fires (no timer signals in WASM: measured, `SET
 * statement_timeout = 500; SELECT pg_sleep(3)` runs the full 3 s). So the host does it: before each query call
 * the worker reports the session's current `statement_timeout` — or, when the call's text sets one itself
 * (`BEGIN; SET LOCAL statement_timeout = 5000; EXPLAIN …` in one round trip), that value; the timer then covers
 * the whole batch — the host arms a timer, and on expiry — or on
 * `cancel()` — it terminates the worker thread (which stops the WASM immediately) and starts a fresh one. The
 * statement fails with DatabaseError 'timeout' / 'cancelled' (SQLSTATE 57014, as on a server); the session is
 * gone (later queries on it fail with 'connection'), the next `session()` gets the new worker. What was
 * committed survives when the database has a `dataDir` (the restart is a crash recovery from the WAL); an
 * in-memory database starts empty again — `restarts` counts restarts and `onRestart` reports them, so a caller
 * can reload the schema.
 *
 * An in-memory database starts from the cached snapshot of a fresh data directory (snapshot.ts: about 1 s instead
 * of initdb's 5, and 300 MB less at the peak); the first one in a cache folder runs initdb and writes the snapshot.
 * Every start, restarts included, gets its own copy: nothing a session does reaches the snapshot.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StartedFrom, WireError, WorkerRequest, WorkerResponse } from './pglite-worker';
import { defaultSnapshotDir } from './snapshot';
import { DatabaseError, type Database, type QueryResult, type Session } from './types';

export interface EmbeddedOptions {
  /** Data directory (created when missing); absent: an in-memory database. */
  dataDir?: string;
  /**
   * Where an in-memory database's start snapshot is cached (default: the per-user cache folder, `$XDG_CACHE_HOME/pgperf`
   * or `~/.cache/pgperf`); false: initdb at every start, nothing cached. Not used with a `dataDir`.
   */
  snapshotDir?: string | false;
  /**
   * PostgreSQL's shared_buffers, e.g. `16MB` (default: initdb's 128MB). All of it is resident from the start, so a
   * database that holds a schema with empty tables (EXPLAIN's) needs far less.
   */
  sharedBuffers?: string;
  /** The bundled worker (default: pglite-worker.js beside this bundle, or dist/ when running from source). */
  workerPath?: string;
  /** Called when the worker was restarted (after a cancel, a timeout or a crash). */
  onRestart?: (reason: RestartReason) => void;
}

export type RestartReason = 'cancelled' | 'timeout' | 'crashed';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (r: Extract<WorkerResponse, { type: 'ok' }>) => void;
  reject: (e: DatabaseError) => void;
  onStarted?: (timeoutMs: number) => void;
}

function fromWire(e: WireError): DatabaseError {
  const parts = [e.message];
  if (e.detail) parts.push(`DETAIL: ${e.detail}`);
  if (e.hint) parts.push(`HINT: ${e.hint}`);
  const message = parts.join('\n');
  if (e.code === '57014') {
    return new DatabaseError(/statement timeout/.test(e.message) ? 'timeout' : 'cancelled', message, e.code);
  }
  if (e.code && /^(08|57P0)/.test(e.code)) return new DatabaseError('connection', message, e.code);
  return new DatabaseError('sql', message, e.code);
}

/** Where dist/pglite-worker.js is: beside the bundle (dist/extension.js, dist/cli.js) or, from source, in dist/. */
function defaultWorkerPath(): string {
  const candidates = [join(__dirname, 'pglite-worker.js'), join(__dirname, '..', '..', 'dist', 'pglite-worker.js')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** One worker thread and its requests. */
class WorkerHandle {
  readonly worker: Worker;
  readonly ready: Promise<{ num: number; text: string; startedFrom?: StartedFrom }>;
  dead: DatabaseError | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    path: string,
    start: { dataDir?: string; snapshotDir?: string; sharedBuffers?: string },
    private readonly onCrash: (h: WorkerHandle) => void,
  ) {
    if (!existsSync(path)) {
      throw new DatabaseError('connection', `cannot start the embedded database: its worker ${path} is missing (run \`node build.mjs\`)`);
    }
    this.worker = new Worker(path);
    this.worker.on('message', (msg: WorkerResponse) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(new DatabaseError('connection', `the embedded database stopped: ${err.message}`), true));
    this.worker.on('exit', (code) => this.fail(new DatabaseError('connection', `the embedded database stopped (worker exit code ${code})`), true));
    this.ready = this.request({ op: 'init', ...start }).then(
      (r) => ({ ...r.version!, ...(r.startedFrom ? { startedFrom: r.startedFrom } : {}) }),
      (e: DatabaseError) => {
        throw new DatabaseError('connection', `cannot start the embedded database: ${e.message}`, e.code);
      },
    );
    this.ready.catch(() => undefined); // awaited by session(); never an unhandled rejection
  }

  request(req: Request, onStarted?: (timeoutMs: number) => void): Promise<Extract<WorkerResponse, { type: 'ok' }>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onStarted ? { onStarted } : {}) });
      this.worker.postMessage({ ...req, id } as WorkerRequest);
    });
  }

  private onMessage(msg: WorkerResponse): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'started') {
      p.onStarted?.(msg.timeoutMs);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'ok') p.resolve(msg);
    else p.reject(fromWire(msg.error));
  }

  /** Rejects everything in flight with `error` and stops the thread. */
  fail(error: DatabaseError, crashed = false): void {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    void this.worker.terminate();
    if (crashed) this.onCrash(this);
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }
}

class EmbeddedSession implements Session {
  private released = false;
  private running = false;

  constructor(
    private readonly db: EmbeddedDatabase,
    private readonly handle: WorkerHandle,
    private readonly unlock: () => void,
  ) {}

  query(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.send(sql, params, false);
  }

  statement(sql: string, params?: unknown[]): Promise<QueryResult> {
    return this.send(sql, params, true);
  }

  copyFrom(sql: string, data: string): Promise<QueryResult> {
    return this.send(sql, undefined, true, data);
  }

  private async send(sql: string, params: unknown[] | undefined, extended: boolean, copy?: string): Promise<QueryResult> {
    if (this.released) throw new DatabaseError('connection', 'this session was released');
    if (this.handle.dead) {
      throw new DatabaseError(
        'connection',
        `the embedded database was restarted (${this.handle.dead.kind === 'connection' ? 'it stopped' : `after a ${this.handle.dead.kind === 'timeout' ? 'statement timeout' : 'cancel'}`}): this session and its transaction are gone; start a new session`,
      );
    }
    if (this.running) throw new DatabaseError('sql', 'the embedded database runs one statement at a time per session');
    this.running = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = await this.handle.request(
        { op: 'query', sql, ...(params && params.length ? { params } : {}), ...(extended ? { extended } : {}), ...(copy !== undefined ? { copy } : {}) },
        (ms) => {
          if (ms > 0) {
            timer = setTimeout(() => {
              this.db.restart(
                this.handle,
                'timeout',
                new DatabaseError(
                  'timeout',
                  `canceling statement due to statement timeout (${ms} ms; the embedded database was restarted to stop it)`,
                  '57014',
                ),
              );
            }, ms);
          }
        },
      );
      return r.result!;
    } finally {
      if (timer) clearTimeout(timer);
      this.running = false;
    }
  }

  async cancel(): Promise<void> {
    if (this.released || !this.running || this.handle.dead) return;
    this.db.restart(
      this.handle,
      'cancelled',
      new DatabaseError('cancelled', 'canceling statement due to user request (the embedded database was restarted to stop it)', '57014'),
    );
  }

  async release(broken?: boolean): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      // One connection: it cannot be discarded, so an open transaction is rolled back and, for a "broken"
      // session, its session state (advisory locks, settings, prepared statements, cursors) discarded.
      if (!this.handle.dead) await this.handle.request({ op: 'reset', ...(broken ? { discard: true } : {}) }).catch(() => undefined);
    } finally {
      this.unlock();
    }
  }
}

export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  label = 'embedded PGlite';
  /** How many times the worker was restarted (cancel, timeout, crash). An in-memory database is empty after one. */
  restarts = 0;
  readonly dataDir: string | undefined;
  /** How the current worker's database started (from the snapshot, initdb, its data directory); set once it is ready. */
  startedFrom: StartedFrom | undefined;
  private readonly snapshotDir: string | undefined;
  private handle: WorkerHandle | undefined;
  private version: { num: number; text: string } | undefined;
  private lock: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly workerPath: string;

  constructor(private readonly options: EmbeddedOptions = {}) {
    if (options.sharedBuffers !== undefined && !/^\d+(kB|MB|GB)$/.test(options.sharedBuffers)) {
      throw new DatabaseError('connection', `sharedBuffers must be a size such as 16MB, not "${options.sharedBuffers}"`);
    }
    this.dataDir = options.dataDir;
    this.snapshotDir = options.dataDir || options.snapshotDir === false ? undefined : (options.snapshotDir ?? defaultSnapshotDir());
    this.workerPath = options.workerPath ?? defaultWorkerPath();
  }

  /** Starts the worker (and waits until PostgreSQL is ready). */
  async start(): Promise<void> {
    await this.current();
  }

  /** A worker; `rebuild`: its start makes the snapshot anew without reading it (the last start from it crashed the thread). */
  private spawn(rebuild = false): WorkerHandle {
    const start = {
      ...(this.dataDir ? { dataDir: this.dataDir } : this.snapshotDir ? { snapshotDir: this.snapshotDir, ...(rebuild ? { rebuild } : {}) } : {}),
      ...(this.options.sharedBuffers ? { sharedBuffers: this.options.sharedBuffers } : {}),
    };
    const h = new WorkerHandle(this.workerPath, start, (crashed) => {
      if (this.handle === crashed && !this.closed) {
        this.handle = undefined;
        this.restarts++;
        this.options.onRestart?.('crashed');
      }
    });
    this.handle = h;
    return h;
  }

  private async current(): Promise<WorkerHandle> {
    if (this.closed) throw new DatabaseError('connection', 'the embedded database is closed');
    let h = this.handle && !this.handle.dead ? this.handle : this.spawn();
    let version: { num: number; text: string; startedFrom?: StartedFrom };
    try {
      version = await h.ready;
    } catch (err) {
      // PostgreSQL did not start (bad data directory, …): stop the thread; the next session() tries again.
      h.fail(err as DatabaseError);
      if (this.handle === h) this.handle = undefined;
      // A snapshot PGlite chokes on can stop the thread itself (an error thrown where the worker cannot catch
      // it): once more, making the snapshot anew.
      if (!this.snapshotDir || this.closed) throw err;
      h = this.spawn(true);
      try {
        version = await h.ready;
      } catch (again) {
        h.fail(again as DatabaseError);
        if (this.handle === h) this.handle = undefined;
        throw again;
      }
    }
    if (this.handle === h) this.startedFrom = version.startedFrom;
    if (!this.version) {
      this.version = { num: version.num, text: version.text };
      this.label = `embedded PGlite (${version.text})`;
    }
    return h;
  }

  /** Stops `handle` (rejecting its statement with `error`) and starts a fresh worker in the background. */
  restart(handle: WorkerHandle, reason: RestartReason, error: DatabaseError): void {
    if (handle.dead) return;
    handle.fail(error);
    if (this.handle !== handle || this.closed) return;
    this.restarts++;
    try {
      this.spawn(); // ready in ~1 s from the snapshot (~5 s with initdb); session() waits for it
    } catch {
      this.handle = undefined;
    }
    this.options.onRestart?.(reason);
  }

  async session(): Promise<Session> {
    const previous = this.lock;
    let unlock!: () => void;
    this.lock = new Promise<void>((r) => (unlock = r));
    await previous;
    try {
      return new EmbeddedSession(this, await this.current(), unlock);
    } catch (err) {
      unlock();
      throw err;
    }
  }

  async serverVersion(): Promise<{ num: number; text: string }> {
    if (!this.version) await this.current();
    return this.version!;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const h = this.handle;
    this.handle = undefined;
    if (!h || h.dead) return;
    const closed = new DatabaseError('connection', 'the embedded database was closed');
    // A statement running: stopped rather than waited for. An in-memory database has nothing to keep: its thread
    // is stopped at once (PostgreSQL's shutdown checkpoint would only write pages into memory about to be freed).
    if (h.busy || !this.dataDir) {
      h.fail(closed);
      return;
    }
    const timeout = new Promise<void>((r) => setTimeout(r, 10_000).unref());
    await Promise.race([
      h.request({ op: 'close' }).then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
    h.fail(closed);
  }
}

/** Starts the embedded database and resolves when PostgreSQL is ready (about 1 s from the snapshot, 5 s with initdb). */
export async function openEmbedded(options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const db = new EmbeddedDatabase(options);
  try {
    await db.start();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

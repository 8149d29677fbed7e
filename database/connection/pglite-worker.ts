/**
 * The embedded database's thread: PGlite (PostgreSQL 18 in WASM) with pgvector, driven over postMessage by
 * embedded.ts. Bundled on its own to dist/pglite-worker.js with `@electric-sql/pglite*` external (PGlite loads
 * its .wasm/.data files relative to its own module).
 *
 * PGlite runs a statement synchronously inside WASM: while it runs, this thread handles no message, and
 * PostgreSQL's statement_timeout has no timer to fire here. So before each statement the worker tells the host
 * the session's `statement_timeout`, and the host enforces it (and cancel) by terminating this thread.
 *
 * An in-memory database starts from the cached snapshot of a fresh data directory when there is one (about a
 * second, against five for initdb), and otherwise runs initdb and saves the snapshot for the next (snapshot.ts).
 */
import { PGlite, type PGliteOptions, type Results } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { readSnapshot, removeSnapshot, snapshotFile, type SnapshotRead, unusableDir, writeSnapshot } from './snapshot';

export type WorkerRequest =
  /**
   * snapshotDir: where the snapshot of a fresh in-memory database is cached (absent: initdb, nothing cached);
   * rebuild: the snapshot is made anew without being read (reading it stopped the last thread);
   * sharedBuffers: PostgreSQL's shared_buffers (`16MB`), absent: the data directory's (initdb's 128MB).
   */
  | { id: number; op: 'init'; dataDir?: string; snapshotDir?: string; rebuild?: boolean; sharedBuffers?: string }
  /** copy: the data of a `COPY … FROM '/dev/blob'` in the statement (PGlite reads it as the file /dev/blob). */
  | { id: number; op: 'query'; sql: string; params?: unknown[]; extended?: boolean; copy?: string }
  | { id: number; op: 'reset'; discard?: boolean }
  | { id: number; op: 'close' };

export interface WireError {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
}

export interface WireResult {
  rows: Record<string, unknown>[];
  fields: string[];
  rowCount: number | null;
  command: string;
}

/**
 * How a database started: from the cached snapshot, from initdb (with what became of the snapshot: written, written
 * over a damaged one, or why it was not), or from its data directory.
 */
export type StartedFrom =
  { from: 'snapshot' } | { from: 'initdb'; snapshot: 'created' | 'rebuilt' | `not saved: ${string}` | 'none' } | { from: 'data directory' };

export type WorkerResponse =
  | { id: number; type: 'started'; timeoutMs: number }
  | { id: number; type: 'ok'; result?: WireResult; version?: { num: number; text: string }; startedFrom?: StartedFrom }
  | { id: number; type: 'error'; error: WireError };

/** `SHOW statement_timeout` text ("0", "500ms", "2s", "1min", "1h", "1d") in milliseconds. */
export function timeoutSettingMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1;
  return Math.round(n * factor);
}

/**
 * The statement_timeout a batch sets for itself (`BEGIN; SET LOCAL statement_timeout = 5000; EXPLAIN …` in one
 * call): the last `SET [LOCAL|SESSION] statement_timeout` or `set_config('statement_timeout', …)` in the text,
 * in ms; undefined when there is none (or it is DEFAULT). The host cannot see settings made inside a running
 * batch, so it reads them from the text.
 */
export function timeoutInSql(sql: string): number | undefined {
  const patterns = [
    /\bset\s+(?:local\s+|session\s+)?statement_timeout\s*(?:=|\bto\b)\s*(?:'([^']*)'|([\w.]+))/gi,
    /\bset_config\s*\(\s*'statement_timeout'\s*,\s*'([^']*)'/gi,
  ];
  let best: { at: number; value: string } | undefined;
  for (const re of patterns) {
    for (const m of sql.matchAll(re)) {
      const value = m[1] ?? m[2] ?? '';
      if (!best || m.index > best.at) best = { at: m.index, value };
    }
  }
  if (!best || /^default$/i.test(best.value.trim())) return undefined;
  return /^\s*\d/.test(best.value) ? timeoutSettingMs(best.value) : undefined;
}

// int8 and numeric as strings, as node-postgres returns them (no silent precision loss).
const parsers = { 20: (v: string) => v, 1700: (v: string) => v };

let db: PGlite | undefined;

/**
 * Opens PGlite. shared_buffers is all resident from the start (emscripten's mmap zeroes the shared memory), so a
 * caller that needs little of it (EXPLAIN on a schema with empty tables) asks for less.
 */
async function open(options: PGliteOptions, sharedBuffers: string | undefined): Promise<PGlite> {
  const startParams = sharedBuffers ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] } : {};
  const d = new PGlite({ ...options, ...startParams, extensions: { vector }, parsers });
  await d.waitReady;
  return d;
}

/**
 * Collects the start's garbage (the 40 MB tar, initdb's dump) now: nothing else allocates much in this thread
 * afterwards, so V8 would keep it until the database is closed, at the top of the memory peak. `gc` is exposed on
 * a new context once the flag is set.
 */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // not exposed: V8 collects it later
  }
}

/**
 * The tar as PGlite reads its `loadDataDir` (it asks for `arrayBuffer()` and `type`, nothing else), handing over the
 * snapshot's own buffer once: a real Blob would hold a second 40 MB copy at the memory peak, and PGlite keeps its
 * options, so the buffer is let go once read.
 */
function tarBlob(tar: Uint8Array): Blob {
  let held: Uint8Array | undefined = tar;
  const arrayBuffer = async (): Promise<ArrayBufferLike> => {
    const b = held?.buffer;
    held = undefined;
    if (!b) throw new Error('the snapshot was already read');
    return b;
  };
  return { size: tar.byteLength, type: 'application/x-tar', arrayBuffer } as unknown as Blob;
}

/**
 * A database with a data directory opens it (initdb the first time). An in-memory one loads the snapshot; when
 * there is none, or it is damaged (it does not unpack, or PostgreSQL does not start from it), it runs initdb and
 * saves a snapshot of the fresh data directory before any statement runs.
 */
async function start(msg: Extract<WorkerRequest, { op: 'init' }>): Promise<{ db: PGlite; from: StartedFrom }> {
  const sb = msg.sharedBuffers;
  if (msg.dataDir) return { db: await open({ dataDir: msg.dataDir }, sb), from: { from: 'data directory' } };
  if (!msg.snapshotDir) return { db: await open({}, sb), from: { from: 'initdb', snapshot: 'none' } };
  const unusable = unusableDir(msg.snapshotDir);
  if (unusable) return { db: await open({}, sb), from: { from: 'initdb', snapshot: `not saved: ${unusable}` } };
  const file = snapshotFile(msg.snapshotDir);
  const read: SnapshotRead = msg.rebuild ? { damaged: 'it stopped the last start' } : readSnapshot(file);
  let damaged = 'damaged' in read;
  if ('tar' in read) {
    try {
      return { db: await open({ loadDataDir: tarBlob(read.tar) }, sb), from: { from: 'snapshot' } };
    } catch {
      damaged = true; // not a data directory PostgreSQL starts from: made anew below
    }
  }
  if (damaged) removeSnapshot(file);
  const fresh = await open({}, sb);
  // A checkpoint first, so that a database started from the snapshot has no WAL to replay.
  await fresh.exec('CHECKPOINT');
  const dump = await fresh.dumpDataDir('none');
  const failed = writeSnapshot(file, new Uint8Array(await dump.arrayBuffer()));
  return { db: fresh, from: { from: 'initdb', snapshot: failed ? `not saved: ${failed}` : damaged ? 'rebuilt' : 'created' } };
}

function wireError(err: unknown): WireError {
  const e = (err ?? {}) as { message?: unknown; code?: unknown; detail?: unknown; hint?: unknown; position?: unknown };
  const out: WireError = { message: typeof e.message === 'string' ? e.message : String(err) };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.detail === 'string') out.detail = e.detail;
  if (typeof e.hint === 'string') out.hint = e.hint;
  if (typeof e.position === 'string') out.position = e.position;
  return out;
}

function wireResult(r: Results | undefined): WireResult {
  if (!r) return { rows: [], fields: [], rowCount: null, command: '' };
  const x = r as Results & { command?: string; rowCount?: number };
  return {
    rows: r.rows as Record<string, unknown>[],
    fields: r.fields.map((f) => f.name),
    rowCount: x.rowCount ?? (typeof r.affectedRows === 'number' && x.command !== 'SELECT' ? r.affectedRows : null),
    command: x.command ?? '',
  };
}

/** The session's statement_timeout as last read; undefined when a statement may have changed it. */
let sessionTimeoutMs: number | undefined;
const MAY_CHANGE_TIMEOUT =
  /statement_timeout|\breset\b|\bdiscard\b|\bcommit\b|\brollback\b|\bend\b|\babort\b|\bset_config\b|\bset\s+role\b|\bprepare\s+transaction\b/i;

async function handle(msg: WorkerRequest, post: (r: WorkerResponse) => void): Promise<void> {
  switch (msg.op) {
    case 'init': {
      const started = await start(msg);
      db = started.db;
      if (started.from.from !== 'data directory') collectGarbage();
      const r = await db.query<{ num: string; v: string }>(
        "select pg_catalog.current_setting('server_version_num') as num, pg_catalog.current_setting('server_version') as v",
      );
      const row = r.rows[0]!;
      post({ id: msg.id, type: 'ok', version: { num: Number(row.num), text: `PostgreSQL ${row.v}` }, startedFrom: started.from });
      return;
    }
    case 'query': {
      if (!db) throw new Error('the embedded database is not started');
      // The session's statement_timeout changes only through statements that name it or end a transaction
      // (SET LOCAL reverts): asked again only after one of those, not before every query.
      // In a transaction a failed statement aborted, SHOW fails too, and its error would replace the one the
      // caller is rolling back from: only ROLLBACK (TO SAVEPOINT) runs there, and it needs no timer.
      if (sessionTimeoutMs === undefined) {
        const st = await db.query<{ statement_timeout: string }>('show statement_timeout').catch(() => undefined);
        if (st) sessionTimeoutMs = timeoutSettingMs(st.rows[0]?.statement_timeout ?? '0');
      }
      const current = sessionTimeoutMs;
      if (MAY_CHANGE_TIMEOUT.test(msg.sql)) sessionTimeoutMs = undefined;
      // The host arms its timer on 'started'; with no timeout there is nothing to arm and one message fewer.
      const timeoutMs = timeoutInSql(msg.sql) ?? current ?? 0;
      if (timeoutMs > 0) post({ id: msg.id, type: 'started', timeoutMs });
      if (msg.copy !== undefined) {
        const r = await db.query<Record<string, unknown>>(msg.sql, [], { blob: new Blob([msg.copy]) });
        post({ id: msg.id, type: 'ok', result: wireResult(r) });
      } else if (msg.extended || (msg.params && msg.params.length > 0)) {
        // Extended protocol: one statement, whatever the text holds.
        const r = await db.query<Record<string, unknown>>(msg.sql, msg.params ?? []);
        // PGlite loses the error of a Parse that fails deep in the server (a very deeply nested statement) and
        // answers with nothing at all: say so rather than hand back an empty result.
        if (!(r as Results & { command?: string }).command && r.fields.length === 0) {
          throw Object.assign(
            new Error('the embedded database gave no result and no error for this statement (PGlite does this for a statement nested too deeply for it)'),
            { code: 'XX000' },
          );
        }
        post({ id: msg.id, type: 'ok', result: wireResult(r) });
      } else {
        // Simple protocol, as node-postgres without parameters: several statements allowed, the last result counts.
        const results = await db.exec(msg.sql);
        post({ id: msg.id, type: 'ok', result: wireResult(results[results.length - 1]) });
      }
      return;
    }
    case 'reset': {
      sessionTimeoutMs = undefined;
      // A released session must not hand an open (or aborted) transaction to the next one.
      if (db && db.isInTransaction()) await db.exec('ROLLBACK');
      if (db && msg.discard) await db.exec('DISCARD ALL');
      post({ id: msg.id, type: 'ok' });
      return;
    }
    case 'close': {
      const d = db;
      db = undefined;
      if (d && !d.closed) await d.close();
      post({ id: msg.id, type: 'ok' });
      return;
    }
  }
}

const port = parentPort;
if (port) {
  const post = (r: WorkerResponse) => port.postMessage(r);
  // One message at a time, in order (PGlite has one connection).
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: WorkerRequest) => {
    chain = chain.then(() => handle(msg, post).catch((err: unknown) => post({ id: msg.id, type: 'error', error: wireError(err) })));
  });
}

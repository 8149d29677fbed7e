/**
 * The snapshot of a freshly initialised embedded database. PGlite runs initdb for every new in-memory database
 * (a second WASM instance: seconds of CPU and about 300 MB more at the peak), and its result is the same for
 * every database of one PGlite, pgvector and pgperf version. So the data directory is dumped once, right after
 * initdb (a 40 MB tar), kept in the per-user cache folder, and each later in-memory database starts from its own
 * copy of it (PGlite's `loadDataDir`).
 *
 * - One file per version key: a header line (the tar's length and SHA-256), then the tar. Not compressed: reading
 *   40 MB and hashing it takes a third of gunzip's time, and the tar is read straight into the one buffer PGlite
 *   unpacks (no second copy at the memory peak).
 * - Written atomically: a temporary file of its own in the same folder, then renamed over the name. Two processes
 *   that create it at once each write their own; the last rename wins; a reader sees one whole file or none.
 * - Checked when read: a header that does not parse, a length or a hash that does not match (a truncated or
 *   damaged file) make it damaged; so does a tar PostgreSQL does not start from. A damaged one is deleted and made
 *   anew (pglite-worker.ts).
 * - Each read marks the file used (its mtime); a snapshot of another version unused for 30 days is deleted when a
 *   new one is written, so old versions do not pile up.
 * - Never written after a session has run: the dump is taken before the first statement, and every session runs
 *   on its own in-memory copy, so one session's DDL or data never reaches the next.
 * - The folder must be the user's own (created 0700, not writable by others): a snapshot planted by another user
 *   would be a database pgperf trusts. When it is not, databases start with initdb, as without a cache.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { version as pgperfVersion } from '../../package.json';

/**
 * Bumped when the way the snapshot is made changes (its settings, what is in it), so that an older file under the
 * same versions is not used.
 */
const SNAPSHOT_FORMAT = 1;
const SUFFIX = '.snapshot';
/** The header line: `pgperf-snapshot <bytes> <sha256 hex>\n`, padded with spaces to a fixed length. */
const HEADER_BYTES = 128;
const HEADER = /^pgperf-snapshot (\d+) ([0-9a-f]{64}) *\n$/;

/** A package's version from its package.json (beside its main entry's dist/ folder; package.json is not in its exports). */
function packageVersion(name: string): string {
  const main = require.resolve(name);
  const pkg = JSON.parse(readFileSync(join(dirname(dirname(main)), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The snapshot file in `dir` for the PGlite and pgvector this process loads and this pgperf. */
export function snapshotFile(dir: string): string {
  const safe = (v: string) => v.replace(/[^\w.+-]/g, '_');
  const key = [
    `pglite-${safe(packageVersion('@electric-sql/pglite'))}`,
    `pgvector-${safe(packageVersion('@electric-sql/pglite-pgvector'))}`,
    `pgperf-${safe(pgperfVersion)}`,
    `f${SNAPSHOT_FORMAT}`,
  ].join('-');
  return join(dir, `${key}${SUFFIX}`);
}

/**
 * The per-user cache folder for snapshots: `$XDG_CACHE_HOME/pgperf`, `%LOCALAPPDATA%\pgperf` on Windows,
 * `~/.cache/pgperf`, or, without a home folder, `pgperf-<uid>` in the temporary folder.
 */
export function defaultSnapshotDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'pgperf');
  if (process.platform === 'win32' && env.LOCALAPPDATA && isAbsolute(env.LOCALAPPDATA)) return join(env.LOCALAPPDATA, 'pgperf');
  let home = '';
  try {
    home = homedir();
  } catch {
    // no home folder (a service account): the temporary folder below
  }
  if (home && isAbsolute(home)) return join(home, '.cache', 'pgperf');
  return join(tmpdir(), `pgperf-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
}

/**
 * Creates `dir` (0700) when missing; why it cannot hold snapshots when it is not a folder of this user's that
 * others cannot write to (or cannot be created).
 */
export function unusableDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `${dir} is not a folder`;
    if (typeof process.getuid === 'function') {
      if (st.uid !== process.getuid()) return `${dir} belongs to another user`;
      if ((st.mode & 0o022) !== 0) return `${dir} is writable by other users`;
    }
    return undefined;
  } catch (e) {
    return `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

export type SnapshotRead = { tar: Uint8Array } | { missing: true } | { damaged: string };

/** The snapshot's tar (in an ArrayBuffer of its own), or why there is none to use: missing, or damaged. */
export function readSnapshot(file: string): SnapshotRead {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { missing: true } : { damaged: `cannot read it (${code ?? (e as Error).message})` };
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const m = HEADER.exec(readSync(fd, header, 0, HEADER_BYTES, 0) === HEADER_BYTES ? header.toString('latin1') : '');
    if (!m) return { damaged: 'not a snapshot (no header)' };
    const bytes = Number(m[1]);
    const size = fstatSync(fd).size;
    if (size !== HEADER_BYTES + bytes) return { damaged: `${size} bytes where the header says ${HEADER_BYTES + bytes}` };
    const tar = new Uint8Array(bytes);
    for (let at = 0; at < bytes;) {
      const n = readSync(fd, tar, at, bytes - at, HEADER_BYTES + at);
      if (n === 0) return { damaged: 'shorter than its header says' };
      at += n;
    }
    if (createHash('sha256').update(tar).digest('hex') !== m[2]) return { damaged: 'its SHA-256 does not match' };
    markUsed(file);
    return { tar };
  } catch (e) {
    return { damaged: `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  } finally {
    closeSync(fd);
  }
}

function markUsed(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // read-only cache: the file is still good
  }
}

/** Deletes a snapshot found damaged (a file another process has renamed there since is made again by the next start). */
export function removeSnapshot(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Temporary files of a writer that died before its rename, left for an hour in case one is still writing. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Snapshots of other versions not used for this long are deleted when a new one is written. */
const STALE_SNAPSHOT_MS = 30 * 24 * 60 * 60 * 1000;

/** Writes the snapshot atomically (temporary file, fsync, rename); why not, when it could not be written. */
export function writeSnapshot(file: string, tar: Uint8Array): string | undefined {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let fd: number | undefined;
  try {
    const header = Buffer.alloc(HEADER_BYTES, ' ');
    header.write(`pgperf-snapshot ${tar.length} ${createHash('sha256').update(tar).digest('hex')}`, 'latin1');
    header[HEADER_BYTES - 1] = 0x0a;
    fd = openSync(temp, 'wx', 0o600);
    for (const part of [header, tar]) for (let at = 0; at < part.length;) at += writeSync(fd, part, at, part.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
    removeStale(dirname(file), basename(file));
    return undefined;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    removeSnapshot(temp);
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/** Deletes temporary files a dead writer left and snapshots of other versions long unused. */
function removeStale(dir: string, current: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const age = name.endsWith('.tmp') ? STALE_TEMP_MS : name.endsWith(SUFFIX) && name !== current ? STALE_SNAPSHOT_MS : undefined;
    if (age === undefined) continue;
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > age) removeSnapshot(path);
    } catch {
      // renamed or removed by another process meanwhile
    }
  }
}

/**
 * The lint cache on disk, keyed by content hash (ESLint's `--cache`, for pgperf's cross-file analysis): whole runs,
 * and the SQL strings of host files.
 *
 * A file's findings depend on every other file (the catalog is the whole migration history), so findings are kept
 * only per run: the output of a run whose every input (file paths and contents, configuration, command options,
 * pgperf build) hashes the same is the output of that run again. A host file's extraction depends on its text,
 * language and the `embedded` options alone, so it is kept per file: a run where one file changed re-parses only
 * the host files that changed (tree-sitter is most of a mixed tree's time).
 *
 * The file is written whole (to a temporary name, then renamed: a reader never sees half of it), with the build it
 * was made by: another build's file, or one that cannot be read, is an empty cache, never an error. It lives in the
 * user's cache folder, not in the working folder: a repository cannot ship one (its output would be printed as
 * pgperf's), and nothing needs ignoring in version control.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { hostLanguageOf, type EmbeddedOptions, type HostExtract } from './analysis/index';

/** Cache files of folders not linted for this long are removed when another is saved beside them. */
const STALE_MS = 30 * 24 * 3600 * 1000;

const FORMAT = 'pgperf-lint-cache/1';
/** Runs kept: the last few distinct ones (formats, paths, configurations). */
const MAX_RUNS = 8;
/** Host extractions kept: those of the last run, then older ones up to this many. */
const MAX_HOSTS = 20_000;

/**
 * Where the cache of runs in `cwd` goes unless `--cache-location` says: the user's cache folder (XDG_CACHE_HOME,
 * else ~/.cache; LOCALAPPDATA on Windows), one file per working folder.
 */
export function defaultCachePath(cwd: string, env: NodeJS.ProcessEnv = process.env, kind: 'lint' | 'lsp' = 'lint'): string {
  const base = env.XDG_CACHE_HOME || (process.platform === 'win32' && env.LOCALAPPDATA) || join(homedir(), '.cache');
  // The language server's file apart from the CLI's: each is the other build's, which would empty it.
  return join(base, 'pgperf', `${kind}-${contentHash(cwd).slice(0, 16)}.cache`);
}

/** The cache key of a host file's extraction: its language, the `embedded` options and its text's hash. */
export function hostKey(path: string, textHash: string, embedded: EmbeddedOptions): string | undefined {
  const lang = hostLanguageOf(path);
  return lang && contentHash(lang, JSON.stringify(embedded), textHash);
}

/** What a run printed and its exit code. */
export interface CachedRun {
  out: string;
  code: number;
}

interface CacheData {
  format: string;
  build: string;
  runs: Map<string, CachedRun>;
  hosts: Map<string, HostExtract>;
}

/** A short, collision-safe digest of text (SHA-1: speed matters here, not resistance to a chosen collision). */
export function contentHash(...parts: string[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('base64url');
}

/**
 * The identity of the running pgperf: a digest of its bundle's bytes, so any change to the code invalidates the
 * cache. Run from source (tests), a fresh identity per process: nothing is reused across code changes.
 */
export function buildIdentity(bundle: string | undefined, version: string): string {
  if (bundle?.endsWith('.js')) {
    try {
      return contentHash(version, readFileSync(bundle, 'latin1'));
    } catch {
      // Unreadable bundle: fall through to a per-process identity.
    }
  }
  return `${version}-source-${randomUUID()}`;
}

export class LintCache {
  private readonly runs: Map<string, CachedRun>;
  private readonly hosts: Map<string, HostExtract>;
  private readonly usedHosts = new Map<string, HostExtract>();
  private readonly newRuns = new Map<string, CachedRun>();

  private constructor(
    readonly path: string,
    private readonly build: string,
    data: CacheData | undefined,
  ) {
    this.runs = data?.runs ?? new Map();
    this.hosts = data?.hosts ?? new Map();
  }

  /** The cache at `path` for this build; empty when the file is missing, unreadable, damaged or another build's. */
  static open(path: string, build: string): LintCache {
    let data: CacheData | undefined;
    try {
      const d = deserialize(readFileSync(path)) as Partial<CacheData> | null;
      if (d && d.format === FORMAT && d.build === build && d.runs instanceof Map && d.hosts instanceof Map) data = d as CacheData;
    } catch {
      data = undefined;
    }
    return new LintCache(path, build, data);
  }

  run(key: string): CachedRun | undefined {
    const r = this.runs.get(key);
    return r && typeof r.out === 'string' && Number.isInteger(r.code) ? r : undefined;
  }

  setRun(key: string, run: CachedRun): void {
    this.newRuns.set(key, run);
  }

  /** The extraction kept for `key`, when it fits a text of `textLength` (anything else is as good as missing). */
  host(key: string, textLength: number): HostExtract | undefined {
    const h = this.hosts.get(key);
    if (!h || !plausibleExtract(h, textLength)) return undefined;
    this.usedHosts.set(key, h);
    return h;
  }

  setHost(key: string, extract: HostExtract): void {
    this.usedHosts.set(key, extract);
  }

  /**
   * Writes the cache: this run's entries, then older ones within the bounds. Returns why it could not. `prune`:
   * the file is in pgperf's own cache folder, whose stale files (other folders') may go.
   */
  save(prune: boolean): string | undefined {
    // Runs oldest first: the older ones, then this run's, the oldest dropped beyond the bound.
    const runs = [...this.runs].filter(([k]) => !this.newRuns.has(k)).concat([...this.newRuns]);
    const hosts = new Map(this.usedHosts);
    for (const [k, v] of this.hosts) if (hosts.size < MAX_HOSTS && !hosts.has(k)) hosts.set(k, v);
    const data: CacheData = { format: FORMAT, build: this.build, runs: new Map(runs.slice(-MAX_RUNS)), hosts };
    const tmp = `${this.path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(tmp, serialize(data));
      renameSync(tmp, this.path);
      if (prune) pruneStale(dirname(this.path));
      return undefined;
    } catch (e) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // The folder itself is what failed (not a folder, not writable): there is no temporary file.
      }
      return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
  }
}

/** Removes other folders' cache files (`lint-*.cache`, `lsp-*.cache`) untouched for STALE_MS: the folder would otherwise only grow. */
function pruneStale(dir: string): void {
  try {
    const now = Date.now();
    for (const name of readdirSync(dir)) {
      if (!/^(?:lint|lsp)-[\w-]+\.cache$/.test(name)) continue;
      const p = join(dir, name);
      if (now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { force: true });
    }
  } catch {
    // Pruning is housekeeping: a folder that cannot be listed keeps its files.
  }
}

const inText = (n: unknown, length: number): boolean => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= length;
const range = (r: { start?: unknown; end?: unknown } | undefined, length: number): boolean =>
  !!r && inText(r.start, length) && inText(r.end, length) && (r.start as number) <= (r.end as number);

/**
 * Whether a kept extraction is one pgperf could have made for a text of `length`: every offset inside it. The file
 * is the user's own, but damaged or hand-edited, an offset outside the text must not reach the rules and the editor.
 */
function plausibleExtract(h: HostExtract, length: number): boolean {
  if (!Array.isArray(h.sql) || !Array.isArray(h.directives)) return false;
  for (const e of h.sql) {
    if (typeof e?.sql !== 'string' || !(e.starts instanceof Int32Array) || !(e.ends instanceof Int32Array)) return false;
    if (e.starts.length < e.sql.length + 1 || e.ends.length < e.sql.length || !range(e, length)) return false;
    for (const x of e.starts) if (x < 0 || x > length) return false;
    for (const x of e.ends) if (x < 0 || x > length) return false;
    if (!Array.isArray(e.pieces) || !e.pieces.every((p) => range(p, length))) return false;
    const holeOk = (x: (typeof e.holes)[number]): boolean =>
      inText(x?.hostStart, length) && inText(x?.hostEnd, length) && inText(x?.sqlStart, e.sql.length) && inText(x?.sqlEnd, e.sql.length);
    if (!Array.isArray(e.holes) || !e.holes.every(holeOk)) return false;
  }
  return h.directives.every((d) => typeof d?.text === 'string' && range(d, length) && range(d.covers, length));
}

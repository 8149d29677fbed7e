/**
 * Host-file extraction spread over worker threads for a command-line scan. Parsing host code with tree-sitter costs
 * several times what linting the SQL found in it does, and each file is independent: the files are shared out by
 * size between the main thread and up to (cores − 1) workers, and the results are primed for the lint that follows
 * (primeHostExtracts), which takes a result only for exactly the text and options it was computed for. A worker that
 * fails or cannot start costs nothing but time: its files are extracted by the lint itself, as without a pool.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { extractHost, hostLanguageOf, primeHostExtracts, type EmbeddedOptions, type HostExtract } from '../server/src/analysis/index';
import type { HostJob, HostJobResult } from './host-worker';

/**
 * A worker's start (a thread, the bundle, the grammars and the parser: 0.2–0.35 s on a 2-core machine, measured) in
 * host text this thread extracts meanwhile: a worker's share is that much smaller than this thread's.
 */
const START_COST_BYTES = 600_000;
/** A worker pays off only with a share of its own beyond its start: at least this much host text per worker. */
const BYTES_PER_WORKER = 3 * START_COST_BYTES;
const MAX_WORKERS = 7;

/** Worker threads at most: PGPERF_WORKERS when set (0: none), else one fewer than the cores, at most MAX_WORKERS. */
function workersSetting(): number {
  const set = process.env.PGPERF_WORKERS;
  if (set !== undefined && /^\d+$/.test(set.trim())) return Number(set);
  return Math.min(MAX_WORKERS, availableParallelism() - 1);
}

/** Where dist/host-worker.js is: beside the CLI bundle, or in dist/ when run from source. */
function workerPath(): string | undefined {
  return [join(__dirname, 'host-worker.js'), join(__dirname, '..', 'dist', 'host-worker.js')].find((p) => existsSync(p));
}

interface Share {
  files: { path: string; text: string }[];
  bytes: number;
}

/** Shares files out largest first, each to the lightest share so far; the workers' shares (all but the first) start at their start cost. */
function shareOut(files: readonly { path: string; text: string }[], n: number): Share[] {
  const shares: Share[] = Array.from({ length: n }, (_, i) => ({ files: [], bytes: i === 0 ? 0 : START_COST_BYTES }));
  for (const f of [...files].sort((a, b) => b.text.length - a.text.length)) {
    const lightest = shares.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.files.push(f);
    lightest.bytes += f.text.length;
  }
  return shares;
}

function runWorker(path: string, job: HostJob): Promise<{ path: string; extract: HostExtract }[]> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (results: { path: string; extract: HostExtract }[]): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      resolve(results);
    };
    const worker = new Worker(path);
    worker.once('message', (r: HostJobResult) => done(r.ok ? r.results : []));
    worker.once('error', () => done([]));
    worker.once('exit', () => done([]));
    worker.postMessage(job);
  });
}

/** What a parallel extraction did: the workers it started and the files whose results it primed. */
export interface PoolRun {
  workers: number;
  primed: number;
}

/**
 * Extracts the host files among `sources` on worker threads (and this one) and primes the results, each also given
 * to `sink` (the lint cache keeps them); does nothing when there is too little host text, one core, or no worker
 * bundle. Needs initEmbedded().
 */
export async function extractHostFilesInParallel(
  sources: readonly { path: string; text: string }[],
  options: EmbeddedOptions,
  maxWorkers = workersSetting(),
  sink?: (path: string, extract: HostExtract) => void,
): Promise<PoolRun> {
  const host = sources.filter((s) => hostLanguageOf(s.path));
  const bytes = host.reduce((n, s) => n + s.text.length, 0);
  const path = workerPath();
  const workers = Math.min(maxWorkers, Math.floor(bytes / BYTES_PER_WORKER));
  if (!path || workers < 1) return { workers: 0, primed: 0 };
  const [mine, ...theirs] = shareOut(host, workers + 1);
  const pending = theirs.map((s) => runWorker(path, { options, files: s.files }));
  // This thread's share while the workers run (their start overlaps it).
  const own = mine!.files.map((f) => ({ path: f.path, extract: extractHost(f.path, f.text, options) }));
  const texts = new Map(host.map((s) => [s.path, s.text]));
  const results = [...own, ...(await Promise.all(pending)).flat()];
  if (sink) for (const r of results) sink(r.path, r.extract);
  primeHostExtracts(
    results.map((r) => ({ ...r, text: texts.get(r.path)! })),
    options,
  );
  return { workers, primed: results.length };
}

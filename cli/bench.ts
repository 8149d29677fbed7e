/**
 * `pgperf bench hnsw` and `pgperf bench rls`: the command-palette benchmarks (database/bench) from the command
 * line, against DATABASE_URL / PG* or, without them, the embedded PGlite database (with pgvector). This file reads
 * the options, chooses the database, asks for --yes on a server that is not local, shows progress on stderr and
 * prints the text table on stdout; the work is database/bench/hnsw.ts's and rls.ts's. Ctrl-C (or SIGTERM)
 * cancels: the benchmark stops and drops its scratch objects, waiting a bounded time for locks; a second one exits
 * at once, naming what may be left behind and the SQL to drop it.
 *
 * Exit codes: 0 the report was printed; 1 the database refused or the run failed; 2 bad usage (options, database
 * settings that do not parse, an output file that cannot be written — all checked before anything connects), or
 * a server that is not local without --yes; 130 cancelled (SIGINT / SIGTERM).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openEmbedded } from '../database/index';
import { databaseFromEnv, type Env } from '../database/index';
import { type Database, DatabaseError } from '../database/index';
import { DEFAULT_HNSW_PARAMS, estimateScratchBytes, isLocal, resolveHnswParams, runHnswSweep } from '../database/index';
import { describeRlsScratch, isLocalHost, toCsv, toTextTable } from '../database/index';
import { formatBytes } from '../database/index';
import { type BenchReport, type HnswParams, RLS_DEFAULTS, type RlsParams } from '../database/index';
import { runRlsBenchmark } from '../database/index';
import { leftBehindText, ScratchLedger } from '../database/index';
import { UsageError } from '../server/src/files';
import { serverTarget } from './target';
import { checkDistinctOutputs, HelpRequested, parseCommand } from './args';
import { onTerminationSignals } from './signals';

export interface BenchIo {
  out(s: string): void;
  err(s: string): void;
  cwd: string;
  env?: Env;
  /** Progress lines are redrawn in place when stderr is a terminal. */
  errIsTty?: boolean;
  /** Ends the process at once (a second Ctrl-C); default process.exit. */
  exit?: (code: number) => never;
}

export async function benchCommand(args: string[], io: BenchIo): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === 'hnsw') return hnsw(rest, io);
  if (kind === 'rls') return rls(rest, io);
  if (kind === '--help' || kind === '-h') throw new HelpRequested('bench');
  if (kind === undefined) throw new UsageError('bench needs "hnsw" or "rls": "pgperf bench --help" describes both');
  throw new UsageError(`unknown benchmark "${kind}" (hnsw or rls): "pgperf bench --help" describes both`);
}

// ---------------------------------------------------------------------------------------------------------------
// Options

function int(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const v = Number(raw.replace(/_/g, ''));
  if (!/^\s*[\d_]+\s*$/.test(raw) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`--${name} needs a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, not "${raw}"`);
  }
  return v;
}

function intList(name: string, raw: string | undefined, fallback: readonly number[], min: number, max: number): number[] {
  if (raw === undefined) return [...fallback];
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < min || Number(p) > max)) {
    throw new UsageError(`--${name} needs a comma-separated list of whole numbers from ${min} to ${max} (e.g. ${fallback.join(',')}), not "${raw}"`);
  }
  return [...new Set(parts.map(Number))];
}

function oneOf<T extends string>(name: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`--${name} is one of ${allowed.join(', ')}, not "${raw}"`);
  return raw as T;
}

/** The issue's options, validated against pgvector's limits (m 2–100, ef_construction 4–1000 and ≥ 2 × m, …). */
function parseHnswArgs(args: string[]): { params: HnswParams; yes: boolean; json?: string; csv?: string } {
  const { values } = parseCommand(
    'bench hnsw',
    args,
    {
      dim: { type: 'string' },
      count: { type: 'string' },
      queries: { type: 'string' },
      distribution: { type: 'string' },
      metric: { type: 'string' },
      m: { type: 'string' },
      'ef-construction': { type: 'string' },
      'ef-search': { type: 'string' },
      k: { type: 'string' },
      'recall-target': { type: 'string' },
      seed: { type: 'string' },
      table: { type: 'string' },
      column: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      json: { type: 'string' },
      csv: { type: 'string' },
    },
    false,
  );
  const d = DEFAULT_HNSW_PARAMS;
  const m = intList('m', values.m, d.m, 2, 100);
  const efConstruction = intList('ef-construction', values['ef-construction'], d.efConstruction, 4, 1000);
  const efSearch = intList('ef-search', values['ef-search'], d.efSearch, 1, 1000);
  for (const mm of m) {
    for (const ef of efConstruction) {
      if (ef < 2 * mm) throw new UsageError(`ef_construction ${ef} is below 2 × m (m = ${mm}): pgvector refuses to build that index`);
    }
  }
  let recallTarget = d.recallTarget;
  if (values['recall-target'] !== undefined) {
    recallTarget = Number(values['recall-target']);
    if (!/^\s*(0(\.\d+)?|1(\.0*)?|\.\d+)\s*$/.test(values['recall-target']) || !(recallTarget > 0 && recallTarget <= 1)) {
      throw new UsageError(`--recall-target needs a number in (0, 1], not "${values['recall-target']}"`);
    }
  }
  if ((values.table === undefined) !== (values.column === undefined)) throw new UsageError('--table and --column go together');
  if (values.table !== undefined && !values.table.trim()) throw new UsageError('--table needs a table name');
  if (values.column !== undefined && !values.column.trim()) throw new UsageError('--column needs a column name');
  const params: HnswParams = {
    dim: int('dim', values.dim, d.dim, 1, 2000),
    count: int('count', values.count, d.count, 1),
    queries: int('queries', values.queries, d.queries, 1),
    distribution: oneOf('distribution', values.distribution, d.distribution, ['clustered', 'uniform'] as const),
    metric: oneOf('metric', values.metric, d.metric, ['cosine', 'l2', 'ip'] as const),
    m,
    efConstruction,
    efSearch,
    k: int('k', values.k, d.k, 1, 1000),
    recallTarget,
    seed: int('seed', values.seed, d.seed, 0, 2 ** 32 - 1),
    ...(values.table !== undefined ? { table: values.table, column: values.column! } : {}),
  };
  if (params.count < params.k) throw new UsageError(`--count ${params.count} is below --k ${params.k}`);
  try {
    resolveHnswParams(params); // the benchmark's own checks, before anything connects
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return { params, yes: values.yes!, ...(values.json !== undefined ? { json: values.json } : {}), ...(values.csv !== undefined ? { csv: values.csv } : {}) };
}

function parseRlsArgs(args: string[]): { params: RlsParams; yes: boolean; json?: string } {
  const { values } = parseCommand(
    'bench rls',
    args,
    {
      rows: { type: 'string' },
      rounds: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      json: { type: 'string' },
    },
    false,
  );
  const d = RLS_DEFAULTS;
  const params: RlsParams = {
    rows: int('rows', values.rows, d.rows, 100),
    rounds: int('rounds', values.rounds, d.rounds, 2),
    ...(d.tenants !== undefined ? { tenants: d.tenants } : {}),
    seed: d.seed,
  };
  return { params, yes: values.yes!, ...(values.json !== undefined ? { json: values.json } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Database, confirmation, progress

interface Chosen {
  db: Database;
  local: boolean;
  /** Where it came from, for the messages. */
  source: string;
}

type Server = Omit<Chosen, 'db'> & { open: () => Database };

/**
 * DATABASE_URL / PG* (not connected yet) or undefined for the embedded database. Settings that do not parse are
 * the user's to fix: a usage error, before anything connects or is created.
 */
function chooseServer(env: Env): Server | undefined {
  const target = serverTarget(env);
  if (!target) return undefined;
  const host = typeof target.config.host === 'string' ? target.config.host : undefined;
  return { local: isLocalHost(host), source: target.source, open: () => databaseFromEnv(env)! };
}

function formatEta(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `, ETA ${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `, ETA ${m} min ${String(s % 60).padStart(2, '0')} s` : `, ETA ${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Progress on stderr: redrawn in place on a terminal, else a line per new step (and every 10 s within one). */
function progressPrinter(io: BenchIo): { report: (step: string, fraction: number, etaMs?: number | null) => void; done: () => void } {
  let lastStep = '';
  let lastAt = 0;
  let drawn = false;
  return {
    report(step, fraction, etaMs) {
      const pct = `${String(Math.round(Math.min(1, Math.max(0, fraction)) * 100)).padStart(3)}%`;
      const text = `pgperf: [${pct}] ${step}${formatEta(etaMs)}`;
      if (io.errIsTty) {
        io.err(`\r\x1b[2K${text}`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (step === lastStep && now - lastAt < 10_000) return;
      lastStep = step;
      lastAt = now;
      io.err(`${text}\n`);
    },
    done() {
      if (drawn) io.err('\r\x1b[2K');
      drawn = false;
    },
  };
}

function writeOut(io: BenchIo, file: string, text: string, what: string): void {
  const path = resolve(io.cwd, file);
  writeFileSync(path, text);
  io.err(`pgperf: wrote the ${what} to ${file}\n`);
}

interface RunOptions {
  signal: AbortSignal;
  onProgress: ReturnType<typeof progressPrinter>['report'];
  ledger: ScratchLedger;
}

/**
 * SIGINT / SIGTERM: the first aborts the run (which then drops its scratch objects); a second one, while that
 * cleanup waits (e.g. for a lock), exits at once with 130, after naming what may be left. Returns the uninstaller.
 */
function cancelOnSignals(io: BenchIo, abort: AbortController, ledger: ScratchLedger): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (!abort.signal.aborted) {
      io.err('\npgperf: cancelling (dropping the scratch objects; press Ctrl-C again to exit at once)…\n');
      abort.abort(new DatabaseError('cancelled', `cancelled by the user (${signal === 'SIGINT' ? 'Ctrl-C' : signal})`));
      return;
    }
    const left = ledger.remaining();
    const what = left.length > 0 ? `possibly ${leftBehindText(left)}` : 'nothing was left behind';
    io.err(`\npgperf: exiting at once, before the cleanup finished; ${what}\n`);
    (io.exit ?? process.exit)(130);
  };
  return onTerminationSignals(process, onSignal);
}

/**
 * The database from DATABASE_URL / PG*, or the embedded one; an exit code instead when the run must not go there
 * (a server not on this machine without --yes). Throws a DatabaseError for settings it cannot use.
 */
async function openDatabase(io: BenchIo, server: Server | undefined, yes: boolean, describe: () => string): Promise<Database | number> {
  if (!server) {
    io.err('pgperf: opening the embedded database (no DATABASE_URL or PG* variables)…\n');
    const db = await openEmbedded({});
    io.err(`pgperf: database: ${db.label}\n`);
    return db;
  }
  if (!server.local && !yes) {
    io.err(
      `pgperf: the database from ${server.source} is not on this machine: ${describe()}\n` +
        'Pass --yes to run the benchmark there (or unset DATABASE_URL / PG* to use the embedded database).\n',
    );
    return 2;
  }
  const db = server.open();
  io.err(`pgperf: database: ${db.label} (from ${server.source})\n`);
  // A loopback host name can still lead elsewhere (a proxy): ask the server which address it answered on.
  const local =
    yes ||
    (await isLocal(db).catch(async (e: unknown) => {
      await db.close().catch(() => undefined);
      throw e;
    }));
  if (local) return db;
  io.err(`pgperf: ${db.label} answers from an address that is not on this machine: ${describe()}\nPass --yes to run the benchmark there.\n`);
  await db.close().catch(() => undefined);
  return 2;
}

/** The exit code of a run that threw, with its one line on stderr. */
function failureCode(io: BenchIo, what: string, e: unknown, aborted: boolean): number {
  if (aborted) {
    // The benchmark's cancel message says what the cleanup dropped or left behind.
    io.err(`pgperf: ${e instanceof DatabaseError && e.kind === 'cancelled' ? e.message : `${what} cancelled`}\n`);
    return 130;
  }
  if (e instanceof UsageError) throw e;
  if (e instanceof DatabaseError) {
    io.err(`pgperf: ${what} failed: ${e.kind === 'sql' ? 'ERROR' : e.kind}: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}\n`);
    return 1;
  }
  io.err(`pgperf: ${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/** Runs `body` with a database, Ctrl-C / SIGTERM wired to an AbortController; maps failures to exit codes. */
async function withDatabase(
  io: BenchIo,
  what: string,
  yes: boolean,
  describe: () => string,
  body: (db: Database, options: RunOptions) => Promise<BenchReport>,
  write: (report: BenchReport) => void,
): Promise<number> {
  // Before the signal handlers and any connection: settings that do not parse exit 2 having done nothing.
  const server = chooseServer(io.env ?? process.env);
  const abort = new AbortController();
  const ledger = new ScratchLedger();
  const uninstall = cancelOnSignals(io, abort, ledger);
  const progress = progressPrinter(io);
  let db: Database | undefined;
  try {
    // Inside the try: a connection that fails is one error line, not a stack trace.
    const opened = await openDatabase(io, server, yes, describe);
    if (typeof opened === 'number') return opened;
    db = opened;
    const t0 = performance.now();
    const report = await body(db, { signal: abort.signal, onProgress: progress.report, ledger });
    progress.done();
    io.out(toTextTable(report));
    write(report);
    io.err(`pgperf: ${what} finished in ${((performance.now() - t0) / 1000).toFixed(1)} s; scratch objects dropped\n`);
    return 0;
  } catch (e) {
    progress.done();
    return failureCode(io, what, e, abort.signal.aborted);
  } finally {
    uninstall();
    await db?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The two benchmarks

async function hnsw(args: string[], io: BenchIo): Promise<number> {
  const { params, yes, json, csv } = parseHnswArgs(args);
  // The output files are checked before the sweep (minutes of work) rather than found unwritable after it.
  checkDistinctOutputs(io.cwd, [
    ['--json', json],
    ['--csv', csv],
  ]);
  const indexes = params.m.length * params.efConstruction.length;
  if (Math.min(...params.efSearch) < params.k) io.err(`pgperf: an ef_search below k (${params.k}) returns fewer than k rows: its recall is capped\n`);
  const describe = () =>
    `the benchmark creates a scratch schema pgperf_bench_<random> with ${params.table ? `a sample of ${params.count} vectors from ${params.table}.${params.column}` : `${params.count} + ${params.queries} synthetic ${params.dim}-dimensional vectors`} and builds ${indexes} HNSW index${indexes === 1 ? '' : 'es'} one after another: about ${formatBytes(estimateScratchBytes(params))} at its largest, dropped at the end.`;
  return withDatabase(
    io,
    'HNSW sweep',
    yes,
    describe,
    (db, options) => runHnswSweep(db, params, options),
    (report) => {
      if (json) writeOut(io, json, `${JSON.stringify(report, null, 2)}\n`, 'JSON report');
      if (csv) writeOut(io, csv, toCsv(report), 'CSV');
    },
  );
}

async function rls(args: string[], io: BenchIo): Promise<number> {
  const { params, yes, json } = parseRlsArgs(args);
  checkDistinctOutputs(io.cwd, [['--json', json]]);
  const describe = () => `the benchmark creates ${describeRlsScratch(params)}.`;
  return withDatabase(
    io,
    'RLS benchmark',
    yes,
    describe,
    (db, options) => runRlsBenchmark(db, params, options),
    (report) => {
      if (json) writeOut(io, json, `${JSON.stringify(report, null, 2)}\n`, 'JSON report');
    },
  );
}

/**
 * Synthetic data from the command line: `pgperf explain --data N` fills the embedded database's tables before the
 * plan, and `pgperf data` fills a database and reports (database/data/generate.ts does the work). What the load
 * did goes to stderr, always saying the data is synthetic: a plan over it shows the shape of the schema at that
 * size, not the user's distributions.
 *
 * Exit codes of `pgperf data`: 0 loaded (a table that could not be filled is named, with the reason, and is not a
 * failure of the run); 1 database error; 2 bad usage, a server without --yes; 130 interrupted (the load is rolled
 * back).
 */
import { type Database, type DataResult, DatabaseError, databaseFromEnv, fillDatabase, openEmbedded } from '../database/index';
import { initParser } from '../server/src/analysis/index';
import { UsageError } from '../server/src/files';
import { parseCommand } from './args';
import { loadWorkspaceDdl, workspaceDdl } from './explain';
import { serverTarget } from './target';
import { onTerminationSignals, type SignalTarget } from './signals';

/** More than this per table is hours on the embedded database: a typo rather than a wish. */
const MAX_DATA_ROWS = 10_000_000;

/** `--data N` / `--rows N`: whole rows per table, 1 … MAX_DATA_ROWS. */
export function parseRowCount(option: string, text: string): number {
  const n = /^\d+$/.test(text.trim().replace(/_/g, '')) ? Number(text.trim().replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_DATA_ROWS) {
    throw new UsageError(`${option} needs a number of rows per table from 1 to ${MAX_DATA_ROWS.toLocaleString('en-US')}, not "${text}"`);
  }
  return n;
}

/** `--seed S`: the PRNG seed, an unsigned 32-bit integer. */
export function parseSeed(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffff_ffff) throw new UsageError(`--seed needs a whole number from 0 to 4294967295, not "${text}"`);
  return n;
}

export interface FillIo {
  err(s: string): void;
  /** SIGINT/SIGTERM abort the load (it rolls back). */
  signals?: SignalTarget;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Fills `db` with `rows` rows per table (a partitioned table twice as many, a tenants table a hundredth, a table
 * with a vector column at most 5,000: the generator's scale rules) and reports per table on stderr.
 * Returns the generator's result; `cancelled` when a signal stopped it.
 */
export async function fillAndReport(
  db: Database,
  rows: number,
  seed: number,
  io: FillIo,
  /** Rows per table over `rows` (`schema.table` → n; 0 leaves a table empty). */
  perTable?: Record<string, number>,
): Promise<DataResult> {
  const ac = new AbortController();
  const uninstall = io.signals
    ? onTerminationSignals(io.signals, () => {
        if (!ac.signal.aborted) io.err('pgperf: interrupted: rolling the synthetic data back…\n');
        ac.abort();
      })
    : () => undefined;
  let result: DataResult;
  try {
    result = await fillDatabase(db, { scale: rows, seed, signal: ac.signal, ...(perTable ? { rows: perTable } : {}) });
  } finally {
    uninstall();
  }
  if (result.cancelled) return result;
  const tables = result.filled.filter((t) => t.rows > 0).length;
  io.err(
    `pgperf: loaded synthetic data (seed ${seed}, generated values, not your data): ${count(result.rows)} rows in ` +
      `${tables} table${tables === 1 ? '' : 's'} in ${result.seconds.toFixed(1)} s (${result.method === 'copy' ? 'COPY' : 'INSERT'}), then ANALYZE and VACUUM\n`,
  );
  for (const t of result.filled) if (t.rows > 0 || !perTable) io.err(`pgperf:   ${t.schema}.${t.name}: ${count(t.rows)} rows${t.note ? ` (${t.note})` : ''}\n`);
  for (const t of result.unfilled) io.err(`pgperf:   ${t.schema}.${t.name}: not filled: ${t.reason}\n`);
  return result;
}

export interface DataIo extends FillIo {
  out(s: string): void;
  cwd: string;
  env?: Record<string, string | undefined>;
}

const DATA_OPTIONS = {
  rows: { type: 'string', short: 'n' },
  seed: { type: 'string', short: 's' },
  yes: { type: 'boolean', short: 'y', default: false },
  format: { type: 'string', short: 'f', default: 'text' },
} as const;

/**
 * `pgperf data`: on the embedded database (no DATABASE_URL / PG*), loads the current folder's DDL and fills it:
 * a check that the schema can be filled, and how fast, since the database is gone when the command ends. On a
 * server the rows are committed into its tables, so it needs --yes.
 */
export async function dataCommand(args: string[], io: DataIo): Promise<number> {
  const { values } = parseCommand('data', args, DATA_OPTIONS, false);
  const rows = values.rows === undefined ? 1000 : parseRowCount('--rows', values.rows);
  const seed = values.seed === undefined ? 1 : parseSeed(values.seed);
  const format = values.format!;
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format "${format}" (text or json)`);
  const env = io.env ?? process.env;
  const target = serverTarget(env);
  if (target && !values.yes) {
    throw new UsageError(
      'data commits generated rows into every table of the database named by DATABASE_URL / PG*; pass --yes to do so (without those variables it fills the embedded database)',
    );
  }
  let db: Database | undefined;
  try {
    if (target) {
      db = databaseFromEnv(env)!;
      io.err(`pgperf: database: ${db.label} (from ${env.DATABASE_URL ? 'DATABASE_URL' : 'PG* variables'})\n`);
    } else {
      await initParser();
      const ddl = await workspaceDdl(io);
      db = await openEmbedded({ sharedBuffers: '64MB' });
      io.err(`pgperf: database: ${db.label} — no DATABASE_URL or PG* variables, using the embedded database (dropped at exit)\n`);
      await loadWorkspaceDdl(db, ddl, io);
    }
    const result = await fillAndReport(db, rows, seed, io);
    if (result.cancelled) return 130;
    if (format === 'json') {
      const { filled, unfilled, rows: total, seconds, method } = result;
      io.out(
        `${JSON.stringify({ database: db.label, seed, rows: total, seconds, rowsPerSecond: seconds > 0 ? total / seconds : null, method, filled, unfilled }, null, 2)}\n`,
      );
    } else {
      io.out(`${count(result.rows)} rows in ${result.filled.length} tables (${result.unfilled.length} not filled) in ${result.seconds.toFixed(1)} s\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DatabaseError) {
      io.err(`pgperf: ${e.kind === 'sql' ? 'ERROR' : e.kind}: ${e.message.split('\n')[0]}${e.code ? ` (SQLSTATE ${e.code})` : ''}\n`);
      return 1;
    }
    throw e;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

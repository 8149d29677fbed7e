/**
 * `pgperf health`: the tuning guide's checks of a running database (database/health). The database is the one
 * `pgperf explain` uses: DATABASE_URL or PG*, else the embedded PGlite database with the current folder's DDL
 * loaded (where only the catalog checks mean anything; the others say so). `pgperf health docs <folder>` writes
 * the checks' pages (docs/health).
 *
 * Exit codes: 0 no error-severity finding and no failed check; 1 an error-severity finding, or a check that
 * failed (timed out, SQL error), so that CI never passes on a check that did not run; 2 bad usage or a database
 * that cannot be reached.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { type Database, DatabaseError, databaseFromEnv, isLocalHost, openEmbedded } from '../database/index';
import { DEFAULT_HEALTH_TIMEOUT_MS, HEALTH_CHECKS, type HealthReport, healthCheckMarkdown, healthIndexMarkdown, runHealth } from '../database/index';
import pkg from '../package.json';
import { healthToJson, healthToSarif, healthToText } from '../database/index';
import { initParser } from '../server/src/analysis/index';
import { UsageError } from '../server/src/files';
import { serverTarget } from './target';
import { parseCommand } from './args';
import { loadWorkspaceDdl, workspaceDdl } from './explain';

export interface HealthIo {
  out(s: string): void;
  err(s: string): void;
  cwd: string;
  env?: Record<string, string | undefined>;
}

const HEALTH_OPTIONS = {
  format: { type: 'string', short: 'f', default: 'text' },
  check: { type: 'string', short: 'c', multiple: true },
  timeout: { type: 'string' },
  ram: { type: 'string' },
  storage: { type: 'string' },
} as const;

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** `16GB`, `512MB`, `17179869184`: the server's RAM. */
function parseRam(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--ram needs a size such as 16GB or 512MB, not "${text}"`);
  const bytes = Number(m[1]) * UNITS[(m[2] ?? 'B').toUpperCase()];
  if (!(bytes >= 64 * 1024 ** 2)) throw new UsageError(`--ram ${text} is less than 64MB: give the server's memory, e.g. 16GB`);
  return Math.round(bytes);
}

export async function healthCommand(args: string[], io: HealthIo): Promise<number> {
  const { values, positionals } = parseCommand('health', args, HEALTH_OPTIONS, true);
  if (positionals[0] === 'docs') return writeDocs(positionals.slice(1), io);
  if (positionals.length > 0) throw new UsageError(`pgperf health takes options only, not "${positionals[0]}" ("pgperf health --help" lists them)`);
  const format = values.format!;
  if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`unknown format "${format}" (text, json or sarif)`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_HEALTH_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new UsageError(`--timeout needs a number of milliseconds (0 for none), not "${values.timeout}"`);
  const ids = HEALTH_CHECKS.map((c) => c.id);
  const checks = (values.check ?? []).flatMap((c) => c.split(',')).filter((c) => c !== '');
  const unknown = checks.filter((c) => !ids.includes(c));
  if (unknown.length) throw new UsageError(`unknown check "${unknown[0]}" (there is: ${ids.join(', ')})`);
  const storage = values.storage;
  if (storage !== undefined && storage !== 'ssd' && storage !== 'hdd') throw new UsageError(`--storage is ssd or hdd, not "${storage}"`);

  const env = io.env ?? process.env;
  const target = serverTarget(env);
  let ram: { bytes: number; source: string } | undefined;
  if (values.ram !== undefined) ram = { bytes: parseRam(values.ram), source: '--ram' };
  else if (target && isLocalHost(typeof target.config.host === 'string' ? target.config.host : undefined)) {
    ram = { bytes: totalmem(), source: "this machine's memory (the server is local)" };
  }

  let db: Database | undefined;
  try {
    if (target) {
      db = databaseFromEnv(env)!;
      io.err(`pgperf: database: ${db.label} (from ${target.source})\n`);
    } else {
      await initParser();
      const ddl = await workspaceDdl(io);
      db = await openEmbedded({ sharedBuffers: '16MB' });
      io.err(`pgperf: database: ${db.label} — no DATABASE_URL or PG* variables, using the embedded database\n`);
      await loadWorkspaceDdl(db, ddl, io);
    }
    const report = await runHealth(db, {
      checks,
      timeoutMs,
      ...(ram ? { ramBytes: ram.bytes, ramSource: ram.source } : {}),
      ...(storage ? { storage } : {}),
    });
    io.out(format === 'json' ? healthToJson(report) : format === 'sarif' ? healthToSarif(report, pkg.version) : healthToText(report));
    return exitCode(report);
  } catch (e) {
    if (e instanceof DatabaseError) {
      io.err(`pgperf: ${e.kind === 'sql' ? 'ERROR' : e.kind}: ${e.message.split('\n')[0]}${e.code ? ` (SQLSTATE ${e.code})` : ''}\n`);
      return 2;
    }
    throw e;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

function exitCode(report: HealthReport): number {
  return report.summary.error > 0 || report.summary.failed > 0 ? 1 : 0;
}

/** One page per check and the index (README.md), as `pgperf docs` writes the rule pages. */
function writeDocs(args: string[], io: HealthIo): number {
  if (args.length !== 1) throw new UsageError(`health docs needs one folder (got ${args.length === 0 ? 'none' : args.length})`);
  const dir = resolve(io.cwd, args[0]);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'README.md'), healthIndexMarkdown());
    for (const c of HEALTH_CHECKS) writeFileSync(join(dir, `${c.id}.md`), healthCheckMarkdown(c));
  } catch (e) {
    throw new UsageError(`health docs: cannot write to ${args[0]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.out(`wrote ${HEALTH_CHECKS.length} health check pages and README.md to ${args[0]}\n`);
  return 0;
}

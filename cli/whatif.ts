/**
 * `pgperf whatif [paths…]`: the index suggestions of a lint (missing-index, covering-index, fk-without-index,
 * tenant-index-order, split-tenant-indexes) tried with HypoPG on the server DATABASE_URL or PG* names: the planner's
 * cost of a query each index serves, before and after `hypopg_create_index`, nothing built (database/whatif). The
 * embedded database has no HypoPG: without a server this is a usage error, found before any work.
 *
 * Exit codes: 0 every case measured; 1 a case the server refused (its reason is printed); 2 bad usage, no server,
 * no HypoPG in the database (how to get it is printed) or a database that cannot be reached.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { DatabaseError, databaseFromEnv, DEFAULT_WHATIF_TIMEOUT_MS, hypopgMissingText, runWhatIf, whatIfCases } from '../database/index';
import { whatIfToJson, whatIfToText } from '../database/index';
import { hostLanguageOf, initParser, lintSources } from '../server/src/analysis/index';
import { parseSqlForExplain } from '../server/src/analysis/pg';
import { collectFiles, UsageError } from '../server/src/files';
import { parseCommand } from './args';
import { loadConfig } from './config';
import { serverTarget } from './target';

export interface WhatIfIo {
  out(s: string): void;
  err(s: string): void;
  cwd: string;
  env?: Record<string, string | undefined>;
}

const WHATIF_OPTIONS = {
  format: { type: 'string', short: 'f', default: 'text' },
  config: { type: 'string', short: 'c' },
  timeout: { type: 'string' },
} as const;

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path).split(sep).join('/');
}

export async function whatifCommand(args: string[], io: WhatIfIo): Promise<number> {
  const { values, positionals } = parseCommand('whatif', args, WHATIF_OPTIONS, true);
  const format = values.format!;
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format "${format}" (text or json)`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_WHATIF_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new UsageError(`--timeout needs a number of milliseconds (0 for none), not "${values.timeout}"`);
  const env = io.env ?? process.env;
  const target = serverTarget(env);
  if (!target) throw new UsageError(hypopgMissingText('embedded'));

  const { config } = loadConfig(values.config, io.cwd, io);
  const files = collectFiles(positionals.length > 0 ? positionals : ['.'], io.cwd, config.include, config.exclude);
  // Host files' fixes are placed in the host text, not in SQL: the what-if reads .sql files only.
  const sources = files
    .filter((f) => !hostLanguageOf(f))
    .map((path) => {
      try {
        return { path: displayPath(io.cwd, path), text: readFileSync(path, 'utf8') };
      } catch (e) {
        throw new UsageError(`cannot read ${displayPath(io.cwd, path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    });
  await initParser();
  const lint = lintSources(sources, config, undefined, { fixes: true });
  const { cases, skipped } = whatIfCases(lint.files, parseSqlForExplain);

  const db = databaseFromEnv(env)!;
  try {
    io.err(`pgperf: database: ${db.label} (from ${target.source})\n`);
    const report = await runWhatIf(db, cases, skipped, { timeoutMs });
    if (!report.hypopg.available) {
      io.err(`pgperf: ${report.hypopg.reason}\n`);
      return 2;
    }
    io.out(format === 'json' ? whatIfToJson(report) : whatIfToText(report));
    return report.results.some((r) => r.status === 'failed') ? 1 : 0;
  } catch (e) {
    if (e instanceof DatabaseError) {
      io.err(`pgperf: ${e.kind === 'sql' ? 'ERROR' : e.kind}: ${e.message.split('\n')[0]}${e.code ? ` (SQLSTATE ${e.code})` : ''}\n`);
      return 2;
    }
    throw e;
  } finally {
    await db.close().catch(() => undefined);
  }
}

/**
 * `pgperf explain`: EXPLAIN (ANALYZE) one statement against DATABASE_URL / PG* or, without them, the embedded
 * PGlite database with the DDL of the current folder loaded first. The work is the explain helper's
 * (client/src/explain/run.ts: the rolled-back transaction, statement_timeout, write detection); this file reads
 * the options, picks the statement, chooses the database and prints.
 *
 * Exit codes: 0 the plan was printed; 1 the database refused (SQL error, timeout, connection); 2 bad usage, or a
 * statement that needs consent without --yes (and --allow-irreversible for effects a rollback cannot undo; never
 * prompts when stdin is not a terminal); 130 interrupted (SIGINT/SIGTERM: the statement is cancelled on the
 * server and rolled back first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { openEmbedded } from '../../../client/src/db/embedded';
import { databaseFromEnv } from '../../../client/src/db/env';
import { loadSchema } from '../../../client/src/db/load-ddl';
import { type Database, DatabaseError } from '../../../client/src/db/types';
import { type ConfirmRequest, ExplainRefused, type ExplainResult, ExplainUnsupported, startExplain } from '../../../client/src/explain/run';
import { planToText } from '../../../client/src/explain/text';
import { DEFAULT_CONFIG, parseConfigText, type ResolvedConfig } from '../analysis/config';
import { orderedDdl } from '../analysis/ddl-order';
import { initParser } from '../analysis/pg';
import { ParsedFile, type Statement } from '../analysis/parse';
import { RULE_IDS } from '../analysis/rules/index';
import { collectFiles, UsageError } from '../files';
import { onTerminationSignals, type SignalTarget } from './signals';

export interface ExplainIo {
  out(s: string): void;
  err(s: string): void;
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Asks a yes/no question on the terminal; absent when stdin is not a TTY (then writes need --yes). */
  ask?: (question: string) => Promise<boolean>;
  /** The process whose SIGINT/SIGTERM cancel the statement (absent in tests that call the command directly). */
  signals?: SignalTarget;
}

export const EXPLAIN_USAGE = `pgperf explain [--analyze] [--yes] [--allow-irreversible] [--format text|json] [--generic] [--param V]… [--timeout MS (0: none)] (SQL | --file F [--line N])`;

/** Thrown by the confirm callback when consent was needed and the flags do not give it. */
class NeedsYes extends Error {
  constructor(readonly request: ConfirmRequest) {
    super('needs --yes');
  }
}

/** What needs consent, in words, one line per kind. */
function describeRequest(r: ConfirmRequest): string {
  const lines: string[] = [];
  if (r.reasons.length) {
    lines.push(r.analyze
      ? `pgperf: EXPLAIN ANALYZE runs this statement inside a transaction that is always rolled back, and it: ${r.reasons.join('; ')}.\n`
      : `pgperf: planning this statement may call functions pgperf cannot prove harmless: ${r.reasons.join('; ')}.\n`);
  }
  if (r.irreversible.length) lines.push(`pgperf: this cannot be rolled back: ${r.irreversible.join('; ')}.\n`);
  return lines.join('');
}

/** The flags that would give the consent asked for. */
function flagsFor(r: ConfirmRequest): string {
  return r.irreversible.length ? '--yes --allow-irreversible (the effects above stay)' : '--yes';
}

/** A terminal prompt on stderr (stdout stays the plan). Undefined when stdin or stderr is not a TTY. */
export function terminalAsk(): ExplainIo['ask'] {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  };
}

export async function explainCommand(args: string[], io: ExplainIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      analyze: { type: 'boolean', short: 'a', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      'allow-irreversible': { type: 'boolean', default: false },
      format: { type: 'string', short: 'f', default: 'text' },
      generic: { type: 'boolean', default: false },
      param: { type: 'string', short: 'p', multiple: true },
      timeout: { type: 'string' },
      file: { type: 'string' },
      line: { type: 'string' },
    },
  });
  const format = values.format!;
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format "${format}" (text or json)`);
  const timeoutMs = values.timeout === undefined ? 30_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new UsageError(`--timeout needs a number of milliseconds (0 for none), not "${values.timeout}"`);
  if (values.line !== undefined && values.file === undefined) throw new UsageError('--line needs --file');
  if (values.file !== undefined && positionals.length > 0) throw new UsageError('give the SQL or --file, not both');
  if (values.file === undefined && positionals.length === 0) throw new UsageError(`explain needs a statement: ${EXPLAIN_USAGE}`);

  await initParser();
  const statement = values.file !== undefined ? pickFromFile(values.file, values.line, io.cwd) : pickFromText(positionals.join(' '));
  const sql = statement.text;

  const params = (values.param ?? []).map((p) => (/^null$/i.test(p) ? null : p));
  const maxParam = statement.maxParam();
  if (values.generic && params.length > 0) throw new UsageError('--generic and --param exclude each other');
  if (params.length > 0 && params.length !== maxParam) {
    throw new UsageError(`the statement has ${maxParam} parameter${maxParam === 1 ? '' : 's'} (${maxParam === 1 ? '$1' : `$1…$${maxParam}`}); ${params.length} --param given`);
  }
  const generic = values.generic || (maxParam > 0 && params.length === 0);
  const paramList = maxParam === 1 ? '$1' : `$1…$${maxParam}`;
  if (generic && maxParam > 0 && !values.generic) io.err(`pgperf: no --param for ${paramList}: showing the generic plan\n`);

  let db: Database | undefined;
  let interrupted = false;
  try {
    db = databaseFromEnv(io.env ?? process.env);
    if (db) io.err(`pgperf: database: ${db.label} (from ${(io.env ?? process.env).DATABASE_URL ? 'DATABASE_URL' : 'PG* variables'})\n`);
    else {
      db = await openEmbedded({});
      io.err(`pgperf: database: ${db.label} — no DATABASE_URL or PG* variables, using the embedded database\n`);
      await loadWorkspaceDdl(db, io);
    }
    const handle = startExplain(db, {
      sql,
      analyze: values.analyze!,
      ...(params.length > 0 ? { params } : {}),
      generic,
      timeoutMs,
      confirm: async (request) => {
        if (values.yes && (request.irreversible.length === 0 || values['allow-irreversible'])) return true;
        if (io.ask) {
          io.err(describeRequest(request));
          return io.ask(request.irreversible.length ? 'Run it anyway, knowing these effects stay? [y/N] ' : 'Run it? [y/N] ');
        }
        throw new NeedsYes(request);
      },
    });
    const result = await withSignals(io, handle, () => (interrupted = true));
    io.out(format === 'json' ? jsonOutput(result) : planToText(result));
    return 0;
  } catch (e) {
    if (interrupted && e instanceof DatabaseError && e.kind === 'cancelled') {
      io.err('pgperf: interrupted: the statement was cancelled on the server and rolled back\n');
      return 130;
    }
    if (e instanceof NeedsYes || (e instanceof Error && (e as Error & { cause?: unknown }).cause instanceof NeedsYes)) {
      const request = e instanceof NeedsYes ? e.request : ((e as Error & { cause?: unknown }).cause as NeedsYes).request;
      io.err(`${describeRequest(request)}pgperf: nothing was run; pass ${flagsFor(request)} to run it.\n`);
      return 2;
    }
    if (e instanceof ExplainRefused) {
      io.err(`pgperf: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ExplainUnsupported) {
      io.err(`pgperf: ${e.message}\n`);
      return 1;
    }
    if (e instanceof DatabaseError) {
      io.err(`pgperf: ${e.kind === 'sql' ? 'ERROR' : e.kind}: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}\n`);
      return 1;
    }
    throw e;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

/**
 * Awaits the result with SIGINT/SIGTERM wired to the cancel handle: the first signal cancels the statement on the
 * server (the run then rolls back and rejects as cancelled); a second one exits at once.
 */
async function withSignals(io: ExplainIo, handle: ReturnType<typeof startExplain>, onSignal: () => void): Promise<ExplainResult> {
  const signals = io.signals;
  if (!signals) return handle.result;
  let count = 0;
  const on = () => {
    count++;
    onSignal();
    if (count > 1) {
      io.err('pgperf: interrupted again: exiting without waiting for the rollback (the server rolls back when the connection closes)\n');
      process.exit(130);
    }
    io.err('pgperf: interrupted: cancelling the statement on the server…\n');
    handle.cancel().catch((e: unknown) => io.err(`pgperf: cancel failed: ${e instanceof Error ? e.message : String(e)}\n`));
  };
  const uninstall = onTerminationSignals(signals, on);
  try {
    return await handle.result;
  } finally {
    uninstall();
  }
}

/** `{ database, plan, findings: [{ rule, node, message }] }`, as the issue specifies. */
export function jsonOutput(result: Pick<ExplainResult, 'database' | 'plan' | 'findings'>): string {
  const findings = result.findings.map((f) => ({ rule: f.rule, node: f.node, message: f.message }));
  return `${JSON.stringify({ database: result.database, plan: result.plan, findings }, null, 2)}\n`;
}

function pickFromText(text: string): Statement {
  const statements = new ParsedFile('<sql>', text).statements;
  if (statements.length === 0) throw new UsageError('no SQL statement given');
  if (statements.length > 1) throw new UsageError(`give one statement to explain (got ${statements.length}); use --file F --line N to pick one from a file`);
  return statements[0];
}

function pickFromFile(file: string, lineText: string | undefined, cwd: string): Statement {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const parsed = new ParsedFile(file, text);
  const statements = parsed.statements;
  if (statements.length === 0) throw new UsageError(`${file} has no SQL statement`);
  if (lineText === undefined) {
    if (statements.length === 1) return statements[0];
    throw new UsageError(`${file} has ${statements.length} statements: pick one with --line N`);
  }
  const line = Number(lineText);
  if (!Number.isInteger(line) || line < 1) throw new UsageError(`--line needs a line number (1-based), not "${lineText}"`);
  const at = statements.find((st) => {
    const first = parsed.source.positionAt(st.start).line + 1;
    const last = parsed.source.positionAt(Math.max(st.start, st.end - 1)).line + 1;
    return first <= line && line <= last;
  });
  if (!at) throw new UsageError(`no statement on line ${line} of ${file}`);
  return at;
}

/** The lint config's include/exclude (.pgperf.json of the current folder), for finding the workspace DDL. */
function workspaceConfig(cwd: string): ResolvedConfig {
  const path = join(cwd, '.pgperf.json');
  if (!existsSync(path)) return structuredClone(DEFAULT_CONFIG);
  try {
    return parseConfigText(readFileSync(path, 'utf8'), RULE_IDS).config;
  } catch {
    return structuredClone(DEFAULT_CONFIG);
  }
}

/** Loads the DDL of the current folder's SQL files (dependency order) into the embedded database; says so on stderr. */
async function loadWorkspaceDdl(db: Database, io: ExplainIo): Promise<void> {
  const config = workspaceConfig(io.cwd);
  const paths = collectFiles(['.'], io.cwd, config.include, config.exclude);
  const files = paths.map((p) => new ParsedFile(displayPath(io.cwd, p), readFileSync(p, 'utf8')));
  const ddl = orderedDdl(files);
  if (ddl.length === 0) {
    io.err(`pgperf: no DDL in the ${files.length} SQL file${files.length === 1 ? '' : 's'} of the current folder: the embedded database is empty\n`);
    return;
  }
  const t0 = performance.now();
  const { loaded, failures } = await loadSchema(
    db,
    ddl.map((d) => ({ file: d.file, text: d.text })),
  );
  const fileCount = new Set(ddl.map((d) => d.file)).size;
  io.err(
    `pgperf: loaded ${loaded} of ${ddl.length} DDL statements from ${fileCount} file${fileCount === 1 ? '' : 's'} of the current folder in ${Math.round(performance.now() - t0)} ms` +
      `${failures.length > 0 ? ` (${failures.length} failed)` : ''}\n`,
  );
  const lineOf = new Map(ddl.map((d) => [`${d.file}\u0000${d.text}`, d.line]));
  for (const f of failures) {
    const line = lineOf.get(`${f.file}\u0000${f.text}`);
    io.err(`pgperf:   ${f.file}${line ? `:${line}` : ''}: ${f.error.message}\n`);
  }
}

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path).split(sep).join('/');
}

/**
 * `pgperf explain`: EXPLAIN (ANALYZE) one statement against DATABASE_URL / PG* or, without them, the embedded
 * PGlite database with the DDL of the current folder's project loaded first (its test, fixture and build folders
 * left out). The work is the explain helper's
 * (database/explain/run.ts: the rolled-back transaction, statement_timeout, write detection); this file reads
 * the options, picks the statement, chooses the database and prints.
 *
 * Exit codes: 0 the plan was printed; 1 the database refused (SQL error, timeout, connection); 2 bad usage (which
 * includes a statement EXPLAIN cannot run and database settings that do not parse: both checked before anything
 * connects or loads; the embedded database, which starts in its own thread from the beginning, is then closed
 * unused), or a statement that needs consent without --yes (and --allow-irreversible for effects a rollback cannot undo; never
 * prompts when stdin is not a terminal); 130 interrupted (SIGINT/SIGTERM: the statement is cancelled on the
 * server and rolled back first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { openEmbedded } from '../database/index';
import { databaseFromEnv, targetFromEnv } from '../database/index';
import { failureLine, loadedSummary, loadSchema } from '../database/index';
import { type Database, DatabaseError } from '../database/index';
import { type ConfirmRequest, ExplainRefused, type ExplainResult, ExplainUnsupported, startExplain } from '../database/index';
import { classify } from '../database/index';
import { planToText } from '../database/index';
import { CONFIG_FILE, foldersAbove, matchesGlobs, orderedDdl } from '../server/src/analysis/index';
import { hostLanguageOf, initEmbedded } from '../server/src/analysis/index';
import { initParser } from '../server/src/analysis/index';
import { ParsedFile, type Statement } from '../server/src/analysis/index';
import { collectFiles, languageEnabled, UsageError } from '../server/src/files';
import { compareWithFix } from './compare-fix';
import { serverTarget } from './target';
import { parseCommand } from './args';
import { workspaceConfig } from './config';
import { fillAndReport, parseRowCount, parseSeed } from './data';
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

const EXPLAIN_USAGE = `pgperf explain [--analyze] [--yes] [--allow-irreversible] [--format text|json] [--generic] [--param V]… [--timeout MS (0: none)] [--data N [--seed S]] (SQL | --file F [--line N] | --compare-fix F:LINE [--rule ID] [--runs N])`;

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
    lines.push(
      r.analyze
        ? `pgperf: EXPLAIN ANALYZE runs this statement inside a transaction that is always rolled back, and it: ${r.reasons.join('; ')}.\n`
        : `pgperf: planning this statement may call functions pgperf cannot prove harmless: ${r.reasons.join('; ')}.\n`,
    );
  }
  if (r.irreversible.length) lines.push(`pgperf: this cannot be rolled back: ${r.irreversible.join('; ')}.\n`);
  return lines.join('');
}

/** The confirm callback of --yes / --allow-irreversible, or of the terminal prompt when neither gives consent. */
export function consentFromFlags(
  values: { yes?: boolean; 'allow-irreversible'?: boolean },
  io: Pick<ExplainIo, 'err' | 'ask'>,
): (request: ConfirmRequest) => Promise<boolean> {
  return async (request) => {
    if (values.yes && (request.irreversible.length === 0 || values['allow-irreversible'])) return true;
    if (io.ask) {
      io.err(describeRequest(request));
      return io.ask(request.irreversible.length ? 'Run it anyway, knowing these effects stay? [y/N] ' : 'Run it? [y/N] ');
    }
    throw new NeedsYes(request);
  };
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

const EXPLAIN_OPTIONS = {
  analyze: { type: 'boolean', short: 'a', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  'allow-irreversible': { type: 'boolean', default: false },
  format: { type: 'string', short: 'f', default: 'text' },
  generic: { type: 'boolean', default: false },
  param: { type: 'string', short: 'p', multiple: true },
  timeout: { type: 'string' },
  file: { type: 'string' },
  line: { type: 'string' },
  data: { type: 'string' },
  seed: { type: 'string' },
  'compare-fix': { type: 'string' },
  rule: { type: 'string' },
  runs: { type: 'string' },
} as const;

/** The command line, checked: the options, the SQL words, the output format and the statement_timeout. */
export interface ExplainRequest {
  values: ReturnType<typeof parseCommand<typeof EXPLAIN_OPTIONS>>['values'];
  positionals: string[];
  format: 'text' | 'json';
  timeoutMs: number;
  /** --data N: rows per table of synthetic data loaded into the embedded database first, with --seed. */
  data?: { rows: number; seed: number };
}

export async function explainCommand(args: string[], io: ExplainIo): Promise<number> {
  const { values, positionals } = parseCommand('explain', args, EXPLAIN_OPTIONS, true);
  const format = values.format!;
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown format "${format}" (text or json)`);
  const timeoutMs = values.timeout === undefined ? 30_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new UsageError(`--timeout needs a number of milliseconds (0 for none), not "${values.timeout}"`);
  if (values.line !== undefined && values.file === undefined) throw new UsageError('--line needs --file');
  const compare = values['compare-fix'];
  if (compare !== undefined && (values.file !== undefined || positionals.length > 0))
    throw new UsageError('--compare-fix names the statement itself: give no SQL and no --file');
  if (compare === undefined && (values.rule !== undefined || values.runs !== undefined))
    throw new UsageError(`${values.rule !== undefined ? '--rule' : '--runs'} needs --compare-fix`);
  if (compare !== undefined && values.generic) throw new UsageError('--compare-fix runs both statements (EXPLAIN ANALYZE): --generic does not apply');
  if (values.file !== undefined && positionals.length > 0) throw new UsageError('give the SQL or --file, not both');
  if (values.file === undefined && positionals.length === 0 && compare === undefined) throw new UsageError(`explain needs a statement: ${EXPLAIN_USAGE}`);
  if (values.seed !== undefined && values.data === undefined) throw new UsageError('--seed needs --data');
  const data =
    values.data === undefined ? undefined : { rows: parseRowCount('--data', values.data), seed: values.seed === undefined ? 1 : parseSeed(values.seed) };

  const env = io.env ?? process.env;
  // Without DATABASE_URL / PG*, the embedded database starts in its thread now, while this one parses the
  // statement and the workspace DDL (half a second less on two cores); it is closed unused when the statement is
  // refused below.
  const embedded = usesEmbedded(env) ? openEmbedded({ sharedBuffers: data ? DATA_SHARED_BUFFERS : EXPLAIN_SHARED_BUFFERS }) : undefined;
  embedded?.catch(() => undefined); // awaited below; never an unhandled rejection
  try {
    const request = { values, positionals, format, timeoutMs, ...(data ? { data } : {}) } as const;
    if (compare !== undefined) return await compareWithFix(compare, request, io, env, embedded);
    return await explainStatement(request, io, env, embedded);
  } finally {
    await embedded?.then(
      (d) => d.close(),
      () => undefined,
    );
  }
}

/**
 * shared_buffers of EXPLAIN's embedded database: it holds the workspace schema with empty tables, and PGlite's
 * shared memory is all resident from the start (initdb's 128MB would be a quarter of the process).
 */
const EXPLAIN_SHARED_BUFFERS = '16MB';
/** With --data the tables hold rows: initdb's default, so that a table of 100,000 rows is read from shared buffers as a warm server would. */
const DATA_SHARED_BUFFERS = '128MB';

/** Whether the environment names no database (then EXPLAIN runs on the embedded one); settings that do not parse are reported later. */
function usesEmbedded(env: Record<string, string | undefined>): boolean {
  try {
    return targetFromEnv(env) === undefined;
  } catch {
    return false;
  }
}

export type Embedded = ReturnType<typeof openEmbedded>;

async function explainStatement(
  request: ExplainRequest,
  io: ExplainIo,
  env: Record<string, string | undefined>,
  embedded: Embedded | undefined,
): Promise<number> {
  const { values, positionals, format, timeoutMs } = request;
  await initParser();
  const picked = values.file !== undefined ? await pickFromFile(values.file, values.line, io.cwd) : pickFromText(positionals.join(' '));
  const { sql, maxParam } = picked;
  for (const note of picked.notes) io.err(`pgperf: ${note}\n`);

  const params = (values.param ?? []).map((p) => (/^null$/i.test(p) ? null : p));
  if (values.generic && params.length > 0) throw new UsageError('--generic and --param exclude each other');
  if (params.length > 0 && params.length !== maxParam) {
    throw new UsageError(
      `the statement has ${maxParam} parameter${maxParam === 1 ? '' : 's'} (${maxParam === 1 ? '$1' : `$1…$${maxParam}`}); ${params.length} --param given`,
    );
  }
  const generic = values.generic || (maxParam > 0 && params.length === 0);
  const paramList = maxParam === 1 ? '$1' : `$1…$${maxParam}`;
  checkSettings(env);
  // The generator commits its rows: into the embedded database, dropped at exit, never into the user's server.
  if (request.data && !embedded)
    throw new UsageError('--data fills the embedded database only; unset DATABASE_URL / PG* to use it (pgperf data --yes fills a server)');
  await checkExplainable(sql);
  if (generic && maxParam > 0 && !values.generic) io.err(`pgperf: no --param for ${paramList}: showing the generic plan\n`);

  let db: Database | undefined;
  let interrupted = false;
  try {
    db = embedded ? undefined : databaseFromEnv(env);
    if (db) io.err(`pgperf: database: ${db.label} (from ${env.DATABASE_URL ? 'DATABASE_URL' : 'PG* variables'})\n`);
    else {
      const ddl = await workspaceDdl(io);
      db = await (embedded ?? openEmbedded({ sharedBuffers: EXPLAIN_SHARED_BUFFERS }));
      io.err(`pgperf: database: ${db.label} — no DATABASE_URL or PG* variables, using the embedded database\n`);
      await loadWorkspaceDdl(db, ddl, io);
      if (request.data && (await fillAndReport(db, request.data.rows, request.data.seed, io)).cancelled) return 130;
    }
    const handle = startExplain(db, {
      sql,
      analyze: values.analyze!,
      ...(params.length > 0 ? { params } : {}),
      generic,
      timeoutMs,
      confirm: consentFromFlags(values, io),
    });
    const result = await withSignals(io, handle, () => (interrupted = true));
    io.out(format === 'json' ? jsonOutput(result) : planToText(result));
    return 0;
  } catch (e) {
    const code = explainErrorCode(e, io, interrupted);
    if (code !== undefined) return code;
    throw e;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

/**
 * The exit code and stderr line of an EXPLAIN that failed for a reason of the user's or the database's (consent
 * not given, a refusal, a statement EXPLAIN cannot run, an SQL error, an interrupt); undefined for a bug, which the
 * caller rethrows.
 */
export function explainErrorCode(e: unknown, io: Pick<ExplainIo, 'err'>, interrupted: boolean): number | undefined {
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
  // What is left of these once checkExplainable passed (a statement too deep for the embedded database, one
  // pgperf cannot wrap in EXPLAIN unchanged) is still about the statement, not a refusal of the database.
  if (e instanceof ExplainUnsupported) {
    io.err(`pgperf: ${e.message}\n`);
    return 2;
  }
  if (e instanceof DatabaseError) {
    io.err(`pgperf: ${e.kind === 'sql' ? 'ERROR' : e.kind}: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}\n`);
    return 1;
  }
  return undefined;
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

/** DATABASE_URL / PG* that do not parse (not a URL, PGPORT=abc, …): the user's to fix, so a usage error. */
function checkSettings(env: Record<string, string | undefined>): void {
  serverTarget(env);
}

/**
 * A statement EXPLAIN cannot run (BEGIN, VACUUM, DDL, a syntax error) is refused before a database is opened or
 * the workspace DDL is loaded, with the explain helper's own classification and wording.
 */
async function checkExplainable(sql: string): Promise<void> {
  const cls = await classify(sql.trim().replace(/;\s*$/, ''));
  // The classifier labels a parse failure "syntax error: <parser message>"; when the parser's message already
  // starts with those words, the label would read twice ("syntax error: syntax error at or near …").
  if (cls.error) throw new UsageError(cls.error.replace(/^syntax error: (?=syntax error\b)/, ''));
  if (!cls.explainable) {
    throw new UsageError(
      `EXPLAIN cannot run ${cls.statementWords ?? 'this statement'}: it explains SELECT, VALUES, INSERT, UPDATE, DELETE, MERGE, EXECUTE, DECLARE and CREATE TABLE … AS (${cls.reasons.join('; ')})`,
    );
  }
}

/** `{ database, plan, findings: [{ rule, node, message }] }`, as the issue specifies. */
function jsonOutput(result: Pick<ExplainResult, 'database' | 'plan' | 'findings'>): string {
  const findings = result.findings.map((f) => ({ rule: f.rule, node: f.node, message: f.message }));
  return `${JSON.stringify({ database: result.database, plan: result.plan, findings }, null, 2)}\n`;
}

/** The statement to explain: the SQL sent and its highest `$n`, with notes for stderr (what each `$n` stands for). */
interface Picked {
  sql: string;
  maxParam: number;
  notes: string[];
}

function pickFromText(text: string): Picked {
  const statements = new ParsedFile('<sql>', text).statements;
  if (statements.length === 0) throw new UsageError('no SQL statement given');
  if (statements.length > 1) throw new UsageError(`give one statement to explain (got ${statements.length}); use --file F --line N to pick one from a file`);
  return { sql: statements[0].text, maxParam: statements[0].maxParam(), notes: [] };
}

async function pickFromFile(file: string, lineText: string | undefined, cwd: string): Promise<Picked> {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lang = hostLanguageOf(file);
  let parsed: ParsedFile;
  if (lang) {
    await initEmbedded();
    // The workspace's extra calls and tags apply; the file's own language is read even if the setting turns it
    // off for linting: the user named this file.
    const embedded = structuredClone(workspaceConfig(cwd).embedded);
    embedded.languages[lang === 'tsx' ? 'typescript' : lang] = true;
    parsed = new ParsedFile(file, text, undefined, undefined, { embedded });
  } else parsed = new ParsedFile(file, text);
  const statements = parsed.statements;
  if (statements.length === 0) {
    throw new UsageError(
      lang ? `${file} has no SQL string pgperf reads (a query passed to a database API, tagged as sql or marked /* sql */)` : `${file} has no SQL statement`,
    );
  }
  if (lineText === undefined) {
    if (statements.length === 1) return picked(parsed, statements[0]);
    throw new UsageError(`${file} has ${statements.length} statements: pick one with --line N`);
  }
  const line = Number(lineText);
  if (!Number.isInteger(line) || line < 1) throw new UsageError(`--line needs a line number (1-based), not "${lineText}"`);
  // Lines of the file as written (the host file's, for embedded SQL).
  const at = statements.find((st) => parsed.lineOf(st.start) <= line && line <= parsed.lineOf(Math.max(st.start, st.end - 1)));
  if (at) return picked(parsed, at);
  if (
    parsed.host &&
    !parsed.host.segments.some((seg) => lineOfDocument(parsed, seg.embedded.start) <= line && line <= lineOfDocument(parsed, seg.embedded.end))
  ) {
    throw new UsageError(`line ${line} of ${file} is not in a SQL string pgperf reads (SQL strings on ${sqlLines(parsed)})`);
  }
  throw new UsageError(`no statement on line ${line} of ${file}`);
}

function lineOfDocument(parsed: ParsedFile, offset: number): number {
  return parsed.document.positionAt(offset).line + 1;
}

/** Where a host file's SQL strings are: `lines 3–5, 9, 12–14`. */
function sqlLines(parsed: ParsedFile): string {
  const spans = parsed.host!.segments.map((seg) => {
    const a = lineOfDocument(parsed, seg.embedded.start);
    const b = lineOfDocument(parsed, seg.embedded.end);
    return a === b ? `${a}` : `${a}–${b}`;
  });
  return `line${spans.length === 1 && !spans[0].includes('–') ? '' : 's'} ${spans.join(', ')}`;
}

/**
 * The SQL to explain. In a host file the statement is read from the SQL view, where each value interpolated by the
 * host code (`${x}`, an f-string's `{x}`, `%s`, `?`, `:name`) is a placeholder: here each becomes a `$n` of its
 * own (a named driver parameter used twice, one), numbered after the `$n` written in the string itself, so that
 * --param gives them values or the generic plan stands in. A name or clause built by the host code (`FROM ${table}`)
 * cannot be planned without its value: a usage error.
 */
function picked(parsed: ParsedFile, st: Statement): Picked {
  const host = parsed.host;
  if (!host) return { sql: st.text, maxParam: st.maxParam(), notes: [] };
  const seg = host.segmentAt(st.start)!;
  const e = seg.embedded;
  const holes = e.holes.filter((h) => seg.base + h.sqlStart >= st.start && seg.base + h.sqlEnd <= st.end);
  const where = (h: { hostStart: number }) => {
    const p = parsed.document.positionAt(h.hostStart);
    return `${parsed.path}:${p.line + 1}:${p.character + 1}`;
  };
  const hostText = (h: { hostStart: number; hostEnd: number }) => parsed.document.text.slice(h.hostStart, h.hostEnd);
  const named = holes.find((h) => h.kind === 'identifier');
  if (named) {
    throw new UsageError(
      `${where(named)}: the statement takes a name from host code (${hostText(named)}), which pgperf cannot explain without its value; ` +
        'pass the SQL text with the name written out instead',
    );
  }
  const notes: string[] = [];
  for (const h of holes) if (h.kind === 'literal') notes.push(`${hostText(h)} inside a SQL string literal (${where(h)}) is planned with placeholder text`);
  const inHole = (at: number) => holes.some((h) => seg.base + h.sqlStart <= at && at < seg.base + h.sqlEnd);
  let own = 0;
  for (const t of st.tokens()) if (t.name === 'PARAM' && !inHole(t.start)) own = Math.max(own, Number(t.text.slice(1)) || 0);
  let next = own;
  const byName = new Map<string, number>();
  const edits: { start: number; end: number; n: number }[] = [];
  for (const h of holes) {
    if (h.kind !== 'value' || !/^\$\d+$/.test(e.sql.slice(h.sqlStart, h.sqlEnd))) continue;
    const written = hostText(h);
    // `%(user_id)s` or `:user_id` twice is one value; `%s`, `?` and interpolations are one value each.
    const name = h.origin === 'parameter' && /[A-Za-z_]/.test(written) ? written : undefined;
    let n = name !== undefined ? byName.get(name) : undefined;
    if (n === undefined) {
      n = ++next;
      if (name !== undefined) byName.set(name, n);
      notes.push(`$${n} is ${written} (${where(h)})`);
    }
    edits.push({ start: seg.base + h.sqlStart - st.start, end: seg.base + h.sqlEnd - st.start, n });
  }
  let sql = st.text;
  for (const ed of edits.reverse()) sql = sql.slice(0, ed.start) + `$${ed.n}` + sql.slice(ed.end);
  return { sql, maxParam: Math.max(own, next), notes };
}

/**
 * Folders of test material, whose DDL is not the schema: fixtures re-create the same tables, seed throwaway
 * databases, or hold other applications' dumps. Build output (bundles that repeat the sources' SQL strings) too.
 * Their files are left out of the embedded database unless nothing else in the folder holds DDL.
 */
const NOT_SCHEMA_FOLDERS = ['test', 'tests', '__tests__', 'spec', 'e2e', 'fixtures', 'testdata', 'dist', 'build', 'coverage'];
const NOT_SCHEMA = NOT_SCHEMA_FOLDERS.map((f) => `**/${f}/**`);

/** The workspace DDL for the embedded database, in dependency order, and what to say on stderr once it is loaded. */
interface WorkspaceDdl {
  statements: DdlStatement[];
  /** How many files were read for it. */
  files: number;
  notes: string[];
}

type DdlStatement = Parameters<typeof loadSchema>[1][number];

/**
 * The DDL of the current folder's project, as lint reads it (include/exclude, the `embedded` setting; .sql files
 * and the SQL strings of host files: TypeORM or knex migrations), in dependency order. Left out: the files of a
 * subfolder that has a `.pgperf.json` of its own (a separate project, with its own schema) and those under test,
 * fixture and build folders — read only when the rest holds no DDL at all.
 */
export async function workspaceDdl(io: Pick<ExplainIo, 'cwd'>): Promise<WorkspaceDdl> {
  const config = workspaceConfig(io.cwd);
  const notes: string[] = [];
  const { paths, mine } = projectFiles(io.cwd, config);
  if (mine.length < paths.length) {
    const n = paths.length - mine.length;
    notes.push(`left out ${n} file${n === 1 ? '' : 's'} of separate projects (subfolders with their own ${CONFIG_FILE})`);
  }
  const rel = (p: string) => displayPath(io.cwd, p);
  const aside = mine.filter((p) => matchesGlobs(rel(p), NOT_SCHEMA, []));
  const schema = mine.filter((p) => !aside.includes(p));
  let read = await readDdl(schema, io, config, notes);
  if (aside.length > 0) {
    const folders = `${NOT_SCHEMA_FOLDERS.map((f) => `${f}/`).join(', ')}`;
    if (read.statements.length === 0) {
      read = await readDdl(aside, io, config, notes);
      if (read.statements.length > 0) notes.push(`the DDL is that of test, fixture or build folders (${folders}): the rest of the folder has none`);
    } else {
      notes.push(`left out the ${aside.length} file${aside.length === 1 ? '' : 's'} of test, fixture and build folders (${folders})`);
    }
  }
  return { ...read, notes };
}

/** The files lint takes in the current folder (`paths`), and those of them that are its own project's (`mine`). */
export function projectFiles(cwd: string, config: ReturnType<typeof workspaceConfig>): { paths: string[]; mine: string[] } {
  const paths = collectFiles(['.'], cwd, config.include, config.exclude).filter((p) => languageEnabled(p, config.embedded));
  return { paths, mine: ownProjectFiles(paths, cwd) };
}

/** The files of the top project: not under a subfolder (of the current folder) that holds a `.pgperf.json`. */
function ownProjectFiles(paths: readonly string[], cwd: string): string[] {
  const slash = (p: string) => p.split(sep).join('/');
  const top = slash(cwd);
  const isRoot = new Map<string, boolean>();
  const inOther = (dir: string) => {
    let has = isRoot.get(dir);
    if (has === undefined) isRoot.set(dir, (has = existsSync(join(dir, CONFIG_FILE))));
    return has;
  };
  return paths.filter((p) => !foldersAbove(slash(p), top).some(inOther));
}

/** Reads and parses `paths` and returns their DDL in dependency order (a file that cannot be read is a note). */
async function readDdl(
  paths: readonly string[],
  io: Pick<ExplainIo, 'cwd'>,
  config: ReturnType<typeof workspaceConfig>,
  notes: string[],
): Promise<Omit<WorkspaceDdl, 'notes'>> {
  if (paths.some((p) => hostLanguageOf(p))) await initEmbedded();
  const files: ParsedFile[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      // One unreadable file of the folder (permissions, a socket) costs its DDL, not the explain.
      notes.push(`skipped ${displayPath(io.cwd, p)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    files.push(new ParsedFile(displayPath(io.cwd, p), text, undefined, undefined, { embedded: config.embedded }));
  }
  // DDL whose names come from host code (`CREATE TABLE ${name}`) would create placeholder tables: left out.
  const built = new Set<string>();
  for (const f of files) {
    if (!f.host) continue;
    for (const st of f.statements) if (f.host.touchesHole(st.start, st.end)) built.add(`${f.path}\u0000${f.lineOf(st.start)}\u0000${st.text}`);
  }
  const ddl = orderedDdl(files).filter((d) => !built.has(`${d.file}\u0000${d.line}\u0000${d.text}`));
  return { statements: ddl.map((d) => ({ file: d.file, text: d.text, line: d.line })), files: files.length };
}

/** Loads the workspace DDL into the embedded database and says so on stderr, with the notes of its reading. */
export async function loadWorkspaceDdl(db: Database, ddl: WorkspaceDdl, io: Pick<ExplainIo, 'err'>): Promise<void> {
  for (const note of ddl.notes) io.err(`pgperf: ${note}\n`);
  const { statements, files } = ddl;
  if (statements.length === 0) {
    io.err(`pgperf: no DDL in the ${files} file${files === 1 ? '' : 's'} of the current folder: the embedded database is empty\n`);
    return;
  }
  const t0 = performance.now();
  const result = await loadSchema(db, statements);
  const failed = result.failures.length;
  io.err(
    `pgperf: ${loadedSummary(result, statements)} of the current folder in ${Math.round(performance.now() - t0)} ms` +
      `${failed > 0 ? ` (${failed} failed)` : ''}\n`,
  );
  for (const f of result.failures) io.err(`pgperf:   ${failureLine(f)}\n`);
}

export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path).split(sep).join('/');
}

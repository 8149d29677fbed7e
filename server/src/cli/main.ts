/** The `pgperf` command line. Exit codes: 0 no error-severity finding, 1 at least one, 2 bad usage. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import pkg from '../../../package.json';
import { parseConfigText, DEFAULT_CONFIG, type ResolvedConfig } from '../analysis/config';
import { ruleMarkdown } from '../analysis/docs';
import { lintSources, type LintResult } from '../analysis/engine';
import { matchesGlobs } from '../analysis/glob';
import { CONFIG_FILE, foldersAbove, groupByProject } from '../analysis/projects';
import { initParser } from '../analysis/pg';
import { ParseCache } from '../analysis/parse';
import { hostLanguageOf, initEmbedded } from '../analysis/host/index';
import { RULES, RULE_IDS } from '../analysis/rules/index';
import type { ConfigProblem } from '../analysis/types';
import { collectFiles, languageEnabled, UsageError } from '../files';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import type { LintReport } from './report';

/** The analysis API, for benchmarks and embedders that load the bundle (bench/host-scan.mjs reads host files too). */
export { lintSources, initParser, initEmbedded, ParseCache, DEFAULT_CONFIG, collectFiles };

export interface Io {
  out(s: string): void;
  err(s: string): void;
  cwd: string;
  color: boolean;
}

const defaultIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  cwd: process.cwd(),
  color: !!process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
});

const HELP = `pgperf ${pkg.version} — PostgreSQL performance advice for .sql files and the SQL in application code

Usage:
  pgperf lint [paths…] [--format text|json|sarif] [--config file]
      Lint files and folders (default: the current folder). Folders are searched recursively for the include
      globs: *.sql, and the SQL strings of TypeScript/JavaScript (.ts .tsx .js .mjs .cjs .jsx), Python (.py),
      Go (.go) and Rust (.rs) files — queries passed to a database API, tagged as sql or marked /* sql */;
      node_modules, target, vendor and .venv are skipped. All of them are one workspace: a query in src/ is
      judged against the tables of migrations/. Positions are those of the file as written (for embedded SQL,
      the line and column in the host file). .pgperf.json "embedded" turns languages off or adds APIs.
      Reads .pgperf.json from the current folder unless --config names another file; a .pgperf.json in a
      subfolder starts a separate project there (its own config and schema).
      Exit code: 0 no error-severity finding, 1 at least one, 2 bad usage.
  pgperf explain [--analyze] [--yes] [--format text|json] [--generic] [--param V]… [--timeout MS]
                 (SQL | --file F [--line N])
      EXPLAIN (with --analyze: EXPLAIN (ANALYZE, BUFFERS)) one statement and print the plan as a tree with
      findings, or --format json: { "database", "plan", "findings": [{ "rule", "node", "message" }] }.
      F may be a host file (.ts, .py, .go, .rs, …): N is a line of the SQL string, and the values interpolated
      into it (\${x}, {x}, %s, ?) become $n parameters.
      Database: DATABASE_URL or the PG* variables; without them the embedded PGlite database, with the DDL of
      the current folder (its .sql files and SQL strings) loaded first. Always inside a transaction that is
      rolled back; a statement that writes needs --yes (no prompt when stdin is not a terminal). $n parameters:
      one --param each (NULL for null), or none for the generic plan. --timeout: statement_timeout in ms (default 30000).
      Exit code: 0 plan printed, 1 database error, 2 bad usage or a write without --yes.
  pgperf bench hnsw [--dim N] [--count N] [--queries N] [--distribution clustered|uniform] [--metric cosine|l2|ip]
                    [--m 12,16,24] [--ef-construction 64,128,256] [--ef-search 20,40,100,200] [--k 10]
                    [--recall-target 0.95] [--seed N] [--table T --column C] [--yes] [--json F] [--csv F]
      pgvector HNSW parameter sweep: builds one index per (m, ef_construction) on synthetic vectors (clustered
      like real embeddings, or uniform; 10,000 × 768 by default: minutes) or a sample of T.C, and measures per
      ef_search recall@k against exact results, latency p50/p95/p99 and QPS; prints the table and the
      recommendation (the cheapest configuration reaching the recall target). Everything lives in a scratch
      schema pgperf_bench_<random>, dropped at the end (also on failure and Ctrl-C).
  pgperf bench rls [--rows N] [--rounds N] [--yes] [--json F]
      Row-level security overhead: the same queries with RLS off and on, interleaved over N rounds; overhead %
      with a 95 % confidence interval against the guide's 5 % target, and plan changes.
      Both: DATABASE_URL or PG*, else the embedded database; a server not on this machine needs --yes.
      Progress on stderr, the table on stdout; --json F / --csv F also write the report.
      Exit code: 0 done, 1 database error, 2 bad usage or a remote server without --yes, 130 cancelled.
  pgperf rules [--format text|json]   List the rules with their default severity.
  pgperf docs <folder>                Write one Markdown page per rule into <folder>.
  pgperf lsp --stdio                  Run the language server over stdio (Neovim, Helix, Zed, Emacs, …).
  pgperf --version | --help
`;

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      io.out(`${pkg.version}\n`);
      return 0;
    }
    if (command === 'lint') return await lint(rest, io);
    // explain and bench load the database drivers: only for these commands (lint starts faster without them).
    if (command === 'explain') {
      const { explainCommand, terminalAsk } = await import('./explain');
      return await explainCommand(rest, { ...io, ask: terminalAsk(), signals: process });
    }
    if (command === 'bench') {
      const { benchCommand } = await import('./bench');
      return await benchCommand(rest, { ...io, errIsTty: !!process.stderr.isTTY });
    }
    if (command === 'rules') return rules(rest, io);
    if (command === 'docs') return docs(rest, io);
    if (command === 'lsp') return lsp(rest);
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`pgperf: ${(e as Error).message}\nRun "pgperf --help" for usage.\n`);
      return 2;
    }
    throw e;
  }
}

function loadConfig(file: string | undefined, cwd: string, io: Io): { config: ResolvedConfig; problems: ConfigProblem[]; path?: string } {
  const path = file ? resolve(cwd, file) : join(cwd, '.pgperf.json');
  if (!file && !existsSync(path)) return { config: structuredClone(DEFAULT_CONFIG), problems: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { config, problems } = parseConfigText(text, RULE_IDS);
  if (problems.length === 1 && problems[0].path === '' && problems[0].message.startsWith('invalid JSON')) {
    throw new UsageError(`${file ?? '.pgperf.json'}: ${problems[0].message}`);
  }
  for (const p of problems) io.err(`pgperf: ${file ?? '.pgperf.json'}: ${p.path || '(root)'}: ${p.message} (ignored)\n`);
  return { config, problems, path };
}

async function lint(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f', default: 'text' },
      config: { type: 'string', short: 'c' },
    },
  });
  const format = values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format "${format}" (text, json or sarif)`);
  const { config, problems, path: configPath } = loadConfig(values.config, io.cwd, io);
  const paths = positionals.length > 0 ? positionals : ['.'];
  const files = collectFiles(paths, io.cwd, config.include, config.exclude);
  await initParser();
  const projects = await lintProjects(files, explicitFiles(paths, io.cwd), io, { config, problems, path: configPath });
  const result = { files: projects.flatMap((p) => p.files).sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0)) };
  for (const p of projects) for (const e of p.internalErrors) io.err(`pgperf: internal error (please report): ${e}\n`);
  const report: LintReport = {
    root: io.cwd,
    files: result.files.map((f) => ({ path: f.file.path, statements: f.file.statements.length, findings: f.findings })),
    configProblems: projects.filter((p) => p.problems.length > 0).map((p) => ({ file: p.configPath ?? '.pgperf.json', problems: p.problems })),
  };
  if (format === 'json') io.out(formatJson(report, pkg.version));
  else if (format === 'sarif') io.out(formatSarif(report, pkg.version));
  else io.out(formatText(report, io.color));
  return report.files.some((f) => f.findings.some((x) => x.severity === 'error')) ? 1 : 0;
}

/** The paths named on the command line that are files (always linted, whatever a project's globs say). */
function explicitFiles(paths: readonly string[], cwd: string): Set<string> {
  return new Set(paths.map((p) => resolve(cwd, p)).filter((p) => existsSync(p) && statSync(p).isFile()));
}

interface ProjectRun {
  configPath?: string;
  problems: ConfigProblem[];
  files: LintResult['files'];
  internalErrors: string[];
}

/**
 * Lints each project apart: a `.pgperf.json` in a subfolder of the working folder starts a project with its own
 * config (read by the same loader) and its own catalog; the other files form the top project.
 */
async function lintProjects(
  files: readonly string[],
  explicit: ReadonlySet<string>,
  io: Io,
  top: { config: ResolvedConfig; problems: ConfigProblem[]; path?: string },
): Promise<ProjectRun[]> {
  const slash = (p: string) => p.split(sep).join('/');
  const cwd = slash(io.cwd);
  const found = new Map<string, boolean>();
  const roots = new Set<string>();
  for (const f of files) {
    for (const dir of foldersAbove(slash(f), cwd)) {
      let has = found.get(dir);
      if (has === undefined) found.set(dir, (has = existsSync(join(dir, CONFIG_FILE))));
      if (has) roots.add(dir);
    }
  }
  const groups = groupByProject(files, slash, [...roots]);
  const runs: ProjectRun[] = [];
  for (const [root, group] of groups) {
    const own = root === '' ? top : loadConfig(join(root, CONFIG_FILE), io.cwd, io);
    // A project's include/exclude globs are relative to its folder; files named on the command line always count.
    const inGlobs = root === '' ? group : group.filter((f) => explicit.has(f) || matchesGlobs(slash(f).slice(root.length + 1), own.config.include, own.config.exclude));
    // A host language turned off in the project's `embedded` setting: its files are not read at all.
    const mine = inGlobs.filter((f) => languageEnabled(f, own.config.embedded));
    // The host grammars load only once a host file takes part: a .sql-only run never pays for them.
    if (mine.some((f) => hostLanguageOf(f))) await initEmbedded();
    // Files are named relative to the working folder everywhere: in output, and in messages that cite another file.
    const sources = mine.map((path) => ({ path: displayPath(io.cwd, path), text: readFileSync(path, 'utf8') }));
    const result = lintSources(sources, own.config);
    runs.push({ configPath: own.path && root !== '' ? displayPath(io.cwd, own.path) : own.path, problems: own.problems, files: result.files, internalErrors: result.internalErrors });
  }
  if (runs.length === 0) runs.push({ configPath: top.path, problems: top.problems, files: [], internalErrors: [] });
  return runs;
}

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path).split(sep).join('/');
}

/** Runs the language server in this process; it ends when the client says exit. */
function lsp(args: string[]): Promise<number> {
  if (!args.includes('--stdio')) throw new UsageError('lsp needs --stdio (the language server talks LSP over stdin/stdout)');
  // The server is its own bundle beside this one: loaded only for this command.
  require(join(__dirname, 'server.js'));
  return new Promise(() => {});
}

function rules(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { format: { type: 'string', short: 'f', default: 'text' } } });
  if (values.format === 'json') {
    io.out(JSON.stringify(RULES.map((r) => r.meta), null, 2) + '\n');
    return 0;
  }
  if (values.format !== 'text') throw new UsageError(`unknown format "${values.format}" (text or json)`);
  const width = Math.max(...RULES.map((r) => r.meta.id.length));
  for (const r of RULES) io.out(`${r.meta.id.padEnd(width)}  ${(r.meta.optIn ? 'off' : r.meta.severity).padEnd(7)}  ${r.meta.fixable ? 'fix' : '   '}  ${r.meta.docs.summary}\n`);
  return 0;
}

function docs(args: string[], io: Io): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('docs needs one folder');
  const dir = resolve(io.cwd, positionals[0]);
  mkdirSync(dir, { recursive: true });
  for (const r of RULES) writeFileSync(join(dir, `${r.meta.id}.md`), ruleMarkdown(r));
  io.out(`wrote ${RULES.length} rule pages to ${positionals[0]}\n`);
  return 0;
}

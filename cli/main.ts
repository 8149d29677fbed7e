/** The `pgperf` command line. Exit codes: 0 no error-severity finding, 1 at least one, 2 bad usage or an internal error. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import pkg from '../package.json';
import { DEFAULT_CONFIG } from '../server/src/analysis/index';
import { ruleMarkdown } from '../server/src/analysis/index';
import { lintSources, type LintOptions, type LintResult } from '../server/src/analysis/index';
import { matchesGlobs } from '../server/src/analysis/index';
import { CONFIG_FILE, foldersAbove, groupByProject } from '../server/src/analysis/index';
import { initParser } from '../server/src/analysis/index';
import { ParseCache } from '../server/src/analysis/index';
import { hostLanguageOf, initEmbedded } from '../server/src/analysis/index';
import { RULES } from '../server/src/analysis/index';
import type { ConfigProblem } from '../server/src/analysis/index';
import { collectFiles, languageEnabled, UsageError } from '../server/src/files';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import type { LintReport } from './report';
import { HelpRequested, parseCommand } from './args';
import { BAD_USAGE, commandHelp, HELP, HELP_TOPICS } from './usage';
import { type LoadedConfig, loadConfig } from './config';
import { extractHostFilesInParallel } from './host-pool';

/** The analysis API, for benchmarks and embedders that load the bundle (bench/host-scan.mjs reads host files too). */
export { lintSources, initParser, initEmbedded, ParseCache, DEFAULT_CONFIG, collectFiles, extractHostFilesInParallel };

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

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    return reportError(e, io);
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    io.out(HELP);
    return command === undefined ? BAD_USAGE : 0;
  }
  if (command === 'help') return help(rest, io);
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
  throw new UsageError(`unknown command "${command}": "pgperf --help" lists the commands`);
}

/**
 * Every error that reaches the top: help asked for (exit 0), a user's mistake (one line, exit 2), or a bug in
 * pgperf (one line asking for a report, exit 2, as a run that could not do its job: exit 1 means findings; the
 * stack only with PGPERF_DEBUG set). Never a bare stack trace.
 */
function reportError(e: unknown, io: Io): number {
  if (e instanceof HelpRequested) {
    io.out(commandHelp(e.command) ?? HELP);
    return 0;
  }
  if (e instanceof UsageError) {
    io.err(`pgperf: ${e.message}\n`);
    return BAD_USAGE;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(`pgperf: internal error (please report it): ${message.split('\n')[0]}\n`);
  if (process.env.PGPERF_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
  return INTERNAL_ERROR;
}

/** The exit code of a run that failed inside pgperf (as of bad usage: the findings, if any, are not all there is). */
const INTERNAL_ERROR = 2;

/** A rule's failure (its message and stack): one line, the stack only with PGPERF_DEBUG set. */
function internalErrorLine(failure: string): string {
  return process.env.PGPERF_DEBUG ? failure : failure.split('\n')[0];
}

/** `pgperf help [command…]`: the same pages as `--help`. */
function help(args: string[], io: Io): number {
  if (args.length === 0) {
    io.out(HELP);
    return 0;
  }
  const topic = args.join(' ');
  const page = commandHelp(topic);
  if (page === undefined) throw new UsageError(`no help on "${topic}" (there is: ${HELP_TOPICS.join(', ')})`);
  io.out(page);
  return 0;
}

async function lint(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    'lint',
    args,
    {
      format: { type: 'string', short: 'f', default: 'text' },
      config: { type: 'string', short: 'c' },
    },
    true,
  );
  const format = values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format "${format}" (text, json or sarif)`);
  const { config, problems, path: configPath } = loadConfig(values.config, io.cwd, io);
  const paths = positionals.length > 0 ? positionals : ['.'];
  const files = collectFiles(paths, io.cwd, config.include, config.exclude);
  await initParser();
  // Only the JSON output carries fixes: the other formats skip their checks (a parse of each fixed statement or host file).
  const projects = await lintProjects(files, explicitFiles(paths, io.cwd), io, { config, problems, path: configPath }, { fixes: format === 'json' });
  const result = { files: projects.flatMap((p) => p.files).sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0)) };
  const failures = projects.flatMap((p) => p.internalErrors);
  for (const e of failures) io.err(`pgperf: internal error (please report it): ${internalErrorLine(e)}\n`);
  const report: LintReport = {
    root: io.cwd,
    files: result.files.map((f) => ({ path: f.file.path, statements: f.file.statements.length, findings: f.findings })),
    configProblems: projects.filter((p) => p.problems.length > 0).map((p) => ({ file: p.configPath ?? '.pgperf.json', problems: p.problems })),
  };
  if (format === 'json') io.out(formatJson(report, pkg.version));
  else if (format === 'sarif') io.out(formatSarif(report, pkg.version));
  else io.out(formatText(report, io.color));
  if (failures.length > 0) return INTERNAL_ERROR;
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
async function lintProjects(files: readonly string[], explicit: ReadonlySet<string>, io: Io, top: LoadedConfig, options: LintOptions): Promise<ProjectRun[]> {
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
    const inGlobs =
      root === '' ? group : group.filter((f) => explicit.has(f) || matchesGlobs(slash(f).slice(root.length + 1), own.config.include, own.config.exclude));
    // A host language turned off in the project's `embedded` setting: its files are not read at all.
    const mine = inGlobs.filter((f) => languageEnabled(f, own.config.embedded));
    // The host grammars load only once a host file takes part: a .sql-only run never pays for them.
    if (mine.some((f) => hostLanguageOf(f))) await initEmbedded();
    // Files are named relative to the working folder everywhere: in output, and in messages that cite another file.
    const sources = mine.map((path) => ({ path: displayPath(io.cwd, path), text: readSource(path, io.cwd) }));
    await extractHostFilesInParallel(sources, own.config.embedded);
    const result = lintSources(sources, own.config, undefined, options);
    runs.push({
      configPath: own.path && root !== '' ? displayPath(io.cwd, own.path) : own.path,
      problems: own.problems,
      files: result.files,
      internalErrors: result.internalErrors,
    });
  }
  if (runs.length === 0) runs.push({ configPath: top.path, problems: top.problems, files: [], internalErrors: [] });
  return runs;
}

/** A file to lint; one that cannot be read (permissions, a socket) is the user's to fix, not a crash. */
function readSource(path: string, cwd: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${displayPath(cwd, path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path).split(sep).join('/');
}

/** Runs the language server in this process; it ends when the client says exit. */
function lsp(args: string[]): Promise<number> {
  parseCommand('lsp', args, { stdio: { type: 'boolean' } }, false);
  if (!args.includes('--stdio')) throw new UsageError('lsp needs --stdio (the language server talks LSP over stdin/stdout)');
  // The server is its own bundle beside this one: loaded only for this command, at run time (esbuild must not inline it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS bundle chosen at run time
  require(join(__dirname, 'server.js'));
  return new Promise(() => {});
}

function rules(args: string[], io: Io): number {
  const { values } = parseCommand('rules', args, { format: { type: 'string', short: 'f', default: 'text' } }, false);
  if (values.format === 'json') {
    // The id and category first, then the rest of the metadata (docs, messages).
    const list = RULES.map(({ meta: { id, category, ...rest } }) => ({ id, category, ...rest }));
    io.out(JSON.stringify(list, null, 2) + '\n');
    return 0;
  }
  if (values.format !== 'text') throw new UsageError(`unknown format "${values.format}" (text or json)`);
  const width = Math.max(...RULES.map((r) => r.meta.id.length));
  const categoryWidth = Math.max(...RULES.map((r) => r.meta.category.length));
  for (const r of RULES) {
    const { id, category, optIn, severity, fixable, docs } = r.meta;
    io.out(`${id.padEnd(width)}  ${category.padEnd(categoryWidth)}  ${(optIn ? 'off' : severity).padEnd(7)}  ${fixable ? 'fix' : '   '}  ${docs.summary}\n`);
  }
  return 0;
}

function docs(args: string[], io: Io): number {
  const { positionals } = parseCommand('docs', args, {}, true);
  if (positionals.length !== 1) throw new UsageError(`docs needs one folder (got ${positionals.length === 0 ? 'none' : positionals.length})`);
  const name = positionals[0];
  const dir = resolve(io.cwd, name);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`docs: ${name} exists and is not a folder`);
  // The folder (and any parent it needs) is the only thing made before the pages: a failure here wrote nothing.
  const why = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR from mkdir -p: some part of the path is a file.
    return code === 'ENOTDIR' ? 'a part of the path is a file, not a folder (ENOTDIR)' : (code ?? (e as Error).message);
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`docs: cannot create the folder ${name}: ${why(e)}`);
  }
  for (const r of RULES) {
    const page = `${r.meta.id}.md`;
    try {
      writeFileSync(join(dir, page), ruleMarkdown(r));
    } catch (e) {
      throw new UsageError(`docs: cannot write ${join(name, page)}: ${why(e)}`);
    }
  }
  io.out(`wrote ${RULES.length} rule pages to ${name}\n`);
  return 0;
}

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
import {
  extractHost,
  hostLanguageOf,
  initEmbedded,
  parseLikeExtraction,
  primeHostExtracts,
  type EmbeddedOptions,
  type HostExtract,
} from '../server/src/analysis/index';
import { RULES } from '../server/src/analysis/index';
import type { ConfigProblem } from '../server/src/analysis/index';
import { collectFiles, languageEnabled, UsageError } from '../server/src/files';
import { buildIdentity, contentHash, defaultCachePath, hostKey, LintCache } from '../server/src/lint-cache';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import type { LintReport } from './report';
import { HelpRequested, parseCommand } from './args';
import { BAD_USAGE, commandHelp, HELP, HELP_TOPICS } from './usage';
import { type LoadedConfig, loadConfig } from './config';
import { extractHostFilesInParallel } from './host-pool';

/** The analysis API, for benchmarks and embedders that load the bundle (bench/host-scan.mjs reads host files too, and the cache). */
export { lintSources, initParser, initEmbedded, ParseCache, DEFAULT_CONFIG, collectFiles, extractHostFilesInParallel, LintCache, contentHash };
export { parseLikeExtraction };
/** The databases, the DDL loading and the synthetic-data generator, for bench/data.mjs and bench/guide.mjs. */
export { fillDatabase, loadSchema, openEmbedded, openPostgres } from '../database/index';
export { orderedDdl, ParsedFile } from '../server/src/analysis/index';

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
  if (command === 'data') {
    const { dataCommand } = await import('./data');
    return await dataCommand(rest, { ...io, signals: process });
  }
  if (command === 'health') {
    const { healthCommand } = await import('./health');
    return await healthCommand(rest, io);
  }
  if (command === 'whatif') {
    const { whatifCommand } = await import('./whatif');
    return await whatifCommand(rest, io);
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

/** This build's identity for the lint cache (a digest of the bundle), computed once per process. */
let BUILD: string | undefined;

async function lint(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    'lint',
    args,
    {
      format: { type: 'string', short: 'f', default: 'text' },
      config: { type: 'string', short: 'c' },
      'no-cache': { type: 'boolean' },
      'cache-location': { type: 'string' },
    },
    true,
  );
  const format = values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format "${format}" (text, json or sarif)`);
  if (values['no-cache'] && values['cache-location'] !== undefined) throw new UsageError('--no-cache and --cache-location do not go together');
  const { config, problems, path: configPath } = loadConfig(values.config, io.cwd, io);
  const paths = positionals.length > 0 ? positionals : ['.'];
  const files = collectFiles(paths, io.cwd, config.include, config.exclude);
  const projects = readProjects(files, explicitFiles(paths, io.cwd), io, { config, problems, path: configPath });
  const cachePath = values['cache-location'] === undefined ? defaultCachePath(io.cwd) : resolve(io.cwd, values['cache-location']);
  const cache = values['no-cache'] ? undefined : LintCache.open(cachePath, (BUILD ??= buildIdentity(__filename, pkg.version)));
  // Every input of the output: the run is the same run when this is (file contents by hash, configs as resolved).
  const runKey = cache && contentHash(JSON.stringify([format, io.color, io.cwd, projects.map((p) => [p.root, p.config, p.problems, p.configPath, p.hashes])]));
  const cached = runKey ? cache!.run(runKey) : undefined;
  if (cached) {
    io.out(cached.out);
    return cached.code;
  }
  await initParser();
  // Only the JSON output carries fixes: the other formats skip their checks (a parse of each fixed statement or host file).
  const runs: ProjectRun[] = [];
  for (const p of projects) runs.push(await lintProject(p, { fixes: format === 'json' }, cache));
  if (runs.length === 0) runs.push({ configPath: configPath, problems, files: [], internalErrors: [] });
  const result = { files: runs.flatMap((p) => p.files).sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0)) };
  const failures = runs.flatMap((p) => p.internalErrors);
  for (const e of failures) io.err(`pgperf: internal error (please report it): ${internalErrorLine(e)}\n`);
  const report: LintReport = {
    root: io.cwd,
    files: result.files.map((f) => ({ path: f.file.path, statements: f.file.statements.length, findings: f.findings })),
    configProblems: runs.filter((p) => p.problems.length > 0).map((p) => ({ file: p.configPath ?? '.pgperf.json', problems: p.problems })),
  };
  const out = format === 'json' ? formatJson(report, pkg.version) : format === 'sarif' ? formatSarif(report, pkg.version) : formatText(report, io.color);
  io.out(out);
  if (failures.length > 0) return INTERNAL_ERROR;
  const code = report.files.some((f) => f.findings.some((x) => x.severity === 'error')) ? 1 : 0;
  // Nor is a run with such a file one to replay.
  const timeBound = result.files.some((f) => f.file.host?.parseTimeoutMs !== undefined);
  if (cache && runKey) {
    if (!timeBound) cache.setRun(runKey, { out, code });
    const why = cache.save(values['cache-location'] === undefined);
    if (why) io.err(`pgperf: the lint cache could not be saved to ${cache.path} (${why}); --no-cache skips it\n`);
  }
  return code;
}

/** The paths named on the command line that are files (always linted, whatever a project's globs say). */
function explicitFiles(paths: readonly string[], cwd: string): Set<string> {
  return new Set(paths.map((p) => resolve(cwd, p)).filter((p) => existsSync(p) && statSync(p).isFile()));
}

/** A project's files as read, with its config, before any analysis. */
interface Project {
  root: string;
  config: LoadedConfig['config'];
  problems: ConfigProblem[];
  configPath?: string;
  sources: { path: string; text: string }[];
  /** Content hash of each source, in order. */
  hashes: string[];
}

interface ProjectRun {
  configPath?: string;
  problems: ConfigProblem[];
  files: LintResult['files'];
  internalErrors: string[];
}

/**
 * The projects of a run, read: a `.pgperf.json` in a subfolder of the working folder starts a project with its own
 * config (read by the same loader) and its own catalog; the other files form the top project.
 */
function readProjects(files: readonly string[], explicit: ReadonlySet<string>, io: Io, top: LoadedConfig): Project[] {
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
  const projects: Project[] = [];
  for (const [root, group] of groupByProject(files, slash, [...roots])) {
    const own = root === '' ? top : loadConfig(join(root, CONFIG_FILE), io.cwd, io);
    // A project's include/exclude globs are relative to its folder; files named on the command line always count.
    const inGlobs =
      root === '' ? group : group.filter((f) => explicit.has(f) || matchesGlobs(slash(f).slice(root.length + 1), own.config.include, own.config.exclude));
    // A host language turned off in the project's `embedded` setting: its files are not read at all.
    const mine = inGlobs.filter((f) => languageEnabled(f, own.config.embedded));
    // Files are named relative to the working folder everywhere: in output, and in messages that cite another file.
    const sources = mine.map((path) => ({ path: displayPath(io.cwd, path), text: readSource(path, io.cwd) }));
    projects.push({
      root,
      config: own.config,
      problems: own.problems,
      configPath: own.path && root !== '' ? displayPath(io.cwd, own.path) : own.path,
      sources,
      hashes: sources.map((s) => contentHash(s.text)),
    });
  }
  return projects;
}

/** Lints one project, its host files' SQL strings from the cache where it has them (prepareHostExtracts). */
async function lintProject(p: Project, options: LintOptions, cache: LintCache | undefined): Promise<ProjectRun> {
  await prepareHostExtracts(p.sources, p.hashes, p.config.embedded, cache);
  const result = lintSources(p.sources, p.config, undefined, options);
  return { configPath: p.configPath, problems: p.problems, files: result.files, internalErrors: result.internalErrors };
}

/**
 * The SQL strings of the host files among `sources` (content hashes in `hashes`), primed for the lint that follows:
 * from the cache for a text seen before, else from the worker threads (or this thread), then kept in the cache for
 * the next run. Without a cache, only the worker threads' part. Loads the host grammars when a host file takes part.
 */
export async function prepareHostExtracts(
  sources: readonly { path: string; text: string }[],
  hashes: readonly string[],
  embedded: EmbeddedOptions,
  cache: LintCache | undefined,
): Promise<void> {
  const host = sources.map((s, i) => ({ ...s, hash: hashes[i]! })).filter((s) => hostLanguageOf(s.path));
  // The host grammars load only once a host file takes part: a .sql-only run never pays for them.
  if (host.length === 0) return;
  await initEmbedded();
  if (!cache) {
    await extractHostFilesInParallel(host, embedded);
    return;
  }
  const key = (s: (typeof host)[number]) => hostKey(s.path, s.hash, embedded)!;
  const ready: { path: string; text: string; extract: HostExtract }[] = [];
  const misses = host.filter((s) => {
    const extract = cache.host(key(s), s.text.length);
    if (extract) ready.push({ path: s.path, text: s.text, extract });
    return !extract;
  });
  const computed = new Map<string, HostExtract>();
  await extractHostFilesInParallel(misses, embedded, undefined, (path, extract) => computed.set(path, extract));
  for (const s of misses) {
    // Without workers (too little host text, one core) this thread extracts what they would have.
    const extract = computed.get(s.path) ?? extractHost(s.path, s.text, embedded);
    // A parse cut short by its time bound is no result of the text alone: the next run parses the file again.
    if (extract.parseTimeoutMs === undefined) cache.setHost(key(s), extract);
    ready.push({ path: s.path, text: s.text, extract });
  }
  primeHostExtracts(ready, embedded);
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

#!/usr/bin/env node
// Scan speed with SQL embedded in host files, against the same tree's .sql-only scan, per MB of SQL found.
// Each application of ../shared/corpus/apps is linted as its own workspace (as a user opening that repository),
// with the default configuration, twice per run, alternated: (a) its .sql files only, (b) every file the default
// include globs take (host files: TypeScript, JavaScript, Python, Go, Rust). Files are read once before timing, in
// neither (a) nor (b) timed; a run is lintSources over all applications (parse, catalog, rules; for (b) also the
// host parse and extraction). Prints JSON: ms per run (median, p90) for each, MB of SQL found (a: the .sql bytes;
// b: those plus the SQL views of the host files, `file.text.length`: every SQL string, blank-line separated), ms
// per MB, the ratio (b)/(a) of ms per MB (target ≤ 1.5), host files and SQL strings found per language, and the
// one-time loading of the parser and the host grammars (initParser, initEmbedded), outside the runs. (c) is (b) again
// as a re-scan: every host file's SQL strings from the lint cache (server/src/lint-cache.ts) a previous scan saved,
// as `pgperf lint` does after a change to a .sql file; timed from opening the cache file on, the content hashes
// included; its ratio (c)/(a) is reported beside (b)'s. (d) only parses the host files (tree-sitter, the same prefilter),
// reading nothing: ((a) + (d)) per MB of (b)'s SQL over (a)'s is the floor no extraction on one thread gets under
// (singleThreadFloorRatio). Then the whole
// corpus as ONE workspace (host files included), as the CLI lints it, with and without its worker threads for host
// files (cli/host-pool.ts: used only for trees with enough host code, which no single application here has).
// Usage: node bench/host-scan.mjs [--runs N] [--warmup N] [--cli path]   (build first: node build.mjs; --cli: another
// build of the CLI bundle than dist/cli.js, e.g. a previous version's, to compare)
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const corpus = resolve(root, '../shared/corpus/apps');
const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const RUNS = arg('--runs', 5);
const WARMUP = arg('--warmup', 1);

const bundle = process.argv.includes('--cli') ? resolve(process.argv[process.argv.indexOf('--cli') + 1]) : join(root, 'dist/cli.js');
const cli = createRequire(import.meta.url)(bundle);
const need = [
  'lintSources',
  'initParser',
  'initEmbedded',
  'DEFAULT_CONFIG',
  'collectFiles',
  'extractHostFilesInParallel',
  'prepareHostExtracts',
  'LintCache',
  'contentHash',
  'parseLikeExtraction',
];
const missing = need.filter((k) => cli[k] === undefined);
if (missing.length) throw new Error(`${relative(root, bundle)} does not export ${missing.join(', ')} (server/src/cli/main.ts; rebuild with node build.mjs)`);
const {
  lintSources,
  initParser,
  initEmbedded,
  DEFAULT_CONFIG,
  collectFiles,
  extractHostFilesInParallel,
  prepareHostExtracts,
  LintCache,
  contentHash,
  parseLikeExtraction,
} = cli;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

let t = performance.now();
await initParser();
const initParserMs = performance.now() - t;
t = performance.now();
await initEmbedded();
const initEmbeddedMs = performance.now() - t;

/** The extensions of host files by language, as the analysis groups them (tsx is TypeScript). */
const LANGUAGE = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescript',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.py': 'python',
  '.go': 'go',
  '.rs': 'rust',
};

// Both selections through the CLI's own file collection: (a) with include narrowed to .sql, (b) the defaults.
const apps = readdirSync(corpus, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => join(corpus, e.name))
  .sort();
const read = (files) => files.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
const sqlOnly = apps.map((app) => read(collectFiles([app], app, ['**/*.sql'], DEFAULT_CONFIG.exclude)));
const withHost = apps.map((app) => read(collectFiles([app], app, DEFAULT_CONFIG.include, DEFAULT_CONFIG.exclude)));
const sqlBytes = sqlOnly.flat().reduce((n, f) => n + statSync(f.path).size, 0);
const otherFiles = withHost.flat().filter((f) => !f.path.endsWith('.sql') && !LANGUAGE[extname(f.path)]);
if (otherFiles.length)
  throw new Error(`the default include globs took files that are neither .sql nor host files: ${otherFiles.slice(0, 3).map((f) => f.path)}`);

const lintAll = (workspaces) => workspaces.map((sources) => lintSources(sources, DEFAULT_CONFIG));
// (c)'s cache files, one per application, saved by a first scan as the CLI saves them; removed at the end.
const cacheDir = mkdtempSync(join(tmpdir(), 'pgperf-host-scan-'));
const BUILD = 'bench-host-scan';
const cachePaths = apps.map((_, i) => join(cacheDir, `app-${i}.cache`));
try {
  for (const [i, sources] of withHost.entries()) {
    const cache = LintCache.open(cachePaths[i], BUILD);
    await prepareHostExtracts(
      sources,
      sources.map((s) => contentHash(s.text)),
      DEFAULT_CONFIG.embedded,
      cache,
    );
    lintSources(sources, DEFAULT_CONFIG);
    const why = cache.save(false);
    if (why) throw new Error(`the lint cache could not be saved: ${why}`);
  }
} catch (e) {
  rmSync(cacheDir, { recursive: true, force: true });
  throw e;
}
const rescanAll = async () => {
  const results = [];
  for (const [i, sources] of withHost.entries()) {
    const cache = LintCache.open(cachePaths[i], BUILD);
    await prepareHostExtracts(
      sources,
      sources.map((s) => contentHash(s.text)),
      DEFAULT_CONFIG.embedded,
      cache,
    );
    results.push(lintSources(sources, DEFAULT_CONFIG));
  }
  return results;
};
// (d): the host files only parsed, as the extraction parses them (same prefilter, tree deleted at once), nothing read.
const hostOnly = withHost.map((sources) => sources.filter((f) => LANGUAGE[extname(f.path)]));
const parseAll = () => {
  let parsed = 0;
  for (const sources of hostOnly) for (const f of sources) if (parseLikeExtraction(f.path, f.text, DEFAULT_CONFIG.embedded)) parsed++;
  return parsed;
};
const times = { sql: [], host: [], cached: [], parse: [] };
const last = {};
const ORDERS = [
  ['sql', 'host', 'cached', 'parse'],
  ['parse', 'sql', 'host', 'cached'],
  ['cached', 'parse', 'sql', 'host'],
  ['host', 'cached', 'parse', 'sql'],
];
for (let i = 0; i < WARMUP + RUNS; i++) {
  for (const mode of ORDERS[i % ORDERS.length]) {
    const t0 = performance.now();
    const results = mode === 'cached' ? await rescanAll() : mode === 'parse' ? parseAll() : lintAll(mode === 'sql' ? sqlOnly : withHost);
    const ms = performance.now() - t0;
    if (i >= WARMUP) times[mode].push(ms);
    last[mode] = results;
  }
}
rmSync(cacheDir, { recursive: true, force: true });
// The re-scan must find what the scan found: the cache changes the time, never the findings.
const findingsOf = (results) => JSON.stringify(results.map((r) => r.files.map((f) => [f.file.path, f.findings])));
if (findingsOf(last.cached) !== findingsOf(last.host)) throw new Error('the re-scan from the lint cache found other findings than the scan');

// The whole corpus as one workspace: the CLI's scan with its worker threads (as many as it picks) and without.
const everything = withHost.flat();
const whole = { single: [], workers: [] };
let poolRun;
for (let i = 0; i < WARMUP + RUNS; i++) {
  for (const mode of i % 2 ? ['workers', 'single'] : ['single', 'workers']) {
    const t0 = performance.now();
    if (mode === 'workers') poolRun = await extractHostFilesInParallel(everything, DEFAULT_CONFIG.embedded);
    lintSources(everything, DEFAULT_CONFIG);
    if (i >= WARMUP) whole[mode].push(performance.now() - t0);
  }
}

// What (b) found, from its last run: per language, host files, SQL strings, SQL-view size, findings.
const languages = {};
let hostSqlChars = 0;
let internalErrors = 0;
const findings = { sql: 0, host: 0 };
for (const r of last.host) {
  internalErrors += r.internalErrors.length;
  for (const { file, findings: fs } of r.files) {
    const lang = LANGUAGE[extname(file.path)];
    if (!lang) {
      findings.sql += fs.length;
      continue;
    }
    if (!file.host) throw new Error(`${relative(corpus, file.path)}: a host file without a host view`);
    findings.host += fs.length;
    const l = (languages[lang] ??= { files: 0, filesWithSql: 0, sqlStrings: 0, sqlViewMB: 0, findings: 0, syntaxErrors: 0 });
    l.files++;
    if (file.host.segments.length) l.filesWithSql++;
    l.sqlStrings += file.host.segments.length;
    l.sqlViewMB += file.text.length;
    l.findings += fs.length;
    l.syntaxErrors += fs.filter((f) => f.ruleId === 'syntax-error').length;
    hostSqlChars += file.text.length;
  }
}
for (const l of Object.values(languages)) l.sqlViewMB = round(l.sqlViewMB / 1e6, 3);

const summary = (ms, mb) => ({
  msPerRun: { median: round(pct(ms, 50), 1), p90: round(pct(ms, 90), 1), min: round(Math.min(...ms), 1), max: round(Math.max(...ms), 1) },
  sqlMB: round(mb, 3),
  msPerSqlMB: round(pct(ms, 50) / mb, 1),
});
const mbA = sqlBytes / 1e6;
const mbB = (sqlBytes + hostSqlChars) / 1e6;
const a = summary(times.sql, mbA);
const b = summary(times.host, mbB);
const c = summary(times.cached, mbB);
const ratio = round(b.msPerSqlMB / a.msPerSqlMB, 3);
// The least (b) can take on one thread with this parser: (a)'s work plus the host parse alone, no string read and
// none of their SQL linted. A floor above the target means no extraction code on this thread can meet it.
const parseMs = pct(times.parse, 50);
const floorRatio = round((pct(times.sql, 50) + parseMs) / mbB / a.msPerSqlMB, 3);
const cachedRatio = round(c.msPerSqlMB / a.msPerSqlMB, 3);
console.log(
  JSON.stringify(
    {
      bench: 'host-scan',
      machine: { cpus: cpus().length, node: process.version },
      corpus: relative(root, corpus),
      applications: apps.length,
      runs: RUNS,
      warmup: WARMUP,
      fileReadingTimed: false,
      sqlOnly: { files: sqlOnly.flat().length, ...a, findings: last.sql.reduce((n, r) => n + r.files.reduce((m, f) => m + f.findings.length, 0), 0) },
      withHost: {
        files: withHost.flat().length,
        hostFiles: withHost.flat().length - sqlOnly.flat().length,
        hostMB: round(
          withHost
            .flat()
            .filter((f) => !f.path.endsWith('.sql'))
            .reduce((n, f) => n + Buffer.byteLength(f.text), 0) / 1e6,
          3,
        ),
        ...b,
        findings: findings.sql + findings.host,
        languages,
        sqlStrings: Object.values(languages).reduce((n, l) => n + l.sqlStrings, 0),
      },
      rescanFromCache: { ...c, sameFindings: true },
      hostParseOnly: {
        filesParsed: last.parse,
        parsedMB: round(hostOnly.flat().reduce((n, f) => n + (parseLikeExtraction(f.path, f.text, DEFAULT_CONFIG.embedded) ? f.text.length : 0), 0) / 1e6, 3),
        msPerRun: { median: round(parseMs, 1), min: round(Math.min(...times.parse), 1), max: round(Math.max(...times.parse), 1) },
      },
      singleThreadFloorRatio: floorRatio,
      wholeCorpusOneWorkspace: {
        files: everything.length,
        singleThreadMs: round(pct(whole.single, 50), 1),
        withWorkersMs: round(pct(whole.workers, 50), 1),
        workers: poolRun?.workers ?? 0,
        primedFiles: poolRun?.primed ?? 0,
        speedup: round(pct(whole.single, 50) / pct(whole.workers, 50), 2),
      },
      ratioPerSqlMB: ratio,
      rescanRatioPerSqlMB: cachedRatio,
      targetRatio: 1.5,
      pass: ratio <= 1.5,
      internalErrors,
      initParserMs: round(initParserMs, 1),
      initEmbeddedMs: round(initEmbeddedMs, 1),
    },
    null,
    2,
  ),
);

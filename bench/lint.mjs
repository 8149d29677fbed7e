#!/usr/bin/env node
// Lint speed on SQL written by others. Prints JSON:
// - corpus: `pgperf lint --no-cache` over ../shared/corpus/real-world (412 files) as a user runs it, one fresh
//   process per run, wall time including Node start-up and WASM load; MB/s, statements/s, peak RSS of that process.
// - unchanged: the same with the lint cache (its default), the second and later runs of a tree where nothing
//   changed: wall per run, checked to print the same bytes as the uncached run (the cache file in a temporary folder).
// - relint: one 1,000-line file re-linted after a one-character edit in a warm process, as the language server
//   does it: the statement cache re-parses only the edited statement; catalog and rules run in full. p50/p95 ms.
// - peer: postgres-language-server's `check` of the same folder, run in turn with pgperf's runs (one pgperf run, one
//   pgls run, …) so both see the same machine; its wall, peak RSS (GNU time) and pgperf's wall over its. pgls is
//   installed once with `npm i --no-save` into a folder of the user's cache (PGLS_VERSION), outside this project;
//   `--no-peer`, or an install that fails (no registry), reports the reason instead of the figures.
// Usage: node bench/lint.mjs [--runs N] [--no-peer]   (build first: npm run build)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const corpus = resolve(root, '../shared/corpus/real-world');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const cli = join(root, 'dist/cli.js');

const files = (function walk(d) {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.sql') ? [join(d, e.name)] : []));
})(corpus);
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// The child runs the CLI exactly as bin/pgperf.js does, then reports its own peak RSS on stderr and its output's
// digest (the cached runs must print what the uncached one does).
const child = (cacheArgs) => `
const cli = require(${JSON.stringify(cli)});
cli.main(['lint', ${JSON.stringify(corpus)}, '--format', 'json', ${cacheArgs.map((a) => JSON.stringify(a)).join(', ')}], { out: (s) => { globalThis.__out = s; }, err: (s) => { process.stderr.write(s); process.exitCode = 3; }, cwd: process.cwd(), color: false })
  .then(() => { process.stderr.write(JSON.stringify({ maxRSS: process.resourceUsage().maxRSS, summary: JSON.parse(globalThis.__out).summary, digest: require('node:crypto').createHash('sha1').update(globalThis.__out).digest('hex') })); });
`;
const runChild = (cacheArgs) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', child(cacheArgs)], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(r.stderr);
  return { ms, ...JSON.parse(r.stderr) };
};
// postgres-language-server, the peer of the table: its npm package ships the binary for this platform.
const PGLS_VERSION = '0.25.5';
const pglsBin = (() => {
  if (process.argv.includes('--no-peer')) return { skipped: '--no-peer' };
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pgperf-bench', `pgls-${PGLS_VERSION}`);
  const bin = join(dir, 'node_modules/.bin/postgres-language-server');
  try {
    if (!existsSync(bin)) {
      mkdirSync(dir, { recursive: true });
      execFileSync('npm', ['i', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `@postgres-language-server/cli@${PGLS_VERSION}`], {
        stdio: 'ignore',
        timeout: 300_000,
      });
    }
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return { bin };
  } catch (e) {
    return { skipped: `postgres-language-server ${PGLS_VERSION} could not be installed or run: ${String(e.message).split('\n')[0]}` };
  }
})();
// GNU time gives the peer's peak RSS; without it the figure is left out.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const runPeer = () => {
  const args = ['check', corpus];
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync(gnuTime, ['-f', '%M', pglsBin.bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(pglsBin.bin, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  // pgls exits 1 when it reports errors (the corpus has syntax errors on purpose); a signal or no summary is a failure.
  const checked = /Checked (\d+) files?/.exec(r.stdout + r.stderr);
  if (r.signal || !checked) throw new Error(`postgres-language-server check failed: ${(r.stderr || r.stdout).slice(-500)}`);
  const kb = gnuTime ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
  return { ms, files: Number(checked[1]), maxRSS: Number.isFinite(kb) ? kb : undefined };
};

const walls = [];
const peerWalls = [];
let peerRss = 0;
let peerFiles = 0;
let rss = 0;
let summary;
let digest;
for (let i = 0; i < runs; i++) {
  const info = runChild(['--no-cache']);
  walls.push(info.ms);
  rss = Math.max(rss, info.maxRSS);
  summary = info.summary;
  digest = info.digest;
  if (pglsBin.bin) {
    const p = runPeer();
    peerWalls.push(p.ms);
    peerRss = Math.max(peerRss, p.maxRSS ?? 0);
    peerFiles = p.files;
  }
}
// With the cache: a first run fills it (not timed), then the runs of an unchanged tree.
const cacheDir = mkdtempSync(join(tmpdir(), 'pgperf-bench-lint-'));
const cacheArgs = ['--cache-location', join(cacheDir, 'lint.cache')];
const unchangedWalls = [];
let unchangedRss = 0;
try {
  if (runChild(cacheArgs).digest !== digest) throw new Error('the run that fills the cache printed other output than the uncached run');
  for (let i = 0; i < runs; i++) {
    const info = runChild(cacheArgs);
    if (info.digest !== digest) throw new Error('a run from the cache printed other output than the uncached run');
    unchangedWalls.push(info.ms);
    unchangedRss = Math.max(unchangedRss, info.maxRSS);
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
const wall = pct(walls, 50);

// Warm re-lint of one 1,000-line file after a one-character edit (a digit that changes every time).
const { lintSources, initParser, ParseCache } = await import(cli).then((m) => m.default ?? m);
await initParser();
const base = readFileSync(join(corpus, 'postgres-regress/generated_virtual.sql'), 'utf8').split('\n').slice(0, 1000).join('\n');
// The edit goes into a statement in the middle of the file: a literal inside it cycles through new values.
const anchor = base.indexOf('VALUES (1', base.length >> 1);
if (anchor < 0) throw new Error('no edit anchor in the re-lint file');
const edited = (i) => base.slice(0, anchor) + `VALUES (${i + 1}` + base.slice(anchor + 'VALUES (1'.length);
const cache = new ParseCache();
for (let i = 0; i < 30; i++) lintSources([{ path: 'big.sql', text: edited(i) }], undefined, cache);
const times = [];
for (let i = 30; i < 330; i++) {
  const text = edited(i);
  const t0 = performance.now();
  lintSources([{ path: 'big.sql', text }], undefined, cache);
  times.push(performance.now() - t0);
}
const coldTimes = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  lintSources([{ path: 'big.sql', text: base }]);
  coldTimes.push(performance.now() - t0);
}
const big = base;

console.log(
  JSON.stringify(
    {
      machine: { cpus: cpus().length, node: process.version },
      corpus: {
        files: files.length,
        megabytes: round(bytes / 1e6),
        statements: summary.statements,
        runs,
        wallMs: { median: round(wall, 0), min: round(Math.min(...walls), 0), max: round(Math.max(...walls), 0) },
        mbPerSecond: round(bytes / 1e6 / (wall / 1000)),
        statementsPerSecond: Math.round(summary.statements / (wall / 1000)),
        peakRssMB: round(rss / 1024, 0),
        targetWallMs: 1500,
      },
      peer: pglsBin.bin
        ? {
            tool: `postgres-language-server ${PGLS_VERSION} check`,
            files: peerFiles,
            runs,
            wallMs: { median: round(pct(peerWalls, 50), 0), min: round(Math.min(...peerWalls), 0), max: round(Math.max(...peerWalls), 0) },
            peakRssMB: gnuTime ? round(peerRss / 1024, 0) : null,
            // pgperf's median wall over pgls's, both from the same interleaved runs; the target is 0.6.
            ratio: round(wall / pct(peerWalls, 50), 3),
            targetRatio: 0.6,
          }
        : { skipped: pglsBin.skipped },
      unchanged: {
        runs,
        wallMs: { median: round(pct(unchangedWalls, 50), 0), min: round(Math.min(...unchangedWalls), 0), max: round(Math.max(...unchangedWalls), 0) },
        peakRssMB: round(unchangedRss / 1024, 0),
        sameOutput: true,
        targetWallMs: 500,
      },
      relint1000Lines: {
        bytes: Buffer.byteLength(big),
        iterations: times.length,
        p50Ms: round(pct(times, 50)),
        p95Ms: round(pct(times, 95)),
        targetP95Ms: 15,
        withoutStatementCache: { p50Ms: round(pct(coldTimes, 50)), p95Ms: round(pct(coldTimes, 95)) },
      },
    },
    null,
    2,
  ),
);

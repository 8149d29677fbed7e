#!/usr/bin/env node
// Compare with Fix on the example project (issue 15: "the wall time from command to panel for the example
// project"): `pgperf explain --compare-fix queries/sessions.sql:5 --data ROWS --param tenant_0001 --param OFFSET
// --format json` run in examples/app as a user runs it (a fresh process each time, the embedded database, the
// folder's DDL loaded, synthetic rows in the tables the statement reads), and then the Compare with Fix page built
// from the same kind of result (client/src/ui/compare-html.ts, bundled on the fly) — the two steps between the
// command and the panel. Prints JSON: wall seconds per run (median, min, max), the page's build time, the speed-up
// and rows each run reported, the load average. Usage: node bench/compare-fix.mjs [--runs N] [--rows N] [--offset N]
// (build first: node build.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const RUNS = arg('--runs', 3);
const ROWS = arg('--rows', 20_000);
const OFFSET = arg('--offset', 2_000);
const BIN = join(root, 'bin', 'pgperf.js');
const APP = join(root, 'examples', 'app');

const env = { ...process.env };
for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGSERVICE']) delete env[k];
const args = [
  'explain',
  '--compare-fix',
  'queries/sessions.sql:5',
  '--data',
  String(ROWS),
  '--param',
  'tenant_0001',
  '--param',
  String(OFFSET),
  '--format',
  'json',
];

const load = loadavg()[0];
const runs = [];
let last;
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: APP, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`pgperf ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  last = JSON.parse(r.stdout);
  runs.push({
    wallSeconds: wall,
    speedup: last.speedup,
    beforeMs: last.before.medianMs,
    afterMs: last.after.medianMs,
    rowsRead: [last.before.rowsScanned, last.after.rowsScanned],
  });
}

// The page, from the last run's figures and a plan of the same shape (the CLI's JSON holds the server's plan,
// the panel the parsed tree: parsed here with database/explain/plan.ts as the extension does).
const dir = mkdtempSync(join(tmpdir(), 'pgperf-bench-compare-'));
let pageMs;
try {
  const outfile = join(dir, 'page.mjs');
  await build({
    stdin: {
      contents: `export { buildCompareHtml } from ${JSON.stringify(join(root, 'client/src/ui/compare-html.ts'))};\nexport { parsePlan } from ${JSON.stringify(join(root, 'database/explain/plan.ts'))};`,
      resolveDir: root,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  const { buildCompareHtml, parsePlan } = await import(pathToFileURL(outfile).href);
  const side = (s) => {
    const parsed = parsePlan(s.plan);
    return { ...s, result: { database: last.database, sql: s.sql, plan: s.plan, tree: parsed.tree, findings: [], executionMs: s.medianMs } };
  };
  const view = {
    ...last,
    comparison: { rule: last.rule, title: last.title, setup: last.setup },
    before: side(last.before),
    after: side(last.after),
    where: last.at,
  };
  const opts = { cspSource: 'vscode-resource:', styleUris: ['panel.css', 'explain.css'], scriptUri: 'explain.js' };
  const times = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    buildCompareHtml(view, opts);
    times.push(performance.now() - t0);
  }
  pageMs = [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)];
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const walls = runs.map((r) => r.wallSeconds).sort((a, b) => a - b);
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
console.log(
  JSON.stringify(
    {
      bench: 'compare-fix',
      command: `pgperf ${args.join(' ')}`,
      cwd: 'examples/app',
      loadAverage: round(load),
      runs: RUNS,
      wallSeconds: { median: round(walls[Math.floor(walls.length / 2)]), min: round(walls[0]), max: round(walls[walls.length - 1]) },
      pageP95Ms: round(pageMs, 3),
      perRun: runs.map((r) => ({
        ...r,
        wallSeconds: round(r.wallSeconds),
        speedup: round(r.speedup),
        beforeMs: round(r.beforeMs, 3),
        afterMs: round(r.afterMs, 3),
      })),
      // An interactive command a user waits for, with the data load: the target a user would still sit through.
      targetWallSeconds: 15,
    },
    null,
    2,
  ),
);

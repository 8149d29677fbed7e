#!/usr/bin/env node
// `npm run bench`: every benchmark of bench/suite.mjs, one after another (each in its own process, so one's heap or
// leftover timers never weigh on the next), then ONE JSON document on stdout: each figure with its target and
// pass/fail, the benchmarks that failed with their reason, and the raw output of each. Progress goes to stderr.
// Usage: node bench/all.mjs [--quick] [--only lint,lsp] [--save bench/results.json]
//   --quick: fewer runs of each (a check that the suite runs, not figures to quote)
//   --save: also write the document there (the README table is generated from bench/results.json:
//           node bench/all.mjs --readme). With --only, the benchmarks run are merged into the saved document
//           (their raw output, errors and seconds replaced, every figure recomputed from the raw outputs, the
//           date and load of the merged run kept under `merged`), so one benchmark can be re-run without the
//           others; a --quick run is never merged into a full one.
//   --readme: write README.md's benchmark table from bench/results.json and exit (runs nothing)
// Needs dist/ (npm run build) and ../shared/corpus beside the checkout; `explain` needs the local PostgreSQL.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFigures, figuresOf, GUIDE_BEGIN, GUIDE_END, renderGuideTable, renderTable, SUITE, TABLE_BEGIN, TABLE_END } from './suite.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const log = (msg) => process.stderr.write(`${msg}\n`);

if (argv.includes('--readme')) {
  const results = JSON.parse(readFileSync(resolve(root, 'bench/results.json'), 'utf8'));
  const readmePath = resolve(root, 'README.md');
  let readme = readFileSync(readmePath, 'utf8');
  // The benchmark table, and the tuning guide's figures beside bench/guide.mjs's.
  for (const [BEGIN, END, render] of [
    [TABLE_BEGIN, TABLE_END, renderTable],
    [GUIDE_BEGIN, GUIDE_END, renderGuideTable],
  ]) {
    const begin = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
    readme = `${readme.slice(0, begin + BEGIN.length)}\n${render(results)}\n${readme.slice(end)}`;
  }
  writeFileSync(readmePath, readme);
  log('README.md: benchmark table and the tuning guide table written from bench/results.json');
  process.exit(0);
}

const quick = argv.includes('--quick');
const only = value('--only')?.split(',');
const unknown = (only ?? []).filter((b) => !SUITE.some((s) => s.bench === b));
if (unknown.length) {
  log(`unknown benchmark: ${unknown.join(', ')} (one of ${SUITE.map((s) => s.bench).join(', ')})`);
  process.exit(2);
}

const save = value('--save');
let saved;
if (save && only) {
  try {
    saved = JSON.parse(readFileSync(resolve(root, save), 'utf8'));
  } catch {
    saved = undefined; // nothing saved yet: the subset is the document
  }
  if (saved && saved.quick !== quick) {
    log(`--only with --save merges into ${save}, a ${saved.quick ? '--quick' : 'full'} run: run this one ${saved.quick ? 'with' : 'without'} --quick too`);
    process.exit(2);
  }
}

const started = new Date();
const raw = {};
const errors = {};
const seconds = {};
/** @type {import('./suite.mjs').Figure[]} */
const figures = [];
const load = loadavg();
for (const s of SUITE) {
  if (only && !only.includes(s.bench)) continue;
  const args = quick ? (s.quickArgs ?? s.args) : s.args;
  log(`${s.bench}: node ${s.script} ${args.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [resolve(root, s.script), ...args], {
    cwd: root,
    env: { ...process.env, ...(quick ? (s.quickEnv ?? s.env) : s.env) },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  seconds[s.bench] = Math.round((performance.now() - t0) / 100) / 10;
  if (r.status !== 0) {
    const last = (r.stderr || r.error?.message || '').trim().split('\n').filter(Boolean);
    errors[s.bench] = `exit ${r.status ?? r.signal}: ${last.slice(-1)[0] ?? 'no output'}`.slice(0, 300);
    log(`  failed: ${errors[s.bench]}`);
    continue;
  }
  try {
    const json = JSON.parse(r.stdout);
    const found = benchFigures(s, json);
    raw[s.bench] = json;
    figures.push(...found);
    for (const f of found) log(`  ${f.pass ? 'met    ' : 'NOT MET'} ${f.id} = ${f.value} ${f.unit} (${f.op} ${f.target})`);
  } catch (e) {
    errors[s.bench] = `its output did not read: ${e.message}`.slice(0, 300);
    log(`  failed: ${errors[s.bench]}`);
  }
}

const machine = { cpus: cpus().length, node: process.version, loadavg: load.map((x) => Math.round(x * 100) / 100) };
const date = started.toISOString().slice(0, 10);
const summaryOf = (fs, errs) => ({
  figures: fs.length,
  met: fs.filter((f) => f.pass).length,
  notMet: fs.filter((f) => !f.pass).map((f) => f.id),
  failed: Object.keys(errs),
});
let doc = { bench: 'all', date, quick, machine, summary: summaryOf(figures, errors), figures, errors, seconds, raw };
if (saved) {
  // The saved run with the benchmarks just run in place of theirs (a failure keeps the saved output out, as a
  // failure of a whole run would).
  const mRaw = { ...saved.raw };
  const mErrors = { ...saved.errors };
  for (const b of only) {
    delete mRaw[b];
    delete mErrors[b];
    if (raw[b] !== undefined) mRaw[b] = raw[b];
    if (errors[b] !== undefined) mErrors[b] = errors[b];
  }
  const mFigures = figuresOf(mRaw);
  const merged = { ...saved.merged };
  for (const b of only) merged[b] = { date, loadavg: machine.loadavg };
  doc = {
    ...saved,
    summary: summaryOf(mFigures, mErrors),
    figures: mFigures,
    errors: mErrors,
    seconds: { ...saved.seconds, ...seconds },
    merged,
    raw: mRaw,
  };
}
const text = JSON.stringify(doc, null, 2);
if (save) writeFileSync(resolve(root, save), `${text}\n`);
console.log(text);
process.exit(Object.keys(errors).length ? 1 : 0);

#!/usr/bin/env node
// Fuzzing the analysis and the language server (issue 18): seeded mutations of ../shared/corpus/real-world and
// ../shared/corpus/apps (byte edits, truncation inside strings, dollar quotes and comments, deep trees, long
// operator and UNION chains, 1 MB lines, NUL and lone surrogates, LF/CRLF/CR mixes, huge IN and OR lists, SQL in
// host-language files), each linted through the CLI's analysis (lintSources of dist/cli.js) and one in
// --server-every also opened, hovered, asked for code actions, edited and closed in the built server over stdio.
// The driver and its checks: test/fuzz/drive.ts (bundled here with esbuild, as the build bundles the sources).
// Prints JSON: inputs, crashes (throws, internal errors, server exits), stderr errors, stalls (requests or lints
// slower than --stall-ms, default 1,000), latency per request kind (max, p99, p50), invalid edits (fixes and code
// actions that do not apply or add a syntax error), out-of-range ranges, the seed and seconds; the problems found,
// each with its input's index (`--only i,j` with the same --seed replays those inputs) and mutations.
// --jobs N shares the inputs among N processes (blocks of --server-every inputs in turn, so each has its share of the
// server's; the inputs are those of one process, the figures over all of them); --seconds bounds each.
// Usage: node bench/fuzz.mjs [--seed N] [--inputs N] [--seconds N] [--server-every N] [--stall-ms N] [--max-chars N]
//                            [--max-terms N] [--seeds sql|host|all] [--repo-seeds] [--trace] [--dump dir] [--dist dir] [--only i,j,…]
//                            [--problems N] [--jobs N]   (build first: node build.mjs)
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const num = (name, dflt) => (value(name) === undefined ? dflt : Number(value(name)));

const seed = num('--seed', 1);
const inputs = num('--inputs', 100_000);
const seconds = num('--seconds', 1_500);
const serverEvery = num('--server-every', 10);
const stallMs = num('--stall-ms', 1_000);
const keepProblems = num('--problems', 100);
const mutate = { maxChars: num('--max-chars', 1_000_000), maxTerms: num('--max-terms', 30_000) };
const only = value('--only')?.split(',').map(Number);
const distDir = resolve(value('--dist') ?? join(root, 'dist'));

const jobs = value('--shard') ? 1 : num('--jobs', 1);
const shard = value('--shard') && { index: Number(value('--shard').split('/')[0]), count: Number(value('--shard').split('/')[1]) };

const tmp = mkdtempSync(join(tmpdir(), 'pgperf-fuzz-bundle-'));
const out = join(tmp, 'fuzz.cjs');
await build({
  stdin: { contents: "export * from './drive'; export * from './seeds';", resolveDir: join(root, 'test/fuzz'), loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: out,
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const { fuzz, filesUnder, repositorySeeds, mergeReports } = require(out);
rmSync(tmp, { recursive: true, force: true });

/** The same run in `jobs` processes, each on its share of the inputs; their reports merged. */
async function sharded() {
  const t0 = performance.now();
  const args = argv.filter((a, i) => a !== '--jobs' && argv[i - 1] !== '--jobs');
  const run = (k) =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args, '--shard', `${k}/${jobs}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let outText = '';
      child.stdout.on('data', (d) => (outText += d));
      child.on('error', fail);
      child.on('close', (code) => {
        try {
          done(JSON.parse(outText));
        } catch {
          fail(new Error(`fuzz process ${k}/${jobs} exited with ${code} and no report`));
        }
      });
    });
  const parts = await Promise.all(Array.from({ length: jobs }, (_, k) => run(k)));
  return { ...mergeReports(parts, (performance.now() - t0) / 1000), jobs, seedFiles: parts[0].seedFiles };
}

if (jobs > 1) {
  const { problems, ...figures } = await sharded();
  process.stdout.write(
    JSON.stringify(
      {
        ...figures,
        inputsAsked: only?.length ?? inputs,
        stallMs,
        serverEvery,
        ...mutate,
        problemsKept: Math.min(problems.length, keepProblems),
        problems: problems.slice(0, keepProblems),
      },
      null,
      2,
    ) + '\n',
  );
  process.exit(0);
}

const cli = require(join(distDir, 'cli.js'));
await cli.initParser();
await cli.initEmbedded();

const found = argv.includes('--repo-seeds')
  ? repositorySeeds(root)
  : ['real-world', 'apps'].flatMap((c) => filesUnder(resolve(root, '../shared/corpus', c), resolve(root, '../shared/corpus')));
// --seeds sql|host|all: the corpus holds about five host files per SQL file; with `all`, each SQL file is listed as
// often as it takes for both kinds to be picked about equally (a host seed is still one file in its language).
const kind = value('--seeds') ?? 'all';
const sqlSeeds = found.filter((f) => f.name.endsWith('.sql'));
const hostSeeds = found.filter((f) => !f.name.endsWith('.sql'));
const weight = Math.max(1, Math.round(hostSeeds.length / Math.max(1, sqlSeeds.length)));
const seeds = kind === 'sql' ? sqlSeeds : kind === 'host' ? hostSeeds : [...Array.from({ length: weight }, () => sqlSeeds).flat(), ...hostSeeds];
if (!seeds.length) throw new Error(`no seed files (--seeds ${kind})`);
const workspace = ['001_tables.sql', '002_security.sql', '003_vectors.sql'].map((f) => ({
  name: `schema/${f}`,
  text: readFileSync(join(root, 'examples/app/schema', f), 'utf8'),
}));

// --trace: each input's index, size and mutations on stderr before it runs (a lint that never returns names itself).
// --dump DIR: each input written to DIR as it runs (with --only, the files to reduce into a regression test).
const dump = value('--dump');
if (dump) mkdirSync(dump, { recursive: true });
const trace =
  argv.includes('--trace') || dump
    ? (i) => {
        if (argv.includes('--trace')) process.stderr.write(`${i.index} ${i.path} ${i.text.length} ${i.ops.join(' ')}\n`);
        if (dump) writeFileSync(join(dump, basename(i.path)), i.text);
      }
    : undefined;
const report = await fuzz({
  seed,
  inputs,
  seconds,
  seeds,
  workspace,
  serverEvery,
  distDir,
  analysis: cli,
  stallMs,
  only,
  mutate,
  trace,
  ...(shard ? { shard, keepLatencies: true } : {}),
});
const { problems, ...figures } = report;
process.stdout.write(
  JSON.stringify(
    {
      ...figures,
      inputsAsked: only?.length ?? inputs,
      seedFiles: { sql: sqlSeeds.length, host: hostSeeds.length, picked: kind },
      stallMs,
      serverEvery,
      ...mutate,
      problemsKept: Math.min(problems.length, keepProblems),
      // A shard gives its parent every problem (the parent keeps --problems of them).
      problems: shard ? problems : problems.slice(0, keepProblems),
    },
    null,
    2,
  ) + '\n',
);

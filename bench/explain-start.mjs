// `pgperf explain --analyze "select 1"` on the embedded database (issue 17): wall time and peak RSS of the whole
// process (`/usr/bin/time -v`), from an empty folder with a cold snapshot cache and a warm one, and from the root of a
// generated repository (migrations, application queries, test fixtures that re-create the tables) against a folder
// holding its migrations only. Prints JSON: each figure's median over RUNS, its target and whether it passes.
// Needs dist/ (`node build.mjs`). RUNS=5 by default.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'pgperf.js');
const RUNS = Number(process.env.RUNS ?? 5);
const root = mkdtempSync(join(tmpdir(), 'pgperf-bench-explain-start-'));

/** One run: wall seconds and peak RSS (MB) of the whole process, as /usr/bin/time -v reports them. */
function once(cwd, cache) {
  const env = { ...process.env, XDG_CACHE_HOME: cache };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER']) delete env[k];
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, BIN, 'explain', '--analyze', 'select 1'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const err = String(r.stderr);
  if (r.status !== 0) throw new Error(`explain failed in ${cwd}: ${err}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  return { wall: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]), rssMb: Number(rss[1]) / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** RUNS runs; `before` prepares each (a cold run empties the cache). */
function measure(cwd, cache, before = () => {}) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    before();
    runs.push(once(cwd, cache));
  }
  return { wallS: +median(runs.map((r) => r.wall)).toFixed(2), peakRssMb: Math.round(median(runs.map((r) => r.rssMb))) };
}

function write(dir, files) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A repository: 40 migrations (a table and its index each), queries, and test fixtures that re-create the tables with seed rows. */
function repository(withFixtures) {
  const files = {};
  for (let i = 1; i <= 40; i++) {
    const n = String(i).padStart(3, '0');
    files[`migrations/${n}_t${i}.sql`] =
      `CREATE TABLE t${i} (id bigint PRIMARY KEY, tenant_id int NOT NULL, name text, created_at timestamptz);\nCREATE INDEX t${i}_tenant ON t${i} (tenant_id, created_at);\n`;
    files[`src/queries/q${i}.sql`] = `SELECT id, name FROM t${i} WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 20;\n`;
    if (withFixtures) {
      const rows = Array.from({ length: 200 }, (_, r) => `(${r}, ${r % 7}, 'n${r}', now())`).join(',\n');
      files[`test/fixtures/f${i}.sql`] =
        `CREATE TABLE t${i} (id bigint PRIMARY KEY, tenant_id int, name text, created_at timestamptz);\nINSERT INTO t${i} VALUES\n${rows};\n`;
      files[`tests/integration/schema_${i}.sql`] = `CREATE TABLE IF NOT EXISTS scratch_${i} (a int);\nCREATE INDEX ON scratch_${i} (a);\n`;
    }
  }
  return files;
}

try {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const cache = join(root, 'cache');
  const cold = measure(empty, cache, () => rmSync(cache, { recursive: true, force: true }));
  once(empty, cache); // the snapshot for the warm runs
  const warm = measure(empty, cache);
  const repo = join(root, 'repo');
  write(repo, repository(true));
  const schemaOnly = join(root, 'schema-only');
  write(schemaOnly, repository(false));
  const fromRepo = measure(repo, cache);
  const fromSchema = measure(schemaOnly, cache);
  const repoTarget = +(fromSchema.wallS * 1.15).toFixed(2);
  const figures = [
    // Cold: initdb as before, plus writing the snapshot once.
    { name: 'empty folder, cold cache: wall s', value: cold.wallS, target: '≤ 6.5 (5.6 before + the snapshot written once)', pass: cold.wallS <= 6.5 },
    { name: 'empty folder, cold cache: peak RSS MB', value: cold.peakRssMb, target: '≤ 800 (745 before)', pass: cold.peakRssMb <= 800 },
    { name: 'empty folder, warm cache: wall s', value: warm.wallS, target: '≤ 1.5', pass: warm.wallS <= 1.5 },
    { name: 'empty folder, warm cache: peak RSS MB', value: warm.peakRssMb, target: '≤ 400', pass: warm.peakRssMb <= 400 },
    {
      name: 'repository root (migrations + test fixtures), warm cache: wall s',
      value: fromRepo.wallS,
      target: `≤ ${repoTarget} (the migrations alone, ${fromSchema.wallS} s, + 15 %)`,
      pass: fromRepo.wallS <= repoTarget,
    },
    { name: 'repository root: peak RSS MB', value: fromRepo.peakRssMb, target: '≤ 400', pass: fromRepo.peakRssMb <= 400 },
  ];
  console.log(JSON.stringify({ runs: RUNS, figures, migrationsOnly: fromSchema }, null, 2));
} finally {
  rmSync(root, { recursive: true, force: true });
}

#!/usr/bin/env node
// Overhead of pgperf's EXPLAIN ANALYZE on top of the server's own work, for a ~1 ms query. Prints JSON.
// overhead = wall time of explain() − (the plan's "Planning Time" + "Execution Time"): round trips (BEGIN with
// the timeout and the pinned lexing settings, the savepoint, the probe function that lets the server resolve
// what the statement calls, the catalog check of what it reached, EXPLAIN, ROLLBACK), parsing the SQL with the
// real parser (the statement, and every composed text again), the model and the findings. Target: p95 < 5 ms.
// The explain code is bundled on the fly with esbuild (no build step needed).
// Usage: node bench/explain.mjs [--runs N]   (PGPERF_TEST_DATABASE_URL, default the local server)
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 200;
const url = process.env.PGPERF_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// Inside node_modules so the external packages (the parser's WASM, pg) resolve as in the real bundle.
const cache = join(root, 'node_modules/.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'pgperf-bench-explain-'));
const entry = join(dir, 'entry.ts');
const out = join(dir, 'entry.cjs');
writeFileSync(
  entry,
  `export { explain } from ${JSON.stringify(join(root, 'database/explain/run.ts'))};
export { openPostgres } from ${JSON.stringify(join(root, 'database/connection/postgres.ts'))};
export { initParser } from ${JSON.stringify(join(root, 'server/src/analysis/pg.ts'))};`,
);
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: out,
  logLevel: 'warning',
  external: ['libpg-query', 'pg', 'pg-native', '@electric-sql/*'],
});
const { explain, openPostgres, initParser } = (await import(pathToFileURL(out).href)).default;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const schema = `pgperf_bench_explain_${process.pid}`;
const db = openPostgres(url);
const setup = await db.session();
try {
  await setup.query(`CREATE SCHEMA ${schema}`);
  await setup.query(`CREATE TABLE ${schema}.t (id int PRIMARY KEY, v int)`);
  await setup.query(`INSERT INTO ${schema}.t SELECT g, g % 1000 FROM generate_series(1, 20000) g`);
  await setup.query(`ANALYZE ${schema}.t`);
} finally {
  await setup.release();
}
await initParser();
const sql = `SELECT count(*) FROM ${schema}.t WHERE v < 500`;
const overhead = [];
const server = [];
const wall = [];
try {
  for (let i = 0; i < runs + 20; i++) {
    const t0 = performance.now();
    const r = await explain(db, { sql, analyze: true, timeoutMs: 5000 });
    const ms = performance.now() - t0;
    if (i < 20) continue; // warm-up: JIT, pool connections
    const own = (r.planningMs ?? 0) + (r.executionMs ?? 0);
    wall.push(ms);
    server.push(own);
    overhead.push(ms - own);
  }
} finally {
  const s = await db.session();
  await s.query(`DROP SCHEMA ${schema} CASCADE`);
  await s.release();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
const summary = (xs) => ({ p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), max: round(Math.max(...xs)) });
const result = {
  benchmark: 'explain-overhead',
  database: db.label,
  query: sql,
  runs,
  serverMs: summary(server),
  wallMs: summary(wall),
  overheadMs: summary(overhead),
  targetP95Ms: 5,
  // The tail is scheduling noise when the machine is busy: read p95 together with the load.
  machine: { cpus: cpus().length, loadavg1m: round(loadavg()[0], 2) },
  pass: pct(overhead, 95) < 5,
};
console.log(JSON.stringify(result, null, 2));

#!/usr/bin/env node
// HNSW benchmark harness figures (issue 5). Prints JSON on stdout, progress on stderr.
// 1. Harness overhead per query: the sweep's query path (a server-side prepared statement run with
//    `EXECUTE name('[…]')` on a Session, inside a transaction with SET LOCAL hnsw.ef_search) timed on the client,
//    minus the server's own time for the same query (Planning + Execution Time of EXPLAIN (ANALYZE, FORMAT JSON)
//    of that EXECUTE, run right after it). Target: p50 < 0.3 ms. Both the wall and the server figures are given.
// 2. A sweep with runHnswSweep (default: the guide's grid on 10,000 × 768 clustered vectors), its total time.
// Against the embedded database (default) or DATABASE_URL with --url. The code is bundled on the fly (esbuild).
// Usage: node bench/hnsw.mjs [--dim 768] [--count 10000] [--queries 100] [--m 12,16,24] [--ef-construction 64,128,256]
//          [--ef-search 20,40,100,200] [--k 10] [--seed 42] [--metric cosine] [--distribution clustered]
//          [--overhead-runs 300] [--overhead-dim 128] [--overhead-count 5000] [--no-sweep] [--no-overhead]
//          [--url postgres://… | --socket (PGlite served over the wire protocol in this process, through pg)]
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
};
const num = (name, def) => Number(arg(name, String(def)));
const list = (name, def) => arg(name, def.join(',')).split(',').map(Number);

const sweepParams = {
  dim: num('dim', 768),
  count: num('count', 10_000),
  queries: num('queries', 100),
  distribution: arg('distribution', 'clustered'),
  metric: arg('metric', 'cosine'),
  m: list('m', [12, 16, 24]),
  efConstruction: list('ef-construction', [64, 128, 256]),
  efSearch: list('ef-search', [20, 40, 100, 200]),
  k: num('k', 10),
  seed: num('seed', 42),
};
const overheadRuns = num('overhead-runs', 300);
const url = arg('url', undefined);
// --variant execute (default: what runHnswSweep does) | params (an unnamed extended-protocol query with a $1 text parameter, for comparison)
const variant = arg('variant', 'execute');

const cache = join(root, 'node_modules/.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'pgperf-bench-hnsw-'));
const entry = join(dir, 'entry.ts');
const out = join(dir, 'entry.cjs');
writeFileSync(
  entry,
  `export * from ${JSON.stringify(join(root, 'database/bench/hnsw.ts'))};
export { clustered, toVectorText } from ${JSON.stringify(join(root, 'database/bench/vectors.ts'))};
export { summarize } from ${JSON.stringify(join(root, 'database/bench/stats.ts'))};
export { newScratchName, createScratchSchema } from ${JSON.stringify(join(root, 'database/bench/scratch.ts'))};
export { openEmbedded } from ${JSON.stringify(join(root, 'database/connection/embedded.ts'))};
export { openPostgres } from ${JSON.stringify(join(root, 'database/connection/postgres.ts'))};`,
);
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: out,
  logLevel: 'warning',
  external: ['pg', 'pg-native', '@electric-sql/*'],
});
const lib = (await import(pathToFileURL(out).href)).default;
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const sum3 = (s) => ({ p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), mean: round(s.mean), n: s.n });
const log = (msg) => process.stderr.write(`${msg}\n`);

// --socket: the pg client path against PGlite + pgvector served over the wire protocol in this process
let socketServer;
let socketDb;
if (flag('socket')) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  socketDb = await PGlite.create({ extensions: { vector } });
  await socketDb.exec('CREATE EXTENSION vector');
  socketServer = new PGLiteSocketServer({ db: socketDb, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await socketServer.start();
}
const db = socketServer
  ? lib.openPostgres(`postgres://postgres@${socketServer.getServerConn()}/postgres?sslmode=disable`)
  : url
    ? lib.openPostgres(url)
    : await lib.openEmbedded({ workerPath: join(root, 'dist/pglite-worker.js') });
const result = {
  benchmark: 'hnsw',
  database: socketServer ? `${db.label} (pg client → PGlite over pglite-socket, in ` + `this process)` : db.label,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((x) => round(x, 2)) },
};

try {
  // ---- 1. harness overhead per query
  if (!flag('no-overhead')) {
    const oDim = num('overhead-dim', 128);
    const oCount = num('overhead-count', 5000);
    const warm = 30;
    const vecs = lib.clustered(oCount + overheadRuns + warm, oDim, 1).map(lib.toVectorText);
    const schema = lib.newScratchName(6);
    const stmt = `pgperf_knn_overhead`;
    const s = await db.session();
    try {
      const ext = (await s.query(`select n.nspname as s from pg_extension e join pg_namespace n on n.oid = e.extnamespace where extname = 'vector'`)).rows[0];
      if (!ext && db.kind === 'embedded') await s.query('CREATE EXTENSION IF NOT EXISTS vector');
      await lib.createScratchSchema(s, schema, 'hnsw-overhead');
      log(`overhead: loading ${oCount} × ${oDim} vectors, building an index (m=16, ef_construction=64)`);
      await s.query(`CREATE TABLE ${schema}.items (id int4 NOT NULL, embedding vector(${oDim}) NOT NULL)`);
      for (let i = 0; i < oCount; i += 1000) {
        await s.query(`INSERT INTO ${schema}.items SELECT (u.ord - 1 + $2::int8)::int4, u.v::vector FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord)`, [
          vecs.slice(i, Math.min(oCount, i + 1000)),
          i,
        ]);
      }
      await s.query(`CREATE INDEX ON ${schema}.items USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`);
      await s.query(`ANALYZE ${schema}.items`);
      await s.query(`PREPARE ${stmt} (vector) AS SELECT id FROM ${schema}.items ORDER BY embedding <=> $1 LIMIT 10`);
      await s.query('BEGIN; SET LOCAL hnsw.ef_search = 40; SET LOCAL enable_seqscan = off');
      // the floor of one round trip through the Database layer (not the benchmark's own code)
      const floor = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        await s.query('SELECT 1');
        if (i >= 20) floor.push(performance.now() - t0);
      }
      const knn = `SELECT id FROM ${schema}.items ORDER BY embedding <=> $1::vector LIMIT 10`;
      const wall = [];
      const server = [];
      const overhead = [];
      const queries = vecs.slice(oCount);
      for (let i = 0; i < queries.length; i++) {
        const t0 = performance.now();
        if (variant === 'params') await s.query(knn, [queries[i]]);
        else await s.query(`EXECUTE ${stmt}('${queries[i]}')`);
        const ms = performance.now() - t0;
        const r =
          variant === 'params'
            ? await s.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${knn}`, [queries[i]])
            : await s.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${stmt}('${queries[i]}')`);
        const planJson = r.rows[0]['QUERY PLAN'];
        const plan = (typeof planJson === 'string' ? JSON.parse(planJson) : planJson)[0];
        if (i < warm) continue;
        if (!JSON.stringify(plan.Plan).includes('Index Scan')) throw new Error('the overhead query does not use the index');
        const own = (plan['Planning Time'] ?? 0) + (plan['Execution Time'] ?? 0);
        wall.push(ms);
        server.push(own);
        overhead.push(ms - own);
      }
      await s.query('COMMIT');
      await s.query(`DEALLOCATE ${stmt}`);
      result.overhead = {
        variant,
        what:
          variant === 'params'
            ? 'client-side time of one k-NN query sent with a $1 text parameter (extended protocol, unnamed statement; k = ' +
              '10, ef_search = 40) minus the server time of the same query (EXPLAIN ANALYZE Planning + Execution Time)'
            : 'client-side time of one benchmark query (EXECUTE of the prepared k-NN statement, k = 10, ef_search = 40) ' +
              'minus the server time of the same query (EXPLAIN ANALYZE Planning + Execution Time)',
        data: `${oCount} × ${oDim} clustered, HNSW m = 16, ef_construction = 64`,
        runs: overhead.length,
        wallMs: sum3(lib.summarize(wall)),
        serverMs: sum3(lib.summarize(server)),
        overheadMs: sum3(lib.summarize(overhead)),
        selectOneRoundTripMs: sum3(lib.summarize(floor)),
        targetP50Ms: 0.3,
      };
      result.overhead.meetsTarget = result.overhead.overheadMs.p50 < 0.3;
      log(`overhead: p50 ${result.overhead.overheadMs.p50} ms (wall p50 ${result.overhead.wallMs.p50} ms, server p50 ${result.overhead.serverMs.p50} ms)`);
    } finally {
      await s.query('ROLLBACK').catch(() => undefined);
      await s.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await s.release();
    }
  }

  // ---- 2. the sweep
  if (!flag('no-sweep')) {
    log(
      `sweep: ${sweepParams.count} × ${sweepParams.dim} ${sweepParams.distribution}, m ${sweepParams.m}, ` +
        `ef_construction ${sweepParams.efConstruction}, ef_search ${sweepParams.efSearch}`,
    );
    let last = 0;
    const t0 = performance.now();
    const report = await lib.runHnswSweep(db, sweepParams, {
      onProgress: (step, fraction, eta) => {
        const now = performance.now();
        if (now - last < 2000 && step !== 'done') return;
        last = now;
        log(
          `  ${(fraction * 100).toFixed(1).padStart(5)} %  ` +
            `${step}${eta !== undefined ? `  (ETA ${(eta / 1000).toFixed(0)} s)` : ''}  [${((now - t0) / 1000).toFixed(0)} s]`,
        );
      },
    });
    result.sweep = {
      params: report.params,
      totalMs: report.totalMs,
      totalMinutes: round(report.totalMs / 60_000, 2),
      builds: report.memoryFormula.map((f) => ({
        ...f,
        buildMs: report.results.find((r) => r.m === f.m && r.efConstruction === f.efConstruction).buildMs,
      })),
      results: report.results,
      recommendation: report.recommendation,
      exact: report.exact,
    };
  }
} finally {
  await db.close();
  await socketServer?.stop();
  await socketDb?.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

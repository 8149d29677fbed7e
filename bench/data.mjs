#!/usr/bin/env node
// Rows per second of the synthetic-data generator (database/data/generate.ts, `pgperf data`) on the embedded
// database (PGlite), per schema and per kind of table. Prints JSON on stdout, progress on stderr.
// Schemas: examples/app (its .sql files in dependency order, as `pgperf explain` loads a workspace: tenant tables,
// a partitioned event log, jsonb, two vector tables with HNSW indexes) and test/data/fixtures/shop.sql (foreign
// keys, a cycle, enums, domains, arrays, jsonb, a small vector column, partitions). Each run is a fresh embedded
// database: the DDL loaded (not timed), then fillDatabase with `--rows` rows per table (the generator's scale rules:
// a partitioned table twice as many, a tenants table a hundredth, a table with a vector column at most
// `--vector-rows`, default the generator's 5,000), timed from the call to its return (ANALYZE and COMMIT included).
// Per table, the time is that from the end of the previous table's last batch (or the start) to the end of its own
// last batch (its planning, its parents' keys read back, its generation and its COPY); what is left after the last
// table is the ANALYZE and COMMIT. Tables are grouped into `vector` (a vector or halfvec column) and `nonVector`;
// rows/s of each kind is its rows over its tables' seconds. Figures are medians over `--runs` runs.
// Usage: node bench/data.mjs [--rows 10000] [--runs 3] [--seed 1] [--vector-rows N] [--schemas app,shop]
//   (build first: node build.mjs)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const ROWS = Number(arg('--rows', '10000'));
const RUNS = Number(arg('--runs', '3'));
const SEED = Number(arg('--seed', '1'));
const VECTOR_ROWS = arg('--vector-rows', undefined) === undefined ? undefined : Number(arg('--vector-rows'));
const log = (msg) => process.stderr.write(`${msg}\n`);

// Targets (issue 15: the generator's speed made visible, the vector tables apart). 5,000 rows/s for tables without
// vectors: 10,000 rows per table of examples/app then fill in a few seconds, which is what `pgperf explain --data`
// can ask of a user waiting for a plan. Vector tables pay for pgvector's HNSW index build on every row (the
// generator's own comment puts it at ~240 rows/s on PGlite): 100 rows/s keeps 5,000 of them under a minute.
const TARGET_NON_VECTOR = 5000;
const TARGET_VECTOR = 100;

const cli = createRequire(import.meta.url)(join(root, 'dist/cli.js'));
const need = ['fillDatabase', 'loadSchema', 'openEmbedded', 'orderedDdl', 'ParsedFile', 'initParser'];
const missing = need.filter((k) => cli[k] === undefined);
if (missing.length) throw new Error(`dist/cli.js does not export ${missing.join(', ')} (cli/main.ts; rebuild with node build.mjs)`);
const { fillDatabase, loadSchema, openEmbedded, orderedDdl, ParsedFile, initParser } = cli;

const sqlFiles = (dir) =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? sqlFiles(p) : name.endsWith('.sql') ? [p] : [];
    });
const SCHEMAS = {
  app: sqlFiles(join(root, 'examples/app')),
  shop: [join(root, 'test/data/fixtures/shop.sql')],
};
const chosen = arg('--schemas', 'app,shop').split(',');
for (const s of chosen) if (!SCHEMAS[s]) throw new Error(`unknown schema ${s} (one of ${Object.keys(SCHEMAS).join(', ')})`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const round = (x, d = 2) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

const LOAD_START = loadavg().map((x) => round(x, 2));
await initParser();

/** One run on schema `name`: a fresh embedded database, the DDL, fillDatabase timed per table. */
async function run(name) {
  const files = SCHEMAS[name];
  const parsed = files.map((f) => new ParsedFile(relative(root, f), readFileSync(f, 'utf8')));
  const statements = orderedDdl(parsed).map((d) => ({ file: d.file, text: d.text, line: d.line }));
  const db = await openEmbedded({ sharedBuffers: '64MB' });
  try {
    const load = await loadSchema(db, statements);
    const s = await db.session();
    let vectorTables;
    try {
      const r = await s.query(
        `SELECT DISTINCT n.nspname || '.' || c.relname AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type ty ON ty.oid = a.atttypid
         WHERE ty.typname IN ('vector', 'halfvec') AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')`,
      );
      vectorTables = new Set(r.rows.map((x) => String(x.t)));
    } finally {
      await s.release();
    }
    const ends = new Map();
    const t0 = performance.now();
    const result = await fillDatabase(db, {
      scale: ROWS,
      seed: SEED,
      ...(VECTOR_ROWS !== undefined ? { vectorRows: VECTOR_ROWS } : {}),
      onProgress: (p) => ends.set(p.table, performance.now()),
    });
    const totalMs = performance.now() - t0;
    // Tables in load order (the order of their last batch), each timed from the previous one's end.
    const order = [...ends.entries()].sort((a, b) => a[1] - b[1]);
    let prev = t0;
    const tables = {};
    for (const [label, end] of order) {
      const f = result.filled.find((x) => `${x.schema}.${x.name}` === label);
      tables[label] = { kind: vectorTables.has(label) ? 'vector' : 'nonVector', rows: f?.rows ?? 0, seconds: (end - prev) / 1000 };
      prev = end;
    }
    return {
      ddl: {
        statements: statements.length,
        failed: load.failures.length,
        failures: load.failures.map((x) => `${x.file}:${x.line}: ${x.error.message.split('\n')[0]}`),
      },
      tables,
      unfilled: result.unfilled,
      rows: result.rows,
      seconds: totalMs / 1000,
      analyzeCommitSeconds: (t0 + totalMs - prev) / 1000,
      method: result.method,
    };
  } finally {
    await db.close();
  }
}

const kindOf = (r, kind) => {
  const ts = Object.values(r.tables).filter((t) => t.kind === kind);
  const rows = ts.reduce((a, t) => a + t.rows, 0);
  const seconds = ts.reduce((a, t) => a + t.seconds, 0);
  return { tables: ts.length, rows, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : null };
};

const schemas = {};
for (const name of chosen) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await run(name);
    log(`data ${name} run ${i + 1}/${RUNS}: ${r.rows} rows in ${r.seconds.toFixed(1)} s (${Math.round(r.rows / r.seconds)} rows/s)`);
    runs.push(r);
  }
  const last = runs[runs.length - 1];
  const tables = Object.fromEntries(
    Object.entries(last.tables).map(([label, t]) => {
      const secs = median(runs.map((r) => r.tables[label]?.seconds ?? NaN));
      return [label, { kind: t.kind, rows: t.rows, secondsMedian: round(secs, 3), rowsPerSecond: round(secs > 0 ? t.rows / secs : null, 0) }];
    }),
  );
  const kinds = Object.fromEntries(
    ['nonVector', 'vector'].map((k) => {
      const per = runs.map((r) => kindOf(r, k));
      return [
        k,
        {
          tables: per[0].tables,
          rows: per[0].rows,
          secondsMedian: round(median(per.map((p) => p.seconds)), 3),
          rowsPerSecondMedian: round(median(per.map((p) => p.rowsPerSecond).filter((x) => x !== null)), 0),
        },
      ];
    }),
  );
  schemas[name] = {
    files: SCHEMAS[name].map((f) => relative(root, f)),
    ddl: last.ddl,
    method: last.method,
    rows: last.rows,
    secondsMedian: round(median(runs.map((r) => r.seconds)), 3),
    rowsPerSecondMedian: round(median(runs.map((r) => r.rows / r.seconds)), 0),
    analyzeCommitSecondsMedian: round(median(runs.map((r) => r.analyzeCommitSeconds)), 3),
    kinds,
    tables,
    unfilled: last.unfilled,
    secondsPerRun: runs.map((r) => round(r.seconds, 2)),
  };
}

// Over all schemas: each kind's rows over its seconds, from the medians.
const overall = Object.fromEntries(
  ['nonVector', 'vector'].map((k) => {
    const rows = Object.values(schemas).reduce((a, s) => a + s.kinds[k].rows, 0);
    const seconds = Object.values(schemas).reduce((a, s) => a + s.kinds[k].secondsMedian, 0);
    return [k, { rows, seconds: round(seconds, 3), rowsPerSecond: round(seconds > 0 ? rows / seconds : null, 0) }];
  }),
);

console.log(
  JSON.stringify(
    {
      bench: 'data',
      database: 'pglite',
      rowsPerTable: ROWS,
      vectorRows: VECTOR_ROWS ?? 'generator default (5,000)',
      seed: SEED,
      runs: RUNS,
      machine: { cpus: cpus().length, loadavgStart: LOAD_START, loadavgEnd: loadavg().map((x) => round(x, 2)) },
      overall,
      targetNonVectorRowsPerSecond: TARGET_NON_VECTOR,
      targetVectorRowsPerSecond: TARGET_VECTOR,
      schemas,
    },
    null,
    2,
  ),
);

#!/usr/bin/env node
// Memory of the language server on a big workspace: 20,000 generated files (migrations building 2,000 tables with
// their indexes and later ALTERs, query files, and TypeScript, Python, Go and Rust files holding SQL strings passed to
// database APIs), scanned by the built server (`node bin/pgperf.js lsp --stdio`) from a cold start. Prints JSON: the
// files by kind, the time to pgperf/status 'ready' after the scan, the files with diagnostics published, and the
// server's VmRSS after the scan (and VmHWM, its peak) from /proc/<pid>/status. Target: RSS after the scan ≤ 400 MB.
// The workspace is generated from a fixed seed into a temporary folder, removed at the end, on SIGINT/SIGTERM, and
// (for a run killed outright) by the next run: folders are named after the process that made them.
// Usage: node bench/big-workspace.mjs [--files N] [--seed N]   (build first: node build.mjs)
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { round, sleep, startServer } from './lsp-client.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FILES = arg('--files', 20_000);
const SEED = arg('--seed', 1);
const TARGET_RSS_MB = 400;
const PREFIX = 'pgperf-bench-big-';

// Folders of earlier runs whose process is gone (killed before it could clean up).
for (const name of readdirSync(tmpdir())) {
  const pid = Number(name.slice(PREFIX.length).split('-')[0]);
  if (!name.startsWith(PREFIX) || !pid || pid === process.pid) continue;
  try {
    process.kill(pid, 0);
  } catch {
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}
const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
const cleanup = () => rmSync(dir, { recursive: true, force: true });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** mulberry32: a small seeded generator, so every run scans the same workspace. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// Shares of the files: 40% migrations, 30% query files, 30% host files (TS, Python, Go, Rust).
const counts = { migration: Math.round(FILES * 0.4), query: Math.round(FILES * 0.3) };
counts.host = FILES - counts.migration - counts.query;
const TABLES = Math.max(1, Math.round(counts.migration / 4));
const table = () => `t${Math.floor(rand() * TABLES)}`;

function migration(i) {
  if (i < TABLES) {
    return [
      `CREATE TABLE t${i} (`,
      '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
      '  tenant_id bigint NOT NULL,',
      '  name text NOT NULL,',
      "  status text NOT NULL DEFAULT 'new',",
      '  payload jsonb,',
      '  created_at timestamptz NOT NULL DEFAULT now()',
      ');',
      `CREATE INDEX t${i}_tenant ON t${i} (tenant_id, created_at);`,
      '',
    ].join('\n');
  }
  const t = table();
  return pick([
    () => `ALTER TABLE ${t} ADD COLUMN note_${i} text;\n`,
    () => `CREATE INDEX CONCURRENTLY ${t}_status_${i} ON ${t} (status);\n`,
    () => `ALTER TABLE ${t} ALTER COLUMN name SET NOT NULL;\n`,
    () => `UPDATE ${t} SET status = 'old' WHERE created_at < now() - interval '1 year';\n`,
  ])();
}

function query() {
  const t = table();
  return pick([
    () => `SELECT id, name FROM ${t} WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 50 OFFSET $2;\n`,
    () => `SELECT * FROM ${t} WHERE status = 'new' OR status = 'open' OR status = 'late';\n`,
    () => `SELECT count(*) FROM ${t} WHERE lower(name) = $1;\n`,
    () => `DELETE FROM ${t} WHERE id NOT IN (SELECT id FROM ${table()});\n`,
    () => `SELECT id FROM ${t} WHERE tenant_id = $1 AND created_at >= $2 ORDER BY created_at LIMIT 100;\n`,
  ])();
}

const HOST = {
  ts: (q) =>
    `import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function run(a: unknown) {\n${q.map((s) => `  await pool.query(\`${s}\`, [a]);`).join('\n')}\n}\n`,
  py: (q) => `def run(cur, a):\n${q.map((s) => `    cur.execute("""${s}""", (a,))`).join('\n')}\n`,
  go: (q) => `package db\n\nfunc run(db *sql.DB, a int) {\n${q.map((s) => `\tdb.Query(\`${s}\`, a)`).join('\n')}\n}\n`,
  rs: (q) => `async fn run(client: &Client, a: i64) {\n${q.map((s) => `    client.query(r#"${s}"#, &[&a]).await;`).join('\n')}\n}\n`,
};

const byKind = { migration: 0, query: 0, ts: 0, py: 0, go: 0, rs: 0 };
let bytes = 0;
const write = (path, text) => {
  writeFileSync(join(dir, path), text);
  bytes += Buffer.byteLength(text);
};
let result;
try {
  for (const sub of ['migrations', 'queries', 'src']) mkdirSync(join(dir, sub));
  for (let i = 0; i < counts.migration; i++) {
    write(`migrations/${String(i).padStart(6, '0')}_change.sql`, migration(i));
    byKind.migration++;
  }
  for (let i = 0; i < counts.query; i++) {
    write(`queries/q${i}.sql`, query() + query());
    byKind.query++;
  }
  for (let i = 0; i < counts.host; i++) {
    const ext = ['ts', 'py', 'go', 'rs'][i % 4];
    const qs = [query(), query(), query()].map((s) => s.trim().replace(/;$/, ''));
    write(`src/m${i}.${ext}`, HOST[ext](qs));
    byKind[ext]++;
  }

  const s = startServer(dir);
  try {
    await s.initialize(dir);
    const ready = await s.until((ev) => ev.type === 'status' && ev.params.state === 'ready', 600_000, "pgperf/status 'ready'");
    const readyMs = ready.t - s.t0;
    await sleep(1000); // let the scan's garbage settle like an idle editor would
    const mem = s.vmStatus();
    const root = pathToFileURL(dir).href;
    result = {
      bench: 'big-workspace',
      machine: { cpus: cpus().length, node: process.version },
      seed: SEED,
      files: FILES,
      byKind,
      megabytes: round(bytes / 1e6, 2),
      readyMs: round(readyMs),
      filesWithDiagnosticsPublished: [...s.published.keys()].filter((u) => u.startsWith(root)).length,
      status: (({ t, ...rest }) => rest)(ready.params),
      rssAfterScanMB: mem.rssMB,
      peakRssMB: mem.peakMB,
      targetRssMB: TARGET_RSS_MB,
      pass: mem.rssMB <= TARGET_RSS_MB,
    };
  } finally {
    await s.stop();
  }
} finally {
  cleanup();
}
console.log(JSON.stringify(result, null, 2));

#!/usr/bin/env node
// The tuning guide's own before/after examples (/work/shared/reference/pg-tuning-guide.md), reproduced on synthetic
// data and timed, with the guide's figure beside ours. Prints JSON on stdout, progress on stderr.
//   offset:     "Anti-Pattern 2: OFFSET for Pagination": `ORDER BY timestamp DESC LIMIT 100 OFFSET 10000` ("500ms
//               (offset 10K)") vs keyset `WHERE timestamp < $last_timestamp ORDER BY timestamp DESC LIMIT 100` ("5ms"),
//               here on a 100,000-row table with an index on created_at; $last is the created_at of row 10,000 of that
//               order, read from the data, so both return the same page (checked: `samePage`).
//   partitions: "Partition Pruning": `WHERE event_type = 'agent.state_changed'` over 12 monthly partitions ("500ms
//               (scans 12 monthly partitions)") vs the same with `timestamp >= '2025-01-01' AND timestamp <
//               '2025-02-01'` ("40ms (scans 1 partition)").
//   composite:  "Optimization Strategy 1: Composite Indexes": sessions with indexes on (tenant_id) and (status) vs one
//               on (tenant_id, status) ("2-3x faster for common query patterns"), `WHERE tenant_id = $1 AND status =
//               $2` for the biggest tenant (the figure) and for a tenant of median size (reported beside it).
// Data: pgperf's generator (fillDatabase, seeded) on the embedded database (PGlite): `--rows` rows in feed and
// sessions, twice as many in the partitioned event_log (the generator's rule), timestamps spread over 2025 (the
// partitions' bounds), tenants skewed (Zipf), event_type and status from the CHECK's IN list / the generator's
// handful of statuses. On PostgreSQL the same rows are copied, leaf by leaf in physical order, into a scratch
// schema `pgperf_guide_<random>` that is dropped in a `finally` and on SIGINT/SIGTERM.
// Timing: EXPLAIN (ANALYZE, FORMAT JSON) "Execution Time" of each query, after `--warmup` runs of both, `--runs`
// runs alternating before/after; the median. VACUUM ANALYZE after the load and after each index change.
// The server: --server URL, else PGPERF_TEST_DATABASE_URL or the local postgres://postgres@127.0.0.1:5432/test when it
// answers (skipped, with the reason in the JSON, when it does not; --no-server skips it).
// Usage: node bench/guide.mjs [--rows 100000] [--runs 9] [--warmup 3] [--seed 1] [--server URL | --no-server]
//   (build first: node build.mjs)
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const ROWS = Number(arg('--rows', '100000'));
const RUNS = Number(arg('--runs', '9'));
const WARMUP = Number(arg('--warmup', '3'));
const SEED = Number(arg('--seed', '1'));
const explicitServer = arg('--server', undefined);
const SERVER = argv.includes('--no-server')
  ? undefined
  : (explicitServer ?? (process.env.PGPERF_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'));
const log = (msg) => process.stderr.write(`${msg}\n`);
const round = (x, d = 3) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const LOAD_START = loadavg().map((x) => round(x, 2));

// Targets, set from the guide's claims before measuring (they can fail): a tenth of the guide's 100× for keyset
// pagination (its 500 ms is a far bigger table's), half its 12.5× for pruning to one of 12 partitions, and the
// low end of its 2–3× for the composite index.
const TARGETS = { offset: 10, partitions: 6, composite: 2 };

const cli = createRequire(import.meta.url)(join(root, 'dist/cli.js'));
const need = ['fillDatabase', 'openEmbedded', 'openPostgres'];
const missing = need.filter((k) => cli[k] === undefined);
if (missing.length) throw new Error(`dist/cli.js does not export ${missing.join(', ')} (cli/main.ts; rebuild with node build.mjs)`);
const { fillDatabase, openEmbedded, openPostgres } = cli;

const ident = (s) => `"${s.replace(/"/g, '""')}"`;
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;

const EVENT_TYPES = ['agent.state_changed', 'agent.created', 'tool.invoked', 'session.started', 'session.ended'];
const MONTHS = Array.from({ length: 12 }, (_, m) => {
  const from = `2025-${String(m + 1).padStart(2, '0')}-01`;
  const to = m === 11 ? '2026-01-01' : `2025-${String(m + 2).padStart(2, '0')}-01`;
  return { name: `event_log_2025_${String(m + 1).padStart(2, '0')}`, from, to };
});

/** The schema of the three examples (no secondary index of example (c): those are created per phase). */
const ddl = (S) => [
  `CREATE SCHEMA ${S}`,
  `CREATE TABLE ${S}.feed (id uuid PRIMARY KEY, tenant_id text NOT NULL, created_at timestamptz NOT NULL, title text NOT NULL, body text)`,
  `CREATE INDEX feed_created_at ON ${S}.feed (created_at)`,
  `CREATE TABLE ${S}.event_log (tenant_id text NOT NULL, event_id uuid NOT NULL,
     event_type text NOT NULL CHECK (event_type IN (${EVENT_TYPES.map(lit).join(', ')})),
     "timestamp" timestamptz NOT NULL, payload jsonb, PRIMARY KEY (tenant_id, event_id, "timestamp")) PARTITION BY RANGE ("timestamp")`,
  ...MONTHS.map((m) => `CREATE TABLE ${S}.${m.name} PARTITION OF ${S}.event_log FOR VALUES FROM (${lit(m.from)}) TO (${lit(m.to)})`),
  `CREATE TABLE ${S}.sessions (session_id uuid PRIMARY KEY, tenant_id text NOT NULL, status text NOT NULL,
     created_at timestamptz NOT NULL, expires_at timestamptz)`,
];
/** The leaves holding rows, in the order they are copied. */
const LEAVES = ['feed', ...MONTHS.map((m) => m.name), 'sessions'];

const GUIDE = {
  offset: {
    section: 'Anti-Pattern 2: OFFSET for Pagination',
    before: {
      sql: 'SELECT * FROM event_log ORDER BY timestamp DESC LIMIT 100 OFFSET 10000;',
      says: 'Execution time: 500ms (offset 10K), 5s (offset 100K)',
      ms: 500,
    },
    after: {
      sql: 'SELECT * FROM event_log WHERE timestamp < $last_timestamp ORDER BY timestamp DESC LIMIT 100;',
      says: 'Execution time: 5ms (constant, independent of page number)',
      ms: 5,
    },
    ratio: 100,
  },
  partitions: {
    section: 'Partition Pruning (Query Optimization)',
    before: { sql: "SELECT * FROM event_log WHERE event_type = 'agent.state_changed';", says: 'Execution time: 500ms (scans 12 monthly partitions)', ms: 500 },
    after: {
      sql: "SELECT * FROM event_log WHERE timestamp >= '2025-01-01' AND timestamp < '2025-02-01' AND event_type = 'agent.state_changed';",
      says: 'Execution time: 40ms (scans 1 partition)',
      ms: 40,
    },
    ratio: 12.5,
  },
  composite: {
    section: 'Optimization Strategy 1: Composite Indexes',
    before: { sql: 'CREATE INDEX idx_sessions_tenant ON sessions(tenant_id); CREATE INDEX idx_sessions_status ON sessions(status);', ms: null },
    after: {
      sql: 'CREATE INDEX idx_sessions_tenant_status ON sessions(tenant_id, status);',
      says: 'Performance: 2-3x faster for common query patterns',
      ms: null,
    },
    ratio: { min: 2, max: 3 },
  },
};

/** What a plan touched: node types, relations and indexes (for the JSON: which plan each figure is of). */
function planSummary(plan) {
  const nodes = [];
  const relations = new Set();
  const indexes = new Set();
  const walk = (n) => {
    nodes.push(n['Node Type']);
    if (n['Relation Name']) relations.add(n['Relation Name']);
    if (n['Index Name']) indexes.add(n['Index Name']);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(plan.Plan);
  return { nodes: [...new Set(nodes)], relations: relations.size, indexes: [...indexes], rows: plan.Plan['Actual Rows'] };
}

/** One database's side: its session, how to run EXPLAIN ANALYZE, and the active query to cancel on a signal. */
class Side {
  constructor(name, db, S) {
    this.name = name;
    this.db = db;
    this.S = S;
    this.session = undefined;
  }
  async open() {
    this.session = await this.db.session();
  }
  q(sql, params) {
    return this.session.query(sql, params);
  }
  async explain(sql) {
    const r = await this.q(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
    const v = r.rows[0]['QUERY PLAN'];
    const plan = (typeof v === 'string' ? JSON.parse(v) : v)[0];
    return { ms: plan['Execution Time'], planningMs: plan['Planning Time'], plan };
  }
  /** Warm-up, then `RUNS` alternating runs of before and after: medians, the ratio, and each plan's summary. */
  async compare(before, after) {
    for (let i = 0; i < WARMUP; i++) {
      await this.explain(before);
      await this.explain(after);
    }
    const b = [];
    const a = [];
    let pb;
    let pa;
    for (let i = 0; i < RUNS; i++) {
      const x = await this.explain(before);
      const y = await this.explain(after);
      b.push(x.ms);
      a.push(y.ms);
      pb ??= x;
      pa ??= y;
    }
    const mb = median(b);
    const ma = median(a);
    return {
      beforeMs: round(mb),
      afterMs: round(ma),
      ratio: round(mb / ma, 2),
      beforeRunsMs: b.map((x) => round(x)),
      afterRunsMs: a.map((x) => round(x)),
      beforePlan: planSummary(pb.plan),
      afterPlan: planSummary(pa.plan),
    };
  }
  async vacuum(tables) {
    for (const t of tables) await this.q(`VACUUM ANALYZE ${this.S}.${t}`);
  }
}

/** The three examples on one database whose schema S already holds the rows. */
async function examples(side) {
  const S = side.S;
  await side.vacuum(['feed', 'event_log', 'sessions']);
  const out = {};

  // (a) OFFSET 10,000 vs keyset from the last row of the page before.
  const last = (await side.q(`SELECT created_at::text AS c FROM ${S}.feed ORDER BY created_at DESC OFFSET 9999 LIMIT 1`)).rows[0].c;
  const offsetSql = `SELECT * FROM ${S}.feed ORDER BY created_at DESC LIMIT 100 OFFSET 10000`;
  const keysetSql = `SELECT * FROM ${S}.feed WHERE created_at < ${lit(last)}::timestamptz ORDER BY created_at DESC LIMIT 100`;
  const ids = async (sql) => (await side.q(sql)).rows.map((r) => String(r.id)).join(',');
  log(`guide ${side.name}: offset vs keyset`);
  out.offset = { last: String(last), samePage: (await ids(offsetSql)) === (await ids(keysetSql)), ...(await side.compare(offsetSql, keysetSql)) };

  // (b) 12 partitions vs the one of January.
  const all = `SELECT * FROM ${S}.event_log WHERE event_type = 'agent.state_changed'`;
  const jan = `SELECT * FROM ${S}.event_log WHERE "timestamp" >= '2025-01-01' AND "timestamp" < '2025-02-01' AND event_type = 'agent.state_changed'`;
  log(`guide ${side.name}: 12 partitions vs 1`);
  out.partitions = await side.compare(all, jan);

  // (c) separate (tenant_id), (status) vs composite (tenant_id, status): the biggest tenant and a median one.
  const tenants = (await side.q(`SELECT tenant_id, count(*)::int AS n FROM ${S}.sessions GROUP BY tenant_id ORDER BY n DESC, tenant_id`)).rows;
  const big = tenants[0];
  const mid = tenants[Math.floor(tenants.length / 2)];
  const status = (await side.q(`SELECT status, count(*)::int AS n FROM ${S}.sessions GROUP BY status ORDER BY n DESC, status`)).rows[0].status;
  const q = (t) => `SELECT * FROM ${S}.sessions WHERE tenant_id = ${lit(t)} AND status = ${lit(status)}`;
  const phase = async () => ({ big: await side.compare(q(big.tenant_id), q(big.tenant_id)), mid: await side.compare(q(mid.tenant_id), q(mid.tenant_id)) });
  log(`guide ${side.name}: separate vs composite tenant index`);
  await side.q(`CREATE INDEX idx_sessions_tenant ON ${S}.sessions (tenant_id)`);
  await side.q(`CREATE INDEX idx_sessions_status ON ${S}.sessions (status)`);
  await side.vacuum(['sessions']);
  const sep = await phase();
  await side.q(`DROP INDEX ${S}.idx_sessions_tenant, ${S}.idx_sessions_status`);
  await side.q(`CREATE INDEX idx_sessions_tenant_status ON ${S}.sessions (tenant_id, status)`);
  await side.vacuum(['sessions']);
  const comp = await phase();
  // Each phase ran its query 2 × RUNS times (compare() of the query against itself): the median of all of them.
  const pair = (s, c) => {
    const b = median([...s.beforeRunsMs, ...s.afterRunsMs]);
    const a = median([...c.beforeRunsMs, ...c.afterRunsMs]);
    return {
      beforeMs: round(b),
      afterMs: round(a),
      ratio: round(b / a, 2),
      beforeRunsMs: [...s.beforeRunsMs, ...s.afterRunsMs],
      afterRunsMs: [...c.beforeRunsMs, ...c.afterRunsMs],
      beforePlan: s.beforePlan,
      afterPlan: c.beforePlan,
    };
  };
  out.composite = {
    status,
    biggestTenant: { tenant: big.tenant_id, sessions: big.n, ...pair(sep.big, comp.big) },
    medianTenant: { tenant: mid.tenant_id, sessions: mid.n, ...pair(sep.mid, comp.mid) },
    tenants: tenants.length,
  };
  return out;
}

// ---- cleanup of the server's scratch schema, in a finally and on SIGINT/SIGTERM ----
let server; // { db, side, schema, created }
let cleaning;
async function dropServerSchema() {
  if (!server) return;
  cleaning ??= (async () => {
    const { db, side, schema } = server;
    // The running statement (if any) holds locks on the schema's tables: cancel it, discard its connection.
    if (side.session) {
      await side.session.cancel().catch(() => undefined);
      await side.session.release(true).catch(() => undefined);
      side.session = undefined;
    }
    const s = await db.session();
    try {
      await s.query(`SET lock_timeout = '5s'`);
      await s.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
      log(`guide: dropped the scratch schema ${schema}`);
    } catch (e) {
      log(`guide: could not drop the scratch schema ${schema}: ${e.message} — drop it by hand: DROP SCHEMA ${ident(schema)} CASCADE;`);
    } finally {
      await s.release().catch(() => undefined);
      await db.close().catch(() => undefined);
    }
  })();
  return cleaning;
}
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(sig, () => {
    log(`guide: ${sig}: cleaning up`);
    void dropServerSchema().finally(() => process.exit(code));
  });
}

// ---- the data: the generator on PGlite ----
const t0 = performance.now();
const lite = await openEmbedded({ sharedBuffers: '64MB' });
const liteSide = new Side('pglite', lite, 'guide');
let result;
let serverResult;
let liteVersion;
let data;
try {
  await liteSide.open();
  for (const st of ddl('guide')) await liteSide.q(st);
  await liteSide.session.release();
  liteSide.session = undefined;
  log(`guide: generating ${ROWS} rows per table (seed ${SEED}) on PGlite…`);
  const filled = await fillDatabase(lite, { scale: ROWS, seed: SEED });
  if (filled.unfilled.length) throw new Error(`the generator left tables unfilled: ${JSON.stringify(filled.unfilled)}`);
  data = {
    source: `pgperf's generator (fillDatabase, seed ${SEED}) on PGlite; on PostgreSQL the same rows, copied leaf by leaf in physical order`,
    tables: Object.fromEntries(filled.filled.map((f) => [f.name, f.rows])),
    generateSeconds: round(filled.seconds, 1),
  };
  await liteSide.open();
  liteVersion = (await liteSide.q('SELECT version() AS v')).rows[0].v;
  result = await examples(liteSide);

  // ---- the server ----
  if (SERVER) {
    const db = openPostgres(SERVER);
    let reachable;
    try {
      const s = await db.session();
      await s.release();
      reachable = true;
    } catch (e) {
      if (explicitServer) throw e;
      reachable = false;
      serverResult = { skipped: `${db.label} did not answer: ${e.message.split('\n')[0]}` };
      await db.close().catch(() => undefined);
    }
    if (reachable) {
      const schema = `pgperf_guide_${randomBytes(5).toString('hex')}`;
      const side = new Side('postgresql', db, ident(schema));
      server = { db, side, schema };
      await side.open();
      const version = (await side.q('SELECT version() AS v')).rows[0].v;
      log(`guide: copying the rows into ${schema} on ${db.label}…`);
      const tc = performance.now();
      for (const st of ddl(side.S)) await side.q(st);
      for (const leaf of LEAVES) {
        const cols = (
          await liteSide.q(
            `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
             WHERE a.attrelid = 'guide.${leaf}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
          )
        ).rows;
        const list = cols.map((c) => ident(c.name)).join(', ');
        const rows = (await liteSide.q(`SELECT ${cols.map((c) => `${ident(c.name)}::text`).join(', ')} FROM ONLY guide.${leaf} ORDER BY ctid`)).rows;
        for (let i = 0; i < rows.length; i += 5000) {
          const batch = rows.slice(i, i + 5000);
          await side.q(
            `INSERT INTO ${side.S}.${leaf} (${list}) SELECT ${cols.map((c, k) => `u.c${k}::${c.type}`).join(', ')}
             FROM unnest(${cols.map((_, k) => `$${k + 1}::text[]`).join(', ')}) AS u(${cols.map((_, k) => `c${k}`).join(', ')})`,
            cols.map((c) => batch.map((r) => r[c.name])),
          );
        }
      }
      const copySeconds = (performance.now() - tc) / 1000;
      serverResult = { database: version, label: db.label, schema, copySeconds: round(copySeconds, 1), ...(await examples(side)) };
    }
  }
} finally {
  await liteSide.session?.release().catch(() => undefined);
  await lite.close().catch(() => undefined);
  await dropServerSchema();
}

const pick = (k, r) => (k === 'composite' ? r.composite.biggestTenant : r[k]);
const ex = (k) => ({
  guide: GUIDE[k],
  target: { ratio: TARGETS[k] },
  pglite: pick(k, result),
  ...(serverResult && !serverResult.skipped ? { postgresql: pick(k, serverResult) } : {}),
});
const doc = {
  bench: 'guide',
  seed: SEED,
  rowsPerTable: ROWS,
  runs: RUNS,
  warmup: WARMUP,
  timing: 'EXPLAIN (ANALYZE, FORMAT JSON) "Execution Time", median of the runs after the warm-up',
  machine: { cpus: cpus().length, loadavgStart: LOAD_START, loadavgEnd: loadavg().map((x) => round(x, 2)) },
  data,
  databases: { pglite: liteVersion, postgresql: serverResult?.skipped ? { skipped: serverResult.skipped } : serverResult?.database },
  seconds: round((performance.now() - t0) / 1000, 1),
  examples: {
    offset: ex('offset'),
    partitions: ex('partitions'),
    composite: {
      ...ex('composite'),
      status: result.composite.status,
      medianTenant: {
        pglite: result.composite.medianTenant,
        ...(serverResult && !serverResult.skipped ? { postgresql: serverResult.composite.medianTenant } : {}),
      },
    },
  },
};
console.log(JSON.stringify(doc, null, 2));
process.exit(0);

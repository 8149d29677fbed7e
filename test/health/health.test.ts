/**
 * The health checks against a real PostgreSQL 15 this file starts itself (test/pg-cluster.ts): every check fires on
 * the unhealthy workload, none on the tuned one; a role without pg_read_all_stats gets reasons, not guesses; a
 * check that waits past its statement_timeout fails alone; hostile names are quoted; nothing is changed; and the
 * CLI's exit codes and JSON shape.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../../cli/main';
import { openPostgres } from '../../database/connection/postgres';
import type { Database } from '../../database/connection/types';
import { HEALTH_CHECKS } from '../../database/health/registry';
import { type HealthReport, runHealth } from '../../database/health/run';
import { type PrivateCluster, startPrivateCluster } from '../pg-cluster';
import { ATTACK_INDEX, client, type Held, RAM, tune, UNHEALTHY_SETTINGS, unhealthy } from './workload';

let cluster: PrivateCluster;
let admin: pg.Client;
let held: Held | undefined;
let db: Database;

const byId = (r: HealthReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no result for ${id}`);
  return c;
};

/** What the health run could change: relations, their storage and options, settings, roles. */
async function catalogSnapshot(c: pg.Client): Promise<string> {
  const parts = await Promise.all([
    c.query(`SELECT oid, relname, relkind, relfilenode, reloptions::text FROM pg_class ORDER BY oid`),
    c.query(`SELECT name, setting FROM pg_settings WHERE name NOT IN ('transaction_read_only') ORDER BY name`),
    c.query(`SELECT rolname, rolsuper FROM pg_roles ORDER BY rolname`),
    c.query(`SELECT count(*) AS n, sum(hashtext(status)) AS h FROM orders`),
  ]);
  return JSON.stringify(parts.map((p) => p.rows));
}

async function cli(args: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  for (const k of ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD']) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const code = await main(['health', ...args], { out: (s) => out.push(s), err: (s) => err.push(s), cwd: process.cwd(), color: false });
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.env = saved;
  }
}

/** The JSON contract of docs/health/README.md: strict, so a renamed or added field fails here first. */
const finding = z
  .object({
    severity: z.enum(['error', 'warning', 'info']),
    object: z.string().optional(),
    message: z.string().min(1),
    evidence: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    fix: z.string().optional(),
  })
  .strict();
const jsonShape = z
  .object({
    schema: z.literal('pgperf-health/1'),
    database: z
      .object({ label: z.string(), kind: z.enum(['postgres', 'embedded']), serverVersion: z.string(), serverVersionNum: z.number(), user: z.string() })
      .strict(),
    ram: z.object({ bytes: z.number(), source: z.string() }).strict().nullable(),
    storage: z.enum(['ssd', 'hdd']).nullable(),
    timeoutMs: z.number(),
    checks: z.array(
      z
        .object({
          id: z.string(),
          title: z.string(),
          status: z.enum(['ok', 'findings', 'skipped', 'failed']),
          reason: z.string().optional(),
          findings: z.array(finding),
          notes: z.array(z.string()),
          durationMs: z.number(),
        })
        .strict(),
    ),
    summary: z.object({ error: z.number(), warning: z.number(), info: z.number(), skipped: z.number(), failed: z.number() }).strict(),
    vitals: z
      .object({
        cacheHitPercent: z.number().optional(),
        clientConnections: z.number().optional(),
        maxConnections: z.number().optional(),
        deadTuples: z.number().optional(),
      })
      .strict(),
  })
  .strict();

beforeAll(async () => {
  cluster = await startPrivateCluster(UNHEALTHY_SETTINGS);
  const boot = await client(cluster.url());
  await boot.query('CREATE DATABASE app');
  await boot.query(`CREATE ROLE limited LOGIN; GRANT CONNECT ON DATABASE app TO limited`);
  await boot.end();
  admin = await client(cluster.url('postgres', 'app'));
  held = await unhealthy(cluster, admin);
  db = openPostgres(cluster.url('postgres', 'app'));
}, 120_000);

afterAll(async () => {
  await db?.close().catch(() => undefined);
  if (held) for (const c of [held.idle, held.waiter, held.sleeper, ...held.extra]) await c.end().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  cluster?.stop();
});

describe('pgperf health on an unhealthy PostgreSQL 15', () => {
  let report: HealthReport;
  let before: string;

  beforeAll(async () => {
    before = await catalogSnapshot(admin);
    report = await runHealth(db, { ramBytes: RAM, storage: 'ssd' });
  }, 60_000);

  it('every check fires, except the pgvector one, which says why it cannot run', () => {
    const notFiring = report.checks.filter((c) => c.status !== 'findings').map((c) => `${c.id}: ${c.status} ${c.reason ?? ''}`);
    expect(notFiring).toEqual([expect.stringMatching(/^hnsw-index-size: skipped pgvector/)]);
    expect(report.checks.map((c) => c.id)).toEqual(HEALTH_CHECKS.map((c) => c.id));
  });

  it('reads the vitals a trend samples, whatever the checks found', () => {
    const v = report.vitals;
    expect(v.cacheHitPercent).toBeGreaterThan(0);
    expect(v.cacheHitPercent).toBeLessThanOrEqual(100);
    // The workload's own sessions (idle in transaction, waiting, sleeping) and pgperf's.
    expect(v.clientConnections).toBeGreaterThanOrEqual(4);
    expect(v.maxConnections).toBeGreaterThan(v.clientConnections!);
    // The mass update with autovacuum off on that table left its dead tuples.
    expect(v.deadTuples).toBeGreaterThan(1000);
  });

  it('reports what the workload did, with evidence', () => {
    const objects = (id: string) => byId(report, id).findings.map((f) => f.object);
    expect(objects('unused-indexes')).toEqual(
      expect.arrayContaining(['public.orders_customer', 'public.orders_customer_dup', `public."x""; DROP TABLE t; --"`]),
    );
    expect(objects('duplicate-indexes')).toEqual(expect.arrayContaining(['public.orders_customer_dup']));
    expect(
      byId(report, 'duplicate-indexes').findings.some((f) => f.evidence.kind === 'prefix' && f.evidence.redundantWith === 'public.orders_customer_status'),
    ).toBe(true);
    const bloat = byId(report, 'table-bloat').findings.find((f) => f.object === 'public.orders')!;
    expect(bloat.evidence.bloatPercent).toBeGreaterThan(30);
    const dead = byId(report, 'dead-tuples').findings.find((f) => f.object === 'public.orders')!;
    expect(dead.evidence.deadTuples).toBeGreaterThan(10_000);
    expect(dead.fix).toContain('ALTER TABLE public.orders RESET (autovacuum_enabled);');
    expect(objects('autovacuum-settings')).toEqual(['public.orders']);
    expect(byId(report, 'long-running-queries').findings.map((f) => f.evidence.query)).toContain('SELECT pg_sleep(120)');
    expect(byId(report, 'idle-in-transaction').findings[0].evidence.idleSeconds).toBeGreaterThan(5);
    // A row lock is waited for on the holder's transaction id.
    expect(byId(report, 'lock-waits').findings[0].evidence).toMatchObject({ lockType: 'transactionid', blockedBy: String(held!.idlePid) });
    expect(byId(report, 'connections').findings[0].evidence.maxConnections).toBe(20);
    expect(byId(report, 'top-queries').findings.map((f) => f.evidence.query)).toContain('SELECT pg_sleep($1)');
    expect(byId(report, 'top-queries').findings.filter((f) => String(f.evidence.query).includes('pgperf health'))).toEqual([]);
    const partition = byId(report, 'future-partitions').findings[0];
    expect(partition.severity).toBe('error');
    expect(partition.fix).toMatch(
      /^CREATE TABLE public.events_2025_03 PARTITION OF public.events\n {2}FOR VALUES FROM \('2025-03-01 00:00:00\+00'\) TO \('2025-04-01 00:00:00\+00'\);$/,
    );
    expect(objects('memory-settings')).toEqual([
      'shared_buffers',
      'effective_cache_size',
      'work_mem',
      'maintenance_work_mem',
      'random_page_cost',
      'effective_io_concurrency',
    ]);
    expect(byId(report, 'memory-settings').findings.find((f) => f.object === 'shared_buffers')!.fix).toContain(`shared_buffers = '256MB'`);
  });

  it('quotes a hostile index name so that its fix SQL is one statement dropping that index, and changes nothing', async () => {
    const f = byId(report, 'unused-indexes').findings.find((x) => x.evidence.index === `public."x""; DROP TABLE t; --"`)!;
    expect(f.fix).toBe(`DROP INDEX CONCURRENTLY public."x""; DROP TABLE t; --";`);
    // Run without CONCURRENTLY (not allowed in a transaction) as one extended-protocol statement, then rolled back:
    // the server refuses two statements in one text, so a broken quote would fail here.
    const s = await db.session();
    try {
      await s.query('BEGIN');
      await s.statement(f.fix!.replace(' CONCURRENTLY', '').replace(/;$/, ''));
      const left = await s.query(`SELECT relname FROM pg_class WHERE relname IN ($1, 't') ORDER BY 1`, [ATTACK_INDEX]);
      expect(left.rows).toEqual([{ relname: 't' }]);
    } finally {
      await s.query('ROLLBACK');
      await s.release();
    }
    expect(await catalogSnapshot(admin)).toBe(before);
  });

  it('a role without pg_read_all_stats: the checks that need it say why, the others run', async () => {
    const limited = openPostgres(cluster.url('limited', 'app'));
    try {
      const r = await runHealth(limited, {});
      for (const id of ['long-running-queries', 'idle-in-transaction', 'top-queries']) {
        expect(byId(r, id).status, id).toBe('skipped');
        expect(byId(r, id).reason, id).toMatch(/pg_read_all_stats/);
      }
      expect(byId(r, 'memory-settings').notes.join(' ')).toMatch(/RAM unknown/);
      expect(byId(r, 'memory-settings').notes.join(' ')).toMatch(/storage unknown/);
      // pg_stats hides the columns of a table the role may not read: the bloat is not estimated, and it says so.
      expect(byId(r, 'table-bloat').notes.join(' '), JSON.stringify(byId(r, 'table-bloat'))).toMatch(/public\.orders/);
      expect(byId(r, 'future-partitions').status).toBe('findings');
      expect(byId(r, 'lock-waits').status).toBe('findings');
    } finally {
      await limited.close();
    }
  });

  it('pgperf health exits 1 on the error-severity finding, and --format json has the documented shape', async () => {
    const { code, out, err } = await cli(['--format', 'json', '--ram', '1GB', '--storage', 'ssd'], { DATABASE_URL: cluster.url('postgres', 'app') });
    expect(err).not.toMatch(/\n\s+at /);
    expect(code).toBe(1);
    const parsed = jsonShape.parse(JSON.parse(out));
    expect(parsed.summary.error).toBeGreaterThan(0);
    expect(parsed.ram).toEqual({ bytes: RAM, source: '--ram' });
  });

  it('--format sarif: a SARIF 2.1.0 run, every finding a result at its database object, the skipped check a notification', async () => {
    const { code, out, err } = await cli(['--format', 'sarif', '--ram', '1GB', '--storage', 'ssd'], { DATABASE_URL: cluster.url('postgres', 'app') });
    expect(err).not.toMatch(/\n\s+at /);
    expect(code).toBe(1);
    const sarif = JSON.parse(out) as {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string }[] } };
        invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: { logicalLocations: { fullyQualifiedName: string }[] }[];
          properties: { fix?: string };
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run!.tool.driver.rules.map((r) => r.id)).toEqual(HEALTH_CHECKS.map((c) => c.id));
    const findings = report.checks.reduce((n, c) => n + c.findings.length, 0);
    expect(run!.results.length).toBe(findings);
    for (const r of run!.results) {
      expect(run!.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
    }
    const names = run!.results.flatMap((r) => r.locations.flatMap((l) => l.logicalLocations.map((x) => x.fullyQualifiedName)));
    expect(names).toContain(`public."x""; DROP TABLE t; --"`);
    expect(run!.results.find((r) => r.ruleId === 'unused-indexes')?.properties.fix).toMatch(/^DROP INDEX CONCURRENTLY /);
    expect(run!.invocations[0]!.toolExecutionNotifications.map((n) => n.message.text)).toEqual([expect.stringMatching(/^hnsw-index-size: skipped: pgvector/)]);
  });

  it('pgperf health --check runs only those checks, as text', async () => {
    const { code, out } = await cli(['--check', 'duplicate-indexes,unused-indexes'], { DATABASE_URL: cluster.url('postgres', 'app') });
    expect(code).toBe(0);
    expect(out).toMatch(/!! duplicate-indexes: \d+ findings?/);
    expect(out).toMatch(/fix: DROP INDEX CONCURRENTLY public\.orders_customer_dup;/);
    expect(out).toMatch(/!! unused-indexes: /);
    expect(out).not.toMatch(/cache-hit-ratio/);
  });
});

describe('pgperf health usage and connection errors', () => {
  it('exits 2 with one line on bad usage', async () => {
    for (const args of [
      ['--format', 'xml'],
      ['--check', 'no-such-check'],
      ['--timeout', 'soon'],
      ['--ram', 'lots'],
      ['--storage', 'tape'],
    ]) {
      const r = await cli(args, { DATABASE_URL: cluster.url('postgres', 'app') });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.out).toBe('');
    }
  });

  it('--help prints its usage only; an unknown option is one line, exit 2', async () => {
    const help = await cli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage:\n {2}pgperf health \[--format text\|json\|sarif\] \[--check ID\]…/);
    expect(help.out).not.toContain('pgperf lint');
    const bogus = await cli(['--bogus'], {});
    expect(bogus.code).toBe(2);
    expect(bogus.err).toMatch(/^pgperf: unknown option "--bogus" for pgperf health .*\n$/);
  });

  it('pgperf health docs writes one page per check and the index; onto a file it is one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-health-docs-'));
    try {
      const ok = await cli(['docs', join(dir, 'out')], {});
      expect(ok.code).toBe(0);
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['README.md', ...HEALTH_CHECKS.map((c) => `${c.id}.md`)].sort());
      writeFileSync(join(dir, 'file'), 'x');
      const bad = await cli(['docs', join(dir, 'file')], {});
      expect(bad.code).toBe(2);
      expect(bad.err.trim().split('\n')).toHaveLength(1);
      expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on an unreachable server, in one line that never shows the password', async () => {
    const r = await cli([], { DATABASE_URL: 'postgres://app:s3cret-pw@127.0.0.1:1/app' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^pgperf: database: .*\npgperf: connection: .+\n$/);
    expect(`${r.out}${r.err}`).not.toContain('s3cret-pw');
  });
});

describe('pgperf health once tuned', () => {
  let report: HealthReport;

  beforeAll(async () => {
    admin = await tune(cluster, admin, held!);
    held = undefined;
    await db.close();
    db = openPostgres(cluster.url('postgres', 'app'));
    report = await runHealth(db, { ramBytes: RAM, storage: 'ssd' });
  }, 120_000);

  it("the health run's own statements are in pg_stat_statements, marked, and top-queries leaves them out", async () => {
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_statements WHERE query LIKE '/* pgperf health */ %'`);
    expect(rows[0].n).toBeGreaterThan(5);
  });

  it('no check fires', () => {
    const fired = report.checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}: ${c.status} ${c.reason ?? ''} ${JSON.stringify(c.findings)}`);
    expect(fired).toEqual([expect.stringMatching(/^hnsw-index-size: skipped /)]);
    expect(report.summary).toEqual({ error: 0, warning: 0, info: 0, skipped: 1, failed: 0 });
  });

  it('a check newer than the server is skipped with the version it needs', async () => {
    // The same server, reporting itself as 13: lock-waits reads pg_locks.waitstart (14+).
    const as13: Database = Object.create(db, { serverVersion: { value: async () => ({ num: 130012, text: 'PostgreSQL 13.12' }) } }) as Database;
    const r = await runHealth(as13, { checks: ['lock-waits', 'top-queries'] });
    expect(byId(r, 'lock-waits')).toMatchObject({ status: 'skipped', reason: 'needs PostgreSQL 14 or later (the server is PostgreSQL 13.12)' });
    expect(byId(r, 'top-queries').status).toBe('ok');
  });

  it('pgperf health exits 0', async () => {
    const { code, err } = await cli(['--ram', '1GB', '--storage', 'ssd'], { DATABASE_URL: cluster.url('postgres', 'app') });
    expect(err).toMatch(/^pgperf: database: 127\.0\.0\.1:\d+\/app \(from DATABASE_URL\)\n$/);
    expect(code).toBe(0);
  });

  it('a check that waits past its statement_timeout fails alone, and the others run', async () => {
    const locker = await client(cluster.url('postgres', 'app'));
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const t0 = performance.now();
      const r = await runHealth(db, { checks: ['table-bloat', 'future-partitions', 'connections'], timeoutMs: 500 });
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(byId(r, 'table-bloat').status).toBe('failed');
      expect(byId(r, 'table-bloat').reason).toMatch(/statement_timeout after 500 ms/);
      expect(byId(r, 'future-partitions').status).toBe('ok');
      expect(byId(r, 'connections').status).toBe('ok');
      expect(r.checks).toHaveLength(3);
      const viaCli = await cli(['--check', 'table-bloat', '--timeout', '500'], { DATABASE_URL: cluster.url('postgres', 'app') });
      expect(viaCli.code).toBe(1);
      expect(viaCli.out).toMatch(/XX table-bloat: failed: stopped by statement_timeout/);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });
});

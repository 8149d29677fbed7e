/**
 * `pgperf bench hnsw` / `pgperf bench rls`, run as a user runs them (the built CLI in a child process): usage
 * errors (exit 2, nothing touched), the --yes rule for a server that is not on this machine (exit 2 before any
 * connection), a bad DATABASE_URL / PGPORT / PGSSLMODE (exit 2 with one `pgperf:` line before any connection, no
 * stack trace, no part of a URL's user-info) and a server that refuses (exit 1, one `… failed: connection:` line),
 * a tiny HNSW sweep on the embedded PGlite database (table on stdout, progress on stderr,
 * --json and --csv files), and the RLS benchmark on the real PostgreSQL server of the test environment: its
 * scratch schema and role gone afterwards; after a SIGKILL the next run (rls or hnsw) drops them; a concurrent
 * live run's are never touched; with a lock held on a scratch table Ctrl-C gives up after lock_timeout and says
 * what it left, and a second SIGINT/SIGTERM exits at once. All checked in pg_namespace / pg_roles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_LOCK_TIMEOUT_MS } from '../../database/bench/scratch';
import type { Database } from '../../database/connection/types';
import { openTestServer, q, sleep, TEST_URL } from '../db/helpers';
import { BIN, env, run, type Run } from './spawn-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-bench-'));
});

const TINY_HNSW = ['--dim', '4', '--count', '20', '--queries', '2', '--k', '2', '--m', '2', '--ef-construction', '4', '--ef-search', '2'];
const TINY_RLS = ['--rows', '200', '--rounds', '2'];
const TINY: Record<'hnsw' | 'rls', string[]> = { hnsw: TINY_HNSW, rls: TINY_RLS };

/** A CLI run in progress: its output so far, a wait for a line of stderr, the exit. */
interface Live {
  child: ChildProcess;
  err(): string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<Run>;
}

function start(args: string[], extra: Record<string, string>): Live {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<Run>((done) => child.on('close', (code) => done({ code, out, err })));
  return {
    child,
    err: () => err,
    exited,
    async waitFor(re, ms = 20_000) {
      const until = Date.now() + ms;
      for (;;) {
        const m = re.exec(err);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > until) throw new Error(`no ${re} in stderr:\n${err.slice(-2000)}`);
        await sleep(25);
      }
    },
  };
}

/** No stack frame, and every stderr line is pgperf's. */
function expectCleanStderr(r: Run): void {
  expect(r.err).not.toMatch(/^\s+at /m);
  for (const line of r.err.split('\n').filter((l) => l.trim() !== '')) expect(line).toMatch(/^pgperf: /);
}

describe('pgperf bench: a bad database environment', () => {
  // Settings that do not parse are bad usage (exit 2): the one line is all there is, printed before any database
  // is named or reached. A server that refuses is a database error (exit 1), reported as the run's failure.
  const CASES: [string, Record<string, string>, 1 | 2, RegExp][] = [
    [
      'DATABASE_URL with a port that is not a number',
      { DATABASE_URL: 'postgres://x:y@127.0.0.1:notaport/db' },
      2,
      /^pgperf: DATABASE_URL: port "notaport" is not a number/,
    ],
    ['DATABASE_URL that is not a URL', { DATABASE_URL: 'not a url' }, 2, /^pgperf: DATABASE_URL is not a postgres:\/\/ URL$/],
    [
      'DATABASE_URL of a server that refuses',
      { DATABASE_URL: 'postgres://127.0.0.1:1/db' },
      1,
      /^pgperf: (HNSW sweep|RLS benchmark) failed: connection: cannot reach 127\.0\.0\.1:1\/db: .*ECONNREFUSED/,
    ],
    ['PGPORT=abc', { PGPORT: 'abc' }, 2, /^pgperf: PGPORT="abc" is not a port number/],
    ['PGSSLMODE=bogus with PGHOST', { PGHOST: '127.0.0.1', PGSSLMODE: 'bogus' }, 2, /^pgperf: PGSSLMODE="bogus" is not one of/],
    ['PGSSLMODE=bogus with DATABASE_URL', { DATABASE_URL: TEST_URL, PGSSLMODE: 'bogus' }, 2, /^pgperf: PGSSLMODE="bogus" is not one of/],
  ];
  const each = (['hnsw', 'rls'] as const).flatMap((bench) => CASES.map(([what, vars, code, re]) => [bench, what, code, vars, re] as const));

  it.each(each)('bench %s, %s: exit %i, one pgperf: error line, no stack trace', async (bench, _what, code, vars, re) => {
    const r = await run(['bench', bench, ...TINY[bench]], dir, vars);
    expect(r.code, r.err).toBe(code);
    expect(r.out).toBe('');
    expectCleanStderr(r);
    const lines = r.err.split('\n').filter((l) => l.trim() !== '');
    if (code === 2) {
      expect(lines, r.err).toHaveLength(1);
      expect(lines[0]).toMatch(re);
      expect(lines[0]).not.toMatch(/ failed: /);
    } else {
      const failed = lines.filter((l) => / failed: /.test(l));
      expect(failed, r.err).toHaveLength(1);
      expect(failed[0]).toMatch(re);
    }
  });

  const SECRET_URLS = [
    'postgres://admin:2024/Secret@127.0.0.1:5432/test',
    'postgres://admin:2024?Secret@127.0.0.1:5432/test',
    'postgres://admin:2024#Secret@127.0.0.1:5432/test',
  ];
  it.each((['hnsw', 'rls'] as const).flatMap((bench) => SECRET_URLS.map((url) => [bench, url] as const)))(
    'bench %s with DATABASE_URL=%s (a password that does not parse): exit 2, one line, no part of its user-info',
    async (bench, url) => {
      for (const args of [TINY[bench], [...TINY[bench], '--yes']]) {
        const r = await run(['bench', bench, ...args], dir, { DATABASE_URL: url });
        expect(r.code, r.err).toBe(2);
        expect(r.out).toBe('');
        expectCleanStderr(r);
        expect(r.err).toMatch(/^pgperf: DATABASE_URL: [^\n]*percent-encode[^\n]*\n$/);
        for (const secret of ['admin', '2024', 'Secret']) expect(r.out + r.err).not.toContain(secret);
      }
    },
  );
});

describe('pgperf bench: usage', () => {
  it.each([
    [['bench'], 'bench needs "hnsw" or "rls"'],
    [['bench', 'ivfflat'], 'unknown benchmark "ivfflat" (hnsw or rls)'],
    [['bench', 'hnsw', '--metric', 'dot'], '--metric is one of cosine, l2, ip, not "dot"'],
    [['bench', 'hnsw', '--distribution', 'normal'], '--distribution is one of clustered, uniform'],
    [['bench', 'hnsw', '--m', '12,x'], '--m needs a comma-separated list of whole numbers from 2 to 100'],
    [['bench', 'hnsw', '--m', '40', '--ef-construction', '64'], 'ef_construction 64 is below 2 × m (m = 40)'],
    [['bench', 'hnsw', '--dim', '4000'], '--dim needs a whole number from 1 to 2000'],
    [['bench', 'hnsw', '--recall-target', '1.5'], '--recall-target needs a number in (0, 1]'],
    [['bench', 'hnsw', '--table', 'items'], '--table and --column go together'],
    [['bench', 'hnsw', '--count', '5', '--k', '10'], '--count 5 is below --k 10'],
    [['bench', 'hnsw', '--count', '8', '--k', '3'], 'count must be'],
    [['bench', 'hnsw', '--bogus'], 'unknown option "--bogus" for pgperf bench hnsw'],
    [['bench', 'rls', '--rows', 'many'], '--rows needs a whole number ≥ 100, not "many"'],
    [['bench', 'rls', '--csv', 'x.csv'], 'unknown option "--csv" for pgperf bench rls'],
  ])('%j → exit 2', async (args, message) => {
    const r = await run(args, dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    // one pgperf: line, no Node wording or stack
    expect(r.err).toMatch(/^pgperf: [^\n]+\n$/);
    expectCleanStderr(r);
    expect(r.out).toBe('');
  });

  it('lists both benchmarks in --help', async () => {
    const r = await run(['--help'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('pgperf bench hnsw [--dim N] [--count N] [--queries N] [--distribution clustered|uniform]');
    expect(r.out).toContain('pgperf bench rls [--rows N] [--rounds N] [--yes] [--json F]');
  });

  it('refuses a server that is not on this machine without --yes, saying what it would create (no connection made)', async () => {
    const url = { DATABASE_URL: 'postgres://app@db.example.invalid:5432/app' };
    const h = await run(['bench', 'hnsw', '--count', '20000', '--dim', '256'], dir, url);
    expect(h.code).toBe(2);
    expect(h.err).toContain('not on this machine');
    expect(h.err).toContain('scratch schema pgperf_bench_<random>');
    expect(h.err).toContain('20000 + 100 synthetic 256-dimensional vectors');
    expect(h.err).toMatch(/builds 9 HNSW indexes one after another: about [\d.]+ MiB at its largest/);
    expect(h.err).toContain('Pass --yes');
    const r = await run(['bench', 'rls', '--rows', '50000'], dir, url);
    expect(r.code).toBe(2);
    expect(r.err).toContain('two 50000-row tables');
    expect(r.err).toContain('NOLOGIN role');
    // With --yes it tries (and fails to resolve the host: a database error, exit 1).
    const y = await run(['bench', 'rls', '--rows', '1000', '--yes'], dir, url);
    expect(y.code).toBe(1);
    expect(y.err).toMatch(/RLS benchmark failed: connection/);
  });
});

describe('pgperf bench hnsw on the embedded database', () => {
  it('prints the table, writes JSON and CSV, progress on stderr', async () => {
    const r = await run(
      [
        'bench',
        'hnsw',
        '--dim',
        '16',
        '--count',
        '600',
        '--queries',
        '20',
        '--m',
        '8,16',
        '--ef-construction',
        '32',
        '--ef-search',
        '10,40',
        '--k',
        '5',
        '--seed',
        '3',
        '--json',
        'h.json',
        '--csv',
        'h.csv',
      ],
      dir,
    );
    expect(r.err).toContain('embedded PGlite');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/pgperf: \[\s*\d+%\] building index m=8, ef_construction=32/);
    expect(r.out).toContain('HNSW sweep on embedded PGlite');
    const rows = r.out.split('\n').filter((l) => /^\s*(8|16)\s+32\s+(10|40)\s/.test(l));
    expect(rows).toHaveLength(4);
    const json = JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')) as Record<string, unknown> & { results: Record<string, number>[] };
    for (const key of ['database', 'params', 'results', 'recommendation']) expect(json).toHaveProperty(key);
    expect(json.results).toHaveLength(4);
    for (const res of json.results) {
      for (const key of ['m', 'efConstruction', 'efSearch', 'buildMs', 'indexBytes', 'recall', 'p50Ms', 'p95Ms', 'p99Ms', 'qps'])
        expect(typeof res[key], key).toBe('number');
      expect(res.recall).toBeGreaterThanOrEqual(0);
      expect(res.recall).toBeLessThanOrEqual(1);
    }
    const csv = readFileSync(join(dir, 'h.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('m,ef_construction,ef_search,build_ms,index_bytes,recall,p50_ms,p95_ms,p99_ms,qps,recommended');
    expect(csv.filter((l) => l !== '')).toHaveLength(5);
  }, 120_000);
});

describe('pgperf bench rls on the PostgreSQL server (DATABASE_URL)', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestServer();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reports the overhead with its CI and per-query figures, and leaves no scratch schema or role', async () => {
    const r = await run(['bench', 'rls', '--rows', '2000', '--rounds', '4', '--json', 'r.json'], dir, { DATABASE_URL: TEST_URL });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('RLS overhead on 127.0.0.1:5432/test');
    expect(r.out).toMatch(/Overall: [+-][\d.]+ % \(95 % CI -?[\d.]+ … -?[\d.]+ %\)/);
    for (const name of ['tenant-scoped lookup', 'range scan', 'aggregate']) expect(r.out).toContain(name);
    expect(r.err).toMatch(/pgperf: \[\s*\d+%\] round 4\/4/);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as {
      overheadPct: number;
      ci95Pct: [number, number];
      queries: { name: string; overheadPct: number; planChanged: boolean }[];
      scratch: { schema: string; role: string };
    };
    expect(Number.isFinite(json.overheadPct)).toBe(true);
    expect(json.ci95Pct[0]).toBeLessThanOrEqual(json.overheadPct);
    expect(json.ci95Pct[1]).toBeGreaterThanOrEqual(json.overheadPct);
    expect(json.queries.map((x) => x.name)).toEqual(['tenant-scoped lookup', 'range scan', 'aggregate']);
    expect(json.scratch.schema).toMatch(/^pgperf_bench_/);
    const left = await q(
      db,
      'select (select count(*)::int from pg_namespace where nspname = $1) as schemas, (select count(*)::int from pg_roles where rolname = $2) as roles',
      [json.scratch.schema, json.scratch.role],
    );
    expect(left.rows[0]).toEqual({ schemas: 0, roles: 0 });
  }, 120_000);
});

describe('pgperf bench on the PostgreSQL server: cleanup after a kill, a lock, a second signal', () => {
  let db: Database;
  const url = { DATABASE_URL: TEST_URL };
  const LONG = ['bench', 'rls', '--rows', '2000', '--rounds', '100000'];
  const live: Live[] = [];
  const tags: string[] = [];

  beforeAll(async () => {
    db = await openTestServer();
  });
  afterAll(async () => {
    for (const l of live) if (l.child.exitCode === null) l.child.kill('SIGKILL');
    if (!db) return;
    for (const t of tags) {
      await q(db, `drop schema if exists "${t}" cascade`).catch(() => undefined);
      await q(db, `drop role if exists "${t}"`).catch(() => undefined);
    }
    await db.close();
  });

  const objects = async (tag: string) =>
    (
      await q(
        db,
        'select (select count(*)::int from pg_namespace where nspname = $1) as schemas, (select count(*)::int from pg_roles where rolname = $1) as roles',
        [tag],
      )
    ).rows[0];

  /** A long RLS run, once it is in its rounds: the run and its scratch name (schema and role). */
  async function longRun(): Promise<{ l: Live; tag: string; owner: number }> {
    const l = start(LONG, url);
    live.push(l);
    const tag = (await l.waitFor(/create the scratch schema and role (pgperf_bench_[0-9a-f]{10})/))[1]!;
    tags.push(tag);
    await l.waitFor(/round 2\//);
    const note = await q(db, `select obj_description(oid, 'pg_namespace') as c from pg_namespace where nspname = $1`, [tag]);
    const owner = (JSON.parse(String(note.rows[0]!.c)) as { pid: number }).pid;
    return { l, tag, owner };
  }

  async function backendGone(pid: number, ms = 10_000): Promise<void> {
    await expect
      .poll(async () => (await q(db, 'select count(*)::int as n from pg_stat_activity where pid = $1', [pid])).rows[0]!.n, { timeout: ms, interval: 50 })
      .toBe(0);
  }

  /** Holds ACCESS EXCLUSIVE on the run's t_rls from another connection (granted between two of its transactions). */
  async function lock(tag: string): Promise<() => Promise<void>> {
    const s = await db.session();
    await s.query('begin');
    await s.query(`lock table "${tag}".t_rls in access exclusive mode`);
    return async () => {
      await s.query('rollback').catch(() => undefined);
      await s.release();
    };
  }

  it.each(['rls', 'hnsw'] as const)(
    "after a SIGKILL mid-run, the next run (bench %s) drops the dead run's schema and role, however recent",
    async (next) => {
      const { l, tag, owner } = await longRun();
      expect(await objects(tag)).toEqual({ schemas: 1, roles: 1 });
      l.child.kill('SIGKILL');
      await l.exited;
      await backendGone(owner);
      const r = await run(['bench', next, ...TINY[next]], dir, url);
      // hnsw stops at "pgvector is not installed" on this server, after its leftover sweep
      expect(r.code, r.err).toBe(next === 'rls' ? 0 : 1);
      expect(await objects(tag)).toEqual({ schemas: 0, roles: 0 });
    },
    60_000,
  );

  it('never touches the schema and role of a concurrent live run; that run drops them when it ends', async () => {
    const { l, tag } = await longRun();
    const other = await run(['bench', 'rls', ...TINY_RLS], dir, url);
    expect(other.code, other.err).toBe(0);
    expect(await objects(tag)).toEqual({ schemas: 1, roles: 1 });
    const hnsw = await run(['bench', 'hnsw', ...TINY_HNSW], dir, url);
    expect(hnsw.code, hnsw.err).toBe(1);
    expect(await objects(tag)).toEqual({ schemas: 1, roles: 1 });
    l.child.kill('SIGINT');
    const r = await l.exited;
    expect(r.code, r.err).toBe(130);
    expect(await objects(tag)).toEqual({ schemas: 0, roles: 0 });
  }, 60_000);

  it(`Ctrl-C with a lock held on a scratch table: gives up after lock_timeout (${CLEANUP_LOCK_TIMEOUT_MS} ms), names what it left and the SQL to drop it`, async () => {
    const { l, tag } = await longRun();
    const unlock = await lock(tag);
    let r: Run;
    try {
      const t0 = Date.now();
      l.child.kill('SIGINT');
      r = await l.exited;
      const ms = Date.now() - t0;
      expect(r.code, r.err).toBe(130);
      expect(
        ms,
        r.err
          .split('\n')
          .filter((l) => !/round/.test(l))
          .join('\n'),
      ).toBeGreaterThanOrEqual(CLEANUP_LOCK_TIMEOUT_MS - 200);
      expect(ms).toBeLessThan(CLEANUP_LOCK_TIMEOUT_MS + 5000);
      expectCleanStderr(r);
      expect(r.err).toContain(`schema ${tag}`);
      expect(r.err).toContain(`role ${tag}`);
      expect(r.err).toMatch(/lock_timeout/);
      expect(await objects(tag)).toEqual({ schemas: 1, roles: 1 });
    } finally {
      await unlock();
    }
    // The SQL it printed drops them by hand.
    const sql = r.err.match(/DROP (SCHEMA|ROLE) IF EXISTS "[^"]+"( CASCADE)?;/g) ?? [];
    expect(sql).toEqual([`DROP SCHEMA IF EXISTS "${tag}" CASCADE;`, `DROP ROLE IF EXISTS "${tag}";`]);
    for (const statement of sql) await q(db, statement);
    expect(await objects(tag)).toEqual({ schemas: 0, roles: 0 });
  }, 60_000);

  it.each([
    ['SIGINT', 'SIGINT'],
    ['SIGTERM', 'SIGTERM'],
    ['SIGINT', 'SIGTERM'],
  ] as const)(
    'a second signal during a blocked cleanup (%s, then %s) exits at once with 130, printing what was left',
    async (first, second) => {
      const { l, tag, owner } = await longRun();
      const unlock = await lock(tag);
      try {
        l.child.kill(first);
        // the cleanup's DROP SCHEMA is now waiting for the lock
        await expect
          .poll(
            async () =>
              (
                await q(db, `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1`, [
                  `%drop schema if exists "${tag}"%`,
                ])
              ).rows[0]!.n,
            { timeout: 10_000, interval: 50 },
          )
          .toBe(1);
        const t0 = Date.now();
        l.child.kill(second);
        const r = await l.exited;
        expect(Date.now() - t0).toBeLessThan(1500);
        expect(r.code, r.err).toBe(130);
        expectCleanStderr(r);
        expect(r.err).toMatch(/left behind/);
        expect(r.err).toContain(`DROP SCHEMA IF EXISTS "${tag}" CASCADE;`);
        expect(r.err).toContain(`DROP ROLE IF EXISTS "${tag}";`);
        // its backend ends once the DROP gives up (lock_timeout): then the objects count as a dead run's
        await backendGone(owner, CLEANUP_LOCK_TIMEOUT_MS + 5000);
        expect(await objects(tag)).toEqual({ schemas: 1, roles: 1 });
      } finally {
        await unlock();
      }
      const next = await run(['bench', 'rls', ...TINY_RLS], dir, url);
      expect(next.code, next.err).toBe(0);
      expect(await objects(tag)).toEqual({ schemas: 0, roles: 0 });
    },
    60_000,
  );
});

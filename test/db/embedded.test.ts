/**
 * The embedded PGlite database in its worker thread (one in-memory instance for the file: it takes ~3 s to
 * start). The tests that restart the worker (timeout, cancel) run last: a restart empties an in-memory database.
 * Needs dist/pglite-worker.js (`node build.mjs`; `npm test` builds first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabase, openEmbedded, type RestartReason } from '../../database/connection/embedded';
import { loadSchema } from '../../database/connection/load-ddl';
import { timeoutInSql, timeoutSettingMs } from '../../database/connection/pglite-worker';
import { q, sleep, rejection } from './helpers';

let db: EmbeddedDatabase;
const restarts: RestartReason[] = [];

beforeAll(async () => {
  db = await openEmbedded({ onRestart: (r) => restarts.push(r) });
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe('embedded PGlite', () => {
  it('says what it is', async () => {
    expect(db.kind).toBe('embedded');
    expect(db.label).toMatch(/^embedded PGlite \(PostgreSQL 18\.\d+\)$/);
    const v = await db.serverVersion();
    expect(v.num).toBeGreaterThanOrEqual(180000);
    expect(v.text).toMatch(/^PostgreSQL 18\.\d+$/);
    expect((await q(db, 'select current_user as u, usesuper from pg_user where usename = current_user')).rows).toEqual([{ u: 'postgres', usesuper: true }]);
  });

  it('runs queries with and without parameters (int8 as a string, like node-postgres)', async () => {
    expect(await q(db, 'select $1::int + 1 as x, $2::text as y, 9007199254740993::int8 as big', [41, 'a'])).toEqual({
      rows: [{ x: 42, y: 'a', big: '9007199254740993' }],
      fields: ['x', 'y', 'big'],
      rowCount: 1,
      command: 'SELECT',
    });
    const r = await q(db, 'create table t (id int primary key, v text); insert into t values (1, $$a$$), (2, $$b$$)');
    expect(r).toMatchObject({ command: 'INSERT', rowCount: 2 });
    const plan = await q(db, 'explain (format json) select * from t where id = 1');
    expect(plan.fields).toEqual(['QUERY PLAN']);
    expect(Array.isArray(plan.rows[0]!['QUERY PLAN'])).toBe(true);
  });

  it('carries SQL errors back with their SQLSTATE', async () => {
    let e = await rejection(q(db, 'select * from no_such_table'));
    expect(e).toMatchObject({ kind: 'sql', code: '42P01' });
    expect(e.message).toContain('does not exist');
    e = await rejection(q(db, 'insert into t values (1, $$dup$$)'));
    expect(e).toMatchObject({ kind: 'sql', code: '23505' });
    expect(e.message).toContain('DETAIL: Key (id)=(1) already exists.');
    e = await rejection(q(db, 'selec 1'));
    expect(e).toMatchObject({ kind: 'sql', code: '42601' });
  });

  it('rolls back what a released session left open', async () => {
    const s = await db.session();
    await s.query('begin');
    await s.query('delete from t');
    await expect(s.query('select 1/0')).rejects.toMatchObject({ kind: 'sql', code: '22012' });
    await s.release();
    expect((await q(db, 'select count(*)::int as n from t')).rows).toEqual([{ n: 2 }]);
  });

  it('hands out one session at a time (one connection)', async () => {
    const order: string[] = [];
    const a = await db.session();
    const bPromise = db.session().then((b) => {
      order.push('b acquired');
      return b;
    });
    await sleep(50);
    order.push('a releasing');
    await a.release();
    const b = await bPromise;
    await b.release();
    expect(order).toEqual(['a releasing', 'b acquired']);
  });

  it('has pgvector, with HNSW indexes', async () => {
    await q(db, 'create extension if not exists vector');
    await q(db, 'create table items (id int primary key, embedding vector(3))');
    await q(db, "insert into items select i, ('[' || i || ',' || i * 2 || ',' || i * 3 || ']')::vector from generate_series(1, 200) i");
    await q(db, 'create index on items using hnsw (embedding vector_l2_ops)');
    const r = await q(db, "select id from items order by embedding <-> '[1,2,3]' limit 2");
    expect(r.rows).toEqual([{ id: 1 }, { id: 2 }]);
    const ext = await q(db, "select extversion from pg_extension where extname = 'vector'");
    expect(ext.rows[0]!.extversion).toMatch(/^\d+\.\d+/);
  });

  it("keeps the caller's event loop free during a long statement (worker thread)", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    await q(db, 'select count(*) from generate_series(1, 3000000)');
    clearInterval(timer);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(200);
    // blocked, the interval could not fire before the statement ended (0 ticks)
    expect(ticks).toBeGreaterThan(2);
  });

  it('loads DDL statement by statement, collecting failures without stopping', async () => {
    const result = await loadSchema(db, [
      { file: 'schema/a.sql', text: 'create schema app' },
      { file: 'schema/a.sql', text: 'create table app.users (id int primary key, tenant_id int, name text)' },
      { file: 'schema/b.sql', text: 'create table app.orders (id int primary key, user_id int references app.missing(id))' },
      { file: 'schema/b.sql', text: 'create index on app.users (tenant_id, name)' },
      { file: 'schema/c.sql', text: 'create extension if not exists vector' },
      { file: 'schema/c.sql', text: 'create table app.docs (id int primary key, embedding vector(8))' },
    ]);
    expect(result.loaded).toBe(5);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({
      file: 'schema/b.sql',
      text: expect.stringContaining('app.orders'),
      error: { kind: 'sql', code: '42P01' },
    });
    const tables = await q(db, "select table_name from information_schema.tables where table_schema = 'app' order by 1");
    expect(tables.rows).toEqual([{ table_name: 'docs' }, { table_name: 'users' }]);
  });

  it('parses SHOW statement_timeout values', () => {
    expect(timeoutSettingMs('0')).toBe(0);
    expect(timeoutSettingMs('500ms')).toBe(500);
    expect(timeoutSettingMs('2s')).toBe(2000);
    expect(timeoutSettingMs('1min')).toBe(60_000);
    expect(timeoutSettingMs('1h')).toBe(3_600_000);
  });

  it('reads a statement_timeout the batch sets for itself', () => {
    expect(timeoutInSql('BEGIN; SET LOCAL statement_timeout = 5000; EXPLAIN SELECT 1')).toBe(5000);
    expect(timeoutInSql("set statement_timeout to '2s'; select 1")).toBe(2000);
    expect(timeoutInSql("SELECT set_config('statement_timeout', '250ms', true); SELECT 1")).toBe(250);
    expect(timeoutInSql('SET statement_timeout = 100; SET statement_timeout = 0; SELECT 1')).toBe(0);
    expect(timeoutInSql('SET LOCAL statement_timeout = DEFAULT; SELECT 1')).toBeUndefined();
    expect(timeoutInSql('SELECT 1')).toBeUndefined();
  });

  // --- restarts: an in-memory database is empty afterwards (documented in embedded.ts) ---

  it('enforces statement_timeout (kind "timeout", 57014) by restarting the worker; the next session works', async () => {
    const s = await db.session();
    await s.query('begin');
    await s.query("set local statement_timeout = '300ms'");
    const started = Date.now();
    const e = await rejection(s.query('select pg_sleep(10)'));
    expect(e).toMatchObject({ kind: 'timeout', code: '57014' });
    expect(e.message).toContain('canceling statement due to statement timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    // the session's connection is gone with the old worker
    expect(await rejection(s.query('select 1'))).toMatchObject({ kind: 'connection' });
    await s.release(true);
    expect(restarts).toEqual(['timeout']);
    expect(db.restarts).toBe(1);
    expect((await q(db, 'select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    // in memory: what was there is gone
    expect(await rejection(q(db, 'select * from t'))).toMatchObject({ kind: 'sql', code: '42P01' });
  }, 60_000);

  it('enforces a statement_timeout set in the same batch (one round trip: BEGIN; SET LOCAL …; statement)', async () => {
    const s = await db.session();
    const started = Date.now();
    const e = await rejection(s.query('BEGIN; SET LOCAL statement_timeout = 300; SELECT pg_sleep(10)'));
    expect(e).toMatchObject({ kind: 'timeout', code: '57014' });
    expect(Date.now() - started).toBeLessThan(3000);
    await s.release();
    expect(restarts).toEqual(['timeout', 'timeout']);
  }, 60_000);

  it('cancels a running statement (kind "cancelled", 57014) by restarting the worker', async () => {
    const s = await db.session();
    const started = Date.now();
    const running = rejection(s.query('select count(*) from generate_series(1, 500000000)'));
    await sleep(300);
    await s.cancel();
    const e = await running;
    expect(e).toMatchObject({ kind: 'cancelled', code: '57014' });
    expect(e.message).toContain('user request');
    expect(Date.now() - started).toBeLessThan(3000);
    await s.release();
    expect(restarts).toEqual(['timeout', 'timeout', 'cancelled']);
    expect((await q(db, 'select 2 as ok')).rows).toEqual([{ ok: 2 }]);
    const idle = await db.session();
    await idle.cancel(); // nothing running: a no-op, no restart
    await idle.release();
    expect(db.restarts).toBe(3);
  }, 60_000);
});

describe('embedded PGlite with a data directory', () => {
  it('keeps committed data across a cancel (crash recovery) and a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-embedded-'));
    try {
      const d = await openEmbedded({ dataDir: join(dir, 'data') });
      try {
        await q(d, 'create table kept (a int); insert into kept values (1)');
        const s = await d.session();
        await s.query('begin');
        await s.query('insert into kept values (2)');
        const running = rejection(s.query('select count(*) from generate_series(1, 500000000)'));
        await sleep(200);
        await s.cancel();
        expect(await running).toMatchObject({ kind: 'cancelled' });
        await s.release();
        expect((await q(d, 'select array_agg(a) as a from kept')).rows).toEqual([{ a: [1] }]);
      } finally {
        await d.close();
      }
      const again = await openEmbedded({ dataDir: join(dir, 'data') });
      try {
        expect((await q(again, 'select array_agg(a) as a from kept')).rows).toEqual([{ a: [1] }]);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails clearly when the worker bundle is missing', async () => {
    const e = await rejection(openEmbedded({ workerPath: '/nonexistent/pglite-worker.js' }));
    expect(e.kind).toBe('connection');
    expect(e.message).toContain('node build.mjs');
  });
});

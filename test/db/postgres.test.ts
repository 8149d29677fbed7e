import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema } from '../../client/src/db/load-ddl';
import {
  openPostgres,
  parseConnectionString,
  poolSizeAdvice,
  poolSizeAdviceText,
  roundedPoolSize,
  toDatabaseError,
} from '../../client/src/db/postgres';
import type { Database } from '../../client/src/db/types';
import { openTestServer, q, sleep, TEST_URL, uniqueSchema, rejection } from './helpers';

let db: Database;
const schema = uniqueSchema('pgperf_db_test');

beforeAll(async () => {
  db = await openTestServer();
  await q(db, `create schema ${schema}`);
});

afterAll(async () => {
  if (!db) return;
  await q(db, `drop schema if exists ${schema} cascade`);
  await db.close();
});


describe('pool size advice (tuning guide: cores × 2 + spindles)', () => {
  it('gives the guide examples', () => {
    expect(poolSizeAdvice(8, 1)).toBe(17);
    expect(roundedPoolSize(17)).toBe(20);
    expect(poolSizeAdvice(16, 1)).toBe(33);
    expect(roundedPoolSize(33)).toBe(35);
    expect(poolSizeAdvice(4, 2)).toBe(10);
    expect(roundedPoolSize(10)).toBe(10);
    expect(poolSizeAdviceText(8, 1)).toBe('pool size 20: (8 cores × 2) + 1 spindle = 17, rounded up');
    expect(poolSizeAdviceText(4, 2)).toBe('pool size 10: (4 cores × 2) + 2 spindles = 10');
  });
  it('rejects nonsense', () => {
    expect(() => poolSizeAdvice(0, 1)).toThrow(RangeError);
    expect(() => poolSizeAdvice(4, -1)).toThrow(RangeError);
    expect(() => poolSizeAdvice(2.5, 1)).toThrow(RangeError);
  });
});

describe('connection strings and labels', () => {
  it('never puts the password in the label', () => {
    const { config, label, sslmode } = parseConnectionString('postgres://app:s%40cret@db.example.com:5433/shop?sslmode=require');
    expect(label).toBe('db.example.com:5433/shop');
    expect(config).toMatchObject({ host: 'db.example.com', port: 5433, database: 'shop', user: 'app', password: 's@cret' });
    expect(sslmode).toBe('require');
    const d = openPostgres('postgres://app:hunter2@db.example.com/shop');
    expect(d.kind).toBe('postgres');
    expect(d.label).toBe('db.example.com:5432/shop');
    expect(d.label).not.toContain('hunter2');
    void d.close();
  });
  it('labels a profile "name — host:port/database"', () => {
    const d = openPostgres({ name: 'prod', host: 'db.example.com', database: 'app', user: 'me' }, 'pw');
    expect(d.label).toBe('prod — db.example.com:5432/app');
    void d.close();
  });
  it('rejects a non-postgres URL', () => {
    expect(() => parseConnectionString('mysql://x@y/z')).toThrow(/postgres:\/\//);
  });
});

describe('PostgreSQL server', () => {
  it('runs queries with and without parameters', async () => {
    const r = await q(db, 'select $1::int + 1 as x, $2::text as y', [41, 'a']);
    expect(r).toEqual({ rows: [{ x: 42, y: 'a' }], fields: ['x', 'y'], rowCount: 1, command: 'SELECT' });
    const multi = await q(db, `create table ${schema}.t (id int primary key); insert into ${schema}.t values (1), (2)`);
    expect(multi.command).toBe('INSERT');
    expect(multi.rowCount).toBe(2);
  });

  it('reports the server version', async () => {
    const v = await db.serverVersion();
    expect(v.num).toBeGreaterThanOrEqual(120000);
    expect(v.text).toMatch(/^PostgreSQL \d+\.\d+/);
  });

  it('maps SQL errors to kind "sql" with the SQLSTATE', async () => {
    let e = await rejection(q(db, 'select * from no_such_table_pgperf'));
    expect(e).toMatchObject({ kind: 'sql', code: '42P01' });
    expect(e.message).toContain('does not exist');
    e = await rejection(q(db, 'select 1/0'));
    expect(e).toMatchObject({ kind: 'sql', code: '22012' });
    e = await rejection(q(db, 'selec 1'));
    expect(e).toMatchObject({ kind: 'sql', code: '42601' });
    await q(db, `create table ${schema}.u (id int primary key)`);
    await q(db, `insert into ${schema}.u values (1)`);
    e = await rejection(q(db, `insert into ${schema}.u values (1)`));
    expect(e).toMatchObject({ kind: 'sql', code: '23505' });
  });

  it('maps statement_timeout to kind "timeout"', async () => {
    const s = await db.session();
    try {
      await s.query('begin');
      await s.query("set local statement_timeout = '200ms'");
      const started = Date.now();
      const e = await rejection(s.query('select pg_sleep(5)'));
      expect(e).toMatchObject({ kind: 'timeout', code: '57014' });
      expect(e.message).toContain('statement timeout');
      expect(Date.now() - started).toBeLessThan(3000);
      await s.query('rollback');
      expect((await s.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await s.release();
    }
  });

  it('applies a profile statementTimeoutMs to every session', async () => {
    const u = new URL(TEST_URL);
    const d = openPostgres({
      name: 'test',
      host: u.hostname,
      port: Number(u.port || 5432),
      database: u.pathname.slice(1),
      user: decodeURIComponent(u.username || 'postgres'),
      sslmode: 'disable',
      statementTimeoutMs: 150,
      applicationName: 'pgperf-test',
    });
    try {
      expect((await q(d, "select current_setting('application_name') as a")).rows).toEqual([{ a: 'pgperf-test' }]);
      expect(await rejection(q(d, 'select pg_sleep(3)'))).toMatchObject({ kind: 'timeout', code: '57014' });
    } finally {
      await d.close();
    }
  });

  it('cancels a running statement with pg_cancel_backend → kind "cancelled"; the session stays usable', async () => {
    const s = await db.session();
    try {
      const started = Date.now();
      const running = rejection(s.query('select pg_sleep(10)'));
      await sleep(300);
      await s.cancel();
      const e = await running;
      expect(e).toMatchObject({ kind: 'cancelled', code: '57014' });
      expect(e.message).toContain('user request');
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await s.query('select 2 as ok')).rows).toEqual([{ ok: 2 }]);
      await s.cancel(); // nothing running: a no-op
    } finally {
      await s.release();
    }
  });

  it('a terminated backend gives kind "connection", and the next session reconnects', async () => {
    const s = await db.session();
    const pid = (await s.query('select pg_backend_pid() as pid')).rows[0]!.pid as number;
    const running = rejection(s.query('select pg_sleep(10)'));
    await sleep(200);
    const killed = await q(db, 'select pg_terminate_backend($1) as ok', [pid]);
    expect(killed.rows).toEqual([{ ok: true }]);
    const e = await running;
    expect(e.kind).toBe('connection');
    expect(e.message).toMatch(/lost the connection/);
    const again = await rejection(s.query('select 1'));
    expect(again.kind).toBe('connection');
    await s.release(true);
    const r = await q(db, 'select pg_backend_pid() as pid');
    expect(r.rows[0]!.pid).not.toBe(pid);
    expect((await db.serverVersion()).num).toBeGreaterThan(0);
  });

  it('an idle pooled connection terminated from outside is replaced', async () => {
    const s = await db.session();
    const pid = (await s.query('select pg_backend_pid() as pid')).rows[0]!.pid as number;
    await s.release();
    const other = openPostgres(TEST_URL);
    try {
      await q(other, 'select pg_terminate_backend($1)', [pid]);
    } finally {
      await other.close();
    }
    await sleep(200);
    expect((await q(db, 'select 3 as ok')).rows).toEqual([{ ok: 3 }]);
  });

  it('an unreachable server gives kind "connection" with a clear message', async () => {
    const d = openPostgres('postgres://postgres@127.0.0.1:1/test');
    try {
      const e = await rejection(d.session());
      expect(e.kind).toBe('connection');
      expect(e.message).toContain('cannot reach 127.0.0.1:1/test');
      expect(e.message).toContain('ECONNREFUSED');
    } finally {
      await d.close();
    }
  });

  it('a missing database gives kind "connection" with its SQLSTATE', async () => {
    const u = new URL(TEST_URL);
    u.pathname = '/pgperf_no_such_database';
    const d = openPostgres(u.toString());
    try {
      const e = await rejection(d.session());
      expect(e).toMatchObject({ kind: 'connection', code: '3D000' });
    } finally {
      await d.close();
    }
  });

  it('maps a timeout and a cancel by their messages (both SQLSTATE 57014)', () => {
    expect(toDatabaseError({ code: '57014', message: 'canceling statement due to statement timeout' }, 'x').kind).toBe('timeout');
    expect(toDatabaseError({ code: '57014', message: 'canceling statement due to user request' }, 'x').kind).toBe('cancelled');
  });

  it('loads DDL statement by statement, collecting failures without stopping', async () => {
    const result = await loadSchema(db, [
      { file: 'a.sql', text: `create table ${schema}.users (id int primary key, name text)` },
      { file: 'b.sql', text: `create table ${schema}.orders (id int primary key, user_id int references ${schema}.missing(id))` },
      { file: 'b.sql', text: `create index on ${schema}.users (name)` },
      { file: 'c.sql', text: `create view ${schema}.v as select id from ${schema}.users` },
    ]);
    expect(result.loaded).toBe(3);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ file: 'b.sql', error: { kind: 'sql', code: '42P01' } });
    const tables = await q(db, 'select table_name from information_schema.tables where table_schema = $1 order by 1', [schema]);
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['users', 'v']));
    expect(tables.rows.map((r) => r.table_name)).not.toContain('orders');
  });
});

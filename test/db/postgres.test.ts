import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureLine, loadedSummary, loadSchema } from '../../database/connection/load-ddl';
import { quoteIdent, quoteIdentIfNeeded, quoteLiteral } from '../../database/connection/quote';
import { withSession } from '../../database/connection/session';
import { openPostgres, parseConnectionString, poolSizeAdvice, poolSizeAdviceText, roundedPoolSize, toDatabaseError } from '../../database/connection/postgres';
import { DatabaseError, type Database } from '../../database/connection/types';
import { openTestServer, q, rejection, sleep, TEST_URL, thrownBy, uniqueSchema } from './helpers';

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

  // Each holds the user "admin" and a password with "2024" and "Secret" in it; none of them may reach a message.
  const MALFORMED: [string, string, RegExp][] = [
    ['a "/" in the password (WHATWG: port 2024, "Secret@…" the path)', 'postgres://admin:2024/Secret@127.0.0.1:5432/test', /percent-encode/],
    ['a "?" in the password (WHATWG: port 2024, "Secret@…" the query)', 'postgres://admin:2024?Secret@127.0.0.1:5432/test', /percent-encode/],
    ['a "#" in the password (WHATWG: port 2024, "Secret@…" the fragment)', 'postgres://admin:2024#Secret@127.0.0.1:5432/test', /percent-encode/],
    ['a bad percent-encoding in the password', 'postgres://admin:2024%zzSecret@127.0.0.1:5432/test', /percent-encoding/],
    ['a port that is not a number', 'postgres://admin:2024Secret@127.0.0.1:notaport/test', /port "notaport" is not a number/],
    ['a port out of range', 'postgres://admin:2024Secret@127.0.0.1:70000/test', /port "70000" is not a number from 1 to 65535/],
    ['port 0', 'postgres://admin:2024Secret@127.0.0.1:0/test', /port "0" is not a number from 1 to 65535/],
    ['a bad percent-encoding in the database name', 'postgres://admin:2024Secret@127.0.0.1:5432/te%zzst', /"te%zzst" has a malformed percent-encoding/],
  ];

  it.each(MALFORMED)('rejects a URL with %s, naming no part of its user-info', (_what, url, message) => {
    for (const attempt of [() => parseConnectionString(url), () => openPostgres(url)]) {
      const err = thrownBy(attempt);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as DatabaseError).kind).toBe('connection');
      const text = `${(err as Error).message} ${String((err as Error).stack)}`;
      expect((err as Error).message).toMatch(message);
      for (const secret of ['admin', '2024', 'Secret']) expect(text).not.toContain(secret);
    }
  });

  it('reads a percent-encoded password with "/", "?", "#" and "@", and an unencoded "@" in it (the last "@" ends the user-info)', () => {
    const encoded = parseConnectionString('postgres://admin:2024%2FSe%3Fc%23r%40et@127.0.0.1:5432/test');
    expect(encoded.config).toMatchObject({ host: '127.0.0.1', port: 5432, database: 'test', user: 'admin', password: '2024/Se?c#r@et' });
    expect(encoded.label).toBe('127.0.0.1:5432/test');
    const at = parseConnectionString('postgres://admin:p@ss:w@rd@db.example.com/shop');
    expect(at.config).toMatchObject({ host: 'db.example.com', database: 'shop', user: 'admin', password: 'p@ss:w@rd' });
    expect(at.label).toBe('db.example.com:5432/shop');
    expect(parseConnectionString('postgresql://u@[::1]:6543/d').config).toMatchObject({ host: '::1', port: 6543, user: 'u' });
    expect(parseConnectionString('postgres:///d?host=/var/run/postgresql').config).toMatchObject({ host: '/var/run/postgresql', database: 'd' });
  });

  it('passes the URL options parameter through to the server', () => {
    expect(parseConnectionString('postgres://h/d?options=-c%20statement_timeout%3D0').config).toMatchObject({ options: '-c statement_timeout=0' });
  });

  it('connects with a percent-encoded password that holds a "/"; no message shows it', async () => {
    const u = new URL(TEST_URL);
    const good = openPostgres(`postgres://${u.username || 'postgres'}:2024%2FSecret@${u.host}${u.pathname}`);
    try {
      expect(good.label).toBe(`${u.host}${u.pathname}`);
      expect((await q(good, 'select 1 as ok')).rows).toEqual([{ ok: 1 }]); // trust auth: the password is not checked
    } finally {
      await good.close();
    }
    const refused = openPostgres('postgres://admin:2024%2FSecret@127.0.0.1:1/test');
    try {
      const e = await rejection(refused.session());
      expect(e.message).toContain('cannot reach 127.0.0.1:1/test');
      for (const secret of ['admin', '2024', 'Secret']) expect(e.message).not.toContain(secret);
    } finally {
      await refused.close();
    }
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

  it('statementTimeoutMs 0 means no statement_timeout, even where the role has a default one', async () => {
    const role = uniqueSchema('pgperf_st_role');
    await q(db, `create role ${role} login`);
    await q(db, `alter role ${role} set statement_timeout = '100ms'`);
    const u = new URL(TEST_URL);
    const base = { name: 'st', host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: role, sslmode: 'disable' as const };
    const none = openPostgres({ ...base, statementTimeoutMs: 0 });
    const unset = openPostgres(base);
    const viaUrl = openPostgres(`postgres://${role}@${u.host}${u.pathname}?options=-c%20statement_timeout%3D0`);
    try {
      expect((await q(none, 'show statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
      expect((await q(none, 'select pg_sleep(0.3) as slept')).rows).toHaveLength(1);
      expect((await q(viaUrl, 'show statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
      // without the field, the server's default for the role applies
      expect((await q(unset, 'show statement_timeout')).rows).toEqual([{ statement_timeout: '100ms' }]);
    } finally {
      await Promise.all([none.close(), unset.close(), viaUrl.close()]);
      await q(db, `drop role if exists ${role}`);
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

describe('quoting', () => {
  it('leaves plain names bare and quotes the rest', () => {
    expect(quoteIdentIfNeeded('items')).toBe('items');
    expect(quoteIdentIfNeeded('_x$1')).toBe('_x$1');
    expect(quoteIdentIfNeeded('Items')).toBe('"Items"');
    expect(quoteIdentIfNeeded('1st')).toBe('"1st"');
    expect(quoteIdentIfNeeded('a"b')).toBe('"a""b"');
    expect(quoteIdent('items')).toBe('"items"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });

  it('quotes every keyword the server reserves as a name, so the name comes back as written', async () => {
    const words = (await q(db, "select word from pg_get_keywords() where catcode in ('R', 'T') order by word")).rows.map((r) => String(r.word));
    expect(words.length).toBeGreaterThan(70);
    const bare = words.filter((w) => quoteIdentIfNeeded(w) === w);
    expect(bare).toEqual([]);
    const names = [...words, 'items', 'Items', 'a"b', 'naïve', 'x y'];
    const select = `select ${names.map((n, i) => `${i} as ${quoteIdentIfNeeded(n)}`).join(', ')}`;
    const r = await q(db, select);
    expect(r.fields).toEqual(names);
  });

  it('round-trips a literal and an always-quoted identifier through the server', async () => {
    const text = 'O\'Brien\'s \\ "x" ;--';
    const r = await q(db, `select ${quoteLiteral(text)} as ${quoteIdent('Weird "col"')}`);
    expect(r.fields).toEqual(['Weird "col"']);
    expect(r.rows[0]).toEqual({ 'Weird "col"': text });
  });
});

describe('withSession', () => {
  it('returns what the work returns and gives the session back', async () => {
    const pid = await withSession(db, async (s) => Number((await s.query('select pg_backend_pid() as pid')).rows[0]!.pid));
    expect(pid).toBeGreaterThan(0);
  });

  it('passes a SQL error through unchanged, and the database goes on answering', async () => {
    const err = await rejection(withSession(db, (s) => s.query('select * from no_such_table_for_with_session')));
    expect(err.kind).toBe('sql');
    expect(err.code).toBe('42P01');
    expect(await withSession(db, async (s) => (await s.query('select 1 as one')).rows[0])).toEqual({ one: 1 });
  });

  it('discards a session whose connection was lost: the next one is a new backend', async () => {
    let lost = 0;
    const err = await rejection(
      withSession(db, async (s) => {
        lost = Number((await s.query('select pg_backend_pid() as pid')).rows[0]!.pid);
        return s.query('select pg_terminate_backend(pg_backend_pid())');
      }),
    );
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err.kind).toBe('connection');
    const next = await withSession(db, async (s) => Number((await s.query('select pg_backend_pid() as pid')).rows[0]!.pid));
    expect(next).not.toBe(lost);
  });
});

describe('workspace DDL: failure lines and the summary', () => {
  it('names each failed statement by file and line, and counts what loaded', async () => {
    const statements = [
      { file: 'schema/a.sql', line: 1, text: `create table ${schema}.ddl_lines_users (id int primary key)` },
      { file: 'schema/a.sql', line: 4, text: `create table ${schema}.ddl_lines_orders (id int, user_id int references ${schema}.missing(id))` },
      { file: 'schema/b.sql', text: `create index on ${schema}.nowhere (id)` },
    ];
    const result = await loadSchema(db, statements);
    expect(loadedSummary(result, statements)).toBe('loaded 1 of 3 DDL statements from 2 files');
    expect(result.failures.map(failureLine)).toEqual([
      `schema/a.sql:4: relation "${schema}.missing" does not exist`,
      `schema/b.sql: relation "${schema}.nowhere" does not exist`,
    ]);
    expect(loadedSummary({ loaded: 1, failures: [] }, statements.slice(0, 1))).toBe('loaded 1 of 1 DDL statements from 1 file');
  });
});

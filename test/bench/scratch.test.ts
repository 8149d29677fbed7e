/**
 * The benchmarks' scratch objects on the local PostgreSQL server (PGPERF_TEST_DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432/test): who owns a scratch schema or role (the backend recorded in its
 * comment), which leftovers the next run drops (those whose backend is gone, whatever their age) and which it
 * never touches (a live run's, also when that run's session uses another TimeZone / DateStyle), and a cleanup that
 * gives up after lock_timeout instead of hanging, naming what it left and the SQL to drop it. Checked in
 * pg_namespace / pg_roles. Other test files run benchmarks on the same server at the same time: every assertion is
 * about this file's own objects.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLEANUP_LOCK_TIMEOUT_MS,
  createScratchRole,
  createScratchSchema,
  dropLeftovers,
  dropScratch,
  leftBehindText,
  ScratchLedger,
} from '../../database/bench/scratch';
import type { Database, Session } from '../../database/connection/types';
import { openTestServer, q, sleep } from '../db/helpers';

let db: Database;
const made: string[] = [];

beforeAll(async () => {
  db = await openTestServer();
});

afterAll(async () => {
  if (!db) return;
  for (const name of made) {
    await q(db, `drop schema if exists "${name}" cascade`).catch(() => undefined);
    await q(db, `drop role if exists "${name}"`).catch(() => undefined);
  }
  await db.close();
});

function tag(): string {
  const name = `pgperf_bench_${randomBytes(5).toString('hex')}`;
  made.push(name);
  return name;
}

async function present(name: string): Promise<{ schema: boolean; role: boolean }> {
  const r = await q(
    db,
    `select exists (select 1 from pg_namespace where nspname = $1) as schema,
            exists (select 1 from pg_roles where rolname = $1) as role`,
    [name],
  );
  return r.rows[0] as { schema: boolean; role: boolean };
}

async function pidOf(s: Session): Promise<number> {
  return Number((await s.query('select pg_backend_pid() as pid')).rows[0]!.pid);
}

/** Waits until the backend `pid` has left pg_stat_activity (a closed connection's backend exits promptly). */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await q(db, 'select count(*)::int as n from pg_stat_activity where pid = $1', [pid]);
    if (r.rows[0]!.n === 0) return;
    await sleep(50);
  }
  throw new Error(`backend ${pid} is still there`);
}

/** What a run creates: the schema (with a table the role can read: the role then depends on the schema) and the role. */
async function makeRun(s: Session, name: string, ledger = new ScratchLedger()): Promise<ScratchLedger> {
  ledger.add({ kind: 'schema', name });
  await createScratchSchema(s, name, 'rls');
  ledger.add({ kind: 'role', name });
  await createScratchRole(s, name, 'rls');
  await s.query(`create table "${name}".t (id int)`);
  await s.query(`grant usage on schema "${name}" to "${name}"`);
  await s.query(`grant select on "${name}".t to "${name}"`);
  return ledger;
}

describe('leftover scratch objects', () => {
  it('records the owning backend (pid and start time) in the comments of the schema and the role', async () => {
    const name = tag();
    const s = await db.session();
    try {
      const pid = await pidOf(s);
      await makeRun(s, name);
      const r = await q(
        db,
        `select obj_description(n.oid, 'pg_namespace') as schema_note, shobj_description(r.oid, 'pg_authid') as role_note
           from pg_namespace n, pg_roles r where n.nspname = $1 and r.rolname = $1`,
        [name],
      );
      for (const note of [r.rows[0]!.schema_note, r.rows[0]!.role_note]) {
        const c = JSON.parse(String(note)) as Record<string, unknown>;
        expect(c).toMatchObject({ tool: 'pgperf', bench: 'rls', pid });
        expect(String(c.backendStart)).toMatch(/^\d+(\.\d+)?$/); // epoch seconds: the same text whatever the session's TimeZone
      }
    } finally {
      await s.release(true);
    }
  });

  it('drops the schema and the role of a run whose backend is gone, however recent', async () => {
    const name = tag();
    const s = await db.session();
    const pid = await pidOf(s);
    await makeRun(s, name);
    await s.release(true); // the connection closes, as when the process is killed
    await gone(pid);
    expect(await present(name)).toEqual({ schema: true, role: true });
    await dropLeftovers(db);
    expect(await present(name)).toEqual({ schema: false, role: false });
  });

  it('never touches the objects of a live run, also when that session uses another TimeZone and DateStyle', async () => {
    const name = tag();
    const s = await db.session();
    try {
      await s.query(`set timezone = 'Pacific/Chatham'`);
      await s.query(`set datestyle = 'SQL, DMY'`);
      await makeRun(s, name);
      await dropLeftovers(db);
      expect(await present(name)).toEqual({ schema: true, role: true });
    } finally {
      const pid = await pidOf(s);
      await s.release(true);
      await gone(pid);
    }
    await dropLeftovers(db);
    expect(await present(name)).toEqual({ schema: false, role: false });
  });

  it('drops a role of an older pgperf (a comment without a backend) only when older than an hour', async () => {
    const old = tag();
    const fresh = tag();
    await q(db, `create role "${old}" nologin`);
    await q(db, `comment on role "${old}" is 'pgperf RLS benchmark role, created 2020-01-01T00:00:00.000Z; safe to drop'`);
    await q(db, `create role "${fresh}" nologin`);
    await q(db, `comment on role "${fresh}" is 'pgperf RLS benchmark role, created ${new Date().toISOString()}; safe to drop'`);
    await dropLeftovers(db);
    expect(await present(old)).toEqual({ schema: false, role: false });
    expect(await present(fresh)).toEqual({ schema: false, role: true });
  });

  it('leaves a pgperf_bench_ schema or role without pgperf comment alone', async () => {
    const name = tag();
    await q(db, `create schema "${name}"`);
    await q(db, `create role "${name}" nologin`);
    await dropLeftovers(db);
    expect(await present(name)).toEqual({ schema: true, role: true });
  });
});

describe('cleanup with a lock held on a scratch table', () => {
  it(`gives up after lock_timeout (${CLEANUP_LOCK_TIMEOUT_MS} ms), names what it left and how to drop it; a later cleanup drops it`, async () => {
    const name = tag();
    const s = await db.session();
    const ledger = await makeRun(s, name);
    const locker = await db.session();
    try {
      await locker.query('begin');
      await locker.query(`lock table "${name}".t in access exclusive mode`);
      const t0 = Date.now();
      const left = await dropScratch(db, s, ledger);
      const ms = Date.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(CLEANUP_LOCK_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(CLEANUP_LOCK_TIMEOUT_MS + 3000);
      expect(left.map((l) => l.object)).toEqual([
        { kind: 'schema', name },
        { kind: 'role', name },
      ]);
      expect(left[0]!.reason).toMatch(/lock/);
      expect(left[1]!.reason).toMatch(/depend/);
      expect(ledger.remaining()).toEqual(left.map((l) => l.object));
      const text = leftBehindText(left);
      expect(text).toContain(`schema ${name}`);
      expect(text).toContain(`role ${name}`);
      expect(text).toContain(`DROP SCHEMA IF EXISTS "${name}" CASCADE;`);
      expect(text).toContain(`DROP ROLE IF EXISTS "${name}";`);
      expect(await present(name)).toEqual({ schema: true, role: true });
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.release();
    }
    expect(await dropScratch(db, undefined, ledger)).toEqual([]);
    expect(ledger.remaining()).toEqual([]);
    expect(await present(name)).toEqual({ schema: false, role: false });
  }, 20_000);

  it("tries a drop once more when a stray cancel (the abort's, sent late) lands on it", async () => {
    const name = tag();
    const s = await db.session();
    const pid = await pidOf(s);
    const ledger = await makeRun(s, name);
    const locker = await db.session();
    const waiting = async () =>
      (await q(db, `select query_start::text as t from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'`, [pid])).rows[0]?.t as string | undefined;
    try {
      await locker.query('begin');
      await locker.query(`lock table "${name}".t in access exclusive mode`);
      const dropping = dropScratch(db, s, ledger);
      await expect.poll(waiting, { interval: 20 }).toBeDefined();
      const first = await waiting();
      await q(db, 'select pg_cancel_backend($1)', [pid]);
      // the drop was cancelled and is waiting again, as a new statement
      await expect
        .poll(
          async () => {
            const t = await waiting();
            return t !== undefined && t !== first;
          },
          { interval: 20 },
        )
        .toBe(true);
      await locker.query('rollback');
      expect(await dropping).toEqual([]);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.release();
    }
    expect(await present(name)).toEqual({ schema: false, role: false });
  }, 20_000);

  it('the leftover sweep skips a leftover it cannot lock rather than waiting for it', async () => {
    const name = tag();
    const s = await db.session();
    const pid = await pidOf(s);
    await makeRun(s, name);
    await s.release(true);
    await gone(pid);
    const locker = await db.session();
    try {
      await locker.query('begin');
      await locker.query(`lock table "${name}".t in access exclusive mode`);
      const t0 = Date.now();
      await dropLeftovers(db);
      expect(Date.now() - t0).toBeLessThan(CLEANUP_LOCK_TIMEOUT_MS + 3000);
      expect(await present(name)).toEqual({ schema: true, role: true });
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.release();
    }
    await dropLeftovers(db);
    expect(await present(name)).toEqual({ schema: false, role: false });
  }, 20_000);
});

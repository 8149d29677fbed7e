/**
 * The start snapshot of in-memory embedded databases (database/connection/snapshot.ts), on the real PGlite: made once
 * and reused, never carrying a session's writes, rebuilt when damaged, whole when two databases start at once.
 * Each test has a cache folder of its own. Needs dist/pglite-worker.js (`node build.mjs`).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbedded, type EmbeddedDatabase } from '../../database/connection/embedded';
import { q } from './helpers';

let cache: string;
const opened: EmbeddedDatabase[] = [];

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'pgperf-snapshot-'));
});

afterEach(async () => {
  for (const d of opened.splice(0)) await d.close();
  rmSync(cache, { recursive: true, force: true });
});

async function open(): Promise<EmbeddedDatabase> {
  const d = await openEmbedded({ snapshotDir: cache });
  opened.push(d);
  return d;
}

/** The snapshot files of the cache folder (no temporary file may be left). */
function files(): string[] {
  return readdirSync(cache).sort();
}

function hashOf(name: string): string {
  return createHash('sha256')
    .update(readFileSync(join(cache, name)))
    .digest('hex');
}

describe('the start snapshot of the embedded database', () => {
  it('is made by the first start and reused, unchanged, by the next', async () => {
    const first = await open();
    expect(first.startedFrom).toEqual({ from: 'initdb', snapshot: 'created' });
    const [name, ...more] = files();
    expect(more).toEqual([]);
    expect(name).toMatch(/^pglite-[\d.]+-pgvector-[\d.]+-pgperf-[\d.]+-f\d+\.snapshot$/);
    const before = hashOf(name!);
    const second = await open();
    expect(second.startedFrom).toEqual({ from: 'snapshot' });
    // The same database as initdb's: pgvector installs, the settings are the data directory's.
    expect((await q(second, 'create extension vector; select extversion from pg_extension where extname = $$vector$$')).rows).toEqual([
      { extversion: expect.stringMatching(/^\d+\.\d+/) },
    ]);
    expect((await q(second, 'select count(*)::int as n from pg_database')).rows).toEqual((await q(first, 'select count(*)::int as n from pg_database')).rows);
    expect(files()).toEqual([name]);
    expect(hashOf(name!)).toBe(before);
  }, 120_000);

  it('never carries a session’s DDL or data into the next database', async () => {
    const first = await open();
    const [name] = files();
    const before = hashOf(name!);
    await q(first, 'create table leaked (a int); insert into leaked values (1); create extension vector; create role leaker');
    const s = await first.session();
    await s.query('begin');
    await s.query('create table uncommitted (a int)');
    await s.release();
    await first.close();
    const next = await open();
    expect(next.startedFrom).toEqual({ from: 'snapshot' });
    expect((await q(next, "select to_regclass('leaked') as t, (select count(*)::int from pg_extension where extname = 'vector') as ext")).rows).toEqual([
      { t: null, ext: 0 },
    ]);
    expect((await q(next, "select count(*)::int as n from pg_roles where rolname = 'leaker'")).rows).toEqual([{ n: 0 }]);
    expect(hashOf(name!)).toBe(before);
  }, 120_000);

  it('starts a restarted worker (after a timeout) from the snapshot, empty again', async () => {
    const d = await open();
    await q(d, 'create table gone (a int)');
    const s = await d.session();
    await s.query('set statement_timeout = 300');
    await expect(s.query('select count(*) from generate_series(1, 500000000)')).rejects.toMatchObject({ kind: 'timeout' });
    await s.release();
    expect((await q(d, "select to_regclass('gone') as t")).rows).toEqual([{ t: null }]);
    expect(d.startedFrom).toEqual({ from: 'snapshot' });
  }, 120_000);

  it('rebuilds a truncated snapshot, one with a bad hash and one PostgreSQL cannot start from', async () => {
    await (await open()).close();
    const [name] = files();
    const path = join(cache, name!);
    const good = readFileSync(path);
    const damage: [string, () => void][] = [
      ['truncated', () => truncateSync(path, Math.floor(good.length / 2))],
      ['empty', () => writeFileSync(path, '')],
      [
        'a changed byte',
        () => {
          const bad = Buffer.from(good);
          bad[bad.length - 1000] = bad[bad.length - 1000]! ^ 0xff;
          writeFileSync(path, bad);
        },
      ],
      [
        'a well-formed file that is not a data directory',
        () => {
          const junk = Buffer.alloc(4096, 7);
          const header = Buffer.alloc(128, ' ');
          header.write(`pgperf-snapshot ${junk.length} ${createHash('sha256').update(junk).digest('hex')}`, 'latin1');
          header[127] = 0x0a;
          writeFileSync(path, Buffer.concat([header, junk]));
        },
      ],
    ];
    for (const [what, spoil] of damage) {
      spoil();
      const d = await open();
      expect(d.startedFrom, what).toEqual({ from: 'initdb', snapshot: 'rebuilt' });
      expect((await q(d, 'select 1 as x')).rows).toEqual([{ x: 1 }]);
      await d.close();
      expect(files(), what).toEqual([name]);
      expect(statSync(path).size, what).toBe(good.length);
      const again = await open();
      expect(again.startedFrom, what).toEqual({ from: 'snapshot' });
      await again.close();
    }
  }, 300_000);

  it('is written whole when two databases start at once with an empty cache', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    // Each ran initdb (neither found a snapshot) or one found the other's: both work, one file is left, no temporary.
    for (const d of [a, b]) expect(d.startedFrom?.from === 'initdb' || d.startedFrom?.from === 'snapshot').toBe(true);
    expect((await q(a, 'select 1 as x')).rows).toEqual([{ x: 1 }]);
    expect((await q(b, 'select 2 as x')).rows).toEqual([{ x: 2 }]);
    expect(files()).toHaveLength(1);
    expect(files()[0]).toMatch(/\.snapshot$/);
    const c = await open();
    expect(c.startedFrom).toEqual({ from: 'snapshot' });
  }, 120_000);

  it('runs initdb and caches nothing with snapshotDir false or a folder others may write to', async () => {
    const none = await openEmbedded({ snapshotDir: false });
    opened.push(none);
    expect(none.startedFrom).toEqual({ from: 'initdb', snapshot: 'none' });
    const shared = join(cache, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const d = await openEmbedded({ snapshotDir: shared });
    opened.push(d);
    expect(d.startedFrom).toEqual({ from: 'initdb', snapshot: `not saved: ${shared} is writable by other users` });
    expect(readdirSync(shared)).toEqual([]);
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { databaseFromEnv, targetFromEnv } from '../../database/connection/env';
import { DatabaseError } from '../../database/connection/types';
import { q, TEST_URL, thrownBy } from './helpers';

describe('database from the environment', () => {
  it('is undefined when nothing names a database', () => {
    expect(targetFromEnv({})).toBeUndefined();
    expect(targetFromEnv({ PGPASSWORD: 'x', PGSSLMODE: 'require', HOME: '/root' })).toBeUndefined();
    expect(databaseFromEnv({ DATABASE_URL: '' })).toBeUndefined();
  });

  it('uses DATABASE_URL, completed by PGPASSWORD/PGSSLMODE', () => {
    expect(targetFromEnv({ DATABASE_URL: 'postgres://app:pw@db.example.com:6432/shop', PGHOST: 'ignored' })).toEqual({
      source: 'DATABASE_URL',
      config: { host: 'db.example.com', port: 6432, database: 'shop', user: 'app', password: 'pw' },
      label: 'db.example.com:6432/shop',
    });
    expect(targetFromEnv({ DATABASE_URL: 'postgres://app@db/shop', PGPASSWORD: 'pw', PGSSLMODE: 'require' })).toMatchObject({
      config: { password: 'pw' },
      sslmode: 'require',
    });
  });

  it('uses the PG* variables with libpq defaults', () => {
    expect(targetFromEnv({ PGHOST: 'h', PGPORT: '5433', PGDATABASE: 'd', PGUSER: 'u', PGPASSWORD: 'p', PGSSLMODE: 'verify-full' })).toEqual({
      source: 'PG*',
      config: { host: 'h', port: 5433, database: 'd', user: 'u', password: 'p' },
      sslmode: 'verify-full',
      label: 'h:5433/d',
    });
    // database defaults to the user, host to localhost
    expect(targetFromEnv({ PGUSER: 'alice' })).toEqual({
      source: 'PG*',
      config: { host: 'localhost', port: 5432, database: 'alice', user: 'alice' },
      label: 'localhost:5432/alice',
    });
  });

  it('rejects bad values clearly', () => {
    expect(() => targetFromEnv({ PGPORT: 'abc' })).toThrow(/PGPORT="abc"/);
    expect(() => targetFromEnv({ PGPORT: '0' })).toThrow(/PGPORT="0"/);
    expect(() => targetFromEnv({ PGPORT: '70000' })).toThrow(/PGPORT="70000"/);
    expect(() => targetFromEnv({ PGHOST: 'h', PGSSLMODE: 'maybe' })).toThrow(/PGSSLMODE="maybe"/);
    expect(() => targetFromEnv({ DATABASE_URL: TEST_URL, PGSSLMODE: 'maybe' })).toThrow(/PGSSLMODE="maybe"/);
    expect(() => targetFromEnv({ DATABASE_URL: 'not a url' })).toThrow(/^DATABASE_URL is not a postgres:\/\/ URL/);
    expect(() => databaseFromEnv({ DATABASE_URL: 'postgres://x:y@127.0.0.1:notaport/db' })).toThrow(/^DATABASE_URL: port "notaport" is not a number/);
  });

  it('names no part of the user-info of a DATABASE_URL that does not parse cleanly', () => {
    for (const url of ['postgres://admin:2024/Secret@127.0.0.1:5432/test', 'postgres://admin:2024?Secret@127.0.0.1:5432/test']) {
      for (const env of [{ DATABASE_URL: url }, { DATABASE_URL: url, PGPASSWORD: 'pw' }]) {
        for (const attempt of [() => targetFromEnv(env), () => databaseFromEnv(env)]) {
          const err = thrownBy(attempt);
          expect(err).toBeInstanceOf(DatabaseError);
          expect((err as Error).message).toMatch(/^DATABASE_URL: .*percent-encode/);
          for (const secret of ['admin', '2024', 'Secret']) expect((err as Error).message).not.toContain(secret);
        }
      }
    }
    // well-formed, with the "/" encoded: the label has no user-info
    expect(targetFromEnv({ DATABASE_URL: 'postgres://admin:2024%2FSecret@127.0.0.1:5432/test' })).toMatchObject({
      label: '127.0.0.1:5432/test',
      config: { user: 'admin', password: '2024/Secret' },
    });
    expect(databaseFromEnv({ DATABASE_URL: 'postgres://admin:2024%2FSecret@127.0.0.1:5432/test' })!.label).toBe('127.0.0.1:5432/test');
  });

  it('connects to the test server through DATABASE_URL and through PG*', async () => {
    const viaUrl = databaseFromEnv({ DATABASE_URL: TEST_URL })!;
    try {
      expect(viaUrl.kind).toBe('postgres');
      expect((await q(viaUrl, 'select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await viaUrl.close();
    }
    const u = new URL(TEST_URL);
    const viaPg = databaseFromEnv({
      PGHOST: u.hostname,
      PGPORT: u.port || '5432',
      PGDATABASE: u.pathname.slice(1),
      PGUSER: decodeURIComponent(u.username || 'postgres'),
      ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}),
      PGSSLMODE: 'prefer',
    })!;
    try {
      expect(viaPg.label).toBe(`${u.hostname}:${u.port || '5432'}/${u.pathname.slice(1)}`);
      expect((await q(viaPg, 'select current_database() as d')).rows).toEqual([{ d: u.pathname.slice(1) }]);
    } finally {
      await viaPg.close();
    }
  });
});

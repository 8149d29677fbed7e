import { describe, expect, it } from 'vitest';
import { databaseFromEnv, targetFromEnv } from '../../client/src/db/env';
import { q, TEST_URL } from './helpers';

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
    expect(() => targetFromEnv({ PGHOST: 'h', PGSSLMODE: 'maybe' })).toThrow(/PGSSLMODE="maybe"/);
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

import { describe, expect, it } from 'vitest';
import { connectionConfig, PASSWORD_IN_SETTINGS_MESSAGE, validateProfiles } from '../../database/connection/profiles';

const good = { name: 'prod', host: 'db.example.com', port: 5433, database: 'app', user: 'me', sslmode: 'require' };

describe('connection profiles', () => {
  it('accepts valid items', () => {
    const r = validateProfiles([good, { name: 'local', host: '127.0.0.1', database: 'test', user: 'postgres' }]);
    expect(r.problems).toEqual([]);
    expect(r.profiles.map((p) => p.name)).toEqual(['prod', 'local']);
  });

  it('treats an absent setting as no profiles', () => {
    expect(validateProfiles(undefined)).toEqual({ profiles: [], problems: [] });
    expect(validateProfiles('nope').problems).toEqual([{ index: -1, path: 'pgperf.connections', message: 'expected an array of connection profiles' }]);
  });

  it('rejects an item with a password, with a clear message, and keeps the others', () => {
    const r = validateProfiles([
      { ...good, password: 'hunter2' },
      { ...good, name: 'other' },
    ]);
    expect(r.profiles.map((p) => p.name)).toEqual(['other']);
    expect(r.problems).toEqual([{ index: 0, name: 'prod', path: 'pgperf.connections[0].password', message: PASSWORD_IN_SETTINGS_MESSAGE }]);
    expect(PASSWORD_IN_SETTINGS_MESSAGE).toContain('SecretStorage');
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('reports per-item problems with their paths', () => {
    const r = validateProfiles([
      { ...good, port: 70000 },
      { ...good, name: 'b', sslmode: 'sometimes' },
      { name: 'c', host: 'h', user: 'u' },
      { ...good, name: 'd', host: 'postgres://u:p@h/db' },
      42,
      { ...good, name: 'e', statementTimeoutMs: -1 },
    ]);
    expect(r.profiles).toEqual([]);
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual([
      'pgperf.connections[0].port',
      'pgperf.connections[1].sslmode',
      'pgperf.connections[2].database',
      'pgperf.connections[3].host',
      'pgperf.connections[4]',
      'pgperf.connections[5].statementTimeoutMs',
    ]);
    expect(r.problems[3]!.message).toContain('connection URL');
    expect(r.problems[1]!.name).toBe('b');
  });

  it('reports unknown fields and duplicate names', () => {
    const r = validateProfiles([{ ...good, sslMode: 'require' }, { ...good }]);
    expect(r.profiles).toHaveLength(1);
    expect(r.problems).toEqual([
      { index: 0, name: 'prod', path: 'pgperf.connections[0].sslMode', message: 'unknown field "sslMode" (ignored)' },
      { index: 1, name: 'prod', path: 'pgperf.connections[1].name', message: 'duplicate connection name "prod" (the first one is used)' },
    ]);
  });

  it('builds the pg configuration', () => {
    const [p] = validateProfiles([{ ...good, statementTimeoutMs: 5000, applicationName: 'me-app', poolSize: 2 }]).profiles;
    expect(connectionConfig(p!, 'pw')).toEqual({
      host: 'db.example.com',
      port: 5433,
      database: 'app',
      user: 'me',
      password: 'pw',
      ssl: { rejectUnauthorized: false },
      application_name: 'me-app',
      statement_timeout: 5000,
      max: 2,
    });
    // 0 = no statement_timeout: sent explicitly (pg leaves a 0 out, and the server's default would apply)
    const [none] = validateProfiles([{ ...good, statementTimeoutMs: 0 }]).profiles;
    const noneConfig = connectionConfig(none!);
    expect(noneConfig.options).toBe('-c statement_timeout=0');
    expect(noneConfig).not.toHaveProperty('statement_timeout');
    const [local] = validateProfiles([{ name: 'l', host: 'localhost', database: 'd', user: 'u', sslmode: 'verify-full' }]).profiles;
    expect(connectionConfig(local!)).toEqual({
      host: 'localhost',
      port: 5432,
      database: 'd',
      user: 'u',
      ssl: { rejectUnauthorized: true },
      application_name: 'pgperf',
      max: 4,
    });
  });
});

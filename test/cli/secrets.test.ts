/**
 * `pgperf explain` (the built CLI in a child process) with a DATABASE_URL whose password does not parse cleanly —
 * a "/", "?" or "#" left unencoded, so that a URL parser takes "2024" for the port and "Secret@host…" for the path,
 * query or fragment — must print no part of the URL's user-info, only a clear one-line error (bad usage: exit 2,
 * before any connection); with the password percent-encoded a refused server is a database error (exit 1), and a
 * server that answers is reached and still none of it is printed. (The bench commands are covered in bench.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_URL } from '../db/helpers';
import { run } from './spawn-cli';

const SECRETS = ['admin', '2024', 'Secret'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-secrets-'));
});

describe('pgperf explain never prints the user-info of DATABASE_URL', () => {
  it.each([
    'postgres://admin:2024/Secret@127.0.0.1:5432/test',
    'postgres://admin:2024?Secret@127.0.0.1:5432/test',
    'postgres://admin:2024#Secret@127.0.0.1:5432/test',
    'postgres://admin:2024Secret@127.0.0.1:notaport/test',
  ])('DATABASE_URL=%s: one clear error line, exit 2, none of the user-info', async (url) => {
    const r = await run(['explain', 'select 1'], dir, { DATABASE_URL: url });
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^pgperf: DATABASE_URL: [^\n]*\n$/);
    expect(r.err).not.toMatch(/^\s+at /m);
    for (const secret of SECRETS) expect(r.out + r.err).not.toContain(secret);
  });

  it('with the "/" percent-encoded: a refused server is named by host:port/database only', async () => {
    const r = await run(['explain', 'select 1'], dir, { DATABASE_URL: 'postgres://admin:2024%2FSecret@127.0.0.1:1/test' });
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain('cannot reach 127.0.0.1:1/test');
    for (const secret of SECRETS) expect(r.out + r.err).not.toContain(secret);
  });

  it('with the "/" percent-encoded: it connects (trust auth) and prints the plan, not the password', async () => {
    const u = new URL(TEST_URL);
    const url = `postgres://${u.username || 'postgres'}:2024%2FSecret@${u.host}${u.pathname}`;
    const r = await run(['explain', 'select 1'], dir, { DATABASE_URL: url });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`database: ${u.host}${u.pathname}`);
    for (const secret of ['2024', 'Secret']) expect(r.out + r.err).not.toContain(secret);
  });
});

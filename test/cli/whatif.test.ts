/**
 * `pgperf whatif` as a user runs it (the built bundle, a child process) against the real PostgreSQL of the test
 * environment (PGPERF_TEST_DATABASE_URL; unreachable fails, never skips), in a scratch database of its own: without
 * a server a one-line usage error; without the extension how to get it; with it the cost before → after per case,
 * as text and JSON, and no password in any output.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openPostgres } from '../../database/connection/postgres';
import { quoteIdent } from '../../database/connection/quote';
import type { Database } from '../../database/connection/types';
import { openTestServer, q, TEST_URL } from '../db/helpers';
import { run, type Run } from './spawn-cli';

const dbName = `pgperf_whatif_cli_${process.pid}_${randomBytes(4).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
let admin: Database;
let db: Database;
let dir: string;

/** The scratch database's URL, with a password the server (trust) ignores and no output may show. */
function url(): string {
  const u = new URL(TEST_URL);
  u.pathname = `/${dbName}`;
  u.password = PASSWORD;
  if (!u.username) u.username = 'postgres';
  return u.toString();
}

beforeAll(async () => {
  admin = await openTestServer();
  await q(admin, `CREATE DATABASE ${quoteIdent(dbName)}`);
  const u = new URL(TEST_URL);
  u.pathname = `/${dbName}`;
  db = openPostgres(u.toString());
  await q(db, 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL)');
  await q(db, `INSERT INTO orders SELECT g, g % 5000, now() - g * interval '1 minute' FROM generate_series(1, 100000) g`);
  await q(db, 'ANALYZE orders');
  dir = mkdtempSync(join(tmpdir(), 'pgperf-whatif-cli-'));
  writeFileSync(
    join(dir, 'queries.sql'),
    'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL);\n' +
      'SELECT id, created_at FROM orders WHERE customer_id = $1;\n' +
      'BEGIN;\nDELETE FROM orders WHERE customer_id = $1;\nCOMMIT;\n',
  );
}, 60_000);

afterAll(async () => {
  await db?.close().catch(() => undefined);
  if (admin) {
    await q(admin, `DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
    await admin.close();
  }
});

function expectNoSecret(r: Run): void {
  expect(r.out + r.err).not.toContain(PASSWORD);
  expect(r.err).not.toMatch(/^\s+at /m);
}

const jsonShape = z
  .object({
    schema: z.literal('pgperf-whatif/1'),
    database: z.object({ label: z.string(), serverVersion: z.string() }).strict(),
    hypopg: z.object({ version: z.string(), schema: z.string() }).strict(),
    cases: z.array(
      z
        .object({
          file: z.string(),
          line: z.number(),
          rule: z.string(),
          message: z.string(),
          index: z.string(),
          query: z.string(),
          status: z.enum(['measured', 'failed']),
          costBefore: z.number().nullable(),
          costAfter: z.number().nullable(),
          ratio: z.number().nullable(),
          usesIndex: z.boolean().nullable(),
          hypotheticalIndex: z.string().nullable(),
          reason: z.string().optional(),
        })
        .strict(),
    ),
    skipped: z.array(z.object({ file: z.string(), line: z.number(), rule: z.string(), reason: z.string() }).strict()),
  })
  .strict();

describe('pgperf whatif', () => {
  it('--help: its usage, exit 0', async () => {
    const r = await run(['whatif', '--help'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('pgperf whatif [paths…] [--format text|json] [--config file] [--timeout MS]');
    expect(r.out).not.toContain('pgperf health');
  });

  it('without a server: what-if needs PostgreSQL with HypoPG, one line, exit 2', async () => {
    const r = await run(['whatif'], dir);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^pgperf: [^\n]+\n$/);
    expect(r.err).toContain('need a PostgreSQL server with the HypoPG extension; the embedded database (PGlite) has no hypopg');
    expectNoSecret(r);
  });

  it('a server without the extension: CREATE EXTENSION hypopg, exit 2, nothing created', async () => {
    const r = await run(['whatif'], dir, { DATABASE_URL: url() });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('pgperf: the HypoPG extension is installed on the server but not created in this database: run CREATE EXTENSION hypopg');
    expectNoSecret(r);
    expect((await q(db, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'hypopg'`)).rows[0].n).toBe(0);
  });

  describe('with the extension', () => {
    beforeAll(async () => {
      await q(db, 'CREATE EXTENSION IF NOT EXISTS hypopg');
    });

    it('text: file:line, rule, index, cost before → after, whether the plan uses it; the BEGIN block skipped', async () => {
      const r = await run(['whatif'], dir, { DATABASE_URL: url() });
      console.log(r.out);
      expect(r.code, r.err).toBe(0);
      expectNoSecret(r);
      expect(r.out).toMatch(/^what-if indexes with HypoPG 1\.3\.1 on .*: 1 case, 1 measured; planner costs, nothing built$/m);
      expect(r.out).toContain('queries.sql:2  missing-index\n  CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id)\n');
      expect(r.out).toMatch(/ {2}cost \d+\.\d\d → \d+\.\d\d \(×0\.0\d+, 9\d% less\); the plan uses the hypothetical index\n/);
      expect(r.out).toMatch(/skipped \(1\):\n {2}queries\.sql:4 {2}missing-index: the finding carries no fix/);
    });

    it('--format json: the costs as numbers, the hypothetical index in the plan', async () => {
      const r = await run(['whatif', '--format', 'json', 'queries.sql'], dir, { DATABASE_URL: url() });
      expect(r.code, r.err).toBe(0);
      expectNoSecret(r);
      const report = jsonShape.parse(JSON.parse(r.out));
      expect(report.cases).toHaveLength(1);
      const c = report.cases[0];
      expect(c).toMatchObject({ file: 'queries.sql', line: 2, rule: 'missing-index', status: 'measured', usesIndex: true });
      expect(c.costAfter!).toBeLessThan(c.costBefore!);
      expect(c.ratio).toBeCloseTo(c.costAfter! / c.costBefore!, 10);
      expect(c.hypotheticalIndex).toMatch(/^<\d+>btree_orders_customer_id$/);
      expect(report.skipped).toEqual([expect.objectContaining({ line: 4, rule: 'missing-index' })]);
      // Nothing built: the table still has its primary key's index only.
      expect((await q(db, `SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'orders'::regclass`)).rows[0].n).toBe(1);
    });

    it('a bad --format or --timeout is a usage error', async () => {
      const r = await run(['whatif', '--format', 'xml'], dir, { DATABASE_URL: url() });
      expect(r.code).toBe(2);
      expect(r.err).toBe('pgperf: unknown format "xml" (text or json)\n');
      const t = await run(['whatif', '--timeout', 'soon'], dir, { DATABASE_URL: url() });
      expect(t.code).toBe(2);
      expect(t.err).toContain('--timeout needs a number of milliseconds');
    });
  });
});

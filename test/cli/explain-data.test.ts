/**
 * `pgperf explain --data N` and `pgperf data`, run as a user runs them (the built CLI in a child process, the
 * embedded PGlite database): the plan is over loaded rows, stderr says the data is synthetic and what was loaded,
 * the seed decides the rows, and bad values are one-line usage errors before anything loads.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, type Run } from './spawn-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-data-'));
  writeFileSync(
    join(dir, 'schema.sql'),
    [
      'CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);',
      'CREATE TABLE items (id int PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, qty int NOT NULL CHECK (qty BETWEEN 0 AND 100), note text);',
    ].join('\n'),
  );
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

function nodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(nodes)];
}

function seqScanRows(r: Run): number {
  expect(r.code, r.err).toBe(0);
  const j = JSON.parse(r.out) as { plan: { Plan: PlanNode }[] };
  const scan = nodes(j.plan[0]!.Plan).find((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'items');
  expect(scan, r.out).toBeDefined();
  return scan!['Actual Rows']!;
}

const QUERY = 'SELECT * FROM items WHERE qty < 50';
const explain = (...extra: string[]) => run(['explain', '--analyze', '--format', 'json', ...extra, QUERY], dir);

function expectUsageError(r: Run, message: string): void {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.err).toMatch(/^pgperf: [^\n]+\n$/);
  expect(r.err).toContain(message);
}

describe('pgperf explain --data', () => {
  it('plans over the loaded rows, and stderr says they are synthetic, per table, with the time', async () => {
    const r = await explain('--data', '1000');
    const rows = seqScanRows(r);
    // qty is uniform over 0..100 within its CHECK: about half the rows pass.
    expect(rows).toBeGreaterThan(300);
    expect(rows).toBeLessThan(700);
    expect(r.err).toMatch(/loaded synthetic data \(seed 1, generated values, not your data\): [\d,]+ rows in 2 tables in \d+\.\d s/);
    expect(r.err).toContain('public.items: 1,000 rows');
    expect(r.err).toMatch(/public\.tenants: \d+ rows/);
  }, 120_000);

  it('without --data the same query scans an empty table', async () => {
    const r = await explain();
    expect(seqScanRows(r)).toBe(0);
    expect(r.err).not.toContain('synthetic');
  }, 120_000);

  it('the same seed gives the same rows; another seed other rows', async () => {
    const [a, b, c] = await Promise.all([
      explain('--data', '1000', '--seed', '7'),
      explain('--data', '1000', '--seed', '7'),
      explain('--data', '1000', '--seed', '8'),
    ]);
    expect(seqScanRows(a)).toBe(seqScanRows(b));
    expect(seqScanRows(c)).not.toBe(seqScanRows(a));
    expect(a.err).toContain('seed 7');
  }, 180_000);

  it.each([
    [['--data', '0'], '--data needs a number of rows per table from 1 to 10,000,000, not "0"'],
    [['--data', 'many'], 'not "many"'],
    [['--data=-5'], 'not "-5"'],
    [['--data', '20000000'], 'not "20000000"'],
    [['--seed', '3'], '--seed needs --data'],
    [['--data', '10', '--seed', '1x'], '--seed needs a whole number from 0 to 4294967295, not "1x"'],
  ])('%j is a usage error', async (args, message) => {
    expectUsageError(await run(['explain', ...args, QUERY], dir), message);
  });

  it('refuses a server: the rows would stay in its tables', async () => {
    const r = await run(['explain', '--data', '10', QUERY], dir, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expectUsageError(r, '--data fills the embedded database only');
  });
});

describe('pgperf data', () => {
  it('fills the embedded database with the folder schema and reports the rows as JSON', async () => {
    const r = await run(['data', '--rows', '2000', '--seed', '3', '--format', 'json'], dir);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { seed: number; rows: number; rowsPerSecond: number; filled: { name: string; rows: number }[]; unfilled: unknown[] };
    expect(j.seed).toBe(3);
    expect(j.unfilled).toEqual([]);
    expect(j.filled.find((t) => t.name === 'items')?.rows).toBe(2000);
    expect(j.rows).toBe(j.filled.reduce((s, t) => s + t.rows, 0));
    expect(j.rowsPerSecond).toBeGreaterThan(0);
    expect(r.err).toContain('synthetic data');
  }, 120_000);

  it('needs --yes for a server, and checks --rows', async () => {
    expectUsageError(await run(['data'], dir, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }), 'pass --yes');
    expectUsageError(await run(['data', '--rows', '1.5'], dir), '--rows needs a number of rows per table');
  });
});

/**
 * `pgperf explain --compare-fix FILE:LINE`, run as a user runs it (the built CLI in a child process, the embedded
 * database with synthetic rows): both plans, the speed-up, rows read, what changed; and one-line usage errors for
 * a target it cannot compare, before anything loads.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, type Run } from './spawn-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-compare-'));
  writeFileSync(
    join(dir, 'schema.sql'),
    [
      'CREATE TABLE sessions (',
      '    session_id uuid PRIMARY KEY,',
      '    tenant_id  text NOT NULL,',
      "    status     text NOT NULL CHECK (status IN ('active', 'idle', 'expired', 'closed')),",
      '    created_at timestamptz NOT NULL',
      ');',
      'CREATE INDEX sessions_status_idx ON sessions (status);',
      'CREATE TABLE audit (id bigint PRIMARY KEY, note text NOT NULL);',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'queries.sql'),
    [
      'SELECT * FROM sessions',
      'WHERE tenant_id = $1',
      'ORDER BY created_at DESC',
      'LIMIT 50 OFFSET $2;',
      '',
      'SELECT session_id, status',
      'FROM sessions',
      "WHERE status = 'active' OR status = 'idle' OR status = 'expired';",
    ].join('\n'),
  );
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'migrations', '002_index.sql'), 'CREATE INDEX sessions_status_created_idx ON sessions (status, created_at);\n');
});

interface Side {
  sql: string;
  params: unknown[];
  medianMs: number;
  rowsScanned: number;
  executionMs: number[];
}
interface Output {
  rule: string;
  at: string;
  setup: string[];
  before: Side;
  after: Side;
  speedup: number;
  changes: string[];
  notes: string[];
}

const compare = (target: string, ...extra: string[]) => run(['explain', '--compare-fix', target, '--data', '20000', '--format', 'json', ...extra], dir);

function json(r: Run): Output {
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Output;
}

function expectUsageError(r: Run, message: string | RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.err).toMatch(/^pgperf: [^\n]+\n$/);
  expect(r.err).toMatch(message);
}

describe('pgperf explain --compare-fix', () => {
  it('a missing index: the index is built inside the fixed run, which reads fewer rows', async () => {
    const o = json(await compare('queries.sql:1', '--param', 'tenant_0001', '--param', '1000'));
    expect(o.rule).toBe('missing-index');
    expect(o.at).toBe('queries.sql:1');
    expect(o.setup).toEqual(['CREATE INDEX sessions_tenant_id_created_at_idx ON sessions (tenant_id, created_at)']);
    expect(o.changes.join('\n')).toMatch(/Seq Scan on sessions → Index Scan.*sessions_tenant_id_created_at_idx/);
    expect(o.after.rowsScanned).toBeLessThan(o.before.rowsScanned);
    expect(o.before.executionMs).toHaveLength(3);
    expect(o.speedup).toBeGreaterThan(0);
  }, 120_000);

  it('--data fills the tables the statement reads (and those they reference), not the others', async () => {
    const r = await compare('queries.sql:8');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('pgperf: synthetic data for the tables the statement reads and those they reference: public.sessions\n');
    expect(r.err).toMatch(/loaded synthetic data \(seed 1, generated values, not your data\): 20,000 rows in 1 table in/);
    expect(r.err).toContain('pgperf:   public.sessions: 20,000 rows\n');
    expect(r.err).not.toContain('public.audit');
  }, 120_000);

  it('keyset pagination: the last row before offset 1,000 read from the data, the same page', async () => {
    const o = json(await compare('queries.sql:4', '--param', 'tenant_0001', '--param', '1000', '--runs', '1'));
    expect(o.rule).toBe('offset-pagination');
    expect(o.after.sql).toContain('created_at < $2');
    expect(o.after.params[0]).toBe('tenant_0001');
    expect(String(o.after.params[1])).toMatch(/^\d{4}-\d\d-\d\d /);
    expect(o.notes.join('\n')).toContain('both return the same 50 rows');
    // No index on (tenant_id, created_at) in this schema: both sides read the whole table.
    expect(o.after.rowsScanned).toBe(o.before.rowsScanned);
    expect(o.before.executionMs).toHaveLength(1);
  }, 120_000);

  it('the text output: both columns, the speed-up and both plans', async () => {
    const r = await run(['explain', '--compare-fix', 'queries.sql:8', '--data', '2000'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('loaded synthetic data');
    expect(r.out).toMatch(/^Compare with Fix: or-chain at queries\.sql:8\n/);
    expect(r.out).toMatch(/execution \(median of 3\) +[\d.]+ ms +[\d.]+ ms +(\d[\d.]*× (faster|slower)|about the same)/);
    expect(r.out).toContain('--- as written ---');
    expect(r.out).toContain("--- fixed ---\nSELECT session_id, status\nFROM sessions\nWHERE status = ANY(ARRAY['active', 'idle', 'expired'])");
  }, 120_000);

  it.each<[string, string[], RegExp]>([
    ['queries.sql', [], /needs FILE:LINE/],
    ['queries.sql:3', [], /no finding with a fix on line 3 of queries\.sql/],
    ['migrations/002_index.sql:1', [], /create-index-concurrently on line 1 of migrations\/002_index\.sql: the finding is on CREATE INDEX, not on a query/],
    ['queries.sql:4', ['--param', 'tenant_0001'], /give \$1…\$2 with --param \(1 given\)/],
    ['queries.sql:4', ['--param', 'a', '--param', '1', '--rule', 'or-chain'], /no or-chain finding with a fix on line 4/],
    ['missing.sql:1', [], /cannot read missing\.sql: ENOENT/],
  ])('%s %j: a one-line usage error', async (target, extra, message) => {
    expectUsageError(await run(['explain', '--compare-fix', target, ...extra], dir), message);
  });

  it('names the statement itself: no SQL or --file beside it', async () => {
    expectUsageError(await run(['explain', '--compare-fix', 'queries.sql:4', 'SELECT 1'], dir), /give no SQL and no --file/);
    expectUsageError(await run(['explain', '--rule', 'or-chain', 'SELECT 1'], dir), /--rule needs --compare-fix/);
  });
});

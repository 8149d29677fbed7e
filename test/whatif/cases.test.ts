/**
 * The what-if cases derived from real lint findings (database/whatif/cases.ts), without a database: which findings
 * give a case, the CREATE INDEX and the query of each, and the findings skipped with their reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { whatIfCases } from '../../database/whatif/cases';
import { initParser, lintSources } from '../../server/src/analysis/index';
import { parseSqlForExplain } from '../../server/src/analysis/pg';

beforeAll(async () => {
  await initParser();
});

/** Lints `sql` as one file (fixes on) and derives its cases. */
function derive(sql: string, path = 'app/queries.sql') {
  const result = lintSources([{ path, text: sql }], undefined, undefined, { fixes: true });
  return whatIfCases(result.files, parseSqlForExplain);
}

const ORDERS = 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL);\n';
const RLS_SESSIONS =
  'CREATE TABLE sessions (tenant_id text NOT NULL, session_id uuid, status text);\n' +
  'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n' +
  'ALTER TABLE sessions FORCE ROW LEVEL SECURITY;\n' +
  "CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));\n";

describe('what-if cases from findings', () => {
  it('missing-index: the fix’s CREATE INDEX and the finding’s own query', () => {
    const { cases, skipped } = derive(ORDERS + 'SELECT id FROM orders WHERE customer_id = $1;\n');
    expect(skipped).toEqual([]);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({
      line: 2,
      index: 'CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id)',
      query: 'SELECT id FROM orders WHERE customer_id = $1',
    });
    expect(cases[0].finding.ruleId).toBe('missing-index');
  });

  it('fk-without-index: the foreign key check’s lookup on the referencing table', () => {
    const { cases } = derive(
      'CREATE TABLE accounts (id bigint PRIMARY KEY);\n' +
        'CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE);\n',
    );
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({
      line: 2,
      index: 'CREATE INDEX invoices_account_id_idx ON invoices (account_id)',
      query: 'SELECT 1 FROM "invoices" WHERE "account_id" = $1',
    });
  });

  it('a composite foreign key: every key column, schema-qualified names quoted', () => {
    const { cases } = derive(
      'CREATE TABLE app.parents (a int, b int, PRIMARY KEY (a, b));\n' +
        'CREATE TABLE app.kids (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES app.parents (a, b));\n',
    );
    expect(cases.map((c) => c.query)).toEqual(['SELECT 1 FROM "app"."kids" WHERE "a" = $1 AND "b" = $2']);
  });

  it('split-tenant-indexes: the fixed index and the tenant query RLS makes of it', () => {
    const { cases } = derive(RLS_SESSIONS + 'CREATE INDEX idx_sessions_status ON sessions (status);\n');
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({
      line: 5,
      index: 'CREATE INDEX idx_sessions_status ON sessions (tenant_id, status)',
      query: 'SELECT 1 FROM "sessions" WHERE "tenant_id" = $1 AND "status" = $2',
    });
  });

  it('tenant-index-order: the index with the tenant column moved first', () => {
    const { cases } = derive(RLS_SESSIONS + 'CREATE INDEX idx_sessions_status_tenant ON sessions (status, tenant_id);\n');
    expect(cases).toHaveLength(1);
    expect(cases[0].index).toBe('CREATE INDEX idx_sessions_status_tenant ON sessions (tenant_id, status)');
    expect(cases[0].query).toBe('SELECT 1 FROM "sessions" WHERE "tenant_id" = $1 AND "status" = $2');
  });

  it('covering-index: the fix’s INCLUDE index and the finding’s own query', () => {
    const { cases } = derive(
      'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total_cents int8 NOT NULL, note text);\n' +
        'CREATE INDEX orders_customer_id_idx ON orders (customer_id);\n' +
        'SELECT id, total_cents FROM orders WHERE customer_id = $1;\n',
    );
    expect(cases.map((c) => [c.finding.ruleId, c.line, c.index, c.query])).toEqual([
      [
        'covering-index',
        3,
        'CREATE INDEX CONCURRENTLY orders_customer_id_id_total_cents_idx ON orders (customer_id) INCLUDE (id, total_cents)',
        'SELECT id, total_cents FROM orders WHERE customer_id = $1',
      ],
    ]);
  });

  it('a reordered PRIMARY KEY is no index to try: skipped with the reason', () => {
    const { cases, skipped } = derive(
      'CREATE TABLE sessions (tenant_id text NOT NULL, session_id uuid, status text, PRIMARY KEY (session_id, status, tenant_id));\n' +
        'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\nALTER TABLE sessions FORCE ROW LEVEL SECURITY;\n' +
        "CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));\n",
    );
    expect(cases).toEqual([]);
    expect(skipped).toHaveLength(1);
    expect(skipped[0].finding.ruleId).toBe('tenant-index-order');
    expect(skipped[0].reason).toMatch(/PRIMARY KEY or UNIQUE constraint.*CreateStmt, not a CREATE INDEX/);
  });

  it('a finding without a fix (inside BEGIN … COMMIT) is skipped, not guessed', () => {
    const { cases, skipped } = derive(ORDERS + 'BEGIN;\nSELECT id FROM orders WHERE customer_id = $1;\nCOMMIT;\n');
    expect(cases).toEqual([]);
    expect(skipped.map((s) => [s.finding.ruleId, s.line])).toEqual([['missing-index', 3]]);
    expect(skipped[0].reason).toMatch(/no fix/);
  });

  it('no case where no index rule fires: an indexed query, other rules', () => {
    const sql = ORDERS + 'CREATE INDEX ON orders (customer_id);\nSELECT * FROM orders WHERE customer_id = $1;\nSELECT id FROM orders ORDER BY random();\n';
    const result = lintSources([{ path: 'q.sql', text: sql }], undefined, undefined, { fixes: true });
    expect(result.files[0].findings.length).toBeGreaterThan(0);
    expect(whatIfCases(result.files, parseSqlForExplain)).toEqual({ cases: [], skipped: [] });
  });

  it('a fix text that is two statements never becomes a case', () => {
    const file = { path: 'q.sql', text: 'SELECT 1 FROM t WHERE a = $1', statements: [{ start: 0, end: 28 }] };
    const finding = {
      ruleId: 'missing-index',
      messageId: 'noIndex',
      message: 'm',
      file: 'q.sql',
      start: 14,
      end: 15,
      range: { start: { line: 0, character: 14 } },
      fix: { title: 't', edits: [{ start: 28, end: 28, newText: ';\nCREATE INDEX ON t (a); DROP TABLE victim' }] },
    };
    const { cases, skipped } = whatIfCases([{ file, findings: [finding] }], parseSqlForExplain);
    expect(cases).toEqual([]);
    expect(skipped[0].reason).toMatch(/holds 2 statements, not one/);
  });

  it('a host file’s findings are skipped (their offsets are the host text’s)', () => {
    const file = { path: 'q.ts', text: 'SELECT 1', host: {}, statements: [{ start: 0, end: 8 }] };
    const finding = {
      ruleId: 'missing-index',
      messageId: 'noIndex',
      message: 'm',
      file: 'q.ts',
      start: 0,
      end: 1,
      range: { start: { line: 4, character: 0 } },
    };
    expect(whatIfCases([{ file, findings: [finding] }], parseSqlForExplain).skipped.map((s) => [s.line, s.reason])).toEqual([
      [5, 'a finding in host code: its fix, if any, is placed in the host text'],
    ]);
  });
});

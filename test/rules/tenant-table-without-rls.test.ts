import { describe, expect, it } from 'vitest';
import { config, findings, flagged } from '../helpers';

const RULE = 'tenant-table-without-rls';
const RLS = 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n';
const POLICY = "CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));\n";

describe(RULE, () => {
  it.each([
    ['CREATE TABLE sessions (tenant_id text NOT NULL, status text);', 'sessions'],
    ['CREATE TABLE IF NOT EXISTS app.sessions (tenant_id text);', 'app.sessions'],
    ['CREATE TABLE app . /* x */ "Sessions" (tenant_id text);', 'app . /* x */ "Sessions"'],
    ['CREATE UNLOGGED TABLE sessions (id int, tenant_id int);', 'sessions'],
  ])('fires (RLS not enabled) on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/row-level security is not enabled/);
    expect(f[0].fix).toBeUndefined();
  });

  it('RLS enabled but no policy: a different message', () => {
    const sql = 'CREATE TABLE sessions (tenant_id text);\n' + RLS;
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe('sessions');
    expect(f[0].message).toMatch(/enabled but no policy/);
    expect(f[0].message).toMatch(/returns no rows/);
  });

  it('a policy without RLS enabled: still not enabled, and says the policy has no effect', () => {
    const sql = 'CREATE TABLE sessions (tenant_id text);\n' + POLICY;
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/not enabled/);
    expect(f[0].message).toMatch(/policies have no effect/);
  });

  it('RLS disabled again after enabling fires', () => {
    const sql = 'CREATE TABLE sessions (tenant_id text);\n' + RLS + POLICY + 'ALTER TABLE sessions DISABLE ROW LEVEL SECURITY;';
    expect(findings(sql, RULE)).toHaveLength(1);
  });

  it.each([
    'CREATE TABLE sessions (tenant_id text);\n' + RLS + POLICY,
    'CREATE TABLE sessions (tenant_id text);\n' + RLS + 'ALTER TABLE sessions FORCE ROW LEVEL SECURITY;\n' + POLICY,
    'CREATE TABLE tenants (id text, name text);',
    'CREATE TEMP TABLE sessions (tenant_id text);',
    'CREATE TABLE sessions (tenant text, status text);',
    "SELECT 'CREATE TABLE sessions (tenant_id text)';",
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('RLS and the policy in other files clear it', () => {
    const files = {
      '001_tables.sql': 'CREATE TABLE sessions (tenant_id text, status text);',
      '002_rls.sql': RLS,
      '003_policies.sql': POLICY,
    };
    expect(findings(files, RULE, undefined, '001_tables.sql')).toEqual([]);
    const noPolicy = { '001_tables.sql': files['001_tables.sql'], '002_rls.sql': RLS };
    const f = findings(noPolicy, RULE, undefined, '001_tables.sql');
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/enabled but no policy/);
  });

  it("RLS on another schema's table of the same name does not count", () => {
    const files = {
      'a.sql': 'CREATE TABLE app.sessions (tenant_id text);',
      'main.sql': 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n' + POLICY,
    };
    expect(findings(files, RULE, undefined, 'a.sql')).toHaveLength(1);
  });

  it('knows a tenant column added by ALTER TABLE in another file', () => {
    const files = {
      'a.sql': 'CREATE TABLE sessions (id int);',
      'b.sql': 'ALTER TABLE sessions ADD COLUMN tenant_id int;',
    };
    expect(findings(files, RULE, undefined, 'a.sql')).toHaveLength(1);
  });

  it("does not flag partitions: the parent's RLS applies through it", () => {
    const sql =
      'CREATE TABLE event_log (tenant_id text, at timestamptz) PARTITION BY RANGE (at);\n' +
      "CREATE TABLE event_log_2025_01 PARTITION OF event_log FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\n" +
      'CREATE TABLE event_log_old (tenant_id text, at timestamptz);\n' +
      "ALTER TABLE event_log ATTACH PARTITION event_log_old FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
    const f = findings(sql, RULE);
    expect(f.map((x) => flagged(sql, x))).toEqual(['event_log']);
  });

  it('reports a repeated CREATE TABLE IF NOT EXISTS once', () => {
    const files = { 'a.sql': 'CREATE TABLE IF NOT EXISTS s (tenant_id int);', 'b.sql': 'CREATE TABLE IF NOT EXISTS s (tenant_id int);' };
    expect(findings(files, RULE, undefined, 'a.sql')).toHaveLength(1);
    expect(findings(files, RULE, undefined, 'b.sql')).toEqual([]);
  });

  it('uses the configured tenant column', () => {
    const sql = 'CREATE TABLE a (org_id int);\nCREATE TABLE b (tenant_id int);';
    const f = findings(sql, RULE, config({ tenantColumn: 'org_id' }));
    expect(f.map((x) => flagged(sql, x))).toEqual(['a']);
  });
});

import { describe, expect, it } from 'vitest';
import { applyFix, config, findings, flagged } from '../helpers';

const RULE = 'split-tenant-indexes';
const TABLE = 'CREATE TABLE sessions (tenant_id text, session_id uuid, email text, status text, embedding vector(768), tags text[]);\n';

describe(RULE, () => {
  it.each([
    ['CREATE INDEX idx_sessions_status ON sessions(status);', '(status)'],
    ['CREATE INDEX idx_sessions_status ON sessions USING btree (status DESC NULLS LAST);', '(status DESC NULLS LAST)'],
    ['CREATE INDEX ON sessions (lower(email));', '(lower(email))'],
    ["CREATE INDEX idx_open ON sessions (status) WHERE status <> 'closed';", '(status)'],
    ['create index if not exists i on public.sessions ( "status" );', '( "status" )'],
  ])('fires on %s', (sql, text) => {
    const all = TABLE + sql;
    const f = findings(all, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(all, f[0])).toBe(text);
    expect(f[0].severity).toBe('info');
  });

  it("fires on the guide's bad example only for the non-tenant index", () => {
    const sql = TABLE + 'CREATE INDEX idx_sessions_tenant ON sessions(tenant_id);\nCREATE INDEX idx_sessions_status ON sessions(status);';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe('(status)');
    expect(f[0].message).toContain('(tenant_id, status)');
  });

  it.each([
    'CREATE INDEX i ON sessions (tenant_id);',
    'CREATE INDEX i ON sessions ((tenant_id::text));',
    'CREATE UNIQUE INDEX i ON sessions (email);',
    'CREATE INDEX i ON sessions (tenant_id, status);',
    'CREATE INDEX i ON sessions (status, tenant_id);',
    'CREATE INDEX i ON sessions USING gin (tags);',
    'CREATE INDEX i ON sessions USING hnsw (embedding vector_cosine_ops);',
    'CREATE INDEX i ON sessions USING hash (status);',
    "CREATE INDEX i ON sessions (status) WHERE tenant_id = 'acme';",
    'CREATE INDEX i ON other (status);',
    'CREATE INDEX i ON app.sessions (status);',
    'CREATE TABLE plain (id int, status text);\nCREATE INDEX i ON plain (status);',
  ])('does not fire on %s', (sql) => {
    expect(findings(TABLE + sql, RULE)).toEqual([]);
  });

  it('resolves the table through the search_path and other files', () => {
    const files = {
      'a.sql': 'CREATE TABLE app.sessions (tenant_id int, status text);',
      'main.sql': 'SET search_path = app;\nCREATE INDEX i ON sessions (status);',
    };
    expect(findings(files, RULE)).toHaveLength(1);
    expect(findings({ ...files, 'main.sql': 'CREATE INDEX i ON sessions (status);' }, RULE)).toEqual([]);
  });

  it('uses the configured tenant column', () => {
    const sql = 'CREATE TABLE t (org_id int, tenant_id int, a int);\nCREATE INDEX i ON t (tenant_id);';
    expect(findings(sql, RULE, config({ tenantColumn: 'org_id' }))).toHaveLength(1);
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('fix indexes (tenant_id, col) and keeps the rest of the statement', () => {
    const sql = TABLE + "CREATE INDEX idx_sessions_status ON sessions (status /* hot */) WHERE status <> 'closed';";
    expect(applyFix(sql, RULE)).toBe(TABLE + "CREATE INDEX idx_sessions_status ON sessions (tenant_id, status /* hot */) WHERE status <> 'closed';");
  });

  it('fix works on an expression index and with a quoted tenant column', () => {
    const sql = TABLE + 'CREATE INDEX ON sessions (lower(email));';
    expect(applyFix(sql, RULE)).toBe(TABLE + 'CREATE INDEX ON sessions (tenant_id, lower(email));');
    const quoted = 'CREATE TABLE t ("TenantId" int, a int);\nCREATE INDEX ON t (a);';
    expect(applyFix(quoted, RULE, config({ tenantColumn: 'TenantId' }))).toBe(
      'CREATE TABLE t ("TenantId" int, a int);\nCREATE INDEX ON t ("TenantId", a);',
    );
  });

  it('the fixed index does not fire tenant-index-order either', () => {
    const sql = TABLE + 'CREATE INDEX i ON sessions (status);';
    const fixed = applyFix(sql, RULE);
    expect(findings(fixed, 'tenant-index-order')).toEqual([]);
  });
});

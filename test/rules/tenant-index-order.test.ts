import { describe, expect, it } from 'vitest';
import { applyFix, config, findings, flagged } from '../helpers';

const RULE = 'tenant-index-order';
const TABLE = 'CREATE TABLE sessions (tenant_id text, session_id uuid, user_id int, status text, created_at timestamptz);\n';

describe(RULE, () => {
  it.each([
    ['CREATE INDEX i ON sessions (status, tenant_id);', '(status, tenant_id)'],
    ['CREATE INDEX i ON sessions USING btree (created_at DESC, status, tenant_id);', '(created_at DESC, status, tenant_id)'],
    ['CREATE UNIQUE INDEX i ON sessions (session_id, tenant_id);', '(session_id, tenant_id)'],
    ['CREATE INDEX i ON sessions ((lower(status)), tenant_id);', '((lower(status)), tenant_id)'],
    ['CREATE INDEX i ON sessions (status, created_at);', '(status, created_at)'],
    ['CREATE INDEX i ON sessions (status, tenant_id) WHERE status <> \'x\';', '(status, tenant_id)'],
  ])('fires on %s', (sql, text) => {
    const all = TABLE + sql;
    const f = findings(all, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(all, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
  });

  it('fires on PRIMARY KEY and UNIQUE constraints in CREATE TABLE and ALTER TABLE', () => {
    const sql =
      'CREATE TABLE docs (\n  tenant_id int,\n  id int,\n  slug text,\n  PRIMARY KEY (id, tenant_id),\n' +
      '  CONSTRAINT docs_slug UNIQUE (slug, tenant_id)\n);\nALTER TABLE docs ADD CONSTRAINT docs_x UNIQUE (slug, id);';
    const f = findings(sql, RULE);
    expect(f.map((x) => flagged(sql, x))).toEqual(['(id, tenant_id)', '(slug, tenant_id)', '(slug, id)']);
    expect(f[0].message).toContain('PRIMARY KEY');
    expect(f[0].fix).toBeDefined();
    expect(f[2].fix).toBeUndefined();
    expect(f[2].message).toMatch(/change what is unique/);
  });

  it('unique index without the tenant column: no fix, says why', () => {
    const sql = TABLE + 'CREATE UNIQUE INDEX i ON sessions (user_id, status);';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].fix).toBeUndefined();
    expect(f[0].message).toMatch(/per tenant/);
  });

  it.each([
    'CREATE INDEX i ON sessions (tenant_id, status);',
    'CREATE INDEX i ON sessions (tenant_id DESC, created_at);',
    'CREATE UNIQUE INDEX i ON sessions (tenant_id, session_id);',
    'CREATE INDEX i ON sessions (status);',
    'CREATE INDEX i ON sessions ((tenant_id::int), status);',
    'CREATE INDEX i ON sessions (status) INCLUDE (tenant_id, created_at);',
    'CREATE INDEX i ON sessions USING gin (status, created_at);',
    "CREATE INDEX i ON sessions (status, created_at) WHERE tenant_id = 'acme';",
    "CREATE INDEX i ON sessions (status, created_at) WHERE status = 'open' AND tenant_id = 'acme';",
    'CREATE INDEX i ON other (status, tenant_id);',
    'CREATE INDEX i ON app.sessions (status, tenant_id);',
    "SELECT 'CREATE INDEX i ON sessions (status, tenant_id)';",
  ])('does not fire on %s', (sql) => {
    expect(findings(TABLE + sql, RULE)).toEqual([]);
  });

  it.each([
    'CREATE TABLE t (tenant_id int, id int PRIMARY KEY, code text UNIQUE);',
    'CREATE TABLE t (tenant_id int, id int, PRIMARY KEY (tenant_id, id));',
    'CREATE TABLE t (id int, a int, PRIMARY KEY (id, a));',
    'CREATE TABLE t (tenant_id int, id int); ALTER TABLE t ADD CONSTRAINT u UNIQUE (tenant_id, id);',
    'CREATE TABLE t (tenant_id int, id int); ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX t_idx;',
    'CREATE TABLE t (tenant_id int, id int, EXCLUDE USING gist (id WITH =, tenant_id WITH =));',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('uses the configured tenant column', () => {
    const sql = 'CREATE TABLE t (org_id int, tenant_id int, a int);\nCREATE INDEX i ON t (a, org_id);\nCREATE INDEX j ON t (org_id, a);';
    const cfg = config({ tenantColumn: 'org_id' });
    const f = findings(sql, RULE, cfg);
    expect(f.map((x) => flagged(sql, x))).toEqual(['(a, org_id)']);
    expect(applyFix(sql, RULE, cfg)).toBe('CREATE TABLE t (org_id int, tenant_id int, a int);\nCREATE INDEX i ON t (org_id, a);\nCREATE INDEX j ON t (org_id, a);');
  });

  it('knows the tenant column from another file and from ALTER TABLE ADD COLUMN', () => {
    const files = {
      'a_schema.sql': 'CREATE TABLE app.items (id int, kind text);\nALTER TABLE app.items ADD COLUMN tenant_id int;',
      'main.sql': 'CREATE INDEX i ON app.items (kind, id);',
    };
    expect(findings(files, RULE)).toHaveLength(1);
  });

  it('fix moves the tenant column first and keeps each element\'s text', () => {
    const sql = TABLE + 'CREATE INDEX i ON sessions (status text_pattern_ops, created_at DESC NULLS LAST, tenant_id COLLATE "C");';
    expect(applyFix(sql, RULE)).toBe(
      TABLE + 'CREATE INDEX i ON sessions (tenant_id COLLATE "C", status text_pattern_ops, created_at DESC NULLS LAST);',
    );
  });

  it('fix keeps a multi-line layout and every comment', () => {
    const plain = TABLE + 'CREATE INDEX i ON sessions (\n  status,\n  created_at,\n  tenant_id\n);';
    expect(applyFix(plain, RULE)).toBe(TABLE + 'CREATE INDEX i ON sessions (\n  tenant_id,\n  status,\n  created_at\n);');
    const commented = TABLE + 'CREATE INDEX i ON sessions (\n  status, -- the filter\n  tenant_id,\n  created_at\n);';
    expect(applyFix(commented, RULE)).toBe(TABLE + 'CREATE INDEX i ON sessions (\n  tenant_id, status, -- the filter\n  created_at\n);');
    const around = TABLE + 'CREATE INDEX i ON sessions (\n  status, -- the filter\n  tenant_id /* rls */,\n  created_at\n);';
    expect(applyFix(around, RULE)).toBe(TABLE + 'CREATE INDEX i ON sessions (\n  tenant_id, status, -- the filter\n   /* rls */\n  created_at\n);');
    const lastOne = TABLE + 'CREATE INDEX i ON sessions (status, created_at /* newest */, tenant_id);';
    expect(applyFix(lastOne, RULE)).toBe(TABLE + 'CREATE INDEX i ON sessions (tenant_id, status, created_at /* newest */ );');
  });

  it('fix inserts the tenant column into a non-unique index that lacks it', () => {
    const sql = TABLE + 'CREATE INDEX i ON sessions (status, created_at DESC) WHERE status = \'open\';';
    expect(applyFix(sql, RULE)).toBe(TABLE + 'CREATE INDEX i ON sessions (tenant_id, status, created_at DESC) WHERE status = \'open\';');
  });

  it('fix quotes a tenant column that needs it', () => {
    const sql = 'CREATE TABLE t ("Tenant" int, a int, b int);\nCREATE INDEX i ON t (a, b);';
    expect(applyFix(sql, RULE, config({ tenantColumn: 'Tenant' }))).toBe(
      'CREATE TABLE t ("Tenant" int, a int, b int);\nCREATE INDEX i ON t ("Tenant", a, b);',
    );
  });

  it('fix reorders PRIMARY KEY and ALTER TABLE ADD CONSTRAINT lists', () => {
    const sql = 'CREATE TABLE docs (tenant_id int, id int, slug text, PRIMARY KEY (id, tenant_id));';
    expect(applyFix(sql, RULE)).toBe('CREATE TABLE docs (tenant_id int, id int, slug text, PRIMARY KEY (tenant_id, id));');
    const alter = 'CREATE TABLE docs (tenant_id int, id int, slug text);\nALTER TABLE docs ADD CONSTRAINT u UNIQUE (slug,id,tenant_id);';
    expect(applyFix(alter, RULE)).toBe('CREATE TABLE docs (tenant_id int, id int, slug text);\nALTER TABLE docs ADD CONSTRAINT u UNIQUE (tenant_id,slug,id);');
  });
});

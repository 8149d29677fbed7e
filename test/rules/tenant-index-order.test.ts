import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, config, findings, flagged } from '../helpers';
import { MIDDAY_SCHEDULER, premiseNotShown, premiseShown } from './tenant-premise';

const db = fixOnDb();

const RULE = 'tenant-index-order';
/** RLS enabled and forced on `table` with a policy for every role that reads `column`: the premise of the rule. */
const rls = (table: string, column = 'tenant_id') =>
  `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;\nALTER TABLE ${table} FORCE ROW LEVEL SECURITY;\n` +
  `CREATE POLICY p_${table.replace(/\W/g, '')} ON ${table} USING (${column} = current_setting('app.tenant')::int);\n`;
const TABLE = 'CREATE TABLE sessions (tenant_id int, session_id uuid, user_id int, status text, created_at timestamptz);\n' + rls('sessions');

describe(RULE, () => {
  it.each([
    ['CREATE INDEX i ON sessions (status, tenant_id);', '(status, tenant_id)'],
    ['CREATE INDEX i ON sessions USING btree (created_at DESC, status, tenant_id);', '(created_at DESC, status, tenant_id)'],
    ['CREATE UNIQUE INDEX i ON sessions (session_id, tenant_id);', '(session_id, tenant_id)'],
    ['CREATE INDEX i ON sessions ((lower(status)), tenant_id);', '((lower(status)), tenant_id)'],
    ['CREATE INDEX i ON sessions (status, created_at);', '(status, created_at)'],
    ["CREATE INDEX i ON sessions (status, tenant_id) WHERE status <> 'x';", '(status, tenant_id)'],
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
      '  CONSTRAINT docs_slug UNIQUE (slug, tenant_id)\n);\nALTER TABLE docs ADD CONSTRAINT docs_x UNIQUE (slug, id);\n' +
      rls('docs');
    const f = findings(sql, RULE);
    expect(f.map((x) => flagged(sql, x))).toEqual(['(id, tenant_id)', '(slug, tenant_id)']);
    expect(f[0].message).toContain('PRIMARY KEY');
    expect(f[0].fix).toBeDefined();
  });

  // A key without the tenant column is unique across tenants by design, and a lookup by it returns one row.
  it.each(['CREATE UNIQUE INDEX i ON sessions (user_id, status);', 'ALTER TABLE sessions ADD CONSTRAINT u UNIQUE (user_id, status);'])(
    'does not fire on a key unique across tenants: %s',
    (sql) => {
      expect(findings(TABLE + sql, RULE)).toEqual([]);
    },
  );

  describe('premise: RLS filters the table by the tenant column', () => {
    const bare = 'CREATE TABLE sessions (tenant_id int, status text, created_at timestamptz);\n';
    const index = 'CREATE INDEX i ON sessions (status, tenant_id);\n';
    it.each([
      ['RLS enabled then disabled', bare + rls('sessions') + 'ALTER TABLE sessions DISABLE ROW LEVEL SECURITY;\n' + index],
      [
        'a policy on another column',
        bare + 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n' + "CREATE POLICY p ON sessions USING (status = 'open');\n" + index,
      ],
      ...premiseNotShown(bare, index),
    ])('does not fire with %s', (_why, sql) => {
      expect(findings(sql, RULE)).toEqual([]);
    });

    it.each([
      ['a USING policy', bare + rls('sessions') + index],
      [
        'a USING policy reading the column in a subquery',
        bare +
          'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\nALTER TABLE sessions FORCE ROW LEVEL SECURITY;\n' +
          'CREATE POLICY p ON sessions USING (tenant_id IN (SELECT private.my_tenants()));\n' +
          index,
      ],
      ...premiseShown(bare, index),
      ['RLS and its policy later in the file (migration order of midday)', bare + index + rls('sessions')],
      [
        'RLS on the partitioned parent of the indexed partition',
        'CREATE TABLE ev (tenant_id int, kind text, at date) PARTITION BY RANGE (at);\n' +
          rls('ev') +
          "CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE INDEX i ON ev_2024 (kind, tenant_id);",
      ],
    ])('fires with %s', (_why, sql) => {
      expect(findings(sql, RULE)).toHaveLength(1);
    });
  });

  it('midday: scheduler indexes on tables whose policies bind only some roles, or whose RLS is not forced, are left alone', () => {
    const cfg = config({ tenantColumn: 'team_id' });
    expect(findings(MIDDAY_SCHEDULER, RULE, cfg)).toEqual([]);
    // The same tables with RLS forced and the policies for every role: now every query is filtered by team_id.
    const forced =
      MIDDAY_SCHEDULER.replace(/TO authenticated\n/g, '').replace(/TO public\n/g, '') +
      'ALTER TABLE invoice_recurring FORCE ROW LEVEL SECURITY;\nALTER TABLE provider_notification_batches FORCE ROW LEVEL SECURITY;\n';
    expect(findings(forced, RULE, cfg).map((x) => flagged(forced, x))).toEqual([
      '(next_scheduled_at, upcoming_notification_sent_at)',
      '(sent_at, window_ends_at)',
    ]);
  });

  describe('leading columns that already pick out one tenant', () => {
    const t = (extra: string) =>
      'CREATE TABLE teams (id int PRIMARY KEY, name text);\nCREATE TABLE accounts (id int PRIMARY KEY, tenant_id int);\n' +
      'CREATE TABLE docs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id int, code text, account_id int REFERENCES accounts (id),\n' +
      '  team_ref int REFERENCES teams (id), status text, created_at timestamptz, UNIQUE (code));\n' +
      rls('docs') +
      extra;
    it.each([
      'CREATE INDEX i ON docs (id, tenant_id);',
      'CREATE INDEX i ON docs (code, created_at);',
      'CREATE INDEX i ON docs (account_id, created_at);',
      'ALTER TABLE docs ADD CONSTRAINT u UNIQUE (code, tenant_id);',
    ])('does not fire on %s', (sql) => {
      expect(findings(t(sql), RULE)).toEqual([]);
    });
    it.each([
      // teams has no tenant column: a team_ref does not say which tenant.
      'CREATE INDEX i ON docs (team_ref, created_at);',
      'CREATE INDEX i ON docs (status, created_at);',
      // A partial unique key does not make its columns unique everywhere.
      "CREATE UNIQUE INDEX u ON docs (status) WHERE status = 'x';\nCREATE INDEX i ON docs (status, created_at);",
    ])('fires on %s', (sql) => {
      expect(findings(t(sql), RULE)).toHaveLength(1);
    });
    it('a key of several columns counts only when all of them lead', () => {
      const two = (idx: string) => t(`CREATE UNIQUE INDEX k ON docs (status, created_at);\n${idx}`);
      expect(findings(two('CREATE INDEX i ON docs (status, created_at, tenant_id);'), RULE)).toEqual([]);
      expect(findings(two('CREATE INDEX i ON docs (status, tenant_id, created_at);'), RULE)).toHaveLength(1);
    });
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
    // id is unique on its own: (id, tenant_id) is as selective as id.
    'CREATE TABLE t (tenant_id int, id int UNIQUE, PRIMARY KEY (id, tenant_id));',
    'CREATE TABLE t (tenant_id int, id int, PRIMARY KEY (tenant_id, id));',
    'CREATE TABLE t (id int, a int, PRIMARY KEY (id, a));',
    'CREATE TABLE t (tenant_id int, id int); ALTER TABLE t ADD CONSTRAINT u UNIQUE (tenant_id, id);',
    'CREATE TABLE t (tenant_id int, id int); ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX t_idx;',
    'CREATE TABLE t (tenant_id int, id int, EXCLUDE USING gist (id WITH =, tenant_id WITH =));',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql + '\n' + rls('t'), RULE)).toEqual([]);
  });

  it('uses the configured tenant column', () => {
    const head = 'CREATE TABLE t (org_id int, tenant_id int, a int);\n' + rls('t', 'org_id');
    const sql = head + 'CREATE INDEX i ON t (a, org_id);\nCREATE INDEX j ON t (org_id, a);';
    const cfg = config({ tenantColumn: 'org_id' });
    const f = findings(sql, RULE, cfg);
    expect(f.map((x) => flagged(sql, x))).toEqual(['(a, org_id)']);
    expect(applyFix(sql, RULE, cfg)).toBe(head + 'CREATE INDEX i ON t (org_id, a);\nCREATE INDEX j ON t (org_id, a);');
    // The default tenant_id has no policy reading it here.
    expect(findings(head + 'CREATE INDEX k ON t (a, tenant_id);', RULE)).toEqual([]);
  });

  it('knows the tenant column from another file and from ALTER TABLE ADD COLUMN', () => {
    const files = {
      'a_schema.sql': 'CREATE TABLE app.items (id int, kind text);\nALTER TABLE app.items ADD COLUMN tenant_id int;\n' + rls('app.items'),
      'main.sql': 'CREATE INDEX i ON app.items (kind, id);',
    };
    expect(findings(files, RULE)).toHaveLength(1);
  });

  it("fix moves the tenant column first and keeps each element's text", () => {
    const sql = TABLE + 'CREATE INDEX i ON sessions (status text_pattern_ops, created_at DESC NULLS LAST, tenant_id COLLATE "C");';
    expect(applyFix(sql, RULE)).toBe(TABLE + 'CREATE INDEX i ON sessions (tenant_id COLLATE "C", status text_pattern_ops, created_at DESC NULLS LAST);');
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
    const sql = TABLE + "CREATE INDEX i ON sessions (status, created_at DESC) WHERE status = 'open';";
    expect(applyFix(sql, RULE)).toBe(TABLE + "CREATE INDEX i ON sessions (tenant_id, status, created_at DESC) WHERE status = 'open';");
  });

  it('fix quotes a tenant column that needs it', () => {
    const head = 'CREATE TABLE t ("Tenant" int, a int, b int);\n' + rls('t', '"Tenant"');
    expect(applyFix(head + 'CREATE INDEX i ON t (a, b);', RULE, config({ tenantColumn: 'Tenant' }))).toBe(head + 'CREATE INDEX i ON t ("Tenant", a, b);');
  });

  it('fix reorders PRIMARY KEY and ALTER TABLE ADD CONSTRAINT lists', () => {
    const sql = 'CREATE TABLE docs (tenant_id int, id int, slug text, PRIMARY KEY (id, tenant_id));\n' + rls('docs');
    expect(applyFix(sql, RULE)).toBe('CREATE TABLE docs (tenant_id int, id int, slug text, PRIMARY KEY (tenant_id, id));\n' + rls('docs'));
    const alter = 'CREATE TABLE docs (tenant_id int, id int, slug text);\n' + rls('docs') + 'ALTER TABLE docs ADD CONSTRAINT u UNIQUE (slug,id,tenant_id);';
    expect(applyFix(alter, RULE)).toBe(
      'CREATE TABLE docs (tenant_id int, id int, slug text);\n' + rls('docs') + 'ALTER TABLE docs ADD CONSTRAINT u UNIQUE (tenant_id,slug,id);',
    );
  });
});

describe(`${RULE}: the fix runs on PostgreSQL with the workspace schema`, () => {
  it.each([
    'CREATE INDEX i ON sessions (status text_pattern_ops, created_at DESC NULLS LAST, tenant_id);',
    'CREATE INDEX i ON sessions (\n  status, -- the filter\n  tenant_id /* rls */,\n  created_at\n);',
    "CREATE INDEX i ON sessions (status, created_at DESC) WHERE status = 'open';",
    'CREATE UNIQUE INDEX CONCURRENTLY i ON sessions (session_id, tenant_id);',
  ])('%s', async (sql) => {
    const r = await db.check(TABLE + sql, RULE);
    expect(r.how).toBe('executed');
    expect(r.statement).toMatch(/\(\s*tenant_id/);
  });

  it('PRIMARY KEY in CREATE TABLE and UNIQUE in ALTER TABLE', async () => {
    const pk = 'CREATE TABLE docs (tenant_id int, id int, slug text, PRIMARY KEY (id, tenant_id));\n' + rls('docs');
    expect((await db.check(pk, RULE)).statement).toContain('PRIMARY KEY (tenant_id, id)');
    const alter = 'CREATE TABLE docs (tenant_id int, id int, slug text);\n' + rls('docs') + 'ALTER TABLE docs ADD CONSTRAINT u UNIQUE (slug,id,tenant_id);';
    expect((await db.check(alter, RULE)).statement).toContain('UNIQUE (tenant_id,slug,id)');
  });
});

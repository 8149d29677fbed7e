import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, config, findings, flagged } from '../helpers';
import { MIDDAY_SCHEDULER, premiseNotShown, premiseShown } from './tenant-premise';

const db = fixOnDb();

const RULE = 'split-tenant-indexes';
/** RLS enabled and forced on `table` with a policy for every role that reads `column`: the premise of the rule. */
const rls = (table: string, column = 'tenant_id') =>
  `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;\nALTER TABLE ${table} FORCE ROW LEVEL SECURITY;\n` +
  `CREATE POLICY p_${table.replace(/\W/g, '')} ON ${table} USING (${column} = current_setting('app.tenant'));\n`;
const TABLE = 'CREATE TABLE sessions (tenant_id text, session_id uuid, email text, status text, embedding vector(768), tags text[]);\n' + rls('sessions');

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
    // Unique on its own elsewhere: a lookup by it finds one row, whatever the tenant.
    'ALTER TABLE sessions ADD CONSTRAINT s_uq UNIQUE (session_id);\nCREATE INDEX i ON sessions (session_id);',
  ])('does not fire on %s', (sql) => {
    expect(findings(TABLE + sql, RULE)).toEqual([]);
  });

  describe('premise: RLS filters the table by the tenant column', () => {
    const bare = 'CREATE TABLE sessions (tenant_id int, status text, code text, user_id int);\n';
    const index = 'CREATE INDEX i ON sessions (status);\n';
    it.each([
      ['a policy on another column', bare + 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n' + 'CREATE POLICY p ON sessions USING (user_id = 7);\n' + index],
      ...premiseNotShown(bare, index),
    ])('does not fire with %s', (_why, sql) => {
      expect(findings(sql, RULE)).toEqual([]);
    });
    it('fires with RLS and a policy on the tenant column, also when they come after the index', () => {
      expect(findings(bare + rls('sessions') + index, RULE)).toHaveLength(1);
      expect(findings(bare + index + rls('sessions'), RULE)).toHaveLength(1);
    });
    it.each(premiseShown(bare, index))('fires with %s', (_why, sql) => {
      expect(findings(sql, RULE)).toHaveLength(1);
    });
  });

  it('trigger.dev (Prisma, "organizationId", no RLS anywhere): nothing, until the project enables RLS', () => {
    const migration =
      'CREATE TABLE "public"."CustomerQuery" ("id" TEXT NOT NULL, "query" TEXT NOT NULL, "organizationId" TEXT NOT NULL,\n' +
      '  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "CustomerQuery_pkey" PRIMARY KEY ("id"));\n' +
      'CREATE INDEX "CustomerQuery_organizationId_createdAt_idx" ON "public"."CustomerQuery" ("organizationId", "createdAt" DESC);\n' +
      'CREATE INDEX "CustomerQuery_createdAt_idx" ON "public"."CustomerQuery" ("createdAt");\n';
    const cfg = config({ tenantColumn: 'organizationId' });
    expect(findings(migration, RULE, cfg)).toEqual([]);
    const withRls = migration + rls('"public"."CustomerQuery"', '"organizationId"');
    expect(findings(withRls, RULE, cfg).map((f) => flagged(withRls, f))).toEqual(['("createdAt")']);
  });

  describe('columns that already pick out one tenant (midday: platform_link_tokens, provider_notification_batches)', () => {
    const schema =
      'CREATE TABLE identities (id uuid PRIMARY KEY, team_id uuid NOT NULL);\n' +
      'CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), code text NOT NULL, team_id uuid NOT NULL,\n' +
      '  identity_id uuid NOT NULL, user_id uuid NOT NULL,\n' +
      '  CONSTRAINT tokens_identity_fkey FOREIGN KEY (identity_id) REFERENCES identities(id),\n' +
      '  CONSTRAINT tokens_code_unique UNIQUE (code));\n' +
      'ALTER TABLE tokens ENABLE ROW LEVEL SECURITY;\nALTER TABLE tokens FORCE ROW LEVEL SECURITY;\n' +
      'CREATE POLICY "by team" ON tokens FOR SELECT USING (team_id IN (SELECT private.get_teams_for_authenticated_user()));\n';
    const cfg = config({ tenantColumn: 'team_id' });
    it.each(['CREATE INDEX i ON tokens (code);', 'CREATE INDEX i ON tokens (id);', 'CREATE INDEX i ON tokens (identity_id);'])('does not fire on %s', (sql) => {
      expect(findings(schema + sql, RULE, cfg)).toEqual([]);
    });
    it('still fires on a column that says nothing about the tenant', () => {
      expect(findings(schema + 'CREATE INDEX i ON tokens (user_id);', RULE, cfg)).toHaveLength(1);
    });
  });

  it('midday: scheduler indexes on tables whose policies bind only some roles, or whose RLS is not forced, are left alone', () => {
    const cfg = config({ tenantColumn: 'team_id' });
    const f = findings(MIDDAY_SCHEDULER, RULE, cfg);
    expect(f).toEqual([]);
    // The same tables with RLS forced and the policies for every role: now every query is filtered by team_id.
    const forced =
      MIDDAY_SCHEDULER.replace(/TO authenticated\n/g, '').replace(/TO public\n/g, '') +
      'ALTER TABLE invoice_recurring FORCE ROW LEVEL SECURITY;\nALTER TABLE provider_notification_batches FORCE ROW LEVEL SECURITY;\n';
    expect(findings(forced, RULE, cfg).map((x) => flagged(forced, x))).toEqual(['(next_scheduled_at)', '(status)', '(next_scheduled_at)']);
  });

  it('resolves the table through the search_path and other files', () => {
    const files = {
      'a.sql': 'CREATE TABLE app.sessions (tenant_id int, status text);\n' + rls('app.sessions'),
      'main.sql': 'SET search_path = app;\nCREATE INDEX i ON sessions (status);',
    };
    expect(findings(files, RULE)).toHaveLength(1);
    expect(findings({ ...files, 'main.sql': 'CREATE INDEX i ON sessions (status);' }, RULE)).toEqual([]);
  });

  it('uses the configured tenant column', () => {
    const sql = 'CREATE TABLE t (org_id int, tenant_id int, a int);\n' + rls('t', 'org_id') + 'CREATE INDEX i ON t (tenant_id);';
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
    const head = 'CREATE TABLE t ("TenantId" text, a int);\n' + rls('t', '"TenantId"');
    expect(applyFix(head + 'CREATE INDEX ON t (a);', RULE, config({ tenantColumn: 'TenantId' }))).toBe(head + 'CREATE INDEX ON t ("TenantId", a);');
  });

  it('the fixed index does not fire tenant-index-order either', () => {
    const sql = TABLE + 'CREATE INDEX i ON sessions (status);';
    const fixed = applyFix(sql, RULE);
    expect(findings(fixed, 'tenant-index-order')).toEqual([]);
  });
});

describe(`${RULE}: the fix runs on PostgreSQL with the workspace schema`, () => {
  it.each([
    "CREATE INDEX idx_sessions_status ON sessions (status /* hot */) WHERE status <> 'closed';",
    'CREATE INDEX ON sessions (lower(email));',
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON public.sessions USING btree ("status" DESC NULLS LAST);',
  ])('%s', async (sql) => {
    const r = await db.check(TABLE + sql, RULE);
    expect(r.how).toBe('executed');
    expect(r.statement).toMatch(/\(tenant_id, /);
  });

  it('with a quoted tenant column and an RLS policy from another file (midday layout)', async () => {
    const files = {
      '0001_init.sql': 'CREATE TABLE t ("TenantId" text, a int);\n' + rls('t', '"TenantId"'),
      'main.sql': 'CREATE INDEX ON t (a);',
    };
    const r = await db.check(files, RULE, { cfg: config({ tenantColumn: 'TenantId' }) });
    expect(r.fixed).toBe('CREATE INDEX ON t ("TenantId", a);');
  });
});

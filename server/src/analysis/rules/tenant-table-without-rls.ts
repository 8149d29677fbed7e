import { quoteIdent } from '../ast';
import { defineRule } from '../rule';
import { qkey, type CatalogStatement } from '../catalog';
import type { Statement } from '../parse';
import { displayName, relationRange } from './_tenancy';

/** The catalog may hold a stand-in for the statement (the language server keeps only DDL), so compare places. */
function sameStatement(a: CatalogStatement | undefined, b: Statement): boolean {
  return !!a && a.file.path === b.file.path && a.index === b.index;
}

export const tenantTableWithoutRls = defineRule({
  meta: {
    id: 'tenant-table-without-rls',
    category: 'tenancy',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'A table with the tenant column whose row-level security is not enabled, or enabled with no policy.',
      why:
        'In a multi-tenant schema the tenant column is only a convention until row-level security enforces it: ' +
        "without RLS, one query that forgets `WHERE tenant_id = …` reads or changes every tenant's rows. The tuning " +
        'guide measures the cost of RLS at 4.9 % (1000 queries in 257 ms instead of 245 ms, within its < 5 % target), ' +
        'with composite (tenant_id, …) indexes serving the predicate it adds. RLS enabled without any policy is the ' +
        'opposite mistake: PostgreSQL then denies by default, so every query by a role other than the owner returns ' +
        'no rows and every write fails. The whole workspace is considered: `ALTER TABLE … ENABLE ROW LEVEL SECURITY` ' +
        'and `CREATE POLICY` may live in other files. Partitions (`PARTITION OF`, `ATTACH PARTITION`) are not ' +
        "flagged: a query through the partitioned parent applies the parent's policies, and the parent itself is " +
        'checked. Temporary tables are private to their session and are not flagged either.',
      fix:
        'Enable RLS and add a policy on the tenant column, e.g. `ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;` and ' +
        "`CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));` " +
        '(the guide sets `app.current_tenant_id` per request). If the table is deliberately shared, suppress the ' +
        'finding with a reason.',
      bad: 'CREATE TABLE sessions (tenant_id text NOT NULL, session_id uuid, status text);',
      good:
        'CREATE TABLE sessions (tenant_id text NOT NULL, session_id uuid, status text);\n' +
        'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n' +
        "CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));",
    },
    messages: {
      noPolicy:
        'Tenant table {{table}} has row-level security enabled but no policy anywhere in the workspace: PostgreSQL then ' +
        'denies by default, so every query by a role other than the owner returns no rows. Add CREATE POLICY … ON {{relation}} ' +
        'USING ({{tenantIdent}} = …).',
      rlsOff:
        'Tenant table {{table}} has {{tenant}} but row-level security is not enabled anywhere in the workspace: a query that forgets the ' +
        "{{tenant}} filter sees every tenant's rows. Add ALTER TABLE {{relation}} ENABLE ROW LEVEL SECURITY and a policy on {{tenant}} " +
        '(the guide measures RLS overhead at 4.9 %).',
      rlsOffWithPolicies:
        'Tenant table {{table}} has {{tenant}} but row-level security is not enabled anywhere in the workspace ' +
        "(its policies have no effect until it is): a query that forgets the {{tenant}} filter sees every tenant's rows. " +
        'Add ALTER TABLE {{relation}} ENABLE ROW LEVEL SECURITY (the guide measures RLS overhead at 4.9 %).',
    },
  },
  check({ statement: st, catalog, settings, report }) {
    if (st.kind !== 'CreateStmt') return;
    const b = st.body;
    if (b.partbound || b.relation?.relpersistence === 't') return;
    const here = catalog.resolveRangeVar(b.relation, st);
    // The table as the workspace leaves it: RLS, policies and even the tenant column usually come after the
    // CREATE TABLE (later in the migration, or in later ones). A table dropped for good is not judged.
    const table = here && catalog.tables.get(qkey(here));
    const tenant = settings.tenantColumn;
    // Report once, at the CREATE TABLE the catalog took the table from (IF NOT EXISTS may repeat it).
    if (!table || !sameStatement(table.created, st) || table.partitionOf || !table.columns.has(tenant)) return;
    if (table.rls && table.policies.length > 0) return;
    const range = relationRange(st, b.relation);
    if (!range) return;
    const name = displayName(b.relation);
    const q = `${b.relation.schemaname ? `${quoteIdent(b.relation.schemaname)}.` : ''}${quoteIdent(b.relation.relname)}`;
    report({
      start: range.start,
      end: range.end,
      messageId: table.rls ? 'noPolicy' : table.policies.length > 0 ? 'rlsOffWithPolicies' : 'rlsOff',
      data: { table: name, tenant, tenantIdent: quoteIdent(tenant), relation: q },
    });
  },
});

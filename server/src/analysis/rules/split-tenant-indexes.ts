import { as, quoteIdent, type Node } from '../ast';
import { defineRule } from '../rule';
import {
  displayName,
  elemColumn,
  leadIdentifiesTenant,
  methodOf,
  parenListAfter,
  predicatePinsTenant,
  refersTo,
  RLS_SESSIONS,
  rlsTenantTable,
  RLS_PREMISE_DOC,
} from './_tenancy';

export const splitTenantIndexes = defineRule({
  meta: {
    id: 'split-tenant-indexes',
    category: 'tenancy',
    severity: 'info',
    fixable: true,
    docs: {
      summary: 'Single-column B-tree index on a non-tenant column of a tenant table.',
      why:
        'Row-level security that binds every role adds `tenant_id = …` to every query on a tenant table, so an index on `status` alone ' +
        'serves only half of the WHERE clause: the tuning guide\'s "Bad (separate indexes)" example ' +
        '(`idx_sessions_tenant` + `idx_sessions_status`) filters by one index and then checks the other condition row ' +
        'by row, while one composite `(tenant_id, status)` index filters both in a single scan, 2-3x faster for ' +
        'common query patterns. Unique indexes are left alone: a single-column UNIQUE enforces global uniqueness ' +
        '(an e-mail, a UUID), which `(tenant_id, col)` would weaken to per-tenant uniqueness, and a unique lookup ' +
        'returns at most one row anyway. GIN, GiST, BRIN, HNSW and IVFFlat indexes are not B-trees and are left alone too. ' +
        RLS_PREMISE_DOC +
        "A column that already picks out one tenant's rows is left alone as well: one that is unique on its own (a PRIMARY KEY or UNIQUE " +
        'elsewhere in the workspace), or a foreign key to a table that has the tenant column.',
      fix:
        'Index `(tenant_id, col)` instead; the quick fix adds the tenant column in front of the indexed column. ' +
        'A separate index on tenant_id alone then usually becomes redundant. If some role reads the table across ' +
        'tenants (a job, a service role), do not force RLS for it: without FORCE and a policy for every role the ' +
        'rule stays quiet.',
      bad: RLS_SESSIONS + 'CREATE INDEX idx_sessions_status ON sessions (status);',
      good: RLS_SESSIONS + 'CREATE INDEX idx_sessions_tenant_status ON sessions (tenant_id, status);',
    },
    messages: {
      singleColumn:
        "Single-column index on {{what}} of tenant table {{table}}: forced RLS adds {{tenant}} = … to every role's queries, " +
        'so a composite {{composite}} index serves both conditions in one scan (the guide measures it 2-3x faster).',
    },
  },
  check({ statement: st, catalog, settings, report }) {
    if (st.kind !== 'IndexStmt') return;
    const b = st.body;
    const tenant = settings.tenantColumn;
    const params: Node[] = b.indexParams ?? [];
    if (params.length !== 1 || b.unique || b.primary || methodOf(b) !== 'btree') return;
    const col = elemColumn(params[0]);
    if (col === tenant || (col === undefined && refersTo(params[0], tenant))) return;
    const table = rlsTenantTable(catalog, b.relation, st, tenant);
    if (!table || predicatePinsTenant(b.whereClause, tenant)) return;
    if (col !== undefined && leadIdentifiesTenant(catalog, table, [col], tenant, { statement: st })) return;
    const relTok = st.tokenAt(b.relation.location);
    if (relTok < 0) return;
    const list = parenListAfter(st, st.tokens()[relTok].start);
    if (!list || list.items.length !== 1) return;
    const item = list.items[0];
    const elem = as(params[0], 'IndexElem');
    const what = col !== undefined ? `column ${col}` : 'expression';
    const composite = `(${tenant}, ${col ?? '…'})`;
    report({
      start: list.start,
      end: list.end,
      messageId: 'singleColumn',
      data: { what, table: displayName(b.relation), tenant, composite },
      fix: elem
        ? {
            title: `Index ${composite} instead`,
            edits: [{ start: item.start, end: item.start, newText: `${quoteIdent(tenant)}, ` }],
          }
        : undefined,
    });
  },
});

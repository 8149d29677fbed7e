import { quoteIdent, type Node } from '../ast';
import { defineRule } from '../rule';
import type { Statement } from '../parse';
import type { Fix } from '../types';
import {
  constraintRange,
  displayName,
  elemColumn,
  keyConstraints,
  methodOf,
  parenListAfter,
  predicatePinsTenant,
  leadIdentifiesTenant,
  refersTo,
  rlsTenantTable,
  RLS_SESSIONS,
  RLS_PREMISE_DOC,
  type ParenList,
} from './_tenancy';

/**
 * The edits that put element `k` of a list first (k > 0), or insert `text` first (k < 0), keeping every element's
 * own text (opclass, DESC, COLLATE, comments inside it), the list's separator style and every comment.
 */
function reorder(st: Statement, list: ParenList, k: number, insert?: string): Fix['edits'] {
  const text = st.file.text;
  const items = list.items;
  const hasComment = (s: string) => /--|\/\*/.test(s);
  let sep = text.slice(items[0].end, items[1].start);
  if (hasComment(sep)) sep = ', ';
  if (k < 0) return [{ start: items[0].start, end: items[0].start, newText: insert + sep }];
  const moved = text.slice(items[k].start, items[k].end);
  const edits: Fix['edits'] = [{ start: items[0].start, end: items[0].start, newText: moved + sep }];
  // Remove the element with the separator after it (or, for the last one, before it) when that holds no comment;
  // otherwise remove only the element and the comma, so no comment is lost.
  const last = k === items.length - 1;
  const [from, to] = last ? [items[k - 1].end, items[k].start] : [items[k].end, items[k + 1].start];
  if (!hasComment(text.slice(from, to))) {
    edits.push(last ? { start: from, end: items[k].end, newText: '' } : { start: items[k].start, end: to, newText: '' });
    return edits;
  }
  const comma = st.codeTokens().find((t) => t.start >= from && t.end <= to && t.text === ',');
  if (!comma) return [];
  edits.push({ start: items[k].start, end: items[k].end, newText: '' }, { start: comma.start, end: comma.end, newText: '' });
  return edits;
}

/** The plain columns before the tenant column (k ≥ 0) or of the whole key, up to the first expression element. */
function leadingColumns(params: Node[], k: number): string[] {
  const out: string[] = [];
  for (const p of k >= 0 ? params.slice(0, k) : params) {
    const c = elemColumn(p);
    if (c === undefined) break;
    out.push(c);
  }
  return out;
}

const fixOf = (title: string, edits: Fix['edits']): Fix | undefined => (edits.length > 0 ? { title, edits } : undefined);

export const tenantIndexOrder = defineRule({
  meta: {
    id: 'tenant-index-order',
    category: 'tenancy',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'Multi-column index, PRIMARY KEY or UNIQUE on a tenant table whose first column is not the tenant column.',
      why:
        'Row-level security that binds every role adds `tenant_id = …` to every query on a tenant table, and a B-tree can only seek on a ' +
        'leading prefix of its columns. With the tenant column first, one index scan filters both the RLS predicate ' +
        "and the application's own condition: the tuning guide measures the composite `(tenant_id, status)` index " +
        '2-3x faster for common query patterns, and its rule is "Always put tenant_id as first column in ' +
        'multi-column indexes". With another column first, each tenant\'s rows are scattered across the whole index. ' +
        RLS_PREMISE_DOC +
        'It also stays quiet when the ' +
        "leading columns already pick out one tenant's rows: another PRIMARY KEY or UNIQUE key of the table lies " +
        'within them (a global UUID id), or the first one is a foreign key to a table that has the tenant column. ' +
        'A PRIMARY KEY, UNIQUE constraint or unique index without the tenant column is unique across tenants by ' +
        'design and a lookup by its whole key returns one row, so it is not flagged either.',
      fix:
        'Put the tenant column first. The quick fix moves it to the front of the list (each element keeps its ' +
        'opclass, ordering and collation); for a non-unique index that lacks it, the fix adds it first. Moving the ' +
        'tenant column within a PRIMARY KEY or UNIQUE key leaves what is unique unchanged. An index that serves ' +
        'queries across tenants (a scheduler, a service role) belongs on a table whose RLS does not bind every role; ' +
        'the rule is quiet there.',
      bad: RLS_SESSIONS + 'CREATE INDEX idx_sessions_status_tenant ON sessions (status, tenant_id);',
      good: RLS_SESSIONS + 'CREATE INDEX idx_sessions_tenant_status ON sessions (tenant_id, status);',
    },
    messages: {
      tenantNotFirst:
        '{{tenant}} is not the first column of this multi-column {{what}} on tenant table {{table}}: forced RLS filters every ' +
        "role's queries by {{tenant}}, and a B-tree can only seek on its leading columns. Put {{tenant}} first.",
      tenantMissing:
        "Multi-column index on tenant table {{table}} does not include {{tenant}}: forced RLS filters every role's " +
        "queries by {{tenant}}, so the index cannot seek to one tenant's rows. Add {{tenant}} as its first column.",
      keyTenantNotFirst:
        '{{tenant}} is not the first column of the {{kind}} on tenant table {{table}}: its index cannot seek to one ' +
        "tenant's rows, and forced RLS filters every role's queries by {{tenant}}. Put {{tenant}} first (uniqueness is unchanged).",
    },
  },
  check({ statement: st, catalog, settings, report }) {
    const tenant = settings.tenantColumn;
    const tq = quoteIdent(tenant);

    if (st.kind === 'IndexStmt') {
      const b = st.body;
      const params: Node[] = b.indexParams ?? [];
      if (params.length < 2 || methodOf(b) !== 'btree') return;
      const table = rlsTenantTable(catalog, b.relation, st, tenant);
      if (!table || predicatePinsTenant(b.whereClause, tenant)) return;
      if (refersTo(params[0], tenant)) return; // tenant_id first, or an expression of it
      const k = params.findIndex((p) => elemColumn(p) === tenant);
      // A unique index without the tenant column makes its key unique across tenants: a design choice, and a
      // lookup by the whole key finds one row whatever the RLS predicate. Not this rule's business.
      if (k < 0 && b.unique) return;
      if (leadIdentifiesTenant(catalog, table, leadingColumns(params, k), tenant, { statement: st })) return;
      const relTok = st.tokenAt(b.relation.location);
      if (relTok < 0) return;
      const list = parenListAfter(st, st.tokens()[relTok].start);
      if (!list) return;
      const usable = list.items.length === params.length;
      const what = b.unique ? 'unique index' : 'index';
      const name = displayName(b.relation);
      if (k > 0) {
        report({
          start: list.start,
          end: list.end,
          messageId: 'tenantNotFirst',
          data: { tenant, what, table: name },
          fix: usable ? fixOf(`Move ${tenant} to the front of the ${what}`, reorder(st, list, k)) : undefined,
        });
      } else {
        report({
          start: list.start,
          end: list.end,
          messageId: 'tenantMissing',
          data: { tenant, table: name },
          fix: usable && list.items.length >= 2 ? { title: `Add ${tenant} as the first index column`, edits: reorder(st, list, -1, tq) } : undefined,
        });
      }
      return;
    }

    for (const k of keyConstraints(st)) {
      const at = k.columns.indexOf(tenant);
      // Without the tenant column the key is unique across tenants (see the unique index case above).
      if (k.columns.length < 2 || at <= 0) continue;
      const table = rlsTenantTable(catalog, k.relation, st, tenant);
      if (!table || leadIdentifiesTenant(catalog, table, k.columns.slice(0, at), tenant, { statement: st, constraint: k.node })) continue;
      const range = constraintRange(st, k);
      const list = range?.list;
      if (!list) continue;
      const kind = k.primary ? 'PRIMARY KEY' : 'UNIQUE constraint';
      const name = displayName(k.relation);
      const usable = list.items.length === k.columns.length && !k.node.without_overlaps;
      report({
        start: list.start,
        end: list.end,
        messageId: 'keyTenantNotFirst',
        data: { tenant, kind, table: name },
        fix: usable ? fixOf(`Move ${tenant} to the front of the ${kind}`, reorder(st, list, at)) : undefined,
      });
    }
  },
});

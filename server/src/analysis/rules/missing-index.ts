import { as, columnRefNames, quoteIdent, walk, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { semanticModel, type FromItem, type Scope, type SemanticModel } from '../semantic';
import type { Fix } from '../types';
import { finalTable, freeIndexName, holdsParam, indexLeads, inMigration, itemSearch, smallTable, statementAfter, type IndexLeads } from './_indexes';
import { displayName, inTransactionBlock, relationRange } from './_tenancy';

/** The ORDER BY of the scope as plain columns of the item, when it has a LIMIT and sorts only by those. */
function sortColumns(model: SemanticModel, s: Scope, item: FromItem): { column: string; desc: boolean }[] | undefined {
  const n = s.node;
  const limit = as(n.limitCount, 'A_Const');
  if (!n.limitCount || (limit && limit.isnull) || !n.sortClause?.length) return undefined;
  const out: { column: string; desc: boolean }[] = [];
  for (const raw of n.sortClause as Node[]) {
    const sb = as(raw, 'SortBy');
    const ref = as(sb?.node, 'ColumnRef');
    const r = ref ? model.resolve(ref) : undefined;
    if (!sb || !r || r.item !== item || r.outer || !r.column || sb.sortby_nulls !== 'SORTBY_NULLS_DEFAULT') return undefined;
    out.push({ column: r.name, desc: sb.sortby_dir === 'SORTBY_DESC' });
  }
  return out;
}

/** Words that name a column of a few distinct values (`type`, `status`, `alert_level`): an enumeration, not a key. */
const ENUMERATION_WORDS = new Set(['type', 'kind', 'status', 'state', 'level', 'category', 'role', 'mode', 'priority', 'enabled', 'active']);

/**
 * A column worth an index of its own: not boolean and not named as an enumeration, whose few values each match a
 * large part of the table (the planner then scans it anyway).
 */
function selective(t: TableInfo, column: string): boolean {
  const type = t.columns.get(column)?.type;
  const words = column.toLowerCase().split('_');
  return type !== undefined && type !== 'bool' && !ENUMERATION_WORDS.has(words[words.length - 1]);
}

/**
 * The columns that row-level security policies read in their USING, on the table and on the partitioned parent
 * its queries may go through: the planner adds those conditions to the query (`tenant_id = current_setting(…)`)
 * for every role they bind, and may seek an index by them. Empty when RLS is off (the policies are then not
 * applied); undefined when the catalog holds a policy without its CREATE POLICY, whose USING is unknown.
 */
export function policyColumns(catalog: Catalog, t: TableInfo): Set<string> | undefined {
  const out = new Set<string>();
  const tables = [t, t.partitionOf ? catalog.tables.get(t.partitionOf) : undefined];
  for (const x of tables) {
    if (!x?.rls) continue;
    for (const p of x.policies) {
      if (p.statement.kind !== 'CreatePolicyStmt') return undefined;
      for (const st of [p.statement, ...(p.alters ?? [])]) {
        walk(st.body?.qual, (type, n) => {
          if (type === 'ColumnRef') {
            const name = columnRefNames(n).at(-1);
            if (name !== undefined) out.add(name);
          }
        });
      }
    }
  }
  return out;
}

/** A policy's condition may be what an index of the table serves (unknown policies included). */
function policyMayServe(catalog: Catalog, t: TableInfo, leads: IndexLeads): boolean {
  const cols = policyColumns(catalog, t);
  return !cols || [...cols].some((c) => leads.columns.has(c) || leads.expressionColumns.has(c));
}

interface Suggestion {
  columns: { column: string; desc: boolean }[];
  /** The filters and sort keys the query has on the item, for the message. */
  reason: string;
}

/**
 * The index the query needs on the item, or undefined when the model is not sure it needs one: no index or key
 * leads with any of its filter or sort columns, and a parameter makes the lookup the application's, per call.
 */
function suggest(model: SemanticModel, s: Scope, item: FromItem, t: TableInfo, tenant: string): Suggestion | undefined {
  const leads = indexLeads(model.catalog, t);
  if (!leads || policyMayServe(model.catalog, t, leads)) return undefined;
  const search = itemSearch(model, s, item);
  if (search.dependent) return undefined;
  const known = search.filters.filter((f) => t.columns.has(f.column));
  if (known.length !== search.filters.length) return undefined;
  // A condition the model does not read (`tags @> $1`, `name ILIKE $1`, `lower(email) = $1`) on a column an index
  // leads with, plainly or in an expression, may be what that index serves (GIN, trigram, expression indexes).
  for (const c of search.otherColumns) if (leads.columns.has(c) || leads.expressionColumns.has(c) || !t.columns.has(c)) return undefined;
  for (const f of known) if (leads.expressionColumns.has(f.column)) return undefined;
  const sort = sortColumns(model, s, item);
  // Served: the planner can start an index scan on one of the columns (the rest is filtered or sorted after it).
  if (known.some((f) => leads.columns.has(f.column)) || (sort && leads.columns.has(sort[0].column))) return undefined;
  const lookups = known.filter((f) => f.kind !== 'null' && f.param && selective(t, f.column));
  // Paging alone, beside a condition the model does not read (`(org = $1 OR $1 IS NULL)`): which rows it leaves is unknown.
  const sorted = !!sort && holdsParamIn(s) && search.otherColumns.size === 0;
  if (lookups.length === 0 && !sorted) return undefined;
  const equal = unique(known.filter((f) => f.kind === 'equality').map((f) => f.column));
  const ordered = [...equal.filter((c) => c === tenant), ...equal.filter((c) => c !== tenant)];
  const range = known.find((f) => f.kind === 'range' && !ordered.includes(f.column));
  const columns = ordered.slice(0, 4).map((column) => ({ column, desc: false }));
  if (range) columns.push({ column: range.column, desc: false });
  else if (sort && columns.length === ordered.length) {
    // Mixed directions need the index to store them; one direction is read backwards if need be.
    const mixed = sort.some((k) => k.desc !== sort[0].desc);
    for (const k of sort) if (!columns.some((c) => c.column === k.column)) columns.push({ column: k.column, desc: mixed && k.desc });
  }
  if (columns.length === 0) return undefined;
  const parts = [];
  if (known.length > 0) parts.push(`filters on ${unique(known.map((f) => f.column)).join(', ')}`);
  if (sort) parts.push(`sorts by ${sort.map((k) => k.column).join(', ')} with a LIMIT`);
  return { columns, reason: parts.join(' and ') };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The scope's LIMIT / OFFSET or any of its expressions takes a parameter: a page the application asks for. */
function holdsParamIn(s: Scope): boolean {
  return holdsParam([s.node.limitCount, s.node.limitOffset, s.node.whereClause]);
}

/** The fix: CREATE INDEX CONCURRENTLY after the query (plain on a partitioned table, where CONCURRENTLY fails). */
function fixFor(st: Statement, catalog: Catalog, t: TableInfo, rv: Node, columns: Suggestion['columns']): Fix | undefined {
  if (st.file.host) return undefined;
  const concurrently = !t.partition;
  if (concurrently && inTransactionBlock(st)) return undefined;
  const rel = relationRange(st, rv);
  if (!rel) return undefined;
  const name = freeIndexName(
    catalog,
    t,
    columns.map((c) => c.column),
  );
  const keys = columns.map((c) => `${quoteIdent(c.column)}${c.desc ? ' DESC' : ''}`).join(', ');
  const sql = `CREATE INDEX${concurrently ? ' CONCURRENTLY' : ''}${name ? ` ${name}` : ''} ON ${st.file.text.slice(rel.start, rel.end)} (${keys})`;
  return { title: `Add an index on ${displayName(rv)} (${columns.map((c) => c.column).join(', ')})`, edits: [statementAfter(st, sql)] };
}

/** Tables joined in one scope beyond which the rule is quiet (see check). */
const MAX_JOINED_TABLES = 16;

export const missingIndex = defineRule({
  // Reads the file's earlier statements (an open BEGIN) for its fix.
  crossStatement: true,
  meta: {
    id: 'missing-index',
    category: 'indexing',
    // Whether the table is big enough for the scan to matter is not in the schema.
    severity: 'info',
    fixable: true,
    docs: {
      summary: 'A query that filters or pages a table by columns no index of the table leads with.',
      why:
        'An index serves a scan through its leading column: `WHERE customer_id = $1` can seek an index on ' +
        '`(customer_id)` or `(customer_id, created_at)`, not one on `(created_at, customer_id)`. When no index, primary ' +
        'key, UNIQUE or EXCLUDE constraint of the table (or of its partitioned parent or partitions) leads with any ' +
        'column the query filters by (or, for `ORDER BY … LIMIT`, sorts by), PostgreSQL reads every row of the ' +
        'table on every call: the cost grows with the table, not with the rows returned. The rule reads the table ' +
        'as the migration history leaves it and fires only when it is sure: a query of the application (a value ' +
        'bound as a parameter, not in a migration or a versioned script), on a table the workspace creates with ' +
        'known indexes (not LIKE, CREATE TABLE AS, inheritance, temporary tables, undeclared partitions), not a ' +
        'settings or lookup table (by its name, or one row by construction), comparing a column that is not ' +
        'boolean with a parameter, with no correlated condition (EXISTS lookups depend on the join plan) and no ' +
        'condition an expression index of the table could serve, and no row-level security policy of the table ' +
        'whose USING reads a column an index leads with (its `tenant_id = current_setting(…)` is added to the query).',
      fix:
        'Create an index that leads with what the query pins: the tenant column first, then the equality columns, ' +
        'then one range or the sort column. The quick fix adds `CREATE INDEX CONCURRENTLY … (…)` after the query ' +
        '(plain CREATE INDEX on a partitioned table); move it to a migration of its own. None in host code or inside ' +
        'a transaction block.',
      bad:
        'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL);\n' +
        'SELECT id, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20;',
      good:
        'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, created_at timestamptz NOT NULL);\n' +
        'CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at);\n' +
        'SELECT id, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20;',
    },
    messages: {
      noIndex:
        'The query {{reason}} of {{table}}, but no index of {{table}} leads with any of them: each call reads the whole ' +
        'table. Add an index on {{table}} ({{columns}}).',
    },
  },
  check({ statement: st, catalog, settings, report }) {
    if (st.kind !== 'SelectStmt' && st.kind !== 'UpdateStmt' && st.kind !== 'DeleteStmt') return;
    if (!st.treeMayInclude('"ParamRef"') || inMigration(st)) return;
    const model = semanticModel(st, catalog);
    for (const s of model.scopes) {
      if (s.kind === 'policy') continue;
      const tables = s.items.filter((i) => i.kind === 'table' && !(s.kind === 'insert' && i.target));
      // Past the planner's join_collapse_limit (8) the join order is its own search: the model cannot say which table
      // is scanned (and a search per pair of tables made a 200-table join take seconds).
      if (tables.length > MAX_JOINED_TABLES) continue;
      // Whether each item is filtered by values of its own, once per scope.
      const filtered = new Map(tables.map((o) => [o, itemSearch(model, s, o).filters.some((f) => f.kind !== 'null')]));
      for (const item of tables) {
        const t = finalTable(catalog, item.rv as Node | undefined, st);
        if (!t || smallTable(t)) continue;
        // Another item filtered by values of its own may drive the join: which side is scanned is the planner's choice.
        if (tables.some((o) => o !== item && filtered.get(o))) continue;
        const sug = suggest(model, s, item, t, settings.tenantColumn);
        if (!sug) continue;
        const span = relationRange(st, item.rv as Node);
        if (!span) continue;
        const columns = sug.columns.map((c) => `${c.column}${c.desc ? ' DESC' : ''}`).join(', ');
        report({
          ...span,
          messageId: 'noIndex',
          data: { table: displayName(item.rv as Node), reason: sug.reason, columns },
          fix: fixFor(st, catalog, t, item.rv as Node, sug.columns),
        });
      }
    }
  },
});

import { quoteIdent, walk, type Node } from '../ast';
import type { Catalog, Column, IndexInfo, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { semanticModel, type FromItem, type Scope, type SemanticModel } from '../semantic';
import type { Fix } from '../types';
import { finalTable, freeIndexName, indexLeads, inMigration, itemSearch, pinnedToOneRow, smallTable, statementAfter } from './_indexes';
import { displayName, inTransactionBlock, relationRange } from './_tenancy';
import { policyColumns } from './missing-index';

/** At most this many columns beyond the index's keys: a wider INCLUDE makes a second copy of the table. */
const MAX_EXTRA = 2;

/**
 * Types of a bounded, small width: an INCLUDE of them keeps the index narrow, and no value can exceed the B-tree's
 * row limit (about 2.7 kB, past which an INSERT fails), as an unbounded text, bytea or jsonb value can.
 */
const NARROW = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'uuid', 'interval', 'oid', 'money']);

function narrow(c: Column | undefined): boolean {
  if (!c || c.array) return false;
  if (NARROW.has(c.type)) return true;
  // varchar(n) / char(n) up to 64 characters: a code, a short name.
  return (c.type === 'varchar' || c.type === 'bpchar') && c.typmod !== undefined && c.typmod <= 64;
}

/** A plain B-tree key column: no expression, operator class, collation or sort order of its own. */
function plainKey(ic: IndexInfo['columns'][number]): boolean {
  const e = ic.node as Node;
  return (
    ic.column !== undefined &&
    !ic.opclass &&
    !(e.collation as unknown[] | undefined)?.length &&
    (e.ordering ?? 'SORTBY_DEFAULT') === 'SORTBY_DEFAULT' &&
    (e.nulls_ordering ?? 'SORTBY_NULLS_DEFAULT') === 'SORTBY_NULLS_DEFAULT'
  );
}

/**
 * Every column of the item the scope reads (its output, conditions, grouping and sort), or undefined when the model
 * cannot list them: a star, a whole-row reference, a reference it cannot resolve, a nested query.
 */
function columnsRead(model: SemanticModel, s: Scope, item: FromItem): Set<string> | undefined {
  const n = s.node;
  const out = new Set<string>();
  let unsure = false;
  walk([n.targetList, n.whereClause, n.groupClause, n.havingClause, n.sortClause, n.distinctClause, n.windowClause], (type, node) => {
    if (type === 'SubLink' || type === 'SelectStmt' || type === 'A_Star') unsure = true;
    else if (type === 'ColumnRef') {
      const r = model.resolve(node);
      if (!r || r.item !== item || r.outer || !r.column) unsure = true;
      else out.add(r.name);
      return false;
    }
    return unsure ? false : undefined;
  });
  return unsure ? undefined : out;
}

interface Candidate {
  index: IndexInfo;
  keys: string[];
  extra: string[];
}

/**
 * The index the query is read through (a full, non-unique B-tree of plain columns whose leading column it pins to a
 * parameter) and the few narrow columns it reads beyond that index's keys; undefined when the model is not sure an
 * INCLUDE would make the scan index-only, or when some index holds every column already.
 */
function candidate(model: SemanticModel, s: Scope, item: FromItem, t: TableInfo): Candidate | undefined {
  const read = columnsRead(model, s, item);
  if (!read) return undefined;
  const search = itemSearch(model, s, item);
  if (search.dependent || search.otherColumns.size > 0) return undefined;
  const pinned = new Set(search.filters.filter((f) => f.kind === 'equality' && f.param).map((f) => f.column));
  // Whatever index the planner takes, it holds all the query reads: an index-only scan is possible already.
  if (t.indexes.some((i) => !i.partial && i.method === 'btree' && i.columns[0]?.column !== undefined && [...read].every((c) => holds(i, c)))) return undefined;
  let best: Candidate | undefined;
  for (const index of t.indexes) {
    if (index.method !== 'btree' || index.partial || index.unique || index.primary || !index.columns.every(plainKey)) continue;
    const keys = index.columns.map((c) => c.column!);
    if (!pinned.has(keys[0])) continue;
    const extra = [...read].filter((c) => !holds(index, c));
    if (extra.length === 0 || extra.length > MAX_EXTRA || !extra.every((c) => narrow(t.columns.get(c)))) continue;
    // Another index leading with a pinned column may be the planner's choice: which one it takes is not known.
    if (best) return undefined;
    best = { index, keys, extra };
  }
  if (!best) return undefined;
  const others = t.indexes.filter(
    (i) => i !== best!.index && i.columns[0]?.column !== undefined && search.filters.some((f) => f.column === i.columns[0].column),
  );
  const keyed = t.uniques.some((u) => u.columns[0] !== undefined && search.filters.some((f) => f.column === u.columns[0]));
  return others.length > 0 || keyed ? undefined : best;
}

function holds(i: IndexInfo, column: string): boolean {
  return i.columns.some((c) => c.column === column) || i.include.includes(column);
}

/** The fix: the index again, with the INCLUDE columns, built CONCURRENTLY after the query. None in host code or in BEGIN. */
function fixFor(st: Statement, catalog: Catalog, t: TableInfo, rv: Node, c: Candidate): Fix | undefined {
  if (st.file.host || inTransactionBlock(st)) return undefined;
  const rel = relationRange(st, rv);
  if (!rel) return undefined;
  const name = freeIndexName(catalog, t, [...c.keys, ...c.extra]);
  const sql =
    `CREATE INDEX CONCURRENTLY${name ? ` ${name}` : ''} ON ${st.file.text.slice(rel.start, rel.end)} ` +
    `(${c.keys.map(quoteIdent).join(', ')}) INCLUDE (${c.extra.map(quoteIdent).join(', ')})`;
  return { title: `Add ${c.extra.join(', ')} to a copy of ${c.index.name ?? 'the index'} as INCLUDE columns`, edits: [statementAfter(st, sql)] };
}

export const coveringIndex = defineRule({
  // Reads the file's earlier statements (an open BEGIN) for its fix.
  crossStatement: true,
  meta: {
    id: 'covering-index',
    category: 'indexing',
    // A gain per matching row (a heap fetch), which only matters on a hot path and a table that is mostly vacuumed.
    severity: 'info',
    fixable: true,
    docs: {
      summary: 'A query read through an index that would run as an index-only scan if the index carried one or two more columns (INCLUDE).',
      why:
        'An index scan finds the matching entries in the index, then fetches each row from the table for the ' +
        'columns the index does not hold: one random heap page per row. When the index holds every column the ' +
        'query reads, PostgreSQL runs an index-only scan and skips the heap for every page the visibility map marks ' +
        'all-visible. `INCLUDE (…)` (PostgreSQL 11+) adds columns to the leaf entries without making them keys. The ' +
        'rule fires only when it is sure: a SELECT of the application (a parameter, outside migrations) over one ' +
        'workspace table of known indexes (not a settings or lookup table) that pins the leading column of exactly ' +
        'one full, non-unique B-tree index of plain columns to a parameter, where no other index or key leads with a ' +
        'filtered column (which one the planner takes would not be known), every column the query reads is known ' +
        '(no star, no subquery, no condition the model does not read), it reads at most two columns beyond that ' +
        "index's keys, each of a narrow bounded type (integers, timestamps, uuid, short varchar: an unbounded text " +
        'or jsonb value could exceed the B-tree row limit), and the query does not pin a primary or unique key (one ' +
        'row: one heap fetch at most), on a table whose row-level security policies (when RLS is on) read no column ' +
        '(their conditions would be columns the index must hold too).',
      fix:
        'Create the same index with the columns in INCLUDE, then drop the old one once the new one is valid (it ' +
        'serves every query the old one served). The quick fix adds `CREATE INDEX CONCURRENTLY … (keys) INCLUDE (…)` ' +
        'after the query; move it to a migration of its own, and drop the old index there with DROP INDEX ' +
        'CONCURRENTLY. None in host code or inside a transaction block.',
      bad:
        'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total_cents int8 NOT NULL, note text);\n' +
        'CREATE INDEX orders_customer_id_idx ON orders (customer_id);\n' +
        'SELECT id, total_cents FROM orders WHERE customer_id = $1;',
      good:
        'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total_cents int8 NOT NULL, note text);\n' +
        'CREATE INDEX orders_customer_id_idx ON orders (customer_id) INCLUDE (id, total_cents);\n' +
        'SELECT id, total_cents FROM orders WHERE customer_id = $1;',
    },
    messages: {
      include:
        'The query reads {{table}} through {{index}} ({{keys}}) but also needs {{extra}}, which only the table holds: ' +
        'each matching row costs a heap fetch. With INCLUDE ({{extra}}) it can run as an index-only scan: ' +
        'CREATE INDEX CONCURRENTLY … ON {{table}} ({{keys}}) INCLUDE ({{extra}}), then drop {{index}}.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'SelectStmt' || !st.treeMayInclude('"ParamRef"') || inMigration(st)) return;
    const model = semanticModel(st, catalog);
    for (const s of model.scopes) {
      if (s.kind !== 'select' || s.items.length !== 1 || s.arms.length > 0) continue;
      const item = s.items[0];
      if (item.kind !== 'table' || !item.rv) continue;
      const t = finalTable(catalog, item.rv as Node, st);
      if (!t || t.partition || t.partitionOf || smallTable(t) || !indexLeads(catalog, t)) continue;
      if (pinnedToOneRow(model, s, item)) continue;
      // A row-level security policy adds conditions on columns the query does not show: an index-only scan would
      // need them in the index too, and the planner may pick the index they lead.
      if (policyColumns(catalog, t)?.size !== 0) continue;
      const c = candidate(model, s, item, t);
      if (!c) continue;
      const span = relationRange(st, item.rv as Node);
      if (!span) continue;
      const table = displayName(item.rv as Node);
      report({
        ...span,
        messageId: 'include',
        data: { table, index: c.index.name ?? `the index on ${table}`, keys: c.keys.join(', '), extra: c.extra.join(', ') },
        fix: fixFor(st, catalog, t, item.rv as Node, c),
      });
    }
  },
});

import { as, operatorOf, quoteIdent, strings, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import { qkey } from '../catalog';
import { defineRule } from '../rule';
import { conjuncts, readsOf, semanticModel } from '../semantic';
import { indexFamily, inMigration, pinnedToOneRow } from './_indexes';
import { exprSpan } from './_query-rules';

/** Column types pg_trgm's operator classes accept as they are. */
const TRGM_TYPES = new Set(['text', 'varchar', 'bpchar']);
const TRGM_OPCLASSES = new Set(['gin_trgm_ops', 'gist_trgm_ops']);

/**
 * True when the pattern surely starts with a wildcard: a string literal starting with `%` or `_`, or a
 * concatenation (`'%' || $1`, `concat('%', $1)`) whose first part is one. A parameter alone may hold anything.
 */
function leadingWildcard(pattern: Node | undefined): boolean {
  const c = as(pattern, 'A_Const');
  if (c) return typeof c.sval?.sval === 'string' && /^[%_]/.test(c.sval.sval);
  const cast = as(pattern, 'TypeCast');
  if (cast) return leadingWildcard(cast.arg);
  const x = as(pattern, 'A_Expr');
  if (x?.kind === 'AEXPR_OP' && operatorOf(x) === '||') return leadingWildcard(x.lexpr);
  const fn = as(pattern, 'FuncCall');
  if (fn && strings(fn.funcname).pop() === 'concat') return leadingWildcard((fn.args ?? [])[0]);
  return false;
}

/** True when some index of the table may serve the pattern: a trigram one on the column, or any expression index on it. */
function servedByIndex(catalog: Catalog, t: TableInfo, column: string): boolean {
  return indexFamily(catalog, t)
    .flatMap((x) => x.indexes)
    .some((i) =>
      i.columns.some((c) => (c.column === column && TRGM_OPCLASSES.has(c.opclass ?? '')) || (c.column === undefined && c.exprColumns.includes(column))),
    );
}

export const leadingWildcardLike = defineRule({
  meta: {
    id: 'leading-wildcard-like',
    category: 'indexing',
    // The cost is the table's size, which the SQL does not show: a scan of a small admin table is harmless.
    severity: 'info',
    fixable: false,
    docs: {
      summary: "LIKE / ILIKE with a leading wildcard (`%…`, `'%' || $1`) on a column with no trigram index.",
      why:
        'A B-tree index serves a LIKE pattern only through its fixed prefix (`abc%`, with text_pattern_ops or the C ' +
        'collation): a pattern that starts with `%` or `_` has none, so the condition is checked on every row of the ' +
        'table, and ILIKE never uses a B-tree at all. pg_trgm’s GIN (or GiST) operator class indexes the ' +
        'three-letter pieces of the text and serves `LIKE` and `ILIKE` with wildcards anywhere (for patterns with ' +
        'at least three characters between them). The rule fires only on a top-level WHERE / JOIN ON condition ' +
        'on a text, varchar or char column of a table the workspace declares, with a pattern known to start with a ' +
        'wildcard (a literal, or a concatenation that starts with one: a parameter alone may hold anything), when ' +
        'no index of the table has the column under gin_trgm_ops / gist_trgm_ops, nor an expression on it (it may ' +
        'be the one that serves the query), nor when the other conditions pin a primary or unique key (`id = $1`). Statements of migrations (a versioned file such as `002_backfill.sql`, or ' +
        'one whose path names migrations) run once: building the index would read the table as the statement does, and the rule ' +
        'is quiet there.',
      fix:
        'Create a trigram index on the column: `CREATE EXTENSION IF NOT EXISTS pg_trgm;` then ' +
        '`CREATE INDEX CONCURRENTLY … ON table USING gin (column gin_trgm_ops);` in a migration of its own. For ' +
        'word search over long text, full-text search (tsvector with a GIN index) may fit better. There is no quick ' +
        'fix: the index belongs in the schema, not in the query.',
      bad: "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\nSELECT id FROM customers WHERE name ILIKE '%' || $1 || '%';",
      good:
        'CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n' +
        'CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);\n' +
        "SELECT id FROM customers WHERE name ILIKE '%' || $1 || '%';",
    },
    messages: {
      leadingWildcard:
        '{{expr}} starts with a wildcard: no B-tree can serve it and {{table}} has no trigram index on {{column}}, so every row is ' +
        'read. Add one: CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX CONCURRENTLY … ON {{table}} USING gin ({{column}} gin_trgm_ops).',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'SelectStmt' && st.kind !== 'UpdateStmt' && st.kind !== 'DeleteStmt' && st.kind !== 'InsertStmt') return;
    if (!st.treeMayInclude('"AEXPR_LIKE"') && !st.treeMayInclude('"AEXPR_ILIKE"')) return;
    if (inMigration(st)) return;
    const model = semanticModel(st, catalog);
    for (const s of model.scopes) {
      if (s.kind === 'policy') continue;
      for (const c of s.quals.filter((q) => q !== s.node.havingClause).flatMap(conjuncts)) {
        const x = as(c, 'A_Expr');
        const op = x ? operatorOf(x) : '';
        if (!x || (x.kind !== 'AEXPR_LIKE' && x.kind !== 'AEXPR_ILIKE') || (op !== '~~' && op !== '~~*')) continue;
        const ref = as(x.lexpr, 'ColumnRef');
        if (!ref || !leadingWildcard(x.rexpr)) continue;
        const col = model.resolve(ref);
        const reads = readsOf(s, x.rexpr, model);
        if (!col || col.outer || col.scope !== s || reads.unresolved || reads.items.size > 0) continue;
        const table = col.item.kind === 'table' ? col.item.table : undefined;
        const type = col.column?.type;
        if (!table || table.ambiguous || table.kind === 'view' || !type || col.column?.array || !TRGM_TYPES.has(type)) continue;
        if (servedByIndex(catalog, table, col.name) || pinnedToOneRow(model, s, col.item)) continue;
        // A table the workspace drops (or replaces) later is a scratch table, not one the application searches in
        // production (PostgreSQL's strings.sql: `a LIKE '%1%'` on a table created, read and dropped in three lines).
        if (catalog.tables.get(qkey(table)) !== table) continue;
        const span = exprSpan(st, c);
        if (!span) continue;
        const name = table.schema === 'public' ? quoteIdent(table.name) : `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
        report({ ...span, messageId: 'leadingWildcard', data: { expr: st.file.text.slice(span.start, span.end), table: name, column: quoteIdent(col.name) } });
      }
    }
  },
});

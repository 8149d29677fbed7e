import { as } from '../ast';
import type { TableInfo } from '../catalog';
import { defineRule } from '../rule';
import { conjuncts, semanticModel, type Scope, type SemanticModel } from '../semantic';
import { METRIC_NAME, selectScopes, vectorIndexesOn, vectorOrders } from './_pgvector';

/** pgvector's column types that HNSW and IVFFlat index with the four distance operators below. */
export const VECTOR_TYPES = new Set(['vector', 'halfvec', 'sparsevec']);
/** L2, inner product, cosine, L1: the operators of vector/halfvec/sparsevec. */
export const VECTOR_OPS = new Set(['<->', '<#>', '<=>', '<+>']);

/** True when the scope, or a query it is the FROM item, CTE or set-operation arm of, has a LIMIT (not LIMIT ALL). */
export function limitedAbove(s: Scope): boolean {
  for (let cur: Scope | undefined = s; cur; cur = cur.parent) {
    const limit = cur.node.limitCount;
    if (limit && !as(limit, 'A_Const')?.isnull) return true;
    // A sublink's rows are all read by the expression around it, whatever the outer query's LIMIT.
    if (cur.role === 'sublink' || cur.role === 'statement' || cur.role === 'insert-source') return false;
  }
  return false;
}

/**
 * True when a WHERE conjunct pins another column of the table to a value (`doc_id = $1`, `= ANY($2)`, `IN (…)`): the
 * query ranks a few rows an index on that column finds, which is no nearest-neighbour search of the table.
 */
export function entityFiltered(model: SemanticModel, s: Scope, table: TableInfo, vectorColumn: string): boolean {
  const where = new Set(conjuncts(s.node.whereClause));
  return model.predicates(s).some((p) => {
    if (!p.node || !where.has(p.node)) return false;
    if (p.kind !== 'compare' && p.kind !== 'any' && p.kind !== 'in-list') return false;
    if (p.kind !== 'in-list' && p.op !== '=') return false;
    return p.column.scope === s && p.column.item.table === table && p.column.name !== vectorColumn && p.reads.items.size === 0 && !p.reads.unresolved;
  });
}

export const vectorOrderbyNoLimit = defineRule({
  meta: {
    id: 'vector-orderby-no-limit',
    category: 'pgvector',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'A pgvector distance ORDER BY (`<->`, `<=>`, `<#>`, `<+>`) with no LIMIT.',
      why:
        'HNSW and IVFFlat indexes answer one question: the k nearest rows, for `ORDER BY embedding <=> $1 LIMIT k`. ' +
        'Without a LIMIT the planner needs every row in distance order: pgvector costs its index scan as cheap for the ' +
        'first rows and dear for all of them, so PostgreSQL computes the distance for every row of the table and sorts ' +
        'them all (measured on PGlite with pgvector 0.8.7 and 20,000 rows: Sort over Seq Scan without LIMIT, Index Scan ' +
        'with LIMIT 10), milliseconds becoming seconds at a million vectors. Were the index used anyway (sequential scans ' +
        'disabled, other costs), an HNSW scan stops after hnsw.ef_search rows, 40 by default: the same query returned 40 ' +
        'of the 20,000 rows. ' +
        'Only vector, halfvec and sparsevec columns the workspace declares are checked (`<->` is also the distance of ' +
        'PostGIS and pg_trgm, which are not this), and a LIMIT of an outer query the subquery is read by counts, as does ' +
        'a cursor (DECLARE … CURSOR plans for its first rows).',
      fix:
        'Add `LIMIT k` with the number of neighbours the application uses (and filter or page on top of those k rows). ' +
        'A LIMIT changes the result, so there is no quick fix. A query that ranks the rows another equality picks (`WHERE ' +
        'doc_id = $2 ORDER BY embedding <=> $1`: the chunks of one document) is left alone: the sort is cheap and the vector ' +
        'index is not wanted there; make sure that condition is indexed.',
      bad:
        'CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(768));\n' +
        'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n' +
        'SELECT id FROM docs ORDER BY embedding <=> $1;',
      good:
        'CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(768));\n' +
        'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n' +
        'SELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 10;',
    },
    messages: {
      indexed:
        'ORDER BY {{order}} has no LIMIT: PostgreSQL computes the {{metric}} for every row of {{table}} and sorts them all instead of ' +
        'using the {{method}} index {{index}}, which pays off for the first k rows only (and, if used anyway, an HNSW scan stops after ' +
        'hnsw.ef_search rows, 40 by default). Add LIMIT k (the neighbours you use).',
      unindexed:
        'ORDER BY {{order}} has no LIMIT: PostgreSQL computes the {{metric}} for every row of {{table}} and sorts them all, and an ' +
        'HNSW or IVFFlat index on {{column}} would not change that (it pays off for ORDER BY distance LIMIT k only). Add LIMIT k.',
    },
  },
  check({ statement, catalog, report }) {
    if (!/<[-=#+]>/.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"sortClause"')) return;
    // A cursor is planned for its first rows (cursor_tuple_fraction): the index can be used.
    if (statement.kind === 'DeclareCursorStmt') return;
    const model = semanticModel(statement, catalog);
    for (const scope of selectScopes(model)) {
      if (limitedAbove(scope)) continue;
      for (const o of vectorOrders(scope, model)) {
        const col = o.table?.columns.get(o.column);
        if (!o.table || !col || col.array || !VECTOR_TYPES.has(col.type) || !VECTOR_OPS.has(o.op)) continue;
        if (entityFiltered(model, scope, o.table, o.column)) continue;
        const span = statement.span(o.sortNode);
        if (!span) continue;
        const index = vectorIndexesOn(o.table, o.column)[0];
        const data = { order: statement.file.text.slice(span.start, span.end), metric: METRIC_NAME[o.metric], table: o.table.name, column: o.column };
        if (index)
          report({
            ...span,
            messageId: 'indexed',
            data: { ...data, method: index.method.toUpperCase(), index: index.name ?? `on ${o.table.name} (${o.column})` },
          });
        else report({ ...span, messageId: 'unindexed', data });
      }
    }
  },
});

import { as } from '../ast';
import { defineRule } from '../rule';
import { semanticModel, type Predicate, type Scope } from '../semantic';
import { pinnedToOneRow } from './_indexes';
import { opclassMetric, selectScopes, vectorIndexesOn, vectorOrders } from './_pgvector';
import { VECTOR_OPS, VECTOR_TYPES } from './vector-orderby-no-limit';

/** Predicate kinds that filter rows by a value of a column. IS [NOT] NULL is left out: rarely selective (deleted_at IS NULL). */
const FILTER_KINDS = new Set<Predicate['kind']>(['compare', 'between', 'in-list', 'any', 'in-subquery']);

/** The scope's own LIMIT, when it is one (not LIMIT ALL). */
function ownLimit(s: Scope): boolean {
  const limit = s.node.limitCount;
  return !!limit && !as(limit, 'A_Const')?.isnull;
}

export const vectorFilteredSearch = defineRule({
  meta: {
    id: 'vector-filtered-search',
    category: 'pgvector',
    severity: 'info',
    fixable: false,
    docs: {
      summary: 'A pgvector nearest-neighbour query (`ORDER BY embedding <=> $1 LIMIT k`) that also filters on another column of the table.',
      why:
        'An HNSW index scan returns hnsw.ef_search candidates (40 by default), an IVFFlat scan those of ivfflat.probes lists, and ' +
        'PostgreSQL applies the WHERE filter to them afterwards. When the filter keeps 10 % of the rows, about 4 of the 40 ' +
        'candidates pass, and `LIMIT 10` returns 4 rows, without an error (measured on PGlite with pgvector 0.8.7, 20,000 rows, ' +
        'a filter keeping 1 row in 10: an Index Scan with a Filter, 3 rows of LIMIT 10; with hnsw.iterative_scan = relaxed_order, 10). Only vector, halfvec and sparsevec columns the workspace declares, ' +
        'with an HNSW or IVFFlat index of the operator, are checked. Left alone: a filter pinning a primary or unique key (one ' +
        'row), an equality on a column another index leads with (the planner has an exact path and takes it for a selective ' +
        'value: a Bitmap Index Scan and a Sort for 1 row in 100 on PGlite, though still the HNSW scan for 1 in 10, which this ' +
        'rule then misses, lacking the selectivity), a partial vector index (it may be the filter), and a file that sets hnsw.iterative_scan ' +
        'or ivfflat.iterative_scan.',
      fix:
        'With pgvector 0.8 or later, `SET hnsw.iterative_scan = relaxed_order` (or strict_order; ivfflat.iterative_scan for ' +
        'IVFFlat) makes the scan continue until LIMIT rows pass the filter, bounded by hnsw.max_scan_tuples. For a filter value ' +
        'fixed in the query, a partial index (`CREATE INDEX … USING hnsw (embedding vector_cosine_ops) WHERE category_id = 1`); ' +
        'for a few values, partitioning the table by the filter column; for a selective filter, an index on the filter column ' +
        '(exact search). Each changes results or configuration, so there is no quick fix.',
      bad:
        'CREATE TABLE items (id bigint PRIMARY KEY, category_id int, embedding vector(3));\n' +
        'CREATE INDEX ON items USING hnsw (embedding vector_l2_ops);\n' +
        'SELECT id FROM items WHERE category_id = $2 ORDER BY embedding <-> $1 LIMIT 10;',
      good:
        'CREATE TABLE items (id bigint PRIMARY KEY, category_id int, embedding vector(3));\n' +
        'CREATE INDEX ON items USING hnsw (embedding vector_l2_ops);\n' +
        'SET hnsw.iterative_scan = relaxed_order;\n' +
        'SELECT id FROM items WHERE category_id = $2 ORDER BY embedding <-> $1 LIMIT 10;',
    },
    messages: {
      filtered:
        'ORDER BY {{order}} … LIMIT uses the {{method}} index {{index}}, and the filter on {{filter}} is applied to the candidates it ' +
        'returns ({{candidates}}): with a selective filter the query returns fewer rows than its LIMIT. With pgvector 0.8+, SET ' +
        '{{setting}} = relaxed_order; or a partial index for a fixed {{filter}} value, or partition {{table}} by {{filter}}.',
    },
  },
  check({ statement, catalog, report }) {
    if (!/<[-=#+]>/.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"limitCount"') || !statement.treeMayInclude('"whereClause"')) return;
    // The scan is already iterative: the file sets it for its connection (SET, SET LOCAL, set_config).
    if (/\b(?:hnsw|ivfflat)\.iterative_scan\b/i.test(statement.file.text)) return;
    const model = semanticModel(statement, catalog);
    for (const scope of selectScopes(model)) {
      if (!scope.node.whereClause || !ownLimit(scope)) continue;
      for (const o of vectorOrders(scope, model)) {
        const table = o.table;
        const col = table?.columns.get(o.column);
        if (!table || !col || col.array || !VECTOR_TYPES.has(col.type) || !VECTOR_OPS.has(o.op)) continue;
        const indexes = vectorIndexesOn(table, o.column).filter((i) => opclassMetric(i.columns[0].opclass, col.type) === o.metric);
        if (indexes.length === 0 || indexes.some((i) => i.partial)) continue;
        const filters = model
          .predicates(scope)
          .filter(
            (p) =>
              FILTER_KINDS.has(p.kind) &&
              'column' in p &&
              p.column.scope === scope &&
              p.column.item.table === table &&
              p.column.name !== o.column &&
              (!('reads' in p) || (p.reads.items.size === 0 && !p.reads.unresolved)),
          );
        if (filters.length === 0) continue;
        const item = (filters[0] as Extract<Predicate, { column: unknown }>).column.item;
        if (pinnedToOneRow(model, scope, item)) continue;
        // An equality on a column another index leads with: the planner may take that exact path.
        const exact = filters.some((p) => {
          if (!('column' in p)) return false;
          const eq = p.kind === 'in-list' || p.kind === 'in-subquery' || ((p.kind === 'compare' || p.kind === 'any') && p.op === '=');
          // A PRIMARY KEY or UNIQUE constraint's index counts like any other.
          const leads = (first: string | undefined): boolean => first === p.column.name;
          return (
            eq &&
            (table.indexes.some((i) => !vectorIndexesOn(table, o.column).includes(i) && leads(i.columns[0]?.column)) ||
              table.uniques.some((u) => leads(u.columns[0])))
          );
        });
        if (exact) continue;
        const span = statement.span(o.sortNode);
        if (!span) continue;
        const index = indexes[0];
        const filter = filters[0] as Extract<Predicate, { column: unknown }>;
        report({
          ...span,
          messageId: 'filtered',
          data: {
            order: statement.file.text.slice(span.start, span.end),
            method: index.method.toUpperCase(),
            index: index.name ?? `on ${table.name} (${o.column})`,
            candidates: index.method === 'ivfflat' ? 'the rows of ivfflat.probes lists, 1 by default' : 'hnsw.ef_search, 40 by default',
            setting: `${index.method}.iterative_scan`,
            filter: filter.column.name,
            table: table.name,
          },
        });
      }
    }
  },
});

import { as, operatorOf, walk, type Node } from '../ast';
import type { TableInfo } from '../catalog';
import { defineRule } from '../rule';
import { readsOf, semanticModel, type Scope, type SemanticModel } from '../semantic';
import { DISTANCE_OPS, METRIC_NAME, selectScopes, vectorIndexesOn, vectorOrders, type Metric } from './_pgvector';
import { entityFiltered, limitedAbove, VECTOR_OPS, VECTOR_TYPES } from './vector-orderby-no-limit';

const COMPARISONS = new Set(['<', '<=', '>', '>=']);
const ARITHMETIC = new Set(['+', '-', '*', '/']);

interface Distance {
  column: string;
  info: TableInfo;
  table: string;
  metric: Metric;
  indexed: boolean;
}

export const vectorDistanceThreshold = defineRule({
  meta: {
    id: 'vector-distance-threshold',
    category: 'pgvector',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'A pgvector distance compared with a threshold in WHERE (`embedding <=> $1 < 0.3`) without ORDER BY that distance.',
      why:
        'HNSW and IVFFlat indexes only produce rows in distance order for `ORDER BY embedding <=> $1 LIMIT k`; a condition ' +
        'on the distance in WHERE is not an index condition. PostgreSQL computes the distance for every row of the table ' +
        'and keeps those under the threshold: a sequential scan whose cost grows with the table (every 768-dimension ' +
        'vector read and compared), however few rows qualify. Similarity written as `1 - (embedding <=> $1) > 0.7` is the ' +
        'same. Only vector, halfvec and sparsevec columns the workspace declares are checked; a query that also orders by ' +
        'that distance is left to vector-orderby-no-limit (with a LIMIT, the index scan is used and the threshold filters ' +
        'its rows), and so is one whose WHERE also pins another column of the table with an equality (`doc_id = $2`: a few ' +
        'rows found by that column, where computing the distance is cheap).',
      fix:
        'Ask for the k nearest rows and apply the threshold to them: ' +
        '`SELECT * FROM (SELECT id, embedding <=> $1 AS distance FROM docs ORDER BY distance LIMIT 100) nearest WHERE ' +
        'distance < 0.3`, or add `ORDER BY embedding <=> $1 LIMIT k` to the query itself. An HNSW scan returns at most ' +
        'hnsw.ef_search rows before the filter; with pgvector 0.8, `SET hnsw.iterative_scan = relaxed_order` (or ' +
        'strict_order) keeps scanning until LIMIT rows pass. The threshold alone cannot be served by the index, and a LIMIT ' +
        'changes the result, so there is no quick fix.',
      bad:
        'CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(768));\n' +
        'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n' +
        'SELECT id FROM docs WHERE embedding <=> $1 < 0.3;',
      good:
        'CREATE TABLE docs (id bigint PRIMARY KEY, embedding vector(768));\n' +
        'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n' +
        'SELECT id, distance FROM (SELECT id, embedding <=> $1 AS distance FROM docs ORDER BY distance LIMIT 100) nearest\n' +
        'WHERE distance < 0.3;',
    },
    messages: {
      threshold:
        '{{condition}} is evaluated on every row: {{indexNote}}, so PostgreSQL computes the {{metric}} of every row of {{table}} ' +
        'and then filters. Take the nearest k first and filter those: SELECT … FROM (SELECT …, {{column}} {{op}} … AS distance FROM {{table}} ' +
        'ORDER BY distance LIMIT k) nearest WHERE distance …; with pgvector 0.8, hnsw.iterative_scan lets ORDER BY … LIMIT k keep ' +
        'scanning until k rows pass the threshold.',
    },
  },
  check({ statement, catalog, report }) {
    if (!/<[-=#+]>/.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"whereClause"')) return;
    const model = semanticModel(statement, catalog);
    for (const scope of selectScopes(model)) {
      const where = scope.node.whereClause as Node | undefined;
      if (!where || limitedAbove(scope)) continue;
      const ordered = new Set(vectorOrders(scope, model).map((o) => o.column));
      walk(where, (type, n) => {
        if (type === 'SubLink') return false;
        if (type !== 'A_Expr' || n.kind !== 'AEXPR_OP' || !COMPARISONS.has(operatorOf(n))) return undefined;
        const left = distanceIn(scope, model, n.lexpr);
        const right = distanceIn(scope, model, n.rexpr);
        const d = left && !right && constant(scope, model, n.rexpr) ? left : right && !left && constant(scope, model, n.lexpr) ? right : undefined;
        if (!d || ordered.has(d.column) || entityFiltered(model, scope, d.info, d.column)) return undefined;
        const span = statement.span({ A_Expr: n });
        if (!span) return undefined;
        report({
          ...span,
          messageId: 'threshold',
          data: {
            condition: statement.file.text.slice(span.start, span.end),
            indexNote: d.indexed
              ? `the vector index on ${d.table} (${d.column}) only serves ORDER BY distance LIMIT k`
              : 'an HNSW or IVFFlat index only serves ORDER BY distance LIMIT k, never a WHERE condition on the distance',
            metric: METRIC_NAME[d.metric],
            table: d.table,
            column: d.column,
            op: opOf(d.metric),
          },
        });
        return false;
      });
    }
  },
});

const opOf = (m: Metric) => Object.keys(DISTANCE_OPS).find((k) => DISTANCE_OPS[k] === m) ?? '<->';

/**
 * The distance an expression computes: `col <=> value`, or arithmetic of it with constants (`1 - (col <=> $1)`),
 * with `col` a vector column of the scope's own table and `value` reading no row of the scope.
 */
function distanceIn(s: Scope, model: SemanticModel, e: Node | undefined): Distance | undefined {
  let cur = e;
  while (as(cur, 'TypeCast')) cur = as(cur, 'TypeCast')!.arg;
  const x = as(cur, 'A_Expr');
  if (!x || x.kind !== 'AEXPR_OP') return undefined;
  const op = operatorOf(x);
  if (ARITHMETIC.has(op)) {
    const l = x.lexpr ? distanceIn(s, model, x.lexpr) : undefined;
    const r = distanceIn(s, model, x.rexpr);
    if (l && !r && constant(s, model, x.rexpr)) return l;
    if (r && !l && (!x.lexpr || constant(s, model, x.lexpr))) return r;
    return undefined;
  }
  if (!VECTOR_OPS.has(op)) return undefined;
  for (const [colSide, other] of [
    [x.lexpr, x.rexpr],
    [x.rexpr, x.lexpr],
  ] as [Node, Node][]) {
    let c = colSide;
    while (as(c, 'TypeCast')) c = as(c, 'TypeCast')!.arg;
    const ref = as(c, 'ColumnRef');
    const r = ref ? model.resolve(ref) : undefined;
    const table = r?.item.kind === 'table' ? r.item.table : undefined;
    if (!r || r.scope !== s || !table || !r.column || r.column.array || !VECTOR_TYPES.has(r.column.type) || !constant(s, model, other)) continue;
    return { column: r.name, info: table, table: table.name, metric: DISTANCE_OPS[op], indexed: vectorIndexesOn(table, r.name).length > 0 };
  }
  return undefined;
}

/** An expression that reads no row of the scope: a constant, a parameter, an outer query's column (nothing unresolved). */
function constant(s: Scope, model: SemanticModel, e: Node | undefined): boolean {
  if (!e) return false;
  const reads = readsOf(s, e, model);
  return reads.items.size === 0 && !reads.unresolved;
}

/**
 * Shared helpers of the pgvector and partitioning rules (hnsw-*, vector-opclass-mismatch, partition-range-missing):
 * distance operators and operator classes, the token layout of CREATE INDEX, and vector ORDER BYs (read through the
 * semantic model).
 */
import { as, columnRefNames, strings, type Node } from '../ast';
import type { IndexInfo, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { readsOf, type Scope, type SemanticModel } from '../semantic';
import type { Token } from '../tokens';

export type Metric = 'l2' | 'ip' | 'cosine' | 'l1' | 'hamming' | 'jaccard';

/** pgvector's distance operators. */
export const DISTANCE_OPS: Record<string, Metric> = {
  '<->': 'l2',
  '<#>': 'ip',
  '<=>': 'cosine',
  '<+>': 'l1',
  '<~>': 'hamming',
  '<%>': 'jaccard',
};

export const METRIC_OP: Record<Metric, string> = {
  l2: '<->',
  ip: '<#>',
  cosine: '<=>',
  l1: '<+>',
  hamming: '<~>',
  jaccard: '<%>',
};

export const METRIC_NAME: Record<Metric, string> = {
  l2: 'L2 distance',
  ip: 'inner product',
  cosine: 'cosine distance',
  l1: 'L1 distance',
  hamming: 'Hamming distance',
  jaccard: 'Jaccard distance',
};

/** The index access methods of pgvector. */
const VECTOR_METHODS = new Set(['hnsw', 'ivfflat']);

/** Types whose default opclass (no opclass written) is the L2 one: vector_l2_ops, halfvec_l2_ops, sparsevec_l2_ops. */
const L2_DEFAULT_TYPES = new Set(['vector', 'halfvec', 'sparsevec']);

/**
 * The metric an operator class orders by: `vector_cosine_ops` → cosine. No opclass means the type's default,
 * L2 for vector/halfvec/sparsevec. Unknown opclasses (another extension's) give undefined.
 */
export function opclassMetric(opclass: string | undefined, type: string | undefined): Metric | undefined {
  if (!opclass) return type === undefined || L2_DEFAULT_TYPES.has(type) ? 'l2' : undefined;
  const m = /^(?:vector|halfvec|sparsevec|bit)_(l2|ip|cosine|l1|hamming|jaccard)_ops$/.exec(opclass.toLowerCase());
  return m ? (m[1] as Metric) : undefined;
}

/** The name without quotes, as the parser would read it (lower-cased unless quoted). */
export function identText(t: Token): string {
  if (t.text.startsWith('"')) return t.text.slice(1, -1).replace(/""/g, '"');
  return t.text.toLowerCase();
}

export interface IndexLayout {
  /** Code tokens of the statement. */
  tokens: Token[];
  /** Per index element: [first, last] code-token indexes. */
  elements: [number, number][];
  /** Code-token index of the `(` and `)` around the element list. */
  open: number;
  close: number;
  /** Code-token indexes of `USING` and the method name, or -1. */
  using: number;
  method: number;
}

/** The token layout of a CREATE INDEX statement: where each index element is, and the list's parentheses. */
export function indexLayout(st: Statement): IndexLayout | undefined {
  const b = st.body;
  const tokens = st.codeTokens();
  const relLoc = b.relation?.location;
  if (typeof relLoc !== 'number' || relLoc < 0) return undefined;
  const relOff = st.loc(relLoc);
  let i = tokens.findIndex((t) => t.start >= relOff);
  if (i < 0) return undefined;
  let using = -1;
  let method = -1;
  for (; i < tokens.length && tokens[i].text !== '('; i++) {
    if (tokens[i].keyword === 'USING') {
      using = i;
      method = i + 1;
    }
  }
  if (i >= tokens.length) return undefined;
  const open = i;
  const elements: [number, number][] = [];
  let depth = 0;
  let first = open + 1;
  for (i = open + 1; i < tokens.length; i++) {
    const t = tokens[i].text;
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') {
      if (depth === 0) {
        elements.push([first, i - 1]);
        break;
      }
      depth--;
    } else if (t === ',' && depth === 0) {
      elements.push([first, i - 1]);
      first = i + 1;
    }
  }
  if (i >= tokens.length) return undefined;
  return { tokens, elements, open, close: i, using, method };
}

/** The type and dimension an index element indexes: a column's `vector(n)`, or an expression cast `(col::halfvec(n))`. */
export function elementType(elem: Node, table: TableInfo | undefined): { type: string; dim?: number; column?: string } | undefined {
  if (elem.name) {
    const col = table?.columns.get(elem.name);
    return col ? { type: col.type, dim: col.typmod, column: elem.name } : undefined;
  }
  const cast = as(elem.expr, 'TypeCast');
  if (cast) {
    const names = strings(cast.typeName?.names);
    const mods = cast.typeName?.typmods as Node[] | undefined;
    const dim = mods && mods.length > 0 ? (as(mods[0], 'A_Const')?.ival?.ival as number | undefined) : undefined;
    const ref = as(cast.arg, 'ColumnRef');
    const f = ref ? columnRefNames(ref) : [];
    return { type: (names[names.length - 1] ?? '').toLowerCase(), dim, column: f[f.length - 1] };
  }
  const ref = as(elem.expr, 'ColumnRef');
  if (ref) {
    const f = columnRefNames(ref);
    const col = table?.columns.get(f[f.length - 1]);
    return col ? { type: col.type, dim: col.typmod, column: col.name } : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Vector ORDER BY

export interface VectorOrder {
  /** The SortBy expression: the distance expression, or the select-list alias that names one. */
  sortNode: Node;
  op: string;
  metric: Metric;
  /** The vector column, and its catalog table when the model resolves it to one. */
  column: string;
  table?: TableInfo;
  /** The SELECT it belongs to. */
  select: Node;
}

/** Strips casts: `embedding::halfvec(3072)` → the ColumnRef. */
function unCast(n: Node | undefined): Node | undefined {
  let cur = n;
  for (let c = as(cur, 'TypeCast'); c; c = as(cur, 'TypeCast')) cur = c.arg;
  return cur;
}

/** The SELECT scopes of a statement (subqueries, CTE bodies and set-operation arms included). */
export function selectScopes(model: SemanticModel): Scope[] {
  return model.scopes.filter((s) => s.kind === 'select');
}

/** The ORDER BY items of a SELECT scope that sort by a pgvector distance operator on a column. */
export function vectorOrders(scope: Scope, model: SemanticModel): VectorOrder[] {
  const out: VectorOrder[] = [];
  const select = scope.node;
  if (!select.sortClause) return out;
  for (const s of select.sortClause as Node[]) {
    const sortNode = as(s, 'SortBy')?.node;
    let expr = as(sortNode, 'A_Expr');
    const aliasRef = as(sortNode, 'ColumnRef');
    if (!expr && aliasRef) {
      const names = columnRefNames(aliasRef);
      if (names.length === 1) {
        const target = (select.targetList ?? []).map((t: Node) => as(t, 'ResTarget')).find((t: Node | undefined) => t?.name === names[0]);
        expr = as(target?.val, 'A_Expr');
      }
    }
    if (!expr || expr.kind !== 'AEXPR_OP') continue;
    const op = strings(expr.name).pop() ?? '';
    const metric = DISTANCE_OPS[op];
    if (!metric) continue;
    const left = as(unCast(expr.lexpr), 'ColumnRef');
    const side = left ?? as(unCast(expr.rexpr), 'ColumnRef');
    if (!side) continue;
    // An index scan orders by distance to one query vector: the other operand must not read a row of this
    // query's FROM (`a.embedding <-> b.embedding` over a join is computed per pair, whatever the index).
    const other = left ? expr.rexpr : expr.lexpr;
    const reads = readsOf(scope, other, model);
    if (reads.items.size > 0) continue;
    const names = columnRefNames(side);
    const hit = model.resolve(side);
    const table = hit?.item.kind === 'table' ? hit.item.table : undefined;
    out.push({ sortNode, op, metric, column: hit?.name ?? names[names.length - 1], table, select });
  }
  return out;
}

/** The pgvector indexes (HNSW, IVFFlat) of a table on a column (plain, or in an expression). */
export function vectorIndexesOn(table: TableInfo | undefined, column: string): IndexInfo[] {
  if (!table) return [];
  return table.indexes.filter(
    (i) => VECTOR_METHODS.has(i.method) && i.columns.length > 0 && (i.columns[0].column === column || i.columns[0].exprColumns.includes(column)),
  );
}

/** A constant integer (`LIMIT 10`, `SET x = 40`, `SET x = '40'`), or undefined. */
export function constInt(n: Node | undefined): number | undefined {
  const c = as(n, 'A_Const');
  if (!c || c.isnull) return undefined;
  if (c.ival) return typeof c.ival.ival === 'number' ? c.ival.ival : 0;
  if (c.sval && /^\s*[+-]?\d+\s*$/.test(c.sval.sval ?? '')) return Number(c.sval.sval);
  if (c.fval && /^[+-]?\d+(\.\d*)?$/.test(c.fval.fval ?? '')) return Number(c.fval.fval);
  return undefined;
}

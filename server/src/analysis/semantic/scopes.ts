/**
 * Query scopes of a statement: every SELECT / UPDATE / DELETE / INSERT level (and a policy's USING expression)
 * with its FROM items — catalog tables, CTEs, subqueries, function scans, VALUES — their names and output
 * columns, the CTEs it declares, and the scope its correlated references resolve in.
 *
 * Name visibility follows PostgreSQL: a CTE is seen by the query that declares it, by its nested queries and by
 * the CTEs declared after it (and by itself when RECURSIVE); an unqualified FROM name matching a visible CTE is
 * that CTE, not a table. A subquery in FROM sees its siblings only when LATERAL; a CTE body never sees the FROM
 * of the query that declares it. Expressions outside any query (CHECK, DEFAULT, index predicates, generated
 * columns) get no scope: no plan is made for them as a query.
 */
import type { ColumnRef, CommonTableExpr, JoinExpr, RangeFunction, RangeSubselect, RangeVar, ResTarget } from '@pgsql/types';
import { as, columnRefNames, strings, walk, type Node } from '../ast';
import type { Catalog, Column, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { Attached } from '../attached';

export type ScopeKind = 'select' | 'update' | 'delete' | 'insert' | 'policy';

/** How a scope is reached: the statement itself, a CTE body, a FROM subquery, a sublink, a set-operation arm, an INSERT's source. */
export type ScopeRole = 'statement' | 'cte' | 'from' | 'sublink' | 'setop' | 'insert-source';

export interface OutputColumn {
  name: string;
  /** The type, when the model knows it (a catalog column, a cast, a literal). */
  column?: Column;
}

export type FromKind = 'table' | 'cte' | 'subquery' | 'function' | 'values' | 'other';

export interface FromItem {
  kind: FromKind;
  /** The name the query refers to it by: its alias, else its relation or CTE name; '' when it has none. */
  name: string;
  aliased: boolean;
  /** The RangeVar, RangeSubselect, RangeFunction… fields. */
  node: Node;
  rv?: RangeVar;
  /** The catalog relation of a table item, when the workspace declares it. */
  table?: TableInfo;
  cte?: Cte;
  /** The subquery's scope. */
  body?: Scope;
  /** Output columns in order; undefined when not known. */
  columns?: OutputColumn[];
  lateral: boolean;
  /** Inside an aliased join `(a JOIN b) AS j`: not reachable by its own name. */
  hidden?: boolean;
  /** The UPDATE/DELETE/INSERT target. */
  target?: boolean;
}

export interface Cte {
  name: string;
  node: CommonTableExpr;
  body?: Scope;
  /** Output columns: the explicit column list, else the body's target names; undefined when not known. */
  columns?: OutputColumn[];
  recursive: boolean;
  materialized: boolean;
  /** An INSERT/UPDATE/DELETE body. */
  modifying: boolean;
  /** The FROM items that read it. */
  uses: FromItem[];
}

export interface JoinInfo {
  node: JoinExpr;
  left: FromItem[];
  right: FromItem[];
  /** USING columns, or the common columns of a NATURAL join when both sides' columns are known. */
  using: string[];
}

export interface Scope {
  kind: ScopeKind;
  role: ScopeRole;
  /** The statement fields (SelectStmt, UpdateStmt…); for a policy, the CreatePolicyStmt. */
  node: Node;
  parent?: Scope;
  /** Whether the parent's FROM items are visible (false for a non-LATERAL FROM subquery and a CTE body). */
  seesParentItems: boolean;
  items: FromItem[];
  /** WHERE, JOIN ON and HAVING expressions (and a policy's USING): where the planner restricts scans. */
  quals: Node[];
  joins: JoinInfo[];
  ctes: Map<string, Cte>;
  /** Set-operation arms (UNION / INTERSECT / EXCEPT), in order. */
  arms: Scope[];
  children: Scope[];
  /** The CTE whose body this is. */
  cte?: Cte;
  /** The FROM item whose body this is. */
  via?: FromItem;
  /** USING-merged column names → the left item that provides them. */
  merged: Map<string, FromItem>;
}

export interface BuildContext {
  catalog: Catalog;
  statement: Statement;
  scopes: Scope[];
  /** Every ColumnRef inside a scope's own expressions → that scope. */
  refScope: Map<Node, Scope>;
}

const QUERY_TYPES: Record<string, ScopeKind> = {
  SelectStmt: 'select',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  InsertStmt: 'insert',
};

/** The scopes of every query of a statement (statement-level ones first in tree order, nested ones after their parent). */
export function buildScopes(ctx: BuildContext): void {
  walk(ctx.statement.ast, (type, n) => {
    const kind = QUERY_TYPES[type];
    if (kind) {
      buildQuery(ctx, kind, n, undefined, false, 'statement');
      return false;
    }
    if (type === 'CreatePolicyStmt') {
      buildPolicy(ctx, n);
      return false;
    }
    return undefined;
  });
}

function newScope(ctx: BuildContext, kind: ScopeKind, role: ScopeRole, node: Node, parent: Scope | undefined, seesParentItems: boolean): Scope {
  const s: Scope = { kind, role, node, parent, seesParentItems, items: [], quals: [], joins: [], ctes: new Map(), arms: [], children: [], merged: new Map() };
  ctx.scopes.push(s);
  parent?.children.push(s);
  return s;
}

/** A policy's USING expression is added to every query's quals on its table: a scope over that table. */
function buildPolicy(ctx: BuildContext, n: Node): void {
  const s = newScope(ctx, 'policy', 'statement', n, undefined, false);
  if (n.table) s.items.push(tableItem(ctx, s, n.table as RangeVar));
  if (n.qual) {
    s.quals.push(n.qual);
    expressions(ctx, s, n.qual);
  }
  if (n.with_check) expressions(ctx, s, n.with_check);
}

function buildQuery(ctx: BuildContext, kind: ScopeKind, n: Node, parent: Scope | undefined, seesParentItems: boolean, role: ScopeRole): Scope {
  const s = newScope(ctx, kind, role, n, parent, seesParentItems);
  if (n.withClause) buildWith(ctx, s, n.withClause);
  if (kind === 'select' && n.op && n.op !== 'SETOP_NONE') {
    for (const k of ['larg', 'rarg']) if (n[k]) s.arms.push(buildQuery(ctx, 'select', as(n[k], 'SelectStmt') ?? n[k], s, true, 'setop'));
    expressions(ctx, s, n.sortClause, n.limitCount, n.limitOffset);
    return s;
  }
  if (kind === 'insert') {
    if (n.relation) s.items.push({ ...tableItem(ctx, s, n.relation), target: true });
    // The source query sees the INSERT's CTEs but not its target.
    const src = as(n.selectStmt, 'SelectStmt');
    if (src) buildQuery(ctx, 'select', src, s, false, 'insert-source');
    expressions(ctx, s, returning(n), n.onConflictClause);
    return s;
  }
  if (n.relation) s.items.push({ ...tableItem(ctx, s, n.relation), target: true });
  for (const item of (kind === 'delete' ? n.usingClause : n.fromClause) ?? []) fromItem(ctx, s, item);
  if (n.whereClause) s.quals.push(n.whereClause);
  // HAVING conditions on grouping columns are moved into WHERE by the planner: they restrict the scan too.
  if (n.havingClause) s.quals.push(n.havingClause);
  expressions(
    ctx,
    s,
    n.targetList,
    n.whereClause,
    n.groupClause,
    n.havingClause,
    n.sortClause,
    n.windowClause,
    n.limitCount,
    n.limitOffset,
    n.valuesLists,
    n.distinctClause,
    returning(n),
  );
  return s;
}

/** RETURNING targets (PostgreSQL 18's parser wraps them in a returningClause). */
function returning(n: Node): Node[] | undefined {
  return (n.returningClause?.exprs ?? n.returningList) as Node[] | undefined;
}

function buildWith(ctx: BuildContext, s: Scope, w: Node): void {
  const recursive = !!w.recursive;
  for (const c of (w.ctes ?? []) as Node[]) {
    const node = as(c, 'CommonTableExpr') as CommonTableExpr | undefined;
    if (!node?.ctename) continue;
    const bodyType = Object.keys(node.ctequery ?? {})[0] ?? '';
    const cte: Cte = {
      name: node.ctename,
      node,
      recursive,
      materialized: node.ctematerialized === 'CTEMaterializeAlways',
      modifying: bodyType !== 'SelectStmt',
      uses: [],
    };
    const listed = strings(node.aliascolnames);
    if (recursive) {
      // Its own recursive arm reads it: register it first, with the column list when there is one.
      if (listed.length > 0) cte.columns = listed.map((name) => ({ name }));
      s.ctes.set(cte.name, cte);
    }
    const kind = QUERY_TYPES[bodyType];
    if (kind) cte.body = buildQuery(ctx, kind, (node.ctequery as Node)[bodyType], s, false, 'cte');
    if (cte.body) {
      cte.body.cte = cte;
      cte.columns = renamed(outputColumns(ctx, cte.body), listed);
    }
    s.ctes.set(cte.name, cte);
  }
}

/** Columns renamed by an alias column list `AS x(a, b)` (the list may name only the first ones). */
function renamed(cols: OutputColumn[] | undefined, names: string[]): OutputColumn[] | undefined {
  if (names.length === 0) return cols;
  if (!cols) return names.map((name) => ({ name }));
  if (names.length > cols.length) return undefined;
  return cols.map((c, i) => (i < names.length ? { ...c, name: names[i] } : c));
}

function findCte(s: Scope | undefined, name: string): Cte | undefined {
  for (let cur = s; cur; cur = cur.parent) {
    const c = cur.ctes.get(name);
    if (c) return c;
  }
  return undefined;
}

function tableItem(ctx: BuildContext, s: Scope, rv: RangeVar): FromItem {
  const name = rv.alias?.aliasname ?? rv.relname ?? '';
  const cte = rv.schemaname ? undefined : findCte(s, rv.relname ?? '');
  if (cte) {
    const item: FromItem = {
      kind: 'cte',
      name,
      aliased: !!rv.alias,
      node: rv as Node,
      rv,
      cte,
      columns: renamed(cte.columns, strings(rv.alias?.colnames)),
      lateral: false,
    };
    cte.uses.push(item);
    return item;
  }
  const table = ctx.catalog.resolveRangeVar(rv as Node, ctx.statement);
  const cols = table && table.columns.size > 0 ? [...table.columns.values()].map((c) => ({ name: c.name, column: c })) : undefined;
  return { kind: 'table', name, aliased: !!rv.alias, node: rv as Node, rv, table, columns: renamed(cols, strings(rv.alias?.colnames)), lateral: false };
}

/** Adds a FROM item (joins flattened) to the scope; returns the items it contributed. */
function fromItem(ctx: BuildContext, s: Scope, wrapper: Node): FromItem[] {
  const rv = as(wrapper, 'RangeVar') as RangeVar | undefined;
  if (rv) {
    const item = tableItem(ctx, s, rv);
    s.items.push(item);
    return [item];
  }
  const sub = as(wrapper, 'RangeSubselect') as RangeSubselect | undefined;
  if (sub) {
    const q = as(sub.subquery, 'SelectStmt');
    const alias = sub.alias?.aliasname ?? '';
    const item: FromItem = { kind: 'subquery', name: alias, aliased: !!alias, node: sub as Node, lateral: !!sub.lateral };
    if (q) {
      item.body = buildQuery(ctx, 'select', q, s, !!sub.lateral, 'from');
      item.body.via = item;
      if (q.valuesLists) item.kind = 'values';
      item.columns = renamed(outputColumns(ctx, item.body), strings(sub.alias?.colnames));
    }
    s.items.push(item);
    return [item];
  }
  const fn = as(wrapper, 'RangeFunction') as RangeFunction | undefined;
  if (fn) {
    const alias = fn.alias?.aliasname ?? '';
    // A function in FROM may read the items before it (implicitly LATERAL): its arguments are this scope's.
    expressions(ctx, s, fn.functions);
    const defs = ((fn.coldeflist ?? []) as Node[]).map((d) => as(d, 'ColumnDef')).filter(Boolean) as Node[];
    const listed = strings(fn.alias?.colnames);
    const columns = defs.length > 0 ? defs.map((d) => ({ name: d.colname as string })) : listed.length > 0 ? listed.map((name) => ({ name })) : undefined;
    const item: FromItem = { kind: 'function', name: alias, aliased: !!alias, node: fn as Node, columns, lateral: true };
    s.items.push(item);
    return [item];
  }
  const sample = as(wrapper, 'RangeTableSample');
  if (sample?.relation) return fromItem(ctx, s, sample.relation);
  const join = as(wrapper, 'JoinExpr') as JoinExpr | undefined;
  if (join) {
    const left = join.larg ? fromItem(ctx, s, join.larg as Node) : [];
    const right = join.rarg ? fromItem(ctx, s, join.rarg as Node) : [];
    let using = strings(join.usingClause);
    if (join.isNatural) {
      const names = (items: FromItem[]) => (items.every((i) => i.columns) ? new Set(items.flatMap((i) => i.columns!.map((c) => c.name))) : undefined);
      const l = names(left);
      const r = names(right);
      using = l && r ? [...l].filter((c) => r.has(c)) : [];
    }
    for (const col of using) {
      const provider = left.find((i) => i.columns?.some((c) => c.name === col));
      if (provider && !s.merged.has(col)) s.merged.set(col, s.merged.get(col) ?? provider);
    }
    s.joins.push({ node: join, left, right, using });
    if (join.quals) {
      s.quals.push(join.quals as Node);
      expressions(ctx, s, join.quals);
    }
    const all = [...left, ...right];
    if (join.alias) for (const i of all) i.hidden = true;
    return all;
  }
  // XMLTABLE, JSON_TABLE and other table functions: an item of unknown columns.
  const other = Object.values(wrapper)[0] as Node | undefined;
  const alias = other?.alias?.aliasname ?? '';
  expressions(ctx, s, other);
  const item: FromItem = { kind: 'other', name: alias, aliased: !!alias, node: other ?? wrapper, lateral: true };
  s.items.push(item);
  return [item];
}

/** Records the column references of a scope's own expressions and builds the scopes of their sublinks. */
function expressions(ctx: BuildContext, s: Scope, ...exprs: unknown[]): void {
  for (const e of exprs) {
    if (!e) continue;
    walk(e, (type, n) => {
      if (type === 'ColumnRef') {
        ctx.refScope.set(n, s);
        return false;
      }
      if (type === 'SubLink') {
        if (n.testexpr) expressions(ctx, s, n.testexpr);
        const q = as(n.subselect, 'SelectStmt');
        if (q) buildQuery(ctx, 'select', q, s, true, 'sublink');
        return false;
      }
      // A nested query outside a sublink (a data-modifying CTE is handled by buildWith): its own scope.
      const kind = QUERY_TYPES[type];
      if (kind) {
        buildQuery(ctx, kind, n, s, true, 'sublink');
        return false;
      }
      return undefined;
    });
  }
}

const outputs = new Attached<Scope, OutputColumn[] | null>('outputColumns');

/** The output columns of a query scope in order, or undefined when one cannot be named. */
export function outputColumns(ctx: BuildContext, s: Scope): OutputColumn[] | undefined {
  const cached = outputs.get(s);
  if (cached !== undefined) return cached ?? undefined;
  const out = computeOutput(ctx, s);
  outputs.set(s, out ?? null);
  return out;
}

function computeOutput(ctx: BuildContext, s: Scope): OutputColumn[] | undefined {
  if (s.arms.length > 0) {
    const first = outputColumns(ctx, s.arms[0]);
    if (!first) return undefined;
    // The type of a set operation is resolved across arms: keep it only where every arm agrees.
    const others = s.arms.slice(1).map((a) => outputColumns(ctx, a));
    return first.map((c, i) => {
      const same = others.every((o) => o?.[i]?.column && c.column && o[i].column!.type === c.column.type && !!o[i].column!.array === !!c.column.array);
      return same ? c : { name: c.name };
    });
  }
  const n = s.node;
  if (n.valuesLists) {
    const first = as((n.valuesLists as Node[])[0], 'List')?.items as Node[] | undefined;
    return first?.map((_, i) => ({ name: `column${i + 1}` }));
  }
  const list = s.kind === 'select' ? (n.targetList as Node[] | undefined) : returning(n);
  if (!list) return s.kind === 'select' ? [] : undefined;
  const out: OutputColumn[] = [];
  for (const t of list) {
    const rt = as(t, 'ResTarget') as ResTarget | undefined;
    if (!rt) return undefined;
    const ref = as(rt.val, 'ColumnRef') as ColumnRef | undefined;
    const names = ref ? columnRefNames(ref as Node) : [];
    if (names[names.length - 1] === '*') {
      const star = starColumns(s, names.slice(0, -1));
      if (!star) return undefined;
      out.push(...star);
      continue;
    }
    const name = rt.name ?? (ref ? names[names.length - 1] : implicitName(rt.val as Node | undefined));
    if (!name) return undefined;
    out.push({ name, column: typed(name, exprType(s, rt.val as Node | undefined)) });
  }
  return out;
}

/** The columns a `*` / `t.*` of a scope expands to, when all are known. */
function starColumns(s: Scope, qualifier: string[]): OutputColumn[] | undefined {
  const items =
    qualifier.length === 0
      ? s.items.filter((i) => !i.target || s.kind !== 'insert')
      : s.items.filter((i) => !i.hidden && i.name === qualifier[qualifier.length - 1]);
  if (items.length === 0 || items.some((i) => !i.columns)) return undefined;
  // USING / NATURAL merge the join columns: the unqualified star is no longer a plain concatenation.
  if (qualifier.length === 0 && s.joins.some((j) => j.using.length > 0)) return undefined;
  return items.flatMap((i) => i.columns!);
}

/** PostgreSQL's name for an unnamed target: a function's name, a cast's argument name, else ?column?. */
function implicitName(e: Node | undefined): string | undefined {
  const fn = as(e, 'FuncCall');
  if (fn) return strings(fn.funcname).pop();
  const cast = as(e, 'TypeCast');
  if (cast) {
    const inner = implicitName(cast.arg);
    if (inner && inner !== '?column?') return inner;
    return strings(cast.typeName?.names).pop();
  }
  const ref = as(e, 'ColumnRef');
  if (ref) return columnRefNames(ref).pop();
  return '?column?';
}

function typed(name: string, t: Omit<Column, 'name'> | undefined): Column | undefined {
  return t ? { ...t, name } : undefined;
}

/** The type of an expression when the model knows it: a resolved column, a cast, a literal. */
function exprType(s: Scope, e: Node | undefined): Omit<Column, 'name'> | undefined {
  const ref = as(e, 'ColumnRef');
  if (ref) {
    const r = resolveColumn(s, columnRefNames(ref));
    return r?.column ? { type: r.column.type, typmod: r.column.typmod, ...(r.column.array ? { array: true } : {}) } : undefined;
  }
  const cast = as(e, 'TypeCast');
  if (cast) {
    const names = strings(cast.typeName?.names);
    const array = ((cast.typeName?.arrayBounds as unknown[] | undefined)?.length ?? 0) > 0;
    const type = (names[names.length - 1] ?? '').toLowerCase();
    return type ? { type, ...(array ? { array } : {}) } : undefined;
  }
  const c = as(e, 'A_Const');
  if (c && !c.isnull) {
    // An untyped literal in a query's output is resolved to text (PostgreSQL 10+).
    if (c.sval) return { type: 'text' };
    if (c.ival) return { type: 'int4' };
    if (c.fval) return { type: 'numeric' };
    if (c.boolval) return { type: 'bool' };
  }
  return undefined;
}

export interface ResolvedColumn {
  item: FromItem;
  /** The scope whose FROM holds the item. */
  scope: Scope;
  name: string;
  /** The column with its type, when known. */
  column?: Column;
  /** Resolved in an enclosing scope (a correlated reference). */
  outer: boolean;
}

type LevelResult = ResolvedColumn | 'stop' | undefined;

/**
 * The FROM item (and column) a column reference `names` denotes from scope `s`: innermost scope first, then
 * outward. Undefined when ambiguous, unknown (a FROM item of unknown columns could hold it) or not found.
 */
export function resolveColumn(s: Scope, names: string[]): ResolvedColumn | undefined {
  if (names.length === 0 || names.includes('*') || names.includes('?')) return undefined;
  const levels: Scope[] = [];
  let visible = true;
  for (let cur: Scope | undefined = s; cur; cur = cur.parent) {
    if (visible && cur.items.length > 0) levels.push(cur);
    visible = cur.seesParentItems;
  }
  for (let i = 0; i < levels.length; i++) {
    const r = resolveAt(levels[i], names, i === levels.length - 1);
    if (r === 'stop') return undefined;
    if (r) return { ...r, outer: levels[i] !== s };
  }
  return undefined;
}

function resolveAt(s: Scope, names: string[], last: boolean): LevelResult {
  const col = names[names.length - 1];
  if (names.length >= 2) {
    const qual = names[names.length - 2];
    const schema = names.length >= 3 ? names[names.length - 3] : undefined;
    const hits = s.items.filter((i) => !i.hidden && i.name === qual && (!schema || (!i.aliased && (i.rv?.schemaname ?? i.table?.schema) === schema)));
    if (hits.length === 0) return undefined;
    if (hits.length > 1) return 'stop';
    return columnOfItem(s, hits[0], col);
  }
  const merged = s.merged.get(col);
  if (merged) return columnOfItem(s, merged, col);
  const visible = s.items.filter((i) => !(s.kind === 'insert' && i.target));
  const unknown = visible.filter((i) => !i.columns);
  const having = visible.filter((i) => i.columns?.some((c) => c.name === col));
  if (having.length > 1) return 'stop';
  if (unknown.length > 0) {
    // Only provable when nothing else could hold it: the one item of the outermost scope that has items.
    if (last && visible.length === 1) return { item: visible[0], scope: s, name: col, outer: false };
    return 'stop';
  }
  if (having.length === 1) return columnOfItem(s, having[0], col);
  return undefined;
}

function columnOfItem(s: Scope, item: FromItem, col: string): LevelResult {
  if (!item.columns) return { item, scope: s, name: col, outer: false };
  const c = item.columns.find((x) => x.name === col);
  if (!c) return 'stop';
  return { item, scope: s, name: col, column: c.column, outer: false };
}

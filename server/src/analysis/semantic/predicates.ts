/**
 * A scope's predicates, normalised: the WHERE and JOIN ON conjuncts (AND-flattened) plus USING / NATURAL join
 * columns, each classified by the resolved column it restricts. Row comparisons `(a, b) = (x, y)`,
 * `(a, b) IN (SELECT …)` and `(a, b) IN ((…), (…))` are expanded per column.
 */
import { as, columnRefNames, operatorOf, walk, type Node } from '../ast';
import { resolveColumn, type FromItem, type ResolvedColumn, type Scope } from './scopes';

export type CompareOp = '=' | '<' | '<=' | '>' | '>=' | '<>';

/** What the other side of a comparison reads, relative to the scope's FROM items. */
export interface ValueReads {
  /** This scope's FROM items it reads (a join when non-empty). */
  items: Set<FromItem>;
  /** It holds a column reference the model could not resolve. */
  unresolved: boolean;
}

interface Base {
  /** The conjunct it comes from (undefined for USING / NATURAL). */
  node?: Node;
}

export type Predicate =
  /** `col op value`: a constant, parameter, correlated or other-item expression (see `reads`). */
  | (Base & { kind: 'compare'; column: ResolvedColumn; op: CompareOp; value: Node; reads: ValueReads })
  | (Base & { kind: 'between'; column: ResolvedColumn; reads: ValueReads })
  | (Base & { kind: 'in-list'; column: ResolvedColumn; values: Node[]; reads: ValueReads })
  /** `col op ANY(array)`. */
  | (Base & { kind: 'any'; column: ResolvedColumn; op: CompareOp; value: Node; reads: ValueReads })
  | (Base & { kind: 'in-subquery'; column: ResolvedColumn; subquery: Node })
  /** Equality between columns of two FROM items of the scope (ON, USING, NATURAL). */
  | (Base & { kind: 'join'; left: ResolvedColumn; right: ResolvedColumn })
  | (Base & { kind: 'is-null'; column: ResolvedColumn; negated: boolean })
  /** An OR of conjunct lists: restricts a column only when every arm does. */
  | (Base & { kind: 'or'; arms: Predicate[][] });

const OPS = new Set<string>(['=', '<', '<=', '>', '>=', '<>']);
const FLIP: Record<CompareOp, CompareOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The AND-flattened conjuncts of an expression. */
export function conjuncts(e: Node | undefined): Node[] {
  if (!e) return [];
  // With a stack, in order: AND nested in AND (`a AND (b AND (c AND …))`) can be as deep as the tree.
  const out: Node[] = [];
  const stack: Node[] = [e];
  while (stack.length > 0) {
    const n = stack.pop()!;
    const b = as(n, 'BoolExpr');
    if (b?.boolop !== 'AND_EXPR') {
      out.push(n);
      continue;
    }
    const args = (b.args ?? []) as Node[];
    for (let i = args.length - 1; i >= 0; i--) stack.push(args[i]);
  }
  return out;
}

/** How the model resolves a ColumnRef in its own scope (a subquery's references belong to the subquery). */
export interface RefResolver {
  scopeOf(ref: Node): Scope | undefined;
  resolve(ref: Node): ResolvedColumn | undefined;
}

/** The scope's normalised predicates. */
export function scopePredicates(s: Scope, m: RefResolver): Predicate[] {
  const out: Predicate[] = [];
  for (const q of s.quals) for (const c of conjuncts(q)) out.push(...classify(s, c, m));
  for (const j of s.joins) {
    for (const col of j.using) {
      const l = j.left.find((i) => i.columns?.some((c) => c.name === col));
      const r = j.right.find((i) => i.columns?.some((c) => c.name === col));
      if (!l || !r) continue;
      out.push({ kind: 'join', left: at(s, l, col), right: at(s, r, col) });
    }
  }
  return out;
}

function at(s: Scope, item: FromItem, name: string): ResolvedColumn {
  return { item, scope: s, name, column: item.columns?.find((c) => c.name === name)?.column, outer: false };
}

function columnOf(s: Scope, e: Node | undefined): ResolvedColumn | undefined {
  const ref = as(e, 'ColumnRef');
  return ref ? resolveColumn(s, columnRefNames(ref)) : undefined;
}

/**
 * Which of this scope's items an expression reads. A sublink is its own scope: a reference inside it is resolved
 * there (the model knows each reference's scope), so only its outer references to this scope count.
 */
export function readsOf(s: Scope, e: unknown, m: RefResolver): ValueReads {
  const reads: ValueReads = { items: new Set(), unresolved: false };
  walk(e, (type, n) => {
    if (type !== 'ColumnRef') return undefined;
    const r = m.scopeOf(n) ? m.resolve(n) : resolveColumn(s, columnRefNames(n));
    if (!r) reads.unresolved = true;
    else if (r.scope === s) reads.items.add(r.item);
    return false;
  });
  return reads;
}

function rowItems(e: Node | undefined): Node[] | undefined {
  const row = as(e, 'RowExpr');
  return row ? ((row.args ?? []) as Node[]) : undefined;
}

function classify(s: Scope, e: Node, m: RefResolver): Predicate[] {
  const b = as(e, 'BoolExpr');
  if (b?.boolop === 'OR_EXPR') {
    return [{ kind: 'or', node: e, arms: ((b.args ?? []) as Node[]).map((a) => conjuncts(a).flatMap((c) => classify(s, c, m))) }];
  }
  const nt = as(e, 'NullTest');
  if (nt) {
    const column = columnOf(s, nt.arg);
    return column ? [{ kind: 'is-null', node: e, column, negated: nt.nulltesttype === 'IS_NOT_NULL' }] : [];
  }
  const sl = as(e, 'SubLink');
  if (sl && sl.subLinkType === 'ANY_SUBLINK' && (sl.operName === undefined || operatorOf({ name: sl.operName }) === '=')) {
    const cols = rowItems(sl.testexpr) ?? [sl.testexpr];
    const out: Predicate[] = [];
    for (const c of cols) {
      const column = columnOf(s, c);
      if (column) out.push({ kind: 'in-subquery', node: e, column, subquery: sl.subselect });
    }
    return out;
  }
  const x = as(e, 'A_Expr');
  if (!x) return [];
  const op = operatorOf(x);
  switch (x.kind) {
    case 'AEXPR_OP': {
      if (!OPS.has(op) || (x.name ?? []).length !== 1) return [];
      const l = rowItems(x.lexpr);
      const r = rowItems(x.rexpr);
      if (l && r && l.length === r.length) {
        // `(a, b) = (x, y)` is a = x AND b = y; `(a, b) < (x, y)` restricts only its first column's range.
        if (op === '=') return l.flatMap((li, i) => comparison(s, e, li, '=', r[i], m));
        if (op !== '<>') return comparison(s, e, l[0], (op === '<' ? '<=' : op === '>' ? '>=' : op) as CompareOp, r[0], m);
        return [];
      }
      return comparison(s, e, x.lexpr, op as CompareOp, x.rexpr, m);
    }
    case 'AEXPR_OP_ANY': {
      const column = columnOf(s, x.lexpr);
      if (!column || !OPS.has(op)) return [];
      return [{ kind: 'any', node: e, column, op: op as CompareOp, value: x.rexpr, reads: readsOf(s, x.rexpr, m) }];
    }
    case 'AEXPR_IN': {
      if (op !== '=') return [];
      const list = as(x.rexpr, 'List')?.items ?? x.rexpr;
      const values = (Array.isArray(list) ? list : [list]) as Node[];
      const cols = rowItems(x.lexpr);
      if (cols) {
        // `(a, b) IN ((1, 2), (3, 4))`: each column against its position of every row.
        const rows = values.map(rowItems);
        if (rows.some((r) => !r || r.length !== cols.length)) return [];
        const out: Predicate[] = [];
        cols.forEach((c, i) => {
          const column = columnOf(s, c);
          const vals = rows.map((r) => r![i]);
          if (column) out.push({ kind: 'in-list', node: e, column, values: vals, reads: readsOf(s, vals, m) });
        });
        return out;
      }
      const column = columnOf(s, x.lexpr);
      return column ? [{ kind: 'in-list', node: e, column, values, reads: readsOf(s, values, m) }] : [];
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_BETWEEN_SYM': {
      const column = columnOf(s, x.lexpr);
      return column ? [{ kind: 'between', node: e, column, reads: readsOf(s, x.rexpr, m) }] : [];
    }
    default:
      return [];
  }
}

function comparison(s: Scope, node: Node, l: Node | undefined, op: CompareOp, r: Node | undefined, m: RefResolver): Predicate[] {
  const lc = columnOf(s, l);
  const rc = columnOf(s, r);
  if (lc && rc && op === '=' && lc.scope === s && rc.scope === s && lc.item !== rc.item) return [{ kind: 'join', node, left: lc, right: rc }];
  const out: Predicate[] = [];
  if (lc && lc.scope === s) out.push({ kind: 'compare', node, column: lc, op, value: r!, reads: readsOf(s, r, m) });
  if (rc && rc.scope === s) out.push({ kind: 'compare', node, column: rc, op: FLIP[op], value: l!, reads: readsOf(s, l, m) });
  return out;
}

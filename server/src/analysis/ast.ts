/** Helpers over libpg_query's JSON AST: wrapper nodes are `{ TypeName: { ...fields } }`. */

// libpg_query's JSON AST has no type declarations: rules read its fields by name and check their shape where it varies.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = Record<string, any>;

/** The type name of a wrapper node (`{ ColumnRef: {...} }` → `ColumnRef`), or '' for anything else. */
export function typeOf(n: unknown): string {
  if (!n || typeof n !== 'object' || Array.isArray(n)) return '';
  for (const k in n) return k.charCodeAt(0) >= 65 && k.charCodeAt(0) <= 90 ? k : '';
  return '';
}

/** The fields of a wrapper node, or undefined when it is not of the given type. */
export function as(n: unknown, type: string): Node | undefined {
  return n && typeof n === 'object' ? ((n as Node)[type] as Node | undefined) : undefined;
}

/**
 * Visits every wrapper node below `root` (depth first, iteratively: deep trees cannot overflow the stack).
 * Return false from `visit` to skip a node's children. The arms of a set operation (`larg`/`rarg`, which
 * libpg_query stores without the `SelectStmt` wrapper) are visited as SelectStmt nodes.
 */
export function walk(root: unknown, visit: (type: string, node: Node, wrapper: Node) => boolean | void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const cur = stack.pop();
    if (!cur || typeof cur !== 'object') continue;
    if (Array.isArray(cur)) {
      for (let i = cur.length - 1; i >= 0; i--) stack.push(cur[i]);
      continue;
    }
    const type = typeOf(cur);
    if (type) {
      const inner = (cur as Node)[type];
      if (visit(type, inner, cur as Node) === false) continue;
      if (type === 'SelectStmt' && (inner.larg || inner.rarg)) {
        for (const k in inner) {
          const v = inner[k];
          if (!v || typeof v !== 'object') continue;
          stack.push((k === 'larg' || k === 'rarg') && !typeOf(v) ? { SelectStmt: v } : v);
        }
        continue;
      }
      stack.push(inner);
      continue;
    }
    // The object's values, pushed so that the first is visited first (without an array per object).
    const base = stack.length;
    for (const k in cur as Node) {
      const v = (cur as Node)[k];
      if (v && typeof v === 'object') stack.push(v);
    }
    for (let i = base, j = stack.length - 1; i < j; i++, j--) {
      const t = stack[i];
      stack[i] = stack[j];
      stack[j] = t;
    }
  }
}

/**
 * Every wrapper node of a tree grouped by type, in one pass (as walk sees them, set-operation arms included).
 * This runs over every statement's whole tree, so it is a tight loop rather than a walk() visitor.
 */
export function indexNodes(root: unknown): Map<string, Node[]> {
  const index = new Map<string, Node[]>();
  const add = (type: string, node: Node) => {
    const list = index.get(type);
    if (list) list.push(node);
    else index.set(type, [node]);
  };
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const cur = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(cur)) {
      for (let i = cur.length - 1; i >= 0; i--) {
        const v = cur[i];
        if (v !== null && typeof v === 'object') stack.push(v);
      }
      continue;
    }
    for (const k in cur) {
      const v = cur[k];
      if (v === null || typeof v !== 'object') continue;
      const c = k.charCodeAt(0);
      if (c >= 65 && c <= 90) add(k, v as Node);
      else if ((k === 'larg' || k === 'rarg') && !typeOf(v)) add('SelectStmt', v as Node);
      stack.push(v);
    }
  }
  return index;
}

/** Calls `visit` on every plain object of a tree (wrappers, their fields, unwrapped nodes alike), iteratively. */
export function eachObject(root: unknown, visit: (n: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const cur = stack.pop();
    if (!cur || typeof cur !== 'object') continue;
    if (Array.isArray(cur)) {
      for (const v of cur) stack.push(v);
      continue;
    }
    visit(cur as Node);
    for (const k in cur as Node) {
      const v = (cur as Node)[k];
      if (v && typeof v === 'object') stack.push(v);
    }
  }
}

/**
 * The smallest and largest source locations anywhere in the subtree, [-1, -1] when it has none. One pass without a
 * callback: span() asks this for every term of a chain that can be tens of thousands long.
 */
export function locationBounds(root: unknown): [number, number] {
  let lo = -1;
  let hi = -1;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const cur = stack.pop();
    if (!cur || typeof cur !== 'object') continue;
    if (Array.isArray(cur)) {
      for (const v of cur) stack.push(v);
      continue;
    }
    for (const k in cur) {
      const v = (cur as Record<string, unknown>)[k];
      if (typeof v === 'number') {
        if ((k === 'location' || k === 'stmt_location') && v >= 0) {
          if (lo < 0 || v < lo) lo = v;
          if (v > hi) hi = v;
        }
      } else if (v && typeof v === 'object') stack.push(v);
    }
  }
  return [lo, hi];
}

/** `[{String:{sval:'a'}}, {String:{sval:'b'}}]` → `['a', 'b']`. */
export function strings(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const s = as(item, 'String');
    if (s) out.push(s.sval ?? '');
  }
  return out;
}

/** The field names of a ColumnRef (`t.col` → ['t', 'col']); a star field is '*'. */
export function columnRefNames(ref: Node): string[] {
  return (ref.fields ?? []).map((f: Node) => (as(f, 'String')?.sval as string | undefined) ?? (as(f, 'A_Star') ? '*' : '?'));
}

/** A numeric value of an A_Const, an Integer/Float or a string that reads as a number; undefined otherwise. */
export function numberOf(n: unknown): number | undefined {
  const c = as(n, 'A_Const');
  const v = c ?? (n as Node | undefined);
  if (!v || typeof v !== 'object') return undefined;
  if (c && c.isnull) return undefined;
  const i = as(v, 'Integer') ?? v.ival;
  if (i && typeof i === 'object') return typeof i.ival === 'number' ? i.ival : 0;
  const f = as(v, 'Float') ?? v.fval;
  if (f && typeof f === 'object' && f.fval !== undefined) return Number(f.fval);
  const s = as(v, 'String') ?? v.sval;
  if (s && typeof s === 'object' && s.sval !== undefined && /^\s*-?\d+(\.\d+)?\s*$/.test(s.sval)) return Number(s.sval);
  return undefined;
}

/** The operator name of an A_Expr (`=`, `<->`, ...). */
export function operatorOf(e: Node): string {
  const names = strings(e.name);
  return names[names.length - 1] ?? '';
}

/** Quotes an identifier only when PostgreSQL needs it to. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** Reserved keywords that cannot be bare column names (a pragmatic subset of PostgreSQL's list). */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable ' +
    'desc distinct do else end except false fetch for foreign from grant group having in initially intersect ' +
    'into lateral leading limit localtime localtimestamp not null offset on only or order placing primary ' +
    'references returning select session_user some symmetric system_user table then to trailing true union ' +
    'unique user using variadic when where window with authorization binary collation concurrently cross ' +
    'current_schema freeze full ilike inner is isnull join left like natural notnull outer overlaps right ' +
    'similar tablesample verbose'
  ).split(' '),
);

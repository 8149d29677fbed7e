import { as, columnRefNames, operatorOf, strings, typeOf, walk, type Node } from '../ast';
import type { Catalog, Column, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import type { Rule } from '../rule';
import type { TextEdit } from '../types';
import { exprSpan, widenParens, type Span } from './_query-rules';

/** Column types that an ARRAY of untyped literals/parameters (which becomes text[]) compares with as-is. */
const TEXT_TYPES = new Set(['text', 'varchar']);

interface Term {
  /** Index in the OR's args. */
  arg: number;
  key: string;
  column: Node;
  value: Node;
  outer: Span;
  columnText: string;
  valueText: string;
}

export const orChain: Rule = {
  meta: {
    id: 'or-chain',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'Two or more `col = value` comparisons on the same column joined by OR.',
      why:
        'The planner treats each OR arm as a separate condition: at best a BitmapOr of one index scan per arm, ' +
        'often a sequential scan with a filter. The tuning guide\'s `session_id = $1 OR session_id = $2 OR ' +
        'session_id = $3` "cannot use index efficiently", while `session_id = ANY(ARRAY[$1, $2, $3])` "uses ' +
        'index scan with IN list": one index scan for all values, one plan whatever the number of values ' +
        '(and the array can be passed as a single parameter).',
      fix:
        'Compare once with `col = ANY(ARRAY[x, y, …])`; other OR arms stay as they are. Only comparisons of ' +
        'the same column reference (as written: `s.id` and `id` are different) with constants, parameters or ' +
        'other expressions that do not read a column are merged. An ARRAY of untyped literals or parameters ' +
        'is text[], which does not compare with uuid, integer or enum columns, so the quick fix adds ' +
        '`::type[]` when the workspace DDL gives the column type, and writes the equivalent `col IN (x, y)` ' +
        '(planned as the same `= ANY` index scan) when the type is unknown.',
      bad: 'SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2 OR session_id = $3;',
      good: 'SELECT * FROM sessions WHERE session_id = ANY(ARRAY[$1, $2, $3]::uuid[]);',
    },
  },
  check({ statement, catalog, report }) {
    if (!/\bor\b/i.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"OR_EXPR"')) return; // and one on the parser's JSON before building the tree
    if (!statement.nodes('BoolExpr').some((b) => b.boolop === 'OR_EXPR')) return;
    forEachOr(statement, catalog, (or, scope) => {
      const args = (or.args ?? []) as Node[];
      const terms: Term[] = [];
      for (let i = 0; i < args.length; i++) {
        const t = term(statement, args[i], i);
        if (t) terms.push(t);
      }
      const groups = new Map<string, Term[]>();
      for (const t of terms) groups.set(t.key, [...(groups.get(t.key) ?? []), t]);
      const chains = [...groups.values()].filter((g) => g.length >= 2);
      if (chains.length === 0) return;
      const span = exprSpan(statement, { BoolExpr: or });
      if (!span) return;

      const edits: TextEdit[] = [];
      const outers = args.map((a) => {
        const s = exprSpan(statement, a);
        return s && widenParens(statement, s);
      });
      const replacements: string[] = [];
      const ok = outers.every(Boolean);
      for (const chain of chains) {
        const type = columnType(scope, chain[0].column);
        const values = chain.map((t) => t.valueText);
        const untyped = chain.every((t) => isUntyped(t.value));
        let replacement: string;
        if (!untyped || (type && TEXT_TYPES.has(type))) replacement = `${chain[0].columnText} = ANY(ARRAY[${values.join(', ')}])`;
        else if (type) replacement = `${chain[0].columnText} = ANY(ARRAY[${values.join(', ')}]::${type}[])`;
        else replacement = `${chain[0].columnText} IN (${values.join(', ')})`;
        replacements.push(replacement);
        if (!ok) continue;
        edits.push({ start: chain[0].outer.start, end: chain[0].outer.end, newText: replacement });
        for (const t of chain.slice(1)) edits.push({ start: outers[t.arg - 1]!.end, end: t.outer.end, newText: '' });
      }

      const what = chains
        .map((c) => `\`${c[0].columnText}\` is compared with ${c.length} values`)
        .join('; ');
      report({
        start: span.start,
        end: span.end,
        message:
          `${what} in separate OR arms: each arm is planned on its own (a BitmapOr or a sequential scan) and ` +
          `cannot use the index efficiently. Write ${replacements.join(' and ')}: one index scan with an IN list.`,
        fix: ok
          ? { title: chains.length === 1 ? `Rewrite as ${replacements[0]}` : 'Merge the OR-ed comparisons into = ANY(ARRAY[…])', edits: merge(edits) }
          : undefined,
      });
    });
  },
};

/** `col = value` or `value = col` with value reading no column. */
function term(st: Statement, arg: Node, index: number): Term | undefined {
  const e = as(arg, 'A_Expr');
  if (!e || e.kind !== 'AEXPR_OP' || (e.name ?? []).length !== 1 || operatorOf(e) !== '=') return undefined;
  let column: Node | undefined;
  let value: Node | undefined;
  if (isPlainColumn(e.lexpr) && !readsColumn(e.rexpr)) [column, value] = [e.lexpr, e.rexpr];
  else if (isPlainColumn(e.rexpr) && !readsColumn(e.lexpr)) [column, value] = [e.rexpr, e.lexpr];
  if (!column || !value) return undefined;
  const cs = exprSpan(st, column);
  const vs = exprSpan(st, value);
  const whole = exprSpan(st, arg);
  if (!cs || !vs || !whole) return undefined;
  const text = st.file.text;
  return {
    arg: index,
    key: columnRefNames(as(column, 'ColumnRef')!).join('.'),
    column,
    value,
    outer: widenParens(st, whole),
    columnText: text.slice(cs.start, cs.end),
    valueText: text.slice(vs.start, vs.end),
  };
}

function isPlainColumn(n: Node): boolean {
  const ref = as(n, 'ColumnRef');
  return !!ref && !(ref.fields ?? []).some((f: Node) => as(f, 'A_Star'));
}

function readsColumn(n: Node): boolean {
  let found = false;
  walk(n, (type) => {
    if (type === 'ColumnRef') found = true;
    return !found;
  });
  return found;
}

/** A string literal, a parameter or NULL: its type comes from the other side of `=`. */
function isUntyped(n: Node): boolean {
  const c = as(n, 'A_Const');
  if (c) return !!c.isnull || c.sval !== undefined;
  return typeOf(n) === 'ParamRef';
}

function merge(edits: TextEdit[]): TextEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const out: TextEdit[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last && last.end === e.start) out[out.length - 1] = { start: last.start, end: e.end, newText: last.newText + e.newText };
    else out.push({ ...e });
  }
  return out;
}

// ---- name scopes: which table a column reference reads, for the column's type ----

interface RangeEntry {
  /** The name the query refers to it by: alias, else relation name. */
  ref: string;
  table?: TableInfo;
}

interface Scope {
  entries: RangeEntry[];
  parent?: Scope;
}

function rangeEntries(catalog: Catalog, st: Statement, items: Node[] | undefined, out: RangeEntry[]): void {
  for (const item of items ?? []) {
    const rv = as(item, 'RangeVar');
    const join = as(item, 'JoinExpr');
    if (rv) out.push({ ref: rv.alias?.aliasname ?? rv.relname, table: catalog.resolveRangeVar(rv, st) });
    else if (join) rangeEntries(catalog, st, [join.larg, join.rarg], out);
    else {
      const alias = (Object.values(item)[0] as Node | undefined)?.alias?.aliasname;
      out.push({ ref: alias ?? '' });
    }
  }
}

/** Calls `visit` for every OR expression of the statement with the innermost query scope around it. */
function forEachOr(st: Statement, catalog: Catalog, visit: (or: Node, scope: Scope | undefined) => void): void {
  const stack: Array<{ node: unknown; scope: Scope | undefined }> = [{ node: st.ast, scope: undefined }];
  while (stack.length > 0) {
    const { node, scope } = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], scope });
      continue;
    }
    let inner = scope;
    const type = typeOf(node);
    const body = type ? (node as Node)[type] : undefined;
    if (type === 'SelectStmt' || type === 'UpdateStmt' || type === 'DeleteStmt') {
      const entries: RangeEntry[] = [];
      if (body.relation) rangeEntries(catalog, st, [{ RangeVar: body.relation }], entries);
      rangeEntries(catalog, st, body.fromClause, entries);
      rangeEntries(catalog, st, body.usingClause, entries);
      inner = { entries, parent: scope };
    } else if (type === 'BoolExpr' && body.boolop === 'OR_EXPR') visit(body, scope);
    if (type === 'SelectStmt') {
      // Set-operation arms hold SelectStmt fields without the wrapper: give them their own scopes.
      for (const k of ['larg', 'rarg']) if (body[k]) stack.push({ node: { SelectStmt: as(body[k], 'SelectStmt') ?? body[k] }, scope });
    }
    const values = Object.entries(type ? body : (node as Node))
      .filter(([k]) => type !== 'SelectStmt' || (k !== 'larg' && k !== 'rarg'))
      .map(([, v]) => v);
    for (let i = values.length - 1; i >= 0; i--) {
      const v = values[i];
      if (v && typeof v === 'object') stack.push({ node: v, scope: inner });
    }
  }
}

/** A column's type for an `::type[]` cast; undefined for an array column, whose element cast would differ. */
function scalarType(c: Column | undefined): string | undefined {
  return c && !c.array ? c.type : undefined;
}

/** The catalog type of a column reference, when its table is certain. */
function columnType(scope: Scope | undefined, column: Node): string | undefined {
  const names = strings(as(column, 'ColumnRef')?.fields);
  const col = names[names.length - 1];
  const qualifier = names.length >= 2 ? names[names.length - 2] : undefined;
  for (let s = scope; s; s = s.parent) {
    if (qualifier) {
      const e = s.entries.find((x) => x.ref === qualifier);
      if (e) return scalarType(e.table?.columns.get(col));
      continue;
    }
    // Unqualified: the one table of this scope that has the column; unknown when a source is opaque.
    if (s.entries.some((e) => !e.table || e.table.columns.size === 0)) return undefined;
    const having = s.entries.filter((e) => e.table!.columns.has(col));
    if (having.length === 1) return scalarType(having[0].table!.columns.get(col));
    if (having.length > 1) return undefined;
  }
  return undefined;
}

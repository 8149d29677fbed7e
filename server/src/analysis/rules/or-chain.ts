import { as, columnRefNames, operatorOf, typeOf, walk, type Node } from '../ast';
import type { Statement } from '../parse';
import { conjuncts, semanticModel, type FromItem, type Scope, type SemanticModel } from '../semantic';
import { defineRule } from '../rule';
import type { TextEdit } from '../types';
import { exprSpan, widenParens, type Span } from './_query-rules';
import { Attached } from '../attached';

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

export const orChain = defineRule({
  meta: {
    id: 'or-chain',
    category: 'query',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'Two or more `col = value` comparisons on the same column joined by OR.',
      why:
        'The planner treats each OR arm as a separate condition: at best a BitmapOr of one index scan per arm, ' +
        "often a sequential scan with a filter. The tuning guide's `session_id = $1 OR session_id = $2 OR " +
        'session_id = $3` "cannot use index efficiently", while `session_id = ANY(ARRAY[$1, $2, $3])` "uses ' +
        'index scan with IN list": one index scan for all values, one plan whatever the number of values ' +
        '(and the array can be passed as a single parameter). PostgreSQL 18 makes this rewrite itself for an OR of ' +
        'equalities on one column (on the embedded PGlite 18 both forms plan as one Bitmap Index Scan with the array: ' +
        'test/explain/compare-rules.test.ts); the finding is about PostgreSQL 17 and earlier, and about keeping one plan ' +
        'whatever the number of values.',
      fix:
        'Compare once with `col = ANY(ARRAY[x, y, …])`; other OR arms stay as they are. Only comparisons of ' +
        'the same column reference (as written: `s.id` and `id` are different) with constants, parameters or ' +
        'other expressions that do not read a column are merged. An ARRAY of untyped literals or parameters ' +
        'is text[], which does not compare with uuid, integer or enum columns, so the quick fix adds ' +
        '`::type[]`, the type as declared (its schema and quotes; a serial column\'s integer type; `"bit"`, not ' +
        "bit(1)), when the column's type is known in the scope it is read in (a workspace table's column, or a " +
        'CTE or subquery column of a built-in type its body shows; a CTE shadows a table of the same name), and writes the ' +
        'equivalent `col IN (x, y)` (planned as the same `= ANY` index scan) when the type is unknown. Only WHERE, ' +
        "JOIN ON, HAVING and policy USING expressions are checked (a policy's USING is added to every query on its table); " +
        'CHECK constraints, partial-index predicates, DEFAULTs, generated columns, policy WITH CHECK and select ' +
        'lists are evaluated per row, not used to choose a scan; nor is an OR on a table whose other conditions pin ' +
        'a unique key (`id = $1`, or the predicate of a partial unique index): at most one row is left to test; nor ' +
        "an OR on a column that is a primary or unique key by itself (the guide's own example, measured on " +
        'PostgreSQL 15 with a uuid primary key and 200,000 rows: a BitmapOr of one-row probes, 0.16 ms against ' +
        '0.20 ms for `= ANY`).',
      bad: 'SELECT * FROM sessions WHERE session_id = $1 OR session_id = $2 OR session_id = $3;',
      good: 'SELECT * FROM sessions WHERE session_id = ANY(ARRAY[$1, $2, $3]::uuid[]);',
    },
    messages: {
      inList:
        '{{what}} in separate OR arms: each arm is planned on its own (a BitmapOr or a sequential scan) and ' +
        'cannot use the index efficiently. Write {{replacements}}: one index scan with an IN list.',
    },
  },
  check({ statement, catalog, report }) {
    if (!/\bor\b/i.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"OR_EXPR"')) return; // and one on the parser's JSON before building the tree
    if (!statement.nodes('BoolExpr').some((b) => b.boolop === 'OR_EXPR')) return;
    const model = semanticModel(statement, catalog);
    forEachOr(model, (or, scope) => {
      const args = (or.args ?? []) as Node[];
      const terms: Term[] = [];
      for (let i = 0; i < args.length; i++) {
        const t = term(statement, args[i], i);
        if (t) terms.push(t);
      }
      const groups = new Map<string, Term[]>();
      for (const t of terms) {
        const group = groups.get(t.key);
        if (group) group.push(t);
        else groups.set(t.key, [t]);
      }
      const chains = [...groups.values()].filter((g) => {
        if (g.length < 2) return false;
        const col = model.resolve(as(g[0].column, 'ColumnRef')!);
        const item = col?.item;
        return !(item && (pinnedToOneRow(model, scope, item) || uniqueByItself(item, col.name)));
      });
      if (chains.length === 0) return;
      const span = exprSpan(statement, { BoolExpr: or });
      if (!span) return;

      const edits: TextEdit[] = [];
      // A term's span is already known; measuring each arm again doubles the cost of a chain of thousands.
      const known = new Map(terms.map((t) => [t.arg, t.outer]));
      const outers = args.map((a, i) => {
        const k = known.get(i);
        if (k) return k;
        const s = exprSpan(statement, a);
        return s && widenParens(statement, s);
      });
      const replacements: string[] = [];
      const ok = outers.every(Boolean);
      for (const chain of chains) {
        const type = columnType(model, chain[0].column);
        const values = chain.map((t) => t.valueText);
        const untyped = chain.every((t) => isUntyped(t.value));
        const write = (list: string): string => {
          if (!untyped || (type && TEXT_TYPES.has(type.type))) return `${chain[0].columnText} = ANY(ARRAY[${list}])`;
          if (type?.cast) return `${chain[0].columnText} = ANY(ARRAY[${list}]::${type.cast}[])`;
          return `${chain[0].columnText} IN (${list})`;
        };
        const replacement = write(values.join(', '));
        replacements.push(write(shownList(values)));
        if (!ok) continue;
        edits.push({ start: chain[0].outer.start, end: chain[0].outer.end, newText: replacement });
        for (const t of chain.slice(1)) edits.push({ start: outers[t.arg - 1]!.end, end: t.outer.end, newText: '' });
      }

      const what = chains.map((c) => `\`${c[0].columnText}\` is compared with ${c.length} values`).join('; ');
      report({
        start: span.start,
        end: span.end,
        messageId: 'inList',
        data: { what, replacements: replacements.join(' and ') },
        fix: ok
          ? { title: chains.length === 1 ? `Rewrite as ${replacements[0]}` : 'Merge the OR-ed comparisons into = ANY(ARRAY[…])', edits: merge(edits) }
          : undefined,
      });
    });
  },
});

/** A message and a fix title show a long list by its ends: the edit itself writes every value. */
const SHOWN_VALUES = 12;
function shownList(values: readonly string[]): string {
  if (values.length <= SHOWN_VALUES) return values.join(', ');
  return `${values.slice(0, 3).join(', ')}, … ${(values.length - 4).toLocaleString('en-US')} more …, ${values[values.length - 1]}`;
}

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

/** The OR expressions of the scopes' WHERE / JOIN ON / HAVING / policy USING: where the planner chooses index scans. */
function forEachOr(model: SemanticModel, visit: (or: Node, scope: Scope) => void): void {
  for (const scope of model.scopes) {
    for (const q of scope.quals) {
      walk(q, (type, n) => {
        if (type === 'SubLink') return false; // a sublink is a scope of its own
        if (type === 'BoolExpr' && n.boolop === 'OR_EXPR') visit(n, scope);
        return undefined;
      });
    }
  }
}

/** The tree without source locations, to compare expressions as written. */
const shape = (n: unknown): string => JSON.stringify(n, (k, v) => (k === 'location' ? undefined : v));

/**
 * True when other conjuncts of the scope pin a unique key of `item`'s table with constants (`id = $1`; for a
 * partial unique index, also a conjunct equal to its predicate): at most one row is left to test the OR on, so
 * there is no scan for it to choose.
 */
function pinnedToOneRow(model: SemanticModel, scope: Scope, item: FromItem): boolean {
  const table = item.table;
  if (!table) return false;
  const pinned = pinnedColumns(model, scope).get(item);
  if (!pinned) return false;
  const keys = [
    ...table.uniques.map((u) => ({ columns: u.columns, where: (as(u.node, 'IndexStmt') ?? u.node).whereClause as Node | undefined })),
    ...table.indexes
      .filter((i) => i.unique && i.columns.every((c) => c.column))
      .map((i) => ({ columns: i.columns.map((c) => c.column!), where: i.partial ? (i.statement.body.whereClause as Node | undefined) : undefined })),
  ];
  return keys.some((k) => k.columns.length > 0 && k.columns.every((c) => pinned.has(c)) && (!k.where || conjunctShapes(scope).has(shape(k.where))));
}

/**
 * Per scope, once (a scope can hold thousands of ORs): the columns its conjuncts pin to constants, by FROM item,
 * and the shapes of its conjuncts.
 */
const pinnedByScope = new Attached<Scope, Map<FromItem, Set<string>>>('pinnedColumns');
const shapesByScope = new Attached<Scope, Set<string>>('conjunctShapes');

function pinnedColumns(model: SemanticModel, scope: Scope): Map<FromItem, Set<string>> {
  let byItem = pinnedByScope.get(scope);
  if (!byItem) {
    byItem = new Map();
    for (const p of model.predicates(scope)) {
      if (p.kind !== 'compare' || p.op !== '=' || p.reads.items.size !== 0 || p.reads.unresolved) continue;
      const columns = byItem.get(p.column.item) ?? new Set<string>();
      columns.add(p.column.name);
      byItem.set(p.column.item, columns);
    }
    pinnedByScope.set(scope, byItem);
  }
  return byItem;
}

function conjunctShapes(scope: Scope): Set<string> {
  let shapes = shapesByScope.get(scope);
  if (!shapes) {
    shapes = new Set(scope.quals.flatMap((q) => conjuncts(q)).map(shape));
    shapesByScope.set(scope, shapes);
  }
  return shapes;
}

/**
 * The column alone is a (non-partial) primary key or unique key: each arm of the chain is a probe of that
 * index for at most one row, which PostgreSQL combines with a BitmapOr — as cheap as `= ANY`.
 */
function uniqueByItself(item: FromItem, column: string): boolean {
  const table = item.table;
  if (!table) return false;
  const whole = (u: { columns: string[] }) => u.columns.length === 1 && u.columns[0] === column;
  return (
    table.uniques.some((u) => whole(u) && !(as(u.node, 'IndexStmt') ?? u.node).whereClause) ||
    table.indexes.some((i) => i.unique && !i.partial && i.columns.length === 1 && i.columns[0].column === column)
  );
}

/**
 * Built-in types whose bare name is the type with no typmod: a cast to them is safe for a column whose type the
 * model knows only by its lower-cased name (a CTE or subquery column).
 */
const BUILTIN = new Set(
  'int2 int4 int8 float4 float8 numeric bool uuid date time timetz timestamp timestamptz interval json jsonb bpchar bytea inet cidr macaddr money oid'.split(
    ' ',
  ),
);

/** Built-in base names a declaration can carry that are not written bare in a cast (serials, bit, char). */
const DECLARED_BUILTIN = new Set('serial serial2 serial4 serial8 smallserial bigserial bit varbit char'.split(' '));

/**
 * A column's type (`type`) and the cast to write for it (`cast`): as its declaration spells it (schema, quotes;
 * no typmod, so the cast coerces the values as `=` does), or a built-in's name; no cast for a type known only by
 * its lower-cased name, which may need a schema or quotes. Undefined for an array column, whose element cast
 * would differ.
 */
function columnType(model: SemanticModel, column: Node): { type: string; cast?: string } | undefined {
  const c = model.resolve(as(column, 'ColumnRef')!)?.column;
  if (!c || c.array || !c.type) return undefined;
  // Only built-in types are cast: a user type may be a domain, and a cast to it enforces the domain's CHECK
  // on every value (a query that matched nothing would fail instead); `IN (…)` compares as `=` does.
  if (!BUILTIN.has(c.type) && !DECLARED_BUILTIN.has(c.type)) return { type: c.type };
  return { type: c.type, cast: c.typeName ?? c.type };
}

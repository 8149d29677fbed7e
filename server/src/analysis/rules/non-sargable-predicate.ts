import { as, operatorOf, strings, walk, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { conjuncts, readsOf, semanticModel, type ResolvedColumn, type Scope, type SemanticModel } from '../semantic';
import type { Fix } from '../types';
import { indexFamily, pinnedToOneRow } from './_indexes';
import { exprSpan } from './_query-rules';

const COMPARE = new Set(['=', '<', '<=', '>', '>=']);
const FLIP: Record<string, string> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const ARITHMETIC = new Set(['+', '-', '*', '/']);
/** Tree fragments one of which a statement with a wrapped column holds: the node types, or an arithmetic operator's name. */
const WRAPPERS = ['"TypeCast"', '"FuncCall"', ...[...ARITHMETIC].map((op) => JSON.stringify(op))];

/** Type names as the parser and the catalog spell them, reduced to one name per type. */
const ALIAS: Record<string, string> = {
  integer: 'int4',
  int: 'int4',
  serial: 'int4',
  serial4: 'int4',
  bigint: 'int8',
  bigserial: 'int8',
  serial8: 'int8',
  smallint: 'int2',
  smallserial: 'int2',
  serial2: 'int2',
  character: 'bpchar',
  char: 'bpchar',
  'character varying': 'varchar',
  boolean: 'bool',
  decimal: 'numeric',
  real: 'float4',
  'double precision': 'float8',
};
const typeKey = (t: string) => ALIAS[t] ?? t;

const STRINGS = new Set(['text', 'varchar', 'bpchar', 'citext', 'name']);
const TEMPORAL = new Set(['date', 'timestamp', 'timestamptz']);
const NUMBERS = new Set(['int2', 'int4', 'int8', 'numeric', 'float4', 'float8']);
/** Built-in types whose casts to and from text (and among each other, within a class) are functions, never relabellings. */
const NOT_STRINGS = new Set([...TEMPORAL, ...NUMBERS, 'uuid', 'bool', 'json', 'jsonb', 'inet', 'time', 'timetz', 'interval']);

/**
 * True when a cast of a `from` column to `to` is a conversion function: the planner then sees an expression, not
 * the column, and an index on the column cannot serve it. Casts PostgreSQL performs by relabelling (varchar to
 * text) or to the same type keep the column; casts between string types, domains or types this list does not know
 * are left alone (unknown).
 */
function castHidesColumn(from: string, to: string): boolean {
  if (from === to) return false;
  if (STRINGS.has(from)) return NOT_STRINGS.has(to);
  if (!NOT_STRINGS.has(from)) return false;
  if (STRINGS.has(to)) return true;
  return (TEMPORAL.has(from) && TEMPORAL.has(to)) || (NUMBERS.has(from) && NUMBERS.has(to));
}

/** Functions whose one-argument call is a cast written as a call (`date(created_at)`, `text(id)`). */
const CAST_FUNCTIONS = new Set(['date', 'text', 'timestamp', 'timestamptz', 'int4', 'int8', 'numeric', 'varchar']);

type Wrap =
  | { kind: 'cast'; ref: Node; to: string }
  | { kind: 'function'; ref: Node; name: string }
  | { kind: 'arithmetic'; ref: Node; op: string; operand: Node; columnLeft: boolean };

/** The column reference an expression wraps in a cast, a function call or arithmetic with a value, if that is all it does. */
function wrapOf(e: Node | undefined): Wrap | undefined {
  const cast = as(e, 'TypeCast');
  if (cast) {
    const ref = as(cast.arg, 'ColumnRef');
    const names = strings(cast.typeName?.names);
    if (!ref || names.length === 0 || (cast.typeName?.arrayBounds ?? []).length > 0) return undefined;
    return { kind: 'cast', ref: cast.arg, to: typeKey(names[names.length - 1].toLowerCase()) };
  }
  const fn = as(e, 'FuncCall');
  if (fn) {
    if (fn.agg_star || fn.over || fn.agg_filter || fn.agg_order || fn.agg_distinct) return undefined;
    const args = (fn.args ?? []) as Node[];
    const refs = args.filter((a) => as(a, 'ColumnRef'));
    // One column argument, every other one a literal (`date_trunc('day', created_at)`, `coalesce(x, 0)`): an
    // expression an index can hold. With a parameter among them (`position($1 in name)`) it is a search, not one.
    if (refs.length !== 1 || args.some((a) => a !== refs[0] && !literal(a))) return undefined;
    const name = strings(fn.funcname).pop()!.toLowerCase();
    if (SEARCH_FUNCTIONS.has(name)) return undefined;
    if (args.length === 1 && CAST_FUNCTIONS.has(name) && strings(fn.funcname).length === 1) return { kind: 'cast', ref: refs[0], to: typeKey(name) };
    return { kind: 'function', ref: refs[0], name };
  }
  const x = as(e, 'A_Expr');
  if (x?.kind === 'AEXPR_OP' && ARITHMETIC.has(operatorOf(x)) && (x.name ?? []).length === 1) {
    if (as(x.lexpr, 'ColumnRef') && constant(x.rexpr)) return { kind: 'arithmetic', ref: x.lexpr, op: operatorOf(x), operand: x.rexpr, columnLeft: true };
    if (as(x.rexpr, 'ColumnRef') && constant(x.lexpr)) return { kind: 'arithmetic', ref: x.rexpr, op: operatorOf(x), operand: x.lexpr, columnLeft: false };
  }
  return undefined;
}

/** A literal, possibly cast (`'day'`, `0`, `'YYYY'::text`). */
function literal(e: Node): boolean {
  const cast = as(e, 'TypeCast');
  return !!as(cast ? cast.arg : e, 'A_Const');
}

/**
 * Functions that search the column for a value (substring, pattern, similarity): no expression index of the
 * call fits every value, and the bare column does not help either (leading-wildcard-like's business).
 */
const SEARCH_FUNCTIONS = new Set([
  'position',
  'strpos',
  'starts_with',
  'similarity',
  'word_similarity',
  'strict_word_similarity',
  'levenshtein',
  'regexp_like',
  'regexp_match',
  'regexp_count',
  'regexp_instr',
  'textregexeq',
]);

/** True when an expression reads no column at all (a literal, a parameter, a cast of one, now()). */
function constant(e: unknown): boolean {
  let reads = false;
  walk(e, (type) => {
    if (type === 'ColumnRef' || type === 'SubLink') reads = true;
    return reads ? false : undefined;
  });
  return !reads;
}

interface Leading {
  /** The index or key the column leads, as the message names it. */
  name: string;
}

/**
 * The full B-tree index (or PRIMARY KEY / UNIQUE constraint) of the table that the column leads, unless some
 * index of the table has an expression on the column (it may be the one the predicate needs: compared as the
 * planner would, after its own rewriting, which this rule cannot reproduce exactly).
 */
function leadingIndex(catalog: Catalog, t: TableInfo, column: string): Leading | undefined {
  const family = indexFamily(catalog, t);
  const indexes = family.flatMap((x) => x.indexes);
  if (indexes.some((i) => i.columns.some((c) => c.column === undefined && c.exprColumns.includes(column)))) return undefined;
  const index = indexes.find((i) => i.method === 'btree' && !i.partial && i.columns[0]?.column === column);
  if (index) return { name: index.name ?? `the index on ${t.name} (${column})` };
  const key = family.flatMap((x) => x.uniques).find((u) => !u.node.whereClause && u.columns[0] === column && u.statement.kind !== 'IndexStmt');
  return key ? { name: key.primary ? `the primary key of ${t.name}` : `a UNIQUE constraint of ${t.name}` } : undefined;
}

/** A comparison `wrapped op value` of a scope's WHERE / JOIN ON, with the value on the right. */
interface Candidate {
  node: Node;
  wrapped: Node;
  wrap: Wrap;
  /** A comparison operator, or 'between' (then `value` and `high` are the bounds). */
  op: string;
  value: Node;
  high?: Node;
  column: ResolvedColumn;
  table: TableInfo;
}

function candidates(model: SemanticModel, s: Scope): Candidate[] {
  const out: Candidate[] = [];
  // HAVING compares aggregates: not a scan condition on the column.
  const quals = s.quals.filter((q) => q !== s.node.havingClause);
  for (const c of quals.flatMap(conjuncts)) {
    const x = as(c, 'A_Expr');
    if (!x) continue;
    let sides: [Node, Node, string, Node?][];
    if (x.kind === 'AEXPR_BETWEEN') {
      // `date(created_at) BETWEEN $1 AND $2` (NOT BETWEEN and BETWEEN SYMMETRIC are not one range).
      const bounds = (as(x.rexpr, 'List')?.items ?? x.rexpr) as Node[] | undefined;
      if (!Array.isArray(bounds) || bounds.length !== 2) continue;
      sides = [[x.lexpr, bounds[0], 'between', bounds[1]]];
    } else if (x.kind === 'AEXPR_OP' && (x.name ?? []).length === 1 && COMPARE.has(operatorOf(x))) {
      sides = [
        [x.lexpr, x.rexpr, operatorOf(x)],
        [x.rexpr, x.lexpr, FLIP[operatorOf(x)]],
      ];
    } else continue;
    for (const [wrapped, value, op, high] of sides) {
      const wrap = wrapOf(wrapped);
      if (!wrap) continue;
      const column = model.resolve(as(wrap.ref, 'ColumnRef')!);
      // The other side must be known not to read this scope's rows (a join condition is another matter).
      const reads = readsOf(s, high ? [value, high] : value, model);
      if (!column || column.outer || column.scope !== s || reads.unresolved || reads.items.size > 0) continue;
      const table = column.item.kind === 'table' ? column.item.table : undefined;
      if (!table || table.ambiguous || pinnedToOneRow(model, s, column.item)) continue;
      out.push({ node: c, wrapped, wrap, op, value, ...(high ? { high } : {}), column, table });
    }
  }
  return out;
}

/** Terms that bind tighter than any operator the rewrites put next to them. */
const ATOMS = ['ParamRef', 'A_Const', 'SQLValueFunction', 'ColumnRef', 'FuncCall', 'TypeCast'];

/**
 * The value as written, parenthesised unless it is one term; undefined when it holds a template or a host
 * interpolation (a rewrite would repeat it), unless asked for the text with `plain` saying so.
 */
function operandText(st: Statement, value: Node): string | undefined;
function operandText(st: Statement, value: Node, templated: true): { text: string; plain: boolean } | undefined;
function operandText(st: Statement, value: Node, templated?: true): string | { text: string; plain: boolean } | undefined {
  const span = exprSpan(st, value);
  if (!span) return undefined;
  const written = st.file.text.slice(span.start, span.end);
  const plain = st.file.sqlText.slice(span.start, span.end) === written;
  const text = ATOMS.some((t) => as(value, t)) ? written : `(${written})`;
  if (templated) return { text, plain };
  return plain ? text : undefined;
}

/**
 * The range on the column a day comparison stands for: `date(col) = d` is `col >= d AND col < d + 1` (a date
 * compared with a timestamp or timestamptz becomes its midnight, in the session's time zone for timestamptz, as
 * date() reads it).
 */
function dayRange(col: string, op: string, day: string, last?: string): string {
  const d = `${day}::date`;
  switch (op) {
    case 'between':
      return `${col} >= ${d} AND ${col} < ${last}::date + 1`;
    case '=':
      return `${col} >= ${d} AND ${col} < ${d} + 1`;
    case '>=':
      return `${col} >= ${d}`;
    case '>':
      return `${col} >= ${d} + 1`;
    case '<':
      return `${col} < ${d}`;
    default:
      return `${col} < ${d} + 1`;
  }
}

export const nonSargablePredicate = defineRule({
  meta: {
    id: 'non-sargable-predicate',
    category: 'query',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'A WHERE / JOIN condition that wraps an indexed column in a function, a cast or arithmetic, with no expression index to match.',
      why:
        'A B-tree index on a column serves conditions on the column itself: `created_at >= $1`. Once the column is ' +
        'inside an expression (`date(created_at) = $1`, `lower(email) = $1`, `id::text = $1`, `created_at + ' +
        "interval '1 day' > now()`) the planner sees a condition on the expression, which the index on the column " +
        'does not hold: it reads every row (or another index) and computes the expression for each. The rule fires ' +
        'only when the column leads a full B-tree index (or the primary key / a UNIQUE constraint) of a table the ' +
        'workspace declares, the other side reads no column of the same query level (a join condition is left ' +
        'alone), and no index of the table has an expression on the column (an expression index may be the one ' +
        'that serves it), nor when the other conditions pin a primary or unique key (`id = $1`: one row is left to test). Casts PostgreSQL performs by relabelling (varchar to text) and casts to the column’s own ' +
        'type keep the column and are not flagged; casts between string types, to or from domains and enums, and ' +
        'of columns of unknown type are left alone too, and so are calls with a parameter among their arguments or ' +
        'that search the column for a value (`position($1 in name)`, `strpos`, `similarity`: no expression index ' +
        'fits every value), and expressions holding a template or host interpolation.',
      fix:
        'Compare the bare column: for a day, the range `created_at >= $1::date AND created_at < $1::date + 1` ' +
        '(the quick fix rewrites `date(col)` / `col::date` comparisons and BETWEENs so; a date becomes its midnight in the ' +
        'session time zone for a timestamptz column, as date() reads it); move arithmetic to the other side ' +
        "(`created_at > now() - interval '1 day'`); compare with a value of the column's type (`id = $1::bigint`). " +
        'Where the expression is what the query means (`lower(email) = lower($1)`), create an expression index on ' +
        'it: `CREATE INDEX CONCURRENTLY … ON users ((lower(email)))`.',
      bad: 'CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL);\nCREATE INDEX orders_created_at ON orders (created_at);\nSELECT id FROM orders WHERE date(created_at) = $1;',
      good:
        'CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL);\nCREATE INDEX orders_created_at ON orders (created_at);\n' +
        'SELECT id FROM orders WHERE created_at >= $1::date AND created_at < $1::date + 1;',
    },
    messages: {
      day:
        '{{expr}} hides {{column}} from {{index}}: the planner cannot seek the index for a condition on the expression. ' +
        'Compare the column with the range of days: {{rewrite}}.',
      cast:
        '{{expr}} converts {{column}}, so {{index}} cannot serve the condition (the planner sees the cast, not the column). ' +
        'Compare the column with a value of its type ({{column}} {{op}} … cast to {{type}}), or index the expression.',
      function:
        '{{expr}} applies {{fn}}() to {{column}}, so {{index}} cannot serve the condition. Compare the bare column, or, ' +
        'where the expression is what the query means, create an expression index: CREATE INDEX … ON {{table}} (({{expr}})).',
      arithmetic: '{{expr}} computes on {{column}}, so {{index}} cannot serve the condition. Move the arithmetic to the other side: {{rewrite}}.',
      arithmeticNoRewrite: '{{expr}} computes on {{column}}, so {{index}} cannot serve the condition. Move the arithmetic to the other side of the comparison.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'SelectStmt' && st.kind !== 'UpdateStmt' && st.kind !== 'DeleteStmt' && st.kind !== 'InsertStmt') return;
    if (!st.treeMayInclude('"whereClause"') && !st.treeMayInclude('"quals"')) return;
    // Only a cast, a call or arithmetic can wrap a column (wrapOf): the semantic model is built for those alone.
    if (!WRAPPERS.some((w) => st.treeMayInclude(w))) return;
    const model = semanticModel(st, catalog);
    for (const s of model.scopes) {
      if (s.kind === 'policy') continue;
      for (const c of candidates(model, s)) {
        const leading = leadingIndex(catalog, c.table, c.column.name);
        if (!leading) continue;
        const span = exprSpan(st, c.wrapped);
        const colSpan = exprSpan(st, c.wrap.ref);
        if (!span || !colSpan) continue;
        const expr = st.file.text.slice(span.start, span.end);
        // A template or host interpolation inside the expression: what it stands for is unknown.
        if (st.file.sqlText.slice(span.start, span.end) !== expr) continue;
        const columnText = st.file.text.slice(colSpan.start, colSpan.end);
        const base = { start: span.start, end: span.end };
        const data = { expr, column: columnText, index: leading.name };
        const w = c.wrap;
        if (w.kind === 'cast') {
          const from = c.column.column?.type ? typeKey(c.column.column.type) : undefined;
          if (!from || c.column.column?.array || !castHidesColumn(from, w.to)) continue;
          if (w.to === 'date' && (from === 'timestamp' || from === 'timestamptz')) {
            const day = operandText(st, c.value, true);
            const last = c.high ? operandText(st, c.high, true) : undefined;
            if (day && (!c.high || last)) {
              const whole = exprSpan(st, c.node);
              const rewrite = dayRange(columnText, c.op, day.text, last?.text);
              const plain = day.plain && (!last || last.plain);
              const fix: Fix | undefined =
                whole && plain ? { title: `Compare ${columnText} with a range of days`, edits: [{ ...whole, newText: rewrite }] } : undefined;
              report({ ...base, messageId: 'day', data: { ...data, rewrite }, fix });
              continue;
            }
          }
          report({ ...base, messageId: 'cast', data: { ...data, op: c.op === 'between' ? 'BETWEEN' : c.op, type: c.column.column?.typeName ?? from } });
        } else if (w.kind === 'function') {
          report({ ...base, messageId: 'function', data: { ...data, fn: w.name, table: c.table.name } });
        } else {
          const rewrite = c.high ? undefined : arithmeticRewrite(st, w, c.op, columnText, c.value);
          if (rewrite) report({ ...base, messageId: 'arithmetic', data: { ...data, rewrite } });
          else report({ ...base, messageId: 'arithmeticNoRewrite', data });
        }
      }
    }
  },
});

/** `col + k op v` as `col op v - k` (and `col - k`, `k + col`); undefined for products and quotients, whose sign matters. */
function arithmeticRewrite(st: Statement, w: Extract<Wrap, { kind: 'arithmetic' }>, op: string, col: string, value: Node): string | undefined {
  if (w.op !== '+' && (w.op !== '-' || !w.columnLeft)) return undefined;
  const v = operandText(st, value);
  const k = operandText(st, w.operand);
  if (!v || !k) return undefined;
  return `${col} ${op} ${v} ${w.op === '+' ? '-' : '+'} ${k}`;
}

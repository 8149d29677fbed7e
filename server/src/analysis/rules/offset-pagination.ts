import { as, numberOf, operatorOf, strings, typeOf, walk, type Node } from '../ast';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import type { Fix, TextEdit } from '../types';
import { exprSpan, findKeywordAtDepth0, isComment, leadingWhitespace, prevCodeToken, nextCodeToken, prevToken, widenParens, type Span } from './_query-rules';

/** Aggregate names whose presence in a sort key makes a WHERE predicate on it impossible. */
const AGGREGATES = new Set(
  (
    'count sum avg min max array_agg string_agg bool_and bool_or every json_agg jsonb_agg json_object_agg ' +
    'jsonb_object_agg xmlagg bit_and bit_or bit_xor stddev stddev_pop stddev_samp variance var_pop var_samp ' +
    'percentile_cont percentile_disc mode range_agg range_intersect_agg'
  ).split(' '),
);

/** Clause keywords that may follow FROM … in a SELECT: a new WHERE goes before the first of them. */
const AFTER_FROM = new Set(['GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'FETCH']);

/** Node types that need parentheses before `< $n`. */
const NEEDS_PARENS = new Set(['A_Expr', 'BoolExpr', 'NullTest', 'BooleanTest']);

interface SortKey {
  text: string;
  type: string;
  desc: boolean;
}

/** The start of every message: what OFFSET costs. */
const COST =
  'OFFSET {{offset}} reads and discards every skipped row before returning the page: the cost grows with ' +
  'the page number (500 ms at offset 10,000, 5 s at 100,000 in the tuning guide) while keyset pagination stays ~5 ms. ';

export const offsetPagination = defineRule({
  meta: {
    id: 'offset-pagination',
    category: 'query',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'SELECT … OFFSET n for pagination (a parameter, or a constant that skips at least one page of a LIMIT).',
      why:
        'PostgreSQL cannot jump to row n: OFFSET reads every skipped row and throws it away, so each page costs ' +
        'more than the last. The tuning guide measures `ORDER BY timestamp DESC LIMIT 100 OFFSET 10000` at ' +
        '500 ms (10,100 rows scanned, 10,000 discarded) and 5 s at OFFSET 100000, while keyset pagination ' +
        '(`WHERE timestamp < $last_timestamp`) stays at about 5 ms whatever the page. OFFSET pages also shift ' +
        'when rows are inserted or deleted between requests. Without ORDER BY the order of rows, and so the ' +
        'content of each page, is not defined at all. A constant OFFSET that skips a few rows rather than pages ' +
        'is left alone: with no LIMIT (`OFFSET 1`: everything after the first row), under `LIMIT 1` (the n-th row), ' +
        'smaller than its constant LIMIT, or below 100 under a LIMIT that is not a constant (arithmetic of constants, ' +
        '`20000 - 4`, counts as a constant). Nor is `LIMIT 1 OFFSET s - 1` with `s` a column of the outer query, ' +
        'which picks one row per outer row.',
      fix:
        'Paginate by the last row seen: keep LIMIT, drop OFFSET, and add a predicate on the ORDER BY keys ' +
        '(`<` for DESC, `>` for ASC; a row comparison `(a, b) < ($2, $3)` for several keys in one direction, ' +
        'an expanded `a < $2 OR (a = $2 AND b > $3)` for mixed directions). The quick fix does this with new ' +
        'parameters numbered after the highest `$n` of the statement: bind them to the ORDER BY values of the ' +
        'last row of the previous page (the first page runs without the predicate). The ORDER BY keys should ' +
        'end with a unique column (e.g. the primary key) or rows that tie with the last row are skipped, and ' +
        'an index on the ORDER BY keys makes every page an index range scan. No fix is offered without ORDER BY, ' +
        'for UNION/INTERSECT/EXCEPT, or when a sort key is an aggregate or window function.',
      bad: 'SELECT * FROM event_log ORDER BY timestamp DESC LIMIT 100 OFFSET 10000;',
      good: 'SELECT * FROM event_log\nWHERE timestamp < $1\nORDER BY timestamp DESC LIMIT 100;',
    },
    messages: {
      noOrderBy:
        COST +
        'This SELECT has no ORDER BY, so the page order is undefined: pages can overlap or skip rows. ' +
        "Add an ORDER BY ending with a unique column, then paginate with WHERE (sort keys) < (last row's values).",
      setOperation:
        COST + 'Paginate by the last row instead: put a WHERE on the sort keys into each arm of the set operation (no quick fix for UNION/INTERSECT/EXCEPT).',
      keysetFix:
        COST +
        "Paginate by the last row instead (keyset): the quick fix drops OFFSET and adds {{predicate}}, whose new parameters hold the last row's values of the previous page.",
      keyset: COST + "Paginate by the last row instead (keyset): drop OFFSET and add WHERE (sort keys) < (the last row's values of the previous page).",
    },
  },
  check({ statement, report }) {
    if (!/offset/i.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"limitOffset"')) return; // and one on the parser's JSON before building the tree
    for (const sel of statement.nodes('SelectStmt')) {
      if (!sel.limitOffset || !isPage(sel)) continue;
      const clause = offsetClause(statement, sel.limitOffset);
      if (!clause) return;
      const offset = statement.file.text.slice(clause.exprStart, clause.exprEnd);
      const setOp = sel.op && sel.op !== 'SETOP_NONE';
      const sorts = (sel.sortClause ?? []) as Node[];
      if (sorts.length === 0 && !setOp) {
        report({ start: clause.start, end: clause.end, messageId: 'noOrderBy', data: { offset } });
        continue;
      }
      const fix = setOp ? undefined : keysetFix(statement, sel, clause);
      report({
        start: clause.start,
        end: clause.end,
        messageId: setOp ? 'setOperation' : fix ? 'keysetFix' : 'keyset',
        data: { offset, predicate: fix?.predicate ?? '' },
        fix: fix?.fix,
      });
    }
  },
});

/** Below this, a constant OFFSET under a LIMIT that is not a constant skips a few leading rows; it is no page. */
const SMALL_CONSTANT_SKIP = 100;

/**
 * The value of a constant (through casts and `+ - * /` of constants, `OFFSET 20000 - 4`): a number, null for
 * NULL, undefined for anything else.
 */
function constantOf(expr: Node | undefined): number | null | undefined {
  let e = expr;
  while (e && as(e, 'TypeCast')) e = as(e, 'TypeCast')!.arg;
  if (!e) return undefined;
  const op = as(e, 'A_Expr');
  if (op) {
    if (op.kind !== 'AEXPR_OP') return undefined;
    const name = operatorOf(op);
    const r = constantOf(op.rexpr);
    if (typeof r !== 'number') return r === null ? null : undefined;
    if (!op.lexpr) return name === '-' ? -r : name === '+' ? r : undefined;
    const l = constantOf(op.lexpr);
    if (typeof l !== 'number') return l === null ? null : undefined;
    if (name === '+') return l + r;
    if (name === '-') return l - r;
    if (name === '*') return l * r;
    // Integer division, as for the bigint OFFSET/LIMIT take; a zero divisor is an error PostgreSQL reports.
    if (name === '/') return r === 0 ? undefined : Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r;
    return undefined;
  }
  const c = as(e, 'A_Const');
  if (!c) return undefined;
  return c.isnull ? null : numberOf(e);
}

/** True when an expression reads a column (of an outer query: `LIMIT 1 OFFSET g.i` picks the i-th row). */
function readsColumn(expr: Node): boolean {
  let found = false;
  walk(expr, (type) => {
    if (type === 'ColumnRef') found = true;
    if (found || type === 'SubLink') return false;
  });
  return found;
}

/**
 * True when the SELECT's OFFSET pages through a result. A parameter or any computed offset (`$1`,
 * `($2 - 1) * 10`) is a page. A constant is one only under a LIMIT that returns more than one row and when it
 * skips at least a page: `LIMIT 10 OFFSET 20` (page 3), not `OFFSET 1` with no LIMIT (skip the first row of the
 * result), not `LIMIT 1 OFFSET 2` (the third row), not `LIMIT 10 OFFSET 1`. Under a LIMIT that is not a constant
 * (`LIMIT $1 OFFSET 1`), a constant skip of fewer than SMALL_CONSTANT_SKIP rows is not a page either.
 * `OFFSET 0` and `OFFSET NULL` skip nothing. An offset read from a column under `LIMIT 1` picks one row per outer
 * row (`(SELECT … ORDER BY n LIMIT 1 OFFSET s - 1)`); a parameter under `LIMIT 1` still pages, one row at a time.
 */
function isPage(sel: Node): boolean {
  const offset = constantOf(sel.limitOffset);
  const limit = sel.limitCount ? constantOf(sel.limitCount) : undefined;
  // The i-th row of a correlated subquery: an offset computed from the outer row under LIMIT 1, not a page.
  if (offset === undefined) return !(limit === 1 && readsColumn(sel.limitOffset));
  if (offset === null || offset <= 0) return false;
  if (!sel.limitCount) return false;
  if (limit === null) return false; // LIMIT ALL / LIMIT NULL: no limit
  if (limit === undefined) return offset >= SMALL_CONSTANT_SKIP;
  return limit > 1 && offset >= limit;
}

interface OffsetClause extends Span {
  exprStart: number;
  exprEnd: number;
}

/** `OFFSET <expr> [ROW|ROWS]`: the OFFSET keyword through its expression (and its own parentheses). */
function offsetClause(st: Statement, expr: Node): OffsetClause | undefined {
  const span = exprSpan(st, expr);
  if (!span) return undefined;
  const code = st.codeTokens();
  let s = span;
  let before = prevCodeToken(code, s.start);
  // `OFFSET (20)`: parentheses around the count are part of the clause.
  while (before?.text === '(') {
    const after = nextCodeToken(code, s.end);
    if (after?.text !== ')') return undefined;
    s = { start: before.start, end: after.end };
    before = prevCodeToken(code, s.start);
  }
  if (before?.keyword !== 'OFFSET') return undefined;
  let end = s.end;
  const rows = nextCodeToken(code, end);
  if (rows && (rows.keyword === 'ROW' || rows.keyword === 'ROWS')) end = rows.end;
  return { start: before.start, end, exprStart: span.start, exprEnd: span.end };
}

function containsWindowOrAggregate(n: unknown): boolean {
  let found = false;
  walk(n, (type, node) => {
    if (found) return false;
    if (type === 'FuncCall') {
      const name = strings(node.funcname).pop()?.toLowerCase() ?? '';
      if (node.over || node.agg_star || node.agg_distinct || node.agg_order || node.agg_filter || node.agg_within_group || AGGREGATES.has(name)) {
        found = true;
        return false;
      }
    }
    if (type === 'SubLink') return false;
  });
  return found;
}

/** The ORDER BY keys as WHERE-able text, or undefined when one cannot be used in WHERE. */
function sortKeys(st: Statement, sel: Node): SortKey[] | undefined {
  const text = st.file.text;
  const targets = ((sel.targetList ?? []) as Node[]).map((t) => as(t, 'ResTarget')!).filter(Boolean);
  const groupTexts: string[] = [];
  for (const g of (sel.groupClause ?? []) as Node[]) {
    const s = exprSpan(st, g);
    if (!s) return undefined;
    groupTexts.push(norm(text.slice(s.start, s.end)));
  }
  const keys: SortKey[] = [];
  for (const item of (sel.sortClause ?? []) as Node[]) {
    const sb = as(item, 'SortBy');
    if (!sb || sb.sortby_dir === 'SORTBY_USING') return undefined;
    let expr: Node = sb.node;
    // ORDER BY 2, or ORDER BY an output alias: the target's expression (PostgreSQL prefers the output name).
    const pos = as(expr, 'A_Const') ? numberOf(expr) : undefined;
    if (pos !== undefined) {
      const target = targets[pos - 1];
      if (!target || !Number.isInteger(pos) || isStar(target.val)) return undefined;
      expr = target.val;
    } else {
      const ref = as(expr, 'ColumnRef');
      const names = ref ? strings(ref.fields) : [];
      if (ref && names.length === 1 && ref.fields.length === 1) {
        const target = targets.find((t) => t.name === names[0]);
        if (target) expr = target.val;
      }
    }
    if (containsWindowOrAggregate(expr)) return undefined;
    const span = exprSpan(st, expr);
    if (!span) return undefined;
    const keyText = text.slice(span.start, span.end);
    if (groupTexts.length > 0 && !groupTexts.includes(norm(keyText))) return undefined;
    keys.push({ text: keyText, type: typeOf(expr), desc: sb.sortby_dir === 'SORTBY_DESC' });
  }
  return keys;
}

function isStar(n: Node): boolean {
  const ref = as(n, 'ColumnRef');
  return !!ref && (ref.fields ?? []).some((f: Node) => as(f, 'A_Star'));
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** `ts < $3`, `(a, b) < ($3, $4)` or `(a < $3 OR (a = $3 AND b > $4))`. */
function keysetPredicate(keys: SortKey[], params: string[]): { text: string; compound: boolean } {
  const op = (k: SortKey) => (k.desc ? '<' : '>');
  if (keys.length === 1) {
    const k = keys[0];
    return { text: `${NEEDS_PARENS.has(k.type) ? `(${k.text})` : k.text} ${op(k)} ${params[0]}`, compound: false };
  }
  if (keys.every((k) => k.desc === keys[0].desc)) {
    return { text: `(${keys.map((k) => k.text).join(', ')}) ${op(keys[0])} (${params.join(', ')})`, compound: false };
  }
  const paren = (k: SortKey) => (NEEDS_PARENS.has(k.type) ? `(${k.text})` : k.text);
  const arms = keys.map((k, i) => {
    const eqs = keys.slice(0, i).map((p, j) => `${paren(p)} = ${params[j]}`);
    const cmp = `${paren(k)} ${op(k)} ${params[i]}`;
    return i === 0 ? cmp : `(${[...eqs, cmp].join(' AND ')})`;
  });
  return { text: `(${arms.join(' OR ')})`, compound: true };
}

function keysetFix(st: Statement, sel: Node, clause: OffsetClause): { fix: Fix; predicate: string } | undefined {
  if (!sel.fromClause?.length || sel.havingClause || sel.windowClause?.length) return undefined;
  if (((sel.targetList ?? []) as Node[]).some(hasWindow)) return undefined;
  const keys = sortKeys(st, sel);
  if (!keys || keys.length === 0) return undefined;
  const params = newParams(st, clause, keys.length);
  const predicate = keysetPredicate(keys, params);
  const text = st.file.text;
  const edits: TextEdit[] = [];

  if (sel.whereClause) {
    const span = exprSpan(st, sel.whereClause);
    if (!span) return undefined;
    const outer = widenParens(st, span);
    const topOr = as(sel.whereClause, 'BoolExpr')?.boolop === 'OR_EXPR' && outer.start === span.start;
    if (topOr) edits.push({ start: span.start, end: span.start, newText: '(' });
    edits.push({ start: outer.end, end: outer.end, newText: `${topOr ? ')' : ''} AND ${predicate.text}` });
  } else {
    const from = st.span(sel.fromClause[0]);
    if (!from) return undefined;
    const next = findKeywordAtDepth0(st, from.start, AFTER_FROM);
    if (!next || (next.keyword !== 'ORDER' && next.keyword !== 'GROUP')) return undefined;
    const ws = leadingWhitespace(text, next.start) || ' ';
    edits.push({ start: next.start, end: next.start, newText: `WHERE ${predicate.text}${ws}` });
  }

  // Drop the OFFSET clause with the whitespace before it (unless a `--` comment ends right there).
  const prev = prevToken(st, clause.start);
  const dropFrom = prev && !(isComment(prev) && prev.name === 'SQL_COMMENT') ? prev.end : clause.start;
  edits.push({ start: dropFrom, end: clause.end, newText: '' });

  return {
    predicate: predicate.text,
    fix: {
      title: `Use keyset pagination: drop OFFSET, add ${predicate.text} (${params.join(', ')} = last row of the previous page)`,
      edits,
    },
  };
}

/**
 * Parameter numbers for the keyset values: first those only the dropped OFFSET used (`LIMIT $2 OFFSET $3`
 * frees $3; leaving a gap would make PREPARE fail with "could not determine data type of parameter $3"),
 * then numbers after the statement's highest `$n`.
 */
function newParams(st: Statement, clause: Span, count: number): string[] {
  const inside = new Set<number>();
  const outside = new Set<number>();
  for (const t of st.tokens()) {
    if (t.name !== 'PARAM') continue;
    const n = Number(t.text.slice(1));
    (t.start >= clause.start && t.end <= clause.end ? inside : outside).add(n);
  }
  const freed = [...inside].filter((n) => !outside.has(n)).sort((a, b) => a - b);
  const out: string[] = [];
  let next = st.maxParam() + 1;
  for (let i = 0; i < count; i++) out.push(`$${i < freed.length ? freed[i] : next++}`);
  return out;
}

function hasWindow(t: Node): boolean {
  let found = false;
  walk(t, (type, node) => {
    if (type === 'FuncCall' && node.over) found = true;
    if (type === 'SubLink') return false;
  });
  return found;
}

/**
 * What measuring the keyset fix needs (compare-fix.ts): a query that reads the sort keys of the previous page's
 * last row — the statement with its select list replaced by the keys (as text, so that a timestamp keeps its
 * microseconds), `LIMIT LEAST(1, limit)` and `OFFSET (n) - 1` — and the `$n` of the fix's predicate each key's value goes to, in
 * key order. Only for a top-level SELECT the rule gives the keyset fix for; undefined otherwise.
 */
export function previousPageLastRow(st: Statement): { sql: string; params: number[] } | undefined {
  if (st.kind !== 'SelectStmt') return undefined;
  const sel = st.body;
  if (!sel.limitOffset || !isPage(sel) || (sel.op && sel.op !== 'SETOP_NONE')) return undefined;
  const clause = offsetClause(st, sel.limitOffset);
  if (!clause || !keysetFix(st, sel, clause)) return undefined;
  const keys = sortKeys(st, sel)!;
  const targets = (sel.targetList ?? []) as Node[];
  const first = targets.length ? st.span(targets[0]) : undefined;
  const last = targets.length ? st.span(targets[targets.length - 1]) : undefined;
  if (!first || !last) return undefined;
  const edits: TextEdit[] = [{ start: first.start, end: last.end, newText: keys.map((k, i) => `(${k.text})::text AS pgperf_key_${i + 1}`).join(', ') }];
  if (sel.limitCount) {
    const limit = as(sel.limitCount, 'A_Const');
    if (limit?.isnull) return undefined; // LIMIT ALL
    const span = exprSpan(st, sel.limitCount);
    if (!span) return undefined;
    // LEAST keeps a `$n` of the LIMIT in the text (an unreferenced parameter has no type: the server refuses the
    // statement); a NULL limit (no limit) is ignored by LEAST, as by LIMIT.
    edits.push({ start: span.start, end: span.end, newText: `LEAST(1, ${st.file.text.slice(span.start, span.end)})` });
  } else {
    edits.push({ start: clause.start, end: clause.start, newText: 'LIMIT 1 ' });
  }
  const offset = st.file.text.slice(clause.exprStart, clause.exprEnd);
  edits.push({ start: clause.exprStart, end: clause.exprEnd, newText: `(${offset}) - 1` });
  let sql = st.text;
  for (const e of edits.sort((a, b) => b.start - a.start)) sql = sql.slice(0, e.start - st.start) + e.newText + sql.slice(e.end - st.start);
  return { sql, params: newParams(st, clause, keys.length).map((p) => Number(p.slice(1))) };
}

import { as, columnRefNames, operatorOf, quoteIdent, walk, type Node } from '../ast';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { conjuncts, semanticModel, type FromItem, type ResolvedColumn, type Scope, type SemanticModel } from '../semantic';
import type { TextEdit } from '../types';
import { nextCodeToken, prevCodeToken, widenParens } from './_query-rules';

/** Schemas of system catalogs: small, NOT NULL name columns, read by introspection scripts. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

const PLAN =
  'PostgreSQL does not plan NOT IN (SELECT …) as an anti-join (NULL semantics forbid it; 19 does when both sides are declared NOT NULL): ' +
  'it runs the subquery as a SubPlan, hashed only while its whole result fits in hash memory (work_mem × hash_mem_multiplier), ' +
  'otherwise rescanned for every outer row (O(n×m))';

export const notInSubquery = defineRule({
  meta: {
    id: 'not-in-subquery',
    category: 'query',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: '`x NOT IN (SELECT …)` (or `x <> ALL (SELECT …)`) over a table.',
      why:
        'NOT IN must return NULL, not true, when the subquery yields a NULL and nothing matches, so PostgreSQL cannot turn ' +
        'it into an anti-join (PostgreSQL 19 does, when both sides are declared NOT NULL and the outer one is not on the nullable side of ' +
        'an outer join; such findings are reported at info). It runs the subquery as a SubPlan instead: a hashed SubPlan while the whole subquery result ' +
        'fits in hash memory (work_mem × hash_mem_multiplier), otherwise a plain SubPlan that scans the materialised result again for every outer row, O(n×m) ' +
        '(the PostgreSQL wiki\'s "Don\'t Do This" calls it "horrifically slow"). Measured on PostgreSQL 15 at the default work_mem ' +
        '(4 MB) with 20,000 users and 400,000 orders: `id NOT IN (SELECT user_id FROM orders)` ran a plain SubPlan in 24 s, the ' +
        'NOT EXISTS form a merge anti-join in 8 ms. NOT EXISTS is planned as a hash, merge or ' +
        'nested-loop anti-join, which can use an index on the inner column. The NULL rule is also a trap of its own: a single ' +
        "NULL in the subquery's column makes `x NOT IN (…)` NULL for every row that has no match, so the query returns no " +
        'rows at all. Left alone, as a few rows that a hashed SubPlan handles well: subqueries that read no table ' +
        '(`SELECT unnest($1::text[])`, VALUES, a set-returning function), like a NOT IN list; subqueries over the system ' +
        'catalogs only; a subquery cut by a LIMIT or pinned to one entity by a parameter (`WHERE user_id = $1`, also through ' +
        'the CTEs it reads); and a NOT IN evaluated for such rows only (the outer WHERE pins a column to a parameter).',
      fix:
        'Write `NOT EXISTS (SELECT 1 FROM … WHERE inner.col = outer.col)`. It means the same only when neither side can be ' +
        'NULL: the quick fix is offered when the catalog shows both columns NOT NULL (a NOT NULL or primary key column not on ' +
        'the nullable side of an outer join) or a WHERE condition rules NULL out (`col IS NOT NULL`, a comparison), and the ' +
        'subquery is a plain SELECT of columns (no GROUP BY, aggregate, DISTINCT ON, ORDER BY, LIMIT, set operation). It ' +
        "qualifies the outer column with its table or alias and gives the subquery's table an alias when both have the same " +
        'name. When a side can be NULL, decide what NULL should mean: add `WHERE col IS NOT NULL` to the subquery if NULLs ' +
        'should not count (then NOT EXISTS is equivalent), or keep NOT IN if an empty result is what you want.',
      bad: 'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL);\nSELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders);',
      good:
        'CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL);\n' +
        'SELECT id FROM users WHERE NOT EXISTS (SELECT 1 FROM orders WHERE orders.user_id = users.id);',
    },
    messages: {
      rewrite: `${PLAN}. Both sides are NOT NULL here, so NOT EXISTS (SELECT 1 … WHERE {{correlation}}) means the same and is planned as an anti-join.{{pg19}}`,
      rewriteByHand:
        `${PLAN}. Both sides are NOT NULL here, so NOT EXISTS (SELECT 1 FROM … WHERE the subquery's column = the outer row's) means the ` +
        'same and is planned as an anti-join (no quick fix for this form of subquery).{{pg19}}',
      innerNullable:
        `${PLAN}. {{inner}} may be NULL ({{because}}): then \`{{outer}} NOT IN (…)\` is NULL for every row without a match and the query returns ` +
        'none of them. NOT EXISTS is not equivalent (it ignores NULLs): add `WHERE {{inner}} IS NOT NULL` to the subquery and use NOT EXISTS ' +
        'if NULLs should not count.',
      outerNullable:
        `${PLAN}. {{outer}} may be NULL ({{because}}): NOT IN yields NULL for those rows where NOT EXISTS yields true, so the rewrite to NOT EXISTS ` +
        'would also need `{{outer}} IS NOT NULL`.',
      unknownNulls:
        `${PLAN}. NOT EXISTS is planned as an anti-join, but it is equivalent only when neither side can be NULL, which pgperf cannot ` +
        'tell here ({{unknown}}); with a NULL in the subquery NOT IN returns no rows at all.',
    },
  },
  check({ statement, catalog, report }) {
    if (!/\b(in|all)\b/i.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"SubLink"')) return;
    const candidates = notInSublinks(statement);
    if (candidates.length === 0) return;
    const model = semanticModel(statement, catalog);
    for (const c of candidates) {
      const inner = model.scopes.find((s) => s.node === as(c.sublink.subselect, 'SelectStmt'));
      const outer = inner?.parent;
      if (!inner || !outer || !readsUserTable(inner, new Set())) continue;
      // One entity's rows on either side (`WHERE user_id = $1`), or a LIMITed subquery: a few rows, hashed or scanned cheaply.
      if (restrictedByParameter(model, outer) || bounded(model, inner, new Set())) continue;
      const site = siteOf(statement, c);
      if (!site) continue;
      const outerExprs = as(c.sublink.testexpr, 'RowExpr')?.args ?? [c.sublink.testexpr];
      const targets = inner.arms.length > 0 ? undefined : ((inner.node.targetList ?? []) as Node[]).map((t) => as(t, 'ResTarget')?.val as Node);
      const pairs = (outerExprs as Node[]).map((o, i) => ({ outer: o, inner: targets?.[i] }));
      const text = (n: Node | undefined) => {
        const s = n && statement.span(n);
        return s ? statement.file.text.slice(s.start, s.end) : '?';
      };
      const base = { start: site.flag.start, end: site.flag.end };
      // Nullability, pair by pair: the inner side first (the NULL trap), then the outer.
      const innerNull = pairs.map((p) => innerNullability(model, inner, p.inner));
      const outerNull = pairs.map((p) => columnNullability(model, p.outer, c.node).state);
      const nullableInner = pairs.findIndex((_, i) => innerNull[i] === 'nullable');
      if (nullableInner >= 0) {
        const { inner: i, outer: o } = pairs[nullableInner];
        report({ ...base, messageId: 'innerNullable', data: { inner: text(i), outer: text(o), because: because(model, i) } });
        continue;
      }
      const nullableOuter = pairs.findIndex((_, i) => outerNull[i] === 'nullable');
      if (nullableOuter >= 0) {
        const o = pairs[nullableOuter].outer;
        report({ ...base, messageId: 'outerNullable', data: { outer: text(o), because: because(model, o, c.node) } });
        continue;
      }
      const unknown = pairs.flatMap((p, i) => [
        ...(innerNull[i] === 'unknown' ? [p.inner ? text(p.inner) : 'the subquery'] : []),
        ...(outerNull[i] === 'unknown' ? [text(p.outer)] : []),
      ]);
      if (unknown.length > 0) {
        report({ ...base, messageId: 'unknownNulls', data: { unknown: [...new Set(unknown)].join(', ') } });
        continue;
      }
      const fix = rewrite(statement, model, site, inner, pairs as { outer: Node; inner: Node }[]);
      // PostgreSQL 19 makes the anti-join itself when the outer columns are declared NOT NULL (it reads no outer WHERE).
      const inWhere = conjuncts(outer.node.whereClause).some((w) => Object.values(w)[0] === c.node);
      const pg19 = inWhere && pairs.every((p) => declaredNotNull(model, p.outer, c.node));
      const version = pg19
        ? {
            severity: 'info' as const,
            data: { pg19: ' PostgreSQL 19 plans this one as an anti-join itself (the outer columns are declared NOT NULL): it matters on 18 and older.' },
          }
        : { data: { pg19: '' } };
      if (fix) report({ ...base, messageId: 'rewrite', ...version, data: { ...version.data, correlation: fix.correlation }, fix: fix.fix });
      else report({ ...base, messageId: 'rewriteByHand', ...version });
    }
  },
});

interface Candidate {
  sublink: Node;
  /** The node whose value is the NOT IN's: the NOT BoolExpr, or the `<> ALL` SubLink. */
  node: Node;
  form: 'not-in' | 'all';
}

/** `x NOT IN (SELECT …)` (a NOT over `x = ANY (SELECT …)`) and `x <> ALL (SELECT …)`. */
function notInSublinks(st: Statement): Candidate[] {
  const out: Candidate[] = [];
  for (const b of st.nodes('BoolExpr')) {
    if (b.boolop !== 'NOT_EXPR' || (b.args ?? []).length !== 1) continue;
    const sl = as(b.args[0], 'SubLink');
    if (sl?.subLinkType === 'ANY_SUBLINK' && (!sl.operName || operatorOf({ name: sl.operName }) === '=')) out.push({ sublink: sl, node: b, form: 'not-in' });
  }
  for (const sl of st.nodes('SubLink')) {
    if (sl.subLinkType !== 'ALL_SUBLINK' || !sl.operName) continue;
    const op = operatorOf({ name: sl.operName });
    if (op === '<>' || op === '!=') out.push({ sublink: sl, node: sl, form: 'all' });
  }
  return out;
}

/** True when the query reads a table other than a system catalog (through its FROM subqueries, CTEs and set-operation arms). */
function readsUserTable(s: Scope, seen: Set<Scope>): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  if (s.arms.some((a) => readsUserTable(a, seen))) return true;
  return s.items.some((i) => {
    if (i.kind === 'table') return !systemCatalog(i);
    const body = i.body ?? i.cte?.body;
    return !!body && readsUserTable(body, seen);
  });
}

function systemCatalog(i: FromItem): boolean {
  if (i.table) return SYSTEM_SCHEMAS.has(i.table.schema);
  const schema = i.rv?.schemaname;
  return schema ? SYSTEM_SCHEMAS.has(schema) : /^pg_/.test(i.rv?.relname ?? '');
}

/** True when a WHERE conjunct pins a column of the scope to a parameter: `col = $1`, `col = ANY($2)`, `col IN ($1, $2)`. */
function restrictedByParameter(model: SemanticModel, s: Scope): boolean {
  const where = new Set(conjuncts(s.node.whereClause));
  return model.predicates(s).some((p) => {
    if (!p.node || !where.has(p.node)) return false;
    if (p.kind === 'in-list') return p.column.scope === s && p.reads.items.size === 0 && hasParam(p.values);
    if (p.kind !== 'compare' && p.kind !== 'any') return false;
    return p.op === '=' && p.column.scope === s && p.reads.items.size === 0 && hasParam(p.value);
  });
}

function hasParam(e: unknown): boolean {
  let found = false;
  walk(e, (type) => {
    if (type === 'ParamRef') found = true;
    return found ? false : undefined;
  });
  return found;
}

/** True when the subquery's rows are few by construction: a LIMIT, a parameter-pinned WHERE, or only such CTEs and subqueries. */
function bounded(model: SemanticModel, s: Scope, seen: Set<Scope>): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  if (s.node.limitCount && !as(s.node.limitCount, 'A_Const')?.isnull) return true;
  if (s.arms.length > 0) return s.arms.every((a) => bounded(model, a, seen));
  if (restrictedByParameter(model, s)) return true;
  const rows = s.items.filter((i) => i.kind !== 'function' && i.kind !== 'values');
  return (
    rows.length > 0 &&
    rows.every((i) => {
      const body = i.body ?? i.cte?.body;
      return !!body && bounded(model, body, seen);
    })
  );
}

type Nullability = 'not-null' | 'nullable' | 'unknown';

/** Why a column may be NULL, for the message. */
function because(model: SemanticModel, ref: Node | undefined, at?: Node): string {
  const r = ref && as(ref, 'ColumnRef') ? model.resolve(as(ref, 'ColumnRef')!) : undefined;
  return r && nullableSide(r.scope, r.item, at) ? 'it comes from the nullable side of an outer join' : 'it is not declared NOT NULL';
}

/**
 * Whether a FROM item is on the nullable side of an outer join of its scope. Inside that join's own ON condition (`at`
 * there) its columns are the row's own, not NULL-extended yet.
 */
function nullableSide(s: Scope, item: FromItem, at?: Node): boolean {
  return s.joins.some((j) => {
    const t = j.node.jointype;
    if (at && contains(j.node.quals, at)) return false;
    return (
      (t === 'JOIN_FULL' && (j.left.includes(item) || j.right.includes(item))) ||
      (t === 'JOIN_LEFT' && j.right.includes(item)) ||
      (t === 'JOIN_RIGHT' && j.left.includes(item))
    );
  });
}

function containsType(root: unknown, type: string): boolean {
  let found = false;
  walk(root, (t) => {
    if (t === type) found = true;
    return found ? false : undefined;
  });
  return found;
}

function contains(root: unknown, node: Node): boolean {
  let found = false;
  walk(root, (_, n) => {
    if (n === node) found = true;
    return found ? false : undefined;
  });
  return found;
}

/**
 * A condition that rejects NULL in the column: `col IS NOT NULL` or a comparison with it, a conjunct of the scope's
 * WHERE or, when the column's item is on no nullable side, of an inner join's ON.
 */
function rejectsNull(model: SemanticModel, s: Scope, col: ResolvedColumn, at?: Node): boolean {
  const where = new Set(conjuncts(s.node.whereClause));
  if (!nullableSide(s, col.item, at))
    for (const j of s.joins) if (j.node.jointype === 'JOIN_INNER') for (const c of conjuncts(j.node.quals as Node)) where.add(c);
  return model.predicates(s).some((p) => {
    if (!p.node || !where.has(p.node) || p.kind === 'or') return false;
    if (p.kind === 'is-null') return p.negated && sameColumn(p.column, col);
    if (p.kind === 'join') return sameColumn(p.left, col) || sameColumn(p.right, col);
    return sameColumn(p.column, col);
  });
}

const sameColumn = (a: ResolvedColumn, b: ResolvedColumn) => a.item === b.item && a.name === b.name;

/**
 * Whether a column reference can be NULL where it is read: NOT NULL in the catalog and not on the nullable side of
 * an outer join, or rejected by a WHERE conjunct of the scope it comes from (every row that reaches the expression,
 * or is kept whatever it yields, has it non-NULL); nullable when the catalog's column is not NOT NULL.
 */
function columnNullability(model: SemanticModel, ref: Node | undefined, at?: Node): { state: Nullability; col?: ResolvedColumn } {
  const r = ref && as(ref, 'ColumnRef') ? model.resolve(as(ref, 'ColumnRef')!) : undefined;
  if (!r) return { state: 'unknown' };
  if (rejectsNull(model, r.scope, r, at)) return { state: 'not-null', col: r };
  // A view's column has no constraint of its own: whether it can be NULL depends on its query.
  const t = r.item.table;
  if (r.item.kind !== 'table' || !r.column || !t || t.columns.size === 0 || (t.kind && t.kind !== 'table')) return { state: 'unknown', col: r };
  if (nullableSide(r.scope, r.item, at)) return { state: 'nullable', col: r };
  if (r.column.notNull) return { state: 'not-null', col: r };
  // A parent's later SET NOT NULL reaches its partitions and children, which the catalog does not follow.
  return { state: t.partitionOf || t.inherits ? 'unknown' : 'nullable', col: r };
}

/** NOT NULL by the catalog alone (not by a WHERE condition), off the nullable side of any outer join. */
function declaredNotNull(model: SemanticModel, ref: Node, at: Node): boolean {
  const r = as(ref, 'ColumnRef') ? model.resolve(as(ref, 'ColumnRef')!) : undefined;
  return !!r && r.item.kind === 'table' && !!r.column?.notNull && !nullableSide(r.scope, r.item, at);
}

/** The subquery's selected column: it must be a column of the subquery's own FROM. */
function innerNullability(model: SemanticModel, inner: Scope, target: Node | undefined): Nullability {
  // GROUPING SETS, ROLLUP and CUBE make a column NULL in the groups that leave it out.
  if (containsType(inner.node.groupClause, 'GroupingSet')) return 'unknown';
  const { state, col } = columnNullability(model, target);
  return col && col.scope !== inner ? 'unknown' : state;
}

interface Site {
  /** What the finding covers: `NOT IN` / `<> ALL`. */
  flag: { start: number; end: number };
  /** From the tested expression through the `(` before the subquery's SELECT: replaced by `NOT EXISTS (`. */
  head: { start: number; end: number } | undefined;
}

/** Where the operator is, and (for the plain `x NOT IN (` / `x <> ALL (` spelling) the part the fix replaces. */
function siteOf(st: Statement, c: Candidate): Site | undefined {
  const code = st.codeTokens();
  const test = st.span(c.sublink.testexpr);
  const sub = st.span(c.sublink.subselect);
  if (!test || !sub) return undefined;
  const t = widenParens(st, test);
  const op1 = nextCodeToken(code, t.end);
  const op2 = op1 && nextCodeToken(code, op1.end);
  const open = op2 && nextCodeToken(code, op2.end);
  const first = c.form === 'not-in' ? op1?.keyword === 'NOT' && op2?.keyword === 'IN' : (op1?.text === '<>' || op1?.text === '!=') && op2?.keyword === 'ALL';
  // The `(` that opens the subquery: before its SELECT [DISTINCT | ALL].
  let kw = prevCodeToken(code, sub.start);
  while (kw && (kw.keyword === 'DISTINCT' || kw.keyword === 'ALL')) kw = prevCodeToken(code, kw.start);
  const paren = kw?.keyword === 'SELECT' ? prevCodeToken(code, kw.start) : undefined;
  if (!op1 || !op2 || !first) {
    // `NOT (x IN (…))`, `NOT x = ANY (…)`: flag from the NOT to the subquery's parenthesis, no fix.
    const whole = st.span(c.node);
    return whole && paren?.text === '(' ? { flag: { start: whole.start, end: paren.end }, head: undefined } : undefined;
  }
  // `x NOT IN ((SELECT …))` keeps no fix: the `(` after the operator must be the subquery's.
  const head = open?.text === '(' && paren && open.start === paren.start ? open : undefined;
  return { flag: { start: op1.start, end: op2.end }, head: head ? { start: t.start, end: head.end } : undefined };
}

const UNFIXABLE_CLAUSES = [
  'groupClause',
  'havingClause',
  'windowClause',
  'sortClause',
  'limitCount',
  'limitOffset',
  'withClause',
  'lockingClause',
  'intoClause',
  'valuesLists',
];

/** The NOT EXISTS rewrite, or undefined when it cannot be written safely. */
function rewrite(
  st: Statement,
  model: SemanticModel,
  site: Site,
  inner: Scope,
  pairs: { outer: Node; inner: Node }[],
): { fix: { title: string; edits: TextEdit[] }; correlation: string } | undefined {
  const sel = inner.node;
  if (!site.head || inner.arms.length > 0 || UNFIXABLE_CLAUSES.some((k) => sel[k] && (!Array.isArray(sel[k]) || sel[k].length > 0))) return undefined;
  const distinct = (sel.distinctClause ?? []) as Node[];
  if (distinct.some((d) => Object.keys(d).length > 0)) return undefined; // DISTINCT ON (…)
  if (!sel.fromClause?.length) return undefined;
  const text = st.file.text;
  const edits: TextEdit[] = [];
  const conditions: string[] = [];
  let alias: { item: FromItem; name: string } | undefined;
  for (const p of pairs) {
    const outerCol = model.resolve(as(p.outer, 'ColumnRef')!)!;
    const qualifier = outerCol.item.name;
    if (!qualifier || outerCol.item.hidden) return undefined;
    // Between the subquery and the outer column's scope, nothing else may answer to the qualifier.
    for (let s: Scope | undefined = inner; s && s !== outerCol.scope; s = s.parent) {
      const clash = s.items.filter((i) => i.name === qualifier || joinAliases(s).has(qualifier));
      if (clash.length === 0) continue;
      if (s !== inner || clash.length > 1 || clash[0].kind !== 'table' || clash[0].aliased || !clash[0].rv) return undefined;
      if (alias && alias.item !== clash[0]) return undefined;
      alias ??= { item: clash[0], name: freshName(st, qualifier) };
    }
    const innerSpan = st.span(p.inner);
    if (!innerSpan) return undefined;
    conditions.push(`${quoteIdent(qualifier)}.${quoteIdent(outerCol.name)} = ${text.slice(innerSpan.start, innerSpan.end)}`);
  }
  let aliasAt: number | undefined;
  if (alias) {
    // A reference qualified by the table's own name would now mean the outer row: leave such subqueries alone.
    if (qualifiedBy(sel, alias.item.name)) return undefined;
    const rvSpan = st.nameSpan(alias.item.rv!.location!);
    if (!rvSpan) return undefined;
    aliasAt = rvSpan.end;
  }
  edits.unshift({ start: site.head!.start, end: site.head!.end, newText: 'NOT EXISTS (' });
  const targets = (sel.targetList as Node[]).map((t) => st.span(t));
  if (targets.some((t) => !t)) return undefined;
  edits.push({ start: targets[0]!.start, end: targets[targets.length - 1]!.end, newText: '1' });
  const correlation = conditions.join(' AND ');
  if (sel.whereClause) {
    const span = st.span(sel.whereClause);
    if (!span) return undefined;
    const outerSpan = widenParens(st, span);
    const bareOr = as(sel.whereClause, 'BoolExpr')?.boolop === 'OR_EXPR' && outerSpan.start === span.start;
    if (bareOr) edits.push({ start: span.start, end: span.start, newText: '(' });
    edits.push({ start: outerSpan.end, end: outerSpan.end, newText: `${bareOr ? ')' : ''} AND ${correlation}` });
  } else {
    const last = st.span((sel.fromClause as Node[])[sel.fromClause.length - 1]);
    if (!last) return undefined;
    // The alias of a last FROM table goes before the new WHERE, in one insertion.
    if (aliasAt === last.end) {
      edits.push({ start: last.end, end: last.end, newText: ` AS ${alias!.name} WHERE ${correlation}` });
      aliasAt = undefined;
    } else edits.push({ start: last.end, end: last.end, newText: ` WHERE ${correlation}` });
  }
  if (aliasAt !== undefined) edits.push({ start: aliasAt, end: aliasAt, newText: ` AS ${alias!.name}` });
  edits.sort((a, b) => a.start - b.start);
  return { fix: { title: `Rewrite as NOT EXISTS (… WHERE ${correlation})`, edits }, correlation };
}

/** The aliases of aliased joins `(a JOIN b) AS j` of a scope: names its items are reached by. */
function joinAliases(s: Scope): Set<string> {
  return new Set(s.joins.map((j) => j.node.alias?.aliasname).filter((n): n is string => !!n));
}

/** True when the query (its nested queries included) holds a column reference qualified by `name`. */
function qualifiedBy(sel: Node, name: string): boolean {
  let found = false;
  walk(sel, (type, n) => {
    if (found) return false;
    if (type !== 'ColumnRef') return undefined;
    const names = columnRefNames(n);
    if (names.length >= 2 && names[names.length - 2] === name) found = true;
    return false;
  });
  return found;
}

/** `name_1`, `name_2`, … : the first that no identifier of the statement uses. */
function freshName(st: Statement, name: string): string {
  const used = new Set(st.codeTokens().map((t) => t.text.toLowerCase()));
  for (let i = 1; ; i++) {
    const candidate = `${name}_${i}`;
    if (!used.has(candidate.toLowerCase()) && !used.has(`"${candidate}"`.toLowerCase())) return quoteIdent(candidate);
  }
}

import { as, columnRefNames, quoteIdent, strings, walk, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { escapeRegExp } from '../regexp';
import type { Rule } from '../rule';
import { cteNames } from './_pgvector';

/** Statements whose queries run now (a view or CREATE TABLE AS defines or copies data on purpose). */
const partitionedNames = new WeakMap<Catalog, Set<string>>();

/** Names (without schema) of the catalog's range-partitioned tables, computed once per catalog. */
function rangePartitionedNames(catalog: Catalog): Set<string> {
  let names = partitionedNames.get(catalog);
  if (!names) {
    names = new Set([...catalog.tables.values()].filter((t) => t.partition?.strategy === 'range').map((t) => t.name));
    partitionedNames.set(catalog, names);
  }
  return names;
}

const nameFilters = new WeakMap<Set<string>, RegExp | null>();
const utf8 = new TextEncoder();

/**
 * A text test that every statement naming one of `names` passes, so that a statement failing it is skipped without
 * walking its tree. A relname is an identifier's text with ASCII letters lowered (or kept, when quoted), cut to
 * 63 bytes: up to ASCII case (which a non-unicode `i` regex compares char by char) it occurs in the text, not
 * preceded by a letter, `_` or non-ASCII char and, unless cut, not followed by an identifier char. Not usable
 * (null) when a name holds a double quote (written doubled inside a quoted identifier); a statement with a `U&`
 * escape always passes.
 */
function nameFilter(names: Set<string>): RegExp | null {
  let re = nameFilters.get(names);
  if (re === undefined) {
    const list = [...names];
    if (list.some((n) => n === '' || n.includes('"'))) re = null;
    else {
      const before = '(?<![A-Za-z_\\u0080-\\uffff])';
      const after = '(?![A-Za-z0-9_$\\u0080-\\uffff])';
      const whole = list.filter((n) => utf8.encode(n).length < 63).map(escapeRegExp);
      const cut = list.filter((n) => utf8.encode(n).length >= 63).map(escapeRegExp);
      const alts = ['u&'];
      if (whole.length > 0) alts.push(`${before}(?:${whole.join('|')})${after}`);
      if (cut.length > 0) alts.push(`${before}(?:${cut.join('|')})`);
      re = new RegExp(alts.join('|'), 'i');
    }
    nameFilters.set(names, re);
  }
  return re;
}

const relnameFilters = new WeakMap<Set<string>, RegExp | null>();

/**
 * A test on the parser's JSON of a statement that names one of `names`: some `"relname":"name"`. Not usable
 * (null) when a name needs escaping in JSON.
 */
function relnameFilter(names: Set<string>): RegExp | null {
  let re = relnameFilters.get(names);
  if (re === undefined) {
    const list = [...names];
    re = list.some((n) => n === '' || /["\\\u0000-\u001f\ud800-\udfff]/.test(n))
      ? null
      : new RegExp(`"relname"\\s*:\\s*"(?:${list.map(escapeRegExp).join('|')})"`);
    relnameFilters.set(names, re);
  }
  return re;
}

const KINDS = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt', 'InsertStmt', 'ExplainStmt', 'DeclareCursorStmt']);
const COMPARISONS = new Set(['=', '<', '<=', '>', '>=']);

/** A FROM item as the query's column references see it. */
interface Source {
  alias: string;
  /** Known column names (undefined when unknown). */
  columns?: Set<string>;
}

interface Query {
  node: Node;
  /** Table references of the query's own FROM (and UPDATE/DELETE target). */
  rvs: Node[];
  sources: Source[];
  quals: Node[];
}

/** Where a subquery's rows go: the query that reads it and the alias it reads it under. */
interface Exposure {
  parent: Query;
  alias: string;
}

function fromItems(items: Node[] | undefined, rvs: Node[], subs: { node: Node; alias: string }[], quals: Node[]): void {
  const visit = (n: Node | undefined): void => {
    if (!n) return;
    const rv = as(n, 'RangeVar');
    if (rv) return void rvs.push(rv);
    const sub = as(n, 'RangeSubselect');
    if (sub) {
      const s = as(sub.subquery, 'SelectStmt');
      if (s && sub.alias?.aliasname) subs.push({ node: s, alias: sub.alias.aliasname });
      return;
    }
    const j = as(n, 'JoinExpr');
    if (j) {
      visit(j.larg);
      visit(j.rarg);
      if (j.quals) quals.push(j.quals);
    }
  };
  for (const n of items ?? []) visit(n);
}

/** Output column names of a SELECT, when they can all be named. */
function outputNames(s: Node): Set<string> | undefined {
  const names = new Set<string>();
  for (const t of s.targetList ?? []) {
    const rt = as(t, 'ResTarget');
    if (!rt) return undefined;
    if (rt.name) {
      names.add(rt.name);
      continue;
    }
    const ref = as(rt.val, 'ColumnRef');
    const f = ref ? columnRefNames(ref) : [];
    const last = f[f.length - 1];
    if (!last || last === '*') return undefined;
    names.add(last);
  }
  return names;
}

/** True when the column reference `names` means `alias.column`. */
function refersTo(names: string[], alias: string, column: string, sources: Source[]): boolean {
  if (names[names.length - 1] !== column) return false;
  if (names.length >= 2) return names[names.length - 2] === alias;
  // Unqualified: it is ours unless another FROM item is known to have a column of that name.
  return !sources.some((s) => s.alias !== alias && s.columns?.has(column));
}

/**
 * True when an expression reads a column of this query's own FROM items (outside subqueries): then it is no
 * constant for the scan, and the planner cannot prune with it. Unqualified names count as local unless every
 * FROM item's columns are known and none has the name (then it is an outer query's column, a parameter there).
 */
function readsLocalColumn(n: Node | undefined, sources: Source[]): boolean {
  let found = false;
  walk(n, (type, node) => {
    if (found || type === 'SubLink') return false;
    if (type !== 'ColumnRef') return;
    const f = columnRefNames(node);
    if (f.length >= 2) found = sources.some((s) => s.alias === f[f.length - 2]);
    else found = sources.some((s) => !s.columns || s.columns.has(f[0]));
    return undefined;
  });
  return found;
}

/** True when `e` restricts `alias.key` to a range the planner can prune with. */
function bounds(e: Node | undefined, alias: string, key: string, sources: Source[]): boolean {
  if (!e) return false;
  const b = as(e, 'BoolExpr');
  if (b) {
    const args = (b.args ?? []) as Node[];
    if (b.boolop === 'AND_EXPR') return args.some((a) => bounds(a, alias, key, sources));
    if (b.boolop === 'OR_EXPR') return args.length > 0 && args.every((a) => bounds(a, alias, key, sources));
    return false;
  }
  const x = as(e, 'A_Expr');
  if (!x) return false;
  const isKey = (n: Node | undefined) => {
    const ref = as(n, 'ColumnRef');
    return !!ref && refersTo(columnRefNames(ref), alias, key, sources);
  };
  const op = strings(x.name).pop() ?? '';
  switch (x.kind) {
    case 'AEXPR_OP':
      if (!COMPARISONS.has(op)) return false;
      if (isKey(x.lexpr)) return !readsLocalColumn(x.rexpr, sources);
      if (isKey(x.rexpr)) return !readsLocalColumn(x.lexpr, sources);
      return false;
    case 'AEXPR_OP_ANY':
      return COMPARISONS.has(op) && isKey(x.lexpr) && !readsLocalColumn(x.rexpr, sources);
    case 'AEXPR_IN':
      return op === '=' && isKey(x.lexpr) && !readsLocalColumn(x.rexpr, sources);
    case 'AEXPR_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
      return isKey(x.lexpr) && !readsLocalColumn(x.rexpr, sources);
    default:
      return false;
  }
}

/** The RangeVar's name tokens: `app.event_log` (the parser locates only its first part). */
function nameRange(st: Statement, rv: Node): { start: number; end: number } | undefined {
  return st.nameSpan(rv.location);
}

export const partitionRangeMissing: Rule = {
  meta: {
    id: 'partition-range-missing',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'Query on a range-partitioned table without a predicate on the partition key: every partition is scanned.',
      why:
        'PostgreSQL skips partitions (partition pruning) only when the query restricts the partition key: `=`, `<`, ' +
        '`<=`, `>`, `>=`, BETWEEN, IN or `= ANY` on the first key column, in the WHERE conjuncts or a JOIN ON (an OR ' +
        'counts only when every branch restricts it). Without one, every partition is scanned: the tuning guide measured ' +
        '500 ms over 12 monthly event_log partitions against 40 ms for one month\'s range, and its rule is "Always include ' +
        'timestamp range in event log queries". A subquery or a CTE used once counts as restricted when the outer query ' +
        'restricts the key column it passes through. Partitions queried directly, list/hash partitioning and INSERT are ' +
        'not checked; tables partitioned outside the workspace can be declared with `partitionedTables` in .pgperf.json.',
      fix: 'Add a range on the partition key, e.g. `WHERE timestamp >= $1 AND timestamp < $2`, or query the partition directly.',
      bad: "SELECT * FROM event_log WHERE event_type = 'agent.state_changed';",
      good:
        "SELECT * FROM event_log\nWHERE timestamp >= '2025-01-01' AND timestamp < '2025-02-01'\n  AND event_type = 'agent.state_changed';",
    },
  },
  check({ statement, catalog, report }) {
    if (!KINDS.has(statement.kind) || !statement.hasAst) return;
    // Cheap exit: no table reference shares a name with a range-partitioned table.
    const partitioned = rangePartitionedNames(catalog);
    if (partitioned.size === 0) return;
    const filter = nameFilter(partitioned);
    if (filter && !filter.test(statement.text)) return;
    const inTree = relnameFilter(partitioned);
    if (inTree && !statement.treeMayMatch(inTree)) return;
    const named = (rv: Node | undefined) => !!rv && partitioned.has(rv.relname);
    const targets = ['UpdateStmt', 'DeleteStmt', 'InsertStmt'].flatMap((k) => statement.nodes(k).map((n) => n.relation));
    if (!named(statement.body.relation) && !targets.some(named) && !statement.nodes('RangeVar').some(named)) return;
    const ast = statement.ast!;
    const ctes = cteNames(ast);

    // Every query of the statement, with its FROM items and qualifiers.
    const queries: Query[] = [];
    const byNode = new Map<Node, Query>();
    const subqueryOf = new Map<Node, Exposure>();
    const pendingSubs: { parent: Query; node: Node; alias: string }[] = [];
    walk(ast, (type, n) => {
      if (type !== 'SelectStmt' && type !== 'UpdateStmt' && type !== 'DeleteStmt') return;
      const rvs: Node[] = [];
      const subs: { node: Node; alias: string }[] = [];
      const quals: Node[] = [];
      if (n.relation) rvs.push(n.relation);
      fromItems(type === 'DeleteStmt' ? n.usingClause : n.fromClause, rvs, subs, quals);
      if (n.whereClause) quals.push(n.whereClause);
      const sources: Source[] = rvs.map((rv) => {
        const t = tableOf(rv, statement, catalog, ctes);
        return { alias: rv.alias?.aliasname ?? rv.relname, columns: t && t.columns.size > 0 ? new Set(t.columns.keys()) : undefined };
      });
      for (const s of subs) sources.push({ alias: s.alias, columns: outputNames(s.node) });
      const q: Query = { node: n, rvs, sources, quals };
      queries.push(q);
      byNode.set(n, q);
      for (const s of subs) pendingSubs.push({ parent: q, ...s });
    });
    for (const s of pendingSubs) subqueryOf.set(s.node, { parent: s.parent, alias: s.alias });
    // A CTE read exactly once and not MATERIALIZED is inlined: outer predicates reach it.
    const cteUses = new Map<string, Exposure[]>();
    for (const q of queries) {
      for (const rv of q.rvs) {
        if (rv.schemaname || !ctes.has(rv.relname)) continue;
        cteUses.set(rv.relname, [...(cteUses.get(rv.relname) ?? []), { parent: q, alias: rv.alias?.aliasname ?? rv.relname }]);
      }
    }
    walk(ast, (type, n) => {
      if (type === 'WithClause' && n.recursive) return false;
      if (type !== 'CommonTableExpr' || n.ctematerialized === 'CTEMaterializeAlways') return;
      const s = as(n.ctequery, 'SelectStmt');
      const uses = cteUses.get(n.ctename) ?? [];
      if (s && uses.length === 1) subqueryOf.set(s, uses[0]);
    });

    const bounded = (q: Query, alias: string, key: string, depth: number): boolean => {
      if (q.quals.some((e) => bounds(e, alias, key, q.sources))) return true;
      const up = subqueryOf.get(q.node);
      const s = q.node;
      if (!up || depth > 16 || s.limitCount || s.limitOffset || (s.op && s.op !== 'SETOP_NONE')) return false;
      const out = passThrough(s, alias, key);
      return out !== undefined && bounded(up.parent, up.alias, out, depth + 1);
    };

    for (const q of queries) {
      for (const rv of q.rvs) {
        if (rv.inh === false) continue;
        const table = tableOf(rv, statement, catalog, ctes);
        const part = table?.partition;
        const key = part?.columns[0];
        if (!table || part?.strategy !== 'range' || !key) continue;
        const alias = rv.alias?.aliasname ?? rv.relname;
        if (bounded(q, alias, key, 0)) continue;
        const range = nameRange(statement, rv);
        if (!range) continue;
        const k = quoteIdent(key);
        report({
          ...range,
          message:
            `${table.schema}.${table.name} is range-partitioned by ${k} (declared in ${part.declaredIn}), but this ` +
            `${q.node === statement.body && statement.kind !== 'SelectStmt' ? statement.kind.replace(/Stmt$/, '').toUpperCase() : 'query'} ` +
            `has no predicate on ${k}: every partition is scanned (the tuning guide: 500 ms over 12 monthly partitions vs ` +
            `40 ms for one). Add a range such as ${k} >= $1 AND ${k} < $2.`,
        });
      }
    }
  },
};

function tableOf(rv: Node, st: Statement, catalog: Catalog, ctes: Set<string>): TableInfo | undefined {
  if (!rv.schemaname && ctes.has(rv.relname)) return undefined;
  return catalog.resolveRangeVar(rv, st);
}

/** The output name under which a SELECT passes `alias.key` through unchanged, if it does. */
function passThrough(s: Node, alias: string, key: string): string | undefined {
  for (const t of s.targetList ?? []) {
    const rt = as(t, 'ResTarget');
    const ref = as(rt?.val, 'ColumnRef');
    if (!rt || !ref) continue;
    const f = columnRefNames(ref);
    if (f[f.length - 1] === '*' && (f.length === 1 || f[f.length - 2] === alias)) return key;
    if (f[f.length - 1] === key && (f.length === 1 || f[f.length - 2] === alias)) return rt.name ?? key;
  }
  return undefined;
}

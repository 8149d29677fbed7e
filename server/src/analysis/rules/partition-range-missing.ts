import { as, columnRefNames, quoteIdent, strings, walk, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import { migrationKey } from '../migration-order';
import { escapeRegExp } from '../regexp';
import { defineRule } from '../rule';
import { semanticModel, type FromItem, type Predicate, type ResolvedColumn, type Scope, type SemanticModel, type ValueReads } from '../semantic';

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
    // A quote, a backslash, a control character or a lone surrogate is escaped in libpg_query's JSON.
    // eslint-disable-next-line no-control-regex
    re = list.some((n) => n === '' || /["\\\u0000-\u001f\ud800-\udfff]/.test(n))
      ? null
      : new RegExp(`"relname"\\s*:\\s*"(?:${list.map(escapeRegExp).join('|')})"`);
    relnameFilters.set(names, re);
  }
  return re;
}

const KINDS = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt', 'InsertStmt', 'ExplainStmt', 'DeclareCursorStmt']);
const PRUNING_OPS = new Set(['=', '<', '<=', '>', '>=']);

export const partitionRangeMissing = defineRule({
  meta: {
    id: 'partition-range-missing',
    category: 'partitioning',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'Query on a range-partitioned table without a predicate on the partition key: every partition is scanned.',
      why:
        'PostgreSQL skips partitions (partition pruning) only when the query restricts the partition key: `=`, `<`, ' +
        '`<=`, `>`, `>=`, BETWEEN, IN, `= ANY` or `IN (SELECT …)` on the first key column, in the WHERE conjuncts or a ' +
        'JOIN ON (an OR counts only when every branch restricts it; a row comparison `(id, key) = (…)` counts per column). ' +
        'Without one, every partition is scanned: the tuning guide measured 500 ms over 12 monthly event_log partitions ' +
        'against 40 ms for one month\'s range, and its rule is "Always include timestamp range in event log queries". ' +
        'Values that do not read the scanned row prune at plan or run time: parameters, correlated columns, and another ' +
        "FROM item's column in a join (run-time pruning of a nested loop), unless that item is itself an unrestricted " +
        'partitioned scan. A subquery or a CTE used once counts as restricted when the outer query restricts the key ' +
        'column it passes through. Not flagged: `ORDER BY key LIMIT n` and `min(key)` / `max(key)` on the table alone ' +
        '(partitions are appended in key order and the scan stops in the first ones), whole-table copies and rewrites in migrations ' +
        '(INSERT … SELECT, UPDATE, DELETE with no condition), partitions queried directly, list/hash partitioning and ' +
        'INSERT targets; a reference the model cannot resolve that may be the key keeps it quiet. Tables partitioned ' +
        'outside the workspace can be declared with `partitionedTables` in .pgperf.json.',
      fix: 'Add a range on the partition key, e.g. `WHERE timestamp >= $1 AND timestamp < $2`, or query the partition directly.',
      bad:
        'CREATE TABLE event_log (id bigint, event_type text, timestamp timestamptz NOT NULL) PARTITION BY RANGE (timestamp);\n' +
        "SELECT * FROM event_log WHERE event_type = 'agent.state_changed';",
      good:
        'CREATE TABLE event_log (id bigint, event_type text, timestamp timestamptz NOT NULL) PARTITION BY RANGE (timestamp);\n' +
        "SELECT * FROM event_log\nWHERE timestamp >= '2025-01-01' AND timestamp < '2025-02-01'\n  AND event_type = 'agent.state_changed';",
    },
    messages: {
      noRange:
        '{{table}} is range-partitioned by {{key}} (declared in {{declaredIn}}), but this {{what}} has no predicate on {{key}}: ' +
        'every partition is scanned (the tuning guide: 500 ms over 12 monthly partitions vs 40 ms for one). ' +
        'Add a range such as {{key}} >= $1 AND {{key}} < $2.',
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
    const model = semanticModel(statement, catalog);
    // A migration: a file that changes the schema, or a versioned migration file of data changes only.
    const backfill = catalog.inHistory(statement.file.path) || migrationKey(statement.file.path).version !== undefined;
    const ctx: Ctx = { model, scopeOfItem: new Map(model.scopes.flatMap((sc) => sc.items.map((i) => [i, sc] as const))) };

    for (const scope of model.scopes) {
      for (const item of scope.items) {
        const rv = item.rv;
        const table = item.kind === 'table' ? item.table : undefined;
        const part = table?.partition;
        const key = part?.columns[0];
        if (!rv || rv.inh === false || !table || part?.strategy !== 'range' || !key) continue;
        if (item.target && scope.kind === 'insert') continue;
        if (restricted(ctx, scope, item, key, new Set())) continue;
        if (stopsEarly(model, scope, item, key)) continue;
        // With no condition at all, the first rows in an indexed column's order (or its min/max) come from the top
        // of each partition's index: a few pages per partition, not a scan.
        if (scope.quals.length === 0 && !scope.node.whereClause && stopsEarly(model, scope, item, indexLeads(table))) continue;
        // A migration that copies or rewrites the whole table (no condition at all) means to read every partition.
        if (backfill && scope.quals.length === 0 && writes(scope)) continue;
        const range = statement.nameSpan((rv as Node).location);
        if (!range) continue;
        report({
          ...range,
          messageId: 'noRange',
          data: {
            table: `${table.schema}.${table.name}`,
            key: quoteIdent(key),
            declaredIn: part.declaredIn,
            what: scope.role === 'statement' && statement.kind !== 'SelectStmt' ? statement.kind.replace(/Stmt$/, '').toUpperCase() : 'query',
          },
        });
      }
    }
  },
});

interface Ctx {
  model: SemanticModel;
  scopeOfItem: Map<FromItem, Scope>;
}

/** True for an UPDATE / DELETE, or a SELECT that is the source of an INSERT. */
function writes(s: Scope): boolean {
  return s.kind === 'update' || s.kind === 'delete' || s.role === 'insert-source';
}

const sameColumn = (c: ResolvedColumn, item: FromItem, key: string) => c.item === item && c.name === key;

/**
 * True when the scope restricts `item.key` so that PostgreSQL can prune partitions: a comparison, BETWEEN, IN or
 * `= ANY` with a value that does not read the scanned row (constants, parameters, correlated columns and sublinks
 * prune at plan or run time; another FROM item's column prunes at run time, unless that item is itself an
 * unrestricted partitioned scan), `IN (SELECT …)`, an OR whose every arm restricts it, or an enclosing query that
 * restricts the column a subquery or single-use CTE passes it through as. A reference the model cannot resolve
 * that could be the key counts as restricting: unknown stays quiet.
 */
function restricted(ctx: Ctx, s: Scope, item: FromItem, key: string, visiting: Set<FromItem>): boolean {
  if (visiting.has(item) || visiting.size > 16) return false;
  visiting.add(item);
  try {
    if (ctx.model.predicates(s).some((p) => restricts(ctx, p, item, key, visiting))) return true;
    if (mayBeKey(ctx.model, s, key)) return true;
    return passedThrough(ctx, s, item, key, visiting);
  } finally {
    visiting.delete(item);
  }
}

function restricts(ctx: Ctx, p: Predicate, item: FromItem, key: string, visiting: Set<FromItem>): boolean {
  switch (p.kind) {
    case 'compare':
    case 'any':
      return sameColumn(p.column, item, key) && PRUNING_OPS.has(p.op) && independent(ctx, p.reads, item, visiting);
    case 'between':
    case 'in-list':
      return sameColumn(p.column, item, key) && independent(ctx, p.reads, item, visiting);
    case 'in-subquery':
      return sameColumn(p.column, item, key);
    case 'join': {
      const other = sameColumn(p.left, item, key) ? p.right : sameColumn(p.right, item, key) ? p.left : undefined;
      return !!other && independent(ctx, { items: new Set([other.item]), unresolved: false }, item, visiting);
    }
    case 'or':
      return p.arms.length > 0 && p.arms.every((arm) => arm.some((q) => restricts(ctx, q, item, key, visiting)));
    default:
      return false;
  }
}

/** A value bounds `item` when it does not read `item`, and no other item it reads is itself an unrestricted partitioned scan. */
function independent(ctx: Ctx, reads: ValueReads, item: FromItem, visiting: Set<FromItem>): boolean {
  if (reads.items.has(item)) return false;
  for (const other of reads.items) {
    const part = other.kind === 'table' ? other.table?.partition : undefined;
    const otherKey = part?.strategy === 'range' ? part.columns[0] : undefined;
    const scope = ctx.scopeOfItem.get(other);
    if (otherKey && scope && !restricted(ctx, scope, other, otherKey, visiting)) return false;
  }
  return true;
}

/** A column reference in the scope's conditions that the model could not resolve and that is named like the key. */
function mayBeKey(model: SemanticModel, s: Scope, key: string): boolean {
  let found = false;
  for (const q of s.quals) {
    walk(q, (type, n) => {
      if (found || type === 'SubLink') return false;
      if (type !== 'ColumnRef') return undefined;
      const names = columnRefNames(n);
      if (names[names.length - 1] === key && !model.resolve(n)) found = true;
      return false;
    });
  }
  return found;
}

/**
 * A subquery in FROM, or a CTE read once and not MATERIALIZED, is inlined: the enclosing query's restriction of
 * the output column that passes `item.key` through unchanged reaches the scan. LIMIT/OFFSET and set operations
 * stop it.
 */
function passedThrough(ctx: Ctx, s: Scope, item: FromItem, key: string, visiting: Set<FromItem>): boolean {
  const n = s.node;
  if (n.limitCount || n.limitOffset || s.arms.length > 0 || s.kind !== 'select') return false;
  let via: FromItem | undefined;
  if (s.role === 'from') via = s.via;
  else if (s.role === 'cte' && s.cte && !s.cte.materialized && !s.cte.recursive && s.cte.uses.length === 1) via = s.cte.uses[0];
  const outer = via && ctx.scopeOfItem.get(via);
  if (!via || !outer) return false;
  const out = outputName(ctx.model, s, item, key);
  return out !== undefined && restricted(ctx, outer, via, out, visiting);
}

/** The output name under which a SELECT passes `item.key` through unchanged, if it does. */
function outputName(model: SemanticModel, s: Scope, item: FromItem, key: string): string | undefined {
  const listed = s.cte ? strings(s.cte.node.aliascolnames) : strings((s.via?.node as Node | undefined)?.alias?.colnames);
  const targets = (s.node.targetList ?? []) as Node[];
  for (let i = 0; i < targets.length; i++) {
    const rt = as(targets[i], 'ResTarget');
    const ref = as(rt?.val, 'ColumnRef');
    if (!rt || !ref) continue;
    const f = columnRefNames(ref);
    if (f[f.length - 1] === '*') {
      if (f.length === 1 || f[f.length - 2] === item.name) return listed.length === 0 ? key : undefined;
      continue;
    }
    const r = model.resolve(ref);
    if (r && r.item === item && r.name === key) return listed[i] ?? rt.name ?? key;
  }
  return undefined;
}

/**
 * Reads that stop in the first partitions, over the table alone: `ORDER BY key [DESC] LIMIT n` — the partitions
 * are appended in key order (an ordered Append, PostgreSQL 12+) and run one after the other, so the LIMIT stops
 * in the first ones it reaches — and `min(key)` / `max(key)` without GROUP BY, which the planner rewrites into
 * that same `ORDER BY key LIMIT 1` (planagg.c).
 */
/** The columns that lead a plain (non-partial, B-tree) index of the table. */
function indexLeads(table: TableInfo): ReadonlySet<string> {
  const out = new Set<string>();
  for (const idx of table.indexes) {
    const first = idx.columns[0]?.column;
    if (first && !idx.partial && idx.method === 'btree') out.add(first);
  }
  return out;
}

function stopsEarly(model: SemanticModel, s: Scope, item: FromItem, key: string | ReadonlySet<string>): boolean {
  const n = s.node;
  if (s.items.length !== 1 || n.groupClause || n.distinctClause || n.havingClause) return false;
  const isKey = (e: Node | undefined) => {
    const ref = as(e, 'ColumnRef');
    const r = ref && model.resolve(ref);
    return !!r && r.item === item && (typeof key === 'string' ? r.name === key : key.has(r.name));
  };
  if (n.limitCount && isKey(as(((n.sortClause ?? []) as Node[])[0], 'SortBy')?.node)) return true;
  const targets = ((n.targetList ?? []) as Node[]).map((t) => as(t, 'ResTarget')?.val as Node | undefined);
  const minmax = (e: Node | undefined) => {
    const f = as(e, 'FuncCall');
    const name = f && strings(f.funcname).pop();
    return !!f && (name === 'min' || name === 'max') && !f.agg_filter && !f.over && (f.args ?? []).length === 1 && isKey(f.args[0]);
  };
  return targets.some(minmax) && targets.every((e) => minmax(e) || !!as(e, 'A_Const'));
}

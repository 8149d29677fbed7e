import { as, columnRefNames, numberOf, strings, walk, type Node } from '../ast';
import { defineRule } from '../rule';
import { semanticModel, type FromItem, type Scope, type SemanticModel } from '../semantic';

export const orderByRandom = defineRule({
  meta: {
    id: 'order-by-random',
    category: 'query',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: '`ORDER BY random()` over a table, to pick random rows.',
      why:
        'No index yields rows in random order, so PostgreSQL reads every row that passes the WHERE clause, computes ' +
        'random() for each and sorts them all (a top-N heapsort under LIMIT, still over every row) on every call: ' +
        '`ORDER BY random() LIMIT 1` on a million-row table reads the million rows to return one (measured on PostgreSQL 15: ' +
        'Seq Scan of 1,000,000 rows and a top-N heapsort, 672 ms; `TABLESAMPLE SYSTEM_ROWS (1)` 0.03 ms; a random key read ' +
        'through the primary key 0.1 ms). Its cost grows with the ' +
        'table, not with the sample. Shuffling rows that are not a table (VALUES, generate_series, unnest of a parameter) ' +
        'or a subquery that is cut to a LIMIT first is left alone, and so is a query whose WHERE pins a unique key ' +
        "(one row to sort) and random() after another sort key (it breaks ties; an index can still give the first key's order).",
      fix:
        'Sample instead of sorting: `FROM t TABLESAMPLE SYSTEM (1)` reads about 1 % of the pages (whole pages, so the rows ' +
        'are clustered), `TABLESAMPLE BERNOULLI (1)` about 1 % of the rows (it still reads every page), and the ' +
        "tsm_system_rows extension's `TABLESAMPLE SYSTEM_ROWS (n)` stops after n rows. For one random row of a table " +
        'with dense integer keys, pick a random key and read from there through the index: ' +
        '`WHERE id >= (SELECT floor(random() * max(id))::bigint FROM t) ORDER BY id LIMIT 1`, or keep a random column ' +
        'with a B-tree index and read `WHERE rnd >= random() ORDER BY rnd LIMIT n`. These change which rows can come out ' +
        '(and how evenly), so there is no quick fix.',
      bad: 'CREATE TABLE quotes (id bigint PRIMARY KEY, body text);\nSELECT body FROM quotes ORDER BY random() LIMIT 1;',
      good: 'CREATE TABLE quotes (id bigint PRIMARY KEY, body text);\nSELECT body FROM quotes TABLESAMPLE SYSTEM_ROWS (1);',
    },
    messages: {
      sort:
        '{{key}} sorts every row of {{tables}} that passes the WHERE clause on every call (no index gives a random order): the cost ' +
        'grows with the table, not with the rows returned. Sample instead: TABLESAMPLE SYSTEM (percent) or SYSTEM_ROWS (n) ' +
        '(tsm_system_rows), or a random key read through an index (WHERE id >= random start ORDER BY id LIMIT n).',
    },
  },
  check({ statement, catalog, report }) {
    if (!/random\s*\(/i.test(statement.text)) return; // cheap text filter before the tree walk
    if (!statement.treeMayInclude('"sortClause"')) return;
    const model = semanticModel(statement, catalog);
    for (const scope of model.scopes) {
      const sel = scope.node;
      if (scope.kind !== 'select' || !sel.sortClause) continue;
      // DISTINCT (ON) sorts or hashes every row whatever the ORDER BY says: dropping random() would not spare it
      // (`SELECT DISTINCT ON (1) floor(random()) AS r, f1 FROM t ORDER BY 1, 2`, a regression test's).
      if (sel.distinctClause) continue;
      // Only a random first key shuffles the rows: after another key (`ORDER BY category, random()`) it breaks ties, and an
      // index on the first key can still give the order (an incremental sort).
      for (const sb of (sel.sortClause as Node[]).slice(0, 1)) {
        const key = as(sb, 'SortBy')?.node;
        if (!key || !callsRandom(sortExpr(sel, key))) continue;
        const tables = readTables(scope, model);
        if (tables.length === 0) continue;
        const span = statement.span(key);
        if (!span) continue;
        report({
          ...span,
          messageId: 'sort',
          data: { key: `ORDER BY ${statement.file.text.slice(span.start, span.end)}`, tables: tables.join(', ') },
        });
      }
    }
  },
});

/** The expression a sort key stands for: a select-list alias or position names its target's expression. */
function sortExpr(sel: Node, key: Node): Node {
  const targets = ((sel.targetList ?? []) as Node[]).map((t) => as(t, 'ResTarget')).filter((t): t is Node => !!t);
  const pos = as(key, 'A_Const') ? numberOf(key) : undefined;
  if (pos !== undefined) return (targets[pos - 1]?.val as Node | undefined) ?? key;
  const ref = as(key, 'ColumnRef');
  const names = ref ? columnRefNames(ref) : [];
  if (names.length === 1) return (targets.find((t) => t.name === names[0])?.val as Node | undefined) ?? key;
  return key;
}

/** True when the expression calls random() per row (a scalar subquery runs once: not per row). */
function callsRandom(e: Node): boolean {
  let found = false;
  walk(e, (type, n) => {
    if (found || type === 'SubLink') return false;
    if (type !== 'FuncCall') return undefined;
    const name = strings(n.funcname);
    if (name[name.length - 1] === 'random' && (name.length === 1 || name[0] === 'pg_catalog')) found = true;
    return undefined;
  });
  return found;
}

/**
 * The tables whose rows the scope sorts, by name: its table items, and those of FROM subqueries and CTEs that
 * are not cut to a LIMIT first. Empty when the rows come from VALUES or functions only, or when the WHERE clause
 * pins a unique key of the only table (one row).
 */
function readTables(s: Scope, model: SemanticModel, seen = new Set<Scope>()): string[] {
  if (seen.has(s)) return [];
  seen.add(s);
  if (s.arms.length > 0) return s.arms.flatMap((a) => readTables(a, model, seen));
  const tables = s.items.filter((i) => i.kind === 'table');
  if (tables.length === 1 && s.items.length === 1 && pinsUniqueKey(s, tables[0], model)) return [];
  return s.items.flatMap((i) => {
    if (i.kind === 'table') return [i.rv?.relname ?? i.name];
    const body = i.body ?? i.cte?.body;
    if (!body || body.node.limitCount) return [];
    return readTables(body, model, seen);
  });
}

/** True when the WHERE clause compares every column of a (non-partial) unique key of the item with `=` to a value. */
function pinsUniqueKey(s: Scope, item: FromItem, model: SemanticModel): boolean {
  const pinned = new Set(
    model
      .predicates(s)
      .filter((p) => p.kind === 'compare' && p.op === '=' && p.column.item === item && p.reads.items.size === 0)
      .map((p) => (p.kind === 'compare' ? p.column.name : '')),
  );
  return !!item.table?.uniques.some((u) => !u.node.whereClause && u.columns.length > 0 && u.columns.every((c) => pinned.has(c)));
}

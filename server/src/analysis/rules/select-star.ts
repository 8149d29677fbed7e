import { as, quoteIdent, strings, type Node } from '../ast';
import type { Statement } from '../parse';
import type { Catalog, TableInfo } from '../catalog';
import { defineRule } from '../rule';
import { semanticModel, type FromItem, type Scope } from '../semantic';

/** Column types that make a `*` expensive to ship: TOASTed documents, blobs and embeddings. */
const WIDE_TYPES = new Set(['jsonb', 'json', 'bytea', 'xml', 'vector', 'halfvec', 'sparsevec', 'tsvector']);

export const selectStar = defineRule({
  meta: {
    id: 'select-star',
    category: 'query',
    severity: 'info',
    fixable: true,
    // Whether a star returns columns nobody reads is decided by the calling code, not the SQL: on 14 public
    // applications 22 of 27 findings were whole-row reads that need every column (test/fixtures/corpus-labels).
    optIn: true,
    docs: {
      summary: '`SELECT *` (or `t.*`) in the outer query.',
      why:
        'A star reads, detoasts and sends every column, including large ones the caller never looks at. The ' +
        "tuning guide's `SELECT * FROM artifacts` ships the JSONB `metadata` column with every row, while " +
        'listing the needed columns "returns only needed columns (5-10x faster)" and can be answered by an ' +
        'index-only scan from a covering index. A star also changes meaning silently when a column is added.',
      fix:
        "List the columns you need. The quick fix expands the star to the table's columns in declaration " +
        'order (from the workspace DDL, qualified with the alias when the FROM has one or for `t.*`) so you can ' +
        'delete the ones you do not need; it is offered only when every table behind the star is known (a table ' +
        "created with INHERITS lists its parents' columns first, and gets no expansion when a parent is not in the " +
        'workspace or was altered after the child was created). ' +
        'Not flagged: `count(*)`, `EXISTS (SELECT * …)`, stars in subqueries and CTE bodies, a star over CTEs, ' +
        'subqueries, function scans or VALUES that list their own columns (the choice was made there; a CTE or ' +
        'subquery that is itself `SELECT *` still counts as its table), and ' +
        '`INSERT … SELECT *`, `CREATE TABLE/VIEW … AS SELECT *`, `SELECT * INTO`, queries in function and DO ' +
        'bodies (PL/pgSQL `SELECT * INTO rec`, `FOR rec IN SELECT *`, results shaped by the declared return type) ' +
        'and EXPLAIN, which copy, keep or ' +
        'inspect rows rather than return them to a client. ' +
        'Off by default: whether the caller needs every column is decided by the code that reads the rows, ' +
        'which pgperf does not see (most stars in application queries fill a whole-row model); turn it on for ' +
        'a codebase where stars are the exception.',
      bad: "SELECT * FROM artifacts WHERE tenant_id = 'tenant-123';",
      good: "SELECT artifact_id, name, artifact_type, size_bytes FROM artifacts WHERE tenant_id = 'tenant-123';",
    },
    messages: {
      star:
        '{{select}} reads and returns every column{{wide}}: list only the columns the caller needs ' +
        '(5-10x faster in the tuning guide, and index-only scans become possible).',
    },
  },
  check({ statement, catalog, report }) {
    if (statement.kind !== 'SelectStmt' || !statement.text.includes('*')) return;
    // count(*) has no A_Star node: only a tree with one can have a star target.
    if (!statement.treeMayInclude('"A_Star"') || statement.body.intoClause) return;
    // A query in a routine body fills a variable or loop record (PL/pgSQL INTO, FOR … IN), or returns rows that
    // must match the routine's declared result type: the caller chooses columns from the function.
    if (statement.container) return;
    const model = semanticModel(statement, catalog);
    const root = model.roots.find((s) => s.node === statement.body);
    if (!root) return;
    for (const arm of arms(root)) {
      for (const target of (arm.node.targetList ?? []) as Node[]) {
        const ref = as(as(target, 'ResTarget')?.val, 'ColumnRef');
        if (!ref) continue;
        const fields = (ref.fields ?? []) as Node[];
        if (fields.length === 0 || !as(fields[fields.length - 1], 'A_Star')) continue;
        const range = starRange(statement, ref.location, fields.length);
        if (!range) continue;
        const qualifier = strings(fields.slice(0, -1));
        const covered = qualifier.length === 0 ? arm.items : arm.items.filter((i) => !i.hidden && i.name === qualifier[qualifier.length - 1]);
        // Over CTEs, subqueries, functions and VALUES that list their own columns, `*` returns what was chosen there.
        if (covered.length === 0 || covered.every(listsColumns)) continue;
        const fix = covered.every((i) => !i.table || inheritedColumnsHold(catalog, statement, i.table))
          ? expansion(arm, covered, qualifier.length > 0)
          : undefined;
        const starText = statement.file.text.slice(range.start, range.end);
        const wide = covered
          .filter((i) => !listsColumns(i))
          .flatMap((i) => (i.columns ?? []).filter((c) => c.column && WIDE_TYPES.has(c.column.type)).map((c) => `${c.name} (${c.column!.type})`));
        report({
          start: range.start,
          end: range.end,
          messageId: 'star',
          data: { select: starText === '*' ? 'SELECT *' : `SELECT ${starText}`, wide: wide.length > 0 ? `, including ${wide.join(', ')}` : '' },
          fix: fix ? { title: 'Expand * to the column list', edits: [{ start: range.start, end: range.end, newText: fix }] } : undefined,
        });
      }
    }
  },
});

/** The SELECTs whose rows the statement returns: the statement, or each arm of a UNION/INTERSECT/EXCEPT. */
function arms(s: Scope): Scope[] {
  return s.arms.length > 0 ? s.arms.flatMap(arms) : [s];
}

/**
 * A FROM item whose columns its own query chose: a CTE or subquery whose body lists its targets (no star, in
 * every set-operation arm), a function scan or VALUES. A table, or a body that is itself `SELECT *`, does not.
 */
function listsColumns(item: FromItem): boolean {
  if (item.kind === 'function' || item.kind === 'values') return true;
  const body = item.kind === 'cte' ? item.cte?.body : item.kind === 'subquery' ? item.body : undefined;
  if (!body) return false;
  return arms(body).every((a) => a.kind !== 'select' || !((a.node.targetList ?? []) as Node[]).some(isStar));
}

function isStar(target: Node): boolean {
  const ref = as(as(target, 'ResTarget')?.val, 'ColumnRef');
  const fields = (ref?.fields ?? []) as Node[];
  return fields.length > 0 && !!as(fields[fields.length - 1], 'A_Star');
}

/** `a, b, c` / `u.a, u.b` for the items behind one star, or undefined when one's columns or name are unknown. */
function expansion(scope: Scope, covered: FromItem[], qualified: boolean): string | undefined {
  if (covered.some((i) => !i.columns || i.columns.length === 0 || !i.name || i.hidden)) return undefined;
  // USING / NATURAL merge the join columns: `*` is no longer the concatenation of both sides.
  if (!qualified && scope.joins.some((j) => j.using.length > 0 || j.node.alias)) return undefined;
  const refs = covered.map((i) => i.name);
  if (new Set(refs).size !== refs.length) return undefined;
  const qualify = qualified || scope.items.length > 1 || covered.some((i) => i.aliased);
  return covered.flatMap((i) => i.columns!.map((c) => (qualify ? `${quoteIdent(i.name)}.${quoteIdent(c.name)}` : quoteIdent(c.name)))).join(', ');
}

/** `*` or `t.*` / `s.t.*`: from the ColumnRef's first token to its star. */
function starRange(st: Statement, location: number, fields: number): { start: number; end: number } | undefined {
  const span = st.nameSpan(location);
  return span && st.file.text[span.end - 1] === '*' && fields >= 1 ? span : undefined;
}

/**
 * For a table created with INHERITS: true when every parent is known and has the columns it had at the CREATE
 * (an ALTER of a parent adds or drops the column in the child too, which the catalog does not follow), its own
 * parents likewise. A table without INHERITS holds trivially.
 */
function inheritedColumnsHold(catalog: Catalog, from: Statement, t: TableInfo, depth = 0): boolean {
  if (!t.inherits) return true;
  if (depth > 8) return false;
  return t.inherits.every((q) => {
    const p = q.columns && catalog.resolve(q.schema, q.name, from);
    if (!p || !inheritedColumnsHold(catalog, from, p, depth + 1)) return false;
    const now = [...p.columns.keys()];
    return now.length === q.columns!.length && now.every((c, i) => c === q.columns![i]);
  });
}

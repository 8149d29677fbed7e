import { as, quoteIdent, strings, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import type { Rule } from '../rule';

/** Column types that make a `*` expensive to ship: TOASTed documents, blobs and embeddings. */
const WIDE_TYPES = new Set(['jsonb', 'json', 'bytea', 'xml', 'vector', 'halfvec', 'sparsevec', 'tsvector']);

interface Source {
  /** How the query names it: alias, else relation name. */
  ref: string;
  aliased: boolean;
  table?: TableInfo;
}

export const selectStar: Rule = {
  meta: {
    id: 'select-star',
    severity: 'info',
    fixable: true,
    docs: {
      summary: '`SELECT *` (or `t.*`) in the outer query.',
      why:
        'A star reads, detoasts and sends every column, including large ones the caller never looks at. The ' +
        'tuning guide\'s `SELECT * FROM artifacts` ships the JSONB `metadata` column with every row, while ' +
        'listing the needed columns "returns only needed columns (5-10x faster)" and can be answered by an ' +
        'index-only scan from a covering index. A star also changes meaning silently when a column is added.',
      fix:
        'List the columns you need. The quick fix expands the star to the table\'s columns in declaration ' +
        'order (from the workspace DDL, qualified with the alias when the FROM has one or for `t.*`) so you can ' +
        'delete the ones you do not need; it is offered only when every table behind the star is known. ' +
        'Not flagged: `count(*)`, `EXISTS (SELECT * …)`, stars in subqueries and CTE bodies, and ' +
        '`INSERT … SELECT *`, `CREATE TABLE/VIEW … AS SELECT *`, `SELECT * INTO` and EXPLAIN, which copy or ' +
        'inspect rows rather than return them to a client.',
      bad: "SELECT * FROM artifacts WHERE tenant_id = 'tenant-123';",
      good: "SELECT artifact_id, name, artifact_type, size_bytes FROM artifacts WHERE tenant_id = 'tenant-123';",
    },
  },
  check({ statement, catalog, report }) {
    if (statement.kind !== 'SelectStmt' || !statement.text.includes('*')) return;
    // count(*) has no A_Star node: only a tree with one can have a star target.
    if (!statement.treeMayInclude('"A_Star"') || statement.body.intoClause) return;
    const ctes = new Set<string>(
      ((statement.body.withClause?.ctes ?? []) as Node[]).map((c) => as(c, 'CommonTableExpr')?.ctename as string),
    );
    for (const arm of arms(statement.body)) {
      const sources = fromSources(catalog, statement, arm.fromClause, ctes);
      for (const target of (arm.targetList ?? []) as Node[]) {
        const ref = as(as(target, 'ResTarget')?.val, 'ColumnRef');
        if (!ref) continue;
        const fields = (ref.fields ?? []) as Node[];
        if (fields.length === 0 || !as(fields[fields.length - 1], 'A_Star')) continue;
        const range = starRange(statement, ref.location, fields.length);
        if (!range) continue;
        const qualifier = strings(fields.slice(0, -1));
        const covered = qualifier.length === 0 ? sources : sources?.filter((s) => s.ref === qualifier[qualifier.length - 1]);
        const fix = expansion(covered, qualifier.length > 0, sources?.length ?? 0);
        const starText = statement.file.text.slice(range.start, range.end);
        const wide = (covered ?? [])
          .flatMap((s) => [...(s.table?.columns.values() ?? [])].filter((c) => WIDE_TYPES.has(c.type)).map((c) => `${c.name} (${c.type})`));
        report({
          start: range.start,
          end: range.end,
          message:
            `${starText === '*' ? 'SELECT *' : `SELECT ${starText}`} reads and returns every column` +
            (wide.length > 0 ? `, including ${wide.join(', ')}` : '') +
            ': list only the columns the caller needs (5-10x faster in the tuning guide, and index-only scans become possible).',
          fix: fix ? { title: 'Expand * to the column list', edits: [{ start: range.start, end: range.end, newText: fix }] } : undefined,
        });
      }
    }
  },
};

/** The SELECTs whose rows the statement returns: the statement, or each arm of a UNION/INTERSECT/EXCEPT. */
function arms(sel: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [sel];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (s.op && s.op !== 'SETOP_NONE') {
      // larg/rarg hold the SelectStmt fields directly (no wrapper).
      const r = as(s.rarg, 'SelectStmt') ?? s.rarg;
      const l = as(s.larg, 'SelectStmt') ?? s.larg;
      if (r) stack.push(r);
      if (l) stack.push(l);
    } else out.push(s);
  }
  return out;
}

/** The FROM items in order; undefined entries' tables mean "not a known table" (subquery, function, CTE, USING join). */
function fromSources(catalog: Catalog, st: Statement, items: Node[] | undefined, ctes: Set<string>): Source[] | undefined {
  const out: Source[] = [];
  const stack: Node[] = [...(items ?? [])].reverse();
  while (stack.length > 0) {
    const item = stack.pop()!;
    const rv = as(item, 'RangeVar');
    const join = as(item, 'JoinExpr');
    if (rv) {
      const isCte = !rv.schemaname && ctes.has(rv.relname);
      const table = isCte ? undefined : catalog.resolveRangeVar(rv, st);
      out.push({ ref: rv.alias?.aliasname ?? rv.relname, aliased: !!rv.alias, table: table && table.columns.size > 0 ? table : undefined });
    } else if (join) {
      // USING and NATURAL merge the join columns: `*` is no longer the concatenation of both sides.
      if (join.usingClause?.length || join.isNatural || join.join_using_alias || join.alias) {
        out.push({ ref: join.alias?.aliasname ?? '', aliased: true });
        continue;
      }
      stack.push(join.rarg, join.larg);
    } else {
      const alias = (Object.values(item)[0] as Node | undefined)?.alias?.aliasname;
      out.push({ ref: alias ?? '', aliased: true });
    }
  }
  return out;
}

/** `a, b, c` / `u.a, u.b` for the sources behind one star, or undefined when one is unknown. */
function expansion(sources: Source[] | undefined, qualified: boolean, fromCount: number): string | undefined {
  if (!sources || sources.length === 0) return undefined;
  if (sources.some((s) => !s.table || !s.ref)) return undefined;
  const refs = sources.map((s) => s.ref);
  if (new Set(refs).size !== refs.length) return undefined;
  const qualify = qualified || fromCount > 1 || sources.some((s) => s.aliased);
  return sources
    .flatMap((s) => [...s.table!.columns.keys()].map((c) => (qualify ? `${quoteIdent(s.ref)}.${quoteIdent(c)}` : quoteIdent(c))))
    .join(', ');
}

/** `*` or `t.*` / `s.t.*`: from the ColumnRef's first token to its star. */
function starRange(st: Statement, location: number, fields: number): { start: number; end: number } | undefined {
  const span = st.nameSpan(location);
  return span && st.file.text[span.end - 1] === '*' && fields >= 1 ? span : undefined;
}

import { as, operatorOf, type Node } from '../ast';
import type { Catalog, IndexInfo, TableInfo } from '../catalog';
import { defineRule } from '../rule';
import { conjuncts, readsOf, semanticModel } from '../semantic';
import { indexFamily, pinnedToOneRow } from './_indexes';
import { exprSpan } from './_query-rules';

/** GIN operator classes of arrays that serve `@>`: the default array_ops, and intarray's gin__int_ops. */
const ARRAY_OPCLASSES = new Set([undefined, 'array_ops', 'gin__int_ops']);

/** A full GIN index of the table with the column as one of its (plain) elements, under an array opclass. */
function ginIndexOn(catalog: Catalog, t: TableInfo, column: string): IndexInfo | undefined {
  const indexes = indexFamily(catalog, t).flatMap((x) => x.indexes);
  return indexes.find((i) => i.method === 'gin' && !i.partial && i.columns.some((c) => c.column === column && ARRAY_OPCLASSES.has(c.opclass)));
}

export const arrayAnyGin = defineRule({
  meta: {
    id: 'array-any-gin',
    category: 'indexing',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: '`value = ANY(array_column)` where a GIN index on the array column exists: the index serves `@>`, not `= ANY`.',
      why:
        'A GIN index on an array column indexes its elements for the array operators `@>`, `<@`, `&&` and `=`. ' +
        '`$1 = ANY(tags)` is a scalar comparison repeated over each row’s elements: no index operator class ' +
        'matches it, so the planner reads every row and unnests its array, and the GIN index built for this ' +
        'lookup sits unused. `tags @> ARRAY[$1]` asks the same question with an operator the index serves (a ' +
        'bitmap scan over the rows that hold the element). The rule fires only on a top-level condition of a ' +
        'WHERE / JOIN ON (where both forms keep the same rows: both are NULL or false for a NULL value, a NULL ' +
        'array or a NULL element that does not match), on a column the workspace declares as an array with a full ' +
        'GIN index under array_ops (or intarray’s gin__int_ops), when the value reads no column of the same query and ' +
        'the other conditions do not pin a primary or unique key (`id = $1`: one row is left to test).',
      fix:
        'Write `array_column @> ARRAY[value]`. The quick fix does, with the element type cast the column ' +
        'declares (`ARRAY[$1]::text[]`, `ARRAY[$1]::int4[]`): an untyped parameter or literal in ARRAY[…] would ' +
        'otherwise be text, which does not compare with an integer or uuid array. No fix when the element type is ' +
        'not known.',
      bad: "CREATE TABLE posts (id bigint PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}');\nCREATE INDEX posts_tags ON posts USING gin (tags);\nSELECT id FROM posts WHERE $1 = ANY(tags);",
      good:
        "CREATE TABLE posts (id bigint PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}');\nCREATE INDEX posts_tags ON posts USING gin (tags);\n" +
        'SELECT id FROM posts WHERE tags @> ARRAY[$1]::text[];',
    },
    messages: {
      anyOnGin:
        '{{expr}} cannot use the GIN index {{index}} on {{column}}: the index serves array operators, and = ANY is a scalar comparison per ' +
        'element, so every row is read. Write {{rewrite}}.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'SelectStmt' && st.kind !== 'UpdateStmt' && st.kind !== 'DeleteStmt' && st.kind !== 'InsertStmt') return;
    if (!st.treeMayInclude('"AEXPR_OP_ANY"')) return;
    const model = semanticModel(st, catalog);
    for (const s of model.scopes) {
      if (s.kind === 'policy') continue;
      for (const c of s.quals.filter((q) => q !== s.node.havingClause).flatMap(conjuncts)) {
        const x = as(c, 'A_Expr');
        if (x?.kind !== 'AEXPR_OP_ANY' || operatorOf(x) !== '=' || (x.name ?? []).length !== 1) continue;
        const ref = as(x.rexpr, 'ColumnRef');
        if (!ref || as(x.lexpr, 'A_ArrayExpr')) continue;
        const col = model.resolve(ref);
        const reads = readsOf(s, x.lexpr, model);
        if (!col || col.outer || col.scope !== s || !col.column?.array || reads.unresolved || reads.items.size > 0) continue;
        const table = col.item.kind === 'table' ? col.item.table : undefined;
        if (!table || table.ambiguous || pinnedToOneRow(model, s, col.item)) continue;
        const index = ginIndexOn(catalog, table, col.name);
        if (!index) continue;
        const whole = exprSpan(st, c);
        const value = exprSpan(st, x.lexpr as Node);
        const column = exprSpan(st, x.rexpr as Node);
        if (!whole || !value || !column) continue;
        const text = (span: { start: number; end: number }) => st.file.text.slice(span.start, span.end);
        const element = col.column.typeName;
        const rewrite = `${text(column)} @> ARRAY[${text(value)}]${element ? `::${element}[]` : ''}`;
        report({
          ...whole,
          messageId: 'anyOnGin',
          data: { expr: text(whole), index: index.name ?? `on ${table.name} (${col.name})`, column: col.name, rewrite },
          fix: element ? { title: `Compare with ${text(column)} @> ARRAY[…]`, edits: [{ ...whole, newText: rewrite }] } : undefined,
        });
      }
    }
  },
});

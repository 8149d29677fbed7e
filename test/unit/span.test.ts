/**
 * Statement.span on the expressions the offset-pagination, or-chain and select-star fixes depend on, and the
 * parser-checked spans those rules compute on top of it (exprSpan): both must end where the node ends.
 */
import { describe, expect, it } from 'vitest';
import { as, walk, type Node } from '../../server/src/analysis/ast';
import { parseFile } from '../../server/src/analysis/parse';
import { exprSpan } from '../../server/src/analysis/rules/_query-rules';

/** The first node of `type` in the statement's WHERE clause (pre-order), with the statement. */
function whereNode(sql: string, type: string) {
  const st = parseFile('x.sql', sql).statements[0];
  let found: Node | undefined;
  walk(st.body.whereClause, (t, node) => {
    if (!found && t === type) found = { [t]: node };
    return !found;
  });
  expect(found, `${type} in ${sql}`).toBeDefined();
  return { st, node: found! };
}

const text = (sql: string, s: { start: number; end: number } | undefined) => (s ? sql.slice(s.start, s.end) : undefined);

describe('Statement.span', () => {
  it('covers a parenthesised OR inside AND, without the parentheses', () => {
    const sql = 'SELECT 1 FROM t WHERE x > 0 AND (a = 1 OR a = $2)';
    const { st, node } = whereNode(sql, 'BoolExpr');
    expect(as(node, 'BoolExpr')!.boolop).toBe('AND_EXPR');
    const or = as(node, 'BoolExpr')!.args[1];
    expect(text(sql, st.span(or))).toBe('a = 1 OR a = $2');
  });

  it('widens to balance the parentheses of OR arms', () => {
    const sql = 'SELECT 1 FROM t WHERE (a = 1) OR (a = 2)';
    const { st, node } = whereNode(sql, 'BoolExpr');
    expect(text(sql, st.span(node))).toBe('(a = 1) OR (a = 2)');
  });

  it('covers a function call with arguments and a cast', () => {
    const sql = "SELECT 1 FROM t WHERE a = lower($1) OR a = '5'::int8";
    const call = whereNode(sql, 'FuncCall');
    expect(text(sql, call.st.span(call.node))).toBe('lower($1)');
    const cast = whereNode(sql, 'TypeCast');
    expect(text(sql, cast.st.span(cast.node))).toBe("'5'::int8");
    const fn = whereNode('SELECT 1 FROM t WHERE a = CAST($1 AS int4)', 'TypeCast');
    expect(text('SELECT 1 FROM t WHERE a = CAST($1 AS int4)', fn.st.span(fn.node))).toBe('CAST($1 AS int4)');
  });

  it('ends where the node ends, though PostgreSQL records only where it starts', () => {
    const cases: Array<[string, string, string]> = [
      ['SELECT 1 FROM t WHERE t.a = 1', 'ColumnRef', 't.a'],
      ['SELECT 1 FROM t WHERE s.t.a = 1', 'ColumnRef', 's.t.a'],
      ['SELECT 1 FROM t WHERE b IS NULL', 'NullTest', 'b IS NULL'],
      ['SELECT 1 FROM t WHERE b IS NOT NULL', 'NullTest', 'b IS NOT NULL'],
      ['SELECT 1 FROM t WHERE f IS NOT TRUE', 'BooleanTest', 'f IS NOT TRUE'],
      ['SELECT 1 FROM t WHERE a = now()', 'FuncCall', 'now()'],
      ['SELECT 1 FROM t WHERE a = pg_catalog.now()', 'FuncCall', 'pg_catalog.now()'],
      ["SELECT 1 FROM t WHERE a = 'x'::character varying", 'TypeCast', "'x'::character varying"],
      ["SELECT 1 FROM t WHERE a = 'x'::timestamp with time zone", 'TypeCast', "'x'::timestamp with time zone"],
      ["SELECT 1 FROM t WHERE a = 'x'::numeric(10, 2)", 'TypeCast', "'x'::numeric(10, 2)"],
      ["SELECT 1 FROM t WHERE a = '{1}'::int[]", 'TypeCast', "'{1}'::int[]"],
      ['SELECT 1 FROM t WHERE a = CASE WHEN b THEN 1 END', 'CaseExpr', 'CASE WHEN b THEN 1 END'],
      ['SELECT 1 FROM t WHERE a = CASE WHEN b THEN CASE c WHEN 1 THEN 2 END END', 'CaseExpr', 'CASE WHEN b THEN CASE c WHEN 1 THEN 2 END END'],
      ['SELECT 1 FROM t WHERE a = -1', 'A_Const', '-1'],
      ['SELECT 1 FROM t WHERE a = b COLLATE "C"', 'CollateClause', 'b COLLATE "C"'],
    ];
    for (const [sql, type, exact] of cases) {
      const { st, node } = whereNode(sql, type);
      expect(text(sql, st.span(node)), sql).toBe(exact);
      expect(text(sql, exprSpan(st, node)), sql).toBe(exact);
    }
  });

  it('covers qualified table names and options whose values carry no location', () => {
    const sql = 'SELECT 1 FROM app.event_log e JOIN "Odd"."T" o ON true';
    const st = parseFile('x.sql', sql).statements[0];
    const rvs: Node[] = [];
    walk(st.ast, (t, n) => {
      if (t === 'RangeVar') rvs.push({ RangeVar: n });
    });
    expect(rvs.map((r) => text(sql, st.span(r)))).toEqual(['app.event_log', '"Odd"."T"']);
    const idx = 'CREATE INDEX i ON t USING hnsw (e vector_l2_ops) WITH (m = 16, ef_construction = 64)';
    const ist = parseFile('x.sql', idx).statements[0];
    expect(ist.body.options.map((o: Node) => text(idx, ist.span(o)))).toEqual(['m = 16', 'ef_construction = 64']);
  });

  it('does not run into what follows the node', () => {
    const sql = 'INSERT INTO t (a, b) SELECT x::int FROM u WHERE y = 1 ORDER BY z';
    const st = parseFile('x.sql', sql).statements[0];
    expect(text(sql, st.span({ RangeVar: st.body.relation }))).toBe('t');
    const target = as(st.body.selectStmt, 'SelectStmt')!.targetList[0];
    expect(text(sql, st.span(as(target, 'ResTarget')!.val))).toBe('x::int');
  });

  it('exprSpan agrees with span where span is exact', () => {
    const sql = "SELECT 1 FROM t WHERE x > 0 AND (a = lower($1) OR a = '5'::int8)";
    const { st } = whereNode(sql, 'BoolExpr');
    walk(st.body.whereClause, (t, node) => {
      if (t === 'ColumnRef' || t === 'BoolExpr' || t === 'A_Expr' || t === 'FuncCall' || t === 'TypeCast') {
        expect(text(sql, exprSpan(st, { [t]: node }))).toBe(text(sql, st.span({ [t]: node })));
      }
    });
  });
});

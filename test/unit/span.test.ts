/**
 * Statement.span on the expressions the offset-pagination, or-chain and select-star fixes depend on, and the
 * exact spans those rules compute on top of it (exprSpan) where span stops short of a node's last token.
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

  it('starts right but may end at the last located token; exprSpan finds the true end', () => {
    const cases: Array<[string, string, string, string]> = [
      ['SELECT 1 FROM t WHERE t.a = 1', 'ColumnRef', 't', 't.a'],
      ['SELECT 1 FROM t WHERE b IS NULL', 'NullTest', 'b IS', 'b IS NULL'],
      ['SELECT 1 FROM t WHERE a = now()', 'FuncCall', 'now', 'now()'],
      ["SELECT 1 FROM t WHERE a = 'x'::character varying", 'TypeCast', "'x'::character", "'x'::character varying"],
      ['SELECT 1 FROM t WHERE a = CASE WHEN b THEN 1 END', 'CaseExpr', 'CASE WHEN b THEN 1', 'CASE WHEN b THEN 1 END'],
    ];
    for (const [sql, type, span, exact] of cases) {
      const { st, node } = whereNode(sql, type);
      const approx = st.span(node)!;
      const full = exprSpan(st, node)!;
      expect(text(sql, full), sql).toBe(exact);
      expect(approx.start, sql).toBe(full.start);
      // Today span ends early on these (PostgreSQL gives start locations only); it must never end late.
      expect([span, exact], sql).toContain(text(sql, approx));
    }
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

import { describe, expect, it } from 'vitest';
import { DeferredNode, parsePlpgsql, parseSql, parseSqlDeferred, scanSql, splitTree, sqlParses } from '../../server/src/analysis/pg';

/** parseSqlDeferred's statements with every deferred tree parsed: what parseSql gives. */
function materialized(sql: string) {
  const r = parseSqlDeferred(sql);
  if (!r.ok) return r;
  return { ok: true, stmts: r.stmts.map((s) => ({ ...s, stmt: s.stmt instanceof DeferredNode ? s.stmt.parse() : s.stmt })) };
}

const CASES = [
  'SELECT 1',
  'SELECT 1; SELECT 2;',
  `SELECT 'a"b', '\\\\', E'\\n\\t\\"', 'café 😀' AS "we""ird", $$ {"version":1} $$;`,
  'CREATE TABLE t (id bigint PRIMARY KEY, v vector(3)); CREATE INDEX ON t USING hnsw (v vector_cosine_ops);',
  'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 1; END $f$;',
  '/* only a comment */ ;; SELECT 2',
];

describe('the parser binding (libpg_query WASM)', () => {
  it.each(CASES)('gives the same statements deferred as parsed at once: %s', (sql) => {
    const deferred = parseSqlDeferred(sql);
    expect(deferred.ok).toBe(true);
    if (deferred.ok) expect(deferred.stmts.every((s) => s.stmt instanceof DeferredNode)).toBe(true);
    expect(materialized(sql)).toEqual(parseSql(sql));
  });

  it('keeps the statement kind without parsing the tree', () => {
    const r = parseSqlDeferred('SELECT 1; VACUUM FULL t; CREATE INDEX i ON t (a);');
    expect(r.ok && r.stmts.map((s) => (s.stmt as DeferredNode).kind)).toEqual(['SelectStmt', 'VacuumStmt', 'IndexStmt']);
  });

  it('reports errors with the message and the 0-based cursor, in both forms', () => {
    // FORM is read as a column alias; the error is at t (offset 14).
    const fail = { ok: false, message: 'syntax error at or near "t"', cursor: 14 };
    expect(parseSql('SELECT 1 FORM t')).toEqual(fail);
    expect(parseSqlDeferred('SELECT 1 FORM t')).toEqual(fail);
    expect(sqlParses('SELECT 1 FORM t')).toBe(false);
    expect(sqlParses('SELECT 1 FROM t')).toBe(true);
    expect(sqlParses('  ')).toBe(true);
  });

  it('splitTree refuses JSON of another shape (the caller then parses it whole)', () => {
    expect(splitTree('{"version":180001}')).toEqual([]);
    expect(splitTree('{"version":180001,"stmts":[{"stmt":{"SelectStmt":{}},"stmt_len":8}]}')).toHaveLength(1);
    for (const odd of [
      '{"stmts":[]}',
      '{"version":1,"other":[]}',
      '{"version":1,"stmts":[{"stmt":{"SelectStmt":{}},"x":1}]}',
      '{"version":1,"stmts":[{"stmt":{"SelectStmt":{}}}]} ',
    ]) {
      expect(splitTree(odd)).toBeUndefined();
    }
  });

  it('tokenizes, and throws on text it cannot tokenize', () => {
    expect(scanSql('SELECT x').map((t) => t.text)).toEqual(['SELECT', 'x']);
    expect(() => scanSql("SELECT 'open")).toThrow(/unterminated/);
  });
});

describe('parsePlpgsql', () => {
  it('gives the PL/pgSQL tree of a function or DO block, with each query as text', () => {
    const tree = parsePlpgsql('DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM t; PERFORM f(n); END $$');
    const body = tree!.plpgsql_funcs![0].PLpgSQL_function.action.PLpgSQL_stmt_block.body;
    expect(body[0].PLpgSQL_stmt_execsql.sqlstmt.PLpgSQL_expr.query).toBe('SELECT count(*)        FROM t');
    expect(body[1].PLpgSQL_stmt_perform.expr.PLpgSQL_expr.query).toBe('SELECT f(n)');
  });
  it('is undefined for a body it rejects, not an exception', () => {
    expect(parsePlpgsql('CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN SELEC 1; END $$')).toBeUndefined();
    expect(parsePlpgsql('SELECT 1')).toEqual({ plpgsql_funcs: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { OffsetMap } from '../../server/src/analysis/source';
import { splitPlain, splitStatements } from '../../server/src/analysis/split';
import { findings, flagged } from '../helpers';

const texts = (sql: string, pieces: { start: number; end: number }[]) => pieces.map((p) => sql.slice(p.start, p.end));

describe('OffsetMap', () => {
  const s = "a'é'😀x";
  const map = new OffsetMap(s);
  it('maps UTF-8 bytes to UTF-16 offsets and back', () => {
    // a=1 byte, '=1, é=2, '=1, 😀=4 (2 UTF-16 units), x=1
    expect([0, 1, 2, 4, 5, 9].map((b) => map.fromByte(b))).toEqual([0, 1, 2, 3, 4, 6]);
    expect([0, 1, 2, 3, 4, 6].map((u) => map.toByte(u))).toEqual([0, 1, 2, 4, 5, 9]);
  });
  it('maps code points to UTF-16 offsets', () => {
    expect([0, 2, 3, 4, 5].map((c) => map.fromCodePoint(c))).toEqual([0, 2, 3, 4, 6]);
  });
  it('is the identity on ASCII', () => {
    const m = new OffsetMap('select 1');
    expect(m.ascii).toBe(true);
    expect(m.fromByte(5)).toBe(5);
  });
});

describe('statement positions', () => {
  it('puts findings after multi-byte text on the right line and UTF-16 character', () => {
    const sql = "SELECT 'café' AS x, '😀' AS y FROM t; REINDEX INDEX i;\n  SELECT '😀😀'; VACUUM FULL t;";
    const [reindex] = findings(sql, 'reindex-concurrently');
    expect(flagged(sql, reindex)).toBe('REINDEX INDEX');
    expect(reindex.range.start).toEqual({ line: 0, character: sql.indexOf('REINDEX') });
    const [vacuum] = findings(sql, 'vacuum-full');
    expect(flagged(sql, vacuum)).toBe('FULL');
    // Line 1: two spaces, SELECT '😀😀'; (😀 is two UTF-16 units each) then VACUUM FULL.
    expect(vacuum.range.start).toEqual({ line: 1, character: "  SELECT '😀😀'; VACUUM ".length });
  });

  it('reports syntax errors at the parser cursor, converted from code points, in a file that also has valid statements', () => {
    const sql = "SELECT '😀' AS a;\nSELECT 'é', FROM t;\nREINDEX TABLE t;";
    const all = findings(sql, 'syntax-error');
    expect(all).toHaveLength(1);
    expect(flagged(sql, all[0])).toBe('FROM');
    expect(all[0].range.start).toEqual({ line: 1, character: 12 });
    expect(findings(sql, 'reindex-concurrently')).toHaveLength(1);
  });

  it('keeps statement spans exact: leading and trailing comments out, semicolon out', () => {
    const sql = '/* head */ SELECT 1;\n-- note\nselect 2 -- tail\n;\n  select 3 /* end */ -- x\n';
    const f = new ParsedFile('x.sql', sql);
    expect(f.statements.map((s) => s.text)).toEqual(['SELECT 1', 'select 2', 'select 3']);
  });

  it('gives every statement its own AST even when one fails', () => {
    const sql = 'SELECT 1;\nSELEC 2;\nCREATE TABLE t (a int);\nselect from where;\nVACUUM t;';
    const f = new ParsedFile('x.sql', sql);
    expect(f.statements.map((s) => s.kind || 'error')).toEqual(['SelectStmt', 'error', 'CreateStmt', 'error', 'VacuumStmt']);
    expect(f.statements[1].error?.message).toMatch(/syntax error at or near "SELEC"/);
  });
});

describe('splitting', () => {
  it('splits on top-level semicolons only', () => {
    const sql = [
      "SELECT ';' AS a, E'\\';' AS b",
      'SELECT $$ ; $$',
      'SELECT $fn$ ; $x$ ; $fn$',
      'SELECT "a;b" FROM t',
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END',
      'SELECT /* ; /* nested ; */ ; */ 1',
    ];
    const text = sql.join(';\n') + ';';
    expect(texts(text, splitPlain(text))).toEqual(sql);
    expect(texts(text, splitStatements(text))).toEqual(sql);
    const f = new ParsedFile('x.sql', text + '\nSELEC;');
    expect(f.statements.map((s) => s.text)).toEqual([...sql, 'SELEC']);
    expect(f.statements.slice(0, -1).every((s) => s.ast)).toBe(true);
  });

  it('falls back to plain text when the tokenizer throws on an unterminated string', () => {
    const text = "SELECT 1;\nSELECT 'abc;\nSELECT 2;";
    expect(splitStatements(text)).toEqual(splitPlain(text));
    const f = new ParsedFile('x.sql', text);
    expect(f.statements).toHaveLength(2);
    expect(f.statements[0].kind).toBe('SelectStmt');
    expect(f.statements[1].error?.message).toMatch(/unterminated quoted string/);
  });

  it('survives empty, blank and comment-only text', () => {
    for (const t of ['', '   \n', '-- only a comment', '/* unterminated', ';;;']) {
      expect(() => new ParsedFile('x.sql', t)).not.toThrow();
    }
    expect(new ParsedFile('x.sql', '-- c\n;;').statements).toEqual([]);
  });
});

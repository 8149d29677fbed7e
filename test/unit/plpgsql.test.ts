import { describe, expect, it } from 'vitest';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';
import { lintSources } from '../../server/src/analysis/engine';
import { findings, flagged, lintAll } from '../helpers';

const FUNCTION = `CREATE TABLE events (id bigint PRIMARY KEY, kind text, payload jsonb);
CREATE FUNCTION recent(p_kind text, p_page int) RETURNS SETOF events LANGUAGE plpgsql AS $fn$
DECLARE
  rec events;
  n int := 0;
BEGIN
  SELECT * INTO rec FROM events WHERE kind = p_kind;
  PERFORM pg_notify('x', rec.kind);
  FOR rec IN SELECT * FROM events WHERE kind = p_kind ORDER BY id LIMIT 50 OFFSET p_page * 50 LOOP
    n := n + 1;
  END LOOP;
  RETURN QUERY SELECT * FROM events ORDER BY id LIMIT 50 OFFSET p_page * 50;
END
$fn$;
`;

describe('queries inside routine bodies', () => {
  it('adds the queries of a PL/pgSQL body as statements at their exact file offsets', () => {
    const file = new ParsedFile('f.sql', FUNCTION);
    const inner = file.statements.filter((s) => s.container);
    expect(inner.map((s) => s.text)).toEqual([
      'SELECT * INTO rec FROM events WHERE kind = p_kind',
      "PERFORM pg_notify('x', rec.kind)",
      'SELECT * FROM events WHERE kind = p_kind ORDER BY id LIMIT 50 OFFSET p_page * 50',
      'SELECT * FROM events ORDER BY id LIMIT 50 OFFSET p_page * 50',
    ]);
    expect(inner.every((s) => s.kind === 'SelectStmt' && s.container!.kind === 'CreateFunctionStmt')).toBe(true);
    // Inner statements follow their routine, and indexes are positions.
    expect(file.statements.map((s) => s.index)).toEqual(file.statements.map((_, i) => i));
    expect(file.statements[2].container).toBe(file.statements[1]);
  });

  it('runs the rules on them: OFFSET pagination inside a function is found at its place', () => {
    const f = findings(FUNCTION, 'offset-pagination');
    expect(f.map((x) => flagged(FUNCTION, x))).toEqual(['OFFSET p_page * 50', 'OFFSET p_page * 50']);
    const lines = f.map((x) => FUNCTION.slice(0, x.start).split('\n').length);
    expect(lines).toEqual([9, 12]);
  });

  it('reads DO blocks and LANGUAGE sql bodies, and follows nested DO blocks', () => {
    const sql = `DO $$
BEGIN
  PERFORM 1;
  UPDATE accounts SET balance = 0 WHERE id IN (SELECT id FROM accounts ORDER BY id OFFSET 100);
END $$;
CREATE FUNCTION page(n int) RETURNS SETOF accounts LANGUAGE sql AS $$
  SELECT * FROM accounts ORDER BY id LIMIT 10 OFFSET n;
$$;
`;
    const file = new ParsedFile('d.sql', sql);
    expect(file.statements.map((s) => [s.kind, s.text.slice(0, 20)])).toEqual([
      ['DoStmt', 'DO $$\nBEGIN\n  PERFOR'],
      ['SelectStmt', 'PERFORM 1'],
      ['UpdateStmt', 'UPDATE accounts SET '],
      ['CreateFunctionStmt', 'CREATE FUNCTION page'],
      ['SelectStmt', 'SELECT * FROM accoun'],
    ]);
    expect(file.statements[4].text).toBe('SELECT * FROM accounts ORDER BY id LIMIT 10 OFFSET n');
  });

  it('is quiet about bodies it cannot read: no syntax error for a body PostgreSQL checks only when it runs', () => {
    const sql = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN SELEC 1; END $$;
CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN (SELECT count(*) FROM t OFFSET 5); END';
CREATE FUNCTION h() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$;
`;
    const file = new ParsedFile('u.sql', sql);
    expect(file.statements.map((s) => s.kind)).toEqual(['CreateFunctionStmt', 'CreateFunctionStmt', 'CreateFunctionStmt']);
    expect(lintAll(sql).filter((f) => f.ruleId === 'syntax-error')).toEqual([]);
  });

  it('gives identical bodies in two files the same findings at their own offsets (finding memo)', () => {
    const body = 'CREATE FUNCTION p(n int) RETURNS SETOF t LANGUAGE sql AS $$ SELECT * FROM t ORDER BY id LIMIT 10 OFFSET n $$;\n';
    const result = lintSources([
      { path: 'a.sql', text: body },
      { path: 'b.sql', text: '-- shifted\n' + body },
    ]);
    const at = result.files.map((r) => r.findings.filter((f) => f.ruleId === 'offset-pagination').map((f) => r.file.text.slice(f.start, f.end)));
    expect(at).toEqual([['OFFSET n'], ['OFFSET n']]);
  });

  it('survives hostile bodies: deep nesting, a huge body', () => {
    let nested = 'SELECT * FROM t ORDER BY id OFFSET 10';
    for (let d = 0; d < 12; d++) {
      const tag = `$d${d}$`;
      nested = `DO ${tag} BEGIN ${nested}; END ${tag}`;
    }
    const t0 = performance.now();
    const file = new ParsedFile('n.sql', nested + ';');
    expect(file.statements[0].kind).toBe('DoStmt');
    // Nested DO blocks are followed 4 deep; deeper ones are left alone, and nothing is reported for them.
    expect(file.statements.length).toBe(1);
    const shallow = 'DO $a$ BEGIN DO $b$ BEGIN PERFORM 1; UPDATE t SET a = 1; END $b$; END $a$;';
    const two = new ParsedFile('s.sql', shallow);
    expect(two.statements.map((s) => [s.kind, s.text, s.container === two.statements[0]])).toEqual([
      ['DoStmt', shallow.slice(0, -1), false],
      ['SelectStmt', 'PERFORM 1', true],
      ['UpdateStmt', 'UPDATE t SET a = 1', true],
    ]);
    const huge = 'DO $$ BEGIN ' + Array.from({ length: 3000 }, (_, i) => `UPDATE t SET a = ${i} WHERE id = ${i};`).join('\n') + ' END $$;';
    const big = new ParsedFile('h.sql', huge);
    expect(big.statements).toHaveLength(3001);
    expect(big.statements[3000].text).toBe('UPDATE t SET a = 2999 WHERE id = 2999');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe('offsets with non-ASCII text', () => {
  it('maps findings exactly after non-ASCII text in a body and in a template', () => {
    const sql = `CREATE FUNCTION p(n int) RETURNS SETOF t LANGUAGE plpgsql AS $$
BEGIN
  -- Seiten blättern: café 😀
  RETURN QUERY SELECT * FROM t WHERE label = 'ü😀' ORDER BY id LIMIT 10 OFFSET n;
END $$;
SELECT * FROM {{ index .Options "Naïve😀" }}.t ORDER BY id LIMIT 10 OFFSET :page;
`;
    const f = findings(sql, 'offset-pagination');
    expect(f.map((x) => flagged(sql, x))).toEqual(['OFFSET n', 'OFFSET :page']);
  });

  it('parses the same statements with the statement cache as without', () => {
    const sql = "SELECT * FROM {{.S}}.t WHERE a = :'v';\nDO $$ BEGIN UPDATE t SET a = 1 WHERE b = 2; END $$;\n";
    const cache = new ParseCache();
    const shape = (file: ParsedFile) => file.statements.map((s) => [s.kind, s.start, s.end, s.text, s.sqlText, !!s.container]);
    expect(shape(new ParsedFile('a.sql', sql, cache))).toEqual(shape(new ParsedFile('a.sql', sql)));
    expect(shape(new ParsedFile('a.sql', sql, cache))).toEqual(shape(new ParsedFile('a.sql', sql)));
  });
});

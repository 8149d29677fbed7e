import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../server/src/analysis/fix';
import { lintAll } from '../helpers';

const ids = (sql: string) => lintAll(sql).map((f) => f.ruleId);

describe('inline suppression', () => {
  it('-- pgperf-ignore on the line before a statement hides that rule there only', () => {
    const sql = '-- pgperf-ignore vacuum-full: weekly maintenance window\nVACUUM FULL a;\nVACUUM FULL b;';
    const f = lintAll(sql);
    expect(f.map((x) => x.ruleId)).toEqual(['vacuum-full']);
    expect(f[0].range.start.line).toBe(2);
  });

  it('at the end of the statement line, after the semicolon', () => {
    expect(ids('VACUUM FULL a; -- pgperf-ignore vacuum-full: off-hours\nVACUUM FULL b;')).toEqual(['vacuum-full']);
    expect(lintAll('VACUUM FULL a; -- pgperf-ignore vacuum-full: off-hours\nVACUUM FULL b;')[0].range.start.line).toBe(1);
  });

  it('names several rules separated by commas', () => {
    const sql = "SELECT id FROM t WHERE k = 'a' OR k = 'b' ORDER BY id LIMIT 10 OFFSET 20;";
    expect(ids(sql).sort()).toEqual(['offset-pagination', 'or-chain']);
    expect(ids(`-- pgperf-ignore offset-pagination, or-chain: admin page\n${sql}`)).toEqual([]);
  });

  it('reports the part of a suppression that suppresses nothing, and offers no removal', () => {
    const f = lintAll('-- pgperf-ignore vacuum-full, reindex-concurrently: maintenance\nVACUUM FULL a;');
    expect(f.map((x) => x.ruleId)).toEqual(['unused-suppression']);
    expect(f[0].message).toMatch(/reindex-concurrently reports nothing here/);
    expect(f[0].message).not.toMatch(/vacuum-full/);
    expect(f[0].fix).toBeUndefined();
  });

  it('-- pgperf-ignore-file hides a rule in the whole file', () => {
    const sql = 'VACUUM FULL a;\n-- pgperf-ignore-file vacuum-full\nVACUUM FULL b;\nREINDEX INDEX i;';
    expect(ids(sql)).toEqual(['reindex-concurrently']);
  });

  it('a suppression that suppresses nothing is reported, with a fix that removes its line', () => {
    const sql = 'SELECT 1;\n-- pgperf-ignore vacuum-full: was needed once\nVACUUM a;\n';
    const f = lintAll(sql);
    expect(f.map((x) => [x.ruleId, x.severity])).toEqual([['unused-suppression', 'info']]);
    expect(f[0].message).toMatch(/vacuum-full reports nothing here/);
    expect(applyEdits(sql, f[0].fix!.edits)).toBe('SELECT 1;\nVACUUM a;\n');
  });

  it('an unknown rule id is reported', () => {
    const f = lintAll('-- pgperf-ignore no-such-rule: typo\nSELECT 1;');
    expect(f.map((x) => x.ruleId)).toEqual(['unused-suppression']);
    expect(f[0].message).toMatch(/"no-such-rule" is not a pgperf rule/);
  });

  it('the marker inside a string or a statement is not a suppression', () => {
    expect(ids("SELECT '-- pgperf-ignore vacuum-full: x';\nVACUUM FULL a;")).toEqual(['vacuum-full']);
  });
});

/** A PL/pgSQL page function: `inner` goes before its query (indented, inside the body), `above` before CREATE. */
const pageFn = (inner = '', above = '', name = 'page') => `${above}CREATE FUNCTION ${name}(p int) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  ${inner}RETURN QUERY SELECT id FROM items ORDER BY id LIMIT 20 OFFSET $1;
END
$$;
`;
const lines = (sql: string) => lintAll(sql).map((f) => [f.ruleId, f.range.start.line]);

describe('inline suppression inside routine bodies', () => {
  it('the query of a PL/pgSQL function is reported without a suppression (the baseline of the tests below)', () => {
    expect(lines(pageFn())).toEqual([['offset-pagination', 2]]);
  });

  it('-- pgperf-ignore on the line before a query inside the body hides it', () => {
    expect(ids(pageFn('-- pgperf-ignore offset-pagination: admin list, a few pages\n  '))).toEqual([]);
  });

  it('-- pgperf-ignore above CREATE FUNCTION covers the queries of its body', () => {
    expect(ids(pageFn('', '-- pgperf-ignore offset-pagination: admin list\n'))).toEqual([]);
    expect(ids(pageFn('', '', 'page') + '-- pgperf-ignore offset-pagination: next one only\n' + pageFn('', '', 'page2'))).toEqual(['offset-pagination']);
  });

  it("at the end of the query line inside the body, and after the routine's own last line", () => {
    const sql = `CREATE FUNCTION page(p int) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT id FROM items ORDER BY id LIMIT 20 OFFSET $1; -- pgperf-ignore offset-pagination: small admin list
END
$$;
`;
    expect(ids(sql)).toEqual([]);
    expect(ids(pageFn().replace('$$;\n', () => '$$; -- pgperf-ignore offset-pagination: small admin list\n'))).toEqual([]);
  });

  it('a suppression inside the body covers the next query only', () => {
    const sql = `CREATE FUNCTION two(p int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  -- pgperf-ignore offset-pagination: the first is an admin list
  PERFORM id FROM items ORDER BY id LIMIT 20 OFFSET p;
  IF p > 0 THEN
    PERFORM id FROM orders ORDER BY id LIMIT 20 OFFSET p;
  END IF;
END
$$;
`;
    expect(lines(sql)).toEqual([['offset-pagination', 6]]);
  });

  it('in a DO block and between the statements of a LANGUAGE sql body', () => {
    const doBlock = `DO $$
BEGIN
  -- pgperf-ignore offset-pagination: one-off backfill
  PERFORM id FROM items ORDER BY id LIMIT 20 OFFSET 40;
END
$$;
`;
    expect(ids(doBlock)).toEqual([]);
    const sqlFn = `CREATE FUNCTION pages(p int) RETURNS SETOF bigint LANGUAGE sql AS $$
  SELECT id FROM items ORDER BY id LIMIT 20 OFFSET p;
  -- pgperf-ignore offset-pagination: second page list is small
  SELECT id FROM orders ORDER BY id LIMIT 20 OFFSET p;
$$;
`;
    expect(lines(sqlFn)).toEqual([['offset-pagination', 1]]);
  });

  it('a suppression used by a body query is used; an unused one inside or above the body is still reported', () => {
    const used = lintAll(pageFn('', '-- pgperf-ignore offset-pagination, vacuum-full: admin list\n'));
    expect(used.map((f) => f.ruleId)).toEqual(['unused-suppression']);
    expect(used[0].message).toMatch(/vacuum-full reports nothing here/);
    expect(used[0].message).not.toMatch(/offset-pagination/);
    const inner = lintAll(pageFn('-- pgperf-ignore or-chain: no OR here\n  '));
    expect(inner.map((f) => [f.ruleId, f.range.start.line])).toEqual([
      ['unused-suppression', 2],
      ['offset-pagination', 3],
    ]);
    expect(inner[0].message).toMatch(/or-chain reports nothing here/);
  });

  it("the marker inside a string of the body, or after the body's last query, suppresses nothing after it", () => {
    const str = pageFn(`RAISE NOTICE '-- pgperf-ignore offset-pagination: not a comment';\n  `);
    expect(ids(str)).toEqual(['offset-pagination']);
    const trailing = `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1;
  -- pgperf-ignore vacuum-full: in the body, covers no later statement
END
$$;
VACUUM FULL a;
`;
    expect(ids(trailing)).toEqual(['vacuum-full']);
  });
});

import { describe, expect, it } from 'vitest';
import { lexSql } from '../../server/src/analysis/lex';
import { tokenize, tokenizeWithScanner } from '../../server/src/analysis/tokens';

/** Text the lexer reads itself: its tokens must be the WASM scanner's, field for field. */
const READ = [
  'SELECT 1',
  "SELECT a::int, $1, 'x''y', E'a\\'b', E'\\\\', $$q$$, $f$ body $x$ $f$, \"Id\", \"a\"\"b\", 1.5e3, .5, 5., 1e-3, 1E+10",
  '0x1F, 0o17, 0b101, 0x_ff, 1_000_000, 2147483647, 2147483648, 0x7fffffff, 0x80000000, 99999999999999999999, 1..2',
  'a<=b, a>=b, a!=b, a<>b, a||b, @-1, x=>1, x := 1, a.b, a..b, t.*, *-1, a+-b, a~-b, a!-b, a@@b, a->>b, a#>>b, a<->b',
  "-- c\nSELECT 1 /* d /* e */ */ +- *-, a/**/b, a--b\n, 'str' -- x\r\nSELECT 2",
  'SELECT café, ä_1, naïve$x, "Ü", \'à\' FROM t\tWHERE\fx = 1\r\n',
  "SELECT 'a'   'b', 'a' -- c\n, 'b'",
  "SELECT '\\';",
  'SELECT a$b, _x, x$1, ARRAY[1,2][1:2], (a)::text[], {}, \\',
  'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;',
  "COPY t FROM STDIN; SELECT 1; VALUES (1, 'x'), (2, 'y');",
  'select nulls, NULLS first, With ordinality, not between, uescape, e, u, b, x, n',
  '',
  '   \n\t ',
];

/** Text it leaves to the scanner: prefixed literals, continuations, junk, unterminated pieces, controls. */
const GIVEN_UP = [
  "SELECT B'101'",
  "SELECT x'ff'",
  "SELECT N'x'",
  "SELECT U&'\\0061'",
  'SELECT U&"a"',
  "SELECT 'a'\n'b'",
  "SELECT E'a'\n  'b'",
  "SELECT 'a' -- c\n'b'",
  'SELECT 123abc',
  'SELECT 1_',
  'SELECT 0x',
  'SELECT 1e',
  'SELECT $1a',
  'SELECT $a',
  "SELECT 'open",
  'SELECT "open',
  'SELECT ""',
  'SELECT /* open',
  'SELECT $$ open',
  'SELECT 1\0',
  'SELECT 1\v',
  'SELECT \ud800',
  "SELECT '😀'",
  `SELECT 1 ${'+'.repeat(70)}~ 2`,
];

describe('the JavaScript lexer (lex.ts)', () => {
  it.each(READ)('reads %j as the WASM scanner does', (sql) => {
    const fast = lexSql(sql, 5);
    expect(fast).toBeDefined();
    expect(fast).toEqual(tokenizeWithScanner(sql, 5));
    expect(tokenize(sql, 5)).toEqual(fast);
  });

  it.each(GIVEN_UP)('leaves %j to the scanner', (sql) => {
    expect(lexSql(sql, 0)).toBeUndefined();
    // tokenize() still answers, from the scanner ([] where it cannot read the text either).
    expect(tokenize(sql, 0)).toEqual(tokenizeWithScanner(sql, 0));
  });

  it('reads a statement of 128,000 tokens in one pass, the same as the scanner', () => {
    const sql = `SELECT * FROM t WHERE ${Array.from({ length: 12_800 }, (_, i) => `(a = ${i} OR b = '${i}')`).join(' OR ')}`;
    const fast = lexSql(sql, 0);
    expect(fast?.length).toBe(5 + 12_800 * 9 + 12_799);
    expect(fast).toEqual(tokenizeWithScanner(sql, 0));
  });
});

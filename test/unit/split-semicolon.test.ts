/** semicolonMaySplit: whether a piece the parser rejected must be split again by the real tokenizer. */
import { describe, expect, it } from 'vitest';
import { semicolonMaySplit, splitStatements } from '../../server/src/analysis/split';

describe('semicolonMaySplit', () => {
  it('no for semicolons only in brackets: the tokenizer keeps the piece whole too', () => {
    for (const text of ['SELECT f(1; 2)', 'SELECT ARRAY[1, ;]', 'SELECT f(g(;), (;))', 'SELECT 1']) {
      expect(semicolonMaySplit(text), text).toBe(false);
      expect(splitStatements(text), text).toHaveLength(1);
    }
  });

  it('yes for a semicolon in a literal, quoted name, dollar quote or comment, or outside brackets', () => {
    for (const text of [
      "SELECT 'a;b'",
      'SELECT "a;b"',
      "SELECT E'\\';'",
      'SELECT $$;$$',
      'SELECT $x$ ; $x$',
      'SELECT /* ; */ 1',
      'SELECT 1 -- ;\nFROM t',
      'SELECT 1 -- x\r;',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END',
    ]) {
      expect(semicolonMaySplit(text), text).toBe(true);
    }
  });
});

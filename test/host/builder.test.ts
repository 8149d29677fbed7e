/**
 * SqlBuilder's reading of quotes: whether a hole stands inside a SQL string or quoted name (a 'literal' hole) is
 * decided from the SQL before it, read piece by piece as it grows (host/builder.ts). Checked against a reading of
 * the whole text before each hole from its start, on random pieces of quotes, comment openers and closers.
 */
import { describe, expect, it } from 'vitest';
import { SqlBuilder } from '../../server/src/analysis/host/builder';
import { decode } from '../../server/src/analysis/host/decode';

/** The quote open at the end of `sql`, read from its start: a quote just closed at the very end counts as closed. */
function openQuote(sql: string): string | undefined {
  let open: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (open) {
      if (c === open) {
        if (i + 1 >= sql.length) return undefined;
        if (sql[i + 1] === open) i++;
        else open = undefined;
      }
    } else if (c === "'" || c === '"') open = c;
    else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      if (nl < 0) return undefined;
      i = nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      i = close + 1;
    }
  }
  return open;
}

const ATOMS = ["'", '"', "''", '-', '--', '/', '*', '/*', '*/', '\n', 'a', ' ', 'x = '];

function* random(seed: number): Generator<number> {
  let s = seed;
  for (;;) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    yield s;
  }
}

describe('SqlBuilder: holes inside quotes', () => {
  it('reads a quote as open where a reading of the whole text from its start does (2,000 random queries)', () => {
    const rng = random(7);
    const next = (n: number) => rng.next().value! % n;
    let holes = 0;
    let literal = 0;
    for (let q = 0; q < 2_000; q++) {
      const b = new SqlBuilder();
      let at = 0;
      const parts = 1 + next(12);
      for (let p = 0; p < parts; p++) {
        let text = '';
        for (let k = next(4); k >= 0; k--) text += ATOMS[next(ATOMS.length)];
        b.text(decode(text, at, 'raw'));
        at += text.length;
        // Pieces also follow each other without a hole between (a driver's parameter kept as text, `%%`).
        if (next(2) === 0 && p < parts - 1) continue;
        b.hole(at, at + 4, '${x}', 'numbered');
        at += 4;
      }
      const built = b.build();
      for (const h of built.holes) {
        holes++;
        const expected = openQuote(built.sql.slice(0, h.sqlStart)) === undefined ? 'not literal' : 'literal';
        if (expected === 'literal') literal++;
        expect([built.sql.slice(0, h.sqlStart), h.kind === 'literal' ? 'literal' : 'not literal']).toEqual([built.sql.slice(0, h.sqlStart), expected]);
      }
    }
    // Both answers were asked for often.
    expect(literal).toBeGreaterThan(holes / 10);
    expect(holes - literal).toBeGreaterThan(holes / 10);
  });

  it('keeps each character’s host offsets through the pieces', () => {
    const b = new SqlBuilder();
    b.text(decode('SELECT \\n', 10, 'js'));
    b.hole(19, 23, '${x}', 'numbered');
    b.text(decode(' -- c', 23, 'js'));
    const built = b.build();
    expect(built.sql).toBe('SELECT \n$1 -- c');
    expect([...built.starts]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 19, 19, 23, 24, 25, 26, 27]);
    expect([...built.ends]).toEqual([11, 12, 13, 14, 15, 16, 17, 19, 23, 23, 24, 25, 26, 27, 28]);
  });
});

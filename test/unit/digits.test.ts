/** groupDigits writes numbers as toLocaleString('en-US') does: compared on edge cases and 20,000 seeded numbers. */
import { describe, expect, it } from 'vitest';
import { groupDigits } from '../../database/explain/digits';

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

describe('groupDigits', () => {
  it('edge cases: signs, zeros, group boundaries, decimals, huge and non-finite numbers', () => {
    const cases = [0, -0, 1, -1, 12, 123, 999, 1000, -1000, 12345, 123456, 1234567, 0.5, -0.5, 0.25, 1234.5, 1234.56, 1234.567, 1234.5678];
    cases.push(0.1 + 0.2, 1e15, 123456789012345680000, 1e21, 1.5e-7, Number.MAX_SAFE_INTEGER, Infinity, -Infinity, NaN, 999999.9995);
    for (const x of cases) expect(groupDigits(x), String(x)).toBe(x.toLocaleString('en-US'));
    expect(groupDigits(1234567)).toBe('1,234,567');
  });

  it('20,000 seeded integers and numbers with up to four decimals', () => {
    const next = random(7);
    for (let i = 0; i < 20_000; i++) {
      const magnitude = 10 ** Math.floor(next() * 16);
      const whole = Math.floor(next() * magnitude) * (next() < 0.2 ? -1 : 1);
      const decimals = Math.floor(next() * 5);
      const x = decimals === 0 ? whole : Number((whole + next()).toFixed(decimals));
      expect(groupDigits(x), String(x)).toBe(x.toLocaleString('en-US'));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Attached } from '../../server/src/analysis/attached';

describe('Attached', () => {
  it('keeps a value per object, unseen by keys, spreads and JSON', () => {
    const cache = new Attached<object, number[]>('test');
    const a = { x: 1 };
    const b = { x: 1 };
    expect(cache.get(a)).toBeUndefined();
    cache.set(a, [1]);
    cache.set(b, [2]);
    cache.set(a, [3]);
    expect(cache.get(a)).toEqual([3]);
    expect(cache.get(b)).toEqual([2]);
    expect(Object.keys(a)).toEqual(['x']);
    expect({ ...a }).toStrictEqual({ x: 1 });
    expect(JSON.stringify(a)).toBe('{"x":1}');
    expect(a).toStrictEqual({ x: 1 });
  });

  it('two caches do not share a slot', () => {
    const one = new Attached<object, string>('same');
    const two = new Attached<object, string>('same');
    const o = {};
    one.set(o, 'one');
    expect(two.get(o)).toBeUndefined();
  });

  it('a frozen object keeps its value beside it', () => {
    const cache = new Attached<object, string>('frozen');
    const o = Object.freeze({ y: 2 });
    cache.set(o, 'v');
    expect(cache.get(o)).toBe('v');
    cache.set(o, 'w');
    expect(cache.get(o)).toBe('w');
  });
});

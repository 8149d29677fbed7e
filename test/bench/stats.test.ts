import { describe, expect, it } from 'vitest';
import { meanCI95, overheadCI95, paretoFront, percentile, recallAtK, studentTQuantile, summarize } from '../../database/bench/stats';
import { clustered, fromVectorText, mulberry32, toVectorText, uniform } from '../../database/bench/vectors';

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 × n)', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([10, 20, 30], 95)).toBe(30);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes unsorted durations', () => {
    const ms = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(summarize(ms)).toEqual({ p50: 5, p95: 10, p99: 10, mean: 5.5, n: 10 });
    expect(ms[0]).toBe(5); // not sorted in place
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.p50).toBeNaN();
  });
});

describe('recallAtK', () => {
  it('is the mean over queries of |found ∩ exact| / k', () => {
    const exact = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(
      recallAtK(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        exact,
        3,
      ),
    ).toBe(1);
    // query 1: 2 of 3 (order does not matter), query 2: 1 of 3 → (2/3 + 1/3) / 2 = 0.5
    expect(
      recallAtK(
        [
          [3, 9, 1],
          [6, 7, 8],
        ],
        exact,
        3,
      ),
    ).toBeCloseTo(0.5, 12);
    expect(recallAtK([[], []], exact, 3)).toBe(0);
  });

  it('counts short result lists as misses, compares only the first k, and ids as strings', () => {
    expect(recallAtK([[1]], [[1, 2]], 2)).toBe(0.5);
    expect(recallAtK([[1, 2, 99]], [[1, 2, 3]], 2)).toBe(1);
    expect(recallAtK([['1', '2']], [[1, 2]], 2)).toBe(1);
    expect(recallAtK([[1, 1]], [[1, 2]], 2)).toBe(0.5); // a duplicate id counts once
    expect(() => recallAtK([[1]], [[1], [2]], 1)).toThrow(RangeError);
    expect(() => recallAtK([[1]], [[1]], 0)).toThrow(RangeError);
  });
});

describe('paretoFront', () => {
  it('keeps the points no other point dominates', () => {
    const pts = [
      { qps: 1000, recall: 0.8 }, // 0: front (fastest)
      { qps: 900, recall: 0.9 }, // 1: front
      { qps: 800, recall: 0.85 }, // 2: dominated by 1
      { qps: 500, recall: 0.99 }, // 3: front (best recall)
      { qps: 400, recall: 0.99 }, // 4: dominated by 3 (same recall, slower)
      { qps: 900, recall: 0.9 }, // 5: equal to 1: neither dominates, both kept
    ];
    expect(paretoFront(pts)).toEqual([0, 1, 3, 5]);
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([{ qps: 1, recall: 1 }])).toEqual([0]);
  });
});

describe('confidence intervals', () => {
  it('uses Student t quantiles', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 5);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 5);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776445, 5);
  });

  it('meanCI95 of 1..5: 3 ± 2.776445 × √2.5 / √5', () => {
    const ci = meanCI95([1, 2, 3, 4, 5]);
    expect(ci.mean).toBe(3);
    expect(ci.n).toBe(5);
    expect(ci.halfWidth).toBeCloseTo(2.776445 * Math.sqrt(0.5), 5); // 1.963243
    expect(ci.lo).toBeCloseTo(1.036757, 5);
    expect(ci.hi).toBeCloseTo(4.963243, 5);
    expect(meanCI95([2, 2, 2])).toMatchObject({ mean: 2, halfWidth: 0, lo: 2, hi: 2 });
    expect(meanCI95([4]).halfWidth).toBeNaN();
  });

  it('overheadCI95: paired differences relative to the baseline mean', () => {
    // a (baseline) mean 10; differences b − a = 0.5, 1, 1.5 → mean 1 (10 %), s = 0.5, t(2) = 4.302653
    const r = overheadCI95([10, 10, 10], [10.5, 11, 11.5]);
    expect(r.pct).toBeCloseTo(10, 10);
    const half = (4.302653 * 0.5) / Math.sqrt(3); // 1.242069 ms → 12.42069 %
    expect(r.ci95Pct[0]).toBeCloseTo(10 - half * 10, 3);
    expect(r.ci95Pct[1]).toBeCloseTo(10 + half * 10, 3);
    expect(overheadCI95([2, 4], [2, 4])).toEqual({ pct: 0, ci95Pct: [0, 0] });
    expect(() => overheadCI95([1], [1, 2])).toThrow(RangeError);
  });
});

describe('vectors', () => {
  it('mulberry32 is seeded and in [0, 1)', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(2)()).not.toBe(xs[0]);
  });

  it('uniform and clustered are reproducible Float32Arrays of the right shape', () => {
    const u = uniform(5, 8, 7);
    expect(u).toHaveLength(5);
    expect(u[0]).toBeInstanceOf(Float32Array);
    expect(u[0]).toHaveLength(8);
    expect(u.flatMap((v) => [...v]).every((x) => x >= -1 && x < 1)).toBe(true);
    expect(uniform(5, 8, 7)).toEqual(u);
    const c = clustered(50, 16, 3, { clusters: 4, rank: 4 });
    expect(c).toHaveLength(50);
    expect(c[49]).toHaveLength(16);
    expect(clustered(50, 16, 3, { clusters: 4, rank: 4 })).toEqual(c);
    expect(clustered(50, 16, 4, { clusters: 4, rank: 4 })).not.toEqual(c);
  });

  it('clustered data has near neighbours (unlike uniform)', () => {
    // ratio of the nearest-neighbour distance to the mean distance: small for clustered, near 1 for uniform
    const ratio = (vs: Float32Array[]) => {
      const d = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
      let nn = 0;
      let all = 0;
      let pairs = 0;
      for (let i = 0; i < 50; i++) {
        let best = Infinity;
        for (let j = 0; j < vs.length; j++) {
          if (j === i) continue;
          const x = d(vs[i]!, vs[j]!);
          best = Math.min(best, x);
          all += x;
          pairs++;
        }
        nn += best;
      }
      return nn / 50 / (all / pairs);
    };
    expect(ratio(clustered(400, 64, 1))).toBeLessThan(0.5);
    expect(ratio(uniform(400, 64, 1))).toBeGreaterThan(0.7);
  });

  it('writes pgvector text and reads it back', () => {
    expect(toVectorText(Float32Array.from([0.5, -1, 0, 1234567]))).toBe('[0.5,-1,0,1234570]');
    expect(toVectorText([1 / 3])).toBe('[0.333333]');
    expect(toVectorText([1e-9])).toBe('[1e-9]');
    expect(() => toVectorText([NaN])).toThrow(RangeError);
    expect([...fromVectorText('[0.5,-1,0]')]).toEqual([0.5, -1, 0]);
  });
});

/**
 * Statistics for the benchmarks (HNSW sweep, RLS overhead). Pure functions, no I/O, no `vscode`.
 *
 * Definitions:
 * - `percentile(sorted, p)`: nearest-rank on an ascending array: the value at 1-based rank ⌈p/100 × n⌉ (rank 1
 *   for p = 0). p50 of [1,2,3,4] is 2, p95 of 1..100 is 95, p100 is the maximum. NaN for an empty array.
 * - `recallAtK`: the mean over queries of |first k found ∩ first k exact| / k (a query that returned fewer than
 *   k rows counts the missing ones as misses).
 * - `paretoFront`: indices (ascending) of the points that no other point dominates; a point dominates another
 *   when it has ≥ recall and ≥ qps and is strictly greater in one of them (equal points do not dominate each
 *   other: both stay on the front).
 * - `meanCI95`: mean ± t(0.975, n−1) × s / √n (Student's t, sample standard deviation s).
 * - `overheadCI95(a, b)`: paired rounds, `a` the baseline (e.g. without RLS) and `b` the variant (with RLS):
 *   the differences dᵢ = bᵢ − aᵢ; pct = 100 × mean(d) / mean(a), and its interval is the t interval of mean(d)
 *   scaled by the same 100 / mean(a) (the baseline mean taken as fixed).
 */

export interface Summary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  n: number;
}

/** Nearest-rank percentile of an ascending array (see the file comment). */
export function percentile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0–100 (got ${p})`);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[Math.min(n, rank) - 1]!;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : NaN;
}

/** p50 / p95 / p99 (nearest-rank) and the mean of a set of durations; NaN figures for an empty set. */
export function summarize(ms: readonly number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: mean(sorted),
    n: sorted.length,
  };
}

/** Mean recall@k over the queries: |found[i][:k] ∩ exact[i][:k]| / k. */
export function recallAtK(found: readonly (readonly (string | number)[])[], exact: readonly (readonly (string | number)[])[], k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`recallAtK: k must be a positive integer (got ${k})`);
  if (found.length !== exact.length) {
    throw new RangeError(`recallAtK: ${found.length} result lists for ${exact.length} queries`);
  }
  if (found.length === 0) return NaN;
  let total = 0;
  for (let i = 0; i < found.length; i++) {
    const truth = new Set(exact[i]!.slice(0, k).map(String));
    let hits = 0;
    const seen = new Set<string>();
    for (const id of found[i]!.slice(0, k)) {
      const key = String(id);
      if (truth.has(key) && !seen.has(key)) hits++;
      seen.add(key);
    }
    total += hits / k;
  }
  return total / found.length;
}

/** Indices (ascending) of the points on the recall/QPS Pareto front (see the file comment). */
export function paretoFront(points: readonly { qps: number; recall: number }[]): number[] {
  const front: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const dominated = points.some((o, j) => j !== i && o.recall >= p.recall && o.qps >= p.qps && (o.recall > p.recall || o.qps > p.qps));
    if (!dominated) front.push(i);
  }
  return front;
}

// ---------------------------------------------------------------------------------------------------------------
// Student's t

/** ln Γ(x), Lanczos approximation (x > 0). */
function lnGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularized incomplete beta function (Numerical Recipes, betacf). */
function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betacf(a, b, x)) / a : 1 - (front * betacf(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The quantile of Student's t: the t with P(T ≤ t) = p (bisection on the CDF; 0 < p < 1). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be within (0, 1) (got ${p})`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive (got ${df})`);
  if (p === 0.5) return 0;
  let lo = -1e4;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-12) break;
  }
  return (lo + hi) / 2;
}

export interface MeanCI {
  mean: number;
  /** t(0.975, n−1) × s / √n; NaN with fewer than 2 samples. */
  halfWidth: number;
  lo: number;
  hi: number;
  n: number;
}

/** The mean and its 95 % confidence interval (Student's t). */
export function meanCI95(samples: readonly number[]): MeanCI {
  const n = samples.length;
  const m = mean(samples);
  if (n < 2) return { mean: m, halfWidth: NaN, lo: NaN, hi: NaN, n };
  let ss = 0;
  for (const x of samples) ss += (x - m) * (x - m);
  const sd = Math.sqrt(ss / (n - 1));
  const halfWidth = studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { mean: m, halfWidth, lo: m - halfWidth, hi: m + halfWidth, n };
}

/** Overhead of `b` over the baseline `a` in %, over paired rounds, with its 95 % interval (see the file comment). */
export function overheadCI95(a: readonly number[], b: readonly number[]): { pct: number; ci95Pct: [number, number] } {
  if (a.length !== b.length) throw new RangeError(`overheadCI95: ${a.length} baseline rounds for ${b.length} variant rounds`);
  const base = mean(a);
  const diff = meanCI95(a.map((x, i) => b[i]! - x));
  const scale = 100 / base;
  return { pct: diff.mean * scale, ci95Pct: [diff.lo * scale, diff.hi * scale] };
}

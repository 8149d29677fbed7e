/**
 * Synthetic vectors for the HNSW benchmark, reproducible from a seed (mulberry32 PRNG, Box–Muller normals).
 *
 * - `uniform`: every coordinate uniform in [−1, 1). Structureless: nearest neighbours are barely nearer than
 *   anything else, which makes HNSW recall look misleadingly low.
 * - `clustered`: what embeddings look like — points near a low-rank subspace, grouped in clusters, plus a
 *   little isotropic noise: a latent point cᵢ + spread·z (z ~ N(0, I_rank)) around one of `clusters` centres
 *   (cᵢ ~ N(0, I_rank)), mapped to `dim` dimensions by a fixed random Gaussian basis (scaled by 1/√rank), plus
 *   noise·N(0, I_dim)/√dim.
 *
 * The defaults (16 clusters, rank ⌈dim/3⌉, spread 0.8, noise 0.3) were tuned so that a 10,000 × 768 set gives
 * HNSW recall@10 near the tuning guide's figures (m = 16, ef_construction = 64 on the embedded database:
 * ef_search 20 → 0.95, 40 → 0.99, 100 → 1.0; with rank 32 and little noise every configuration reached ≥ 0.97 at
 * ef_search 20, which tells the user nothing).
 *
 * Vectors are Float32Array; `toVectorText` gives pgvector's text form `[0.1,-0.2,…]`.
 */

/** mulberry32: a small, fast, seeded 32-bit PRNG; returns a function giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source (Box–Muller, the second value cached). */
function normals(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function checkShape(n: number, dim: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`vector count must be a non-negative integer (got ${n})`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dimension must be a positive integer (got ${dim})`);
}

/** `n` vectors of `dim` coordinates, each uniform in [−1, 1). */
export function uniform(n: number, dim: number, seed: number): Float32Array[] {
  checkShape(n, dim);
  const rand = mulberry32(seed);
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = rand() * 2 - 1;
    out.push(v);
  }
  return out;
}

export interface ClusteredOptions {
  /** Number of clusters (default 16). */
  clusters?: number;
  /** Rank of the latent subspace (default ⌈dim / 3⌉). */
  rank?: number;
  /** Standard deviation of a point around its cluster centre, in latent units (centres are N(0, 1); default 0.8). */
  spread?: number;
  /** Isotropic noise (total norm ≈ noise; default 0.3). */
  noise?: number;
}

/** `n` clustered, low-rank vectors (see the file comment). The same seed gives the same vectors. */
export function clustered(n: number, dim: number, seed: number, options: ClusteredOptions = {}): Float32Array[] {
  checkShape(n, dim);
  const clusters = options.clusters ?? 16;
  const rank = options.rank ?? Math.ceil(dim / 3);
  const spread = options.spread ?? 0.8;
  const noise = options.noise ?? 0.3;
  if (!Number.isInteger(clusters) || clusters < 1) throw new RangeError(`clusters must be a positive integer (got ${clusters})`);
  if (!Number.isInteger(rank) || rank < 1 || rank > dim) {
    throw new RangeError(`rank must be an integer within 1–${dim} (got ${rank})`);
  }
  const rand = mulberry32(seed);
  const gauss = normals(rand);
  // basis: rank × dim, scaled so that a latent N(0, I) point has an expected norm of about 1 per latent unit
  const basis = new Float64Array(rank * dim);
  const bScale = 1 / Math.sqrt(rank);
  for (let i = 0; i < basis.length; i++) basis[i] = gauss() * bScale;
  const centres: Float64Array[] = [];
  for (let c = 0; c < clusters; c++) {
    const z = new Float64Array(rank);
    for (let r = 0; r < rank; r++) z[r] = gauss();
    centres.push(z);
  }
  const noiseScale = noise / Math.sqrt(dim);
  const latent = new Float64Array(rank);
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const centre = centres[Math.floor(rand() * clusters)]!;
    for (let r = 0; r < rank; r++) latent[r] = centre[r]! + spread * gauss();
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = noiseScale * gauss();
    for (let r = 0; r < rank; r++) {
      const l = latent[r]!;
      const row = r * dim;
      for (let j = 0; j < dim; j++) v[j] += l * basis[row + j]!;
    }
    out.push(v);
  }
  return out;
}

/** pgvector's text form, `[0.123457,-1.5,…]`, each coordinate with 6 significant digits. */
export function toVectorText(v: ArrayLike<number>): string {
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new RangeError(`vector coordinate ${i} is not finite (${x})`);
    parts[i] = x === 0 ? '0' : String(Number(x.toPrecision(6)));
  }
  return `[${parts.join(',')}]`;
}

/** Parses pgvector's text form back (for vectors sampled from a user's table). */
export function fromVectorText(text: string): Float32Array {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) throw new SyntaxError(`not a vector: ${t.slice(0, 40)}`);
  const body = t.slice(1, -1).trim();
  if (body === '') return new Float32Array(0);
  return Float32Array.from(body.split(',').map(Number));
}

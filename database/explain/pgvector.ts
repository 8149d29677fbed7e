/**
 * pgvector's distance operators and the operator class an index needs for each: the one table the plan findings
 * (which index an ORDER BY needs) and the HNSW benchmark and its report (what a metric builds and queries) read.
 */

export interface VectorOperator {
  operator: string;
  /** The operator class an HNSW index must use for ORDER BY <operator> to be served by it. */
  opclass: string;
  /** The distance in words, as the benchmark report names it. */
  label: string;
}

export const PGVECTOR_OPERATORS: readonly VectorOperator[] = [
  { operator: '<->', opclass: 'vector_l2_ops', label: 'L2 distance' },
  { operator: '<=>', opclass: 'vector_cosine_ops', label: 'cosine distance' },
  { operator: '<#>', opclass: 'vector_ip_ops', label: 'inner product' },
  { operator: '<+>', opclass: 'vector_l1_ops', label: 'L1 distance' },
  { operator: '<~>', opclass: 'bit_hamming_ops', label: 'Hamming distance' },
  { operator: '<%>', opclass: 'bit_jaccard_ops', label: 'Jaccard distance' },
];

/** The metrics the HNSW benchmark measures, by the name its options and reports use. */
export const BENCH_METRICS = {
  cosine: PGVECTOR_OPERATORS[1]!,
  l2: PGVECTOR_OPERATORS[0]!,
  ip: PGVECTOR_OPERATORS[2]!,
} as const satisfies Record<string, VectorOperator>;

export function vectorOperator(operator: string): VectorOperator | undefined {
  return PGVECTOR_OPERATORS.find((o) => o.operator === operator);
}

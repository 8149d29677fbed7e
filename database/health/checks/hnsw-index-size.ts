import { type HealthCheck, type HealthFinding, skipped } from '../types';
import { bytesText, num, qualified, str } from '../sql';

/** Below this many rows an index is a few pages and its size says nothing. */
const MIN_ROWS = 1000;
/** Reported when the index is this many times the guide's estimate. */
const RATIO = 2;

/** Bytes per dimension of the vector types pgvector indexes with HNSW. */
const BYTES_PER_DIM: Record<string, number> = { vector: 4, halfvec: 2 };

export const hnswIndexSize: HealthCheck = {
  id: 'hnsw-index-size',
  title: 'HNSW index size against the guide’s memory formula (pgvector)',
  category: 'pgvector',
  reads: ['pg_index', 'pg_am', 'pg_class.reltuples', 'pg_attribute.atttypmod', 'pg_relation_size()'],
  needs: 'the vector extension (pgvector)',
  guide: {
    section: 'VectorChord HNSW Tuning › Parameter 1: m',
    threshold: 'memory per vector ≈ (m × 2) × 4 bytes + dimension × 4 bytes (768 dimensions, m = 16: 3,200 bytes); rebuild on index fragmentation',
  },
  docs: {
    why: `An HNSW index keeps the entries of deleted and updated rows until VACUUM repairs the graph, and a bulk load after the build fragments it: it grows past what its rows need and searches visit dead entries. The guide estimates an index at (m × 2) × 4 + dimensions × 4 bytes per vector; this check reports an index more than ${RATIO} times that estimate for its table's rows (reltuples), with m from the index's options (pgvector's default 16) and the dimensions from the column's type.`,
    fix: "`REINDEX INDEX CONCURRENTLY` rebuilds it without blocking queries (the guide: after inserting more than 10 % new vectors, on fragmentation, on degrading performance); `ANALYZE` the table afterwards. hnsw.ef_search is shown in the evidence: the guide's default is 40.",
    notApplicable: `Tables under ${MIN_ROWS} rows, expression indexes and columns without declared dimensions are not judged. The formula leaves out page and tuple overhead, so an index of very few dimensions (under about 64) sits nearer the ${RATIO}× line when healthy. A table's reltuples is an estimate from the last ANALYZE.`,
  },
  async run({ session, extensions }) {
    if (!extensions.has('vector')) return skipped('pgvector (the vector extension) is not installed in this database');
    const { rows } = await session.query(
      `SELECT n.nspname AS schema, c.relname AS index, t.relname AS table, pg_relation_size(c.oid)::float8 AS bytes,
              t.reltuples::float8 AS reltuples, a.atttypmod AS dims, ty.typname AS type,
              coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'm'), 16) AS m,
              current_setting('hnsw.ef_search', true) AS ef_search
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_am am ON am.oid = c.relam AND am.amname = 'hnsw'
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] AND i.indkey[0] <> 0
         LEFT JOIN pg_type ty ON ty.oid = a.atttypid
        ORDER BY 4 DESC`,
    );
    const findings: HealthFinding[] = [];
    const notes: string[] = [];
    for (const r of rows) {
      const index = qualified(str(r.schema), str(r.index));
      const perDim = BYTES_PER_DIM[str(r.type)];
      const dims = num(r.dims);
      const reltuples = num(r.reltuples);
      if (perDim === undefined || !(dims > 0)) {
        notes.push(`${index}: not judged (an expression, or a column without declared dimensions)`);
        continue;
      }
      if (reltuples < MIN_ROWS) continue;
      const m = num(r.m);
      const perVector = m * 2 * 4 + dims * perDim;
      const expected = reltuples * perVector;
      const bytes = num(r.bytes);
      const ratio = bytes / expected;
      if (ratio <= RATIO) continue;
      findings.push({
        severity: 'warning',
        object: index,
        message: `HNSW index ${index} is ${bytesText(bytes)}, ${Math.round(ratio * 10) / 10}× the guide's estimate of ${bytesText(expected)} for ${Math.round(reltuples)} vectors of ${dims} dimensions at m = ${m}`,
        evidence: {
          index,
          table: qualified(str(r.schema), str(r.table)),
          bytes,
          expectedBytes: Math.round(expected),
          ratio: Math.round(ratio * 100) / 100,
          rows: Math.round(reltuples),
          dimensions: dims,
          m,
          efSearch: r.ef_search === null || r.ef_search === undefined ? null : str(r.ef_search),
        },
        fix: `REINDEX INDEX CONCURRENTLY ${index};\nANALYZE ${qualified(str(r.schema), str(r.table))};`,
      });
    }
    return { findings, notes };
  },
};

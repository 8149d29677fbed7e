import { hnswEfSearch } from '../../server/src/analysis/rules/hnsw-ef-search';
import { ruleTester } from '../rule-tester';

const Q = (limit: number | string) => `SELECT id FROM docs ORDER BY embedding <=> $1 LIMIT ${limit};`;
const IVFFLAT = 'CREATE TABLE docs (id bigint, embedding vector(3));\nCREATE INDEX ON docs USING ivfflat (embedding vector_cosine_ops);\n';
const HNSW_TOO = IVFFLAT + 'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n';

/** An out-of-range value: one warning on the value, without a fix. */
const outOfRange = (code: string, text: string) => ({
  code,
  errors: [{ text, severity: 'warning' as const, message: /outside pgvector's range 1–1000/ }],
  output: null,
});

/** A value below the LIMIT of a later vector query, on the value. */
const belowLimit = (code: string, text: string, limit: string) => ({
  code,
  errors: [{ text, message: new RegExp(`below the ${limit} of the vector query on line`) }],
});

ruleTester(hnswEfSearch, {
  valid: [
    'SET hnsw.ef_search = 40;',
    'SET hnsw.ef_search = 1;\nSET hnsw.ef_search = 1000;',
    `SET hnsw.ef_search = 100;\n${Q(100)}`,
    `SET hnsw.ef_search = 40;\n${Q(10)}`,
    `SET hnsw.ef_search = 40;\n${Q('$2')}`,
    // not a vector query
    'SET hnsw.ef_search = 20;\nSELECT id FROM docs ORDER BY id LIMIT 100;',
    // the query comes before the SET
    `${Q(100)}\nSET hnsw.ef_search = 20;`,
    // a later SET / RESET / set_config governs the query
    `SET hnsw.ef_search = 20;\nSET hnsw.ef_search = 100;\n${Q(100)}`,
    `SET hnsw.ef_search = 20;\nRESET hnsw.ef_search;\n${Q(40)}`,
    `SET hnsw.ef_search = 20;\nRESET ALL;\n${Q(40)}`,
    `SET hnsw.ef_search = 20;\nSELECT set_config('hnsw.ef_search', '200', false);\n${Q(100)}`,
    // SET LOCAL ends with its transaction
    `BEGIN;\nSET LOCAL hnsw.ef_search = 20;\nCOMMIT;\n${Q(100)}`,
    // iterative index scans (pgvector 0.8) go past ef_search
    `SET hnsw.iterative_scan = relaxed_order;\nSET hnsw.ef_search = 20;\n${Q(100)}`,
    'SET hnsw.ef_search = DEFAULT;',
    'SET work_mem = 0;',
    "SELECT set_config('work_mem', '0', false);",
    // a column whose only vector indexes are IVFFlat: ef_search does not apply
    { code: `${IVFFLAT}SET hnsw.ef_search = 20;\n${Q(100)}`, name: 'skips columns whose only vector indexes are IVFFlat' },
  ],
  invalid: [
    outOfRange('SET hnsw.ef_search = 0;', '0'),
    outOfRange('SET hnsw.ef_search = 1001;', '1001'),
    outOfRange('SET LOCAL hnsw.ef_search = -5;', '-5'),
    outOfRange("SET SESSION hnsw.ef_search TO '5000';", "'5000'"),
    outOfRange("SELECT set_config('hnsw.ef_search', '0', false);", "'0'"),
    belowLimit(`SET hnsw.ef_search = 20;\n${Q(50)}`, '20', 'LIMIT 50'),
    belowLimit(`SET hnsw.ef_search TO '20';\nSELECT 1;\n${Q(10)}\n${Q(100)}`, "'20'", 'LIMIT 100'),
    belowLimit(
      `BEGIN;\nSET LOCAL hnsw.ef_search = 40;\nSELECT * FROM (SELECT id FROM docs ORDER BY embedding <-> $1 FETCH FIRST 64 ROWS ONLY) s;\nCOMMIT;`,
      '40',
      'LIMIT 64',
    ),
    belowLimit(`SELECT set_config('hnsw.ef_search', '10', true);\n${Q(25)}`, "'10'", 'LIMIT 25'),
    { code: `SET hnsw.ef_search = 20;\nSELECT 1;\n\n${Q(50)}`, name: 'names the line of the query', errors: [{ line: 1, message: /on line 4/ }] },
    { code: `${HNSW_TOO}SET hnsw.ef_search = 20;\n${Q(100)}`, name: 'checks a column with an HNSW index beside the IVFFlat one', errors: [{ text: '20' }] },
    {
      code: `SET hnsw.iterative_scan = strict_order;\nSET hnsw.iterative_scan = off;\nSET hnsw.ef_search = 20;\n${Q(100)}`,
      name: 'still checks after iterative scans are turned off again',
      errors: [{ line: 3 }],
    },
  ],
});

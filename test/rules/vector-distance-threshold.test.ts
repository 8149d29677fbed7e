import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorDistanceThreshold } from '../../server/src/analysis/rules/vector-distance-threshold';
import { ruleTester } from '../rule-tester';

const SCHEMA = {
  'schema.sql':
    'CREATE TABLE docs (id bigint PRIMARY KEY, doc_id bigint, embedding vector(3), small halfvec(3), loc point, name text);\n' +
    'CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_cosine_ops);\n',
};

ruleTester(vectorDistanceThreshold, {
  valid: [
    { name: 'ORDER BY the distance with LIMIT', code: 'SELECT id FROM docs WHERE embedding <=> $1 < 0.3 ORDER BY embedding <=> $1 LIMIT 10;', files: SCHEMA },
    {
      name: 'the threshold on top of the k nearest',
      code: 'SELECT * FROM (SELECT id, embedding <=> $1 AS distance FROM docs ORDER BY distance LIMIT 100) n WHERE distance < 0.3;',
      files: SCHEMA,
    },
    {
      name: 'ORDER BY the distance without LIMIT: left to vector-orderby-no-limit',
      code: 'SELECT id FROM docs WHERE embedding <=> $1 < 0.3 ORDER BY embedding <=> $1;',
      files: SCHEMA,
    },
    { name: 'the rows of one document', code: 'SELECT id FROM docs WHERE doc_id = $2 AND embedding <=> $1 < 0.3;', files: SCHEMA },
    { name: 'a column of unknown type', code: 'SELECT id FROM items WHERE embedding <=> $1 < 0.3;' },
    { name: 'a geometric distance', code: "SELECT id FROM docs WHERE loc <-> point '(1,2)' < 5;", files: SCHEMA },
    { name: 'pairs of rows (a join)', code: 'SELECT a.id FROM docs a JOIN docs b ON a.id < b.id WHERE a.embedding <-> b.embedding < 0.1;', files: SCHEMA },
    { name: 'a distance in the select list', code: 'SELECT id, embedding <=> $1 < 0.3 AS close FROM docs ORDER BY id;', files: SCHEMA },
    { name: 'an outer LIMIT over ORDER BY', code: 'SELECT * FROM (SELECT id FROM docs WHERE embedding <=> $1 < 0.3) s LIMIT 5;', files: SCHEMA },
  ],
  invalid: [
    {
      code: 'SELECT id FROM docs WHERE embedding <=> $1 < 0.3;',
      files: SCHEMA,
      errors: [
        {
          text: 'embedding <=> $1 < 0.3',
          message:
            /embedding <=> \$1 < 0\.3 is evaluated on every row: the vector index on docs \(embedding\) only serves ORDER BY distance LIMIT k.*cosine distance/,
          severity: 'warning',
        },
      ],
      output: null,
    },
    {
      name: 'a similarity: 1 - distance > threshold, with another ORDER BY',
      code: 'SELECT id FROM docs WHERE doc_id > $2 AND 1 - (embedding <=> $1::vector) > 0.7 ORDER BY id;',
      files: SCHEMA,
      errors: [{ text: '1 - (embedding <=> $1::vector) > 0.7' }],
      output: null,
    },
    {
      name: 'the threshold first, a halfvec column without an index',
      code: "SELECT id FROM docs WHERE 0.5 >= small <-> '[1,2,3]';",
      files: SCHEMA,
      errors: [{ message: /an HNSW or IVFFlat index only serves ORDER BY distance LIMIT k, never a WHERE condition.*L2 distance/ }],
      output: null,
    },
    {
      name: 'inner product negated',
      code: 'SELECT id FROM docs WHERE (embedding <#> $1) * -1 > $2;',
      files: SCHEMA,
      errors: [{ message: /inner product/ }],
      output: null,
    },
    {
      name: 'in a Python f-string with %s',
      filename: 'app/search.py',
      code: 'def near(cur, v):\n    cur.execute("SELECT id FROM docs WHERE embedding <=> %s::vector < 0.2", (v,))\n',
      files: SCHEMA,
      errors: [{ text: 'embedding <=> %s::vector < 0.2', line: 2 }],
      output: null,
    },
  ],
});

describe('vector-distance-threshold: a distance in WHERE is no index condition; the suggested rewrite is', () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite({ extensions: { vector } });
    await pg.exec(
      'CREATE EXTENSION vector;\n' +
        SCHEMA['schema.sql'] +
        "INSERT INTO docs (id, embedding) SELECT g, ('[' || random() || ',' || random() || ',' || random() || ']')::vector FROM generate_series(1, 2000) g;\n" +
        'ANALYZE docs;\nSET enable_seqscan = off;\n',
    );
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });
  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('the threshold alone: a sequential scan even with sequential scans disabled', async () => {
    const p = await plan("SELECT id FROM docs WHERE embedding <=> '[1,2,3]' < 0.3");
    expect(p).toMatch(/Seq Scan on docs/);
    expect(p).not.toMatch(/docs_embedding_idx/);
  });

  it('the k nearest with the threshold on top: an index scan', async () => {
    const p = await plan("SELECT * FROM (SELECT id, embedding <=> '[1,2,3]' AS distance FROM docs ORDER BY distance LIMIT 100) n WHERE distance < 0.3");
    expect(p).toMatch(/Index Scan using docs_embedding_idx/);
  });
});

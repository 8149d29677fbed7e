import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorOrderbyNoLimit } from '../../server/src/analysis/rules/vector-orderby-no-limit';
import { ruleTester } from '../rule-tester';

const SCHEMA = {
  'schema.sql':
    'CREATE TABLE docs (id bigint PRIMARY KEY, doc_id bigint, embedding vector(3), small halfvec(3), tags text, loc point);\n' +
    'CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_cosine_ops);\n' +
    'CREATE TABLE names (id bigint, name text);\n',
};

ruleTester(vectorOrderbyNoLimit, {
  valid: [
    { name: 'with LIMIT', code: 'SELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 10;', files: SCHEMA },
    { name: 'FETCH FIRST', code: 'SELECT id FROM docs ORDER BY embedding <-> $1 FETCH FIRST 5 ROWS ONLY;', files: SCHEMA },
    { name: 'a LIMIT of the outer query', code: 'SELECT * FROM (SELECT id, embedding <=> $1 AS d FROM docs ORDER BY d) s LIMIT 10;', files: SCHEMA },
    { name: 'a LIMIT read through a CTE', code: 'WITH n AS (SELECT id FROM docs ORDER BY embedding <=> $1) SELECT * FROM n LIMIT 3;', files: SCHEMA },
    { name: 'ranking the rows of one document', code: 'SELECT id FROM docs WHERE doc_id = ANY($2) ORDER BY embedding <=> $1;', files: SCHEMA },
    { name: 'a cursor', code: 'DECLARE c CURSOR FOR SELECT id FROM docs ORDER BY embedding <=> $1;', files: SCHEMA },
    { name: 'a column of unknown type', code: 'SELECT id FROM items ORDER BY embedding <=> $1;' },
    { name: 'pg_trgm distance on text', code: "SELECT id FROM names ORDER BY name <-> 'word';", files: SCHEMA },
    { name: 'a geometric distance', code: "SELECT id FROM docs ORDER BY loc <-> point '(1,2)';", files: SCHEMA },
    { name: 'two rows of the query (a join, per pair)', code: 'SELECT a.id FROM docs a, docs b ORDER BY a.embedding <-> b.embedding;', files: SCHEMA },
    { name: 'ORDER BY another column', code: 'SELECT id FROM docs ORDER BY id;', files: SCHEMA },
  ],
  invalid: [
    {
      code: 'SELECT id FROM docs ORDER BY embedding <=> $1;',
      files: SCHEMA,
      errors: [
        {
          text: 'embedding <=> $1',
          message: /ORDER BY embedding <=> \$1 has no LIMIT: PostgreSQL computes the cosine distance for every row of docs .*HNSW index docs_embedding_idx/,
          severity: 'warning',
        },
      ],
      output: null,
    },
    {
      name: 'a halfvec column without an index, by alias',
      code: "SELECT id, small <-> '[1,2,3]' AS d FROM docs ORDER BY d;",
      files: SCHEMA,
      errors: [{ text: 'd', message: /L2 distance for every row of docs and sorts them all, and an HNSW or IVFFlat index on small would not change/ }],
      output: null,
    },
    {
      name: 'a cast (an expression index)',
      code: 'SELECT id FROM docs d ORDER BY d.embedding::halfvec(3) <#> $1::halfvec(3);',
      files: SCHEMA,
      errors: [{ message: /inner product/ }],
      output: null,
    },
    {
      name: 'a subquery in an expression is not bounded by the outer LIMIT',
      code: 'SELECT array(SELECT id FROM docs ORDER BY embedding <=> $1) LIMIT 1;',
      files: SCHEMA,
      errors: [{}],
      output: null,
    },
    {
      name: 'a range condition on another column does not pin the rows',
      code: 'SELECT id FROM docs WHERE doc_id > $2 ORDER BY embedding <=> $1;',
      files: SCHEMA,
      errors: [{}],
      output: null,
    },
    {
      name: 'LIMIT ALL',
      code: 'SELECT id FROM docs ORDER BY embedding <+> $1 LIMIT ALL;',
      files: SCHEMA,
      errors: [{ message: /L1 distance/ }],
      output: null,
    },
    {
      name: 'in a TypeScript query with $1',
      filename: 'src/search.ts',
      code: "export const search = (v: string) => pool.query('SELECT id FROM docs ORDER BY embedding <=> $1::vector', [v]);\n",
      files: SCHEMA,
      errors: [{ text: 'embedding <=> $1::vector' }],
      output: null,
    },
  ],
});

describe('vector-orderby-no-limit: PostgreSQL uses the HNSW index under a LIMIT only, and a forced index scan truncates', () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite({ extensions: { vector } });
    await pg.exec(
      'CREATE EXTENSION vector;\n' +
        SCHEMA['schema.sql'] +
        "INSERT INTO docs (id, embedding) SELECT g, ('[' || random() || ',' || random() || ',' || random() || ']')::vector FROM generate_series(1, 2000) g;\n" +
        'ANALYZE docs;\n',
    );
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });
  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('without LIMIT: a sort over a sequential scan', async () => {
    const p = await plan("SELECT id FROM docs ORDER BY embedding <=> '[1,2,3]'");
    expect(p).toMatch(/Sort[\s\S]*Seq Scan on docs/);
    expect(p).not.toMatch(/docs_embedding_idx/);
  });

  it('without LIMIT and sequential scans disabled: the index scan returns hnsw.ef_search (40) of the 2,000 rows', async () => {
    await pg.exec('SET enable_seqscan = off;');
    try {
      expect(await plan("SELECT id FROM docs ORDER BY embedding <=> '[1,2,3]'")).toMatch(/Index Scan using docs_embedding_idx/);
      expect((await pg.query("SELECT id FROM docs ORDER BY embedding <=> '[1,2,3]'")).rows.length).toBeLessThanOrEqual(40);
    } finally {
      await pg.exec('RESET enable_seqscan;');
    }
  });

  it('with LIMIT: an index scan of docs_embedding_idx', async () => {
    expect(await plan("SELECT id FROM docs ORDER BY embedding <=> '[1,2,3]' LIMIT 10")).toMatch(/Index Scan using docs_embedding_idx/);
  });

  it('a LIMIT of the outer query (a case the rule leaves alone) reaches the subquery', async () => {
    expect(await plan("SELECT * FROM (SELECT id, embedding <=> '[1,2,3]' AS d FROM docs ORDER BY d) s LIMIT 10")).toMatch(
      /Index Scan using docs_embedding_idx/,
    );
  });
});

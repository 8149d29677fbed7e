import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorFilteredSearch } from '../../server/src/analysis/rules/vector-filtered-search';
import { ruleTester } from '../rule-tester';

const SCHEMA = {
  'schema.sql':
    'CREATE TABLE items (id bigint PRIMARY KEY, slug text UNIQUE, category_id int, doc_id bigint, embedding vector(3), small halfvec(3), other vector(3));\n' +
    'CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_l2_ops);\n' +
    'CREATE INDEX items_small_idx ON items USING hnsw (small halfvec_cosine_ops) WHERE category_id = 1;\n' +
    'CREATE INDEX items_doc_idx ON items (doc_id);\n' +
    'CREATE TABLE cats (id int PRIMARY KEY, name text);\n',
};

ruleTester(vectorFilteredSearch, {
  valid: [
    { name: 'no filter', code: 'SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10;', files: SCHEMA },
    { name: 'no LIMIT (vector-orderby-no-limit)', code: 'SELECT id FROM items WHERE category_id = $2 ORDER BY embedding <-> $1;', files: SCHEMA },
    {
      name: 'the operator of no index (cosine on an L2 index)',
      code: 'SELECT id FROM items WHERE category_id = $2 ORDER BY embedding <=> $1 LIMIT 10;',
      files: SCHEMA,
    },
    {
      name: 'an equality on the leading column of a composite primary key (its index is an exact path)',
      code: 'SELECT id FROM docs WHERE tenant_id = $2 ORDER BY embedding <=> $1 LIMIT 10;',
      files: {
        'schema.sql':
          'CREATE TABLE docs (tenant_id uuid, id bigint, embedding vector(3), PRIMARY KEY (tenant_id, id));\n' +
          'CREATE INDEX docs_embedding_idx ON docs USING hnsw (embedding vector_cosine_ops);\n',
      },
    },
    { name: 'no vector index on the column', code: 'SELECT id FROM items WHERE category_id = $2 ORDER BY other <-> $1 LIMIT 10;', files: SCHEMA },
    { name: 'a partial vector index', code: 'SELECT id FROM items WHERE category_id = 1 ORDER BY small <=> $1 LIMIT 10;', files: SCHEMA },
    { name: 'the filter pins the primary key', code: 'SELECT id FROM items WHERE id = $2 ORDER BY embedding <-> $1 LIMIT 10;', files: SCHEMA },
    {
      name: 'the filter pins a unique key',
      code: 'SELECT id FROM items WHERE slug = $2 AND category_id = 3 ORDER BY embedding <-> $1 LIMIT 1;',
      files: SCHEMA,
    },
    {
      name: 'an equality on an indexed column (an exact path)',
      code: 'SELECT id FROM items WHERE doc_id = $2 ORDER BY embedding <-> $1 LIMIT 5;',
      files: SCHEMA,
    },
    {
      name: 'the file sets hnsw.iterative_scan',
      code: 'SET hnsw.iterative_scan = relaxed_order;\nSELECT id FROM items WHERE category_id = $2 ORDER BY embedding <-> $1 LIMIT 10;',
      files: SCHEMA,
    },
    { name: 'a column of unknown type', code: 'SELECT id FROM docs WHERE category_id = $2 ORDER BY embedding <-> $1 LIMIT 10;' },
    { name: 'a filter on the vector column only', code: 'SELECT id FROM items WHERE embedding IS NOT NULL ORDER BY embedding <-> $1 LIMIT 10;', files: SCHEMA },
    {
      name: 'a filter on a joined table',
      code: 'SELECT i.id FROM items i JOIN cats c ON c.id = i.category_id WHERE c.name = $2 ORDER BY i.embedding <-> $1 LIMIT 10;',
      files: SCHEMA,
    },
    {
      name: 'iterative_scan set in the same Python file',
      filename: 'app/search.py',
      code:
        'def search(cur, v, c):\n' +
        '    cur.execute("SET hnsw.iterative_scan = relaxed_order")\n' +
        '    cur.execute("SELECT id FROM items WHERE category_id = %s ORDER BY embedding <-> %s LIMIT 10", (c, v))\n',
      files: SCHEMA,
    },
  ],
  invalid: [
    {
      code: 'SELECT id FROM items WHERE category_id = $2 ORDER BY embedding <-> $1 LIMIT 10;',
      files: SCHEMA,
      errors: [
        {
          messageId: 'filtered',
          text: 'embedding <-> $1',
          message: /HNSW index items_embedding_idx, and the filter on category_id .*hnsw\.iterative_scan = relaxed_order.*partition items by category_id/,
          severity: 'info',
        },
      ],
      output: null,
    },
    {
      name: 'an IVFFlat index',
      code: 'SELECT id FROM items WHERE category_id = $2 ORDER BY other <#> $1 LIMIT 10;',
      files: { 'schema.sql': SCHEMA['schema.sql'] + 'CREATE INDEX items_other_idx ON items USING ivfflat (other vector_ip_ops);\n' },
      errors: [{ message: /IVFFLAT index items_other_idx, .*ivfflat\.probes lists.*SET ivfflat\.iterative_scan = relaxed_order/ }],
      output: null,
    },
    {
      name: 'a range filter on an indexed column',
      code: 'SELECT id FROM items WHERE doc_id > $2 ORDER BY embedding <-> $1 LIMIT 10;',
      files: SCHEMA,
      errors: [{ message: /filter on doc_id/ }],
      output: null,
    },
    {
      name: 'by alias, IN list',
      code: 'SELECT id, embedding <-> $1 AS d FROM items WHERE category_id IN (1, 2) ORDER BY d LIMIT 5;',
      files: SCHEMA,
      errors: [{ text: 'd' }],
      output: null,
    },
    {
      name: 'in a TypeScript query',
      filename: 'src/search.ts',
      code: "export const search = (v: string, c: number) => pool.query('SELECT id FROM items WHERE category_id = $2 ORDER BY embedding <-> $1::vector LIMIT 10', [v, c]);\n",
      files: SCHEMA,
      errors: [{ text: 'embedding <-> $1::vector' }],
      output: null,
    },
    {
      name: 'in a Python query',
      filename: 'app/search.py',
      code: 'def search(cur, v, c):\n    cur.execute("SELECT id FROM items WHERE category_id = %s ORDER BY embedding <-> %s LIMIT 10", (c, v))\n',
      files: SCHEMA,
      errors: [{ text: 'embedding <-> %s' }],
      output: null,
    },
  ],
});

describe('vector-filtered-search: an HNSW scan filters its ef_search candidates, so a selective filter returns fewer than LIMIT rows', () => {
  let pg: PGlite;
  let version = '';
  const Q = "SELECT id FROM items WHERE category_id = 7 ORDER BY embedding <-> '[0.5,0.5,0.5]' LIMIT 10";
  beforeAll(async () => {
    pg = new PGlite({ extensions: { vector } });
    await pg.exec(
      'CREATE EXTENSION vector;\n' +
        SCHEMA['schema.sql'] +
        // 10 categories: the filter keeps 1 row in 10, about 4 of the 40 candidates. (At 4,000 rows the planner takes a Seq Scan.)
        "INSERT INTO items (id, category_id, doc_id, embedding) SELECT g, g % 10, g % 100, ('[' || random() || ',' || random() || ',' || random() || ']')::vector FROM generate_series(1, 20000) g;\n" +
        'ANALYZE items;\n',
    );
    version = (await pg.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).rows[0].extversion;
  }, 180_000);
  afterAll(async () => {
    await pg?.close();
  });
  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('the filtered query is an index scan of the HNSW index with a Filter, and returns fewer than its LIMIT of the 2,000 matching rows', async () => {
    expect(await plan(Q)).toMatch(/Index Scan using items_embedding_idx[\s\S]*Filter: \(category_id = 7\)/);
    expect((await pg.query('SELECT count(*)::int AS n FROM items WHERE category_id = 7')).rows[0]).toEqual({ n: 2000 });
    expect((await pg.query(Q)).rows.length).toBeLessThan(10);
  });

  it('an equality on a column with an index of its own (doc_id, 1 row in 100; a case the rule leaves alone): the planner takes that index, exact', async () => {
    const byDoc = Q.replace('category_id = 7', 'doc_id = 7');
    expect(await plan(byDoc)).toMatch(/Sort[\s\S]*Bitmap Index Scan on items_doc_idx/);
    expect((await pg.query(byDoc)).rows.length).toBe(10);
  });

  it("PGlite's pgvector is 0.8+, and with hnsw.iterative_scan = relaxed_order the same index scan returns LIMIT rows", async () => {
    expect(Number(version.split('.')[0]) > 0 || Number(version.split('.')[1]) >= 8).toBe(true);
    await pg.exec('SET hnsw.iterative_scan = relaxed_order;');
    try {
      expect(await plan(Q)).toMatch(/Index Scan using items_embedding_idx/);
      expect((await pg.query(Q)).rows.length).toBe(10);
    } finally {
      await pg.exec('RESET hnsw.iterative_scan;');
    }
  });
});

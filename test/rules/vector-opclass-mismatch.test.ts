import { describe, expect, it } from 'vitest';
import { findings, flagged } from '../helpers';

const RULE = 'vector-opclass-mismatch';
const SCHEMA =
  'CREATE TABLE docs (id bigint, title text, embedding vector(768), big vector(3072), other vector(768));\n' +
  'CREATE INDEX docs_emb_l2 ON docs USING hnsw (embedding vector_l2_ops);\n' +
  'CREATE INDEX docs_big_cos ON docs USING hnsw ((big::halfvec(3072)) halfvec_cosine_ops);\n';

describe(RULE, () => {
  it.each([
    ['SELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 10;', 'embedding <=> $1', '<=>'],
    ["SELECT id FROM docs d ORDER BY d.embedding <#> '[1,2,3]'::vector LIMIT 5;", "d.embedding <#> '[1,2,3]'::vector", '<#>'],
    ['SELECT id FROM docs ORDER BY embedding <+> $1;', 'embedding <+> $1', '<+>'],
    ['SELECT id, embedding <=> $1 AS dist FROM docs ORDER BY dist LIMIT 10;', 'dist', '<=>'],
    ['SELECT id FROM docs ORDER BY big::halfvec(3072) <-> $1::halfvec(3072) LIMIT 10;', 'big::halfvec(3072) <-> $1::halfvec(3072)', '<->'],
    ['SELECT * FROM (SELECT id FROM public.docs ORDER BY embedding <=> $1 LIMIT 10) s;', 'embedding <=> $1', '<=>'],
    ['WITH q AS (SELECT id FROM docs JOIN tags t ON t.doc = docs.id ORDER BY docs.embedding <=> $1 LIMIT 10) SELECT * FROM q;', 'docs.embedding <=> $1', '<=>'],
    // a correlated outer value is one query vector per execution of the subquery
    ['SELECT (SELECT d.id FROM docs d ORDER BY d.embedding <=> q.v LIMIT 1) FROM queries q;', 'd.embedding <=> q.v', '<=>'],
  ])('fires on %s', (sql, text, op) => {
    const all = SCHEMA + sql;
    const f = findings(all, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(all, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain(`ORDER BY ${op}`);
    expect(f[0].fix).toBeUndefined();
  });

  it('names the index and the operator it serves', () => {
    const f = findings(SCHEMA + 'SELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 10;', RULE);
    expect(f[0].message).toContain('docs_emb_l2 (hnsw, vector_l2_ops)');
    expect(f[0].message).toContain('serves only <-> (L2 distance)');
    expect(f[0].message).toContain('vector_cosine_ops');
  });

  it.each([
    'SELECT id FROM docs ORDER BY embedding <-> $1 LIMIT 10;',
    'SELECT id FROM docs ORDER BY big::halfvec(3072) <=> $1::halfvec(3072) LIMIT 10;',
    // no vector index on the column
    'SELECT id FROM docs ORDER BY other <=> $1 LIMIT 10;',
    // distance only in the select list
    'SELECT id, embedding <=> $1 AS dist FROM docs ORDER BY id;',
    'SELECT id FROM docs ORDER BY title;',
    // unknown table
    'SELECT id FROM articles ORDER BY embedding <=> $1 LIMIT 10;',
    // the query vector is another row of the FROM: the distance is computed per pair, no index orders it
    'WITH q AS (SELECT $1::vector(768) AS v) SELECT d.id FROM docs d CROSS JOIN q ORDER BY d.embedding <=> q.v LIMIT 3;',
    'SELECT a.id FROM docs a, docs b WHERE b.id = $1 ORDER BY a.embedding <=> b.embedding LIMIT 3;',
    // a CTE named like the table is not the table
    'WITH docs AS (SELECT 1 AS id, $2::vector AS embedding) SELECT id FROM docs ORDER BY embedding <=> $1;',
  ])('does not fire on %s', (sql) => {
    expect(findings(SCHEMA + sql, RULE)).toEqual([]);
  });

  it('does not fire when any index of the column serves the operator', () => {
    const sql =
      SCHEMA + 'CREATE INDEX docs_emb_cos ON docs USING ivfflat (embedding vector_cosine_ops);\nSELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 10;';
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('treats an index without an operator class as vector_l2_ops', () => {
    const t = 'CREATE TABLE t (e vector(3));\nCREATE INDEX ON t USING hnsw (e);\n';
    expect(findings(t + 'SELECT * FROM t ORDER BY e <-> $1 LIMIT 1;', RULE)).toEqual([]);
    const sql = t + 'SELECT * FROM t ORDER BY e <=> $1 LIMIT 1;';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('default vector_l2_ops');
  });

  it('uses indexes declared in other files and resolves schemas', () => {
    const files = {
      'schema/docs.sql': 'CREATE TABLE app.docs (id bigint, embedding vector(768));\nCREATE TABLE docs (id bigint, embedding vector(768));\n',
      'schema/indexes.sql': 'CREATE INDEX ON app.docs USING hnsw (embedding vector_ip_ops);\nCREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n',
      'queries/search.sql': 'SELECT id FROM app.docs ORDER BY embedding <=> $1 LIMIT 10;\nSELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 10;\n',
    };
    const f = findings(files, RULE, undefined, 'queries/search.sql');
    expect(f).toHaveLength(1);
    expect(f[0].range.start.line).toBe(0);
    expect(f[0].message).toContain('<#> (inner product)');
  });
});

describe(`${RULE}: the query vector from a subquery`, () => {
  it('ORDER BY embedding <=> (SELECT embedding FROM queries …) is one query vector: the mismatch is reported', () => {
    const sql =
      'CREATE TABLE items (id int, embedding vector(3));\nCREATE TABLE queries (id int, embedding vector(3));\n' +
      'CREATE INDEX ON items USING hnsw (embedding vector_l2_ops);\n' +
      'SELECT id FROM items ORDER BY embedding <=> (SELECT embedding FROM queries WHERE id = $1) LIMIT 10;';
    expect(findings(sql, RULE).map((f) => flagged(sql, f))).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings, flagged } from '../helpers';

const db = fixOnDb();

const RULE = 'hnsw-dimension-limit';
const TABLE = 'CREATE TABLE docs (id bigint, embedding vector(3072), small vector(768), half halfvec(3072), huge vector(8000), hhuge halfvec(5000));\n';

describe(RULE, () => {
  it.each([
    ['CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);', 'embedding vector_cosine_ops', '<=>'],
    ['CREATE INDEX i ON docs USING hnsw (embedding);', 'embedding', '<->'],
    ['CREATE INDEX i ON docs USING HNSW (embedding vector_ip_ops) WITH (m = 24);', 'embedding vector_ip_ops', '<#>'],
    ['CREATE INDEX i ON docs USING ivfflat (embedding vector_l2_ops) WITH (lists = 100);', 'embedding vector_l2_ops', '<->'],
    ['CREATE INDEX i ON docs USING hnsw (embedding vector_l1_ops);', 'embedding vector_l1_ops', '<+>'],
  ])('fires on %s', (sql, text, op) => {
    const all = TABLE + sql;
    const f = findings(all, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(all, f[0])).toBe(text);
    expect(f[0].severity).toBe('error');
    expect(f[0].message).toContain('2000');
    expect(f[0].message).toContain(`ORDER BY embedding::halfvec(3072) ${op} $1::halfvec(3072)`);
    expect(f[0].fix).toBeDefined();
  });

  it('fires on a table declared in another file', () => {
    const files = { 'schema/docs.sql': TABLE, 'migrations/002.sql': 'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);' };
    const f = findings(files, RULE, undefined, 'migrations/002.sql');
    expect(f).toHaveLength(1);
    expect(flagged(files['migrations/002.sql'], f[0])).toBe('embedding vector_cosine_ops');
  });

  it('has no fix above 4000 dimensions and says to reduce dimensions or quantize', () => {
    for (const col of ['huge', 'hhuge']) {
      const sql = TABLE + `CREATE INDEX ON docs USING hnsw (${col} vector_cosine_ops);`;
      const f = findings(sql, RULE);
      expect(f).toHaveLength(1);
      expect(f[0].fix).toBeUndefined();
      expect(f[0].message).toMatch(/Reduce the dimensions/);
      expect(f[0].message).toMatch(/binary quantization/);
    }
  });

  it.each([
    'CREATE INDEX ON docs USING hnsw (small vector_cosine_ops);',
    'CREATE INDEX ON docs USING hnsw (half halfvec_cosine_ops);',
    'CREATE INDEX ON docs USING hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops);',
    'CREATE INDEX ON docs (embedding);',
    'CREATE INDEX ON other USING hnsw (embedding vector_cosine_ops);',
    'CREATE INDEX ON docs USING hnsw ((binary_quantize(embedding)::bit(3072)) bit_hamming_ops);',
  ])('does not fire on %s', (sql) => {
    expect(findings(TABLE + sql, RULE)).toEqual([]);
  });

  it('does not fire on a column of unknown dimension', () => {
    expect(findings('CREATE TABLE t (e vector);\nCREATE INDEX ON t USING hnsw (e vector_l2_ops);', RULE)).toEqual([]);
  });

  it('resolves schemas: app.docs has 3072 dimensions, public.docs 768', () => {
    const schema = 'CREATE TABLE app.docs (embedding vector(3072));\nCREATE TABLE docs (embedding vector(768));\n';
    expect(findings(schema + 'CREATE INDEX ON docs USING hnsw (embedding vector_l2_ops);', RULE)).toEqual([]);
    expect(findings(schema + 'CREATE INDEX ON app.docs USING hnsw (embedding vector_l2_ops);', RULE)).toHaveLength(1);
    expect(findings(schema + 'SET search_path = app;\nCREATE INDEX ON docs USING hnsw (embedding vector_l2_ops);', RULE)).toHaveLength(1);
  });

  it('fix casts to halfvec and maps the operator class, keeping the rest byte-identical', () => {
    const sql =
      TABLE + 'CREATE INDEX idx_docs_emb ON docs\n    USING hnsw (embedding /* 3072 */ vector_cosine_ops)\n    WITH (m = 24, ef_construction = 256);\n';
    expect(applyFix(sql, RULE)).toBe(
      TABLE +
        'CREATE INDEX idx_docs_emb ON docs\n    USING hnsw ((embedding::halfvec(3072)) /* 3072 */ halfvec_cosine_ops)\n    WITH (m = 24, ef_construction = 256);\n',
    );
  });

  it.each([
    ['USING hnsw (embedding vector_ip_ops)', 'USING hnsw ((embedding::halfvec(3072)) halfvec_ip_ops)'],
    ['USING hnsw (embedding public.vector_l1_ops)', 'USING hnsw ((embedding::halfvec(3072)) public.halfvec_l1_ops)'],
    ['USING hnsw (embedding)', 'USING hnsw ((embedding::halfvec(3072)))'],
    ['USING hnsw ((embedding) vector_l2_ops)', 'USING hnsw ((embedding::halfvec(3072)) halfvec_l2_ops)'],
    ['USING ivfflat (embedding vector_cosine_ops) WITH (lists = 1000)', 'USING ivfflat ((embedding::halfvec(3072)) halfvec_cosine_ops) WITH (lists = 1000)'],
  ])('fix rewrites %s', (before, after) => {
    expect(applyFix(TABLE + `CREATE INDEX ON docs ${before};`, RULE)).toBe(TABLE + `CREATE INDEX ON docs ${after};`);
  });

  it('fix keeps a quoted column name', () => {
    const t = 'CREATE TABLE d ("Emb" vector(2048));\n';
    expect(applyFix(t + 'CREATE INDEX ON d USING hnsw ("Emb" vector_cosine_ops);', RULE)).toBe(
      t + 'CREATE INDEX ON d USING hnsw (("Emb"::halfvec(2048)) halfvec_cosine_ops);',
    );
  });
});

describe(`${RULE}: the halfvec fix runs on PostgreSQL (pgvector) with the workspace schema`, () => {
  it.each([
    'USING hnsw (embedding /* 3072 */ vector_cosine_ops)\n    WITH (m = 24, ef_construction = 256)',
    'USING hnsw (embedding vector_l2_ops)',
    'USING hnsw (embedding vector_ip_ops)',
    'USING ivfflat (embedding vector_cosine_ops) WITH (lists = 1000)',
  ])('%s', async (rest) => {
    const r = await db.check(TABLE + `CREATE INDEX ON docs ${rest};`, RULE);
    expect(r.how).toBe('executed');
    expect(r.statement).toContain('::halfvec(3072)');
  });

  it('a quoted column', async () => {
    const r = await db.check('CREATE TABLE d ("Emb" vector(2048));\nCREATE INDEX ON d USING hnsw ("Emb" vector_cosine_ops);', RULE);
    expect(r.statement).toContain('("Emb"::halfvec(2048)) halfvec_cosine_ops');
  });
});

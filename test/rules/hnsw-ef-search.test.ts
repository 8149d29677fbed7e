import { describe, expect, it } from 'vitest';
import { findings, flagged } from '../helpers';

const RULE = 'hnsw-ef-search';
const Q = (limit: number | string) => `SELECT id FROM docs ORDER BY embedding <=> $1 LIMIT ${limit};`;

describe(RULE, () => {
  it.each([
    ['SET hnsw.ef_search = 0;', '0'],
    ['SET hnsw.ef_search = 1001;', '1001'],
    ['SET LOCAL hnsw.ef_search = -5;', '-5'],
    ["SET SESSION hnsw.ef_search TO '5000';", "'5000'"],
    ["SELECT set_config('hnsw.ef_search', '0', false);", "'0'"],
  ])('fires on the out-of-range %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toContain('outside pgvector\'s range 1–1000');
    expect(f[0].fix).toBeUndefined();
  });

  it.each([
    [`SET hnsw.ef_search = 20;\n${Q(50)}`, '20', 'LIMIT 50'],
    [`SET hnsw.ef_search TO '20';\nSELECT 1;\n${Q(10)}\n${Q(100)}`, "'20'", 'LIMIT 100'],
    [`BEGIN;\nSET LOCAL hnsw.ef_search = 40;\nSELECT * FROM (SELECT id FROM docs ORDER BY embedding <-> $1 FETCH FIRST 64 ROWS ONLY) s;\nCOMMIT;`, '40', 'LIMIT 64'],
    [`SELECT set_config('hnsw.ef_search', '10', true);\n${Q(25)}`, "'10'", 'LIMIT 25'],
  ])('fires when a following vector query has a larger LIMIT: %s', (sql, text, limit) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].message).toContain(`below the ${limit} of the vector query on line`);
  });

  it('names the line of the query', () => {
    const sql = `SET hnsw.ef_search = 20;\nSELECT 1;\n\n${Q(50)}`;
    expect(findings(sql, RULE)[0].message).toContain('on line 4');
  });

  it.each([
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
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('skips columns whose only vector indexes are IVFFlat', () => {
    const schema = 'CREATE TABLE docs (id bigint, embedding vector(3));\nCREATE INDEX ON docs USING ivfflat (embedding vector_cosine_ops);\n';
    expect(findings(`${schema}SET hnsw.ef_search = 20;\n${Q(100)}`, RULE)).toEqual([]);
    const hnsw = schema + 'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n';
    expect(findings(`${hnsw}SET hnsw.ef_search = 20;\n${Q(100)}`, RULE)).toHaveLength(1);
  });

  it('still checks after iterative scans are turned off again', () => {
    const sql = `SET hnsw.iterative_scan = strict_order;\nSET hnsw.iterative_scan = off;\nSET hnsw.ef_search = 20;\n${Q(100)}`;
    expect(findings(sql, RULE)).toHaveLength(1);
  });
});

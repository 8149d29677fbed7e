/** EXPLAIN against embedded PGlite (PostgreSQL 18 in WASM, in a worker thread). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../database/connection/embedded';
import type { Database } from '../../database/connection/types';
import { explain, ExplainRefused } from '../../database/explain/run';
import { exec, planScenarios, rows } from './scenarios';

planScenarios('embedded PGlite', () => openEmbedded({}), 'pgperf_explain_embedded');

describe('embedded PGlite: pgvector and writes', () => {
  const schema = 'pgperf_explain_embedded_vec';
  let db: Database;
  beforeAll(async () => {
    db = await openEmbedded({});
    await exec(db, [
      'CREATE EXTENSION IF NOT EXISTS vector',
      `CREATE SCHEMA ${schema}`,
      `CREATE TABLE ${schema}.items (id int PRIMARY KEY, embedding vector(3))`,
      `INSERT INTO ${schema}.items SELECT g, ARRAY[g % 7, g % 11, g % 13]::real[]::vector FROM generate_series(1, 3000) g`,
      `ANALYZE ${schema}.items`,
    ]);
  }, 120_000);
  afterAll(async () => {
    await exec(db, [`DROP SCHEMA IF EXISTS ${schema} CASCADE`]);
    await db.close();
  });
  const q = "SELECT id FROM items ORDER BY embedding <=> '[1,2,3]' LIMIT 10";

  it('a vector ORDER BY without an index, then with an HNSW index', async () => {
    const before = await explain(db, { sql: q, analyze: true, timeoutMs: 20_000, settings: { search_path: `${schema}, public` } });
    expect(before.findings.map((f) => [f.rule, f.node])).toEqual([['vector-order-without-index', 'Sort']]);
    expect(before.findings[0].message).toContain('vector_cosine_ops');
    await exec(db, [`CREATE INDEX items_hnsw ON ${schema}.items USING hnsw (embedding vector_cosine_ops)`]);
    const after = await explain(db, { sql: q, analyze: true, timeoutMs: 20_000, settings: { search_path: `${schema}, public` } });
    expect(after.nodes.some((n) => n.index === 'items_hnsw')).toBe(true);
    expect(after.findings).toEqual([]);
  });

  it('a write is refused without confirm and rolled back with it', async () => {
    const sql = `DELETE FROM ${schema}.items WHERE id <= 100`;
    await expect(explain(db, { sql, analyze: true, timeoutMs: 20_000 })).rejects.toBeInstanceOf(ExplainRefused);
    const r = await explain(db, { sql, analyze: true, timeoutMs: 20_000, confirm: async () => true });
    expect(r.tree.label).toBe(`Delete on items`);
    expect(r.tree.children[0].actualRows).toBe(100);
    expect(await rows(db, `SELECT count(*)::int AS n FROM ${schema}.items`)).toEqual([{ n: 3000 }]);
  });
});

import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings, flagged } from '../helpers';

const db = fixOnDb();

const RULE = 'reindex-concurrently';

describe(RULE, () => {
  it.each([
    ['REINDEX INDEX idx_vec;', 'REINDEX INDEX'],
    ['reindex table app.sessions;', 'reindex table'],
    ['REINDEX (VERBOSE) SCHEMA app;', 'REINDEX (VERBOSE) SCHEMA'],
    ['REINDEX DATABASE app;', 'REINDEX DATABASE'],
  ])('fires on %s', (sql, text) => {
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe('warning');
  });

  it.each([
    'REINDEX INDEX CONCURRENTLY idx_vec;',
    'REINDEX (VERBOSE) TABLE CONCURRENTLY app.sessions;',
    'REINDEX SYSTEM app;',
    "SELECT 'REINDEX INDEX x';",
    '-- REINDEX INDEX x\nSELECT 1;',
    // System catalogs cannot be reindexed concurrently (postgres-regress reindex_catalog.sql).
    'REINDEX TABLE pg_class;',
    'REINDEX INDEX pg_class_oid_index;',
    'REINDEX TABLE pg_catalog.pg_database;',
    'REINDEX INDEX pg_toast.pg_toast_2619_index;',
    'REINDEX SCHEMA pg_catalog;',
  ])('does not fire on %s', (sql) => {
    expect(findings(sql, RULE)).toEqual([]);
  });

  it('fix adds CONCURRENTLY and keeps the rest byte-identical', () => {
    const sql = 'SELECT 1;\n-- rebuild after bulk load\nREINDEX  INDEX /* hnsw */ idx_vec;\n';
    expect(applyFix(sql, RULE)).toBe('SELECT 1;\n-- rebuild after bulk load\nREINDEX  INDEX CONCURRENTLY /* hnsw */ idx_vec;\n');
  });
});

describe(`${RULE}: transaction blocks and system catalogs`, () => {
  it('inside BEGIN … COMMIT: fires without a fix, and says to move it out', () => {
    const sql = 'BEGIN;\nREINDEX INDEX idx_vec;\nCOMMIT;\nREINDEX INDEX idx_vec;';
    const f = findings(sql, RULE);
    expect(f).toHaveLength(2);
    expect(f[0].fix).toBeUndefined();
    expect(f[0].message).toMatch(/outside the explicit transaction block/);
    expect(f[1].fix).toBeDefined();
  });

  it('PostgreSQL refuses the concurrent form on a system catalog and inside a transaction block', async () => {
    await expect(db.statement('REINDEX TABLE CONCURRENTLY pg_class;', 'REINDEX')).rejects.toThrow(/cannot reindex system catalogs concurrently/);
    await expect(db.statement('REINDEX INDEX CONCURRENTLY pg_class_oid_index;', 'REINDEX')).rejects.toThrow(/concurrently/);
  });
});

describe(`${RULE}: the fix runs on PostgreSQL, outside a transaction block`, () => {
  const SCHEMA = 'CREATE TABLE docs (id int PRIMARY KEY, e vector(3));\nCREATE INDEX idx_vec ON docs USING hnsw (e vector_cosine_ops);\n';
  it.each(['REINDEX  INDEX /* hnsw */ idx_vec;', 'REINDEX TABLE docs;', 'REINDEX (VERBOSE) INDEX idx_vec;'])('%s', async (sql) => {
    const r = await db.check(SCHEMA + sql, RULE);
    expect(r.how).toBe('executed');
    expect(r.statement).toMatch(/CONCURRENTLY/);
  });
});

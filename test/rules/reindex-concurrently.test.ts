import { describe, expect, it } from 'vitest';
import { reindexConcurrently } from '../../server/src/analysis/rules/reindex-concurrently';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'reindex-concurrently';

ruleTester(reindexConcurrently, {
  valid: [
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
  ],
  invalid: [
    { code: 'REINDEX INDEX idx_vec;', errors: [{ text: 'REINDEX INDEX', severity: 'warning' }], output: 'REINDEX INDEX CONCURRENTLY idx_vec;' },
    { code: 'reindex table app.sessions;', errors: [{ text: 'reindex table', severity: 'warning' }], output: 'reindex table CONCURRENTLY app.sessions;' },
    {
      code: 'REINDEX (VERBOSE) SCHEMA app;',
      errors: [{ text: 'REINDEX (VERBOSE) SCHEMA', severity: 'warning' }],
      output: 'REINDEX (VERBOSE) SCHEMA CONCURRENTLY app;',
    },
    { code: 'REINDEX DATABASE app;', errors: [{ text: 'REINDEX DATABASE', severity: 'warning' }], output: 'REINDEX DATABASE CONCURRENTLY app;' },
    {
      name: 'fix adds CONCURRENTLY and keeps the rest byte-identical',
      code: 'SELECT 1;\n-- rebuild after bulk load\nREINDEX  INDEX /* hnsw */ idx_vec;\n',
      errors: [{ line: 3, column: 1, endColumn: 15 }],
      output: 'SELECT 1;\n-- rebuild after bulk load\nREINDEX  INDEX CONCURRENTLY /* hnsw */ idx_vec;\n',
    },
    {
      // The concurrent form fails inside a transaction block: the statement has to move out, so no quick fix there.
      name: 'inside BEGIN … COMMIT: fires without a fix, and says to move it out',
      code: 'BEGIN;\nREINDEX INDEX idx_vec;\nCOMMIT;\nREINDEX INDEX idx_vec;',
      errors: [
        { line: 2, messageId: 'inTransactionBlock', message: /outside the explicit transaction block/ },
        { line: 4, messageId: 'notConcurrent' },
      ],
      output: 'BEGIN;\nREINDEX INDEX idx_vec;\nCOMMIT;\nREINDEX INDEX CONCURRENTLY idx_vec;',
    },
  ],
});

describe(`${RULE}: transaction blocks and system catalogs`, () => {
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

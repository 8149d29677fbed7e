import { describe, expect, it } from 'vitest';
import { orderedDdl } from '../../server/src/analysis/ddl-order';
import { ParsedFile } from '../../server/src/analysis/parse';
import { parseSql } from '../../server/src/analysis/pg';

const files = (map: Record<string, string>) => Object.entries(map).map(([p, t]) => new ParsedFile(p, t));

describe('orderedDdl', () => {
  it('orders the workspace DDL so that each statement finds what it needs', () => {
    const ddl = orderedDdl(
      files({
        'a/indexes.sql': 'CREATE INDEX i ON app.orders (tenant_id, created_at);\nCREATE POLICY p ON app.orders USING (true);',
        'b/orders.sql':
          "CREATE TABLE app.orders_2025 PARTITION OF app.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n" +
          'CREATE TABLE app.orders (tenant_id text, id int, customer int REFERENCES app.customers (id), created_at timestamptz, status app.status) PARTITION BY RANGE (created_at);\n' +
          'SELECT * FROM app.orders;\nINSERT INTO app.customers VALUES (1);',
        'c/customers.sql': 'CREATE TABLE app.customers (id int PRIMARY KEY);\nALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;',
        'd/types.sql': "CREATE TYPE app.status AS ENUM ('open', 'done');\nCREATE SCHEMA app;\nCREATE EXTENSION IF NOT EXISTS vector;",
      }),
    );
    expect(ddl.map((d) => `${d.kind} ${d.file}:${d.line}`)).toEqual([
      'CreateSchemaStmt d/types.sql:2',
      'CreateExtensionStmt d/types.sql:3',
      'CreateEnumStmt d/types.sql:1',
      'CreateStmt c/customers.sql:1',
      'CreateStmt b/orders.sql:2',
      'CreateStmt b/orders.sql:1',
      'AlterTableStmt c/customers.sql:2',
      'IndexStmt a/indexes.sql:1',
      'CreatePolicyStmt a/indexes.sql:2',
    ]);
    // Queries and data are not schema; every statement is text the parser accepts.
    expect(ddl.some((d) => /SELECT|INSERT/.test(d.text))).toBe(false);
    for (const d of ddl) expect(parseSql(d.text).ok).toBe(true);
  });

  it('terminates on tables that reference each other in a cycle, each once', () => {
    const ddl = orderedDdl(files({ 'x.sql': 'CREATE TABLE a (id int, b int REFERENCES b);\nCREATE TABLE b (id int, a int REFERENCES a);' }));
    expect(ddl.map((d) => d.line).sort((a, b) => a - b)).toEqual([1, 2]);
  });
});

describe('orderedDdl: migration order', () => {
  it('declares in version order (V10 after V9), so a later ALTER applies after the earlier one', () => {
    const ddl = orderedDdl(
      files({
        'm/V10__b.sql': 'ALTER TABLE t ALTER COLUMN x TYPE bigint;',
        'm/V9__a.sql': 'ALTER TABLE t ALTER COLUMN x TYPE text;',
        'm/V1__t.sql': 'CREATE TABLE t (x int);',
      }),
    );
    expect(ddl.map((d) => d.file)).toEqual(['m/V1__t.sql', 'm/V9__a.sql', 'm/V10__b.sql']);
  });
});

/**
 * Compare with Fix: what is compared (the pure part, from real lint findings), and the measurement on the embedded
 * database and on the PostgreSQL server — the fixed plan reads fewer rows, the page is the same, and nothing the
 * fixed run built (its index) is left behind. The setup option of EXPLAIN refuses anything but one CREATE INDEX.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../database/connection/embedded';
import type { Database } from '../../database/connection/types';
import { compareFix } from '../../database/explain/compare';
import { explain, ExplainUnsupported, type ConfirmRequest } from '../../database/explain/run';
import { comparisonFor, type FixComparison } from '../../server/src/analysis/compare-fix';
import { lintSources } from '../../server/src/analysis/engine';
import { initEmbedded } from '../../server/src/analysis/host/index';
import { initParser } from '../../server/src/analysis/pg';
import { openTestServer, q, uniqueSchema } from '../db/helpers';

const schemaSql = (s: string) => `
CREATE TABLE ${s}.sessions (
    session_id  bigint PRIMARY KEY,
    tenant_id   text NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX sessions_status_idx ON ${s}.sessions (status);
`;
const QUERIES = (s: string) => `SELECT * FROM ${s}.sessions
WHERE tenant_id = $1
ORDER BY created_at DESC
LIMIT 50 OFFSET $2;

SELECT session_id, status
FROM ${s}.sessions
WHERE status = 'active' OR status = 'idle' OR status = 'expired';
`;
/** 20,000 sessions, 20 tenants (tenant_1 the biggest), distinct timestamps (no ties in the sort key). */
const rowsSql = (s: string) => `
INSERT INTO ${s}.sessions
SELECT g, 'tenant_' || (1 + (g % 7) * (g % 3)), (ARRAY['active','idle','expired','closed'])[1 + g % 4],
       timestamptz '2025-01-01' + g * interval '1 minute'
  FROM generate_series(1, 20000) g;
ANALYZE ${s}.sessions;`;

beforeAll(async () => {
  await initParser();
  await initEmbedded();
});

function comparisonOf(schema: string, ruleId: string, queries = QUERIES(schema), path = 'queries.sql'): ReturnType<typeof comparisonFor> {
  const result = lintSources([
    { path: 'schema.sql', text: schemaSql(schema) },
    { path, text: queries },
  ]);
  const file = result.files.find((f) => f.file.path === path)!;
  const finding = file.findings.find((f) => f.ruleId === ruleId);
  expect(finding, `${ruleId} in ${JSON.stringify(file.findings.map((f) => f.ruleId))}`).toBeDefined();
  return comparisonFor(file.file, finding!);
}

function ok(r: ReturnType<typeof comparisonFor>): FixComparison {
  if (!r.ok) throw new Error(r.reason);
  return r.comparison;
}

describe('comparisonFor: the statement as written and as fixed', () => {
  it('keyset pagination: the fixed statement, and the query of the previous page’s last row', () => {
    const c = ok(comparisonOf('app', 'offset-pagination'));
    expect(c.before).toBe('SELECT * FROM app.sessions\nWHERE tenant_id = $1\nORDER BY created_at DESC\nLIMIT 50 OFFSET $2');
    expect(c.after).toBe('SELECT * FROM app.sessions\nWHERE tenant_id = $1 AND created_at < $2\nORDER BY created_at DESC\nLIMIT 50');
    expect(c.lastRow).toEqual({
      sql: 'SELECT (created_at)::text AS pgperf_key_1 FROM app.sessions\nWHERE tenant_id = $1\nORDER BY created_at DESC\nLIMIT LEAST(1, 50) OFFSET ($2) - 1',
      params: [2],
    });
    expect(c.setup).toEqual([]);
    expect([c.beforeParams, c.afterParams]).toEqual([2, 2]);
  });

  it('a missing index: the same statement, with the index built first, without CONCURRENTLY', () => {
    const c = ok(comparisonOf('app', 'missing-index'));
    expect(c.after).toBe(c.before);
    expect(c.setup).toEqual(['CREATE INDEX sessions_tenant_id_created_at_idx ON app.sessions (tenant_id, created_at)']);
    expect(c.lastRow).toBeUndefined();
  });

  it('an OR chain: the rewritten statement, same parameters', () => {
    const c = ok(comparisonOf('app', 'or-chain'));
    expect(c.after).toContain("status = ANY(ARRAY['active', 'idle', 'expired'])");
    expect(c.setup).toEqual([]);
  });

  it('a finding on DDL has nothing to time: the reason says so', () => {
    const r = comparisonOf('app', 'create-index-concurrently', 'CREATE INDEX ON app.sessions (created_at);', 'migrations/002_index.sql');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/on CREATE INDEX, not on a query/);
  });

  it('a query inside a TypeScript template literal is compared as its SQL', () => {
    const ts = [
      "import { Pool } from 'pg';",
      'const pool = new Pool();',
      'export const page = (t: string, n: number) =>',
      '  pool.query(`SELECT session_id FROM app.sessions WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 20 OFFSET $2`, [t, n]);',
    ].join('\n');
    const c = ok(comparisonOf('app', 'offset-pagination', ts, 'src/page.ts'));
    expect(c.before).toBe('SELECT session_id FROM app.sessions WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 20 OFFSET $2');
    expect(c.after).toBe('SELECT session_id FROM app.sessions WHERE tenant_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT 20');
  });
});

describe('EXPLAIN setup statements are one CREATE INDEX, nothing else', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbedded({});
    await q(db, 'CREATE TABLE t (x int)');
  }, 60_000);
  afterAll(async () => db?.close());

  it.each([['DROP TABLE t'], ['CREATE INDEX CONCURRENTLY t_x ON t (x)'], ['CREATE INDEX t_x ON t (x); DROP TABLE t'], ['SELECT pg_catalog.pg_sleep(0)']])(
    'refuses %s and runs nothing',
    async (setup) => {
      await expect(explain(db, { sql: 'SELECT * FROM t', analyze: true, timeoutMs: 5_000, setup: [setup] })).rejects.toBeInstanceOf(ExplainUnsupported);
      expect((await q(db, "SELECT count(*)::int AS n FROM pg_class WHERE relname = 't'")).rows[0]!.n).toBe(1);
    },
  );
});

/** Indexes of the schema's tables, by name: what must be the same before and after a comparison. */
async function indexes(db: Database, schema: string): Promise<string[]> {
  return (await q(db, 'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1', [schema])).rows.map((r) => String(r.indexname));
}

function measured(kind: string, open: () => Promise<Database>, schema: string) {
  describe(`compareFix on ${kind}`, () => {
    let db: Database;
    let before: string[];
    beforeAll(async () => {
      db = await open();
      await q(db, `CREATE SCHEMA ${schema}`);
      for (const st of `${schemaSql(schema)}${rowsSql(schema)}`.split(';').filter((s) => s.trim())) await q(db, st);
      before = await indexes(db, schema);
    }, 120_000);
    afterAll(async () => {
      await q(db, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await db?.close();
    });

    it('a missing index: the fixed run uses it and reads fewer rows; the index is gone afterwards', async () => {
      const asked: ConfirmRequest[] = [];
      const o = await compareFix(db, ok(comparisonOf(schema, 'missing-index')), {
        params: ['tenant_1', '500'],
        timeoutMs: 30_000,
        confirm: async (r) => (asked.push(r), true),
      });
      expect(o.changes.join('\n')).toMatch(/Seq Scan on sessions → Index Scan.* using sessions_tenant_id_created_at_idx/);
      expect(o.after.rowsScanned).toBeLessThan(o.before.rowsScanned);
      expect(o.notes.join('\n')).toContain('both return the same 50 rows');
      // On a server the build holds writes to the table until the rollback: it is asked for; never on the embedded database.
      expect(asked.some((r) => r.reasons.some((x) => x.startsWith('builds CREATE INDEX sessions_tenant_id_created_at_idx')))).toBe(
        kind !== 'the embedded database',
      );
      expect(await indexes(db, schema)).toEqual(before);
    }, 60_000);

    it('keyset pagination: the last row of the previous page is read from the data, and the page is the same', async () => {
      const o = await compareFix(db, ok(comparisonOf(schema, 'offset-pagination')), { params: ['tenant_1', '2000'], timeoutMs: 30_000 });
      expect(o.notes.join('\n')).toMatch(/\$2 = "2025-/);
      expect(o.notes.join('\n')).toContain('both return the same 50 rows');
      expect(o.after.params[1]).toMatch(/^2025-/);
      // No index leads with the sort key here: both sides read the whole table, and the keyset one sorts only
      // the rows before the last one (the scan's filter keeps fewer).
      expect(o.after.rowsScanned).toBe(o.before.rowsScanned);
      const scanned = (r: typeof o.before) => r.result.nodes.find((n) => n.nodeType === 'Seq Scan')!.actualRows!;
      expect(scanned(o.after)).toBeLessThan(scanned(o.before));
      expect(o.before.executionMs).toHaveLength(3);
      expect(o.speedup).toBeGreaterThan(0);
    }, 60_000);

    it('a LIMIT that is a parameter too (LIMIT $2 OFFSET $3), and a NULL tenant: the page of every tenant', async () => {
      const sql = `SELECT session_id FROM ${schema}.sessions WHERE (tenant_id = $1 OR $1 IS NULL) ORDER BY created_at DESC LIMIT $2 OFFSET $3;\n`;
      const c = ok(comparisonOf(schema, 'offset-pagination', sql));
      expect(c.lastRow?.sql).toContain('LIMIT LEAST(1, $2) OFFSET ($3) - 1');
      const o = await compareFix(db, c, { params: [null, '20', '5000'], timeoutMs: 30_000, runs: 1 });
      expect(o.notes.join('\n')).toContain('both return the same 20 rows');
      expect(o.after.sql).toContain('AND created_at < $3');
    }, 60_000);

    it('an offset past the data is a clear error, not an empty comparison', async () => {
      await expect(compareFix(db, ok(comparisonOf(schema, 'offset-pagination')), { params: ['tenant_1', '900000'], timeoutMs: 30_000 })).rejects.toThrow(
        /past the last row/,
      );
    }, 60_000);

    it('missing values for the parameters: refused before anything runs', async () => {
      await expect(compareFix(db, ok(comparisonOf(schema, 'offset-pagination')), { params: ['tenant_1'], timeoutMs: 30_000 })).rejects.toThrow(
        /needs values for \$1…\$2/,
      );
    });
  });
}

measured('the embedded database', () => openEmbedded({}), 'cmp_embedded');
measured('the PostgreSQL server', openTestServer, uniqueSchema('pgperf_cmp'));

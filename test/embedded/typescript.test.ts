import { beforeAll, describe, expect, it } from 'vitest';
import { applyEdits } from '../../server/src/analysis/fix';
import { hostErrorCount, initEmbedded } from '../../server/src/analysis/host';
import { applyHostFix, at, config, findingOn, lintWorkspace, placed, type Workspace } from './helpers';

beforeAll(() => initEmbedded());

/** The shop's migrations: a tenant table with RLS and a range-partitioned event log. */
const SCHEMA = [
  'CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);',
  '',
  'CREATE TABLE orders (',
  '  tenant_id uuid NOT NULL REFERENCES tenants (id),',
  '  id bigint GENERATED ALWAYS AS IDENTITY,',
  '  status text NOT NULL,',
  '  total_cents bigint NOT NULL,',
  '  created_at timestamptz NOT NULL DEFAULT now(),',
  '  PRIMARY KEY (tenant_id, id)',
  ');',
  'ALTER TABLE orders ENABLE ROW LEVEL SECURITY;',
  "CREATE POLICY orders_tenant ON orders USING (tenant_id = current_setting('app.current_tenant_id')::uuid);",
  '',
  'CREATE TABLE events (',
  '  tenant_id uuid NOT NULL,',
  '  id bigint NOT NULL,',
  '  kind text NOT NULL,',
  '  payload jsonb,',
  '  created_at timestamptz NOT NULL,',
  '  PRIMARY KEY (tenant_id, created_at, id)',
  ') PARTITION BY RANGE (created_at);',
  "CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');",
  'ALTER TABLE events ENABLE ROW LEVEL SECURITY;',
  "CREATE POLICY events_tenant ON events USING (tenant_id = current_setting('app.current_tenant_id')::uuid);",
  '',
].join('\n');

/** node-postgres and postgres.js in one repository module. */
const ORDERS = [
  "import { Pool } from 'pg';",
  "import postgres from 'postgres';",
  '',
  'const pool = new Pool({ connectionString: process.env.DATABASE_URL });',
  'const sql = postgres(process.env.DATABASE_URL!);',
  '',
  'export interface OrderRow { id: string; status: string; total_cents: number }',
  '',
  "// The admin table pages through a tenant's orders.",
  'export async function listOrders(tenantId: string, page: number): Promise<OrderRow[]> {',
  '  const { rows } = await pool.query<OrderRow>(',
  '    `SELECT id, status, total_cents',
  '       FROM orders',
  '      WHERE tenant_id = $1',
  '      ORDER BY id',
  '      LIMIT 50 OFFSET $2`,',
  '    [tenantId, page * 50],',
  '  );',
  '  return rows;',
  '}',
  '',
  'export function openOrders(tenantId: string) {',
  '  return sql<OrderRow>`',
  '    SELECT id, status, total_cents FROM orders',
  '     WHERE tenant_id = ${tenantId}',
  "       AND (status = 'new' OR status = 'paid' OR status = 'packed')`;",
  '}',
  '',
  'export function recentEvents(tenantId: string, limit: number) {',
  '  return sql`SELECT kind, payload FROM events WHERE tenant_id = ${tenantId} ORDER BY id DESC LIMIT ${limit}`;',
  '}',
  '',
  'export function ordersPage(tenantId: string, offset: number) {',
  '  return sql`SELECT id FROM orders WHERE tenant_id = ${tenantId} ORDER BY id LIMIT 20 OFFSET ${offset}`;',
  '}',
  '',
  'export function archivedPage(tenantId: string) {',
  "  return sql`SELECT id FROM orders WHERE tenant_id = ${tenantId} AND status = 'archived' ORDER BY id LIMIT 20 OFFSET 100`;",
  '}',
  '',
  'export async function cancelStale(tenantId: string) {',
  '  await pool.query("UPDATE orders SET status = \'cancelled\'\\n WHERE tenant_id = $1 AND (\\"status\\" = \'new\' OR \\"status\\" = \'held\')", [tenantId]);',
  '}',
  '',
  "const DAILY_REPORT = 'SELECT kind, count(*) FROM events GROUP BY kind';",
  "const UNPAID = /* sql */ `SELECT id FROM orders WHERE status = 'unpaid' ORDER BY id LIMIT 10 OFFSET 30`;",
  '',
  'export async function fromTable(table: string, col: string) {',
  '  await pool.query(`SELECT id FROM ${table} ORDER BY id LIMIT 10 OFFSET 200`);',
  '  await pool.query(`SELECT id FROM ${table} WHERE ${col} = 1 OR ${col} = 2`);',
  '}',
  '',
  'export async function search(filters: string[], buildQuery: (f: string[]) => string) {',
  "  const where = filters.length ? `WHERE ${filters.join(' AND ')}` : '';",
  "  await pool.query(['SELECT id, kind FROM', 'events', where, 'LIMIT 10 OFFSET 500'].join(' '));",
  '  const text = buildQuery(filters);',
  '  await pool.query(text);',
  '}',
  '',
  'export async function retention(tenantId: string) {',
  '  // pgperf-ignore partition-range-missing: retention reads every partition on purpose',
  "  await pool.query('DELETE FROM events WHERE tenant_id = $1 AND kind = $2', [tenantId, 'debug']);",
  '  // pgperf-ignore offset-pagination: nothing here pages',
  "  await pool.query('SELECT id FROM orders WHERE tenant_id = $1 ORDER BY id LIMIT 10', [tenantId]);",
  "  await pool.query('SELECT id, FROM orders WHERE tenant_id = $1', [tenantId]);",
  '  return { DAILY_REPORT, UNPAID };',
  '}',
  '',
].join('\n');

/** Kysely, Prisma: a reporting module. */
const REPORTS = [
  "import { sql, type Kysely } from 'kysely';",
  "import { PrismaClient } from '@prisma/client';",
  "import type { DB } from './db';",
  '',
  'const prisma = new PrismaClient();',
  '',
  'export async function topKinds(db: Kysely<DB>, since: Date) {',
  '  const { rows } = await sql<{ kind: string; n: number }>`',
  '    SELECT kind, count(*) AS n',
  '      FROM events',
  '     WHERE created_at >= ${since}',
  '     GROUP BY kind',
  '     ORDER BY n DESC`.execute(db);',
  '  return rows;',
  '}',
  '',
  'export function tenantOrders(tenantId: string, skip: number) {',
  '  return prisma.$queryRaw`SELECT id, status FROM orders WHERE tenant_id = ${tenantId}::uuid ORDER BY id LIMIT 25 OFFSET 75`;',
  '}',
  '',
  'export function purgeEvents() {',
  "  return prisma.$executeRaw`DELETE FROM events WHERE kind = 'heartbeat'`;",
  '}',
  '',
  'export function byStatus(a: string, b: string) {',
  "  return prisma.$queryRawUnsafe('SELECT id FROM orders WHERE status = $1 OR status = $2 OR status = $3', a, b, 'void');",
  '}',
  '',
  'export function auditTrail(tenantId: string) {',
  "  return prisma.$queryRawUnsafe('SELECT actor, action FROM audit_log WHERE tenant_id = $1::uuid', tenantId);",
  '}',
  '',
].join('\n');

/** A TypeORM migration: the audit log exists only here, in strings. */
const TYPEORM_MIGRATION = [
  "import { MigrationInterface, QueryRunner } from 'typeorm';",
  '',
  'export class AuditLog1700000000000 implements MigrationInterface {',
  "  name = 'AuditLog1700000000000';",
  '',
  '  public async up(queryRunner: QueryRunner): Promise<void> {',
  '    await queryRunner.query(`',
  '      CREATE TABLE audit_log (',
  '        tenant_id uuid NOT NULL,',
  '        id bigint NOT NULL,',
  '        actor text NOT NULL,',
  '        action text NOT NULL,',
  '        at timestamptz NOT NULL,',
  '        PRIMARY KEY (tenant_id, at, id)',
  '      ) PARTITION BY RANGE (at)`);',
  '    await queryRunner.query(`ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY`);',
  "    await queryRunner.query(`CREATE POLICY audit_tenant ON audit_log USING (tenant_id = current_setting('app.current_tenant_id')::uuid)`);",
  '  }',
  '',
  '  public async down(queryRunner: QueryRunner): Promise<void> {',
  '    await queryRunner.query(`DROP TABLE audit_log`);',
  '  }',
  '}',
  '',
].join('\n');

const WS: Workspace = {
  'migrations/001_init.sql': SCHEMA,
  'src/orders.ts': ORDERS,
  'src/reports.ts': REPORTS,
  'src/migrations/1700000000000-AuditLog.ts': TYPEORM_MIGRATION,
};

describe('TypeScript: a shop service linted with its migrations', () => {
  it('the schema itself is clean (RLS on the tenant tables)', () => {
    expect(placed(WS, 'migrations/001_init.sql')).toEqual([]);
    expect(placed(WS, 'src/migrations/1700000000000-AuditLog.ts')).toEqual([]);
  });

  it('node-postgres and postgres.js: exact findings at their host positions', () => {
    const src = ORDERS;
    expect(placed(WS, 'src/orders.ts')).toEqual([
      // pool.query<Row>(`…`) over several indented lines
      at(src, 'offset-pagination', 'OFFSET $2'),
      // sql<T>`…` (postgres.js); ${tenantId} is a parameter, the OR chain is plain SQL
      at(src, 'or-chain', "status = 'new' OR status = 'paid' OR status = 'packed'"),
      // no range on events.created_at
      at(src, 'partition-range-missing', 'events', 'SELECT kind, payload'),
      // `OFFSET ${offset}`: the tag's parameter is a value, the OFFSET is the query's
      at(src, 'offset-pagination', 'OFFSET ${offset}'),
      at(src, 'offset-pagination', 'OFFSET 100'),
      // after a \n escape and with \" escapes: the range covers the host source
      at(src, 'or-chain', '\\"status\\" = \'new\' OR \\"status\\" = \'held\''),
      // the keyword fallback
      at(src, 'partition-range-missing', 'events', "DAILY_REPORT = '"),
      // a /* sql */ marker
      at(src, 'offset-pagination', 'OFFSET 30'),
      // FROM ${table}: a name placeholder, no syntax-error; the OFFSET is still the query's
      at(src, 'offset-pagination', 'OFFSET 200'),
      at(src, 'unused-suppression', '// pgperf-ignore offset-pagination: nothing here pages'),
      at(src, 'syntax-error', 'FROM', "pool.query('SELECT id, ^FROM"),
    ]);
  });

  it('a syntax error in a string without holes is one finding that names the problem', () => {
    const errors = lintWorkspace(WS).filter((f) => f.ruleId === 'syntax-error');
    expect(errors).toHaveLength(1);
    expect(errors[0].file).toBe('src/orders.ts');
    expect(errors[0].message).toMatch(/FROM/);
  });

  it('Kysely sql<T>``, Prisma $queryRaw``, $executeRaw``, $queryRawUnsafe; DDL from a TypeORM migration feeds the catalog', () => {
    const src = REPORTS;
    expect(placed(WS, 'src/reports.ts')).toEqual([
      at(src, 'offset-pagination', 'OFFSET 75'),
      at(src, 'partition-range-missing', 'events', 'DELETE FROM'),
      at(src, 'or-chain', 'status = $1 OR status = $2 OR status = $3'),
      // audit_log is range-partitioned by `at` only in the TypeORM migration (a .ts file), down() notwithstanding
      at(src, 'partition-range-missing', 'audit_log'),
    ]);
    expect(findingOn(WS, 'src/reports.ts', 'partition-range-missing', 'audit_log').message).toContain('1700000000000-AuditLog.ts');
  });

  it('without the keyword fallback only API calls, tags and the /* sql */ marker are read', () => {
    const cfg = config();
    cfg.embedded = { ...cfg.embedded, keywordFallback: false };
    const found = placed(WS, 'src/orders.ts', cfg);
    expect(found).toContain(at(ORDERS, 'offset-pagination', 'OFFSET 30'));
    expect(found).not.toContain(at(ORDERS, 'partition-range-missing', 'events', "DAILY_REPORT = '"));
  });

  it('the host comment suppresses the DELETE on events and nothing else', () => {
    const all = lintWorkspace(WS).filter((f) => f.file === 'src/orders.ts');
    const deleteAt = ORDERS.indexOf('DELETE FROM events');
    expect(all.filter((f) => f.start >= deleteAt && f.start < deleteAt + 60)).toEqual([]);
    const unused = all.find((f) => f.ruleId === 'unused-suppression')!;
    expect(unused.message).toContain('offset-pagination');
  });
});

describe('TypeScript fixes', () => {
  it('the unused // suppression is removed with its comment marker, the line gone', () => {
    const unused = findingOn(WS, 'src/orders.ts', 'unused-suppression', '// pgperf-ignore offset-pagination: nothing here pages');
    const fixed = applyEdits(ORDERS, unused.fix!.edits);
    expect(fixed).toBe(ORDERS.replace('  // pgperf-ignore offset-pagination: nothing here pages\n', ''));
    expect(hostErrorCount('src/orders.ts', fixed)).toBe(0);
  });

  it('keyset fix inside a multi-line pool.query template literal: host still parses, rule gone, SQL parses', () => {
    const fixed = applyHostFix(WS, 'src/orders.ts', 'offset-pagination', 'OFFSET $2');
    // the edit stayed inside the template literal, its indentation and the next argument intact
    expect(fixed).toContain('      WHERE tenant_id = $1');
    expect(fixed).toContain('    [tenantId, page * 50],');
    expect(fixed).not.toContain('OFFSET $2');
  });

  it('or-chain fix inside a tagged template keeps ${tenantId} intact', () => {
    const fixed = applyHostFix(WS, 'src/orders.ts', 'or-chain', "status = 'new' OR status = 'paid' OR status = 'packed'");
    expect(fixed).toContain('     WHERE tenant_id = ${tenantId}\n');
    expect(fixed).not.toContain("status = 'new' OR");
  });

  it('or-chain fix in a double-quoted string with escapes: written with the same escapes', () => {
    const fixed = applyHostFix(WS, 'src/orders.ts', 'or-chain', '\\"status\\" = \'new\' OR \\"status\\" = \'held\'');
    const line = fixed.split('\n').find((l) => l.includes('cancelled'))!;
    expect(line).toMatch(/^ {2}await pool\.query\("UPDATE orders SET status = 'cancelled'\\n WHERE tenant_id = \$1 AND \(.*\)", \[tenantId\]\);$/);
  });

  it("no keyset fix in a tagged template: a new $n would not be the tag's parameter", () => {
    expect(findingOn(WS, 'src/orders.ts', 'offset-pagination', 'OFFSET 100').fix).toBeUndefined();
    expect(findingOn(WS, 'src/reports.ts', 'offset-pagination', 'OFFSET 75').fix).toBeUndefined();
  });
});

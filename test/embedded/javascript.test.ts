import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { at, findingOn, lintWorkspace, placed, type Workspace } from './helpers';

beforeAll(() => initEmbedded());

/** A notification service: the partitioned log is in .sql, the sessions table only in a knex migration. */
const SCHEMA = [
  'CREATE TABLE notifications (',
  '  tenant_id uuid NOT NULL,',
  '  id bigint NOT NULL,',
  '  channel text NOT NULL,',
  '  sent_at timestamptz NOT NULL,',
  '  body text,',
  '  PRIMARY KEY (tenant_id, sent_at, id)',
  ') PARTITION BY RANGE (sent_at);',
  'ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;',
  "CREATE POLICY notifications_tenant ON notifications USING (tenant_id = current_setting('app.current_tenant_id')::uuid);",
  '',
].join('\n');

const KNEX_MIGRATION = [
  "'use strict';",
  '',
  '/** @param {import("knex").Knex} knex */',
  'exports.up = async function up(knex) {',
  '  await knex.raw(`',
  '    CREATE TABLE sessions (',
  '      tenant_id uuid NOT NULL,',
  '      id uuid NOT NULL,',
  '      user_id bigint NOT NULL,',
  '      started_at timestamptz NOT NULL,',
  '      PRIMARY KEY (tenant_id, started_at, id)',
  '    ) PARTITION BY RANGE (started_at)',
  '  `);',
  "  await knex.raw('ALTER TABLE sessions ENABLE ROW LEVEL SECURITY');",
  '  await knex.raw("CREATE POLICY sessions_tenant ON sessions USING (tenant_id = current_setting(\'app.current_tenant_id\')::uuid)");',
  '};',
  '',
  "exports.down = (knex) => knex.raw('DROP TABLE sessions');",
  '',
].join('\n');

/** CommonJS with node-postgres and Slonik. */
const NOTIFY = [
  "'use strict';",
  "const { Pool } = require('pg');",
  "const { sql } = require('slonik');",
  '',
  'const pool = new Pool();',
  '',
  'async function inbox(tenantId, page) {',
  '  const { rows } = await pool.query(',
  "    'SELECT id, channel, body FROM notifications ' +",
  "      'WHERE tenant_id = $1 AND sent_at > now() - interval \\'7 days\\' ' +",
  "      'ORDER BY sent_at DESC LIMIT 20 OFFSET $2',",
  '    [tenantId, page * 20],',
  '  );',
  '  return rows;',
  '}',
  '',
  'async function byChannel(tenantId) {',
  '  const { rows } = await pool.query({',
  "    text: \"SELECT id FROM notifications WHERE tenant_id = $1 AND sent_at > $2 AND (channel = 'sms' OR channel = 'push')\",",
  '    values: [tenantId, new Date(Date.now() - 864e5)],',
  '  });',
  '  return rows;',
  '}',
  '',
  'async function failed(slonik, tenantId) {',
  '  return slonik.any(sql`SELECT id FROM notifications WHERE tenant_id = ${tenantId} AND body IS NULL`);',
  '}',
  '',
  'async function digest(tenantId) {',
  "  await pool.query('SET statement_timeout = 5000');",
  '  // pgperf-ignore partition-range-missing: the weekly digest reads all of it',
  "  return pool.query('SELECT channel, count(*) FROM notifications WHERE tenant_id = $1 GROUP BY channel', [tenantId]);",
  '}',
  '',
  'async function unicode(tenantId) {',
  "  // \\u00e9 and \\t are one SQL character each: the columns after them are the host's",
  "  return pool.query('SELECT id FROM notifications WHERE body = \\'caf\\u00e9\\'\\tAND sent_at > $2 AND (channel = $1 OR channel = \\'fax\\')', [tenantId]);",
  '}',
  '',
  'async function inString(tenantId) {',
  '  return pool.query(`',
  '    -- pgperf-ignore partition-range-missing: admin export',
  '    SELECT * FROM notifications WHERE tenant_id = $1`, [tenantId]);',
  '}',
  '',
  'async function dynamic(columns, filters) {',
  "  const parts = ['SELECT', columns.join(', '), 'FROM notifications'];",
  "  if (filters.length) parts.push('WHERE ' + filters.join(' AND '));",
  "  await pool.query(parts.join(' '));",
  '  const query = buildSelect(columns, filters);',
  '  return pool.query(query);',
  '}',
  '',
  'module.exports = { inbox, byChannel, failed, digest, unicode, inString, dynamic };',
  '',
].join('\n');

/** Drizzle's sql`` in an ES module, on the table the knex migration made. */
const STATS = [
  "import { sql } from 'drizzle-orm';",
  "import { db } from './db.mjs';",
  '',
  'export async function sessionsPerDay(tenantId) {',
  "  return db.execute(sql`SELECT date_trunc('day', started_at) AS day, count(*) FROM sessions WHERE tenant_id = ${tenantId} GROUP BY 1`);",
  '}',
  '',
  'export async function lastWeek(tenantId) {',
  "  return db.execute(sql`SELECT user_id FROM sessions WHERE tenant_id = ${tenantId} AND started_at >= now() - interval '7 days'`);",
  '}',
  '',
].join('\n');

const WS: Workspace = {
  'db/schema.sql': SCHEMA,
  'migrations/20250101120000_sessions.js': KNEX_MIGRATION,
  'src/notify.js': NOTIFY,
  'src/stats.mjs': STATS,
};

describe('JavaScript: node-postgres, Slonik, Drizzle, knex', () => {
  it('the schema and the knex migration are clean', () => {
    expect(placed(WS, 'db/schema.sql')).toEqual([]);
    expect(placed(WS, 'migrations/20250101120000_sessions.js')).toEqual([]);
  });

  it('exact findings in a CommonJS module', () => {
    const src = NOTIFY;
    expect(placed(WS, 'src/notify.js')).toEqual([
      // three concatenated literals: OFFSET is in the third one, on its own host line
      at(src, 'offset-pagination', 'OFFSET $2'),
      // query({ text: "…" }): the keyword fallback
      at(src, 'or-chain', "channel = 'sms' OR channel = 'push'"),
      // Slonik sql``: no range on sent_at
      at(src, 'partition-range-missing', 'notifications', 'sql`SELECT id FROM '),
      // \u00e9 (6 host characters) and \t (2) before the OR chain
      at(src, 'or-chain', "channel = $1 OR channel = \\'fax\\'"),
    ]);
  });

  it('DDL in a knex migration feeds the catalog: the partition rule fires in another file', () => {
    expect(placed(WS, 'src/stats.mjs')).toEqual([at(STATS, 'partition-range-missing', 'sessions', 2)]);
    expect(findingOn(WS, 'src/stats.mjs', 'partition-range-missing', 'sessions').message).toContain('20250101120000_sessions.js');
  });

  it('without the migration the same file is clean (the finding came from the .js DDL)', () => {
    const { 'migrations/20250101120000_sessions.js': _, ...rest } = WS;
    expect(placed(rest, 'src/stats.mjs')).toEqual([]);
  });

  it('a // comment and a -- comment inside the string both suppress; nothing is reported unused', () => {
    const all = lintWorkspace(WS).filter((f) => f.file === 'src/notify.js');
    expect(all.filter((f) => f.ruleId === 'unused-suppression')).toEqual([]);
    const digest = NOTIFY.indexOf('GROUP BY channel');
    const exportAt = NOTIFY.indexOf('SELECT * FROM notifications');
    expect(all.filter((f) => Math.abs(f.start - digest) < 100 || Math.abs(f.start - exportAt) < 40)).toEqual([]);
  });

  it('removing the host comment brings the finding back', () => {
    const text = NOTIFY.replace('  // pgperf-ignore partition-range-missing: the weekly digest reads all of it\n', '');
    const ws = { ...WS, 'src/notify.js': text };
    expect(placed(ws, 'src/notify.js')).toContain(at(text, 'partition-range-missing', 'notifications', 'SELECT channel, count(*)'));
  });

  it('a query joined at run time is skipped', () => {
    const all = lintWorkspace(WS).filter((f) => f.file === 'src/notify.js');
    const dyn = NOTIFY.indexOf('async function dynamic');
    expect(all.filter((f) => f.start > dyn)).toEqual([]);
  });
});

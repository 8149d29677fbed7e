/**
 * `pgperf lint` on a mixed tree: migrations in .sql, queries in TypeScript, Python, Go and Rust files, linted as
 * one workspace. Positions are checked at the exact line and column of the host file in the text, JSON and SARIF
 * outputs; dependency and build folders are skipped; the `embedded` setting turns a language off. Most runs call
 * the command in this process; one runs the built bundle as a user does (the grammars' WASM beside it).
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostParsersReady } from '../../server/src/analysis/host/grammars';
import { main } from '../../cli/main';
import { run as spawnCli } from './spawn-cli';

async function lint(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['lint', ...args], { out: (s) => (out += s), err: (s) => (err += s), cwd, color: false });
  return { code, out, err };
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const TREE: Record<string, string> = {
  'migrations/001_events.sql': [
    'CREATE TABLE events (',
    '  id bigint NOT NULL,',
    '  kind text NOT NULL,',
    '  created_at timestamptz NOT NULL,',
    '  payload jsonb',
    ') PARTITION BY RANGE (created_at);',
    "CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');",
    "CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');",
    '',
  ].join('\n'),
  'migrations/002_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);\n',
  'src/events.ts': [
    "import { Pool } from 'pg';", // 1
    "import postgres from 'postgres';",
    '',
    'const pool = new Pool();',
    'const sql = postgres();', // 5
    '',
    'export async function recentEvents(kind: string, page: number) {',
    '  const { rows } = await pool.query(',
    '    `SELECT id, kind, created_at',
    '       FROM events', // 10: events at column 13
    '      WHERE kind = $1',
    '      ORDER BY id DESC',
    '      LIMIT 50 OFFSET $2`,', // 13: OFFSET at column 16
    '    [kind, page * 50],',
    '  );', // 15
    '  return rows;',
    '}',
    '',
    'export const lastMonth = (kind: string) =>',
    "  sql`SELECT count(*) FROM events WHERE kind = ${kind} AND created_at >= now() - interval '1 month'`;", // 20: bounded
    '',
  ].join('\n'),
  // DDL in a host string (a TypeORM migration) feeds the same catalog as the .sql files.
  'src/migrations/1700000000000-AuditLog.ts': [
    "import { MigrationInterface, QueryRunner } from 'typeorm';",
    '',
    'export class AuditLog1700000000000 implements MigrationInterface {',
    '  async up(queryRunner: QueryRunner): Promise<void> {',
    '    await queryRunner.query(`CREATE TABLE audit_log (id bigint NOT NULL, actor text NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at)`);',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/util.ts': 'export const add = (a: number, b: number): number => a + b;\n',
  'src/store.rs': [
    'use tokio_postgres::{Client, Error, Row};',
    '',
    'pub async fn events_of_kind(client: &Client, kind: &str) -> Result<Vec<Row>, Error> {',
    '    client',
    '        .query(r#"SELECT id, payload FROM "events" WHERE kind = $1"#, &[&kind])', // 5: "events" at column 43
    '        .await',
    '}',
    '',
  ].join('\n'),
  'app/reports.py': [
    'def monthly_counts(conn, kind):',
    '    with conn.cursor() as cur:',
    '        cur.execute(',
    '            """',
    "            SELECT date_trunc('month', created_at) AS month, count(*)",
    '              FROM events', // 6: events at column 20
    '             WHERE kind = %s',
    '             GROUP BY 1',
    '            """,',
    '            (kind,),',
    '        )',
    '        return cur.fetchall()',
    '',
  ].join('\n'),
  'app/audit.py': [
    'from sqlalchemy import text',
    '',
    '',
    'def actions_of(session, actor):',
    '    return session.execute(text("SELECT id, at FROM audit_log WHERE actor = :actor"), {"actor": actor}).all()', // 5: audit_log at column 53
    '',
  ].join('\n'),
  'cmd/api/main.go': [
    'package main',
    '',
    'import (',
    '\t"context"',
    '\t"database/sql"',
    ')',
    '',
    'func listUsers(ctx context.Context, db *sql.DB, page int) (*sql.Rows, error) {',
    '\treturn db.QueryContext(ctx, `SELECT id, name FROM users ORDER BY created_at, id LIMIT 100 OFFSET $1`, page*100)', // 9: OFFSET at column 92
    '}',
    '',
  ].join('\n'),
  // Dependencies, build output and generated files: each would give a finding if it were read.
  'node_modules/pg-helper/index.js': "module.exports = (pool, n) => pool.query('SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1', [n]);\n",
  'target/debug/build/gen.rs': 'fn q(c: &Client) { c.query("SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1", &[]); }\n',
  'vendor/github.com/acme/db/q.go': 'package db\n\nfunc Q(db *sql.DB) { db.Query(`SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1`, 1) }\n',
  '.venv/lib/python3.12/site-packages/acme/q.py': 'def q(cur):\n    cur.execute("SELECT id FROM events ORDER BY id LIMIT 10 OFFSET %s", (1,))\n',
  'src/api.d.ts':
    'declare function q(pool: unknown): void; // pool.query(\'SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1\')\nexport const Q: "SELECT id FROM events ORDER BY id LIMIT 10 OFFSET 500";\n',
  'public/app.min.js': "pool.query('SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1',[n]);\n",
};

/** The findings a run on TREE must give, `file:line:col rule` (sorted by file as the output is). */
const EXPECTED = [
  'app/audit.py:5:53 partition-range-missing',
  'app/reports.py:6:20 partition-range-missing',
  // Info: users has no index leading with created_at for its ORDER BY … LIMIT page.
  'cmd/api/main.go:9:52 missing-index',
  'cmd/api/main.go:9:92 offset-pagination',
  // Info: events has no index at all, so `kind = $1 ORDER BY id DESC LIMIT` sorts the whole table on every call.
  'src/events.ts:10:13 missing-index',
  'src/events.ts:10:13 partition-range-missing',
  'src/events.ts:13:16 offset-pagination',
  'src/store.rs:5:43 partition-range-missing',
];

const SKIPPED = ['node_modules/', 'target/', 'vendor/', '.venv/', 'api.d.ts', 'app.min.js'];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-host-'));
  write(dir, TREE);
});

describe('pgperf lint on a tree of .sql and host files', () => {
  // First in the file, while nothing else has loaded the grammars in this worker.
  it('a .sql-only run does not load the host grammars', async () => {
    const sqlOnly = mkdtempSync(join(tmpdir(), 'pgperf-cli-sql-only-'));
    write(sqlOnly, { 'q.sql': 'SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 1000;\n' });
    const r = await lint([], sqlOnly);
    expect(r.out).toMatch(/^q\.sql:1:39 warning offset-pagination /);
    expect(hostParsersReady()).toBe(false);
    // A folder of .sql files among host files: only the named folder is read, so still no grammars.
    const migrations = await lint(['migrations'], dir);
    expect(migrations.out).toBe('2 files, 4 statements: 0 errors, 0 warnings, 0 infos\n');
    expect(hostParsersReady()).toBe(false);
  });

  it('text: host-file line:col for every finding, judged against the DDL of migrations/ and of a TypeORM migration', async () => {
    const r = await lint([], dir);
    expect(r.err).toBe('');
    const lines = r.out.trimEnd().split('\n');
    const summary = lines.pop();
    expect(lines.map((l) => l.split(' ').slice(0, 1).concat(l.split(' ')[2]).join(' '))).toEqual(EXPECTED);
    // The partitioning and paging findings are warnings; missing-index is info.
    expect(lines.every((l) => (/ missing-index /.test(l) ? / info / : / warning /).test(l))).toBe(true);
    expect(lines.find((l) => l.startsWith('src/events.ts:10:13 warning partition-range-missing'))).toMatch(
      /public\.events is range-partitioned by created_at \(declared in migrations\/001_events\.sql/,
    );
    expect(lines.find((l) => l.startsWith('app/audit.py:5:53'))).toMatch(
      /public\.audit_log is range-partitioned by "?at"? \(declared in src\/migrations\/1700000000000-AuditLog\.ts/,
    );
    // 2 + 4 files with SQL, the TypeORM migration, util.ts (no SQL); statements: 4 in .sql, 1 DDL, 6 queries.
    expect(summary).toBe('9 files, 11 statements: 0 errors, 6 warnings, 2 infos');
    expect(lines.find((l) => l.startsWith('cmd/api/main.go:9:52'))).toMatch(/Add an index on users \(created_at, id\)/);
    for (const s of SKIPPED) expect(r.out).not.toContain(s);
    expect(r.code).toBe(0);
  });

  it('named paths: `lint src migrations` is one workspace; `lint src` alone has no partitioned events table', async () => {
    const both = await lint(['src', 'migrations'], dir);
    expect(both.out).toMatch(/^src\/events\.ts:10:13 warning partition-range-missing /m);
    expect(both.out).toMatch(/^src\/store\.rs:5:43 warning partition-range-missing /m);
    const alone = await lint(['src'], dir);
    expect(alone.out).not.toMatch(/partition-range-missing/);
    expect(alone.out).toMatch(/^src\/events\.ts:13:16 warning offset-pagination /m);
    // A host file named on the command line, even one an exclude glob would skip.
    const named = await lint(['vendor/github.com/acme/db/q.go'], dir);
    expect(named.out).toMatch(/^vendor\/github\.com\/acme\/db\/q\.go:3:\d+ warning offset-pagination /);
  });

  it('JSON: host positions with ends, and a fix whose edits land inside the TypeScript template literal', async () => {
    const r = await lint(['--format', 'json'], dir);
    const j = JSON.parse(r.out) as {
      summary: Record<string, number>;
      findings: {
        file: string;
        line: number;
        column: number;
        endLine: number;
        endColumn: number;
        ruleId: string;
        fix?: { edits: { start: number; end: number; newText: string }[] };
      }[];
    };
    expect(j.summary).toEqual({ files: 9, statements: 11, error: 0, warning: 6, info: 2 });
    expect(j.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`)).toEqual(EXPECTED);
    const at = (file: string, rule: string) => j.findings.find((f) => f.file === file && f.ruleId === rule)!;
    expect(at('src/events.ts', 'partition-range-missing')).toMatchObject({ line: 10, column: 13, endLine: 10, endColumn: 19 });
    expect(at('src/store.rs', 'partition-range-missing')).toMatchObject({ line: 5, column: 43, endLine: 5, endColumn: 51 });
    expect(at('app/reports.py', 'partition-range-missing')).toMatchObject({ line: 6, column: 20, endLine: 6, endColumn: 26 });
    expect(at('app/audit.py', 'partition-range-missing')).toMatchObject({ line: 5, column: 53, endLine: 5, endColumn: 62 });
    const offset = at('src/events.ts', 'offset-pagination');
    expect(offset.fix?.edits.length).toBeGreaterThan(0);
    const host = TREE['src/events.ts'];
    const open = host.indexOf('`SELECT id, kind');
    const close = host.indexOf('$2`') + 2;
    for (const e of offset.fix!.edits) {
      expect(e.start).toBeGreaterThan(open);
      expect(e.end).toBeLessThanOrEqual(close);
      expect(e.newText).not.toContain('`');
    }
    let fixed = host;
    for (const e of [...offset.fix!.edits].sort((a, b) => b.start - a.start)) fixed = fixed.slice(0, e.start) + e.newText + fixed.slice(e.end);
    expect(fixed).not.toMatch(/OFFSET \$2/);
    // Linted again, the fixed file has no OFFSET finding and no syntax error.
    write(dir, { 'src/events.ts': fixed });
    try {
      const again = await lint(['src/events.ts'], dir);
      expect(again.out).not.toMatch(/offset-pagination|syntax-error/);
    } finally {
      write(dir, { 'src/events.ts': host });
    }
  });

  it('SARIF (the built bundle, as a user runs it): regions in the host files, no result from skipped folders', async () => {
    const r = await spawnCli(['lint', '--format', 'sarif'], dir);
    expect(r.code, r.err).toBe(0);
    type Result = {
      ruleId: string;
      locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[];
    };
    const results = (JSON.parse(r.out) as { runs: { results: Result[] }[] }).runs[0].results;
    const where = results.map((x) => {
      const p = x.locations[0].physicalLocation;
      expect(p.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      return `${p.artifactLocation.uri}:${p.region.startLine}:${p.region.startColumn} ${x.ruleId}`;
    });
    expect(where).toEqual(EXPECTED);
    const region = (uri: string, rule: string) =>
      results.find((x) => x.ruleId === rule && x.locations[0].physicalLocation.artifactLocation.uri === uri)!.locations[0].physicalLocation.region;
    expect(region('app/reports.py', 'partition-range-missing')).toEqual({ startLine: 6, startColumn: 20, endLine: 6, endColumn: 26 });
    expect(region('src/store.rs', 'partition-range-missing')).toEqual({ startLine: 5, startColumn: 43, endLine: 5, endColumn: 51 });
    expect(region('cmd/api/main.go', 'offset-pagination')).toMatchObject({ startLine: 9, startColumn: 92, endLine: 9 });
    expect(region('cmd/api/main.go', 'missing-index')).toEqual({ startLine: 9, startColumn: 52, endLine: 9, endColumn: 57 });
    for (const s of SKIPPED) expect(r.out).not.toContain(s);
  });

  it('`embedded: { languages: { python: false } }` in .pgperf.json drops the Python files and their findings', async () => {
    const noPython = mkdtempSync(join(tmpdir(), 'pgperf-cli-host-nopy-'));
    cpSync(dir, noPython, { recursive: true });
    writeFileSync(join(noPython, '.pgperf.json'), JSON.stringify({ embedded: { languages: { python: false } } }));
    const r = await lint(['--format', 'json'], noPython);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out) as { summary: Record<string, number>; findings: { file: string; line: number; column: number; ruleId: string }[] };
    expect(j.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`)).toEqual(EXPECTED.filter((e) => !e.includes('.py:')));
    expect(j.summary).toEqual({ files: 7, statements: 9, error: 0, warning: 4, info: 2 });
    // `embedded: false` leaves the .sql files alone.
    writeFileSync(join(noPython, '.pgperf.json'), JSON.stringify({ embedded: false }));
    const off = await lint([], noPython);
    expect(off.out).toBe('2 files, 4 statements: 0 errors, 0 warnings, 0 infos\n');
  });

  it('a bad `embedded` value is reported with its path and the defaults apply', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'pgperf-cli-host-bad-'));
    cpSync(dir, bad, { recursive: true });
    writeFileSync(join(bad, '.pgperf.json'), JSON.stringify({ embedded: { languages: { cobol: true } } }));
    const r = await lint([], bad);
    expect(r.err).toMatch(/pgperf: \.pgperf\.json: embedded\.languages.*\(ignored\)/);
    expect(r.out.trimEnd().split('\n').pop()).toBe('9 files, 11 statements: 0 errors, 6 warnings, 2 infos');
  });
});

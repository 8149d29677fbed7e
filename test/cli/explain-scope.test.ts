/**
 * Which DDL `pgperf explain` loads into the embedded database from a repository root: the project's files
 * (include/exclude of its .pgperf.json), not a separate project's (a subfolder with its own .pgperf.json), not
 * test, fixture or build folders — unless nothing else holds DDL. And several CLI processes starting at once on an
 * empty snapshot cache. Real PGlite, the built CLI. Whether a table was loaded is read from an EXPLAIN ANALYZE
 * whose generate_series counts to 2 when it exists and to 1 when it does not.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type Run } from './spawn-cli';

let root: string;

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

const REPO = {
  '.pgperf.json': JSON.stringify({ exclude: ['**/node_modules/**', 'legacy/**'] }),
  'migrations/001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n',
  'migrations/002_users_email.sql': 'CREATE INDEX users_email ON users (email);\n',
  'src/queries.sql': 'SELECT id FROM users WHERE email = $1;\n',
  // Test material: a fixture that re-creates users differently, seed tables, a bundle repeating the SQL.
  'test/fixtures/schema.sql': 'CREATE TABLE users (id text);\nCREATE TABLE fixture_only (a int);\n',
  'tests/seed.sql': 'CREATE TABLE seed_only (a int);\n',
  'dist/bundle.sql': 'CREATE TABLE built_only (a int);\n',
  // Excluded by the project's config, and a separate project with a schema of its own.
  'legacy/old.sql': 'CREATE TABLE legacy_only (a int);\n',
  'tools/report/.pgperf.json': '{}',
  'tools/report/schema.sql': 'CREATE TABLE other_project_only (a int);\n',
};

/** EXPLAIN ANALYZE (JSON) of a statement that returns 2 rows when `table` exists, 1 when not; all start at once on one empty cache. */
const runs = new Map<string, Promise<Run>>();
let cache: string;

function probe(table: string): string[] {
  return ['explain', '--analyze', '--format', 'json', `SELECT * FROM generate_series(1, CASE WHEN to_regclass('${table}') IS NULL THEN 1 ELSE 2 END)`];
}

/** Whether the probe of a run found its table. */
function found(r: Run): boolean {
  expect(r.code, r.err).toBe(0);
  const rows = (JSON.parse(r.out) as { plan: [{ Plan: { 'Actual Rows': number } }] }).plan[0].Plan['Actual Rows'];
  expect([1, 2]).toContain(rows);
  return rows === 2;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pgperf-explain-scope-'));
  cache = join(root, 'cache');
  write(join(root, 'repo'), REPO);
  write(join(root, 'only-tests'), { 'tests/schema.sql': 'CREATE TABLE from_tests (a int);\n' });
  for (const table of ['users', 'fixture_only', 'seed_only', 'built_only', 'legacy_only', 'other_project_only']) {
    runs.set(table, run(probe(table), join(root, 'repo'), { XDG_CACHE_HOME: cache }));
  }
  runs.set('from_tests', run(probe('from_tests'), join(root, 'only-tests'), { XDG_CACHE_HOME: cache }));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('pgperf explain: the DDL it loads from a repository root', () => {
  it("loads the project's migrations (the index too), once each, with no failure", async () => {
    const r = await runs.get('users')!;
    expect(found(r)).toBe(true);
    expect(r.err).toMatch(/loaded 2 of 2 DDL statements from 2 files of the current folder/);
    expect(r.err).not.toMatch(/failed|already exists/);
    expect(r.err).toMatch(/left out the 3 files of test, fixture and build folders \(test\/, tests\/, .*dist\/.*\)/);
    expect(r.err).toMatch(/left out 1 file of separate projects \(subfolders with their own \.pgperf\.json\)/);
  }, 120_000);

  for (const table of ['fixture_only', 'seed_only', 'built_only', 'legacy_only', 'other_project_only']) {
    it(`does not load ${table}`, async () => {
      expect(found(await runs.get(table)!)).toBe(false);
    }, 120_000);
  }

  it('loads the DDL of test folders when nothing else in the folder has any, and says so', async () => {
    const r = await runs.get('from_tests')!;
    expect(found(r)).toBe(true);
    expect(r.err).toMatch(/the DDL is that of test, fixture or build folders .*: the rest of the folder has none/);
    expect(r.err).toMatch(/loaded 1 of 1 DDL statements from 1 file/);
  }, 120_000);

  it('seven processes starting at once on an empty cache leave one whole snapshot and no temporary file', async () => {
    const all = await Promise.all(runs.values());
    expect(all.map((r) => r.code)).toEqual(all.map(() => 0));
    const left = readdirSync(join(cache, 'pgperf'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^pglite-.*\.snapshot$/);
    const again = await run(['explain', 'SELECT 1'], join(root, 'only-tests'), { XDG_CACHE_HOME: cache });
    expect(again.code, again.err).toBe(0);
  }, 120_000);
});

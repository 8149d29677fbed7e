/**
 * `pgperf explain`, run as a user runs it (the built CLI in a child process): against the real PostgreSQL server
 * of the test environment through DATABASE_URL, and against the embedded PGlite default with the DDL of the
 * current folder loaded first. Text and JSON shapes, --file/--line, the --yes rule, and that a write EXPLAIN
 * ANALYZE ran was rolled back (row counts checked on the server).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../database/connection/types';
import { openTestServer, q, TEST_URL, uniqueSchema } from '../db/helpers';
import { run, type Run } from './spawn-cli';

const JSON_KEYS = ['database', 'plan', 'findings'];

function parseJsonOutput(r: Run) {
  const j = JSON.parse(r.out) as {
    database: string;
    plan: { Plan: Record<string, unknown>; 'Execution Time'?: number }[];
    findings: Record<string, unknown>[];
  };
  expect(Object.keys(j)).toEqual(JSON_KEYS);
  expect(Array.isArray(j.plan)).toBe(true);
  for (const f of j.findings) {
    expect(Object.keys(f)).toEqual(['rule', 'node', 'message']);
    for (const v of Object.values(f)) expect(typeof v).toBe('string');
  }
  return j;
}

describe('pgperf explain against the PostgreSQL server (DATABASE_URL)', () => {
  let db: Database;
  let dir: string;
  const schema = uniqueSchema('pgperf_cli');
  const t = `${schema}.events`;
  const url = { DATABASE_URL: TEST_URL };
  const count = async () => Number((await q(db, `SELECT count(*)::int AS n FROM ${t}`)).rows[0].n);

  beforeAll(async () => {
    db = await openTestServer();
    await q(db, `CREATE SCHEMA ${schema}`);
    await q(db, `CREATE TABLE ${t} (id int PRIMARY KEY, kind text NOT NULL, payload text)`);
    await q(db, `INSERT INTO ${t} SELECT g, CASE WHEN g % 1000 = 0 THEN 'rare' ELSE 'common' END, md5(g::text) FROM generate_series(1, 50000) g`);
    await q(db, `ANALYZE ${t}`);
    dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-explain-'));
    writeFileSync(
      join(dir, 'queries.sql'),
      [
        `SELECT count(*) FROM ${t};`, // line 1
        '',
        '-- by id', // line 3
        'SELECT id, kind', // line 4
        `FROM ${t}`, // line 5
        'WHERE id = 42;', // line 6
        `DELETE FROM ${t} WHERE kind = 'rare';`, // line 7
        `SELECT * FROM ${t} WHERE id = $1 AND kind = $2;`, // line 8
      ].join('\n'),
    );
  });

  afterAll(async () => {
    if (!db) return;
    await q(db, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.close();
  });

  it('text: which database, the findings, the indented tree (a seq scan whose filter removes most rows)', async () => {
    const r = await run(['explain', '--analyze', `SELECT * FROM ${t} WHERE kind = 'rare'`], dir, url);
    expect(r.err).toMatch(/database: 127\.0\.0\.1:5432\/test \(from DATABASE_URL\)/);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('Database: 127.0.0.1:5432/test');
    expect(r.out).toMatch(/^Findings \(\d+\):$/m);
    expect(r.out).toMatch(new RegExp(`^  warning seq-scan-filter \\[#\\d+ [^\\]]*Seq Scan on events\\]`, 'm'));
    expect(r.out).toMatch(/^Planning [\d.]+ ms · Execution [\d.]+ ms/m);
    expect(r.out).toMatch(/#\d+ .*Seq Scan on events\s+rows est \d+ actual 50\b/);
    expect(r.out).not.toContain('\x1b[');
  });

  it('JSON: exactly { database, plan, findings: [{ rule, node, message }] }, plan as the server gave it', async () => {
    const r = await run(['explain', '--analyze', '--format', 'json', `SELECT * FROM ${t} WHERE kind = 'rare'`], dir, url);
    expect(r.code, r.err).toBe(0);
    const j = parseJsonOutput(r);
    expect(j.database).toBe('127.0.0.1:5432/test');
    expect(j.plan[0].Plan).toMatchObject({ 'Relation Name': 'events', 'Actual Rows': 50, 'Rows Removed by Filter': 49950 });
    expect(typeof j.plan[0]['Execution Time']).toBe('number');
    expect(j.findings.map((f) => f.rule)).toContain('seq-scan-filter');
    expect(j.findings.find((f) => f.rule === 'seq-scan-filter')?.node).toMatch(/Seq Scan on events/);
  });

  it('plain EXPLAIN (no --analyze) does not run the statement: no actual rows', async () => {
    const r = await run(['explain', '--format', 'json', `SELECT * FROM ${t} WHERE id = 7`], dir, url);
    expect(r.code, r.err).toBe(0);
    const j = parseJsonOutput(r);
    expect(j.plan[0].Plan['Node Type']).toBe('Index Scan');
    expect(j.plan[0].Plan['Actual Rows']).toBeUndefined();
  });

  it('--file F --line N picks the statement on that line (any line of a multi-line statement)', async () => {
    for (const line of ['4', '5', '6']) {
      const r = await run(['explain', '--format', 'json', '--file', 'queries.sql', '--line', line], dir, url);
      expect(r.code, r.err).toBe(0);
      expect(parseJsonOutput(r).plan[0].Plan).toMatchObject({ 'Node Type': 'Index Scan', 'Index Name': 'events_pkey' });
    }
    const first = await run(['explain', '--format', 'json', '--file', 'queries.sql', '--line', '1'], dir, url);
    expect(parseJsonOutput(first).plan[0].Plan['Node Type']).toBe('Aggregate');
    const blank = await run(['explain', '--file', 'queries.sql', '--line', '2'], dir, url);
    expect(blank).toMatchObject({ code: 2, err: expect.stringMatching(/no statement on line 2 of queries\.sql/) });
    const many = await run(['explain', '--file', 'queries.sql'], dir, url);
    expect(many).toMatchObject({ code: 2, err: expect.stringMatching(/queries\.sql has 4 statements: pick one with --line N/) });
  });

  it('$n parameters: --param values run the custom plan; none gives the generic plan', async () => {
    const withValues = await run(
      ['explain', '--analyze', '--format', 'json', '--file', 'queries.sql', '--line', '8', '--param', '1000', '--param', 'rare'],
      dir,
      url,
    );
    expect(withValues.code, withValues.err).toBe(0);
    expect(parseJsonOutput(withValues).plan[0].Plan).toMatchObject({ 'Node Type': 'Index Scan', 'Actual Rows': 1 });
    const generic = await run(['explain', '--file', 'queries.sql', '--line', '8'], dir, url);
    expect(generic.code, generic.err).toBe(0);
    expect(generic.err).toMatch(/no --param for \$1…\$2: showing the generic plan/);
    expect(generic.out).toMatch(/Index Scan using events_pkey on events/);
    const wrong = await run(['explain', '--file', 'queries.sql', '--line', '8', '--param', '1'], dir, url);
    expect(wrong).toMatchObject({ code: 2, err: expect.stringMatching(/the statement has 2 parameters \(\$1…\$2\); 1 --param given/) });
  });

  it('a writing statement without --yes: exit 2, a clear message, nothing run; with --yes: run and rolled back', async () => {
    const before = await count();
    expect(before).toBe(50000);
    const refused = await run(['explain', '--analyze', '--file', 'queries.sql', '--line', '7'], dir, url);
    expect(refused.code).toBe(2);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/EXPLAIN ANALYZE runs this statement inside a transaction that is always rolled back, and it: DELETE removes rows\.\n/);
    expect(refused.err).toMatch(/nothing was run; pass --yes to run it/);
    expect(await count()).toBe(before);

    const yes = await run(['explain', '--analyze', '--yes', '--format', 'json', '--file', 'queries.sql', '--line', '7'], dir, url);
    expect(yes.code, yes.err).toBe(0);
    const plan = parseJsonOutput(yes).plan[0].Plan;
    expect(plan).toMatchObject({ 'Node Type': 'ModifyTable', Operation: 'Delete' });
    // The DELETE really ran (its scan returned the 50 rows it deleted)…
    expect(JSON.stringify(plan)).toMatch(/"Actual Rows":50[,}]/);
    // …and was rolled back.
    expect(await count()).toBe(before);
    expect(Number((await q(db, `SELECT count(*)::int AS n FROM ${t} WHERE kind = 'rare'`)).rows[0].n)).toBe(50);
  });

  it('a SQL error exits 1 with the server message; bad usage exits 2', async () => {
    const r = await run(['explain', '--analyze', `SELECT nope FROM ${t}`], dir, url);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ERROR: column "nope" does not exist \(SQLSTATE 42703\)/);
    expect(r.out).toBe('');
    expect(await run(['explain', '--format', 'xml', 'SELECT 1'], dir, url)).toMatchObject({ code: 2, err: expect.stringMatching(/unknown format "xml"/) });
    expect(await run(['explain'], dir, url)).toMatchObject({ code: 2, err: expect.stringMatching(/explain needs a statement/) });
    expect(await run(['explain', '--line', '3', 'SELECT 1'], dir, url)).toMatchObject({ code: 2, err: expect.stringMatching(/--line needs --file/) });
    expect(await run(['explain', 'SELECT 1; SELECT 2'], dir, url)).toMatchObject({ code: 2, err: expect.stringMatching(/give one statement/) });
  });

  it.each([
    ['the server', true],
    ['the embedded database', false],
  ])(
    'on %s, a missing relation is the error shown, with and without parameters (not what its clean-up ran into)',
    async (_, server) => {
      // The statement's own error aborts the transaction: the clean-up after it (a SHOW in the embedded database's
      // worker, a DEALLOCATE of a PREPARE that failed) once failed too and its error was printed instead.
      for (const sql of ['SELECT * FROM no_such_table LIMIT 1', 'SELECT * FROM no_such_table WHERE a = $1']) {
        for (const analyze of [[], ['--analyze']]) {
          const r = await run(['explain', ...analyze, sql], dir, server ? url : {});
          expect(r.code, r.err).toBe(1);
          expect(r.err).toMatch(/ERROR: relation "no_such_table" does not exist \(SQLSTATE 42P01\)\n$/);
        }
      }
    },
    180_000,
  ); // four CLI runs, each starting the embedded database: 30 s was too little on a loaded machine

  it('--help lists the explain command', async () => {
    const r = await run(['--help'], dir);
    expect(r.out).toMatch(/pgperf explain \[--analyze\] \[--yes\] \[--format text\|json\]/);
  });
});

describe('pgperf explain against the embedded database (no DATABASE_URL / PG*)', () => {
  let dir: string;
  // Each run starts PGlite (~3 s): the runs go in parallel, the tests read their results.
  let text: Promise<Run>;
  let json: Promise<Run>;
  let refused: Promise<Run>;
  let yes: Promise<Run>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-explain-embedded-'));
    writeFileSync(
      join(dir, 'schema.sql'),
      'CREATE INDEX items_name ON items (name);\nCREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, "we<ird>" text);\n',
    );
    writeFileSync(join(dir, 'queries.sql'), "SELECT 1;\nSELECT id\n  FROM items\n WHERE name = 'x';\nINSERT INTO items (id, name) VALUES (1, 'a');\n");
    text = run(['explain', '--file', 'queries.sql', '--line', '3'], dir);
    json = run(['explain', '--analyze', '--format', 'json', 'SELECT count(*) FROM items'], dir);
    refused = run(['explain', '--analyze', '--file', 'queries.sql', '--line', '5'], dir);
    yes = run(['explain', '--analyze', '--yes', '--format', 'json', '--file', 'queries.sql', '--line', '5'], dir);
  });

  it('loads the folder DDL in dependency order (table before its index), says which database, text tree', async () => {
    const r = await text;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/database: embedded PGlite \(PostgreSQL [\d.]+\) — no DATABASE_URL or PG\* variables, using the embedded database/);
    expect(r.err).toMatch(/loaded 2 of 2 DDL statements from 1 file of the current folder/);
    expect(r.err).not.toMatch(/failed/);
    expect(r.out.split('\n')[0]).toMatch(/^Database: embedded PGlite \(PostgreSQL [\d.]+\)$/);
    // The index from the workspace schema is there: the plan uses it.
    expect(r.out).toMatch(/items_name/);
  }, 60_000);

  it('JSON shape with --analyze', async () => {
    const r = await json;
    expect(r.code, r.err).toBe(0);
    const j = parseJsonOutput(r);
    expect(j.database).toMatch(/^embedded PGlite \(PostgreSQL [\d.]+\)$/);
    expect(j.plan[0].Plan['Node Type']).toBe('Aggregate');
    expect(typeof j.plan[0]['Execution Time']).toBe('number');
  }, 60_000);

  it('the --yes rule: no prompt off a TTY, exit 2 without it; with it the INSERT runs (rolled back)', async () => {
    const r = await refused;
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/and it: INSERT adds rows/);
    expect(r.err).toMatch(/pass --yes to run it/);
    const y = await yes;
    expect(y.code, y.err).toBe(0);
    const plan = parseJsonOutput(y).plan[0].Plan;
    expect(plan).toMatchObject({ 'Node Type': 'ModifyTable', Operation: 'Insert', 'Relation Name': 'items' });
    expect(typeof plan['Actual Total Time']).toBe('number');
  }, 60_000);
});

/**
 * `pgperf explain --file F --line N` where F is a host file: the statement of the SQL string on that line, its
 * interpolated values as `$n` parameters (given with --param, or the generic plan), run as a user runs it (the
 * built CLI in a child process) against the embedded PGlite default with the folder's DDL loaded first — the
 * .sql migrations and the DDL strings of a TypeORM migration.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, type Run } from './spawn-cli';

const TREE: Record<string, string> = {
  'migrations/001_events.sql': [
    'CREATE TABLE events (id bigint NOT NULL, kind text NOT NULL, created_at timestamptz NOT NULL, payload jsonb) PARTITION BY RANGE (created_at);',
    "CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');",
    "CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');",
    '',
  ].join('\n'),
  'src/migrations/1700000000000-EventsKind.ts': [
    "import { MigrationInterface, QueryRunner } from 'typeorm';",
    '',
    'export class EventsKind1700000000000 implements MigrationInterface {',
    '  async up(queryRunner: QueryRunner, scratch: string): Promise<void> {',
    '    await queryRunner.query(`CREATE INDEX events_kind_created ON events (kind, created_at)`);',
    // A name from host code: not loaded (it would create a placeholder table).
    '    await queryRunner.query(`CREATE TABLE ${scratch} (id int)`);',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/events.ts': [
    "import postgres from 'postgres';", // 1
    '',
    'const sql = postgres();',
    '',
    'export function eventsSince(kind: string, since: Date) {', // 5
    '  return sql`',
    '    SELECT id, created_at',
    '      FROM events',
    '     WHERE kind = ${kind}', // 9: ${kind} at column 19
    '       AND created_at >= ${since}`;', // 10: ${since} at column 26
    '}',
    '',
    'export function countIn(table: string) {',
    '  return sql.unsafe(`SELECT count(*) FROM ${table}`);', // 14: ${table} at column 43
    '}',
    '',
  ].join('\n'),
  'app/reports.py': [
    'def by_kind(cur, kind):',
    '    cur.execute(',
    '        """',
    '        SELECT id FROM events', // 4
    '         WHERE kind = %(kind)s OR payload ->> %(kind)s IS NOT NULL',
    '        """,',
    '        {"kind": kind},',
    '    )',
    '',
  ].join('\n'),
  'src/util.ts': 'export const add = (a: number, b: number): number => a + b;\n',
};

type Plan = { Plan: Record<string, unknown> }[];

function plan(r: Run): Plan {
  expect(r.code, r.err).toBe(0);
  const j = JSON.parse(r.out) as { database: string; plan: Plan };
  expect(j.database).toMatch(/^embedded PGlite/);
  return j.plan;
}

/** The relations the plan reads, in plan order. */
function relations(p: Plan): string[] {
  const out: string[] = [];
  const visit = (n: Record<string, unknown>) => {
    if (typeof n['Relation Name'] === 'string') out.push(n['Relation Name']);
    for (const c of (n.Plans as Record<string, unknown>[] | undefined) ?? []) visit(c);
  };
  visit(p[0].Plan);
  return out;
}

const noStack = (r: Run) => expect(r.err).not.toMatch(/^\s+at /m);

describe('pgperf explain on a query in a host file (embedded database)', () => {
  let dir: string;
  let generic: Promise<Run>;
  let custom: Promise<Run>;
  let python: Promise<Run>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-host-explain-'));
    for (const [path, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    // Each run starts PGlite (~3 s, much more on a busy machine): in parallel, read by the tests below.
    generic = run(['explain', '--format', 'json', '--file', 'src/events.ts', '--line', '8'], dir);
    custom = run(['explain', '--format', 'json', '--file', 'src/events.ts', '--line', '10', '--param', 'click', '--param', '2024-02-10'], dir);
    python = run(['explain', '--format', 'json', '--file', 'app/reports.py', '--line', '5', '--param', 'click'], dir);
  });

  it('no --param: the ${…} holes are $1, $2 (named on stderr with their host positions), the generic plan over both partitions', async () => {
    const r = await generic;
    expect(r.err).toMatch(/pgperf: \$1 is \$\{kind\} \(src\/events\.ts:9:19\)\n/);
    expect(r.err).toMatch(/pgperf: \$2 is \$\{since\} \(src\/events\.ts:10:26\)\n/);
    expect(r.err).toMatch(/no --param for \$1…\$2: showing the generic plan/);
    // The folder's DDL: three statements of the .sql migration and the index of the TypeORM one, not the CREATE
    // TABLE ${scratch}.
    expect(r.err).toMatch(/loaded 4 of 4 DDL statements from 2 files of the current folder/);
    expect(r.err).not.toMatch(/failed/);
    // Both partitions stay in the generic plan: an Append left to prune at run time (a server may already list
    // them as removed when it shows a generic plan).
    const top = plan(r)[0].Plan;
    expect(top['Node Type']).toBe('Append');
    expect(((top.Plans as unknown[] | undefined) ?? []).length + Number(top['Subplans Removed'] ?? 0)).toBe(2);
  }, 180_000);

  it('--param values bind $1 and $2: the planner prunes to the one partition the date falls in', async () => {
    const rels = relations(plan(await custom));
    expect(rels).toContain('events_2024_02');
    expect(rels).not.toContain('events_2024_01');
  }, 180_000);

  it('Python %(kind)s used twice is one parameter, $1', async () => {
    const r = await python;
    expect(r.err).toMatch(/pgperf: \$1 is %\(kind\)s \(app\/reports\.py:5:23\)\n/);
    expect(r.err).not.toMatch(/\$2 is/);
    expect(relations(plan(r))).toEqual(expect.arrayContaining(['events_2024_01', 'events_2024_02']));
  }, 180_000);

  it('a host line outside any SQL string, a file without SQL, a name from host code, a wrong --param count: exit 2, clear messages', async () => {
    const [outside, none, named, count] = await Promise.all([
      run(['explain', '--file', 'src/events.ts', '--line', '1'], dir),
      run(['explain', '--file', 'src/util.ts', '--line', '1'], dir),
      run(['explain', '--file', 'src/events.ts', '--line', '14'], dir),
      run(['explain', '--file', 'src/events.ts', '--line', '9', '--param', 'click'], dir),
    ]);
    expect(outside).toMatchObject({ code: 2, out: '' });
    expect(outside.err).toMatch(/^pgperf: line 1 of src\/events\.ts is not in a SQL string pgperf reads \(SQL strings on lines 6–10, 14\)\n/);
    expect(none).toMatchObject({ code: 2, err: expect.stringMatching(/^pgperf: src\/util\.ts has no SQL string pgperf reads/) });
    expect(named).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^pgperf: src\/events\.ts:14:43: the statement takes a name from host code \(\$\{table\}\)/),
    });
    expect(count).toMatchObject({ code: 2, err: expect.stringMatching(/the statement has 2 parameters \(\$1…\$2\); 1 --param given/) });
    for (const r of [outside, none, named, count]) noStack(r);
  }, 180_000);
});

/**
 * An edit to an open host file that leaves its SQL strings as they were (typing in plain code) takes the last
 * parse's statements over (ParseOptions.previous); whatever path an edit takes, the findings are those of a
 * workspace that reads the edited text afresh: rules, messages, host ranges, fixes and suppressions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host/index';
import { Workspace } from '../../server/src/ide/workspace';
import type { Finding } from '../../server/src/analysis/types';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';

const MIGRATION = 'CREATE TABLE items (id bigint PRIMARY KEY, tenant_id text NOT NULL, name text, a int);\n';

const TS = `import { Pool } from 'pg';

const pool = new Pool();

export async function itemsPage(page: number) {
  const { rows } = await pool.query(\`
    SELECT id, name
    FROM items
    ORDER BY id
    LIMIT 20 OFFSET \${page * 20}\`);
  return rows;
}

export const counter = 1;

export async function some() {
  // pgperf-ignore or-chain: measured, the planner copes
  await pool.query('SELECT id FROM items WHERE a = 1 OR a = 2 OR a = 3');
  await pool.query("SELECT id FROM items WHERE a = 4 OR a = 5 OR a = 6");
  await pool.query(\`DO $$ BEGIN PERFORM id FROM items ORDER BY id LIMIT 5 OFFSET 10; END $$\`);
}
`;

/** Everything a client sees of the findings, the fixes computed. */
const seen = (fs: readonly Finding[]) =>
  fs.map((f) => ({
    rule: f.ruleId,
    severity: f.severity,
    message: f.message,
    start: f.start,
    end: f.end,
    range: f.range,
    fix: f.fix && { title: f.fix.title, edits: f.fix.edits },
  }));

function fresh(text: string) {
  const ws = new Workspace();
  ws.update('file:///m.sql', 'm.sql', MIGRATION);
  ws.update('file:///q.ts', 'q.ts', text, { version: 1, open: true });
  return seen(ws.lint('file:///q.ts')!.findings);
}

describe('Workspace: edits to an open host file', () => {
  beforeAll(async () => {
    await initEmbedded();
  });

  it('code edits (statements taken over) and SQL edits (parsed again) give the findings of a fresh read', () => {
    const ws = new Workspace();
    ws.update('file:///m.sql', 'm.sql', MIGRATION);
    ws.update('file:///q.ts', 'q.ts', TS, { version: 1, open: true });
    const opened = seen(ws.lint('file:///q.ts')!.findings);
    expect(opened.map((f) => f.rule).sort()).toEqual(['offset-pagination', 'offset-pagination', 'or-chain']);

    const edits: [string, (t: string) => string][] = [
      // plain code above every query: each SQL string moves in the host text, the SQL view stays
      ['code above', (t) => t.replace('const pool = new Pool();', 'const pool = new Pool(); // shared\n// one per process')],
      ['code between', (t) => t.replace('export const counter = 1;', 'export const counterOfThings = 12345;')],
      // plain code that changes what is SQL: the call is no longer an API call, its string goes
      ['callee renamed', (t) => t.replace('await pool.query("SELECT', 'await pool.quer("SELECT')],
      ['callee back', (t) => t.replace('await pool.quer("SELECT', 'await pool.query("SELECT')],
      // inside a SQL string
      ['in a query', (t) => t.replace('LIMIT 20 OFFSET', 'LIMIT 25 OFFSET')],
      [
        'suppression moved',
        (t) =>
          t
            .replace('  // pgperf-ignore or-chain: measured, the planner copes\n', '')
            .replace('await pool.query("SELECT', '// pgperf-ignore or-chain: measured, the planner copes\n  await pool.query("SELECT'),
      ],
    ];
    let text = TS;
    let version = 1;
    for (const [what, edit] of edits) {
      text = edit(text);
      expect(text, what).not.toBe(TS);
      ws.update('file:///q.ts', 'q.ts', text, { version: ++version, open: true });
      expect(seen(ws.lint('file:///q.ts')!.findings), what).toEqual(fresh(text));
    }
    // The first code edit took the statements over: same trees, same SQL-view offsets, the new file.
    const ws2 = new Workspace();
    ws2.update('file:///m.sql', 'm.sql', MIGRATION);
    ws2.update('file:///q.ts', 'q.ts', TS, { version: 1, open: true });
    ws2.lint('file:///q.ts');
    const before = ws2.get('file:///q.ts')!.parsed!;
    const tokens = before.statements.map((st) => st.tokens());
    ws2.update('file:///q.ts', 'q.ts', edits[0][1](TS), { version: 2, open: true });
    const after = ws2.get('file:///q.ts')!.parsed!;
    expect(after).not.toBe(before);
    expect(after.statements.length).toBe(before.statements.length);
    after.statements.forEach((st, i) => {
      expect(st.file).toBe(after);
      expect(st.ast).toBe(before.statements[i].ast);
      // A parse of its own would tokenize again (a new array); taken over, the statement keeps its tokens.
      expect(st.tokens()).toBe(tokens[i]);
      expect([st.start, st.end, st.index, st.kind, st.container ? after.statements.indexOf(st.container) : -1]).toEqual([
        before.statements[i].start,
        before.statements[i].end,
        before.statements[i].index,
        before.statements[i].kind,
        before.statements[i].container ? before.statements.indexOf(before.statements[i].container!) : -1,
      ]);
    });
    expect(after.statements.some((st) => st.container)).toBe(true);
  });
});

describe('Workspace: closed host files keep their SQL strings, not their parse', () => {
  beforeAll(async () => {
    await initEmbedded();
  });

  /** A workspace as the scan leaves it: every file read first (lintLater), then linted. */
  function scanned() {
    const ws = new Workspace();
    ws.update('file:///m.sql', 'm.sql', MIGRATION, { lintLater: true });
    ws.update('file:///q.ts', 'q.ts', TS, { lintLater: true });
    return ws;
  }

  it('the lint of a file read by the scan gives the findings of a fresh read, and drops the parse again', () => {
    const ws = scanned();
    expect(ws.get('file:///q.ts')!.parsed).toBeUndefined();
    expect(ws.get('file:///q.ts')!.hostExtract?.extract.sql.length).toBe(4);
    expect(seen(ws.lint('file:///q.ts')!.findings)).toEqual(fresh(TS).map((f) => ({ ...f, fix: undefined })));
    expect(ws.get('file:///q.ts')!.parsed).toBeUndefined();
    expect(ws.get('file:///m.sql')!.hostExtract).toBeUndefined();
  });

  it('the kept SQL strings are what the next parse reads (an entry edited in place reaches the findings)', () => {
    const ws = scanned();
    const kept = ws.get('file:///q.ts')!.hostExtract!.extract.sql[1]!;
    kept.sql = 'VACUUM FULL items'.padEnd(kept.sql.length, ' ');
    expect(ws.lint('file:///q.ts')!.findings.map((f) => f.ruleId)).toContain('vacuum-full');
  });

  it('strings kept under other embedded options are not taken: a setting changed before the lint counts', () => {
    const ws = scanned();
    const before = ws.lint('file:///q.ts')!.findings.length;
    expect(before).toBeGreaterThan(0);
    ws.update('file:///q.ts', 'q.ts', TS, { lintLater: true });
    const config = structuredClone(DEFAULT_CONFIG);
    config.embedded.languages.typescript = false;
    ws.setConfig(config);
    expect(ws.lint('file:///q.ts')!.findings).toEqual([]);
  });
});

/** Separate projects in the language server: a `.pgperf.json` in a subfolder gives it its own config and catalog. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { Workspace } from '../../server/src/ide/workspace';
import { codes, start } from './harness';

const SESSIONS = 'CREATE TABLE sessions (id int, status text);\n';
const INDEX = 'CREATE INDEX sessions_status ON sessions (status);\n';

describe('projects in the workspace model', () => {
  it('gives each project its own catalog and config', () => {
    const ws = new Workspace();
    ws.update('file:///a/m/1_sessions.sql', 'a/m/1_sessions.sql', SESSIONS);
    ws.update('file:///b/m/2_status.sql', 'b/m/2_status.sql', INDEX + 'VACUUM FULL sessions;\n');
    // One tree: b's index is read against a's table.
    expect(
      ws
        .lint('file:///b/m/2_status.sql')!
        .findings.map((f) => f.ruleId)
        .sort(),
    ).toEqual(['create-index-concurrently', 'vacuum-full']);
    ws.setProjects(new Map([['b', { ...structuredClone(DEFAULT_CONFIG), rules: { 'vacuum-full': 'off' } }]]));
    expect(ws.lint('file:///b/m/2_status.sql')!.findings).toEqual([]);
    expect([...ws.catalog('b/m/2_status.sql').tables.keys()]).toEqual(['public.sessions']);
    expect(ws.catalog('b/m/2_status.sql').tables.get('public.sessions')!.created).toBeUndefined();
    expect(ws.catalog('a/m/1_sessions.sql').tables.get('public.sessions')!.created).toBeDefined();
    // A DDL change in project a affects no file of project b.
    const before = ws.catalog('a/x.sql');
    ws.update('file:///a/m/3_more.sql', 'a/m/3_more.sql', 'ALTER TABLE sessions ADD COLUMN at timestamptz;');
    expect(ws.affectedBy(before, ws.catalog('a/x.sql'), 'a/x.sql').sort()).toEqual(['file:///a/m/1_sessions.sql', 'file:///a/m/3_more.sql']);
  });
});

describe('projects in the language server', () => {
  it('finds a subfolder .pgperf.json on the scan and lints that folder with its config and catalog', async () => {
    const { client, uri } = await start({
      'svc-a/migrations/001_sessions.sql': SESSIONS,
      'svc-b/.pgperf.json': JSON.stringify({ rules: { 'vacuum-full': 'off' } }),
      'svc-b/migrations/002_status.sql': INDEX + 'VACUUM FULL sessions;\n',
      'top.sql': 'VACUUM FULL sessions;\n',
    });
    const b = await client.waitForDiagnostics(uri('svc-b/migrations/002_status.sql'));
    expect(codes(b.diagnostics)).toEqual([]);
    const top = await client.waitForDiagnostics(uri('top.sql'));
    expect(codes(top.diagnostics)).toEqual(['vacuum-full']);
  });
});

/** Separate projects in the language server: a `.pgperf.json` in a subfolder gives it its own config and catalog. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { Workspace } from '../../server/src/ide/workspace';
import { fileUri, textIn, writeWorkspaceFile } from './client';
import { codes, has, messageOf, start } from './harness';

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

  it("a subfolder .pgperf.json's include and exclude decide which of its files are read, relative to its folder", async () => {
    const VACUUM = 'VACUUM FULL t;\n';
    const { dir, client, uri } = await start({
      'svc/.pgperf.json': JSON.stringify({ include: ['db/**/*.sql'], exclude: ['db/legacy/**'] }),
      'svc/db/1_a.sql': VACUUM,
      'svc/db/legacy/old.sql': VACUUM,
      'svc/notes.sql': VACUUM,
      // The top project's globs are the defaults: its own db/legacy folder is read.
      'db/legacy/top.sql': VACUUM,
    });
    expect(client.statuses.find((s) => s.state === 'ready')?.files).toBe(2);
    await client.waitForDiagnostics(uri('svc/db/1_a.sql'), has('vacuum-full'));
    await client.waitForDiagnostics(uri('db/legacy/top.sql'), has('vacuum-full'));
    expect(client.latest(uri('svc/db/legacy/old.sql'))).toBeUndefined();
    expect(client.latest(uri('svc/notes.sql'))).toBeUndefined();
    // A file created on disk there stays out too; one the project includes comes in.
    const from = client.statuses.length;
    client.watchedFilesChanged([
      { uri: fileUri(writeWorkspaceFile(dir, 'svc/db/legacy/new.sql', VACUUM)), type: 1 },
      { uri: fileUri(writeWorkspaceFile(dir, 'svc/db/2_b.sql', VACUUM)), type: 1 },
    ]);
    await client.waitForDiagnostics(uri('svc/db/2_b.sql'), has('vacuum-full'));
    expect((await client.waitForStatus((s) => s.state === 'ready', 10_000, from)).files).toBe(3);
    expect(client.latest(uri('svc/db/legacy/new.sql'))).toBeUndefined();
  });

  it('problems of the top and of a subfolder .pgperf.json are shown on each file, at the key, and cleared once fixed on disk', async () => {
    const topText = JSON.stringify({ rules: { 'no-such-rule': 'off' } }, null, 2);
    const subText = JSON.stringify({ tenantColumn: '' }, null, 2);
    const { dir, client } = await start({ '.pgperf.json': topText, 'svc/.pgperf.json': subText, 'svc/a.sql': 'VACUUM FULL t;\n' });
    const topUri = fileUri(join(dir, '.pgperf.json'));
    const subUri = fileUri(join(dir, 'svc/.pgperf.json'));
    const shown = (text: string) => (ds: Diagnostic[]) => ds.map((d) => [messageOf(d), d.severity, d.source, textIn(text, d.range)]);
    expect(shown(topText)((await client.waitForDiagnostics(topUri)).diagnostics)).toEqual([
      ['rules.no-such-rule: unknown rule "no-such-rule" (ignored)', 2, 'pgperf', '"no-such-rule"'],
    ]);
    expect(shown(subText)((await client.waitForDiagnostics(subUri)).diagnostics)).toEqual([
      [expect.stringMatching(/^tenantColumn: .+ \(ignored\)$/), 2, 'pgperf', '"tenantColumn"'],
    ]);
    writeFileSync(join(dir, '.pgperf.json'), '{}');
    writeFileSync(join(dir, 'svc/.pgperf.json'), '{}');
    client.watchedFilesChanged([{ uri: topUri, type: 2 }]);
    await client.waitForDiagnostics(topUri, (ds) => ds.length === 0);
    await client.waitForDiagnostics(subUri, (ds) => ds.length === 0);
  });
});

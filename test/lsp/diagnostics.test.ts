/** The built language server over stdio: initialize, workspace scan, diagnostics as documents and files change. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileUri, rangeOf, textIn, writeWorkspaceFile, ROOT } from './client';
import { codes, has, hasNot, messageOf, of, start } from './harness';

const OFFSET_SQL = 'SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 20;\n';
const TENANT_TABLE = 'CREATE TABLE sessions (tenant_id text NOT NULL, status text);\n';
const RLS = 'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n';
const POLICY = "CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));\n";
const EVENT_LOG =
  'CREATE TABLE event_log (tenant_id text, event_id uuid, event_type text, "timestamp" timestamptz, payload jsonb)\n' +
  '  PARTITION BY RANGE ("timestamp");\n' +
  "CREATE TABLE event_log_2025_01 PARTITION OF event_log FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\n" +
  'ALTER TABLE event_log ENABLE ROW LEVEL SECURITY;\n' +
  "CREATE POLICY tenant_isolation ON event_log USING (tenant_id = current_setting('app.tenant'));\n";

describe('lsp: initialize', () => {
  it('advertises incremental sync, hover, code actions (quickfix, source.fixAll.pgperf) and workspace folders', async () => {
    const { client } = await start();
    const caps = client.initializeResult!.capabilities;
    const sync = caps.textDocumentSync;
    expect(typeof sync === 'number' ? sync : sync?.change).toBe(2);
    if (typeof sync === 'object') expect(sync.openClose).toBe(true);
    expect(caps.hoverProvider).toBeTruthy();
    expect(caps.codeActionProvider).toMatchObject({ codeActionKinds: expect.arrayContaining(['quickfix', 'source.fixAll.pgperf']) });
    expect(caps.workspace?.workspaceFolders?.supported).toBe(true);
    expect(client.initializeResult!.serverInfo?.name).toMatch(/pgperf/);
  });

  it('pulls the pgperf settings with workspace/configuration and reports a work-done progress for the scan', async () => {
    const { client } = await start({ 'a.sql': OFFSET_SQL });
    const sections = client.configurationRequests.flatMap((r) => (r as { items: { section?: string }[] }).items.map((i) => i.section));
    expect(sections.some((s) => s === 'pgperf' || s?.startsWith('pgperf.'))).toBe(true);
    const kinds = client.progress.map((p) => (p as { value: { kind: string; title?: string } }).value);
    expect(kinds.find((v) => v.kind === 'begin')?.title).toBe('pgperf: analysing SQL files');
    expect(kinds.some((v) => v.kind === 'end')).toBe(true);
  });
});

describe('lsp: diagnostics of a document', () => {
  it('didOpen → publishDiagnostics: rule id, range at the OFFSET clause, severity, source, doc link, version', async () => {
    // select-star is opt-in: turned on here to see an info diagnostic beside the warning.
    const { client, uri } = await start({}, { rules: { 'select-star': 'info' } });
    const u = uri('q.sql');
    client.open(u, OFFSET_SQL, 1);
    const p = await client.waitForDiagnostics(u, has('offset-pagination'));
    expect(p.version).toBe(1);
    expect(codes(p.diagnostics)).toEqual(['offset-pagination', 'select-star']);
    const d = of(p.diagnostics, 'offset-pagination')[0];
    expect(d.range).toEqual(rangeOf(OFFSET_SQL, OFFSET_SQL.indexOf('OFFSET'), OFFSET_SQL.indexOf(';')));
    expect(textIn(OFFSET_SQL, d.range)).toBe('OFFSET 20');
    expect(d.severity).toBe(2);
    expect(d.source).toBe('pgperf');
    expect(messageOf(d)).toMatch(/discards/);
    expect(d.codeDescription?.href).toBe(fileUri(join(ROOT, 'docs/rules/offset-pagination.md')));
    expect(existsSync(new URL(d.codeDescription!.href))).toBe(true);
    const star = of(p.diagnostics, 'select-star')[0];
    expect(textIn(OFFSET_SQL, star.range)).toBe('*');
    expect(star.severity).toBe(3);
  });

  it('positions are UTF-16 line/character on later lines after non-ASCII text', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    const line2 = "SELECT 'é😀' AS x; VACUUM FULL items;";
    const text = '-- café ☕ 𝄞\nSELECT 1;\n' + line2 + '\n';
    client.open(u, text, 1);
    const p = await client.waitForDiagnostics(u, has('vacuum-full'));
    const d = of(p.diagnostics, 'vacuum-full')[0];
    expect(d.range.start).toEqual({ line: 2, character: line2.indexOf('FULL') });
    expect(textIn(text, d.range)).toBe('FULL');
  });

  it('a syntax error is an error diagnostic at the bad token and does not hide the other statements', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    const text = 'SELEC 1;\nREINDEX TABLE items;\n';
    client.open(u, text, 1);
    const p = await client.waitForDiagnostics(u, (ds) => has('syntax-error')(ds) && has('reindex-concurrently')(ds));
    const d = of(p.diagnostics, 'syntax-error')[0];
    expect(d.severity).toBe(1);
    expect(d.range.start).toEqual({ line: 0, character: 0 });
    expect(messageOf(d)).toMatch(/syntax error at or near "SELEC"/);
  });

  it('an incremental didChange that removes the problem clears it (and the published version follows)', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    client.open(u, OFFSET_SQL, 1);
    await client.waitForDiagnostics(u, has('offset-pagination'));
    // delete " OFFSET 20"
    const at = OFFSET_SQL.indexOf(' OFFSET 20');
    client.change(u, 2, [{ range: rangeOf(OFFSET_SQL, at, at + ' OFFSET 20'.length), text: '' }]);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);
    // put it back with two edits in one notification, positions relative to the text after the first edit
    const t2 = OFFSET_SQL.replace(' OFFSET 20', '');
    const semi = t2.indexOf(';');
    client.change(u, 3, [
      { range: rangeOf(t2, semi, semi), text: ' OFFSET 2' },
      { range: rangeOf(t2.slice(0, semi) + ' OFFSET 2' + t2.slice(semi), semi + 9, semi + 9), text: '0' },
    ]);
    const p3 = await client.waitForDiagnostics(u, (_, p) => p.version === 3);
    expect(codes(p3.diagnostics)).toEqual(['offset-pagination']);
    expect(textIn(OFFSET_SQL, of(p3.diagnostics, 'offset-pagination')[0].range)).toBe('OFFSET 20');
  });

  it('a burst of edits is answered for the last version, never with an older one afterwards', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    let text = 'SELECT id FROM t WHERE a = 1 OR a = 2;\n';
    client.open(u, text, 1);
    await client.waitForDiagnostics(u, has('or-chain'));
    const before = client.published.get(u)!.length;
    // 100 one-character edits: type digits into the literal `1`; the last one removes the OR chain
    for (let v = 2; v <= 100; v++) {
      const at = text.indexOf('1');
      client.change(u, v, [{ range: rangeOf(text, at + 1, at + 1), text: String(v % 10) }]);
      text = text.slice(0, at + 1) + String(v % 10) + text.slice(at + 1);
    }
    const orAt = text.indexOf(' OR a = 2');
    client.change(u, 101, [{ range: rangeOf(text, orAt, orAt + ' OR a = 2'.length), text: '' }]);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 101);
    expect(p.diagnostics).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    const after = client.published.get(u)!.slice(before);
    expect(after[after.length - 1].version).toBe(101);
    const versions = after.map((x) => x.version!);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(after.length, 'edits are debounced: fewer publishes than edits').toBeLessThan(100);
  });

  it('closing a document reverts its diagnostics to the file on disk', async () => {
    const { client, uri } = await start({ 'q.sql': OFFSET_SQL });
    const u = uri('q.sql');
    await client.waitForDiagnostics(u, has('offset-pagination'));
    client.open(u, 'SELECT id FROM t;\n', 1);
    await client.waitForDiagnostics(u, (ds, p) => p.version === 1 && ds.length === 0);
    client.close(u);
    await client.waitForDiagnostics(u, has('offset-pagination'));
  });
});

describe('lsp: workspace scan and the shared catalog', () => {
  it('scans closed files on disk, publishes their diagnostics, skips node_modules, and reports ready with counts', async () => {
    const { client, uri } = await start({
      'db/a.sql': OFFSET_SQL,
      'db/b.sql': 'VACUUM FULL items;\nSELEC 1;\n',
      'db/clean.sql': 'SELECT 1;\n',
      'node_modules/x/ignored.sql': 'VACUUM FULL ignored;\n',
      'notes.txt': 'VACUUM FULL x;',
    });
    const a = await client.waitForDiagnostics(uri('db/a.sql'), has('offset-pagination'));
    expect(a.version ?? null).toBeNull();
    const b = await client.waitForDiagnostics(uri('db/b.sql'), has('vacuum-full'));
    expect(codes(b.diagnostics)).toEqual(['syntax-error', 'vacuum-full']);
    expect((client.latest(uri('node_modules/x/ignored.sql'))?.diagnostics ?? []).length).toBe(0);
    expect(client.latest(uri('notes.txt'))).toBeUndefined();
    const ready = client.statuses.find((s) => s.state === 'ready')!;
    expect(ready).toMatchObject({ files: 3, statements: 4, syntaxErrors: 1, findings: { error: 1, warning: 2, info: 0 } });
  });

  it('a catalog change in document A updates the diagnostics of document B (RLS and policy)', async () => {
    const { client, uri } = await start();
    const a = uri('a.sql');
    const b = uri('b.sql');
    client.open(b, TENANT_TABLE, 1);
    const first = await client.waitForDiagnostics(b, has('tenant-table-without-rls'));
    expect(textIn(TENANT_TABLE, of(first.diagnostics, 'tenant-table-without-rls')[0].range)).toBe('sessions');
    client.open(a, 'SELECT 1;\n', 1);
    await client.waitForDiagnostics(a, (_, p) => p.version === 1);
    // A enables RLS only: B still fires, now for the missing policy
    client.change(a, 2, [{ range: rangeOf('SELECT 1;\n', 10, 10), text: RLS }]);
    const noPolicy = await client.waitForDiagnostics(b, (ds) => ds.some((d) => d.code === 'tenant-table-without-rls' && /no policy/.test(messageOf(d))));
    expect(of(noPolicy.diagnostics, 'tenant-table-without-rls')).toHaveLength(1);
    // and a policy: B's finding disappears
    const t2 = 'SELECT 1;\n' + RLS;
    client.change(a, 3, [{ range: rangeOf(t2, t2.length, t2.length), text: POLICY }]);
    await client.waitForDiagnostics(b, hasNot('tenant-table-without-rls'));
    // undo: A back to SELECT 1 → B fires again
    const t3 = t2 + POLICY;
    client.change(a, 4, [{ range: rangeOf(t3, 10, t3.length), text: '' }]);
    await client.waitForDiagnostics(b, (ds) => ds.some((d) => d.code === 'tenant-table-without-rls' && /not enabled/.test(messageOf(d))));
  });

  it('the same for a closed file on disk: enabling RLS in an open document clears it', async () => {
    const { client, uri } = await start({ 'schema/tables.sql': TENANT_TABLE, 'schema/rls.sql': '' });
    const b = uri('schema/tables.sql');
    await client.waitForDiagnostics(b, has('tenant-table-without-rls'));
    const a = uri('schema/rls.sql');
    client.open(a, '', 1);
    client.change(a, 2, [{ range: rangeOf('', 0, 0), text: RLS + POLICY }]);
    await client.waitForDiagnostics(b, hasNot('tenant-table-without-rls'));
  });

  it('a range-partitioned table declared in schema/ makes a query in queries/ fire partition-range-missing', async () => {
    const q = 'SELECT event_id FROM event_log WHERE tenant_id = $1;\n';
    const { client, uri } = await start({ 'schema/event_log.sql': EVENT_LOG, 'queries/events.sql': q });
    const p = await client.waitForDiagnostics(uri('queries/events.sql'), has('partition-range-missing'));
    const d = of(p.diagnostics, 'partition-range-missing')[0];
    expect(textIn(q, d.range)).toBe('event_log');
    expect(messageOf(d)).toContain('declared in schema/event_log.sql');
    // open the query and bound the key: cleared
    const u = uri('queries/events.sql');
    client.open(u, q, 1);
    const at = q.indexOf(';');
    client.change(u, 2, [{ range: rangeOf(q, at, at), text: ' AND "timestamp" >= $2 AND "timestamp" < $3' }]);
    const bounded = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    // event_log has no index at all: the tenant lookup stays an info finding of missing-index.
    expect(codes(bounded.diagnostics)).toEqual(['missing-index']);
  });

  it('didChangeWatchedFiles: files created, changed and deleted on disk update other files', async () => {
    const { dir, client, uri } = await start({ 'schema/tables.sql': TENANT_TABLE });
    const b = uri('schema/tables.sql');
    await client.waitForDiagnostics(b, has('tenant-table-without-rls'));
    const rlsPath = writeWorkspaceFile(dir, 'schema/rls.sql', RLS + POLICY);
    client.watchedFilesChanged([{ uri: fileUri(rlsPath), type: 1 }]);
    await client.waitForDiagnostics(b, hasNot('tenant-table-without-rls'));
    writeFileSync(rlsPath, RLS);
    client.watchedFilesChanged([{ uri: fileUri(rlsPath), type: 2 }]);
    await client.waitForDiagnostics(b, (ds) => ds.some((d) => d.code === 'tenant-table-without-rls' && /no policy/.test(messageOf(d))));
    rmSync(rlsPath);
    client.watchedFilesChanged([{ uri: fileUri(rlsPath), type: 3 }]);
    await client.waitForDiagnostics(b, (ds) => ds.some((d) => d.code === 'tenant-table-without-rls' && /not enabled/.test(messageOf(d))));
    // a new file on disk gets its own diagnostics too, and a deleted one is cleared
    const q = writeWorkspaceFile(dir, 'queries/new.sql', OFFSET_SQL);
    client.watchedFilesChanged([{ uri: fileUri(q), type: 1 }]);
    await client.waitForDiagnostics(fileUri(q), has('offset-pagination'));
    rmSync(q);
    client.watchedFilesChanged([{ uri: fileUri(q), type: 3 }]);
    await client.waitForDiagnostics(fileUri(q), (ds) => ds.length === 0);
  });

  it('a rename on disk (delete + create) keeps the catalog: the partitioned table is still known', async () => {
    const q = 'SELECT event_id FROM event_log WHERE tenant_id = $1;\n';
    const { dir, client, uri } = await start({ 'schema/event_log.sql': EVENT_LOG, 'queries/events.sql': q });
    const qu = uri('queries/events.sql');
    await client.waitForDiagnostics(qu, has('partition-range-missing'));
    const from = join(dir, 'schema/event_log.sql');
    const to = writeWorkspaceFile(dir, 'schema/001_event_log.sql', EVENT_LOG);
    rmSync(from);
    client.watchedFilesChanged([
      { uri: fileUri(from), type: 3 },
      { uri: fileUri(to), type: 1 },
    ]);
    await client.waitForDiagnostics(qu, (ds) =>
      ds.some((d) => d.code === 'partition-range-missing' && messageOf(d).includes('declared in schema/001_event_log.sql')),
    );
  });
});

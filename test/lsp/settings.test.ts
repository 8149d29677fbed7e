/** Settings over the protocol: workspace/configuration, didChangeConfiguration, .pgperf.json, without restart. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfigText, type ResolvedConfig } from '../../server/src/analysis/config';
import { RULE_IDS } from '../../server/src/analysis/rules/index';
import { mergeSettings } from '../../server/src/ide/settings';
import { fileUri, textIn } from './client';
import { codes, has, hasNot, of, start } from './harness';

const PAGE = 'SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 20;\n';

describe('mergeSettings', () => {
  it('keeps every field of .pgperf.json that no setting replaces', () => {
    const file = parseConfigText(
      JSON.stringify({
        rules: { 'vacuum-full': 'error' },
        tenantColumn: 'org_id',
        partitionedTables: { 'app.events': { strategy: 'list', columns: ['kind'] } },
        include: ['db/**/*.sql'],
        exclude: ['db/old/**'],
        templates: ['%%\\w+%%', { pattern: '@@\\w+@@', as: 'value' }],
        embedded: { languages: { python: false }, calls: ['runQuery'], tags: ['db.sql'], keywordFallback: false },
      }),
      RULE_IDS,
    );
    expect(file.problems).toEqual([]);
    // Every field differs from its default, so a field the merge drops shows.
    for (const k of Object.keys(DEFAULT_CONFIG) as (keyof ResolvedConfig)[]) expect(file.config[k], k).not.toEqual(DEFAULT_CONFIG[k]);
    expect(mergeSettings(file.config, {})).toEqual({ config: file.config, problems: [] });
  });
});

describe('lsp: settings', () => {
  it('pgperf.rules severities from workspace/configuration apply to open and closed files', async () => {
    const { client, uri } = await start({ 'closed.sql': PAGE }, { rules: { 'offset-pagination': 'error', 'select-star': 'off' } });
    const closed = await client.waitForDiagnostics(uri('closed.sql'), has('offset-pagination'));
    expect(codes(closed.diagnostics)).toEqual(['offset-pagination']);
    expect(closed.diagnostics[0].severity).toBe(1);
    const u = uri('open.sql');
    client.open(u, PAGE, 1);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 1);
    expect(codes(p.diagnostics)).toEqual(['offset-pagination']);
    expect(p.diagnostics[0].severity).toBe(1);
  });

  it('turning a rule "off" with didChangeConfiguration removes its diagnostics without a restart, and back on', async () => {
    const { client, uri } = await start({ 'closed.sql': PAGE });
    const u = uri('open.sql');
    client.open(u, PAGE, 1);
    await client.waitForDiagnostics(u, has('offset-pagination'));
    await client.waitForDiagnostics(uri('closed.sql'), has('offset-pagination'));
    const pid = client.pid;
    client.changeSettings({ rules: { 'offset-pagination': 'off' } });
    const p = await client.waitForDiagnostics(u, hasNot('offset-pagination'));
    expect(codes(p.diagnostics)).toEqual([]);
    await client.waitForDiagnostics(uri('closed.sql'), hasNot('offset-pagination'));
    client.changeSettings({ rules: { 'offset-pagination': 'info' } });
    const back = await client.waitForDiagnostics(u, has('offset-pagination'));
    expect(of(back.diagnostics, 'offset-pagination')[0].severity).toBe(3);
    expect(client.pid).toBe(pid);
    expect(client.alive).toBe(true);
  });

  it('pgperf.tenantColumn decides what a tenant table is', async () => {
    const text = 'CREATE TABLE a (org_id int);\nCREATE TABLE b (tenant_id int);\n';
    const { client, uri } = await start({}, { tenantColumn: 'org_id' });
    const u = uri('t.sql');
    client.open(u, text, 1);
    const p = await client.waitForDiagnostics(u, has('tenant-table-without-rls'));
    expect(of(p.diagnostics, 'tenant-table-without-rls').map((d) => textIn(text, d.range))).toEqual(['a']);
    client.changeSettings({ tenantColumn: 'tenant_id' });
    const p2 = await client.waitForDiagnostics(u, (ds) => of(ds, 'tenant-table-without-rls').some((d) => textIn(text, d.range) === 'b'));
    expect(of(p2.diagnostics, 'tenant-table-without-rls').map((d) => textIn(text, d.range))).toEqual(['b']);
  });

  it('pgperf.partitionedTables declares a partitioned table whose DDL is elsewhere', async () => {
    const q = 'SELECT id FROM app.events WHERE id = $1;\n';
    const { client, uri } = await start({ 'q.sql': q }, { partitionedTables: { 'app.events': { strategy: 'range', columns: ['ts'] } } });
    const p = await client.waitForDiagnostics(uri('q.sql'), has('partition-range-missing'));
    expect(textIn(q, of(p.diagnostics, 'partition-range-missing')[0].range)).toBe('app.events');
  });

  it('pgperf.exclude keeps files out of the scan', async () => {
    const { client, uri } = await start({ 'db/a.sql': PAGE, 'db/legacy/old.sql': 'VACUUM FULL x;\n' }, { exclude: ['**/node_modules/**', 'db/legacy/**'] });
    await client.waitForDiagnostics(uri('db/a.sql'), has('offset-pagination'));
    expect(client.latest(uri('db/legacy/old.sql'))?.diagnostics ?? []).toEqual([]);
    expect(client.statuses.find((s) => s.state === 'ready')?.files).toBe(1);
  });

  it('.pgperf.json applies; VS Code settings override it per rule; editing it on disk applies without restart', async () => {
    const text = 'SELECT * FROM t;\nVACUUM FULL t;\nREINDEX TABLE t;\n';
    const cfg = { rules: { 'select-star': 'off', 'vacuum-full': 'error', 'reindex-concurrently': 'error' } };
    const { dir, client, uri } = await start({ '.pgperf.json': JSON.stringify(cfg), 'm.sql': text }, { rules: { 'vacuum-full': 'info' } });
    const p = await client.waitForDiagnostics(uri('m.sql'), has('vacuum-full'));
    expect(codes(p.diagnostics)).toEqual(['reindex-concurrently', 'vacuum-full']);
    expect(of(p.diagnostics, 'vacuum-full')[0].severity).toBe(3);
    expect(of(p.diagnostics, 'reindex-concurrently')[0].severity).toBe(1);
    // select-star is opt-in: the edited file turns it on.
    writeFileSync(join(dir, '.pgperf.json'), JSON.stringify({ rules: { 'reindex-concurrently': 'off', 'select-star': 'info' } }));
    client.watchedFilesChanged([{ uri: fileUri(join(dir, '.pgperf.json')), type: 2 }]);
    const p2 = await client.waitForDiagnostics(uri('m.sql'), hasNot('reindex-concurrently'));
    expect(codes(p2.diagnostics)).toEqual(['select-star', 'vacuum-full']);
  });

  it('.pgperf.json templates apply beside the settings: a pattern is replaced before parsing, in closed and open files', async () => {
    // `%%name%%` is no SQL: without the pattern the statement is a syntax error, with it the OFFSET is found.
    const text = 'SELECT id FROM %%events%% ORDER BY id LIMIT 10 OFFSET 20;\n';
    const { client, uri } = await start(
      { '.pgperf.json': JSON.stringify({ templates: ['%%\\w+%%'] }), 'closed.sql': text },
      { rules: { 'vacuum-full': 'error' } },
    );
    const closed = await client.waitForDiagnostics(uri('closed.sql'));
    expect(codes(closed.diagnostics)).toEqual(['offset-pagination']);
    const u = uri('open.sql');
    client.open(u, text, 1);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 1);
    expect(codes(p.diagnostics)).toEqual(['offset-pagination']);
  });

  it('a .pgperf.json that is not JSON does not stop the server; the defaults apply', async () => {
    const { client, uri } = await start({ '.pgperf.json': '{ not json', 'm.sql': PAGE });
    const p = await client.waitForDiagnostics(uri('m.sql'), has('offset-pagination'));
    expect(codes(p.diagnostics)).toEqual(['offset-pagination']);
    expect(client.alive).toBe(true);
  });
});

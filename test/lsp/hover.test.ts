/** Hover over the protocol: rule docs on a finding, catalog knowledge on a table name. */
import { describe, expect, it } from 'vitest';
import type { Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { RULES } from '../../server/src/analysis/rules/index';
import { positionAt } from './client';
import { has, start } from './harness';

const SCHEMA =
  'CREATE TABLE app.event_log (tenant_id text NOT NULL, event_id uuid NOT NULL, event_type text, "timestamp" timestamptz NOT NULL, payload jsonb,\n' +
  '  PRIMARY KEY (tenant_id, "timestamp", event_id)) PARTITION BY RANGE ("timestamp");\n' +
  'CREATE INDEX event_log_type_idx ON app.event_log (tenant_id, event_type);\n' +
  'ALTER TABLE app.event_log ENABLE ROW LEVEL SECURITY;\n' +
  "CREATE POLICY tenant_isolation ON app.event_log USING (tenant_id = current_setting('app.tenant'));\n";

function markdown(h: Hover | null): string {
  expect(h, 'a hover').not.toBeNull();
  const c = h!.contents as MarkupContent;
  expect(c.kind).toBe('markdown');
  return c.value;
}

describe('lsp: hover', () => {
  it('on a finding: the rule docs in Markdown (id, summary, why, fix)', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    const text = 'SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 20;\n';
    client.open(u, text, 1);
    await client.waitForDiagnostics(u, has('offset-pagination'));
    const md = markdown(await client.hover(u, positionAt(text, text.indexOf('OFFSET') + 2)));
    const meta = RULES.find((r) => r.meta.id === 'offset-pagination')!.meta;
    expect(md).toContain('offset-pagination');
    expect(md).toContain(meta.docs.summary);
    expect(md).toContain(meta.docs.why.slice(0, 40));
    expect(md).toContain(meta.docs.fix.slice(0, 40));
  });

  it('on a table name: columns, partition key, indexes, RLS and policies, and the declaring file', async () => {
    const q = 'SELECT event_id FROM app.event_log WHERE "timestamp" >= $1 AND "timestamp" < $2;\n';
    const { client, uri } = await start({ 'schema/event_log.sql': SCHEMA, 'queries/q.sql': q });
    const u = uri('queries/q.sql');
    client.open(u, q, 1);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 1);
    expect(p.diagnostics).toEqual([]);
    const md = markdown(await client.hover(u, positionAt(q, q.indexOf('event_log') + 3)));
    expect(md).toContain('app.event_log');
    for (const col of ['tenant_id', 'event_id', 'event_type', 'timestamp', 'payload']) expect(md).toContain(col);
    expect(md).toMatch(/range/i);
    expect(md).toMatch(/partition/i);
    expect(md).toContain('event_log_type_idx');
    expect(md).toContain('tenant_isolation');
    expect(md).toMatch(/row.level security|RLS/i);
    expect(md).toContain('schema/event_log.sql');
  });

  it('on a table name in DDL of another file; nothing on whitespace; no catalog info for an unknown name', async () => {
    const { client, uri } = await start({ 'schema/event_log.sql': SCHEMA });
    const u = uri('m.sql');
    // The lock_timeout keeps require-lock-timeout's finding (and its docs in the hover) off the ALTER TABLE.
    const text = "SET lock_timeout = '5s';\nALTER TABLE app.event_log ADD COLUMN note text;\n\nSELECT 1 FROM nowhere;\n";
    client.open(u, text, 1);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 1);
    expect(p.diagnostics.filter((d) => d.range.start.line === 1)).toEqual([]);
    const md = markdown(await client.hover(u, positionAt(text, text.indexOf('event_log ADD') + 1)));
    expect(md).toContain('app.event_log');
    expect(md).toContain('note');
    expect(await client.hover(u, { line: 2, character: 0 })).toBeNull();
    const unknown = await client.hover(u, positionAt(text, text.indexOf('nowhere') + 1));
    if (unknown !== null) expect(markdown(unknown)).not.toContain('tenant_id');
  });
});

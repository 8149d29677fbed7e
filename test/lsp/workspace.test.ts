/** The language server's workspace model, driven directly (no LSP): what it keeps in memory for closed files. */
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../server/src/ide/workspace';

const SCHEMA = 'CREATE TABLE t (id bigint PRIMARY KEY, ts timestamptz);\n';
const QUERY = 'SELECT id FROM t ORDER BY id LIMIT 10 OFFSET 20;\n';
const BROKEN = 'SELEC 1;\nSELECT id FROM t ORDER BY id LIMIT 10 OFFSET 20;\n';

describe('Workspace memory for closed files', () => {
  it('stores findings without fixes, open or closed; findingsWithFixes computes those asked for', () => {
    const ws = new Workspace();
    ws.update('file:///s.sql', 's.sql', SCHEMA);
    ws.update('file:///q.sql', 'q.sql', QUERY);
    const closed = ws.lint('file:///q.sql')!;
    expect(closed.findings.map((f) => f.ruleId)).toEqual(['offset-pagination']);
    expect('fix' in closed.findings[0]!).toBe(false);
    expect(closed.parsed).toBeUndefined();

    ws.update('file:///q.sql', 'q.sql', QUERY, { version: 1, open: true });
    const open = ws.lint('file:///q.sql')!;
    expect('fix' in open.findings[0]!).toBe(false);
    expect(open.parsed).toBeDefined();
    expect(ws.findingsWithFixes('file:///q.sql', (f) => f.ruleId === 'offset-pagination')![0].fix?.title).toMatch(/keyset pagination/);
    expect('fix' in ws.findingsWithFixes('file:///q.sql', () => false)![0]).toBe(false);
  });

  it('a scan (lintLater) drops the parse of a file that parses whole, keeps it for one with syntax errors, and lints both alike', () => {
    const ws = new Workspace();
    ws.update('file:///s.sql', 's.sql', SCHEMA, { lintLater: true });
    ws.update('file:///q.sql', 'q.sql', QUERY, { lintLater: true });
    ws.update('file:///b.sql', 'b.sql', BROKEN, { lintLater: true });
    expect(ws.get('file:///q.sql')!.parsed).toBeUndefined();
    expect(ws.get('file:///b.sql')!.parsed).toBeDefined();
    // The catalog still has the DDL of the file whose parse was dropped.
    expect([...ws.catalog().tables.keys()]).toEqual(['public.t']);
    expect(ws.lint('file:///q.sql')!.findings.map((f) => [f.ruleId, f.range.start.line])).toEqual([['offset-pagination', 0]]);
    expect(ws.lint('file:///b.sql')!.findings.map((f) => [f.ruleId, f.range.start.line])).toEqual([
      ['syntax-error', 0],
      ['offset-pagination', 1],
    ]);
    // Without lintLater (a file changed on disk, linted at once) the parse is kept for that lint.
    ws.update('file:///q.sql', 'q.sql', QUERY.replace('20', '30'));
    expect(ws.get('file:///q.sql')!.parsed).toBeDefined();
  });
});

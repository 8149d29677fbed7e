/**
 * Code actions in host files over the protocol (issue 12): the rule's fix lands inside the string and keeps it a
 * valid string of the host language; the suppressions are comments of the host language.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { extractSql, initEmbedded } from '../../server/src/analysis/host/index';
import { hostErrorCount } from '../../server/src/analysis/host/directives';
import { parseSql } from '../../server/src/analysis/pg';
import { lintSources } from '../../server/src/analysis/engine';
import { applyTextEdits, editsFor, isCodeAction, offsetAt, replaceAll, type LspClient } from './client';
import { codes, has, of, start } from './harness';

beforeAll(async () => {
  await initEmbedded();
});

const MIGRATION = 'CREATE TABLE items (id bigint PRIMARY KEY, tenant_id text NOT NULL, name text);\n';

/** node-postgres with the query in a multi-line template literal (the parameter is node-postgres' own $1). */
const PAGE_TS = `import { Pool } from 'pg';

const pool = new Pool();

export async function itemsPage(page: number): Promise<{ id: string; name: string }[]> {
  const { rows } = await pool.query(\`
    SELECT id, name
    FROM items
    ORDER BY id
    LIMIT 20 OFFSET $1\`, [page * 20]);
  return rows;
}
`;

async function actionsFor(client: LspClient, uri: string, d: Diagnostic): Promise<CodeAction[]> {
  const raw = (await client.codeActions(uri, d.range, [d])) ?? [];
  return raw.filter(isCodeAction);
}

function pick(actions: CodeAction[], re: RegExp): CodeAction {
  const a = actions.find((x) => re.test(x.title));
  expect(a, `an action matching ${re} among ${JSON.stringify(actions.map((x) => x.title))}`).toBeDefined();
  return a!;
}

async function opened(files: Record<string, string>, name: string, languageId: string, rule: string) {
  const s = await start({ 'migrations/001_items.sql': MIGRATION, ...files });
  const u = s.uri(name);
  s.client.open(u, files[name], 1, languageId);
  const p = await s.client.waitForDiagnostics(u, (ds, p) => p.version === 1 && has(rule)(ds));
  return { ...s, u, text: files[name], diagnostic: of(p.diagnostics, rule)[0] };
}

describe('lsp: code actions in host files', () => {
  it('TypeScript: the keyset fix edits inside the template literal; the file stays valid TypeScript, the SQL parses, the finding is gone', async () => {
    const { client, u, text, diagnostic } = await opened({ 'src/items.ts': PAGE_TS }, 'src/items.ts', 'typescript', 'offset-pagination');
    const actions = await actionsFor(client, u, diagnostic);
    const fix = pick(actions, /^Use keyset pagination/);
    expect(fix.isPreferred).toBe(true);
    const edits = editsFor(fix.edit, u);
    expect(edits.length).toBeGreaterThan(0);

    // Every edit lands inside the literal's text (between the backticks).
    const [before] = extractSql('src/items.ts', text);
    const open = text.indexOf('`', text.indexOf('pool.query('));
    const close = text.indexOf('`', open + 1);
    for (const e of edits) {
      expect(offsetAt(text, e.range.start)).toBeGreaterThan(open);
      expect(offsetAt(text, e.range.end)).toBeLessThanOrEqual(close);
      expect(before.pieces.some((p) => p.start <= offsetAt(text, e.range.start) && offsetAt(text, e.range.end) <= p.end)).toBe(true);
    }

    const fixed = applyTextEdits(text, edits);
    expect(hostErrorCount('src/items.ts', fixed)).toBe(0);
    const after = extractSql('src/items.ts', fixed);
    expect(after).toHaveLength(1);
    expect(after[0].sql).not.toMatch(/OFFSET/i);
    expect(after[0].sql).toMatch(/WHERE id > \$1/);
    expect(parseSql(after[0].sql).ok).toBe(true);
    const relinted = lintSources([
      { path: 'migrations/001_items.sql', text: MIGRATION },
      { path: 'src/items.ts', text: fixed },
    ]);
    expect(relinted.files.find((f) => f.file.path === 'src/items.ts')!.findings.map((f) => f.ruleId)).toEqual([]);

    // And the server, given the fixed text, reports nothing any more.
    client.change(u, 2, [replaceAll(text, fixed)]);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);
  });

  it('TypeScript: "ignore for this statement" puts `// pgperf-ignore` above the statement holding the string, indented like it', async () => {
    const { client, u, text, diagnostic } = await opened({ 'src/items.ts': PAGE_TS }, 'src/items.ts', 'typescript', 'offset-pagination');
    const ignore = pick(await actionsFor(client, u, diagnostic), /^Ignore offset-pagination for this statement/);
    const edits = editsFor(ignore.edit, u);
    expect(edits).toEqual([
      { range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, newText: '  // pgperf-ignore offset-pagination: <reason>\n' },
    ]);
    const next = applyTextEdits(text, edits).replace('<reason>', 'admin list, 3 pages at most');
    expect(hostErrorCount('src/items.ts', next)).toBe(0);
    client.change(u, 2, [replaceAll(text, next)]);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);
  });

  it('Python: the suppression quick fix inserts `# pgperf-ignore …` on the line before the call, and it suppresses the finding', async () => {
    const py = `import psycopg


def latest_items(conn: psycopg.Connection, page: int):
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT id, name
            FROM items
            ORDER BY id
            LIMIT 50 OFFSET 100
            """
        )
        return cur.fetchall()
`;
    const { client, u, diagnostic } = await opened({ 'app/items.py': py }, 'app/items.py', 'python', 'offset-pagination');
    expect(diagnostic.range.start.line).toBe(10);
    const actions = await actionsFor(client, u, diagnostic);
    const ignore = pick(actions, /^Ignore offset-pagination for this statement/);
    const edits = editsFor(ignore.edit, u);
    expect(edits).toEqual([
      { range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, newText: '        # pgperf-ignore offset-pagination: <reason>\n' },
    ]);
    const next = applyTextEdits(py, edits);
    expect(next.split('\n')[5]).toBe('        # pgperf-ignore offset-pagination: <reason>');
    expect(hostErrorCount('app/items.py', next)).toBe(0);
    client.change(u, 2, [replaceAll(py, next)]);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);

    // The file-wide one is a Python comment at the top.
    const file = pick(actions, /^Ignore offset-pagination in this file/);
    expect(editsFor(file.edit, u)).toEqual([
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '# pgperf-ignore-file offset-pagination\n' },
    ]);
    const whole = applyTextEdits(py, editsFor(file.edit, u));
    client.change(u, 3, [replaceAll(next, whole)]);
    const q = await client.waitForDiagnostics(u, (_, p) => p.version === 3);
    expect(codes(q.diagnostics)).toEqual([]);
  });

  it('Python: the keyset fix inside a triple-quoted string keeps valid Python and clears the finding', async () => {
    const py = 'def page(cur):\n    cur.execute("""\n        SELECT id, name FROM items\n        ORDER BY id LIMIT 50 OFFSET 100\n    """)\n';
    const { client, u, diagnostic } = await opened({ 'app/page.py': py }, 'app/page.py', 'python', 'offset-pagination');
    const fix = pick(await actionsFor(client, u, diagnostic), /^Use keyset pagination/);
    const fixed = applyTextEdits(py, editsFor(fix.edit, u));
    expect(hostErrorCount('app/page.py', fixed)).toBe(0);
    const [e] = extractSql('app/page.py', fixed);
    expect(parseSql(e.sql).ok).toBe(true);
    expect(e.sql).not.toMatch(/OFFSET/);
    client.change(u, 2, [replaceAll(py, fixed)]);
    expect(codes((await client.waitForDiagnostics(u, (_, p) => p.version === 2)).diagnostics)).toEqual([]);
  });

  it('Go and Rust: the statement suppression is a `//` comment above the statement, and a file suppression goes below a `#!` line', async () => {
    const go =
      'package items\n\nfunc Page(db *sql.DB) error {\n\tif _, err := db.Exec("DELETE FROM items WHERE name = $1 OR name = $2 OR name = $3"); err != nil {\n\t\treturn err\n\t}\n\treturn nil\n}\n';
    const g = await opened({ 'items/page.go': go }, 'items/page.go', 'go', 'or-chain');
    const goEdits = editsFor(pick(await actionsFor(g.client, g.u, g.diagnostic), /for this statement/).edit, g.u);
    expect(goEdits.map((e) => [e.range.start.line, e.newText])).toEqual([[3, '\t// pgperf-ignore or-chain: <reason>\n']]);
    const goNext = applyTextEdits(go, goEdits);
    expect(hostErrorCount('items/page.go', goNext)).toBe(0);
    g.client.change(g.u, 2, [replaceAll(go, goNext)]);
    expect(codes((await g.client.waitForDiagnostics(g.u, (_, p) => p.version === 2)).diagnostics)).toEqual([]);

    const rs = '#!/usr/bin/env run-cargo-script\nfn main() {\n    client.query("SELECT id FROM items WHERE name = $1 OR name = $2 OR name = $3", &[]);\n}\n';
    const r = await opened({ 'src/main.rs': rs }, 'src/main.rs', 'rust', 'or-chain');
    const fileEdits = editsFor(pick(await actionsFor(r.client, r.u, r.diagnostic), /in this file/).edit, r.u);
    expect(fileEdits).toEqual([{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, newText: '// pgperf-ignore-file or-chain\n' }]);
  });
});

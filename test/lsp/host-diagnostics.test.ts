/**
 * SQL in TypeScript, JavaScript, Python, Go and Rust documents over the protocol (issue 12): diagnostics at the
 * exact host range, the workspace scan of host files (dependencies left out), the `embedded` setting.
 */
import { describe, expect, it } from 'vitest';
import { fileUri, positionAt, textIn, writeWorkspaceFile } from './client';
import { codes, has, of, start } from './harness';

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

describe('lsp: SQL in host files', () => {
  it('a .ts document: the OFFSET inside the template literal is reported at its exact range in the TypeScript file', async () => {
    const s = await start({ 'migrations/001_items.sql': MIGRATION });
    const u = s.uri('src/items.ts');
    s.client.open(u, PAGE_TS, 1, 'typescript');
    const p = await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
    expect(codes(p.diagnostics)).toEqual(['offset-pagination']);
    const d = of(p.diagnostics, 'offset-pagination')[0];
    const at = PAGE_TS.indexOf('OFFSET $1');
    expect(d.range).toEqual({ start: positionAt(PAGE_TS, at), end: positionAt(PAGE_TS, at + 'OFFSET $1'.length) });
    expect(textIn(PAGE_TS, d.range)).toBe('OFFSET $1');
    expect(d.range.start.line).toBe(9);

    // An edit moves the finding with the host text (lines added above the query).
    const edited = PAGE_TS.replace('const pool = new Pool();\n', 'const pool = new Pool();\n// the shared pool\n// (one per process)\n');
    s.client.change(u, 2, [{ text: edited }]);
    const q = await s.client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(q.diagnostics.map((x) => [x.code, x.range.start.line, textIn(edited, x.range)])).toEqual([['offset-pagination', 11, 'OFFSET $1']]);

    // Host code that only looks like SQL outside a string is not read: no syntax-error for TypeScript itself.
    const plain = 'export const select = (from: number) => from + 1;\n';
    s.client.change(u, 3, [{ text: plain }]);
    const r = await s.client.waitForDiagnostics(u, (_, p) => p.version === 3);
    expect(r.diagnostics).toEqual([]);
  });

  it('Python, Go, Rust and JavaScript documents are served too, each by its languageId', async () => {
    const s = await start();
    const docs: [string, string, string, string][] = [
      ['q.py', 'python', 'def page(cur):\n    cur.execute("SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20")\n', 'OFFSET 20'],
      ['q.go', 'go', 'package q\n\nfunc page(db *sql.DB) {\n\tdb.Query(`SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20`)\n}\n', 'OFFSET 20'],
      ['q.rs', 'rust', 'fn page(c: &Client) {\n    c.query(r#"SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20"#, &[]);\n}\n', 'OFFSET 20'],
      ['q.mjs', 'javascript', "await client.query('SELECT id FROM items WHERE a = 1 OR a = 2 OR a = 3');\n", 'a = 1 OR a = 2 OR a = 3'],
    ];
    for (const [name, languageId, text, expected] of docs) {
      const u = s.uri(name);
      s.client.open(u, text, 1, languageId);
      const p = await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
      expect(p.diagnostics.length, name).toBe(1);
      expect(textIn(text, p.diagnostics[0].range), name).toBe(expected);
    }
  });

  it('an untitled TypeScript editor is read as TypeScript (by its languageId), not as SQL', async () => {
    const s = await start();
    const u = 'untitled:Untitled-1';
    const text = 'const rows = await sql`SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 40`;\n';
    s.client.open(u, text, 1, 'typescript');
    const p = await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
    // As SQL this text would be one syntax error; as TypeScript it holds one query, paginated by OFFSET.
    expect(codes(p.diagnostics)).toEqual(['offset-pagination']);
    expect(textIn(text, p.diagnostics[0].range)).toBe('OFFSET 40');
  });

  it('the workspace scan lints host files with the migrations, and skips node_modules, target, vendor and .venv', async () => {
    const dep = "module.exports = (db) => db.query('SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20');\n";
    const s = await start({
      'migrations/001_items.sql': MIGRATION,
      'src/items.ts': PAGE_TS,
      'app/report.py': 'def report(cur):\n    cur.execute("SELECT id FROM items ORDER BY id LIMIT 50 OFFSET 100")\n',
      'node_modules/some-orm/index.js': dep,
      'target/debug/build/out.rs': 'fn f(c: &Client) { c.query("SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20", &[]); }\n',
      'vendor/lib/q.go': 'package lib\nfunc f(db *sql.DB) { db.Query("SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20") }\n',
      '.venv/lib/site.py': 'cur.execute("SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20")\n',
      'src/types.d.ts': "declare const q = 'SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20';\n",
    });
    const ts = s.uri('src/items.ts');
    const py = s.uri('app/report.py');
    await s.client.waitForDiagnostics(ts, has('offset-pagination'));
    await s.client.waitForDiagnostics(py, has('offset-pagination'));
    const published = [...s.client.published.keys()].map((u) => u.slice(fileUri(s.dir).length + 1)).sort();
    expect(published).toEqual(['app/report.py', 'migrations/001_items.sql', 'src/items.ts']);
    const ready = s.client.statuses.filter((x) => x.state === 'ready').at(-1)!;
    expect(ready.files).toBe(3);
    expect(codes(s.client.latest(ts)!.diagnostics)).toEqual(['offset-pagination']);
    expect(codes(s.client.latest(py)!.diagnostics)).toEqual(['offset-pagination']);

    // The server watches host files on disk (the registration), but a change in node_modules stays outside.
    const watchers = s.client.registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles')?.registerOptions as {
      watchers: { globPattern: string }[];
    };
    expect(watchers.watchers.map((w) => w.globPattern)).toContain('**/*.{ts,mts,cts,tsx,js,mjs,cjs,jsx,py,go,rs}');
    const depPath = writeWorkspaceFile(s.dir, 'node_modules/some-orm/index.js', dep.replace('20', '40'));
    const newPath = writeWorkspaceFile(s.dir, 'src/more.js', "export const q = (db) => db.query('SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20');\n");
    s.client.watchedFilesChanged([
      { uri: fileUri(depPath), type: 2 },
      { uri: fileUri(newPath), type: 1 },
    ]);
    await s.client.waitForDiagnostics(fileUri(newPath), has('offset-pagination'));
    expect(s.client.published.has(fileUri(depPath))).toBe(false);
  });

  it('pgperf.embedded switches host languages off: the scan reads no file of theirs', async () => {
    const s = await start(
      {
        'migrations/001_items.sql': MIGRATION,
        'app/report.py': 'def report(cur):\n    cur.execute("SELECT id FROM items ORDER BY id LIMIT 50 OFFSET 100")\n',
        'src/items.ts': PAGE_TS,
      },
      { embedded: { languages: { python: false } } },
    );
    await s.client.waitForDiagnostics(s.uri('src/items.ts'), has('offset-pagination'));
    expect(s.client.published.has(s.uri('app/report.py'))).toBe(false);
    expect(s.client.statuses.filter((x) => x.state === 'ready').at(-1)!.files).toBe(2);

    // Python back on, TypeScript off: a new scan.
    const before = s.client.statuses.length;
    s.client.changeSettings({ embedded: { languages: { typescript: false } } });
    await s.client.waitForStatus((x) => x.state === 'ready' && x.files === 2, 10_000, before);
    await s.client.waitForDiagnostics(s.uri('app/report.py'), has('offset-pagination'));

    // `false` turns every language off.
    const again = s.client.statuses.length;
    s.client.changeSettings({ embedded: false });
    await s.client.waitForStatus((x) => x.state === 'ready' && x.files === 1, 10_000, again);
  });

  it('DDL in a host string (a TypeORM-style migration) feeds the catalog of the .sql queries', async () => {
    const migration = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class Events1700000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE TABLE event_log (tenant_id text NOT NULL, id bigint NOT NULL, "timestamp" timestamptz NOT NULL)
      PARTITION BY RANGE ("timestamp")\`);
  }
}
`;
    const q = 'SELECT id FROM event_log WHERE tenant_id = $1;\n';
    const s = await start({ 'src/migrations/1700000000000-events.ts': migration, 'queries/events.sql': q });
    const p = await s.client.waitForDiagnostics(s.uri('queries/events.sql'), has('partition-range-missing'));
    expect(textIn(q, of(p.diagnostics, 'partition-range-missing')[0].range)).toContain('event_log');

    // Editing the migration in the editor (partitioned by list now, an edit of the same length) updates the .sql
    // file's findings.
    const m = s.uri('src/migrations/1700000000000-events.ts');
    s.client.open(m, migration, 1, 'typescript');
    await s.client.waitForDiagnostics(m, (_, p) => p.version === 1);
    s.client.change(m, 2, [{ text: migration.replace('PARTITION BY RANGE', 'PARTITION BY LIST ') }]);
    await s.client.waitForDiagnostics(s.uri('queries/events.sql'), (ds) => !has('partition-range-missing')(ds));
  });
});

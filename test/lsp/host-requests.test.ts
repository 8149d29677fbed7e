/**
 * Hover and pgperf's own requests (statementAt, statements: the EXPLAIN command and CodeLens) in host files over
 * the protocol (issue 12): positions are the host file's, the SQL is the string's, holes become $n parameters.
 */
import { describe, expect, it } from 'vitest';
import type { Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { STATEMENT_AT_REQUEST, STATEMENTS_REQUEST, type StatementInfo } from '../../protocol/index';
import { positionAt, textIn } from './client';
import { start } from './harness';

const EVENTS =
  'CREATE TABLE app.events (tenant_id text NOT NULL, id bigint NOT NULL, kind text NOT NULL, created_at timestamptz NOT NULL,\n' +
  '  PRIMARY KEY (tenant_id, id));\n' +
  'CREATE INDEX events_kind_idx ON app.events (tenant_id, kind);\n';

function markdown(h: Hover | null): string {
  expect(h, 'a hover').not.toBeNull();
  const c = h!.contents as MarkupContent;
  expect(c.kind).toBe('markdown');
  return c.value;
}

const PY = `from psycopg import Connection


def recent_events(conn: Connection, tenant: str):
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT id, kind, created_at
            FROM app.events
            WHERE tenant_id = %s
            ORDER BY created_at DESC
            LIMIT 20
            """,
            (tenant,),
        )
        return cur.fetchall()
`;

describe('lsp: hover and statements in host files', () => {
  it('hover on a table name inside a Python triple-quoted string shows the table of the migrations .sql file', async () => {
    const s = await start({ 'migrations/001_events.sql': EVENTS, 'app/events.py': PY });
    const u = s.uri('app/events.py');
    s.client.open(u, PY, 1, 'python');
    await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
    const at = PY.indexOf('app.events') + 'app.e'.length;
    const h = await s.client.hover(u, positionAt(PY, at));
    const md = markdown(h);
    expect(md).toContain('app.events');
    expect(md).toContain('migrations/001_events.sql:1');
    for (const col of ['tenant_id', 'kind', 'created_at']) expect(md).toContain(col);
    expect(md).toContain('events_kind_idx');
    // The hover's range is the name in the Python file.
    expect(textIn(PY, h!.range!)).toBe('app.events');

    // Python code outside the string, and the `%s` parameter, have no table hover.
    expect(await s.client.hover(u, positionAt(PY, PY.indexOf('cur.fetchall') + 2))).toBeNull();
    expect(await s.client.hover(u, positionAt(PY, PY.indexOf('recent_events') + 2))).toBeNull();
  });

  it('hover in a .sql query on a table declared in a TypeScript migration points at the line in the .ts file', async () => {
    const migration = `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The events table, created before anything reads it.

  await knex.raw(\`
    CREATE TABLE app.events (tenant_id text NOT NULL, id bigint NOT NULL, kind text NOT NULL)
  \`);
}
`;
    const q = 'SELECT id FROM app.events WHERE tenant_id = $1;\n';
    // missing-index rightly fires on the same range (no index on tenant_id), and its hover would stand in for the table's.
    const s = await start({
      '.pgperf.json': JSON.stringify({ rules: { 'missing-index': 'off' } }),
      'db/migrations/20240101_events.ts': migration,
      'queries/q.sql': q,
    });
    const u = s.uri('queries/q.sql');
    s.client.open(u, q, 1);
    await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
    const md = markdown(await s.client.hover(u, positionAt(q, q.indexOf('events') + 1)));
    // Line 6 of the TypeScript file (1-based), where CREATE TABLE is; not a line of the SQL view.
    expect(md).toContain('db/migrations/20240101_events.ts:7');
  });

  it('Go: the CodeLens range starts on the line of the query string, and statementAt there gives its SQL', async () => {
    const go = `package events

import (
	"context"
	"database/sql"
)

func Recent(ctx context.Context, db *sql.DB, tenant string) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT id, kind FROM app.events WHERE tenant_id = $1 ORDER BY id DESC LIMIT 20", tenant)
}

func Kinds(ctx context.Context, db *sql.DB, tenant string) (*sql.Rows, error) {
	rows, err := db.QueryContext(ctx,
		\`
		SELECT kind, count(*)
		FROM app.events
		WHERE tenant_id = $1
		GROUP BY kind\`, tenant)
	return rows, err
}
`;
    const s = await start({ 'migrations/001_events.sql': EVENTS });
    const u = s.uri('events/recent.go');
    s.client.open(u, go, 1, 'go');
    await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
    const all = await s.client.request<StatementInfo[]>(STATEMENTS_REQUEST, { textDocument: { uri: u } });
    expect(all.map((x) => x.kind)).toEqual(['SelectStmt', 'SelectStmt']);
    const lines = go.split('\n');
    // The first string is on the QueryContext line; the second (a raw string) starts on the line of its backtick.
    expect(all[0].range.start.line).toBe(lines.findIndex((l) => l.includes('"SELECT id, kind')));
    expect(all[0].range.start).toEqual(positionAt(go, go.indexOf('"SELECT id, kind')));
    expect(all[1].range.start.line).toBe(lines.findIndex((l) => l.trim() === '`'));
    expect(all[1].range.end).toEqual(positionAt(go, go.indexOf('GROUP BY kind') + 'GROUP BY kind'.length));

    // The CodeLens passes its range's start: statementAt there is that statement, with the string's SQL.
    for (const st of all) {
      const at = await s.client.request<StatementInfo | null>(STATEMENT_AT_REQUEST, { textDocument: { uri: u }, position: st.range.start });
      expect(at).toEqual(st);
    }
    expect(all[0].text).toBe('SELECT id, kind FROM app.events WHERE tenant_id = $1 ORDER BY id DESC LIMIT 20');
    expect(all[1].text).toBe('SELECT kind, count(*)\n\t\tFROM app.events\n\t\tWHERE tenant_id = $1\n\t\tGROUP BY kind');
    // The cursor on the Go code of the string's line (`return db.QueryContext(`) finds the query of that line too.
    const onCall = await s.client.request<StatementInfo | null>(STATEMENT_AT_REQUEST, {
      textDocument: { uri: u },
      position: positionAt(go, go.indexOf('return db.QueryContext') + 2),
    });
    expect(onCall?.text).toBe(all[0].text);
    // In Go code away from any query: nothing.
    const away = await s.client.request<StatementInfo | null>(STATEMENT_AT_REQUEST, {
      textDocument: { uri: u },
      position: positionAt(go, go.indexOf('return rows')),
    });
    expect(away).toBeNull();
  });

  it('TypeScript: statementAt inside a tagged template gives the SQL with its holes as $n parameters (for EXPLAIN)', async () => {
    const ts = `import postgres from 'postgres';

const sql = postgres();

export function byKind(tenant: string, kind: string) {
  return sql\`
    SELECT id, created_at FROM app.events
    WHERE tenant_id = \${tenant} AND kind = \${kind}
    ORDER BY created_at DESC LIMIT 50\`;
}
`;
    const s = await start({ 'migrations/001_events.sql': EVENTS });
    const u = s.uri('src/events.ts');
    s.client.open(u, ts, 1, 'typescript');
    await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
    const at = await s.client.request<StatementInfo | null>(STATEMENT_AT_REQUEST, {
      textDocument: { uri: u },
      position: positionAt(ts, ts.indexOf('kind = ')),
    });
    expect(at?.kind).toBe('SelectStmt');
    expect(at!.text).toMatch(/^SELECT id, created_at FROM app\.events\s+WHERE tenant_id = \$1 AND kind = \$2\s+ORDER BY created_at DESC LIMIT 50$/);
    // The range is in the TypeScript file: from the template's backtick to the end of the SQL.
    expect(at!.range.start).toEqual(positionAt(ts, ts.indexOf('sql`') + 3));
    expect(at!.range.end).toEqual(positionAt(ts, ts.indexOf('LIMIT 50') + 'LIMIT 50'.length));
    // The client names what each parameter is when it asks for its value.
    expect(at!.params).toEqual(['${tenant} (line 8)', '${kind} (line 8)']);
    expect(at!.refused).toBeUndefined();
    // On a hole: still that statement.
    const onHole = await s.client.request<StatementInfo | null>(STATEMENT_AT_REQUEST, {
      textDocument: { uri: u },
      position: positionAt(ts, ts.indexOf('${kind}') + 3),
    });
    expect(onHole).toEqual(at);
  });

  it('interpolated values are numbered after the $n written in the string; a name from host code is refused', async () => {
    const go =
      'package q\n\nfunc f(db *sql.DB, kind string, n int) {\n\tdb.Query(fmt.Sprintf("SELECT id FROM app.events WHERE kind = $1 AND id > %d", n), kind)\n}\n';
    const ts =
      'export const f = (db, x, table) => {\n  db.query(`SELECT id FROM app.events WHERE id = ${x} AND kind = $1`, ["a"]);\n  db.query(`SELECT id FROM ${table} WHERE kind = $1`, ["a"]);\n};\n';
    const py = 'def f(cur, a):\n    cur.execute("SELECT id FROM app.events WHERE tenant_id = %(t)s AND kind = %(k)s OR tenant_id = %(t)s", {"t": a, "k": a})\n';
    const s = await start({ 'migrations/001_events.sql': EVENTS });
    const req = async (name: string, lang: string, text: string) => {
      const u = s.uri(name);
      s.client.open(u, text, 1, lang);
      await s.client.waitForDiagnostics(u, (_, p) => p.version === 1);
      return s.client.request<StatementInfo[]>(STATEMENTS_REQUEST, { textDocument: { uri: u } });
    };
    const [g] = await req('q.go', 'go', go);
    expect(g.text).toBe('SELECT id FROM app.events WHERE kind = $1 AND id > $2');
    expect(g.params).toEqual(['', '%d (line 4)']);
    const [t1, t2] = await req('q.ts', 'typescript', ts);
    expect(t1.text).toBe('SELECT id FROM app.events WHERE id = $2 AND kind = $1');
    expect(t1.params).toEqual(['', '${x} (line 2)']);
    expect(t2.refused).toMatch(/name from host code \(\$\{table\}, line 3\)/);
    const [p] = await req('q.py', 'python', py);
    // A named parameter used twice is one value.
    expect(p.text).toBe('SELECT id FROM app.events WHERE tenant_id = $1 AND kind = $2 OR tenant_id = $1');
    expect(p.params).toEqual(['%(t)s (line 2)', '%(k)s (line 2)']);
  });
});

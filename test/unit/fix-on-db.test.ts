/** The fix-on-a-real-database helper (test/fix-on-db.ts): what it accepts, rejects and reports as unchecked. */
import { describe, expect, it } from 'vitest';
import { fixOnDb } from '../fix-on-db';

const db = fixOnDb();

describe('statements checked on PGlite with the workspace schema', () => {
  const schema = 'CREATE TABLE sessions (id uuid PRIMARY KEY, status text, created_at timestamptz);\n';

  it('prepares a query with its parameters typed from the statement', async () => {
    const r = await db.statement(schema + 'SELECT id FROM sessions WHERE status = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3;', 'SELECT id');
    expect(r).toEqual({
      statement: 'SELECT id FROM sessions WHERE status = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3',
      how: 'prepared',
      skipped: [],
    });
  });

  it("rejects a query whose types do not match (the issue's text = uuid)", async () => {
    await expect(db.statement(schema + 'SELECT * FROM sessions WHERE status = ANY(ARRAY[$1, $2]::uuid[]);', 'SELECT *')).rejects.toThrow(
      /operator does not exist: text = uuid/,
    );
    await expect(db.statement(schema + 'SELECT nope FROM sessions;', 'SELECT nope')).rejects.toThrow(/column "nope" does not exist/);
  });

  it('reads schema from other files, in workspace order, and the search_path a file sets', async () => {
    const files = {
      'a.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.items (id int, kind text);',
      'main.sql': 'SET search_path = app;\nSELECT kind FROM items WHERE id = $1;',
    };
    expect((await db.statement(files, 'SELECT kind')).how).toBe('prepared');
  });

  it('runs DDL in its place, CONCURRENTLY outside a transaction block, with pgvector available', async () => {
    const sql = schema + 'CREATE INDEX CONCURRENTLY i ON sessions (status);\nALTER TABLE sessions ADD CONSTRAINT u UNIQUE USING INDEX j;\n';
    // The ALTER after it needs an index j that does not exist: the workspace statement is rejected, loudly.
    await expect(db.statement(sql, 'CREATE INDEX')).rejects.toThrow(/workspace statement rejected.*"j" does not exist/s);
    const ok = schema + 'CREATE UNIQUE INDEX CONCURRENTLY j ON sessions (status);\nALTER TABLE sessions ADD CONSTRAINT u UNIQUE USING INDEX j;\n';
    expect((await db.statement(ok, 'CREATE UNIQUE')).how).toBe('executed');
    const vec = 'CREATE EXTENSION IF NOT EXISTS vector;\nCREATE EXTENSION vector;\nCREATE TABLE d (e vector(3));\n';
    expect((await db.statement(vec + 'CREATE INDEX ON d USING hnsw (e vector_cosine_ops) WITH (m = 16);', 'CREATE INDEX')).how).toBe('executed');
    expect((await db.statement(schema + 'REINDEX TABLE CONCURRENTLY sessions;', 'REINDEX')).how).toBe('executed');
  });

  it('leaves the database empty for the next check', async () => {
    await db.statement('CREATE ROLE app_user;\nCREATE SCHEMA s;\nCREATE TABLE s.t (a int);\nSELECT 1;', 'SELECT 1');
    await db.statement('CREATE ROLE app_user;\nCREATE SCHEMA s;\nCREATE TABLE s.t (a int);\nSELECT 1;', 'SELECT 1');
    await expect(db.statement('SELECT a FROM s.t;', 'SELECT')).resolves.toMatchObject({
      unchecked: expect.stringMatching(/schema "s" does not exist|relation "s.t" does not exist/),
    });
  });

  it('reports what it cannot check instead of passing it', async () => {
    const postgis = 'CREATE EXTENSION postgis;\nCREATE TABLE places (id int, geom geometry);\n';
    const r = await db.statement(postgis + 'SELECT id FROM places WHERE id = $1;', 'SELECT id');
    expect(r.unchecked).toMatch(/relation "places" does not exist/);
    expect(r.skipped.join('\n')).toMatch(/extension "postgis" is not available in PGlite/);
    const fn = await db.statement(schema + 'SELECT private.my_teams();', 'SELECT private');
    expect(fn.unchecked).toMatch(/schema "private" does not exist|function private.my_teams\(\) does not exist/);
  });

  it('skips a workspace statement that calls what the workspace does not declare, and still checks', async () => {
    const sql =
      'CREATE TABLE t (team_id uuid, status text);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n' +
      'CREATE POLICY p ON t USING (team_id IN (SELECT private.get_teams_for_authenticated_user()));\n' +
      'CREATE INDEX i ON t (team_id, status);';
    const r = await db.statement(sql, 'CREATE INDEX');
    expect(r.unchecked).toBeUndefined();
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]).toMatch(/CREATE POLICY p/);
  });

  it("check applies the rule's fix, then prepares the fixed query after the workspace schema", async () => {
    const files = { 'q.sql': 'SELECT id FROM e WHERE k = $1 ORDER BY id LIMIT 10 OFFSET $2;', 'schema.sql': 'CREATE TABLE e (id int, k text);' };
    const r = await db.check(files, 'offset-pagination', { file: 'q.sql' });
    expect(r).toMatchObject({ how: 'prepared', statement: 'SELECT id FROM e WHERE k = $1 AND id > $2 ORDER BY id LIMIT 10', skipped: [] });
    expect(r.fixed).toBe('SELECT id FROM e WHERE k = $1 AND id > $2 ORDER BY id LIMIT 10;');
    // Without the schema the check cannot be made, and says so.
    await expect(db.check({ 'q.sql': files['q.sql'] }, 'offset-pagination')).rejects.toThrow(
      /could not be checked on PGlite[\s\S]*relation "e" does not exist/,
    );
  });
});

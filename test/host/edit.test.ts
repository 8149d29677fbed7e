import { beforeAll, describe, expect, it } from 'vitest';
import { encodeSqlText, extractSql, hostEdit, hostErrorCount, initEmbedded, type EmbeddedSql } from '../../server/src/analysis/host';
import { parseSql } from '../../server/src/analysis/pg';
import { queryWith } from './helpers';

beforeAll(() => initEmbedded());

/** SQL range of the first `needle` (to the end of it, or `length` characters). */
function rangeOf(e: EmbeddedSql, needle: string): [number, number] {
  const at = e.sql.indexOf(needle);
  expect(at, `${needle} in ${e.sql}`).toBeGreaterThanOrEqual(0);
  return [at, at + needle.length];
}

/**
 * Applies the host edit for replacing SQL [s, t) with `newText`, and checks what a fix must keep: the host file
 * parses with no more errors than before, and reading it again gives exactly the edited SQL.
 */
function applyEdit(path: string, src: string, e: EmbeddedSql, s: number, t: number, newText: string): string {
  const edit = hostEdit(e, s, t, newText);
  expect(edit, `an edit for ${JSON.stringify(newText)}`).toBeDefined();
  const after = src.slice(0, edit!.start) + edit!.newText + src.slice(edit!.end);
  expect(hostErrorCount(path, after)).toBeLessThanOrEqual(hostErrorCount(path, src));
  const again = extractSql(path, after).find((x) => x.start === e.start);
  expect(again?.sql).toBe(e.sql.slice(0, s) + newText + e.sql.slice(t));
  return after;
}

describe('hostEdit: TypeScript and JavaScript', () => {
  const path = 'src/orders.ts';
  const src = [
    "import { Pool } from 'pg';",
    'const pool = new Pool();',
    'export async function page(schema: string, tenant: string, offset: number) {',
    '  const { rows } = await pool.query(',
    '    `SELECT id, total',
    '       FROM ${schema}.orders',
    '      WHERE tenant_id = $1',
    '      ORDER BY id',
    '      LIMIT 20 OFFSET ${offset}`,',
    '    [tenant],',
    '  );',
    '  return rows;',
    '}',
  ].join('\n');

  it('a template literal: a replacement that covers a ${} hole removes its host code; backticks and ${ in the new text are escaped', () => {
    expect(hostErrorCount(path, src)).toBe(0);
    const [q] = extractSql(path, src);
    expect(q.pieces.map((p) => p.style.quote)).toEqual(['`', '`', '`']);
    expect(q.pieces[0].style).toMatchObject({ language: 'typescript', escapes: true, dollarBrace: true, newline: true, braces: false, percent: false });
    // From ORDER BY to the end: the ${offset} hole goes with it.
    const [s] = rangeOf(q, 'ORDER BY');
    const after = applyEdit(path, src, q, s, q.sql.length, 'AND id > $2\n      ORDER BY id\n      LIMIT 20');
    expect(after).toContain('AND id > $2\n      ORDER BY id\n      LIMIT 20`,');
    expect(after).not.toContain('${offset}');
    expect(after).toContain('${schema}.orders');
    // A comment with a backtick and a ${ that is not a hole.
    const [, t] = rangeOf(q, 'total');
    const commented = applyEdit(path, src, q, t, t, ' /* `total` is ${net} */');
    expect(commented).toContain('SELECT id, total /* \\`total\\` is \\${net} */');
  });

  it('refuses what cannot land in one literal: a hole cut in part or its placeholder written back; spans of two literals', () => {
    const [q] = extractSql(path, src);
    const hole = q.holes.find((h) => src.slice(h.hostStart, h.hostEnd) === '${schema}')!;
    const placeholder = q.sql.slice(hole.sqlStart, hole.sqlEnd);
    expect(hostEdit(q, hole.sqlStart + 1, hole.sqlEnd + 3, 'x')).toBeUndefined();
    expect(hostEdit(q, hole.sqlStart + 1, hole.sqlStart + 1, 'x')).toBeUndefined();
    const [s, t] = rangeOf(q, 'ORDER BY id');
    expect(hostEdit(q, s, t, `ORDER BY ${placeholder}.id`)).toBeUndefined();
    expect(hostEdit(q, s, t, 'ORDER BY id DESC')).toBeDefined();

    const concat = "db.query('SELECT id FROM users ' + 'WHERE org = $1 OFFSET 10', [org]);";
    const [c] = extractSql('src/users.js', concat);
    expect(c.pieces).toHaveLength(2);
    const [cs, ct] = rangeOf(c, 'users WHERE');
    expect(hostEdit(c, cs, ct, 'members WHERE')).toBeUndefined();
    // An insertion at the boundary goes into the piece before it.
    const boundary = c.sql.indexOf('WHERE');
    const after = applyEdit('src/users.js', concat, c, boundary, boundary, 'AS u ');
    expect(after).toBe("db.query('SELECT id FROM users AS u ' + 'WHERE org = $1 OFFSET 10', [org]);");
  });

  it("a JS '…' string: an inserted line break is written \\n and a quote \\'", () => {
    const path = 'lib/report.js';
    const src = [
      "const { Client } = require('pg');",
      'async function report(client) {',
      "  return client.query('SELECT id FROM users WHERE name <> \\'O\\\\\\'Brien\\' OFFSET 5');",
      '}',
    ].join('\n');
    const [q] = extractSql(path, src);
    expect(q.sql).toBe("SELECT id FROM users WHERE name <> 'O\\'Brien' OFFSET 5");
    expect(q.pieces[0].style).toMatchObject({ quote: "'", newline: false, escapes: true });
    const [s, t] = rangeOf(q, ' OFFSET 5');
    const after = applyEdit(path, src, q, s, t, "\nAND kind = 'staff'\nLIMIT 5");
    expect(after).toContain("\\'O\\\\\\'Brien\\'\\nAND kind = \\'staff\\'\\nLIMIT 5');");
  });

  it('a tagged template numbers its own parameters: a new $n is refused; covering the last ${} keeps $1', () => {
    const path = 'src/users.ts';
    const src = [
      "import postgres from 'postgres';",
      'const sql = postgres();',
      'export const byOrg = (org: number, off: number) => sql`SELECT * FROM users WHERE org_id = ${org} LIMIT 10 OFFSET ${off}`;',
    ].join('\n');
    const [q] = extractSql(path, src);
    expect(q.foundBy).toBe('tag');
    const [s] = rangeOf(q, 'LIMIT');
    expect(hostEdit(q, s, q.sql.length, 'AND id > $2 LIMIT 10')).toBeUndefined();
    const after = applyEdit(path, src, q, s, q.sql.length, 'ORDER BY id LIMIT 10');
    expect(after).toContain('sql`SELECT * FROM users WHERE org_id = ${org} ORDER BY id LIMIT 10`;');
  });
});

describe('hostEdit: Python', () => {
  it('a triple-quoted string with %s driver parameters: % is doubled, a quote before the closing ones escaped, a parameter not dropped', () => {
    const path = 'app/billing.py';
    const src = [
      'def list_invoices(conn, customer, page):',
      '    with conn.cursor() as cur:',
      '        cur.execute(',
      '            """',
      '            SELECT id, amount',
      '              FROM invoices',
      '             WHERE customer_id = %s',
      '             ORDER BY issued_at',
      '             LIMIT 50 OFFSET %s""",',
      '            (customer, page * 50),',
      '        )',
      '        return cur.fetchall()',
    ].join('\n');
    expect(hostErrorCount(path, src)).toBe(0);
    const [q] = extractSql(path, src);
    expect(q.pieces[0].style).toMatchObject({ language: 'python', quote: '"""', prefix: '', percent: true, braces: false, newline: true });
    const [, t] = rangeOf(q, 'customer_id = $1');
    const after = applyEdit(path, src, q, t, t, "\n               AND note NOT LIKE '%draft%'");
    expect(after).toContain("AND note NOT LIKE '%%draft%%'");
    // A quoted name right before the closing quotes.
    const end = q.sql.length;
    const quoted = applyEdit(path, src, q, end, end, ' -- "last"');
    expect(quoted).toContain('OFFSET %s -- "last\\"""",');
    // Removing OFFSET %s would leave the tuple with one value too many.
    const [s] = rangeOf(q, 'OFFSET');
    expect(hostEdit(q, s, end, 'FETCH FIRST 50 ROWS ONLY')).toBeUndefined();
    const [ls, lt] = rangeOf(q, 'LIMIT 50');
    applyEdit(path, src, q, ls, lt, 'LIMIT 100');
  });

  it('an f-string: braces are doubled, the {table} hole is kept; a raw string cannot take its own quote', () => {
    const path = 'jobs/purge.py';
    const src = [
      'def recent(cur, table):',
      '    cur.execute(f"SELECT id FROM {table} WHERE created_at > now() - interval \'1 day\' LIMIT 10 OFFSET 20")',
      '    cur.execute(r\'SELECT id FROM events WHERE payload ~ "\\d+" LIMIT 5\')',
    ].join('\n');
    const [f, r] = extractSql(path, src);
    expect(f.pieces.map((p) => p.style.prefix)).toEqual(['f', 'f']);
    expect(f.pieces[0].style).toMatchObject({ braces: true, percent: true, newline: false });
    const [s, t] = rangeOf(f, 'LIMIT 10 OFFSET 20');
    const after = applyEdit(path, src, f, s, t, `AND meta @> '{"kind": "job"}'::jsonb LIMIT 10`);
    expect(after).toContain(`{table} WHERE created_at > now() - interval '1 day' AND meta @> '{{\\"kind\\": \\"job\\"}}'::jsonb LIMIT 10")`);
    expect(r.pieces[0].style).toMatchObject({ prefix: 'r', quote: "'", escapes: false });
    const [rs, rt] = rangeOf(r, 'LIMIT 5');
    expect(hostEdit(r, rs, rt, "AND kind = 'x' LIMIT 5")).toBeUndefined();
    expect(hostEdit(r, rs, rt, 'AND kind = "x" LIMIT 5')).toEqual({
      start: src.indexOf('LIMIT 5'),
      end: src.indexOf('LIMIT 5') + 7,
      newText: 'AND kind = "x" LIMIT 5',
    });
    applyEdit(path, src, r, rs, rt, 'LIMIT 6');
  });

  it('a plain string given to execute with %(name)s parameters: a LIKE pattern gets %%', () => {
    const path = 'app/search.py';
    const src = 'def find(cur, q):\n    cur.execute("SELECT id FROM items WHERE owner = %(owner)s ORDER BY id", {"owner": q})\n';
    const [q] = extractSql(path, src);
    const [s, t] = rangeOf(q, 'ORDER BY id');
    const after = applyEdit(path, src, q, s, t, "AND name LIKE 'a%' ORDER BY id");
    expect(after).toContain(`%(owner)s AND name LIKE 'a%%' ORDER BY id"`);
  });
});

describe('hostEdit: Go', () => {
  const path = 'internal/store/orders.go';
  const src = [
    'package store',
    '',
    'func (s *Store) Page(ctx context.Context, tenant string, offset int) (*sql.Rows, error) {',
    '\treturn s.db.QueryContext(ctx, `',
    '\t\tSELECT id, total',
    '\t\t  FROM orders',
    '\t\t WHERE tenant_id = $1',
    '\t\t LIMIT 20 OFFSET $2`, tenant, offset)',
    '}',
    '',
    'func (s *Store) Count(ctx context.Context) (int, error) {',
    '\trow := s.db.QueryRowContext(ctx, "SELECT count(*) FROM orders WHERE status = \'open\' OFFSET 0")',
    '\tvar n int',
    '\treturn n, row.Scan(&n)',
    '}',
    '',
    'func byName(table string) string {',
    '\treturn fmt.Sprintf("SELECT id FROM %s WHERE name = $1 LIMIT 10", table)',
    '}',
  ].join('\n');

  it('a raw string takes a line break as is and refuses a backtick; an interpreted string writes \\n and \\"', () => {
    expect(hostErrorCount(path, src)).toBe(0);
    const [raw, interp, fmt] = extractSql(path, src);
    expect(raw.pieces[0].style).toMatchObject({ language: 'go', quote: '`', escapes: false, newline: true, dollarBrace: false });
    const [s, t] = rangeOf(raw, 'LIMIT 20 OFFSET $2');
    expect(hostEdit(raw, s, t, 'LIMIT 20 -- see `docs`')).toBeUndefined();
    const after = applyEdit(path, src, raw, s, t, 'AND id > $2\n\t\t ORDER BY id\n\t\t LIMIT 20');
    expect(after).toContain('AND id > $2\n\t\t ORDER BY id\n\t\t LIMIT 20`, tenant, offset)');

    expect(interp.pieces[0].style).toMatchObject({ quote: '"', escapes: true, newline: false });
    const [is, it_] = rangeOf(interp, ' OFFSET 0');
    const edited = applyEdit(path, src, interp, is, it_, '\nAND "kind" <> \'x\'');
    expect(edited).toContain(`status = 'open'\\nAND \\"kind\\" <> 'x'")`);

    expect(fmt.pieces[0].style.percent).toBe(true);
    const [fs, ft] = rangeOf(fmt, 'LIMIT 10');
    expect(applyEdit(path, src, fmt, fs, ft, "AND name LIKE 'a%' LIMIT 10")).toContain(`$1 AND name LIKE 'a%%' LIMIT 10", table)`);
  });
});

describe('hostEdit: Rust', () => {
  const path = 'src/events.rs';
  const src = [
    'pub async fn page(pool: &PgPool, tenant: Uuid, offset: i64) -> Result<Vec<Event>> {',
    '    let rows = sqlx::query_as!(',
    '        Event,',
    '        r#"',
    '        SELECT id, kind, "timestamp"',
    '          FROM event_log',
    '         WHERE tenant_id = $1',
    '         LIMIT 100 OFFSET $2',
    '        "#,',
    '        tenant,',
    '        offset',
    '    )',
    '    .fetch_all(pool)',
    '    .await?;',
    '    Ok(rows)',
    '}',
    '',
    'async fn by_table(client: &Client, table: &str) -> Result<Vec<Row>, Error> {',
    '    client.query(&format!("SELECT id FROM {table} WHERE tenant = $1 LIMIT 10 OFFSET {}", 20), &[&t]).await',
    '}',
  ].join('\n');

  it('a raw string r#"…"# takes quotes and line breaks as they are and refuses "#; format! doubles braces', () => {
    expect(hostErrorCount(path, src)).toBe(0);
    const [raw, fmt] = extractSql(path, src);
    expect(raw.pieces[0].style).toMatchObject({ language: 'rust', prefix: 'r', hashes: 1, escapes: false, newline: true, braces: false });
    const [s, t] = rangeOf(raw, 'LIMIT 100 OFFSET $2');
    expect(hostEdit(raw, s, t, `AND "kind" = '#x' -- "#`)).toBeUndefined();
    const after = applyEdit(path, src, raw, s, t, `AND "timestamp" < $2\n         ORDER BY "timestamp" DESC\n         LIMIT 100`);
    expect(after).toContain('AND "timestamp" < $2\n         ORDER BY "timestamp" DESC\n         LIMIT 100\n        "#,');

    expect(fmt.pieces[0].style).toMatchObject({ quote: '"', prefix: '', braces: true, escapes: true });
    // The {} hole's argument is passed elsewhere: it may not be removed.
    const [fs] = rangeOf(fmt, 'LIMIT 10');
    expect(hostEdit(fmt, fs, fmt.sql.length, 'LIMIT 10')).toBeUndefined();
    // The OFFSET {} hole reads $1 as the real parameter does: new text with $1 might be writing the hole back.
    const [ws, wt] = rangeOf(fmt, 'tenant = $1');
    expect(hostEdit(fmt, ws, wt, 'tenant = $1 AND true')).toBeUndefined();
    const [ls, lt] = rangeOf(fmt, 'LIMIT 10');
    const edited = applyEdit(path, src, fmt, ls, lt, `AND tags @> '{"a"}' LIMIT 10`);
    expect(edited).toContain(`{table} WHERE tenant = $1 AND tags @> '{{\\"a\\"}}' LIMIT 10 OFFSET {}", 20)`);
  });
});

describe('encodeSqlText', () => {
  it('writes what each literal kind reads back, or nothing where it has no way to', () => {
    const lit = (path: string, src: string) => extractSql(path, src)[0].pieces[0].style;
    const template = lit('a.ts', 'db.query(`SELECT 1`)');
    expect(encodeSqlText(template, 'SELECT `a` ${b} $1 \\')).toBe('SELECT \\`a\\` \\${b} $1 \\\\');
    // In context: a `$` before the new text, a `{` after it.
    expect(encodeSqlText(template, '{x}', { before: 'SELECT $' })).toBe('\\{x}');
    expect(encodeSqlText(template, 'a $', { after: '{x}' })).toBe('a \\$');
    const triple = lit('a.py', 'cur.execute("""SELECT 1""")');
    expect(encodeSqlText(triple, '"', { before: 'SELECT ""' })).toBe('\\"');
    expect(encodeSqlText(triple, '"a"', { after: ' x' })).toBe('"a"');
    const rawHash = lit('a.rs', 'fn f() { c.query(r##"SELECT 1"##, &[]); }');
    expect(rawHash.hashes).toBe(2);
    expect(encodeSqlText(rawHash, "SELECT '\"#'")).toBe("SELECT '\"#'");
    expect(encodeSqlText(rawHash, "SELECT '\"##'")).toBeUndefined();
    const rawNone = lit('a.rs', 'fn f() { c.query(r"SELECT 1", &[]); }');
    expect(encodeSqlText(rawNone, 'SELECT "x"')).toBeUndefined();
    const py = lit('a.py', "cur.execute('SELECT 1')");
    expect(encodeSqlText(py, "SELECT 'a%'\n")).toBe("SELECT \\'a%%\\'\\n");
    const pyRaw = lit('a.py', "cur.execute(r'''SELECT 1''')");
    expect(encodeSqlText(pyRaw, "SELECT '''")).toBeUndefined();
    expect(encodeSqlText(pyRaw, "SELECT 'x' \\d")).toBe("SELECT 'x' \\d");
    const goRaw = lit('a.go', 'package p\nfunc f() { db.Query(`SELECT 1`) }');
    expect(encodeSqlText(goRaw, 'SELECT \r')).toBeUndefined();
    // A `?` a driver binds cannot be written as text.
    const goBind = lit('a.go', 'package p\nfunc f() { db.Query("SELECT 1 WHERE a = ?", x) }');
    expect(goBind.question).toBe(true);
    expect(encodeSqlText(goBind, 'SELECT ?')).toBeUndefined();
  });
});

describe('hostErrorCount', () => {
  it('counts the error and missing nodes of the host parse', () => {
    expect(hostErrorCount('a.ts', 'const a = `SELECT 1`;')).toBe(0);
    expect(hostErrorCount('a.ts', 'const a = `SELECT 1` `;')).toBeGreaterThan(0);
    expect(hostErrorCount('a.py', 'x = """SELECT 1"""\n')).toBe(0);
    expect(hostErrorCount('a.py', 'x = """SELECT 1""""\n')).toBeGreaterThan(0);
    expect(hostErrorCount('a.go', 'package p\nvar q = "SELECT 1\n"')).toBeGreaterThan(0);
    expect(hostErrorCount('a.rs', 'fn f() { let q = r#"SELECT "# 1"#; }')).toBeGreaterThan(0);
    expect(hostErrorCount('a.sql', 'SELECT (')).toBe(0);
  });

  it('the SQL after an edit still parses as PostgreSQL', () => {
    const src = 'db.query("SELECT id FROM t ORDER BY id OFFSET 10")';
    const [q] = extractSql('a.js', src);
    const [s, t] = rangeOf(q, 'ORDER BY id OFFSET 10');
    const after = applyEdit('a.js', src, q, s, t, 'WHERE id > $1 ORDER BY id');
    expect(parseSql(extractSql('a.js', after)[0].sql).ok).toBe(true);
    expect(queryWith(extractSql('a.js', after), 'WHERE').sql).toBe('SELECT id FROM t WHERE id > $1 ORDER BY id');
  });
});

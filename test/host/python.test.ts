import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { expectMapped, expectParses, extract, queryWith } from './helpers';

beforeAll(() => initEmbedded());

describe('Python', () => {
  it('psycopg execute with a triple-quoted string and %s / %(name)s parameters; OFFSET mapped exactly', () => {
    const src = [
      'def list_invoices(conn, customer, page):',
      '    with conn.cursor() as cur:',
      '        cur.execute(',
      '            """',
      '            SELECT id, amount',
      '              FROM invoices',
      '             WHERE customer_id = %s AND status = %(status)s',
      "               AND note NOT LIKE '%%draft%%'",
      '             ORDER BY issued_at',
      '             LIMIT 50 OFFSET %s',
      '            """,',
      '            (customer, page * 50),',
      '        )',
      '        return cur.fetchall()',
    ].join('\n');
    const [q] = extract('app/billing.py', src);
    expect(q.api).toBe('execute');
    expect(q.sql).toContain('WHERE customer_id = $1 AND status = $2');
    expect(q.sql).toContain("NOT LIKE '%draft%'");
    expect(q.sql).toContain('LIMIT 50 OFFSET $3');
    expectParses(q);
    expectMapped(q, src, 'OFFSET');
    expectMapped(q, src, 'invoices');
    expect(q.holes.map((h) => [h.origin, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['parameter', '%s'],
      ['parameter', '%(status)s'],
      ['parameter', '%s'],
    ]);
  });

  it('asyncpg fetch/fetchrow/fetchval with $n, raw strings, implicit concatenation and escapes', () => {
    const src = [
      'async def stats(pool, uid):',
      '    rows = await pool.fetch("SELECT kind, count(*) FROM events "',
      "                            'WHERE user_id = $1 GROUP BY kind', uid)",
      '    row = await pool.fetchrow(r"SELECT payload FROM events WHERE payload ~ \'\\d+\' LIMIT 1")',
      "    n = await pool.fetchval(\"SELECT count(*) FROM t WHERE name = 'it\\'s'\\n  OFFSET 10\")",
      '    return rows, row, n',
    ].join('\n');
    const found = extract('app/stats.py', src);
    expect(found.map((e) => e.api)).toEqual(['fetch', 'fetchrow', 'fetchval']);
    const concat = queryWith(found, 'GROUP BY');
    expect(concat.sql).toBe('SELECT kind, count(*) FROM events WHERE user_id = $1 GROUP BY kind');
    expect(concat.pieces).toHaveLength(2);
    expectMapped(concat, src, 'GROUP');
    expect(queryWith(found, 'payload ~').sql).toBe("SELECT payload FROM events WHERE payload ~ '\\d+' LIMIT 1");
    const esc = queryWith(found, 'OFFSET');
    expect(esc.sql).toBe("SELECT count(*) FROM t WHERE name = 'it's'\n  OFFSET 10");
    expectMapped(esc, src, 'OFFSET');
  });

  it('an f-string table name becomes a placeholder name; a value hole a parameter; % formatting likewise', () => {
    const src = [
      'def purge(cur, schema, table, days):',
      '    cur.execute(f"DELETE FROM {schema}.{table} WHERE created_at < now() - {days} * interval \'1 day\'")',
      '    cur.execute("SELECT * FROM %s WHERE id = %d" % (table, 4))',
      '    cur.execute("SELECT {} FROM {} LIMIT 5".format(cols, table))',
    ].join('\n');
    const found = extract('jobs/purge.py', src);
    const del = queryWith(found, 'DELETE');
    expect(del.holes.map((h) => [h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['identifier', '{schema}'],
      ['identifier', '{table}'],
      ['value', '{days}'],
    ]);
    expect(del.sql).toMatch(/^DELETE FROM _[a-z]{7}\._[a-z]{6} WHERE created_at < now\(\) - \$00001 \* interval '1 day'$/);
    expectParses(del);
    const pct = queryWith(found, 'id =');
    expect(pct.sql).toMatch(/^SELECT \* FROM _[a-z] WHERE id = \$1$/);
    expect(pct.holes.map((h) => [h.kind, h.origin])).toEqual([
      ['identifier', 'interpolation'],
      ['value', 'interpolation'],
    ]);
    expectParses(pct);
    const fmt = queryWith(found, 'LIMIT 5');
    expect(fmt.holes.map((h) => h.kind)).toEqual(['value', 'identifier']);
    expectParses(fmt);
  });

  it('an f-string passed to execute: {table} a name, %s still the driver parameter, {{ }} braces', () => {
    const src = 'cur.execute(f"SELECT id FROM {table} WHERE embedding <=> ai.embed(%s, \'{{}}\') LIMIT %s", (q, k))';
    const [q] = extract('search.py', src);
    expect(q.holes.map((h) => [h.origin, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['interpolation', '{table}'],
      ['parameter', '%s'],
      ['parameter', '%s'],
    ]);
    expect(q.sql).toMatch(/^SELECT id FROM _[a-z]{6} WHERE embedding <=> ai\.embed\(\$1, '\{\}'\) LIMIT \$2$/);
    expectParses(q);
  });

  it('psycopg.sql SQL("… {} … %s").format(Identifier(…)): {} a composed name, %s the parameter; once, not twice', () => {
    const src = [
      'from psycopg.sql import SQL, Identifier',
      'async def sample(con, schema, table, limit):',
      '    async with con.cursor() as cur:',
      '        await cur.execute(SQL("select * from {}.{} limit %s").format(Identifier(schema), Identifier(table)), (limit,))',
      '        q = sql.SQL("UPDATE {} SET payload = %s WHERE id = %s").format(self._col())',
    ].join('\n');
    const found = extract('sample.py', src);
    expect(found).toHaveLength(2);
    const sel = queryWith(found, 'select');
    expect(sel.holes.map((h) => [h.kind, h.origin])).toEqual([
      ['identifier', 'interpolation'],
      ['identifier', 'interpolation'],
      ['value', 'parameter'],
    ]);
    expect(sel.sql).toMatch(/^select \* from _[a-z]\._[a-z] limit \$1$/);
    expectParses(sel);
    expect(queryWith(found, 'UPDATE').sql).toMatch(/^UPDATE _[a-z] SET payload = \$1 WHERE id = \$2$/);
  });

  it('SQLAlchemy text() with :name, alembic op.execute, a # sql marker; a runtime-built string is skipped', () => {
    const src = [
      'from sqlalchemy import text',
      'from alembic import op',
      '',
      'def upgrade():',
      '    op.execute("CREATE INDEX CONCURRENTLY ix_users_email ON users (email)")',
      '',
      'def find(session, email):',
      '    return session.execute(text("SELECT id FROM users WHERE email = :email AND created::date > \'2020-01-01\'"), {"email": email})',
      '',
      'def dynamic(cur, where):',
      '    query = build_query(where)',
      '    cur.execute(query)',
      '    cur.execute(" ".join(parts))',
      '',
      '# sql',
      'REPORT = "VACUUM reports"',
      'GREETING = "Select your plan"',
    ].join('\n');
    const found = extract('migrations/0042.py', src);
    expect(found.map((e) => [e.api, e.foundBy])).toEqual([
      ['execute', 'call'],
      ['text', 'call'],
      ['sql comment', 'comment'],
    ]);
    const t = queryWith(found, 'email =');
    expect(t.sql).toBe("SELECT id FROM users WHERE email = $1 AND created::date > '2020-01-01'");
    expectParses(t);
  });
});

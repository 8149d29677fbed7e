import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { expectMapped, expectParses, extract, queryWith } from './helpers';

beforeAll(() => initEmbedded());

describe('knex raw / db-migrate runSql bind every ?', () => {
  it('a ? after %, ||, ^ and :: is a binding (no false syntax error)', () => {
    const src = [
      'export async function buckets(knex: Knex, n: number, tag: string) {',
      '  await knex.raw("SELECT id FROM jobs WHERE n % ? = 0", [n]);',
      '  await knex.raw("SELECT \'a\' || ? AS label FROM jobs", [tag]);',
      '  await knex.raw("SELECT 2 ^ ? AS p FROM jobs", [n]);',
      '  await knex.raw("SELECT ?::int AS k FROM jobs", [n]);',
      '}',
    ].join('\n');
    const found = extract('src/jobs.ts', src);
    expect(found.map((e) => e.sql)).toEqual([
      'SELECT id FROM jobs WHERE n % $1 = 0',
      "SELECT 'a' || $1 AS label FROM jobs",
      'SELECT 2 ^ $1 AS p FROM jobs',
      'SELECT $1::int AS k FROM jobs',
    ]);
    for (const e of found) expectParses(e);
    expect(found.every((e) => e.holes.length === 1 && e.holes[0].origin === 'parameter' && e.holes[0].kind === 'value')).toBe(true);
  });

  it('?? is an identifier binding; \\\\? is a plain ? (the jsonb operator), mapped onto its two source characters', () => {
    const src = [
      'exports.up = async (knex) => {',
      "  await knex.raw('SELECT ?? FROM events WHERE payload \\\\? ? ORDER BY ??', ['kind', 'user', 'at']);",
      '};',
    ].join('\n');
    const [q] = extract('migrations/001_events.js', src);
    expect(q.sql).toBe(q.sql.replace(/\s+/g, ' '));
    expect(q.holes.map((h) => [h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['identifier', '??'],
      ['value', '?'],
      ['identifier', '??'],
    ]);
    expect(q.sql).toMatch(/^SELECT \w+ FROM events WHERE payload \? \$1 ORDER BY \w+$/);
    expectParses(q);
    const op = q.sql.indexOf('payload ?') + 'payload '.length;
    expect(src.slice(q.starts[op], q.ends[op])).toBe('\\\\?');
    expectMapped(q, src, 'events');
  });

  it('db-migrate runSql binds ? too', () => {
    const src = "exports.up = function (db) { return db.runSql('UPDATE accounts SET balance = balance % ? WHERE id = ?', [7, 1]); };";
    const [q] = extract('migrations/20240101-accounts.js', src);
    expect(q.sql).toBe('UPDATE accounts SET balance = balance % $1 WHERE id = $2');
    expectParses(q);
  });

  it('Go keeps the heuristic: a ? after an operand is the jsonb operator, after = a parameter', () => {
    const src = ['package store', 'func f(db *sql.DB) {', '\tdb.Query("SELECT id FROM docs WHERE meta ? \'tag\' AND owner = ?", owner)', '}'].join('\n');
    const [q] = extract('store/docs.go', src);
    expect(q.sql).toBe("SELECT id FROM docs WHERE meta ? 'tag' AND owner = $1");
    expectParses(q);
  });

  it('outside the ? APIs a TypeScript ? stays text (pg query with the jsonb operator)', () => {
    const src = 'const r = await pool.query("SELECT id FROM docs WHERE meta ? \'tag\' AND owner = $1", [owner]);';
    const [q] = extract('src/docs.ts', src);
    expect(q.sql).toBe("SELECT id FROM docs WHERE meta ? 'tag' AND owner = $1");
    expect(q.holes).toEqual([]);
  });
});

describe('Python "…".format(…) given to a driver', () => {
  it('cursor.execute reads both {} holes and %s / %(name)s parameters', () => {
    const src = [
      'def page(cur, table, a, b):',
      '    cur.execute("SELECT id FROM {} WHERE a = %s AND b = %(b)s AND note LIKE \'%%x\'".format(table), {"b": b})',
      '    cur.execute("SELECT id FROM t WHERE a = %s".format(), (a,))',
    ].join('\n');
    const found = extract('app/page.py', src);
    const withTable = queryWith(found, 'AND b');
    expect(withTable.holes.map((h) => [h.origin, h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['interpolation', 'identifier', '{}'],
      ['parameter', 'value', '%s'],
      ['parameter', 'value', '%(b)s'],
    ]);
    expect(withTable.sql).toMatch(/^SELECT id FROM \w+ WHERE a = \$1 AND b = \$2 AND note LIKE '%x'$/);
    expectParses(withTable);
    const plain = queryWith(found, 'FROM t WHERE');
    expect(plain.sql).toBe('SELECT id FROM t WHERE a = $1');
    expectParses(plain);
  });

  it('SQLAlchemy text() with .format, % formatting and an f-string keeps :name parameters', () => {
    const src = [
      'def rows(conn, schema, a):',
      '    conn.execute(text("SELECT id FROM {}.items WHERE a = :a".format(schema)), {"a": a})',
      '    conn.execute(text("SELECT id FROM %s.parts WHERE a = :a" % schema), {"a": a})',
      '    conn.execute(text(f"SELECT id FROM {schema}.orders WHERE a = :a AND b::text = \'x\'"), {"a": a})',
    ].join('\n');
    const found = extract('app/rows.py', src);
    expect(found).toHaveLength(3);
    for (const e of found) {
      expect(e.sql, e.sql).toMatch(/WHERE a = \$1/);
      expectParses(e);
    }
    expect(queryWith(found, 'orders').sql).toContain("b::text = 'x'");
  });
});

describe('PL/Python', () => {
  it('plpy.execute and plpy.prepare are database APIs', () => {
    const src = [
      'plan = plpy.prepare("SELECT id FROM accounts WHERE owner = $1 ORDER BY id LIMIT 10 OFFSET 100", ["text"])',
      'rows = plpy.execute("SELECT count(*) FROM accounts")',
    ].join('\n');
    const found = extract('plpython/accounts.py', src, {
      languages: { typescript: true, javascript: true, python: true, go: true, rust: true },
      calls: [],
      tags: [],
      keywordFallback: false,
      parseTimeoutMs: 500,
    });
    expect(found.map((e) => e.api)).toEqual(['prepare', 'execute']);
    expectMapped(queryWith(found, 'OFFSET'), src, 'OFFSET');
  });
});

describe('knex: ?| and ?& stay jsonb operators', () => {
  it('data ?| array[?] reads the first as the operator, the second as a binding', () => {
    const src = "await knex.raw('SELECT id FROM docs WHERE tags ?| array[?] OR tags ?& array[?]', [a, b]);";
    const [q] = extract('src/docs.ts', src);
    expect(q.sql).toBe('SELECT id FROM docs WHERE tags ?| array[$1] OR tags ?& array[$2]');
    expectParses(q);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDED_OPTIONS, initEmbedded, toHostRange, touchesInterpolation } from '../../server/src/analysis/host';
import { expectMapped, expectParses, extract, queryWith } from './helpers';

beforeAll(() => initEmbedded());

describe('TypeScript and JavaScript', () => {
  it('node-postgres query() with a multi-line template: SQL as written, OFFSET mapped exactly', () => {
    const src = [
      "import { Pool } from 'pg';",
      'const pool = new Pool();',
      'export async function listOrders(tenant: string, page: number) {',
      '  const { rows } = await pool.query(',
      '    `SELECT id, total',
      '       FROM orders',
      '      WHERE tenant_id = $1',
      '      ORDER BY created_at DESC',
      '      LIMIT 20 OFFSET $2`,',
      '    [tenant, page * 20],',
      '  );',
      '  return rows;',
      '}',
    ].join('\n');
    const [q] = extract('src/orders.ts', src);
    expect(q.api).toBe('query');
    expect(q.foundBy).toBe('call');
    expect(q.sql.startsWith('SELECT id, total\n       FROM orders')).toBe(true);
    expectParses(q);
    expectMapped(q, src, 'OFFSET');
    expectMapped(q, src, 'orders', src.indexOf('FROM'));
    expect(q.pieces.map(({ start, end }) => ({ start, end }))).toEqual([{ start: src.indexOf('`SELECT') + 1, end: src.indexOf('$2`') + 2 }]);
  });

  it('tagged templates: ${x} becomes $1, $2 in order (postgres.js, Slonik, Drizzle, Kysely sql<T>, Prisma)', () => {
    const src = [
      "import postgres from 'postgres';",
      'const sql = postgres();',
      'export const byEmail = (email: string, org: number) => sql`SELECT * FROM users WHERE email = ${email} AND org_id = ${org}`;',
      'export const count = () => sql<{ n: number }>`SELECT count(*) AS n FROM users WHERE active = ${true}`;',
      'export const recent = (since: Date) => prisma.$queryRaw`SELECT id FROM posts WHERE created_at > ${since} LIMIT 10`;',
      'export const drop = () => prisma.$executeRaw`DELETE FROM sessions WHERE expires_at < now()`;',
      'export const cond = (a: unknown) => sql`${a} = 1`; // a fragment, not a statement',
    ].join('\n');
    const found = extract('src/users.ts', src);
    const q = queryWith(found, 'email');
    expect(q.sql).toBe('SELECT * FROM users WHERE email = $1 AND org_id = $2');
    expect(q.foundBy).toBe('tag');
    expect(q.holes.map((h) => [h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['value', '${email}'],
      ['value', '${org}'],
    ]);
    expectMapped(q, src, 'org_id');
    expect(queryWith(found, 'count(*)').sql).toBe('SELECT count(*) AS n FROM users WHERE active = $1');
    expect(queryWith(found, 'posts').api).toBe('prisma.$queryRaw``');
    expect(queryWith(found, 'sessions').sql).toBe('DELETE FROM sessions WHERE expires_at < now()');
    expect(found).toHaveLength(4);
  });

  it('Prisma $queryRawUnsafe, TypeORM queryRunner.query, knex raw with ? bindings, db-migrate runSql', () => {
    const src = [
      'export class AddIndex1700000000000 {',
      '  async up(queryRunner: QueryRunner): Promise<void> {',
      '    await queryRunner.query(`CREATE INDEX "IDX_user_email" ON "user" ("email")`);',
      '  }',
      '}',
      "await prisma.$queryRawUnsafe('SELECT * FROM accounts WHERE id = $1', id);",
      "await knex.raw('SELECT * FROM items WHERE owner = ? AND kind IN (?, ?)', [a, b, c]);",
      "db.runSql('ALTER TABLE widgets ADD COLUMN weight int', cb);",
      "db.runSql('INSERT INTO flags (name, enabled) SELECT DISTINCT ? AS name, (? > 3) FROM t WHERE data ?| array[?]', [a, b, c]);",
      "const n = db.raw('(SELECT COUNT(*) FROM tokens WHERE tokens.env = environments.name) AS token_count'); // a column, not a statement",
      "await db.raw('SELECT 1 FROM plans WHERE feature = :feature AND env = :env', { feature, env });",
    ].join('\n');
    const found = extract('src/migration.js', src);
    expect(found.map((e) => e.api)).toEqual(['query', '$queryRawUnsafe', 'raw', 'runSql', 'runSql', 'raw']);
    // `?|` stays the jsonb operator.
    expect(queryWith(found, 'flags').sql).toBe('INSERT INTO flags (name, enabled) SELECT DISTINCT $1 AS name, ($2 > 3) FROM t WHERE data ?| array[$3]');
    expect(queryWith(found, 'plans').sql).toBe('SELECT 1 FROM plans WHERE feature = $1 AND env = $2');
    expect(queryWith(found, 'items').sql).toBe('SELECT * FROM items WHERE owner = $1 AND kind IN ($2, $3)');
    expect(queryWith(found, 'items').holes.every((h) => h.origin === 'parameter')).toBe(true);
    for (const e of found) expectParses(e);
  });

  it('escapes: \\n, \\", \\\\, \\u, \\x, a line continuation; each SQL character maps back to its source', () => {
    const src = 'await client.query("SELECT \\"na\\u006De\\" FROM t\\nWHERE x = \'a\\\\b\' \\\n  OFFSET 5");';
    const [q] = extract('a.ts', src);
    expect(q.sql).toBe('SELECT "name" FROM t\nWHERE x = \'a\\b\'   OFFSET 5');
    expectMapped(q, src, 'OFFSET');
    // The `m` came from `\u006D`: its source is those six characters.
    const m = q.sql.indexOf('m');
    expect(src.slice(toHostRange(q, m, m + 1).start, toHostRange(q, m, m + 1).end)).toBe('\\u006D');
    const nl = q.sql.indexOf('\n');
    expect(src.slice(q.starts[nl], q.ends[nl])).toBe('\\n');
  });

  it('concatenation with + of literals and of a variable: the variable is a hole, a name where a name stands', () => {
    const src = [
      "const table = 'audit_log';",
      "const q = 'SELECT id, at FROM ' + table + ' WHERE actor = ' + actor + ' ORDER BY at ' +",
      "  'OFFSET 100';",
      'await pool.query(q);',
      'await pool.query(buildQuery(filters)); // built at run time: skipped',
      'await pool.query(`SELECT * FROM ${schema}.events WHERE kind = ${kind} LIMIT ${n}`);',
    ].join('\n');
    const found = extract('b.ts', src);
    const q = queryWith(found, 'actor');
    expect(q.foundBy).toBe('keyword');
    expect(q.holes.map((h) => h.kind)).toEqual(['identifier', 'value']);
    expect(q.sql).toMatch(/^SELECT id, at FROM _[a-z]{4} WHERE actor = \$0001 ORDER BY at OFFSET 100$/);
    expectParses(q);
    expectMapped(q, src, 'OFFSET');
    expect(q.pieces).toHaveLength(4);
    const offset = q.sql.indexOf('OFFSET');
    expect(touchesInterpolation(q, offset, offset + 6)).toBe(false);
    const hole = q.holes[1];
    expect(touchesInterpolation(q, hole.sqlStart, hole.sqlEnd)).toBe(true);
    const t = queryWith(found, 'events');
    expect(t.sql).toMatch(/^SELECT \* FROM _[a-z]{8}\.events WHERE kind = \$000001 LIMIT \$001$/);
    // An equal-length name maps one to one onto `${schema}`.
    expect(toHostRange(t, t.holes[0].sqlStart, t.holes[0].sqlEnd)).toEqual({ start: src.indexOf('${schema}'), end: src.indexOf('${schema}') + 9 });
    expectParses(t);
    expect(found).toHaveLength(2);
  });

  it('a hole inside a SQL string literal keeps the literal closed', () => {
    const src = "await pool.query(`SELECT id FROM notes WHERE body ILIKE '%${term}%'`);";
    const [q] = extract('c.ts', src);
    expect(q.holes[0].kind).toBe('literal');
    expect(q.sql).toMatch(/^SELECT id FROM notes WHERE body ILIKE '%[a-z]{7}%'$/);
    expectParses(q);
  });

  it('marker comments and the keyword fallback; non-SQL strings that start with a keyword are left alone', () => {
    const src = [
      '/* sql */ const a = `SELECT 1 FROM dual_like`;',
      '// sql',
      "const b = 'VACUUM ANALYZE big_table';",
      "const msg = 'Select an item from the list';",
      "const c = 'DELETE FROM carts WHERE expires_at < now()';",
      "const label = 'Update';",
    ].join('\n');
    const found = extract('d.tsx', src);
    expect(found.map((e) => [e.foundBy, e.sql])).toEqual([
      ['comment', 'SELECT 1 FROM dual_like'],
      ['comment', 'VACUUM ANALYZE big_table'],
      ['keyword', 'DELETE FROM carts WHERE expires_at < now()'],
    ]);
  });

  it('is configurable: languages off, extra calls and tags, no fallback', () => {
    const src = "runReport('SELECT * FROM sales'); const x = pgsql`SELECT 2`; const y = 'SELECT 3';";
    // An unknown tag's template is still a literal that reads as a statement.
    expect(extract('e.ts', src).map((e) => [e.foundBy, e.sql])).toEqual([
      ['keyword', 'SELECT * FROM sales'],
      ['keyword', 'SELECT 2'],
      ['keyword', 'SELECT 3'],
    ]);
    const opts = { ...DEFAULT_EMBEDDED_OPTIONS, calls: ['runReport'], tags: ['pgsql'], keywordFallback: false };
    expect(extract('e.ts', src, opts).map((e) => [e.api, e.sql])).toEqual([
      ['runReport', 'SELECT * FROM sales'],
      ['pgsql``', 'SELECT 2'],
    ]);
    expect(extract('e.ts', src, { ...DEFAULT_EMBEDDED_OPTIONS, languages: { ...DEFAULT_EMBEDDED_OPTIONS.languages, typescript: false } })).toEqual([]);
    expect(extract('e.mjs', src, { ...DEFAULT_EMBEDDED_OPTIONS, languages: { ...DEFAULT_EMBEDDED_OPTIONS.languages, typescript: false } })).toHaveLength(3);
  });

  it('offsets count UTF-16 units after non-ASCII code', () => {
    const src = "const greeting = 'héllo 👋'; await pool.query('SELECT name FROM people OFFSET 3');";
    const [q] = extract('f.ts', src);
    expectMapped(q, src, 'OFFSET');
  });
});

import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderByRandom } from '../../server/src/analysis/rules/order-by-random';
import { fixOnDb } from '../fix-on-db';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const SCHEMA = {
  'schema.sql':
    'CREATE TABLE quotes (id bigint PRIMARY KEY, author text, body text);\n' +
    'CREATE TABLE tags (quote_id bigint, tag text);\nCREATE UNIQUE INDEX tags_key ON tags (quote_id, tag);\n',
};

ruleTester(orderByRandom, {
  valid: [
    { name: 'VALUES', code: "SELECT v FROM (VALUES ('a'), ('b'), ('c')) t(v) ORDER BY random();" },
    { name: 'generate_series', code: 'SELECT g FROM generate_series(1, 100) g ORDER BY random() LIMIT 5;' },
    { name: 'unnest of a parameter', code: 'SELECT x FROM unnest($1::text[]) x ORDER BY random();' },
    { name: 'no FROM', code: 'SELECT random() ORDER BY 1;' },
    {
      name: 'a subquery cut to a LIMIT first',
      code: 'SELECT * FROM (SELECT * FROM quotes ORDER BY id DESC LIMIT 50) q ORDER BY random() LIMIT 5;',
      files: SCHEMA,
    },
    { name: 'a unique key pinned by WHERE', code: 'SELECT * FROM tags WHERE quote_id = $1 AND tag = $2 ORDER BY random();', files: SCHEMA },
    { name: 'another sort key', code: 'SELECT * FROM quotes ORDER BY id LIMIT 1;', files: SCHEMA },
    { name: 'a scalar subquery of random() runs once', code: 'SELECT * FROM quotes ORDER BY (SELECT random());', files: SCHEMA },
    { name: 'random() in the select list only', code: 'SELECT id, random() FROM quotes ORDER BY id;', files: SCHEMA },
    { name: 'random() breaking ties after another key', code: 'SELECT * FROM quotes ORDER BY author, random() LIMIT 5;', files: SCHEMA },
    { name: 'TABLESAMPLE', code: 'SELECT * FROM quotes TABLESAMPLE SYSTEM (1);', files: SCHEMA },
    {
      name: 'DISTINCT ON sorts every row anyway (floor(random()) through a position)',
      code: 'SELECT DISTINCT ON (1) floor(random()) AS r, id FROM quotes ORDER BY 1, 2;',
      files: SCHEMA,
    },
  ],
  invalid: [
    {
      code: 'SELECT body FROM quotes ORDER BY random() LIMIT 1;',
      files: SCHEMA,
      errors: [{ text: 'random()', line: 1, column: 34, message: /ORDER BY random\(\) sorts every row of quotes .*TABLESAMPLE/, severity: 'warning' }],
      output: null,
    },
    {
      name: 'RANDOM() and a table the workspace does not declare',
      code: 'SELECT * FROM campaigns ORDER BY RANDOM() LIMIT 1;',
      errors: [{ text: 'RANDOM()' }],
      output: null,
    },
    { name: 'a select-list alias', code: 'SELECT id, random() AS r FROM quotes ORDER BY r;', files: SCHEMA, errors: [{ text: 'r' }], output: null },
    { name: 'a position', code: 'SELECT random(), id FROM quotes ORDER BY 1;', files: SCHEMA, errors: [{ text: '1' }], output: null },
    {
      name: 'a weighted key',
      code: 'SELECT id FROM quotes ORDER BY -ln(pg_catalog.random()) / length(body) LIMIT 3;',
      files: SCHEMA,
      errors: [{ text: '-ln(pg_catalog.random()) / length(body)' }],
      output: null,
    },
    {
      name: 'a WHERE on a column that is only part of a key',
      code: 'SELECT tag FROM tags WHERE quote_id = $1 ORDER BY random() LIMIT 3;',
      files: SCHEMA,
      errors: [{ message: /of tags/ }],
      output: null,
    },
    {
      name: 'a join with a function',
      code: 'SELECT q.id FROM quotes q, generate_series(1, 3) g ORDER BY random();',
      files: SCHEMA,
      errors: [{}],
      output: null,
    },
    {
      name: 'through a CTE',
      code: 'WITH q AS (SELECT * FROM quotes WHERE author = $1) SELECT * FROM q ORDER BY random() LIMIT 1;',
      files: SCHEMA,
      errors: [{}],
      output: null,
    },
    {
      name: 'in a Python string with %s',
      filename: 'app/sample.py',
      code: 'def pick(cur):\n    cur.execute("SELECT body FROM quotes WHERE author = %s ORDER BY random() LIMIT 1", ("x",))\n',
      files: SCHEMA,
      errors: [{ text: 'random()', line: 2 }],
      output: null,
    },
  ],
});

describe('order-by-random: what the docs suggest runs on PostgreSQL', () => {
  it.each([
    'SELECT body FROM quotes TABLESAMPLE SYSTEM (1);',
    'SELECT body FROM quotes TABLESAMPLE BERNOULLI (1) LIMIT 1;',
    'SELECT body FROM quotes WHERE id >= (SELECT floor(random() * max(id))::bigint FROM quotes) ORDER BY id LIMIT 1;',
  ])('%s', async (sql) => {
    const r = await db.statement({ ...SCHEMA, 'main.sql': sql }, sql);
    expect(r.unchecked).toBeUndefined();
  });
});

describe('order-by-random: the plan the message describes (PGlite, EXPLAIN ANALYZE row counts)', () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.exec(SCHEMA['schema.sql'] + 'INSERT INTO quotes SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\nANALYZE quotes;\n');
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });
  const plan = async (sql: string) =>
    (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');

  it('ORDER BY random() LIMIT 1 reads every row and sorts them', async () => {
    expect(await plan('SELECT body FROM quotes ORDER BY random() LIMIT 1')).toMatch(/Sort[\s\S]*Seq Scan on quotes \(actual rows=20000(\.00)? /);
  });

  it('a random key read through the primary key reads one row of quotes', async () => {
    const p = await plan('SELECT body FROM quotes WHERE id >= (SELECT floor(random() * max(id))::bigint FROM quotes) ORDER BY id LIMIT 1');
    expect(p).toMatch(/Index Scan using quotes_pkey on quotes \(actual rows=1(\.00)? /);
    expect(p).not.toMatch(/Seq Scan/);
  });
});

import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsedFile } from '../../server/src/analysis/parse';
import { arrayAnyGin } from '../../server/src/analysis/rules/array-any-gin';
import { fixOnDb } from '../fix-on-db';
import { applyFix } from '../helpers';
import { ruleTester } from '../rule-tester';

const db = fixOnDb();

const RULE = 'array-any-gin';
const SCHEMA =
  "CREATE TABLE posts (id bigint PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}', labels varchar(40)[], owner_ids int[], refs uuid[], plain text[]);\n" +
  'CREATE INDEX posts_tags ON posts USING gin (tags);\nCREATE INDEX posts_labels ON posts USING gin (labels array_ops);\n' +
  'CREATE INDEX posts_owner_ids ON posts USING gin (owner_ids);\nCREATE INDEX posts_refs ON posts USING gin (refs) WHERE refs IS NOT NULL;\n';
const files = { 'schema.sql': SCHEMA };

ruleTester(arrayAnyGin, {
  valid: [
    { name: 'the primary key pinned by another condition (one row to test)', code: 'SELECT 1 FROM posts WHERE id = $1 AND $2 = ANY(tags);', files },
    { name: 'already @>', code: 'SELECT id FROM posts WHERE tags @> ARRAY[$1]::text[];', files },
    { name: 'an array column without a GIN index', code: 'SELECT id FROM posts WHERE $1 = ANY(plain);', files },
    { name: 'only a partial GIN index', code: 'SELECT id FROM posts WHERE $1 = ANY(refs);', files },
    { name: 'scalar column = ANY(array value): not this rule', code: 'SELECT id FROM posts WHERE id = ANY($1);', files },
    {
      name: 'a join condition (the value reads another table of the query)',
      code: 'SELECT 1 FROM posts p JOIN users u ON u.tag = ANY(p.tags);',
      files: { ...files, 'u.sql': 'CREATE TABLE users (tag text);' },
    },
    { name: 'inside an OR (not a top-level condition)', code: 'SELECT id FROM posts WHERE $1 = ANY(tags) OR id = 1;', files },
    { name: '<> ANY', code: 'SELECT id FROM posts WHERE $1 <> ANY(tags);', files },
    { name: 'a table the workspace does not declare', code: 'SELECT id FROM articles WHERE $1 = ANY(tags);', files },
    { name: 'in the select list', code: 'SELECT $1 = ANY(tags) FROM posts;', files },
  ],
  invalid: [
    {
      name: 'a parameter: the element type cast',
      code: 'SELECT id FROM posts WHERE $1 = ANY(tags) AND id > 0;',
      files,
      errors: [{ text: '$1 = ANY(tags)', message: /GIN index posts_tags on tags.*Write tags @> ARRAY\[\$1\]::text\[\]/, severity: 'warning' }],
      output: 'SELECT id FROM posts WHERE tags @> ARRAY[$1]::text[] AND id > 0;',
    },
    {
      name: 'an int array, a varchar(n) array with array_ops, a qualified column',
      code: "DELETE FROM posts p WHERE 42 = ANY (p.owner_ids) AND 'a' = ANY(labels);",
      files,
      errors: [{ text: '42 = ANY (p.owner_ids)' }, { text: "'a' = ANY(labels)" }],
      output: "DELETE FROM posts p WHERE p.owner_ids @> ARRAY[42]::int4[] AND labels @> ARRAY['a']::varchar[];",
    },
    {
      name: 'in a CTE, from code',
      code: "await pool.query('WITH t AS (SELECT id FROM posts WHERE $1 = ANY(tags)) SELECT * FROM t', [tag]);",
      filename: 'src/posts.ts',
      files,
      errors: [{ text: '$1 = ANY(tags)' }],
      output: "await pool.query('WITH t AS (SELECT id FROM posts WHERE tags @> ARRAY[$1]::text[]) SELECT * FROM t', [tag]);",
    },
  ],
});

describe(`${RULE}: the rewrite on PostgreSQL`, () => {
  it('the fixed query prepares against the schema (the parameter typed text by the cast)', async () => {
    const r = await db.check({ 'schema.sql': SCHEMA, 'main.sql': 'SELECT id FROM posts WHERE $1 = ANY(owner_ids);' }, RULE, { file: 'main.sql' });
    expect(r.statement).toBe('SELECT id FROM posts WHERE owner_ids @> ARRAY[$1]::int4[]');
  });

  let pg: PGlite;
  beforeAll(async () => {
    pg = new PGlite();
    await pg.waitReady;
    for (const st of new ParsedFile('schema.sql', SCHEMA).statements) await pg.exec(st.text);
    await pg.exec("INSERT INTO posts (id, tags) SELECT g, ARRAY['t' || (g % 1000), 't' || (g % 7)] FROM generate_series(1, 30000) g;");
    // VACUUM moves the rows the index took in since it was created out of GIN's pending list into the index proper.
    await pg.exec('VACUUM ANALYZE posts;');
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
  });

  const plan = async (sql: string) => (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
  const count = async (sql: string) => (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) x`)).rows[0].n;

  it('= ANY reads every row; the rewrite the fix writes is a bitmap scan of posts_tags with the same rows (30,000 rows, VACUUM ANALYZE, no planner settings)', async () => {
    const query = "SELECT id FROM posts WHERE 't42' = ANY(tags)";
    expect(await plan(query)).toMatch(/Seq Scan on posts/);
    const fixed = applyFix({ 'schema.sql': SCHEMA, 'main.sql': `${query};` }, RULE, undefined, 'main.sql').replace(/;$/, '');
    expect(fixed).toBe("SELECT id FROM posts WHERE tags @> ARRAY['t42']::text[]");
    expect(await plan(fixed)).toMatch(/Bitmap Index Scan on posts_tags/);
    expect(await count(fixed)).toBe(await count(query));
    expect(await count(query)).toBe(30);
  });
});

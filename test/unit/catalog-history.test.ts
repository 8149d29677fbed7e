import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../server/src/analysis/catalog';
import { ParsedFile } from '../../server/src/analysis/parse';

/** The catalog of `files` and a way to ask it from the n-th statement of a file. */
function history(files: Record<string, string>) {
  const parsed = Object.entries(files).map(([path, text]) => new ParsedFile(path, text));
  const cat = buildCatalog(parsed);
  const at = (path: string, index: number) => parsed.find((f) => f.path === path)!.statements[index];
  const cols = (name: string, path?: string, index?: number) => {
    const t = cat.resolve(undefined, name, path === undefined ? undefined : at(path, index!));
    return t ? [...t.columns.keys()] : undefined;
  };
  return { cat, at, cols };
}

describe('catalog as a migration history', () => {
  it('applies files in migration order, not path order (V10 after V9)', () => {
    const { cat } = history({
      'm/V10__rename.sql': 'ALTER TABLE a RENAME TO b;',
      'm/V9__create.sql': 'CREATE TABLE a (x int);',
    });
    expect(cat.tables.has('public.a')).toBe(false);
    expect([...cat.tables.get('public.b')!.columns.keys()]).toEqual(['x']);
  });

  it('resolves a table as it stands at the statement: dropped and re-created with another definition', () => {
    const { cat, at } = history({
      '1_init.sql': 'CREATE TABLE t (id bigint PRIMARY KEY);\nCREATE INDEX ON t (id);',
      '2_split.sql': 'DROP TABLE t;\nCREATE TABLE t (id bigint, at timestamptz, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\nCREATE INDEX ON t (at);',
    });
    expect(cat.resolve(undefined, 't', at('1_init.sql', 1))!.partition).toBeUndefined();
    expect(cat.resolve(undefined, 't', at('1_init.sql', 0))!.partition).toBeUndefined();
    expect(cat.resolve(undefined, 't', at('2_split.sql', 0))).toBeUndefined();
    expect(cat.resolve(undefined, 't', at('2_split.sql', 2))!.partition?.columns).toEqual(['at']);
    // Query files (no DDL) and callers without a statement see the schema as it ends.
    expect(cat.resolve(undefined, 't')!.partition?.columns).toEqual(['at']);
    expect(cat.resolve(undefined, 't', new ParsedFile('queries.sql', 'SELECT * FROM t;').statements[0])!.partition?.strategy).toBe('range');
  });

  it('applies DROP TABLE with IF EXISTS, several names and CASCADE, and drops partitions with their parent', () => {
    const { cat } = history({
      '1.sql':
        'CREATE TABLE a (x int); CREATE TABLE s.b (y int); CREATE TABLE p (k int) PARTITION BY LIST (k); CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);',
      '2.sql': 'DROP TABLE IF EXISTS a, s.b, nothing CASCADE; DROP TABLE p;',
    });
    expect([...cat.tables.keys()]).toEqual([]);
  });

  it('follows RENAME TO, RENAME COLUMN, SET SCHEMA and DROP COLUMN', () => {
    const { cat, cols } = history({
      '1.sql': 'CREATE TABLE a (x int, y text, z jsonb); CREATE UNIQUE INDEX a_y ON a (y);',
      '2.sql': 'ALTER TABLE a RENAME COLUMN y TO label; ALTER TABLE a DROP COLUMN z; ALTER TABLE a RENAME TO b; ALTER TABLE b SET SCHEMA app;',
    });
    expect(cols('a')).toBeUndefined();
    const b = cat.resolve('app', 'b')!;
    expect([...b.columns.keys()]).toEqual(['x', 'label']);
    expect(b.uniques.map((u) => u.columns)).toEqual([['label']]);
    expect(b.indexes.map((i) => [i.name, i.table])).toEqual([['a_y', { schema: 'app', name: 'b' }]]);
    // Before the rename the table is known under its old name: the definition in effect there, with the changes
    // made to it under that name (the catalog does not keep column-by-column moments of one definition).
    expect(cols('a', '1.sql', 1)).toEqual(['x', 'label']);
  });

  it('DROP INDEX and ALTER INDEX RENAME change the table they belong to', () => {
    const { cat } = history({
      '1.sql': 'CREATE TABLE a (x int, y int); CREATE UNIQUE INDEX ix ON a (x); CREATE INDEX iy ON a (y);',
      '2.sql': 'DROP INDEX ix; ALTER INDEX iy RENAME TO a_y_idx;',
    });
    const a = cat.tables.get('public.a')!;
    expect(a.indexes.map((i) => i.name)).toEqual(['a_y_idx']);
    expect(a.uniques).toEqual([]);
  });

  it('knows CREATE TABLE AS, SELECT INTO, materialized views and views, with columns where the query shows them', () => {
    const { cat } = history({
      '1.sql':
        'CREATE TABLE src (id bigint, name text, body jsonb);\n' +
        'CREATE TABLE copy AS SELECT s.id, name AS label, now()::timestamptz AS at FROM src s;\n' +
        'SELECT * INTO snapshot FROM src;\n' +
        'CREATE MATERIALIZED VIEW mv (k, n) AS SELECT id, name FROM src WITH NO DATA;\n' +
        'CREATE VIEW v AS SELECT id, count(*) AS n FROM src GROUP BY id;\n' +
        'CREATE INDEX ON mv (k);',
    });
    const cols = (k: string) => [...cat.tables.get(k)!.columns.values()].map((c) => `${c.name} ${c.type}`);
    expect(cols('public.copy')).toEqual(['id int8', 'label text', 'at timestamptz']);
    expect(cols('public.snapshot')).toEqual(['id int8', 'name text', 'body jsonb']);
    expect(cols('public.mv')).toEqual(['k int8', 'n text']);
    expect(cat.tables.get('public.mv')!.kind).toBe('matview');
    expect(cat.tables.get('public.mv')!.indexes).toHaveLength(1);
    // count(*) has no readable type here: the view's columns stay unknown rather than half known.
    expect(cat.tables.get('public.v')!.kind).toBe('view');
    expect(cols('public.v')).toEqual([]);
  });

  it('applies ATTACH and DETACH PARTITION', () => {
    const { cat } = history({
      '1.sql': 'CREATE TABLE p (k int) PARTITION BY LIST (k); CREATE TABLE c (k int); ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1);',
      '2.sql': 'ALTER TABLE p DETACH PARTITION c;',
    });
    expect(cat.tables.get('public.c')!.partitionOf).toBeUndefined();
    const { cat: attached } = history({
      '1.sql': 'CREATE TABLE p (k int) PARTITION BY LIST (k); CREATE TABLE c (k int); ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1);',
    });
    expect(attached.tables.get('public.c')!.partitionOf).toBe('public.p');
  });

  it('a table created twice differently with no DROP in between is ambiguous, except to its own CREATE', () => {
    const { cat, at } = history({
      'a/schema.sql': 'CREATE TABLE foo (id bigint, at timestamptz) PARTITION BY RANGE (at);',
      'b/schema.sql': 'CREATE TABLE foo (id bigint PRIMARY KEY);\nCREATE INDEX ON foo (id);',
    });
    expect(cat.resolve(undefined, 'foo')).toBeUndefined();
    expect(cat.tables.get('public.foo')!.ambiguous).toBe(true);
    expect(cat.resolve(undefined, 'foo', at('b/schema.sql', 0))!.partition).toBeUndefined();
    expect(cat.resolve(undefined, 'foo', at('b/schema.sql', 1))).toBeUndefined();
    // Before the second definition the first one holds.
    expect(cat.resolve(undefined, 'foo', at('a/schema.sql', 0))!.partition?.columns).toEqual(['at']);
  });

  it('a repeated identical definition (a schema dump beside migrations) and CREATE … IF NOT EXISTS are not ambiguous', () => {
    const { cat, at } = history({
      'm/1_init.sql': 'CREATE TABLE foo (id bigint, at timestamptz) PARTITION BY RANGE (at);',
      'm/2_again.sql': 'CREATE TABLE IF NOT EXISTS foo (id bigint PRIMARY KEY);',
      'schema.sql': 'CREATE TABLE foo (id bigint, at timestamptz) PARTITION BY RANGE (at);',
    });
    expect(cat.resolve(undefined, 'foo')!.partition?.columns).toEqual(['at']);
    // PostgreSQL skips the IF NOT EXISTS statement; the statement itself still reads its own definition.
    expect(cat.resolve(undefined, 'foo', at('m/2_again.sql', 0))!.partition).toBeUndefined();
  });

  it('judges a down script against the schema after its up script, and keeps its changes to itself', () => {
    const { cat, at, cols } = history({
      'm/1_a.up.sql': 'CREATE TABLE a (x int);',
      'm/1_a.down.sql': 'DROP TABLE a;\nCREATE TABLE a (old int);',
      'm/2_b.up.sql': 'ALTER TABLE a ADD COLUMN y int;',
    });
    expect([...cat.tables.get('public.a')!.columns.keys()]).toEqual(['x', 'y']);
    expect(cols('a', 'm/1_a.down.sql', 1)).toEqual(['old']);
    expect(cat.resolve(undefined, 'a', at('m/1_a.down.sql', 0))).toBeUndefined();
    expect(cols('a', 'm/2_b.up.sql', 0)).toEqual(['x', 'y']);
  });

  it('takes a table created by a file that sorts later from the final schema (order unknown)', () => {
    const { cols } = history({ 'migrations/002.sql': 'CREATE INDEX ON docs (id);', 'schema/docs.sql': 'CREATE TABLE docs (id int, body text);' });
    expect(cols('docs', 'migrations/002.sql', 0)).toEqual(['id', 'body']);
  });

  it('follows a column renamed and then re-added under the old name, and ALTER COLUMN … TYPE (quickwit migration 9)', () => {
    const { cat } = history({
      'm/1_create-indexes.up.sql': 'CREATE TABLE indexes (index_id varchar(50) PRIMARY KEY, index_metadata_json text);',
      'm/9_index-uid.up.sql':
        "ALTER TABLE indexes RENAME COLUMN index_id TO index_uid;\nALTER TABLE indexes ADD COLUMN index_id VARCHAR(50) NOT NULL DEFAULT '';\n" +
        'ALTER TABLE indexes ALTER COLUMN index_uid TYPE VARCHAR(64);',
      'm/9_index-uid.down.sql': 'ALTER TABLE indexes DROP COLUMN index_id;',
    });
    const t = cat.tables.get('public.indexes')!;
    expect([...t.columns.values()].map((c) => `${c.name} ${c.type}(${c.typmod})`)).toEqual([
      'index_uid varchar(64)',
      'index_metadata_json text(undefined)',
      'index_id varchar(50)',
    ]);
    expect(t.uniques.map((u) => u.columns)).toEqual([['index_uid']]);
  });

  it('keeps the Down section of a goose file out of the history: a later index and query still see the table', () => {
    const goose = '-- +goose Up\nCREATE TABLE a (id bigint PRIMARY KEY, name text);\n\n-- +goose Down\nDROP TABLE a;\n';
    const { cat, cols } = history({ 'm/00001_a.sql': goose, 'm/00002_b.sql': 'CREATE INDEX a_name ON a (name);' });
    expect(cols('a', 'm/00002_b.sql', 0)).toEqual(['id', 'name']);
    expect(cat.tables.get('public.a')!.created).toBeDefined();
    expect(cat.tables.get('public.a')!.indexes.map((i) => i.name)).toEqual(['a_name']);
    expect(cat.resolve(undefined, 'a', new ParsedFile('q/list.sql', 'SELECT name FROM a;').statements[0])!.columns.size).toBe(2);
    // The same file without its Down line drops the table for good (the control of this test).
    const plain = history({ 'm/00001_a.sql': goose.replace('-- +goose Down\n', ''), 'm/00002_b.sql': 'CREATE INDEX a_name ON a (name);' });
    expect(plain.cols('a', 'm/00002_b.sql', 0)).toEqual([]);
    expect(plain.cat.tables.get('public.a')!.created).toBeUndefined();
  });

  it('judges a goose Down section like a down script: its own later statements see its changes, nothing else does', () => {
    const { cat, at, cols } = history({
      'm/00001_a.sql':
        '-- +goose Up\nCREATE TABLE a (x int);\n-- +goose Down\nDROP TABLE a;\nCREATE TABLE a (old int);\nSELECT old FROM a;\n-- +goose Up\nSELECT x FROM a;\n',
      'm/00002_b.sql': 'ALTER TABLE a ADD COLUMN y int;',
    });
    expect(cols('a', 'm/00001_a.sql', 0)).toEqual(['x', 'y']);
    expect(cat.resolve(undefined, 'a', at('m/00001_a.sql', 1))).toBeUndefined();
    expect(cols('a', 'm/00001_a.sql', 2)).toEqual(['old']);
    expect(cols('a', 'm/00001_a.sql', 3)).toEqual(['old']);
    // A query after a later Up line is back in the forward history.
    expect(cols('a', 'm/00001_a.sql', 4)).toEqual(['x', 'y']);
    expect(cols('a', 'm/00002_b.sql', 0)).toEqual(['x', 'y']);
    expect([...cat.tables.keys()]).toEqual(['public.a']);
  });

  it('keeps the migrate:down section of a dbmate file out of the history', () => {
    const { cat, cols } = history({
      'db/migrations/20240101000000_users.sql':
        '-- migrate:up transaction:false\nCREATE TABLE users (id bigint, email text);\nCREATE INDEX users_email ON users (email);\n\n-- migrate:down\nDROP INDEX users_email;\nDROP TABLE users;\n',
      'db/migrations/20240201000000_more.sql': '-- migrate:up\nALTER TABLE users ADD COLUMN org bigint;\n-- migrate:down\nALTER TABLE users DROP COLUMN org;\n',
    });
    expect(cols('users', 'db/migrations/20240201000000_more.sql', 0)).toEqual(['id', 'email', 'org']);
    expect(cols('users', 'db/migrations/20240201000000_more.sql', 1)).toEqual(['id', 'email']);
    expect(cat.tables.get('public.users')!.indexes.map((i) => i.name)).toEqual(['users_email']);
  });
});

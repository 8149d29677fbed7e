import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../server/src/analysis/catalog';
import { ParsedFile } from '../../server/src/analysis/parse';

const catalogOf = (files: Record<string, string>, partitionedTables = {}) =>
  buildCatalog(
    Object.entries(files).map(([path, text]) => new ParsedFile(path, text)),
    { partitionedTables },
  );

describe('workspace catalog', () => {
  const cat = catalogOf({
    'schema/001.sql': `
      CREATE SCHEMA app;
      CREATE TABLE app.event_log (
        tenant_id text NOT NULL,
        event_id uuid NOT NULL,
        "timestamp" timestamptz NOT NULL,
        embedding vector(1536),
        small halfvec(384),
        tags text[],
        PRIMARY KEY (tenant_id, "timestamp", event_id),
        UNIQUE (event_id, "timestamp")
      ) PARTITION BY RANGE ("timestamp");
      CREATE TABLE app.event_log_2025_01 PARTITION OF app.event_log FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
      CREATE TABLE public.event_log (id int PRIMARY KEY, note text UNIQUE);
      CREATE TABLE "Mixed Case" ("Id" int);
      CREATE TABLE list_t (k int, region text) PARTITION BY LIST (region);
      CREATE TABLE hash_t (k int) PARTITION BY HASH (k);`,
    'schema/002.sql': `
      SET search_path TO app, public;
      ALTER TABLE event_log ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON event_log USING (tenant_id = current_setting('app.current_tenant_id'));
      ALTER TABLE event_log ADD COLUMN payload jsonb;
      CREATE INDEX CONCURRENTLY idx_hnsw ON event_log USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 256);
      CREATE UNIQUE INDEX idx_expr ON event_log (tenant_id, lower(payload->>'k')) INCLUDE (event_id) WHERE payload IS NOT NULL;
      RESET search_path;
      ALTER TABLE event_log ADD CONSTRAINT el_note UNIQUE (note);
      CREATE TABLE detached (LIKE app.event_log);
      ALTER TABLE app.event_log ATTACH PARTITION detached FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
      ALTER TABLE public.event_log FORCE ROW LEVEL SECURITY;`,
  });

  it('keeps schemas apart and resolves unqualified names through search_path', () => {
    const app = cat.resolve('app', 'event_log')!;
    const pub = cat.resolve(undefined, 'event_log')!;
    expect(app.schema).toBe('app');
    expect(pub.schema).toBe('public');
    expect([...pub.columns.keys()]).toEqual(['id', 'note']);
    expect(cat.resolve(undefined, 'event_log', { searchPath: ['app', 'public'] })).toBe(app);
    expect(cat.schemas.has('app')).toBe(true);
  });

  it('records columns with types and vector dimensions, quoted identifiers as written', () => {
    const t = cat.resolve('app', 'event_log')!;
    expect([...t.columns.keys()]).toEqual(['tenant_id', 'event_id', 'timestamp', 'embedding', 'small', 'tags', 'payload']);
    expect(t.columns.get('embedding')).toMatchObject({ type: 'vector', typmod: 1536 });
    expect(t.columns.get('small')).toMatchObject({ type: 'halfvec', typmod: 384 });
    expect(t.columns.get('timestamp')?.type).toBe('timestamptz');
    expect(cat.resolve(undefined, 'Mixed Case')?.columns.has('Id')).toBe(true);
  });

  it('records partitioning and partitions', () => {
    const t = cat.resolve('app', 'event_log')!;
    expect(t.partition).toEqual({ strategy: 'range', columns: ['timestamp'], declaredIn: 'schema/001.sql' });
    expect(cat.resolve('app', 'event_log_2025_01')?.partitionOf).toBe('app.event_log');
    expect(cat.resolve(undefined, 'detached')?.partitionOf).toBe('app.event_log');
    expect(cat.resolve(undefined, 'detached')?.columns.has('embedding')).toBe(true);
    expect(cat.resolve(undefined, 'list_t')?.partition).toMatchObject({ strategy: 'list', columns: ['region'] });
    expect(cat.resolve(undefined, 'hash_t')?.partition).toMatchObject({ strategy: 'hash', columns: ['k'] });
  });

  it('records indexes: method, columns and expressions, opclasses, WITH, INCLUDE, predicate', () => {
    const t = cat.resolve('app', 'event_log')!;
    const hnsw = t.indexes.find((i) => i.name === 'idx_hnsw')!;
    expect(hnsw).toMatchObject({ method: 'hnsw', params: { m: 24, ef_construction: 256 }, unique: false, partial: false });
    expect(hnsw.columns.map((c) => [c.column, c.opclass])).toEqual([['embedding', 'vector_cosine_ops']]);
    const expr = t.indexes.find((i) => i.name === 'idx_expr')!;
    expect(expr).toMatchObject({ method: 'btree', unique: true, partial: true, include: ['event_id'] });
    expect(expr.columns.map((c) => c.column ?? c.exprColumns.join('+'))).toEqual(['tenant_id', 'payload']);
  });

  it('records PRIMARY KEY and UNIQUE keys from columns, table constraints, ALTER and unique indexes', () => {
    const keys = (schema: string, name: string) => cat.resolve(schema, name)!.uniques.map((u) => `${u.primary ? 'pk' : 'uq'}(${u.columns.join(',')})`);
    expect(keys('app', 'event_log')).toEqual(['pk(tenant_id,timestamp,event_id)', 'uq(event_id,timestamp)', 'uq(tenant_id,)']);
    expect(keys('public', 'event_log')).toEqual(['pk(id)', 'uq(note)', 'uq(note)']);
  });

  it('records RLS and policies across files; FORCE alone does not enable RLS', () => {
    const app = cat.resolve('app', 'event_log')!;
    expect(app.rls).toBe(true);
    expect(app.policies.map((p) => p.name)).toEqual(['tenant_isolation']);
    const pub = cat.resolve('public', 'event_log')!;
    expect(pub.rls).toBe(false);
    expect(pub.forceRls).toBe(true);
  });

  it('takes partitioned tables declared outside the workspace from the configuration', () => {
    const c = catalogOf(
      { 'q.sql': 'SELECT 1;' },
      { 'app.events': { strategy: 'range', columns: ['created_at'] }, metrics: { strategy: 'range', columns: ['ts'] } },
    );
    expect(c.resolve('app', 'events')?.partition).toEqual({ strategy: 'range', columns: ['created_at'], declaredIn: '.pgperf.json' });
    expect(c.resolve(undefined, 'metrics')?.partition?.columns).toEqual(['ts']);
  });
});

describe('catalog: column types as a cast writes them, and INHERITS', () => {
  const cat = catalogOf({
    'schema.sql': `
      CREATE SCHEMA app;
      CREATE TABLE app.t (id serial, big bigserial, small smallserial, st "Status", m app.mood, flags bit(3), one "char",
        ch char(3), n numeric(10, 2), u uuid, tags text[]);
      CREATE TABLE parent (id int, a text);
      CREATE TABLE other (z int, id int);
      CREATE TABLE child (b int, a text) INHERITS (parent, other, elsewhere);
    `,
  });
  const t = cat.tables.get('app.t')!;

  it.each([
    ['id', 'int4'],
    ['big', 'int8'],
    ['small', 'int2'],
    ['st', '"Status"'],
    ['m', 'app.mood'],
    ['flags', '"bit"'],
    ['one', '"char"'],
    ['ch', 'bpchar'],
    ['n', 'numeric'],
    ['u', 'uuid'],
    ['tags', 'text'],
  ])('%s: typeName %s', (column, typeName) => {
    expect(t.columns.get(column)?.typeName).toBe(typeName);
  });

  it('keeps the existing fields as they were: lower-cased last name, typmod, array', () => {
    expect(t.columns.get('st')).toMatchObject({ type: 'status' });
    expect(t.columns.get('id')).toMatchObject({ type: 'serial' });
    expect(t.columns.get('flags')).toMatchObject({ type: 'bit', typmod: 3 });
    expect(t.columns.get('tags')).toMatchObject({ type: 'text', array: true });
  });

  it("INHERITS: the parents' columns first, a shared or redeclared name once, unknown parents recorded without columns", () => {
    const child = cat.tables.get('public.child')!;
    expect([...child.columns.keys()]).toEqual(['id', 'a', 'z', 'b']);
    expect(child.inherits).toEqual([
      { schema: 'public', name: 'parent', columns: ['id', 'a'] },
      { schema: 'public', name: 'other', columns: ['z', 'id'] },
      { schema: 'public', name: 'elsewhere' },
    ]);
  });
});

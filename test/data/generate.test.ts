/**
 * The synthetic-data generator on the embedded database (PGlite), over every schema of examples/ and
 * test/fixtures and the fixtures beside this file: the load never fails on a valid schema, foreign keys and unique
 * keys hold (checked by queries afterwards, not only by the database's own constraints), the same seed gives the
 * same data, a table it cannot fill is named with the reason, a cancel leaves the database as it was, and hostile
 * names are quoted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openEmbedded, type EmbeddedDatabase } from '../../database/connection/embedded';
import { quoteIdent } from '../../database/connection/quote';
import type { Database } from '../../database/connection/types';
import { type DataResult, fillDatabase } from '../../database/data/generate';
import { checksum, embeddedWith, readSources, ROOT, rows, sqlFiles } from './helpers';

const FIXTURES = join(__dirname, 'fixtures');
const open: EmbeddedDatabase[] = [];
afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
});

async function withSchema(files: string[]): Promise<EmbeddedDatabase> {
  const { db, load } = await embeddedWith(readSources(files));
  open.push(db);
  void load;
  return db;
}

/** A script with data and DO blocks (test/fixtures/plans/setup.sql), run as psql would. */
async function withScript(file: string): Promise<EmbeddedDatabase> {
  const db = await openEmbedded({ sharedBuffers: '64MB' });
  open.push(db);
  const s = await db.session();
  try {
    await s.query(readFileSync(file, 'utf8'));
  } finally {
    await s.release();
  }
  return db;
}

const q = (name: string) => name.split('.').map(quoteIdent).join('.');

/** Every foreign key and unique key of the user tables, checked by counting the rows that break it. */
async function verifyConstraints(db: Database): Promise<void> {
  const cons = await rows(
    db,
    `select k.contype as kind, k.conname as name,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) as tbl,
            (select string_agg(quote_ident(a.attname), ',' order by x.o) from unnest(k.conkey) with ordinality x(n, o)
               join pg_attribute a on a.attrelid = k.conrelid and a.attnum = x.n) as cols,
            (select quote_ident(rn.nspname) || '.' || quote_ident(rc.relname) from pg_class rc join pg_namespace rn on rn.oid = rc.relnamespace where rc.oid = k.confrelid) as ref,
            (select string_agg(quote_ident(a.attname), ',' order by x.o) from unnest(k.confkey) with ordinality x(n, o)
               join pg_attribute a on a.attrelid = k.confrelid and a.attnum = x.n) as ref_cols
     from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
     where k.contype in ('f', 'p', 'u') and k.conparentid = 0 and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`,
  );
  expect(cons.length).toBeGreaterThan(0);
  for (const c of cons) {
    const cols = String(c.cols).split(',');
    const notNull = cols.map((x) => `${x} is not null`).join(' and ');
    if (c.kind === 'f') {
      const refCols = String(c.ref_cols).split(',');
      const match = cols.map((x, i) => `p.${refCols[i]} = t.${x}`).join(' and ');
      const [r] = await rows(
        db,
        `select count(*)::int as n from ${String(c.tbl)} t where ${notNull.replace(/(^|and )/g, '$1t.')} and not exists (select 1 from ${String(c.ref)} p where ${match})`,
      );
      expect(r!.n, `foreign key ${String(c.name)}`).toBe(0);
    } else {
      const [r] = await rows(
        db,
        `select count(*)::int as n from (select 1 from ${String(c.tbl)} where ${notNull} group by ${cols.join(',')} having count(*) > 1) d`,
      );
      expect(r!.n, `unique key ${String(c.name)}`).toBe(0);
    }
  }
}

async function count(db: Database, table: string): Promise<number> {
  const [r] = await rows(db, `select count(*)::int as n from ${q(table)}`);
  return Number(r!.n);
}

function filledNames(r: DataResult): string[] {
  return r.filled.map((f) => `${f.schema}.${f.name}`).sort();
}

describe('every schema of examples/ and test/fixtures', () => {
  test('examples/app: every table that loaded is filled, keys hold, statistics gathered', async () => {
    const db = await withSchema(sqlFiles(join(ROOT, 'examples')));
    const r = await fillDatabase(db, { scale: 3000, vectorRows: 100 });
    expect(r.unfilled).toEqual([]);
    expect(r.cancelled).toBe(false);
    expect(r.method).toBe('copy');
    expect(filledNames(r)).toEqual(['app.artifacts', 'app.embeddings_3072', 'app.embeddings_768', 'app.sessions']);
    expect(await count(db, 'app.sessions')).toBe(3000);
    expect(await count(db, 'app.embeddings_768')).toBe(100);
    await verifyConstraints(db);
    const [stats] = await rows(db, "select count(*)::int as n from pg_stats where schemaname = 'app' and tablename = 'sessions'");
    expect(stats!.n).toBeGreaterThan(0);
    // Tenants skewed: the biggest holds many times the median tenant's rows.
    const sizes = (await rows(db, 'select count(*)::int as n from app.sessions group by tenant_id order by 1 desc')).map((x) => Number(x.n));
    expect(sizes.length).toBeGreaterThan(5);
    expect(sizes[0]!).toBeGreaterThan(10 * sizes[Math.floor(sizes.length / 2)]!);
    // Vectors are unit length.
    const [norm] = await rows(db, 'select min(vector_norm(embedding)) as lo, max(vector_norm(embedding)) as hi from app.embeddings_768');
    expect(Number(norm!.lo)).toBeCloseTo(1, 3);
    expect(Number(norm!.hi)).toBeCloseTo(1, 3);
  }, 120_000);

  test('test/fixtures/plans/setup.sql (tables holding rows already, 12 monthly and 500 hash partitions)', async () => {
    const db = await withScript(join(ROOT, 'test/fixtures/plans/setup.sql'));
    const before = await count(db, 'pgperf_fx.events');
    const r = await fillDatabase(db, { scale: 2000 });
    expect(r.unfilled).toEqual([]);
    expect(filledNames(r)).toEqual(['pgperf_fx.event_log', 'pgperf_fx.events', 'pgperf_fx.ios', 'pgperf_fx.skewed', 'pgperf_fx.tenants', 'pgperf_fx.wide']);
    expect(await count(db, 'pgperf_fx.events')).toBe(before + 2000);
    await verifyConstraints(db);
    // New timestamps spread over all twelve partitions.
    const parts = await rows(db, "select tableoid::regclass::text as p, count(*) from pgperf_fx.event_log where body is distinct from md5('x') group by 1");
    expect(parts.length).toBe(12);
  }, 180_000);

  test('shop.sql: enums, domains, arrays, jsonb, vectors, partitions, self reference, a cycle, a unique key over two foreign keys', async () => {
    const db = await withSchema([join(FIXTURES, 'shop.sql')]);
    const r = await fillDatabase(db, { scale: 2000, tenants: 50 });
    expect(r.unfilled).toEqual([]);
    expect(filledNames(r)).toEqual([
      'shop.events',
      'shop.ledger',
      'shop.members',
      'shop.misc',
      'shop.order_items',
      'shop.orders',
      'shop.products',
      'shop.regions',
      'shop.squads',
      'shop.tenants',
      'shop.user_profiles',
      'shop.users',
    ]);
    await verifyConstraints(db);
    // A tenants table gets one row per tenant; a one-to-one table at most one row per parent.
    expect(await count(db, 'shop.tenants')).toBe(50);
    expect(await count(db, 'shop.user_profiles')).toBeLessThanOrEqual(await count(db, 'shop.users'));
    // Partitioned: twice the scale, spread over the three months that exist.
    expect(await count(db, 'shop.events')).toBe(4000);
    const parts = await rows(db, 'select tableoid::regclass::text as p, count(*)::int as n from shop.events group by 1 order by 1');
    expect(parts.map((p) => p.p)).toEqual(['shop.events_2025_01', 'shop.events_2025_02', 'shop.events_2025_03']);
    for (const p of parts) expect(Number(p.n)).toBeGreaterThan(1000);
    // The cycle squads ↔ members was broken at the nullable lead_id.
    const [lead] = await rows(db, 'select count(lead_id)::int as n from shop.squads');
    expect(lead!.n).toBe(0);
    // Self references point at rows of the same table; CHECK (shipped_at > placed_at) holds by construction.
    const [self] = await rows(db, 'select count(*)::int as n from shop.users where manager_id is not null');
    expect(self!.n).toBeGreaterThan(0);
    const [arr] = await rows(db, 'select count(*)::int as n from shop.users where cardinality(tags) > 0');
    expect(arr!.n).toBeGreaterThan(0);
    const [st] = await rows(db, 'select count(distinct status)::int as n from shop.orders');
    expect(st!.n).toBe(4);
    // Database-made keys stay the database's: the identity of tenants counts from 1.
    const [ids] = await rows(db, 'select min(id)::int as lo, max(id)::int as hi from shop.tenants');
    expect([ids!.lo, ids!.hi]).toEqual([1, 50]);
  }, 180_000);

  test('a schema it cannot fill: each table named with why, the rest filled', async () => {
    const db = await withSchema([join(FIXTURES, 'unfillable.sql')]);
    const r = await fillDatabase(db, { scale: 500 });
    expect(filledNames(r)).toEqual(['bad.ok']);
    const why = Object.fromEntries(r.unfilled.map((u) => [`${u.schema}.${u.name}`, u.reason]));
    expect(Object.keys(why).sort()).toEqual(['bad.a', 'bad.b', 'bad.coded', 'bad.coded_child', 'bad.impossible', 'bad.shapes']);
    expect(why['bad.a']).toMatch(/cycle through NOT NULL/);
    expect(why['bad.b']).toMatch(/cycle through NOT NULL/);
    expect(why['bad.coded']).toMatch(/violates check constraint "coded_code_check".*ranges, IN lists or lengths.*code ~/);
    expect(why['bad.coded_child']).toMatch(/references bad\.coded, which could not be filled/);
    expect(why['bad.shapes']).toMatch(/column centre has type point/);
    expect(why['bad.impossible']).toMatch(/leave no integer/);
    expect(await count(db, 'bad.ok')).toBe(500);
    expect(await count(db, 'bad.coded')).toBe(0);
  }, 120_000);
});

describe('deterministic for a seed', () => {
  test('the same seed gives the same data in a fresh database; another seed does not; INSERT and COPY load the same', async () => {
    const files = [join(FIXTURES, 'shop.sql'), join(FIXTURES, 'hostile.sql')];
    const sums: string[] = [];
    for (const [seed, method] of [
      [7, 'copy'],
      [7, 'copy'],
      [7, 'insert'],
      [8, 'copy'],
    ] as const) {
      const db = await withSchema(files);
      const r = await fillDatabase(db, { seed, scale: 300, tenants: 20, method });
      expect(r.unfilled).toEqual([]);
      expect(r.method).toBe(method);
      sums.push(await checksum(db));
      await db.close();
    }
    expect(sums[0]).toContain('shop.orders=300:');
    expect(sums[1]).toBe(sums[0]);
    expect(sums[2]).toBe(sums[0]);
    expect(sums[3]).not.toBe(sums[0]);
  }, 240_000);
});

describe('cancel', () => {
  test('an abort during a load rolls it back and leaves the embedded database usable (and fillable again)', async () => {
    const db = await withSchema(sqlFiles(join(ROOT, 'examples')));
    const ac = new AbortController();
    let batches = 0;
    const r = await fillDatabase(db, {
      scale: 50_000,
      vectorRows: 50,
      signal: ac.signal,
      onProgress: (p) => {
        batches++;
        if (p.rows >= 5_000) ac.abort();
      },
    });
    expect(batches).toBeGreaterThan(0);
    expect(r.cancelled).toBe(true);
    expect(r.rows).toBe(0);
    expect(db.restarts).toBe(0);
    for (const t of ['app.artifacts', 'app.sessions', 'app.embeddings_768']) expect(await count(db, t)).toBe(0);
    const [one] = await rows(db, 'select 1 as one');
    expect(one!.one).toBe(1);
    const again = await fillDatabase(db, { scale: 1000, vectorRows: 10 });
    expect(again.cancelled).toBe(false);
    expect(await count(db, 'app.sessions')).toBe(1000);
  }, 120_000);

  test('an abort before the start loads nothing', async () => {
    const db = await withSchema([join(FIXTURES, 'unfillable.sql')]);
    const r = await fillDatabase(db, { scale: 100, signal: AbortSignal.abort() });
    expect(r.cancelled).toBe(true);
    expect(await count(db, 'bad.ok')).toBe(0);
  }, 60_000);
});

describe('hostile identifiers', () => {
  test('names with quotes, semicolons, comment markers, a tab and unicode are quoted, and their values reach the table', async () => {
    const db = await withSchema([join(FIXTURES, 'hostile.sql')]);
    const [schemas] = await rows(db, `select count(*)::int as n from pg_class where relname in ('Tåble; DROP TABLE x; --', 'kid')`);
    expect(schemas!.n).toBe(2);
    const r = await fillDatabase(db, { scale: 400 });
    expect(r.unfilled).toEqual([]);
    expect(filledNames(r)).toEqual(['we;ird "schema".Tåble; DROP TABLE x; --', 'we;ird "schema".kid']);
    const parent = `${quoteIdent('we;ird "schema"')}.${quoteIdent('Tåble; DROP TABLE x; --')}`;
    const kid = `${quoteIdent('we;ird "schema"')}.kid`;
    expect(Number((await rows(db, `select count(*) as n from ${parent}`))[0]!.n)).toBe(400);
    const vals = (await rows(db, `select distinct ${quoteIdent('🙂')} as v from ${kid} where ${quoteIdent('🙂')} is not null order by 1`)).map((x) => x.v);
    expect(vals).toEqual(["a'b", 'c;d', 'e"f', 'g\\h']);
    await verifyConstraints(db);
  }, 60_000);
});

/**
 * Synthetic data for the schema a database holds: every table filled with a number of rows that honour its
 * types, NOT NULL, simple CHECKs, primary keys, unique constraints and foreign keys, with tenants skewed (a few
 * big, many small) and timestamps spread over the partitions that exist, so that EXPLAIN ANALYZE on the embedded
 * database measures plans over data rather than over empty tables.
 *
 * The schema is read from the database's catalog (catalog.ts), so what the generator honours is what loaded.
 * Parents load before children (a topological order of the foreign keys; a cycle is broken at a nullable key,
 * whose column is left NULL); children reference keys read back from their parents, so keys the database makes
 * (identity, serial) and rows already there are referenced too. Identity, serial and generated columns are left
 * to the database.
 *
 * Everything runs in one transaction, each table under its own savepoint: a table that cannot be filled (a type
 * pgperf has no values for, a CHECK it cannot meet, a NOT NULL foreign-key cycle) is reported with the reason and
 * the others still load; a cancel between batches rolls everything back and leaves the database as it was.
 * ANALYZE runs inside it at the end. Values come from one seeded PRNG per table: the same seed, schema and options
 * give the same rows.
 *
 * Bulk load: COPY from the embedded database's /dev/blob when the session has it (Session.copyFrom), else
 * multi-row INSERTs (about 1.4× slower on PGlite for 100,000 narrow rows).
 */
import { mulberry32 } from '../bench/vectors';
import { quoteIdent, quoteLiteral } from '../connection/quote';
import { DatabaseError, type Database, type Session } from '../connection/types';
import { type Column, type Constraint, type Leaf, qualified, readSchema, type Schema, type Table } from './catalog';
import {
  type BaseType,
  type Bounds,
  copyText,
  formatTimestamp,
  type Generator,
  generatorFor,
  mergeBounds,
  parseCheck,
  parseTimestamp,
  type Rand,
  resolveType,
  uuidAt,
  type Window,
} from './values';

export interface DataOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** Rows per table (default 100,000); a partitioned table gets twice as many, a tenants table `tenants`. */
  scale?: number;
  /** Rows for particular tables, by `schema.table` or `table`, over the defaults. */
  rows?: Record<string, number>;
  /** At most this many rows in a table with a vector column (default 5,000: an HNSW index takes ~240 rows/s on PGlite). */
  vectorRows?: number;
  /** Distinct tenants (default scale / 100, at least 10). */
  tenants?: number;
  /** Timestamps end here when no partition bounds say otherwise (default 2026-01-01T00:00:00Z, fixed so that a seed gives the same data every day). */
  anchor?: Date;
  /** `insert`: multi-row INSERTs even where COPY is available. */
  method?: 'copy' | 'insert';
  /** Checked between batches: aborting rolls the whole load back. */
  signal?: AbortSignal;
  onProgress?: (p: DataProgress) => void;
}

export interface DataProgress {
  table: string;
  /** 1-based position of the table in the load order. */
  tableIndex: number;
  tables: number;
  /** Rows loaded into this table so far, and planned. */
  tableRows: number;
  tablePlanned: number;
  /** Rows loaded so far in all tables. */
  rows: number;
}

export interface FilledTable {
  schema: string;
  name: string;
  rows: number;
  /** Why fewer rows than asked for (a unique key over few values, a parent with few keys). */
  note?: string;
}

export interface UnfilledTable {
  schema: string;
  name: string;
  reason: string;
}

export interface DataResult {
  filled: FilledTable[];
  unfilled: UnfilledTable[];
  rows: number;
  seconds: number;
  cancelled: boolean;
  method: 'copy' | 'insert';
  seed: number;
}

const TENANT_COLUMN = /^(tenant|org|organization|organisation|account|workspace|customer|company|team)_?id$/i;
const TENANT_TABLE = /^(tenants?|organi[sz]ations?|orgs?|accounts?|workspaces?|compan(y|ies)|customers?|teams?)$/i;
/** Zipf exponent of tenant sizes: with 1,000 tenants the biggest holds ~13% of the rows, half hold under 0.05% each. */
const ZIPF_S = 1.1;
const BATCH_BYTES = 4_000_000;
const BATCH_ROWS = 5_000;
const DAY = 86_400_000;

class Unfillable extends Error {}

type Keys = string[][];

interface FkPlan {
  constraint: Constraint;
  /** Indexes into the table's load columns. */
  at: number[];
  self: boolean;
  /** NULL always (a cycle broken here, or a parent without rows while the columns are nullable). */
  nullOnly: boolean;
  nullable: boolean;
  tenant: boolean;
  keys?: Keys;
  /** In the unique tuple: the parent row is the tuple's digit, not a draw. */
  tupleDigit?: number;
}

interface ColPlan {
  column: Column;
  type: BaseType;
  gen: Generator;
  injective: boolean;
  tenant: boolean;
  fk?: FkPlan;
  /** Generated after these load columns (CHECK (ends_at > starts_at)). */
  after: number[];
  partitionKey: boolean;
  tupleDigit?: number;
}

interface TablePlan {
  table: Table;
  label: string;
  rows: number;
  cols: ColPlan[];
  fks: FkPlan[];
  /** Radices of the unique tuple (a unique key over foreign keys and finite columns only). */
  tuple?: number[];
  /** Each leaf's constraint per load column. */
  leaves: { cols: Map<number, (rand: Rand) => string> }[];
  order: number[];
  note?: string;
  unparsedChecks: string[];
}

/** Fills every table of `db`'s schema (see the file comment). */
export async function fillDatabase(db: Pick<Database, 'session'>, options: DataOptions = {}): Promise<DataResult> {
  const started = performance.now();
  const seed = (options.seed ?? 1) >>> 0;
  const session = await db.session();
  let broken = false;
  try {
    return await fill(session, seed, options, started);
  } catch (err) {
    broken = err instanceof DatabaseError && err.kind === 'connection';
    throw err;
  } finally {
    await session.release(broken);
  }
}

async function fill(session: Session, seed: number, options: DataOptions, started: number): Promise<DataResult> {
  const method = options.method ?? (session.copyFrom ? 'copy' : 'insert');
  const schema = await readSchema(session);
  const scale = options.scale ?? 100_000;
  const tenants = Math.max(1, options.tenants ?? Math.max(10, Math.round(scale / 100)));
  const window = timeWindow(schema, options.anchor ?? new Date('2026-01-01T00:00:00Z'));
  const unfilled: UnfilledTable[] = [];
  const filled: FilledTable[] = [];
  const byOid = new Map(schema.tables.map((t) => [t.oid, t]));
  const tenantTables = new Set<number>();
  for (const t of schema.tables) {
    if (TENANT_TABLE.test(t.name)) tenantTables.add(t.oid);
    for (const c of t.constraints) if (c.kind === 'f' && c.columns.length === 1 && TENANT_COLUMN.test(c.columns[0]!)) tenantTables.add(c.refTable!);
  }
  const { order, nulledEdges, cyclic } = loadOrder(schema.tables);
  for (const t of cyclic) {
    unfilled.push({
      schema: t.schema,
      name: t.name,
      reason: 'its foreign keys form a cycle through NOT NULL columns, so no table of the cycle can be filled first',
    });
  }
  const failed = new Set<number>(cyclic.map((t) => t.oid));
  const keyCache = new Map<string, Keys>();
  let total = 0;
  const zipfCache = new Map<number, Float64Array>();
  const zipf = (n: number): Float64Array => {
    let cdf = zipfCache.get(n);
    if (!cdf) {
      cdf = new Float64Array(n);
      let sum = 0;
      for (let k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, ZIPF_S);
      for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / sum;
      zipfCache.set(n, cdf);
    }
    return cdf;
  };
  const zipfPick = (rand: Rand, n: number): number => {
    const cdf = zipf(n);
    const x = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  await session.query('BEGIN');
  let done = false;
  try {
    for (let ti = 0; ti < order.length; ti++) {
      const table = order[ti]!;
      if (options.signal?.aborted) break;
      const label = `${table.schema}.${table.name}`;
      let plan: TablePlan;
      try {
        plan = planTable(table, {
          schema,
          seed,
          window,
          rows: tableRows(table, options, scale, tenantTables.has(table.oid) ? tenants : undefined),
          nulledEdges,
          failed,
          byOid,
        });
        await resolveKeys(plan, session, keyCache, byOid, failed);
      } catch (err) {
        if (!(err instanceof Unfillable)) throw err;
        failed.add(table.oid);
        unfilled.push({ schema: table.schema, name: table.name, reason: err.message });
        continue;
      }
      const sp = `pgperf_data_${ti}`;
      await session.query(`SAVEPOINT ${sp}`);
      let loaded = 0;
      try {
        loaded = await loadTable(session, plan, {
          method,
          seed,
          tenants,
          zipfPick,
          signal: options.signal,
          onBatch: (n) => {
            options.onProgress?.({ table: label, tableIndex: ti + 1, tables: order.length, tableRows: n, tablePlanned: plan.rows, rows: total + n });
          },
        });
        await session.query(`RELEASE SAVEPOINT ${sp}`);
      } catch (err) {
        if (!(err instanceof DatabaseError) || err.kind !== 'sql') throw err;
        await session.query(`ROLLBACK TO SAVEPOINT ${sp}`);
        failed.add(table.oid);
        unfilled.push({ schema: table.schema, name: table.name, reason: failureReason(err, plan) });
        continue;
      }
      if (options.signal?.aborted) break;
      total += loaded;
      filled.push({ schema: table.schema, name: table.name, rows: loaded, ...(plan.note ? { note: plan.note } : {}) });
    }
    if (options.signal?.aborted) {
      await session.query('ROLLBACK');
      done = true;
      return { filled: [], unfilled, rows: 0, seconds: (performance.now() - started) / 1000, cancelled: true, method, seed };
    }
    for (const f of filled) await session.query(`ANALYZE ${qualified(f)}`);
    await session.query('COMMIT');
    done = true;
    // What autovacuum would have done to a table at rest (PGlite has none): the visibility map set, so that an
    // index-only scan reads no heap page, as on a server. Outside the transaction, which VACUUM cannot run in;
    // a cancel now stops it and keeps the rows.
    for (const f of filled) {
      if (options.signal?.aborted) break;
      await session.query(`VACUUM ${qualified(f)}`);
    }
  } finally {
    if (!done) await session.query('ROLLBACK').catch(() => undefined);
  }
  return { filled, unfilled, rows: total, seconds: (performance.now() - started) / 1000, cancelled: false, method, seed };
}

function failureReason(err: DatabaseError, plan: TablePlan): string {
  const first = err.message.split('\n')[0]!;
  const m = /violates check constraint "((?:[^"]|"")+)"/.exec(first);
  if (m) {
    const c = plan.table.constraints.find((k) => k.name === m[1]);
    return `${first}: pgperf meets only CHECKs that are ranges, IN lists or lengths${c ? `, not ${c.definition}` : ''}`;
  }
  if (/violates check constraint/.test(first) || /domain/.test(first)) {
    return `${first}${plan.unparsedChecks.length ? `: pgperf meets only CHECKs that are ranges, IN lists or lengths, not ${plan.unparsedChecks.join('; ')}` : ''}`;
  }
  return first;
}

function tableRows(t: Table, options: DataOptions, scale: number, tenants: number | undefined): number {
  const own = options.rows?.[`${t.schema}.${t.name}`] ?? options.rows?.[t.name];
  if (own !== undefined) return Math.max(0, Math.floor(own));
  let n = tenants ?? (t.partitioned ? scale * 2 : scale);
  if (t.columns.some((c) => /^(vector|halfvec)\(/.test(c.typeText))) n = Math.min(n, options.vectorRows ?? 5_000);
  return n;
}

/** The span timestamps are spread over: the range partitions' bounds on time columns, else the year before the anchor. */
function timeWindow(schema: Schema, anchor: Date): Window {
  let start = Infinity;
  let end = -Infinity;
  for (const t of schema.tables) {
    for (const leaf of t.leaves) {
      for (const { level, bound } of leaf.bounds) {
        if (level.strategy !== 'r' || level.columns?.length !== 1) continue;
        const col = t.columns.find((c) => c.name === level.columns![0]);
        if (!col || !/^(timestamp|date)/.test(col.typeText)) continue;
        const r = rangeBound(bound);
        if (!r) continue;
        const lo = r.lo ? parseTimestamp(r.lo) : NaN;
        const hi = r.hi ? parseTimestamp(r.hi) : NaN;
        if (Number.isFinite(lo)) start = Math.min(start, lo);
        if (Number.isFinite(hi)) end = Math.max(end, hi);
      }
    }
  }
  if (Number.isFinite(start) && Number.isFinite(end) && start < end) return { start, end };
  if (Number.isFinite(start)) return { start, end: start + 365 * DAY };
  if (Number.isFinite(end)) return { start: end - 365 * DAY, end };
  return { start: anchor.getTime() - 365 * DAY, end: anchor.getTime() };
}

/** `FOR VALUES FROM ('a', …) TO ('b', …)`: the first key's bounds (undefined for MINVALUE / MAXVALUE), and all of them. */
function rangeBound(bound: string): { lo?: string; hi?: string; los: (string | undefined)[] } | undefined {
  const m = /^FOR VALUES FROM \((.*)\) TO \((.*)\)$/s.exec(bound);
  if (!m) return undefined;
  const los = literals(m[1]!);
  const his = literals(m[2]!);
  return { ...(los[0] !== undefined ? { lo: los[0] } : {}), ...(his[0] !== undefined ? { hi: his[0] } : {}), los };
}

/** A bound's comma-separated values: quoted literals unquoted, numbers as they are, MINVALUE/MAXVALUE/NULL undefined. */
function literals(list: string): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  const re = /\s*(?:'((?:[^']|'')*)'|([^,']+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < list.length && (m = re.exec(list))) {
    if (m[1] !== undefined) out.push(m[1].replace(/''/g, "'"));
    else {
      const v = m[2]!.trim();
      out.push(/^(MINVALUE|MAXVALUE|NULL)$/i.test(v) ? undefined : v);
    }
  }
  return out;
}

/**
 * Parents first. A cycle is broken at a foreign key whose columns are all nullable (filled with NULL); a cycle
 * with none is reported. A table referencing itself is no cycle (it references its own earlier rows).
 */
function loadOrder(tables: Table[]): { order: Table[]; nulledEdges: Set<Constraint>; cyclic: Table[] } {
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const edges = new Map<number, { c: Constraint; parent: number }[]>();
  for (const t of tables) {
    edges.set(
      t.oid,
      t.constraints.filter((c) => c.kind === 'f' && c.refTable !== t.oid && byOid.has(c.refTable!)).map((c) => ({ c, parent: c.refTable! })),
    );
  }
  const nulledEdges = new Set<Constraint>();
  const order: Table[] = [];
  const placed = new Set<number>();
  const remaining = new Set(tables.map((t) => t.oid));
  const ready = (oid: number) => edges.get(oid)!.every((e) => nulledEdges.has(e.c) || placed.has(e.parent));
  for (;;) {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const oid of [...remaining]) {
        if (ready(oid)) {
          order.push(byOid.get(oid)!);
          placed.add(oid);
          remaining.delete(oid);
          progressed = true;
        }
      }
    }
    if (remaining.size === 0) break;
    // Break one edge inside what is left: a foreign key whose columns may all be NULL.
    let broke = false;
    for (const oid of remaining) {
      const t = byOid.get(oid)!;
      const e = edges
        .get(oid)!
        .find((x) => !nulledEdges.has(x.c) && remaining.has(x.parent) && x.c.columns.every((n) => !t.columns.find((c) => c.name === n)?.notNull));
      if (e) {
        nulledEdges.add(e.c);
        broke = true;
        break;
      }
    }
    if (!broke) break;
  }
  return { order, nulledEdges, cyclic: [...remaining].map((oid) => byOid.get(oid)!) };
}

interface PlanContext {
  schema: Schema;
  seed: number;
  window: Window;
  rows: number;
  nulledEdges: Set<Constraint>;
  failed: Set<number>;
  byOid: Map<number, Table>;
}

function hashString(s: string, seed: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function planTable(table: Table, ctx: PlanContext): TablePlan {
  const label = `${table.schema}.${table.name}`;
  const tableSeed = hashString(label, ctx.seed);
  // Identity, serial and generated columns are the database's; so is a column with a default whose type pgperf has no values for.
  const loadCols = table.columns.filter(
    (c) =>
      !c.identity &&
      !c.generated &&
      !/\bnextval\(/i.test(c.defaultExpr ?? '') &&
      !(c.defaultExpr !== undefined && resolveType(c.typeOid, c.typmod, ctx.schema.types).base.kind === 'unsupported'),
  );
  const idx = new Map(loadCols.map((c, i) => [c.name, i]));
  // CHECK bounds per column, and what of the CHECKs is no simple bound.
  const bounds = new Map<string, Bounds>();
  const unparsedChecks: string[] = [];
  for (const k of table.constraints.filter((c) => c.kind === 'c')) {
    const p = parseCheck(k.definition);
    for (const [col, b] of p.bounds) bounds.set(col, mergeBounds(bounds.get(col) ?? {}, b));
    if (p.unparsed.length) unparsedChecks.push(k.definition);
  }
  const partitionCols = new Set<string>();
  for (const leaf of table.leaves) for (const b of leaf.bounds) for (const c of b.level.columns ?? []) partitionCols.add(c);

  const cols: ColPlan[] = loadCols.map((column, i) => {
    const rt = resolveType(column.typeOid, column.typmod, ctx.schema.types);
    let b = bounds.get(column.name) ?? {};
    for (const dc of rt.checks) {
      const p = parseCheck(dc);
      const vb = p.bounds.get('VALUE');
      if (vb) b = mergeBounds(b, vb);
      if (p.unparsed.length) unparsedChecks.push(`domain ${column.typeText}: ${dc}`);
    }
    const nullable = !column.notNull && !rt.notNull && !b.notNull;
    let gen: Generator;
    try {
      gen = generatorFor({ column, type: rt.base, bounds: b, nullable, window: ctx.window, seed: (tableSeed + Math.imul(i + 1, 0x85ebca6b)) >>> 0 });
    } catch (err) {
      if (!nullable || rt.base.kind !== 'unsupported') throw new Unfillable((err as Error).message);
      gen = { next: () => null, capacity: 0 };
    }
    return {
      column,
      type: rt.base,
      gen,
      injective: false,
      tenant: TENANT_COLUMN.test(column.name),
      after: (b.after ?? []).map((n) => idx.get(n)).filter((x): x is number => x !== undefined),
      partitionKey: partitionCols.has(column.name),
    };
  });
  // Foreign keys, the widest first: a column in two keys takes its value from the wider one.
  const fks: FkPlan[] = [];
  const fkCons = table.constraints.filter((c) => c.kind === 'f').sort((a, b) => b.columns.length - a.columns.length);
  for (const c of fkCons) {
    const at = c.columns.map((n) => idx.get(n));
    if (at.some((x) => x === undefined)) continue; // a key over a column the database fills itself
    if (at.some((x) => cols[x!]!.fk)) continue; // covered by a wider key over the same columns
    const nullable = at.every((x) => !cols[x!]!.column.notNull);
    const plan: FkPlan = {
      constraint: c,
      at: at as number[],
      self: c.refTable === table.oid,
      nullOnly: ctx.nulledEdges.has(c),
      nullable,
      tenant: at.some((x) => cols[x!]!.tenant),
    };
    if (!plan.self && !plan.nullOnly && (ctx.failed.has(c.refTable!) || !ctx.byOid.has(c.refTable!))) {
      if (ctx.failed.has(c.refTable!)) {
        if (!nullable) throw new Unfillable(`its foreign key ${c.name} references ${tableLabel(ctx.byOid.get(c.refTable!))}, which could not be filled`);
        plan.nullOnly = true;
      }
    }
    for (const x of plan.at) cols[x]!.fk = plan;
    fks.push(plan);
  }

  // Unique keys: one column of each made injective, or (a key over foreign keys and finite columns only) a tuple.
  let rows = ctx.rows;
  let note: string | undefined;
  let tuple: number[] | undefined;
  const uniques: string[][] = [
    ...table.constraints.filter((c) => c.kind === 'p' || c.kind === 'u').map((c) => c.columns),
    ...table.uniqueIndexes.map((u) =>
      u.expression ? table.columns.filter((c) => new RegExp(`\\b${escapeRe(c.name)}\\b`).test(u.expression!)).map((c) => c.name) : u.columns,
    ),
  ];
  for (const key of uniques) {
    if (key.length === 0) continue;
    if (key.some((n) => !idx.has(n))) continue; // an identity, serial or generated column: unique already
    const kc = key.map((n) => cols[idx.get(n)!]!);
    if (kc.some((c) => c.injective)) continue;
    const candidates = kc
      .filter((c) => !c.fk && !c.partitionKey && c.gen.at && !c.gen.finite && c.gen.capacity > 0)
      .sort((a, b) => Number(a.tenant) - Number(b.tenant) || b.gen.capacity - a.gen.capacity);
    const best = candidates[0];
    if (best && best.gen.capacity >= rows) {
      best.injective = true;
      continue;
    }
    if (tuple) {
      note = `unique key (${key.join(', ')}) is left to chance: a second key over few values`;
      continue;
    }
    // Radix per unit: a foreign key (its parent's keys, known once the parent loaded) or a finite column.
    const units: { fk?: FkPlan; col?: ColPlan }[] = [];
    for (const c of kc) {
      if (c.fk) {
        if (!units.some((u) => u.fk === c.fk)) units.push({ fk: c.fk });
      } else if (c.gen.finite) units.push({ col: c });
      else if (c.gen.at) units.push({ col: c });
      else throw new Unfillable(`its unique key (${key.join(', ')}) has column ${c.column.name}, whose values pgperf cannot keep distinct`);
    }
    tuple = [];
    units.forEach((u, d) => {
      if (u.fk) {
        u.fk.tupleDigit = d;
        tuple!.push(-1); // the parent's key count, filled in resolveKeys
      } else {
        u.col!.tupleDigit = d;
        tuple!.push(u.col!.gen.finite ? u.col!.gen.finite.length : Math.min(u.col!.gen.capacity, Number.MAX_SAFE_INTEGER));
      }
    });
  }

  // Self references: an earlier row's key, when this table makes the referenced key itself.
  for (const fk of fks) {
    if (!fk.self) continue;
    const ref = fk.constraint.refColumns!.map((n) => idx.get(n));
    if (ref.every((x) => x !== undefined && cols[x]!.injective && !cols[x]!.fk)) continue;
    if (fk.nullable) fk.nullOnly = true;
    else throw new Unfillable(`its foreign key ${fk.constraint.name} references its own table through NOT NULL columns whose values the database makes`);
  }

  const leaves = table.leaves.map((leaf) => ({ cols: leafConstraints(leaf, idx, cols, ctx.window) }));
  if (table.partitioned && leaves.length === 0) throw new Unfillable('it is partitioned and has no partitions');

  // Generation order: a column after those it must be later than.
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (i: number, depth: number): void => {
    if (seen.has(i) || depth > cols.length) return;
    seen.add(i);
    for (const a of cols[i]!.after) visit(a, depth + 1);
    order.push(i);
  };
  cols.forEach((_, i) => visit(i, 0));

  if (tuple && tuple.every((r) => r >= 0)) {
    const cap = tuple.reduce((a, b) => a * b, 1);
    if (cap < rows) {
      note = `${cap} rows: its unique key has only that many combinations`;
      rows = cap;
    }
  }
  return { table, label, rows, cols, fks, ...(tuple ? { tuple } : {}), leaves, order, ...(note ? { note } : {}), unparsedChecks };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tableLabel(t: Table | undefined): string {
  return t ? `${t.schema}.${t.name}` : 'a table';
}

/** Per load column, the values a leaf partition takes (each level's bound on the way down). */
function leafConstraints(leaf: Leaf, idx: Map<string, number>, cols: ColPlan[], window: Window): Map<number, (rand: Rand) => string> {
  const out = new Map<number, (rand: Rand) => string>();
  for (const { level, bound } of leaf.bounds) {
    if (!level.columns) continue;
    if (level.strategy === 'l') {
      const m = /^FOR VALUES IN \((.*)\)$/s.exec(bound);
      const values = m ? literals(m[1]!).filter((v): v is string => v !== undefined) : [];
      const i = idx.get(level.columns[0]!);
      if (i !== undefined && values.length) out.set(i, (rand) => values[Math.floor(rand() * values.length)]!);
    } else if (level.strategy === 'r') {
      const r = rangeBound(bound);
      if (!r) continue;
      if (level.columns.length > 1) {
        // The lower bound tuple itself lies in the partition (FROM is inclusive).
        level.columns.forEach((c, k) => {
          const i = idx.get(c);
          const v = r.los[k];
          if (i !== undefined && v !== undefined) out.set(i, () => v);
        });
        continue;
      }
      const i = idx.get(level.columns[0]!);
      if (i === undefined) continue;
      const type = cols[i]!.type;
      if (type.kind === 'timestamp' || type.kind === 'date') {
        const lo = r.lo !== undefined ? parseTimestamp(r.lo) : Math.min(window.start, (r.hi !== undefined ? parseTimestamp(r.hi) : window.end) - 365 * DAY);
        const hi = r.hi !== undefined ? parseTimestamp(r.hi) : Math.max(window.end, lo + 365 * DAY);
        const unit = type.kind === 'date' ? DAY : 1;
        out.set(i, (rand) => formatTimestamp(lo + Math.floor((rand() * (hi - lo)) / unit) * unit, type));
      } else if (type.kind === 'int' || type.kind === 'numeric') {
        const lo = r.lo !== undefined ? Number(r.lo) : Number(r.hi) - 1_000_000;
        const hi = r.hi !== undefined ? Number(r.hi) : lo + 1_000_000;
        out.set(i, (rand) => String(Math.min(hi - 1, lo + Math.floor(rand() * (hi - lo)))));
      } else if (r.lo !== undefined) {
        const lo = r.lo;
        out.set(i, () => lo);
      }
    }
  }
  return out;
}

async function parentKeys(session: Session, cache: Map<string, Keys>, parent: Table, cols: string[]): Promise<Keys> {
  const key = `${parent.oid}:${cols.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const list = cols.map((c, i) => `${quoteIdent(c)}::text AS k${i}`).join(', ');
  const notNull = cols.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const r = await session.query(`SELECT ${list} FROM ${qualified(parent)} WHERE ${notNull} ORDER BY ${cols.map((_, i) => i + 1).join(', ')} LIMIT 1000000`);
  const keys = r.rows.map((row) => cols.map((_, i) => String(row[`k${i}`])));
  cache.set(key, keys);
  return keys;
}

async function resolveKeys(plan: TablePlan, session: Session, cache: Map<string, Keys>, byOid: Map<number, Table>, failed: Set<number>): Promise<void> {
  for (const fk of plan.fks) {
    if (fk.self || fk.nullOnly) continue;
    const parent = byOid.get(fk.constraint.refTable!);
    if (!parent) continue;
    fk.keys = await parentKeys(session, cache, parent, fk.constraint.refColumns!);
    if (fk.keys.length === 0) {
      if (!fk.nullable) {
        throw new Unfillable(
          `its foreign key ${fk.constraint.name} references ${parent.schema}.${parent.name}, which has no rows${failed.has(parent.oid) ? ' (it could not be filled)' : ''}`,
        );
      }
      fk.nullOnly = true;
    }
    if (fk.tupleDigit !== undefined && plan.tuple) plan.tuple[fk.tupleDigit] = fk.keys.length;
  }
  if (plan.tuple) {
    const cap = plan.tuple.reduce((a, b) => a * Math.max(0, b), 1);
    if (cap < plan.rows) {
      plan.note = `${cap} rows: its unique key has only that many combinations`;
      plan.rows = cap;
    }
  }
}

interface LoadContext {
  method: 'copy' | 'insert';
  seed: number;
  tenants: number;
  zipfPick: (rand: Rand, n: number) => number;
  signal: AbortSignal | undefined;
  onBatch: (rows: number) => void;
}

/** A tenant column's value for tenant k: the same in every table, so that tables join per tenant. */
function tenantValue(type: BaseType, k: number, seed: number): string | undefined {
  if (type.kind === 'text') {
    const v = `tenant_${String(k + 1).padStart(4, '0')}`;
    return type.maxLen === undefined || v.length <= type.maxLen ? v : String(k + 1).slice(-type.maxLen);
  }
  if (type.kind === 'int') return String(k + 1);
  if (type.kind === 'uuid') return uuidAt((seed ^ 0x7e4a17) >>> 0, k);
  return undefined;
}

async function loadTable(session: Session, plan: TablePlan, ctx: LoadContext): Promise<number> {
  const { cols, rows } = plan;
  const rand = mulberry32(hashString(plan.label, ctx.seed ^ 0x5bd1e995));
  const target = qualified(plan.table);
  const colList = cols.map((c) => quoteIdent(c.column.name)).join(', ');
  const offset = plan.table.existingRows;
  const values: (string | null)[] = new Array(cols.length);
  const digits: number[] = plan.tuple ? new Array(plan.tuple.length).fill(0) : [];
  let batch: (string | null)[][] = [];
  let batchBytes = 0;
  let loaded = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    if (ctx.method === 'copy' && session.copyFrom) {
      let text = '';
      for (const row of batch) text += row.map(copyText).join('\t') + '\n';
      await session.copyFrom(`COPY ${target} (${colList}) FROM '/dev/blob'`, text);
    } else {
      const tuples = batch.map((row) => `(${row.map((v) => (v === null ? 'NULL' : quoteLiteral(v))).join(', ')})`);
      await session.query(`INSERT INTO ${target} (${colList}) VALUES ${tuples.join(', ')}`);
    }
    loaded += batch.length;
    batch = [];
    batchBytes = 0;
    ctx.onBatch(loaded);
  };
  for (let i = 0; i < rows; i++) {
    if (plan.tuple) {
      let rest = i;
      for (let d = 0; d < plan.tuple.length; d++) {
        digits[d] = rest % plan.tuple[d]!;
        rest = Math.floor(rest / plan.tuple[d]!);
      }
    }
    const leaf = plan.leaves.length ? plan.leaves[Math.floor(rand() * plan.leaves.length)]! : undefined;
    // Foreign keys: one parent row per key, its columns copied together.
    for (const fk of plan.fks) {
      if (fk.nullOnly || (fk.nullable && fk.tupleDigit === undefined && rand() < 0.1)) {
        for (const x of fk.at) values[x] = null;
        continue;
      }
      if (fk.self) {
        const j = i === 0 ? 0 : Math.floor(rand() * i);
        fk.constraint.refColumns!.forEach((n, k) => {
          const ref = cols.findIndex((c) => c.column.name === n);
          values[fk.at[k]!] = cols[ref]!.gen.at!(j + offset);
        });
        continue;
      }
      const keys = fk.keys!;
      const p = fk.tupleDigit !== undefined ? digits[fk.tupleDigit]! : fk.tenant ? ctx.zipfPick(rand, keys.length) : Math.floor(rand() * keys.length);
      const key = keys[p]!;
      for (let k = 0; k < fk.at.length; k++) values[fk.at[k]!] = key[k]!;
    }
    for (const ci of plan.order) {
      const c = cols[ci]!;
      if (c.fk) continue;
      const fromLeaf = leaf?.cols.get(ci);
      if (fromLeaf) values[ci] = fromLeaf(rand);
      else if (c.tupleDigit !== undefined) values[ci] = c.gen.finite ? c.gen.finite[digits[c.tupleDigit]!]! : c.gen.at!(digits[c.tupleDigit]!);
      else if (c.injective) values[ci] = (c.tenant ? tenantValue(c.type, i + offset, ctx.seed) : undefined) ?? c.gen.at!(i + offset);
      else if (c.tenant && (c.column.notNull || rand() >= 0.1) && tenantValue(c.type, 0, ctx.seed) !== undefined) {
        values[ci] = tenantValue(c.type, ctx.zipfPick(rand, ctx.tenants), ctx.seed)!;
      } else if (c.after.length) {
        values[ci] = later(
          c,
          c.after.map((a) => values[a] ?? null),
          rand,
        );
      } else values[ci] = c.gen.next(rand, i);
    }
    const row = values.slice();
    batch.push(row);
    for (const v of row) batchBytes += v === null ? 2 : v.length + 1;
    if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) {
      if (ctx.signal?.aborted) return loaded;
      await flush();
    }
  }
  if (ctx.signal?.aborted) return loaded;
  await flush();
  return loaded;
}

/** A value greater than every one of `earlier` (CHECK (ends_at > starts_at)), drawn a little above the largest. */
function later(c: ColPlan, earlier: (string | null)[], rand: Rand): string | null {
  const present = earlier.filter((v): v is string => v !== null);
  if (present.length === 0) return c.gen.next(rand, 0);
  if (c.type.kind === 'timestamp' || c.type.kind === 'date') {
    const base = Math.max(...present.map(parseTimestamp));
    return formatTimestamp(base + (c.type.kind === 'date' ? DAY : 1000) * (1 + Math.floor(rand() * 30)), c.type);
  }
  if (c.type.kind === 'int' || c.type.kind === 'numeric' || c.type.kind === 'float') {
    const base = Math.max(...present.map(Number));
    const v = base + 1 + Math.floor(rand() * 100);
    return c.type.kind === 'numeric' ? v.toFixed(c.type.scale) : String(v);
  }
  return c.gen.next(rand, 0);
}

/**
 * The schema as the database itself holds it after the workspace DDL loaded (pg_catalog, not the DDL text): the
 * tables to fill, their columns and types (domains, enums, arrays resolved), constraints, unique indexes and
 * partitions. What failed to load or was altered later is thereby what the generator sees.
 */
import { quoteIdent } from '../connection/quote';
import type { Session } from '../connection/types';

export interface TypeInfo {
  oid: number;
  name: string;
  schema: string;
  /** b base, d domain, e enum, c composite, r range, m multirange, p pseudo. */
  kind: string;
  category: string;
  elem: number;
  base: number;
  baseTypmod: number;
  /** Domain NOT NULL. */
  notNull: boolean;
  labels: string[];
  /** Domain CHECKs, as pg_get_constraintdef prints them (`CHECK ((VALUE > 0))`). */
  checks: string[];
}

export interface Column {
  name: string;
  num: number;
  typeOid: number;
  typmod: number;
  /** format_type(), what a report shows: `character varying(40)`, `vector(768)`. */
  typeText: string;
  notNull: boolean;
  identity: boolean;
  generated: boolean;
  defaultExpr: string | undefined;
}

export interface Constraint {
  name: string;
  kind: 'p' | 'u' | 'f' | 'c';
  columns: string[];
  /** Foreign keys: the referenced table and its columns, in the same order as `columns`. */
  refTable?: number;
  refColumns?: string[];
  definition: string;
}

export interface PartitionLevel {
  /** The partitioned table (the root or an inner one). */
  table: number;
  strategy: 'r' | 'l' | 'h';
  /** Key columns; absent when the key holds an expression. */
  columns: string[] | undefined;
}

export interface Leaf {
  oid: number;
  name: string;
  /** From the root down: each level's bound of the partition on the way to this leaf. */
  bounds: { level: PartitionLevel; bound: string }[];
}

export interface Table {
  oid: number;
  schema: string;
  name: string;
  partitioned: boolean;
  columns: Column[];
  constraints: Constraint[];
  /** Unique indexes not backing a constraint: plain column lists, or `expression` with its definition. */
  uniqueIndexes: { columns: string[]; expression?: string }[];
  leaves: Leaf[];
  /** Rows already in the table (reltuples is not trusted: PGlite has no autovacuum). */
  existingRows: number;
}

export interface Schema {
  tables: Table[];
  types: Map<number, TypeInfo>;
}

const num = (v: unknown): number => Number(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v as number | boolean));

/** Every ordinary and partitioned table outside the system schemas and not owned by an extension. */
export async function readSchema(session: Session): Promise<Schema> {
  const tablesR = await session.query(`
    select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind as kind
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and not c.relispartition
      and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'
      and not exists (select 1 from pg_catalog.pg_depend d
                      where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objid = c.oid and d.deptype = 'e')
    order by n.nspname, c.relname`);
  const tables = new Map<number, Table>();
  for (const r of tablesR.rows) {
    tables.set(num(r.oid), {
      oid: num(r.oid),
      schema: str(r.schema),
      name: str(r.name),
      partitioned: r.kind === 'p',
      columns: [],
      constraints: [],
      uniqueIndexes: [],
      leaves: [],
      existingRows: 0,
    });
  }
  const types = await readTypes(session);
  if (tables.size === 0) return { tables: [], types };
  const oids = [...tables.keys()].join(',');

  const colsR = await session.query(`
    select a.attrelid::int8 as rel, a.attnum::int4 as num, a.attname as name, a.atttypid::int8 as typ, a.atttypmod as typmod,
           pg_catalog.format_type(a.atttypid, a.atttypmod) as type_text, a.attnotnull as not_null,
           a.attidentity <> '' as identity, a.attgenerated <> '' as generated,
           pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expr
    from pg_catalog.pg_attribute a
    left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid in (${oids}) and a.attnum > 0 and not a.attisdropped
    order by a.attrelid, a.attnum`);
  const colName = new Map<string, string>();
  for (const r of colsR.rows) {
    const t = tables.get(num(r.rel))!;
    colName.set(`${t.oid}:${num(r.num)}`, str(r.name));
    t.columns.push({
      name: str(r.name),
      num: num(r.num),
      typeOid: num(r.typ),
      typmod: num(r.typmod),
      typeText: str(r.type_text),
      notNull: r.not_null === true,
      identity: r.identity === true,
      generated: r.generated === true,
      defaultExpr: r.default_expr === null ? undefined : str(r.default_expr),
    });
  }
  // Referenced tables' column names too (a foreign key may reference a table outside the ones filled).
  const refColsR = await session.query(`
    select a.attrelid::int8 as rel, a.attnum::int4 as num, a.attname as name
    from pg_catalog.pg_constraint k join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = any (k.confkey)
    where k.contype = 'f' and k.conrelid in (${oids})`);
  for (const r of refColsR.rows) colName.set(`${num(r.rel)}:${num(r.num)}`, str(r.name));

  const consR = await session.query(`
    select k.conrelid::int8 as rel, k.conname as name, k.contype as kind,
           pg_catalog.array_to_string(k.conkey, ',') as cols, k.confrelid::int8 as ref,
           pg_catalog.array_to_string(k.confkey, ',') as ref_cols, pg_catalog.pg_get_constraintdef(k.oid) as def
    from pg_catalog.pg_constraint k
    where k.conrelid in (${oids}) and k.contype in ('p', 'u', 'f', 'c') and k.conparentid = 0
    order by k.conrelid, k.contype, k.conname`);
  const names = (rel: number, list: unknown): string[] =>
    str(list)
      .split(',')
      .filter((x) => x !== '')
      .map((n) => colName.get(`${rel}:${n}`) ?? `#${n}`);
  for (const r of consR.rows) {
    const rel = num(r.rel);
    const c: Constraint = { name: str(r.name), kind: str(r.kind) as Constraint['kind'], columns: names(rel, r.cols), definition: str(r.def) };
    if (c.kind === 'f') {
      c.refTable = num(r.ref);
      c.refColumns = names(c.refTable, r.ref_cols);
    }
    tables.get(rel)!.constraints.push(c);
  }

  const idxR = await session.query(`
    select i.indrelid::int8 as rel, pg_catalog.array_to_string(i.indkey::int2[], ',') as cols, i.indexprs is not null as has_expr,
           pg_catalog.pg_get_indexdef(i.indexrelid) as def
    from pg_catalog.pg_index i
    where i.indisunique and i.indrelid in (${oids})
      and not exists (select 1 from pg_catalog.pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u'))`);
  for (const r of idxR.rows) {
    const rel = num(r.rel);
    const cols = names(rel, r.cols).filter((c) => c !== '#0');
    tables.get(rel)!.uniqueIndexes.push(r.has_expr === true ? { columns: cols, expression: str(r.def) } : { columns: cols });
  }

  await readPartitions(session, tables);

  for (const t of tables.values()) {
    const r = await session.query(`select count(*)::int8 as n from ${qualified(t)}`);
    t.existingRows = num(r.rows[0]?.n);
  }
  return { tables: [...tables.values()], types };
}

async function readTypes(session: Session): Promise<Map<number, TypeInfo>> {
  const r = await session.query(`
    select t.oid::int8 as oid, t.typname as name, n.nspname as schema, t.typtype as kind, t.typcategory as category,
           t.typelem::int8 as elem, t.typbasetype::int8 as base, t.typtypmod as base_typmod, t.typnotnull as not_null
    from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
    where t.typtype in ('b', 'd', 'e')`);
  const types = new Map<number, TypeInfo>();
  for (const row of r.rows) {
    types.set(num(row.oid), {
      oid: num(row.oid),
      name: str(row.name),
      schema: str(row.schema),
      kind: str(row.kind),
      category: str(row.category),
      elem: num(row.elem),
      base: num(row.base),
      baseTypmod: num(row.base_typmod),
      notNull: row.not_null === true,
      labels: [],
      checks: [],
    });
  }
  const labels = await session.query('select enumtypid::int8 as typ, enumlabel as label from pg_catalog.pg_enum order by enumtypid, enumsortorder');
  for (const row of labels.rows) types.get(num(row.typ))?.labels.push(str(row.label));
  const checks = await session.query(
    "select contypid::int8 as typ, pg_catalog.pg_get_constraintdef(oid) as def from pg_catalog.pg_constraint where contypid <> 0 and contype = 'c'",
  );
  for (const row of checks.rows) types.get(num(row.typ))?.checks.push(str(row.def));
  return types;
}

async function readPartitions(session: Session, tables: Map<number, Table>): Promise<void> {
  const roots = [...tables.values()].filter((t) => t.partitioned);
  if (roots.length === 0) return;
  const keysR = await session.query(`
    select p.partrelid::int8 as rel, p.partstrat as strategy, p.partnatts::int4 as natts,
           (select pg_catalog.string_agg(a.attname, ',' order by k.ord)
              from unnest(p.partattrs::int2[]) with ordinality k(attnum, ord)
              join pg_catalog.pg_attribute a on a.attrelid = p.partrelid and a.attnum = k.attnum) as cols
    from pg_catalog.pg_partitioned_table p`);
  const levels = new Map<number, PartitionLevel>();
  for (const r of keysR.rows) {
    const cols = str(r.cols)
      .split(',')
      .filter((c) => c !== '');
    levels.set(num(r.rel), {
      table: num(r.rel),
      strategy: str(r.strategy) as PartitionLevel['strategy'],
      columns: cols.length === num(r.natts) ? cols : undefined,
    });
  }
  const partsR = await session.query(`
    select c.oid::int8 as oid, c.relname as name, i.inhparent::int8 as parent, c.relkind as kind,
           pg_catalog.pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_catalog.pg_class c join pg_catalog.pg_inherits i on i.inhrelid = c.oid
    where c.relispartition
    order by c.relname`);
  const children = new Map<number, { oid: number; name: string; kind: string; bound: string }[]>();
  for (const r of partsR.rows) {
    const list = children.get(num(r.parent)) ?? [];
    list.push({ oid: num(r.oid), name: str(r.name), kind: str(r.kind), bound: str(r.bound) });
    children.set(num(r.parent), list);
  }
  for (const root of roots) {
    const walk = (table: number, path: Leaf['bounds']): void => {
      const level = levels.get(table);
      for (const child of children.get(table) ?? []) {
        const next = level ? [...path, { level, bound: child.bound }] : path;
        if (child.kind === 'p') walk(child.oid, next);
        else root.leaves.push({ oid: child.oid, name: child.name, bounds: next });
      }
    };
    walk(root.oid, []);
  }
}

export function qualified(t: Pick<Table, 'schema' | 'name'>): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

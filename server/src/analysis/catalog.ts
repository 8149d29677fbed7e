/**
 * The workspace schema model: what the DDL of every file says about schemas, tables, columns, partitioning,
 * indexes, constraints, row-level security and policies. Files are read in the order given (sorted paths),
 * statements in file order, so ALTERs apply after the CREATE they follow.
 */
import { as, numberOf, strings, walk, type Node } from './ast';
import { DEFAULT_SEARCH_PATH, type ParsedFile } from './parse';

/**
 * What the catalog reads of a statement: a parsed Statement, or its plain-data stand-in when another thread
 * parsed the file (see server/src/cli/parallel.ts).
 */
export interface CatalogStatement {
  kind: string;
  body: Node;
  searchPath: string[];
  index: number;
  start: number;
  end: number;
  file: { path: string };
}

/** The statement kinds the catalog learns from. */
export const CATALOG_KINDS: ReadonlySet<string> = new Set(['CreateSchemaStmt', 'CreateStmt', 'AlterTableStmt', 'IndexStmt', 'CreatePolicyStmt']);

export interface QName {
  schema: string;
  name: string;
}

export const qkey = (q: QName): string => `${q.schema}.${q.name}`;

export interface Column {
  name: string;
  /** Base type name, lower case, without schema: `int4`, `timestamptz`, `vector`. */
  type: string;
  /** The first type modifier: the dimension of vector(n)/halfvec(n), a varchar length. */
  typmod?: number;
  /** An array of `type` (`text[]`). */
  array?: boolean;
}

export interface IndexColumn {
  /** The column, when the element is a plain column. */
  column?: string;
  /** Columns referenced by an expression element. */
  exprColumns: string[];
  opclass?: string;
  /** The IndexElem node. */
  node: Node;
}

export interface IndexInfo {
  name?: string;
  table: QName;
  method: string;
  columns: IndexColumn[];
  include: string[];
  partial: boolean;
  unique: boolean;
  primary: boolean;
  params: Record<string, number | string>;
  statement: CatalogStatement;
}

export type PartitionStrategy = 'range' | 'list' | 'hash';

export interface PartitionKey {
  strategy: PartitionStrategy;
  /** Key columns; an expression key element is ''. */
  columns: string[];
  /** Where the key was declared: a file path, or '.pgperf.json' for configured tables. */
  declaredIn: string;
}

export interface UniqueKey {
  columns: string[];
  primary: boolean;
  statement: CatalogStatement;
  /** The Constraint or IndexStmt node. */
  node: Node;
}

export interface Policy {
  name: string;
  statement: CatalogStatement;
}

export interface TableInfo extends QName {
  columns: Map<string, Column>;
  partition?: PartitionKey;
  /** The parent's key when this table is a partition. */
  partitionOf?: string;
  rls: boolean;
  forceRls?: boolean;
  policies: Policy[];
  indexes: IndexInfo[];
  uniques: UniqueKey[];
  /** The CREATE TABLE, when a workspace file declares the table. */
  created?: CatalogStatement;
}

export interface CatalogOptions {
  /** Partitioned tables declared outside the workspace: `schema.table` or `table` → key. */
  partitionedTables?: Record<string, { strategy: PartitionStrategy; columns: string[] }>;
}

export class Catalog {
  readonly tables = new Map<string, TableInfo>();
  readonly schemas = new Set<string>(['public']);
  readonly indexes: IndexInfo[] = [];

  /** The table a possibly unqualified name denotes from a statement (honouring its search_path). */
  resolve(schema: string | undefined, name: string, from?: { searchPath: string[] }): TableInfo | undefined {
    if (schema) return this.tables.get(`${schema}.${name}`);
    for (const s of from?.searchPath ?? DEFAULT_SEARCH_PATH) {
      const t = this.tables.get(`${s}.${name}`);
      if (t) return t;
    }
    return undefined;
  }

  /** The table a RangeVar node names. */
  resolveRangeVar(rv: Node, from?: { searchPath: string[] }): TableInfo | undefined {
    return this.resolve(rv.schemaname, rv.relname, from);
  }
}


/** The statements of parsed files the catalog learns from, in file order. */
export function* catalogStatements(files: readonly ParsedFile[]): Generator<CatalogStatement> {
  for (const file of files) for (const st of file.statements) if (st.hasAst && CATALOG_KINDS.has(st.kind)) yield st;
}

/** Builds the catalog from every file's DDL. */
export function buildCatalog(files: readonly ParsedFile[], options: CatalogOptions = {}): Catalog {
  return buildCatalogFrom(catalogStatements(files), options);
}

/** Builds the catalog from DDL statements given in workspace order (sorted files, statements in file order). */
export function buildCatalogFrom(statements: Iterable<CatalogStatement>, options: CatalogOptions = {}): Catalog {
  const cat = new Catalog();
  for (const st of statements) apply(cat, st);
  for (const [name, key] of Object.entries(options.partitionedTables ?? {})) {
    const dot = name.indexOf('.');
    const q: QName = dot >= 0 ? { schema: name.slice(0, dot), name: name.slice(dot + 1) } : { schema: 'public', name };
    const t = ensureTable(cat, q);
    t.partition ??= { strategy: key.strategy, columns: key.columns, declaredIn: '.pgperf.json' };
  }
  return cat;
}

function nameOf(rv: Node, st: CatalogStatement): QName {
  return { schema: rv.schemaname ?? (st.searchPath[0] ?? 'public'), name: rv.relname };
}

function ensureTable(cat: Catalog, q: QName): TableInfo {
  const k = qkey(q);
  let t = cat.tables.get(k);
  if (!t) {
    t = { ...q, columns: new Map(), rls: false, policies: [], indexes: [], uniques: [] };
    cat.tables.set(k, t);
  }
  return t;
}

/** The existing table a RangeVar names, or a placeholder in the first schema of the search path. */
function tableFor(cat: Catalog, rv: Node, st: CatalogStatement): TableInfo {
  return cat.resolveRangeVar(rv, st) ?? ensureTable(cat, nameOf(rv, st));
}

export function columnOf(def: Node): Column {
  const names = strings(def.typeName?.names);
  const typmods = def.typeName?.typmods as Node[] | undefined;
  const mod = typmods && typmods.length > 0 ? numberOf(typmods[0]) : undefined;
  const array = ((def.typeName?.arrayBounds as unknown[] | undefined)?.length ?? 0) > 0;
  return { name: def.colname, type: (names[names.length - 1] ?? '').toLowerCase(), typmod: mod, ...(array ? { array } : {}) };
}

const STRATEGY: Record<string, PartitionStrategy> = {
  PARTITION_STRATEGY_RANGE: 'range',
  PARTITION_STRATEGY_LIST: 'list',
  PARTITION_STRATEGY_HASH: 'hash',
};

function apply(cat: Catalog, st: CatalogStatement): void {
  const b = st.body;
  switch (st.kind) {
    case 'CreateSchemaStmt':
      if (b.schemaname) cat.schemas.add(b.schemaname);
      return;
    case 'CreateStmt':
      return createTable(cat, st, b);
    case 'AlterTableStmt':
      return alterTable(cat, st, b);
    case 'IndexStmt': {
      const table = tableFor(cat, b.relation, st);
      const idx = indexOf(b, table, st);
      table.indexes.push(idx);
      cat.indexes.push(idx);
      if (idx.unique || idx.primary) table.uniques.push({ columns: idx.columns.map((c) => c.column ?? ''), primary: idx.primary, statement: st, node: b });
      return;
    }
    case 'CreatePolicyStmt':
      tableFor(cat, b.table, st).policies.push({ name: b.policy_name, statement: st });
      return;
  }
}

function createTable(cat: Catalog, st: CatalogStatement, b: Node): void {
  const q = nameOf(b.relation, st);
  const t = ensureTable(cat, q);
  t.created ??= st;
  cat.schemas.add(q.schema);
  for (const like of b.tableElts ?? []) {
    const l = as(like, 'TableLikeClause');
    if (l) {
      const src = cat.resolveRangeVar(l.relation, st);
      if (src) for (const [k, c] of src.columns) t.columns.set(k, c);
    }
  }
  const parent = (b.inhRelations ?? [])[0];
  const parentRv = parent ? as(parent, 'RangeVar') : undefined;
  if (b.partbound && parentRv) {
    const p = tableFor(cat, parentRv, st);
    t.partitionOf = qkey(p);
    for (const [k, c] of p.columns) if (!t.columns.has(k)) t.columns.set(k, c);
  }
  for (const el of b.tableElts ?? []) {
    const def = as(el, 'ColumnDef');
    if (def) {
      t.columns.set(def.colname, columnOf(def));
      for (const c of def.constraints ?? []) addConstraint(t, as(c, 'Constraint'), st, [def.colname]);
      continue;
    }
    addConstraint(t, as(el, 'Constraint'), st);
  }
  if (b.partspec) {
    const ps = b.partspec as Node;
    t.partition = {
      strategy: STRATEGY[ps.strategy] ?? 'range',
      columns: (ps.partParams ?? []).map((p: Node) => (as(p, 'PartitionElem')?.name as string | undefined) ?? ''),
      declaredIn: st.file.path,
    };
  }
}

function addConstraint(t: TableInfo, c: Node | undefined, st: CatalogStatement, implied?: string[]): void {
  if (!c) return;
  if (c.contype !== 'CONSTR_PRIMARY' && c.contype !== 'CONSTR_UNIQUE') return;
  const keys = c.keys ? strings(c.keys) : (implied ?? []);
  t.uniques.push({ columns: keys, primary: c.contype === 'CONSTR_PRIMARY', statement: st, node: c });
}

function alterTable(cat: Catalog, st: CatalogStatement, b: Node): void {
  if (b.objtype && b.objtype !== 'OBJECT_TABLE') return;
  const t = tableFor(cat, b.relation, st);
  for (const raw of b.cmds ?? []) {
    const cmd = as(raw, 'AlterTableCmd');
    if (!cmd) continue;
    switch (cmd.subtype) {
      case 'AT_EnableRowSecurity':
        t.rls = true;
        break;
      case 'AT_ForceRowSecurity':
        // FORCE alone leaves RLS off; it only makes the policies bind the table owner too.
        t.forceRls = true;
        break;
      case 'AT_NoForceRowSecurity':
        t.forceRls = false;
        break;
      case 'AT_DisableRowSecurity':
        t.rls = false;
        break;
      case 'AT_AddColumn': {
        const def = as(cmd.def, 'ColumnDef');
        if (def) {
          t.columns.set(def.colname, columnOf(def));
          for (const c of def.constraints ?? []) addConstraint(t, as(c, 'Constraint'), st, [def.colname]);
        }
        break;
      }
      case 'AT_DropColumn':
        if (cmd.name) t.columns.delete(cmd.name);
        break;
      case 'AT_AddConstraint':
        addConstraint(t, as(cmd.def, 'Constraint'), st);
        break;
      case 'AT_AttachPartition': {
        const pc = as(cmd.def, 'PartitionCmd');
        const child = pc?.name ? tableFor(cat, pc.name, st) : undefined;
        if (child) {
          child.partitionOf = qkey(t);
          for (const [k, c] of t.columns) if (!child.columns.has(k)) child.columns.set(k, c);
        }
        break;
      }
    }
  }
}

function indexOf(b: Node, table: TableInfo, st: CatalogStatement): IndexInfo {
  const params: Record<string, number | string> = {};
  for (const o of b.options ?? []) {
    const d = as(o, 'DefElem');
    if (!d) continue;
    const n = numberOf(d.arg);
    params[d.defname] = n ?? (as(d.arg, 'String')?.sval as string | undefined) ?? '';
  }
  const columns: IndexColumn[] = (b.indexParams ?? []).map((p: Node) => {
    const e = as(p, 'IndexElem') ?? {};
    const exprColumns: string[] = [];
    if (e.expr) {
      walk(e.expr, (type, n) => {
        if (type === 'ColumnRef') {
          const f = strings(n.fields);
          if (f.length) exprColumns.push(f[f.length - 1]);
        }
      });
    }
    const opclass = strings(e.opclass);
    return { column: e.name, exprColumns, opclass: opclass[opclass.length - 1], node: e };
  });
  return {
    name: b.idxname,
    table: { schema: table.schema, name: table.name },
    method: (b.accessMethod ?? 'btree').toLowerCase(),
    columns,
    include: (b.indexIncludingParams ?? []).map((p: Node) => as(p, 'IndexElem')?.name ?? ''),
    partial: !!b.whereClause,
    unique: !!b.unique,
    primary: !!b.primary,
    params,
    statement: st,
  };
}

/**
 * The workspace schema model, built as a migration history: what the DDL of every file says about schemas,
 * tables, views, columns, partitioning, indexes, constraints, row-level security and policies. Files are applied
 * in migration order (see migration-order.ts: version prefixes of the file or its folder, compared as numbers;
 * other files in path order), statements in file order, and each schema change (CREATE / DROP / RENAME / SET
 * SCHEMA of relations, columns and indexes, CREATE TABLE AS, SELECT INTO, views, ATTACH / DETACH PARTITION) is
 * recorded where it happens.
 *
 * What a statement sees (`resolve(schema, name, from)` / `resolveRangeVar(rv, from)` with `from` the Statement):
 * - A statement of a file that changes the schema (a migration, a schema file) sees the definition in effect at
 *   that statement: the one made by the last CREATE (or RENAME / SET SCHEMA to the name) before it, never one made
 *   after a DROP that follows it; a CREATE TABLE reads its own definition. A relation dropped by then is unknown;
 *   one not created yet (the file sorts before the migration that creates it, so its order is unknown) is taken
 *   from the final schema. Within one definition's life the changes are not dated: ALTERs, indexes, RLS and
 *   policies made to it later are seen too (the rules ask what the table will be — whether RLS covers it, which
 *   tenant column it gets — and a column seen early only makes a rule know more, never invent a table).
 * - Down / undo scripts (`*.down.sql`, `down.sql`, `*.undo.sql`, Flyway `U…`) are not part of the forward
 *   history: each is judged against the schema as it stands after the up migration of its version, and its own
 *   changes are seen by its own later statements only. The same holds for the down section of a goose or dbmate
 *   file (after `-- +goose Down` / `-- migrate:down`, up to a later Up line): its changes are seen by the later
 *   statements of that section only.
 * - Any other statement (query files, or `from` without a file) sees the final schema, `tables`.
 * - A relation created twice with no DROP in between (the second time without IF NOT EXISTS, and with other
 *   columns or another partition key) is ambiguous: resolving it gives undefined (rules that need it stay quiet),
 *   except from the CREATE statement itself. `tables` keeps it, marked `ambiguous`.
 * - `columns.size === 0` means the columns are not known (a view or CREATE TABLE AS whose output types cannot be
 *   read from the query, a table only ever altered).
 */
import { as, numberOf, quoteIdent, strings, walk, type Node } from './ast';
import { compareMigrationPaths, downSections, isDownMigration } from './migration-order';
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
  /** `text`: the file's text, where the down sections of goose / dbmate files are read (migration-order.ts); `host`: a host file's down() strings. */
  file: { path: string; text?: string; host?: { downSections(): [number, number][] } };
}

/** The statement kinds the catalog learns from (and SELECT … INTO, see changesCatalog). */
const CATALOG_KINDS: ReadonlySet<string> = new Set([
  'CreateSchemaStmt',
  'CreateStmt',
  'CreateTableAsStmt',
  'ViewStmt',
  'AlterTableStmt',
  'IndexStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'DropStmt',
  'RenameStmt',
  'AlterObjectSchemaStmt',
  // Session defaults (lock_timeout) the workspace gives its roles and databases.
  'AlterRoleSetStmt',
  'AlterDatabaseSetStmt',
  'AlterSystemStmt',
]);

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
  /**
   * The element type as a cast writes it, without typmod or array bounds: its schema when declared with one,
   * quoted where the declaration quoted it (`app.mood`, `"Status"`); built-in types by their catalog name
   * (`int4`, `bpchar`); a serial type as the integer type it declares (`int4`). Undefined for `%TYPE`.
   */
  typeName?: string;
  /**
   * Known NOT NULL: a NOT NULL, PRIMARY KEY or identity column, a serial, a column of a PRIMARY KEY constraint, or
   * SET NOT NULL; DROP NOT NULL clears it. Never set on a view's or CREATE TABLE AS column.
   */
  notNull?: boolean;
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
  /** The CREATE POLICY, or the ALTER POLICY of a policy the workspace never created (its other fields unknown). */
  statement: CatalogStatement;
  /** ALTER POLICY statements applied to it since, in order (each may replace the roles, USING and WITH CHECK). */
  alters?: CatalogStatement[];
}

export type RelationKind = 'table' | 'view' | 'matview';

export interface TableInfo extends QName {
  columns: Map<string, Column>;
  /** What the relation is; undefined for a table. */
  kind?: RelationKind;
  partition?: PartitionKey;
  /** The parent's key when this table is a partition. */
  partitionOf?: string;
  /**
   * The tables of INHERITS (…), in order, with the column names they had at the CREATE (undefined: the parent is
   * not in the workspace). The child's columns start with these; a parent's later ALTER is not followed here.
   */
  inherits?: (QName & { columns?: string[] })[];
  rls: boolean;
  forceRls?: boolean;
  policies: Policy[];
  indexes: IndexInfo[];
  uniques: UniqueKey[];
  /** The CREATE statement, when a workspace file declares the relation. */
  created?: CatalogStatement;
  /** Created twice with no DROP in between, differently: which definition holds is unknown. */
  ambiguous?: boolean;
  /**
   * The ALTER TABLE and RENAME COLUMN statements applied to this definition, in the order the history applies them:
   * the definition is changed in place, so a rule that needs a fact as it stood at a statement (a column's type,
   * a CHECK constraint, NOT NULL before a SET NOT NULL) replays those that come before it (Catalog.before).
   */
  alters?: CatalogStatement[];
}

export interface CatalogOptions {
  /** Partitioned tables declared outside the workspace: `schema.table` or `table` → key. */
  partitionedTables?: Record<string, { strategy: PartitionStrategy; columns: string[] }>;
}

/** Where a statement is asked from: a Statement (search path, file, index) or just a search path. */
export interface From {
  searchPath: string[];
  file?: { path: string };
  index?: number;
  /** The statement's offset in its file: whether it lies in a down section (goose, dbmate). */
  start?: number;
}

/** One change of a relation in the history: its new state (undefined: dropped) from position `pos` on. */
interface Version {
  pos: number;
  table: TableInfo | undefined;
  /** Set for a down script's changes: visible to that file's own statements only. */
  onlyFile?: string;
  /** For a down section's changes: visible to statements starting in that section's span of the file only. */
  onlySpan?: readonly [number, number];
}

/** Statements per file in a position number: file rank × STRIDE + statement index. */
const STRIDE = 2 ** 21;

const stmtKey = (path: string, index: number) => `${index}\u0000${path}`;

type Lookup = TableInfo | 'ambiguous' | undefined;

export class Catalog {
  /** The schema as it ends: every relation after the last (forward) migration. */
  readonly tables = new Map<string, TableInfo>();
  readonly schemas = new Set<string>(['public']);
  /** The indexes of the final schema. */
  readonly indexes: IndexInfo[] = [];
  /** @internal Rank of each file that changes the schema, in migration order. */
  readonly fileRank = new Map<string, number>();
  /** @internal Each relation's versions by position. */
  readonly history = new Map<string, Version[]>();
  /** @internal The relation a CREATE statement defines, by statement. */
  readonly own = new Map<string, TableInfo>();
  /**
   * Settings that ALTER ROLE / ALTER DATABASE … SET or ALTER SYSTEM SET give new sessions somewhere in the workspace
   * (lower-case name → the last SET's VariableSetStmt; a RESET removes it): the locking rules read lock_timeout.
   */
  readonly sessionDefaults = new Map<string, Node>();
  /** @internal The indexes each DROP INDEX statement removed, by statement. */
  readonly dropped = new Map<string, IndexInfo[]>();

  /** The indexes a DROP INDEX statement removes, as the history has them at that statement (none when unknown). */
  droppedBy(st: { file: { path: string }; index: number }): readonly IndexInfo[] {
    return this.dropped.get(stmtKey(st.file.path, st.index)) ?? [];
  }

  /** The table a possibly unqualified name denotes from a statement (honouring its search_path and position). */
  resolve(schema: string | undefined, name: string, from?: From): TableInfo | undefined {
    if (schema) {
      const t = this.lookup(`${schema}.${name}`, from);
      return t === 'ambiguous' ? undefined : t;
    }
    for (const s of from?.searchPath ?? DEFAULT_SEARCH_PATH) {
      const t = this.lookup(`${s}.${name}`, from);
      if (t === 'ambiguous') return undefined;
      if (t) return t;
    }
    return undefined;
  }

  /** The table a RangeVar node names. */
  resolveRangeVar(rv: Node, from?: From): TableInfo | undefined {
    return this.resolve(rv.schemaname, rv.relname, from);
  }

  /** True when the file changes the schema, i.e. its statements are judged at their place in the history. */
  inHistory(path: string): boolean {
    return this.fileRank.has(path);
  }

  /** True when statement `a` comes before statement `b` in migration order (both in files of the history). */
  before(a: { file: { path: string }; index: number }, b: { file: { path: string }; index: number }): boolean {
    const ra = this.fileRank.get(a.file.path);
    const rb = this.fileRank.get(b.file.path);
    if (ra === undefined || rb === undefined) return false;
    return ra * STRIDE + a.index < rb * STRIDE + b.index;
  }

  private lookup(key: string, from: From | undefined): Lookup {
    const path = from?.file?.path;
    if (path !== undefined && from!.index !== undefined) {
      const own = this.own.get(stmtKey(path, from!.index));
      if (own && `${own.schema}.${own.name}` === key) return own;
      const rank = this.fileRank.get(path);
      const versions = rank === undefined ? undefined : this.history.get(key);
      if (versions) {
        const v = versionAt(versions, rank! * STRIDE + from!.index, path, from!.start);
        // A relation not created yet at that point (known only from ALTERs so far) is taken from the final schema.
        if (v && (!v.table || v.table.created)) return v.table?.ambiguous ? 'ambiguous' : v.table;
      }
    }
    const t = this.tables.get(key);
    return t?.ambiguous ? 'ambiguous' : t;
  }
}

function sectionAt(sections: readonly [number, number][], offset: number): readonly [number, number] | undefined {
  for (const s of sections) if (offset >= s[0] && offset < s[1]) return s;
  return undefined;
}

/** The last version at or before `pos` that the file may see. */
function versionAt(versions: Version[], pos: number, path: string, start: number | undefined): Version | undefined {
  let lo = 0;
  let hi = versions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (versions[mid].pos <= pos) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0; i--) {
    const v = versions[i];
    if (v.onlyFile === undefined) return v;
    if (v.onlyFile === path && (!v.onlySpan || (start !== undefined && start >= v.onlySpan[0] && start < v.onlySpan[1]))) return v;
  }
  return undefined;
}

/** Whether a statement can change the catalog (a SELECT only with INTO; its tree is not built otherwise). */
export function changesCatalog(st: { kind: string; treeMayInclude?(fragment: string): boolean; body: Node }): boolean {
  if (st.kind === 'SelectStmt') return (st.treeMayInclude?.('"intoClause"') ?? true) && !!st.body.intoClause;
  return CATALOG_KINDS.has(st.kind);
}

/** The statements of parsed files the catalog learns from, in file order. */
function* catalogStatements(files: readonly ParsedFile[]): Generator<CatalogStatement> {
  for (const file of files) for (const st of file.statements) if (st.hasAst && changesCatalog(st)) yield st;
}

/** Builds the catalog from every file's DDL. */
export function buildCatalog(files: readonly ParsedFile[], options: CatalogOptions = {}): Catalog {
  return buildCatalogFrom(catalogStatements(files), options);
}

/**
 * Builds the catalog from DDL statements (statements of one file in file order); files are applied in migration
 * order whatever order they come in.
 */
export function buildCatalogFrom(statements: Iterable<CatalogStatement>, options: CatalogOptions = {}): Catalog {
  const byFile = new Map<string, CatalogStatement[]>();
  for (const st of statements) {
    const list = byFile.get(st.file.path);
    if (list) list.push(st);
    else byFile.set(st.file.path, [st]);
  }
  const paths = [...byFile.keys()].sort(compareMigrationPaths);
  const b = new Builder(new Catalog());
  for (const [name, key] of Object.entries(options.partitionedTables ?? {})) {
    const dot = name.indexOf('.');
    const q: QName = dot >= 0 ? { schema: name.slice(0, dot), name: name.slice(dot + 1) } : { schema: 'public', name };
    b.pos = -1;
    b.edit(b.ensure(q)).partition ??= { strategy: key.strategy, columns: key.columns, declaredIn: '.pgperf.json' };
  }
  paths.forEach((path, rank) => {
    b.cat.fileRank.set(path, rank);
    const list = byFile.get(path)!;
    if (isDownMigration(path)) {
      const saved = b.fork(path);
      for (const st of list) {
        b.pos = rank * STRIDE + st.index;
        apply(b, st);
      }
      b.join(saved);
      return;
    }
    const file = list[0].file;
    const sections = file.host ? file.host.downSections() : file.text === undefined ? [] : downSections(file.text);
    let saved: ReturnType<Builder['fork']> | undefined;
    let section: readonly [number, number] | undefined;
    for (const st of list) {
      const at = sectionAt(sections, st.start);
      if (saved && at !== section) {
        b.join(saved);
        saved = undefined;
      }
      // A down section runs like a down script, its changes seen within that section only.
      if (at && !saved) saved = b.fork(path, (section = at));
      b.pos = rank * STRIDE + st.index;
      apply(b, st);
    }
    if (saved) b.join(saved);
  });
  const cat = b.cat;
  for (const [k, t] of b.state) {
    cat.tables.set(k, t);
    // Loops, not push(...): a spread of a table's indexes or uniques overflows the stack past ~120,000 of them.
    for (const ix of t.indexes) cat.indexes.push(ix);
  }
  return cat;
}

/** The catalog being built: the current state, and each change recorded in the history. */
class Builder {
  state = new Map<string, TableInfo>();
  /** `schema.index` → the key of its table. */
  indexOwner = new Map<string, string>();
  pos = 0;
  onlyFile: string | undefined;
  onlySpan: readonly [number, number] | undefined;
  /** Relations a down script has copied (or created): changed in place from then on. */
  private fresh = new Set<TableInfo>();

  constructor(readonly cat: Catalog) {}

  /** The current relation a name denotes from a statement. */
  find(schema: string | undefined, name: string, st: { searchPath: string[] }): TableInfo | undefined {
    if (schema) return this.state.get(`${schema}.${name}`);
    for (const s of st.searchPath) {
      const t = this.state.get(`${s}.${name}`);
      if (t) return t;
    }
    return undefined;
  }

  /**
   * The relation to change. A definition is changed in place (every statement that sees it sees it as it ends);
   * in a down script it is copied first, so that its changes stay its own.
   */
  edit(t: TableInfo): TableInfo {
    if (this.onlyFile === undefined || this.fresh.has(t)) return t;
    const copy: TableInfo = {
      ...t,
      columns: new Map(t.columns),
      policies: [...t.policies],
      indexes: [...t.indexes],
      uniques: [...t.uniques],
      ...(t.alters ? { alters: [...t.alters] } : {}),
    };
    this.put(copy);
    return copy;
  }

  /** Records `t` as the relation of its name from now on. */
  put(t: TableInfo): void {
    this.fresh.add(t);
    const k = qkey(t);
    this.state.set(k, t);
    this.record(k, t);
  }

  drop(k: string): void {
    const t = this.state.get(k);
    if (!t) return;
    this.state.delete(k);
    this.record(k, undefined);
    for (const i of t.indexes) if (i.name) this.indexOwner.delete(`${t.schema}.${i.name}`);
  }

  /** A placeholder for a relation known only from ALTERs, indexes or policies (created outside the workspace). */
  ensure(q: QName): TableInfo {
    const t = this.state.get(qkey(q));
    if (t) return t;
    const placeholder: TableInfo = { schema: q.schema, name: q.name, columns: new Map(), rls: false, policies: [], indexes: [], uniques: [] };
    this.put(placeholder);
    return placeholder;
  }

  private record(k: string, table: TableInfo | undefined): void {
    const versions = this.cat.history.get(k);
    const v: Version = {
      pos: this.pos,
      table,
      ...(this.onlyFile !== undefined ? { onlyFile: this.onlyFile } : {}),
      ...(this.onlySpan !== undefined ? { onlySpan: this.onlySpan } : {}),
    };
    const last = versions?.[versions.length - 1];
    if (!versions) this.cat.history.set(k, [v]);
    else if (last!.pos === this.pos && last!.onlyFile === v.onlyFile && last!.onlySpan === v.onlySpan) versions[versions.length - 1] = v;
    else versions.push(v);
  }

  /**
   * Starts a down script or section: its changes go to a copy of the state and are visible to that file only
   * (to the statements in `span`, for a down section of a file that holds both directions).
   */
  fork(path: string, span?: readonly [number, number]): { state: Map<string, TableInfo>; indexOwner: Map<string, string> } {
    const saved = { state: this.state, indexOwner: this.indexOwner };
    this.state = new Map(this.state);
    this.indexOwner = new Map(this.indexOwner);
    this.onlyFile = path;
    this.onlySpan = span;
    this.fresh.clear();
    return saved;
  }

  join(saved: { state: Map<string, TableInfo>; indexOwner: Map<string, string> }): void {
    this.state = saved.state;
    this.indexOwner = saved.indexOwner;
    this.onlyFile = undefined;
    this.onlySpan = undefined;
  }
}

function nameOf(rv: Node, st: CatalogStatement): QName {
  return { schema: rv.schemaname ?? st.searchPath[0] ?? 'public', name: rv.relname };
}

/** The existing relation a RangeVar names, or a placeholder in the first schema of the search path. */
function tableFor(b: Builder, rv: Node, st: CatalogStatement): TableInfo {
  return b.find(rv.schemaname, rv.relname, st) ?? b.ensure(nameOf(rv, st));
}

function columnOf(def: Node): Column {
  const names = strings(def.typeName?.names);
  const typmods = def.typeName?.typmods as Node[] | undefined;
  const mod = typmods && typmods.length > 0 ? numberOf(typmods[0]) : undefined;
  const array = ((def.typeName?.arrayBounds as unknown[] | undefined)?.length ?? 0) > 0;
  const typeName = castName(names, def.typeName?.pct_type);
  const kinds = ((def.constraints ?? []) as Node[]).map((c) => as(c, 'Constraint')?.contype);
  const notNull = kinds.some((k) => k === 'CONSTR_NOTNULL' || k === 'CONSTR_PRIMARY' || k === 'CONSTR_IDENTITY') || (names.length === 1 && !!SERIAL[names[0]]);
  return {
    name: def.colname,
    type: (names[names.length - 1] ?? '').toLowerCase(),
    typmod: mod,
    ...(array ? { array } : {}),
    ...(typeName ? { typeName } : {}),
    ...(notNull ? { notNull } : {}),
  };
}

/** serial types are not types: the column gets the integer type. */
const SERIAL: Record<string, string> = { smallserial: 'int2', serial2: 'int2', serial: 'int4', serial4: 'int4', bigserial: 'int8', serial8: 'int8' };

/**
 * Names the grammar reads as type syntax when bare (`int` is pg_catalog.int4): a type declared with one of
 * them quoted is another type, and keeps its quotes.
 */
const TYPE_KEYWORDS = new Set(
  (
    'bigint bit boolean char character dec decimal double float int integer interval json national nchar numeric ' +
    'real setof smallint time timestamp varchar varying'
  ).split(' '),
);
/** Built-ins whose bare name carries a typmod of its own: `bit` is bit(1), `char` bpchar(1); `"bit"` has none. */
const TYPMOD_KEYWORDS = new Set(['bit', 'char', 'character', 'nchar']);

/** A TypeName's names as SQL that denotes the same type (the parser has already mapped `int` to pg_catalog.int4). */
function castName(names: string[], pctType: unknown): string | undefined {
  if (names.length === 0 || pctType) return undefined;
  if (names.length === 1 && SERIAL[names[0]]) return SERIAL[names[0]];
  // pg_catalog.x is the parser's spelling of a built-in; written bare it is the same type (bpchar, int4, numeric).
  if (names.length === 2 && names[0] === 'pg_catalog') return TYPMOD_KEYWORDS.has(names[1]) ? `"${names[1]}"` : quoteIdent(names[1]);
  return names.map((p) => (TYPE_KEYWORDS.has(p) ? `"${p}"` : quoteIdent(p))).join('.');
}

const STRATEGY: Record<string, PartitionStrategy> = {
  PARTITION_STRATEGY_RANGE: 'range',
  PARTITION_STRATEGY_LIST: 'list',
  PARTITION_STRATEGY_HASH: 'hash',
};

function apply(b: Builder, st: CatalogStatement): void {
  const n = st.body;
  switch (st.kind) {
    case 'CreateSchemaStmt':
      if (n.schemaname) b.cat.schemas.add(n.schemaname);
      return;
    case 'CreateStmt':
      return define(b, st, n.relation, n.if_not_exists, () => tableOf(b, st, n));
    case 'CreateTableAsStmt': {
      const kind: RelationKind = n.objtype === 'OBJECT_MATVIEW' ? 'matview' : 'table';
      return define(b, st, n.into?.rel, n.if_not_exists, () => queryRelation(b, st, n.into.rel, n.query, n.into.colNames, kind));
    }
    case 'SelectStmt':
      if (n.intoClause?.rel)
        define(b, st, n.intoClause.rel, false, () =>
          queryRelation(b, st, n.intoClause.rel, { SelectStmt: { ...n, intoClause: undefined } }, n.intoClause.colNames, 'table'),
        );
      return;
    case 'ViewStmt': {
      // CREATE OR REPLACE VIEW replaces; a plain CREATE VIEW of an existing name fails, like CREATE TABLE.
      if (n.replace) {
        const old = b.find(n.view.schemaname, n.view.relname, st);
        if (old) b.drop(qkey(old));
      }
      return define(b, st, n.view, false, () => queryRelation(b, st, n.view, n.query, n.aliases, 'view'));
    }
    case 'AlterTableStmt':
      return alterTable(b, st, n);
    case 'IndexStmt': {
      const table = b.edit(tableFor(b, n.relation, st));
      const idx = indexOf(n, table, st);
      table.indexes.push(idx);
      if (idx.name) b.indexOwner.set(`${table.schema}.${idx.name}`, qkey(table));
      if (idx.unique || idx.primary) table.uniques.push({ columns: idx.columns.map((c) => c.column ?? ''), primary: idx.primary, statement: st, node: n });
      return;
    }
    case 'CreatePolicyStmt':
      b.edit(tableFor(b, n.table, st)).policies.push({ name: n.policy_name, statement: st });
      return;
    case 'AlterPolicyStmt': {
      const t = b.edit(tableFor(b, n.table, st));
      const i = t.policies.findIndex((p) => p.name === n.policy_name);
      if (i < 0) t.policies.push({ name: n.policy_name, statement: st });
      else t.policies[i] = { ...t.policies[i], alters: [...(t.policies[i].alters ?? []), st] };
      return;
    }
    case 'DropStmt':
      return drop(b, st, n);
    case 'RenameStmt':
      return rename(b, st, n);
    case 'AlterRoleSetStmt':
    case 'AlterDatabaseSetStmt':
    case 'AlterSystemStmt': {
      const set = n.setstmt as Node | undefined;
      const name = typeof set?.name === 'string' ? set.name.toLowerCase() : undefined;
      if (!name) return;
      if (set!.kind === 'VAR_SET_VALUE') b.cat.sessionDefaults.set(name, set!);
      else if (set!.kind === 'VAR_RESET' || set!.kind === 'VAR_SET_DEFAULT') b.cat.sessionDefaults.delete(name);
      return;
    }
    case 'AlterObjectSchemaStmt': {
      if (!RELATION_OBJECTS.has(n.objectType) || !n.relation || !n.newschema) return;
      const t = b.find(n.relation.schemaname, n.relation.relname, st);
      if (t) move(b, t, { schema: n.newschema, name: t.name });
      return;
    }
  }
}

const RELATION_OBJECTS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

/**
 * A CREATE of a relation: recorded unless IF NOT EXISTS finds one (PostgreSQL then skips it); either way the
 * statement itself reads its own definition. A second differing definition with no DROP in between is ambiguous.
 */
function define(b: Builder, st: CatalogStatement, rv: Node | undefined, ifNotExists: boolean | undefined, build: () => TableInfo): void {
  if (!rv?.relname) return;
  const q = nameOf(rv, st);
  b.cat.schemas.add(q.schema);
  const existing = b.state.get(qkey(q));
  const t = build();
  const own = stmtKey(st.file.path, st.index);
  if (existing && !existing.created) {
    // Known so far only from ALTERs, indexes, policies or .pgperf.json: the CREATE completes that entry.
    const e = b.edit(existing);
    e.created = st;
    if (t.kind) e.kind = t.kind;
    for (const [k, c] of t.columns) e.columns.set(k, c);
    for (const u of t.uniques) e.uniques.push(u);
    e.partition = t.partition ?? e.partition;
    e.partitionOf = t.partitionOf ?? e.partitionOf;
    b.cat.own.set(own, e);
    return;
  }
  b.cat.own.set(own, t);
  if (existing && ifNotExists) return;
  if (existing && !sameShape(existing, t)) t.ambiguous = true;
  b.put(t);
}

/** Two definitions that agree on columns (names and types) and partition key: a schema dump beside migrations. */
function sameShape(a: TableInfo, b: TableInfo): boolean {
  if ((a.kind ?? 'table') !== (b.kind ?? 'table') || a.columns.size !== b.columns.size) return false;
  for (const [k, c] of a.columns) {
    const d = b.columns.get(k);
    if (!d || d.type !== c.type || !!d.array !== !!c.array) return false;
  }
  const pa = a.partition;
  const pb = b.partition;
  if (!pa || !pb) return !pa && !pb;
  return pa.strategy === pb.strategy && pa.columns.join('\u0000') === pb.columns.join('\u0000');
}

function emptyRelation(q: QName, st: CatalogStatement, kind?: RelationKind): TableInfo {
  return {
    schema: q.schema,
    name: q.name,
    columns: new Map(),
    rls: false,
    policies: [],
    indexes: [],
    uniques: [],
    created: st,
    ...(kind && kind !== 'table' ? { kind } : {}),
  };
}

/** The relation a CREATE TABLE defines (its LIKE sources and partition parent read from the current state). */
function tableOf(b: Builder, st: CatalogStatement, n: Node): TableInfo {
  const t = emptyRelation(nameOf(n.relation, st), st);
  if (!n.partbound && (n.inhRelations ?? []).length > 0) {
    // INHERITS: the parents' columns first, in order, a name shared by two parents (or redeclared) once.
    t.inherits = [];
    for (const rv of (n.inhRelations as Node[]).map((r) => as(r, 'RangeVar')).filter((r): r is Node => !!r)) {
      const p = b.find(rv.schemaname, rv.relname, st);
      t.inherits.push(p ? { schema: p.schema, name: p.name, columns: [...p.columns.keys()] } : nameOf(rv, st));
      for (const [k, c] of p?.columns ?? []) if (!t.columns.has(k)) t.columns.set(k, c);
    }
  }
  for (const like of n.tableElts ?? []) {
    const l = as(like, 'TableLikeClause');
    if (l) {
      const src = b.find(l.relation.schemaname, l.relation.relname, st);
      if (src) for (const [k, c] of src.columns) t.columns.set(k, c);
    }
  }
  const parent = (n.inhRelations ?? [])[0];
  const parentRv = parent ? as(parent, 'RangeVar') : undefined;
  if (n.partbound && parentRv) {
    const p = tableFor(b, parentRv, st);
    t.partitionOf = qkey(p);
    for (const [k, c] of p.columns) if (!t.columns.has(k)) t.columns.set(k, c);
  }
  for (const el of n.tableElts ?? []) {
    const def = as(el, 'ColumnDef');
    if (def) {
      t.columns.set(def.colname, columnOf(def));
      for (const c of def.constraints ?? []) addConstraint(t, as(c, 'Constraint'), st, [def.colname]);
      continue;
    }
    addConstraint(t, as(el, 'Constraint'), st);
  }
  if (n.partspec) {
    const ps = n.partspec as Node;
    t.partition = {
      strategy: STRATEGY[ps.strategy] ?? 'range',
      columns: (ps.partParams ?? []).map((p: Node) => (as(p, 'PartitionElem')?.name as string | undefined) ?? ''),
      declaredIn: st.file.path,
    };
  }
  return t;
}

/**
 * A relation defined by a query (CREATE TABLE AS, SELECT INTO, materialized view, view), with its columns when
 * every output column's name and type can be read: a column of a known FROM table, a cast, `*` of known tables.
 * Otherwise no columns (unknown).
 */
function queryRelation(b: Builder, st: CatalogStatement, rv: Node, query: Node | undefined, names: Node[] | undefined, kind: RelationKind): TableInfo {
  const t = emptyRelation(nameOf(rv, st), st, kind);
  const columns = queryColumns(b, st, query);
  if (!columns) return t;
  const renamed = names ? strings(names) : [];
  if (renamed.length > columns.length) return t;
  columns.forEach((c, i) => {
    const name = renamed[i] ?? c.name;
    // A query's output column carries no NOT NULL (an outer join, CREATE TABLE AS copies no constraints).
    t.columns.set(name, { ...c, name, notNull: undefined });
  });
  return t.columns.size === columns.length ? t : emptyRelation(nameOf(rv, st), st, kind);
}

function queryColumns(b: Builder, st: CatalogStatement, query: Node | undefined): Column[] | undefined {
  const sel = as(query, 'SelectStmt');
  if (!sel || sel.op !== 'SETOP_NONE' || sel.withClause || !sel.targetList) return undefined;
  const sources: { alias: string; table: TableInfo }[] = [];
  const addFrom = (item: Node): boolean => {
    const rv = as(item, 'RangeVar');
    if (rv) {
      const table = b.find(rv.schemaname, rv.relname, st);
      if (!table || table.columns.size === 0) return false;
      sources.push({ alias: rv.alias?.aliasname ?? rv.relname, table });
      return true;
    }
    const j = as(item, 'JoinExpr');
    return !!j && !j.usingClause && !j.isNatural && addFrom(j.larg) && addFrom(j.rarg);
  };
  for (const item of sel.fromClause ?? []) if (!addFrom(item)) return undefined;
  const out: Column[] = [];
  for (const raw of sel.targetList) {
    const rt = as(raw, 'ResTarget');
    if (!rt) return undefined;
    const ref = as(rt.val, 'ColumnRef');
    const fields: Node[] = ref?.fields ?? [];
    if (ref && as(fields[fields.length - 1], 'A_Star')) {
      const qualifier = fields.length === 2 ? as(fields[0], 'String')?.sval : undefined;
      const from = qualifier ? sources.filter((s) => s.alias === qualifier) : sources;
      if (from.length === 0 || rt.name) return undefined;
      for (const s of from) out.push(...s.table.columns.values());
      continue;
    }
    let column: Column | undefined;
    if (ref) {
      const f = strings(fields);
      if (f.length !== fields.length || f.length > 2) return undefined;
      const col = f[f.length - 1];
      const having = (f.length === 2 ? sources.filter((s) => s.alias === f[0]) : sources).filter((s) => s.table.columns.has(col));
      if (having.length !== 1) return undefined;
      column = having[0].table.columns.get(col);
    } else {
      const cast = as(rt.val, 'TypeCast');
      if (cast?.typeName && rt.name) column = columnOf({ colname: rt.name, typeName: cast.typeName });
    }
    const name = rt.name ?? column?.name;
    if (!column || !name || !column.type) return undefined;
    out.push({ ...column, name });
  }
  return out;
}

function addConstraint(t: TableInfo, c: Node | undefined, st: CatalogStatement, implied?: string[]): void {
  if (!c) return;
  if (c.contype !== 'CONSTR_PRIMARY' && c.contype !== 'CONSTR_UNIQUE') return;
  const keys = c.keys ? strings(c.keys) : (implied ?? []);
  if (c.contype === 'CONSTR_PRIMARY') for (const k of keys) setNotNull(t, k, true);
  t.uniques.push({ columns: keys, primary: c.contype === 'CONSTR_PRIMARY', statement: st, node: c });
}

function setNotNull(t: TableInfo, name: string, notNull: boolean): void {
  const col = t.columns.get(name);
  if (col) t.columns.set(name, { ...col, notNull });
}

function alterTable(b: Builder, st: CatalogStatement, n: Node): void {
  if (n.objtype && n.objtype !== 'OBJECT_TABLE') return;
  const existing = b.find(n.relation.schemaname, n.relation.relname, st);
  if (!existing && n.missing_ok) return; // ALTER TABLE IF EXISTS of a table that is not there does nothing
  const t = b.edit(existing ?? tableFor(b, n.relation, st));
  (t.alters ??= []).push(st);
  for (const raw of n.cmds ?? []) {
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
        if (cmd.name) {
          t.columns.delete(cmd.name);
          // PostgreSQL drops the indexes and constraints that use the column with it.
          t.indexes = t.indexes.filter(
            (i) => !i.columns.some((c) => c.column === cmd.name || c.exprColumns.includes(cmd.name)) && !i.include.includes(cmd.name),
          );
          t.uniques = t.uniques.filter((u) => !u.columns.includes(cmd.name));
        }
        break;
      case 'AT_AddConstraint':
        addConstraint(t, as(cmd.def, 'Constraint'), st);
        break;
      case 'AT_SetNotNull':
      case 'AT_DropNotNull':
        if (cmd.name) setNotNull(t, cmd.name, cmd.subtype === 'AT_SetNotNull');
        break;
      case 'AT_AlterColumnType': {
        const def = as(cmd.def, 'ColumnDef');
        if (cmd.name && def?.typeName && t.columns.has(cmd.name)) t.columns.set(cmd.name, columnOf({ ...def, colname: cmd.name }));
        break;
      }
      case 'AT_AttachPartition': {
        const pc = as(cmd.def, 'PartitionCmd');
        const child = pc?.name ? b.edit(tableFor(b, pc.name, st)) : undefined;
        if (child) {
          child.partitionOf = qkey(t);
          for (const [k, c] of t.columns) if (!child.columns.has(k)) child.columns.set(k, c);
        }
        break;
      }
      case 'AT_DetachPartition': {
        const pc = as(cmd.def, 'PartitionCmd');
        const child = pc?.name ? b.find(pc.name.schemaname, pc.name.relname, st) : undefined;
        if (child?.partitionOf === qkey(t)) b.edit(child).partitionOf = undefined;
        break;
      }
    }
  }
}

/** DROP TABLE / VIEW / MATERIALIZED VIEW (several names, IF EXISTS, CASCADE) and DROP INDEX. */
function drop(b: Builder, st: CatalogStatement, n: Node): void {
  const type = n.removeType;
  for (const obj of n.objects ?? []) {
    const parts = strings(as(obj, 'List')?.items);
    if (parts.length === 0 || parts.length > 3) continue;
    const name = parts[parts.length - 1];
    const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
    if (type === 'OBJECT_INDEX') {
      dropIndex(b, st, schema, name);
      continue;
    }
    if (type === 'OBJECT_POLICY') {
      // DROP POLICY name ON [schema.]table: the list is the table's name parts, then the policy's.
      if (parts.length < 2) continue;
      const t = b.find(parts.length === 3 ? parts[0] : undefined, parts[parts.length - 2], st);
      if (t) b.edit(t).policies = t.policies.filter((p) => p.name !== name);
      continue;
    }
    if (!RELATION_OBJECTS.has(type)) return;
    const t = b.find(schema, name, st);
    if (!t) continue;
    const k = qkey(t);
    b.drop(k);
    // Dropping a partitioned table drops its partitions.
    if (!t.partition) continue;
    const partitions: string[] = [];
    for (const [ck, c] of b.state) if (c.partitionOf === k) partitions.push(ck);
    for (const ck of partitions) b.drop(ck);
  }
}

function dropIndex(b: Builder, st: CatalogStatement, schema: string | undefined, name: string): void {
  const key = schema ? `${schema}.${name}` : st.searchPath.map((s) => `${s}.${name}`).find((k) => b.indexOwner.has(k));
  const owner = key ? b.indexOwner.get(key) : undefined;
  const t = owner ? b.state.get(owner) : undefined;
  if (!key || !t) return;
  b.indexOwner.delete(key);
  const gone = t.indexes.filter((i) => i.name === name);
  const own = stmtKey(st.file.path, st.index);
  b.cat.dropped.set(own, [...(b.cat.dropped.get(own) ?? []), ...gone]);
  const e = b.edit(t);
  e.indexes = e.indexes.filter((i) => i.name !== name);
  e.uniques = e.uniques.filter((u) => !gone.some((i) => i.statement === u.statement));
}

/** ALTER TABLE / VIEW / MATERIALIZED VIEW … RENAME TO, RENAME COLUMN, ALTER INDEX … RENAME TO. */
function rename(b: Builder, st: CatalogStatement, n: Node): void {
  const rv = n.relation;
  if (!rv?.relname || !n.newname) return;
  if (n.renameType === 'OBJECT_INDEX') {
    const key = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : st.searchPath.map((s) => `${s}.${rv.relname}`).find((k) => b.indexOwner.has(k));
    const owner = key ? b.indexOwner.get(key) : undefined;
    const t = owner ? b.state.get(owner) : undefined;
    if (!key || !t) return;
    b.indexOwner.delete(key);
    b.indexOwner.set(`${t.schema}.${n.newname}`, owner!);
    const e = b.edit(t);
    e.indexes = e.indexes.map((i) => (i.name === rv.relname ? { ...i, name: n.newname } : i));
    return;
  }
  const t = b.find(rv.schemaname, rv.relname, st);
  if (!t) return;
  if (n.renameType === 'OBJECT_COLUMN') {
    if (!n.subname || !t.columns.has(n.subname)) return;
    const e = b.edit(t);
    renameColumn(e, n.subname, n.newname);
    (e.alters ??= []).push(st);
    return;
  }
  if (RELATION_OBJECTS.has(n.renameType)) move(b, t, { schema: t.schema, name: n.newname });
}

function renameColumn(t: TableInfo, from: string, to: string): void {
  const sub = (c: string) => (c === from ? to : c);
  t.columns = new Map([...t.columns].map(([k, c]) => (k === from ? [to, { ...c, name: to }] : [k, c])));
  t.uniques = t.uniques.map((u) => (u.columns.includes(from) ? { ...u, columns: u.columns.map(sub) } : u));
  t.indexes = t.indexes.map((i) =>
    i.columns.some((c) => c.column === from || c.exprColumns.includes(from)) || i.include.includes(from)
      ? {
          ...i,
          columns: i.columns.map((c) => ({ ...c, column: c.column === undefined ? undefined : sub(c.column), exprColumns: c.exprColumns.map(sub) })),
          include: i.include.map(sub),
        }
      : i,
  );
  if (t.partition?.columns.includes(from)) t.partition = { ...t.partition, columns: t.partition.columns.map(sub) };
}

/** A relation under a new name or schema: the old name no longer exists; partitions and indexes follow it. */
function move(b: Builder, t: TableInfo, to: QName): void {
  const from = qkey(t);
  const k = qkey(to);
  if (k === from) return;
  const moved: TableInfo = {
    ...t,
    ...to,
    columns: new Map(t.columns),
    policies: [...t.policies],
    uniques: [...t.uniques],
    indexes: t.indexes.map((i) => ({ ...i, table: { ...to } })),
    ...(t.alters ? { alters: [...t.alters] } : {}),
  };
  b.drop(from);
  b.put(moved);
  for (const i of moved.indexes) if (i.name) b.indexOwner.set(`${to.schema}.${i.name}`, k);
  if (t.partition) for (const c of [...b.state.values()]) if (c.partitionOf === from) b.edit(c).partitionOf = k;
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

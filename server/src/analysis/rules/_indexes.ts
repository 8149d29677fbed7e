/**
 * Shared helpers of the rules that check predicates and keys against the workspace's indexes (fk-without-index,
 * non-sargable-predicate, array-any-gin, leading-wildcard-like, missing-index, covering-index): the table as the
 * workspace leaves it and the relations whose indexes serve its scans, the keys those indexes lead with, whether a
 * statement is a one-off migration, whether the other conditions leave one row to test, what a query searches a
 * FROM item by, whether a table is small by its schema, and a fix that adds a statement.
 */
import { as, strings, walk, type Node } from '../ast';
import { qkey, type Catalog, type TableInfo } from '../catalog';
import { migrationKey } from '../migration-order';
import type { Statement } from '../parse';
import type { FromItem, Scope, SemanticModel } from '../semantic';
import type { TextEdit } from '../types';

/**
 * The relation `rv` names at the statement, when it is the one the workspace ends with: the definition is changed
 * in place over its life, so this one carries every index a later migration adds. Undefined when it is unknown,
 * ambiguous, dropped or renamed later, or changed in a down script (whose changes are its own): then which
 * indexes the relation ends with is not known here.
 */
export function finalTable(catalog: Catalog, rv: Node | undefined, st: Statement): TableInfo | undefined {
  if (!rv?.relname) return undefined;
  const t = catalog.resolveRangeVar(rv, st);
  if (!t || t.ambiguous || !t.created) return undefined;
  return catalog.tables.get(qkey(t)) === t ? t : undefined;
}

/**
 * The relations whose indexes and keys serve scans of the table: itself, its partitioned parents (an index on the
 * parent is built on every partition) and, for a partitioned table, its partitions (a scan of the parent reads them).
 */
export function indexFamily(catalog: Catalog, t: TableInfo): TableInfo[] {
  const out = [t];
  for (let key = t.partitionOf, depth = 0; key && depth < 8; depth++) {
    const parent = catalog.tables.get(key);
    if (!parent) break;
    out.push(parent);
    key = parent.partitionOf;
  }
  if (t.partition) {
    const own = qkey(t);
    for (const c of catalog.tables.values()) if (c.partitionOf === own) out.push(c);
  }
  return out;
}

/** An edit that adds `sql` (one statement, without its `;`) right after the statement, before its `;`. */
export function statementAfter(st: Statement, sql: string): TextEdit {
  // The statement's own `;` (or the end of the file) then ends the new one: `…;\nCREATE INDEX …;`.
  return { start: st.end, end: st.end, newText: `;\n${sql}` };
}

/** True when the CREATE TABLE copies another table's definition (LIKE): its indexes may come with it, unseen. */
export function hasLikeClause(created: { body?: Node } | undefined): boolean {
  return ((created?.body?.tableElts ?? []) as Node[]).some((e) => !!as(e, 'TableLikeClause'));
}

/**
 * True when the statement runs once, as part of a migration: its file is versioned (`002_vip.sql`,
 * `V3__x.sql`, `20240101_x/migration.sql`) or its path names migrations (`data-migrations/`, `migrations.go`).
 * An index built for such a statement would read the table to build as much as the statement reads it once.
 */
export function inMigration(st: Statement): boolean {
  // The file name and the two folders above it: the workspace's own location is not the statement's business.
  const near = st.file.path.split(/[/\\]/).slice(-3).join('/');
  return /migrat/i.test(near) || migrationKey(st.file.path).version !== undefined;
}

/**
 * True when the scope's other conditions pin a full PRIMARY KEY / UNIQUE key of the item to values (`id = $1`):
 * at most one row is left to test, so how the rest of the WHERE is written does not change the plan.
 */
export function pinnedToOneRow(model: SemanticModel, scope: Scope, item: FromItem): boolean {
  const t = item.table;
  if (!t) return false;
  const pinned = new Set<string>();
  for (const p of model.predicates(scope)) {
    if (p.kind === 'compare' && p.op === '=' && p.column.item === item && p.reads.items.size === 0 && !p.reads.unresolved) pinned.add(p.column.name);
  }
  if (pinned.size === 0) return false;
  const keys = [
    ...t.uniques.filter((u) => !u.node.whereClause).map((u) => u.columns),
    ...t.indexes.filter((i) => i.unique && !i.partial && i.columns.every((c) => c.column)).map((i) => i.columns.map((c) => c.column!)),
  ];
  return keys.some((k) => k.length > 0 && k.every((c) => c !== '' && pinned.has(c)));
}

/** PostgreSQL's own name for a new index (`<table>_<columns>_idx`), unless too long, not plain, or taken in the schema. */
export function freeIndexName(catalog: Catalog, t: TableInfo, columns: readonly string[], suffix = 'idx'): string | undefined {
  const name = `${t.name}_${columns.join('_')}_${suffix}`;
  if (name.length > 63 || !/^[a-z_][a-z0-9_]*$/.test(name)) return undefined;
  const taken = [...catalog.tables.values()].some((x) => x.schema === t.schema && x.indexes.some((i) => i.name === name));
  return taken ? undefined : name;
}

/** What the workspace says about the keys that can start an index scan of a table (its family's indexes and keys). */
export interface IndexLeads {
  /** Plain columns that lead an index, a PRIMARY KEY / UNIQUE key or an EXCLUDE constraint of the family. */
  columns: Set<string>;
  /** Columns read by an expression that leads an index (`lower(email)`): a condition on them may be its business. */
  expressionColumns: Set<string>;
}

/**
 * The leading keys of every index and constraint that can serve a scan of the table, or undefined when the
 * workspace cannot say which indexes the table ends with: created by LIKE (indexes may be copied) or as a query
 * (CREATE TABLE AS), a temporary table, an inheritance parent or child, a partition whose parent is not declared,
 * or a partitioned table whose partitions are not all declared with known indexes (made by code, pg_partman…).
 */
export function indexLeads(catalog: Catalog, t: TableInfo): IndexLeads | undefined {
  if (t.kind || t.created?.kind !== 'CreateStmt' || t.created.body?.relation?.relpersistence === 't') return undefined;
  if (t.inherits?.length || [...catalog.tables.values()].some((x) => x.inherits?.some((p) => p.schema === t.schema && p.name === t.name))) return undefined;
  if (t.partitionOf && !catalog.tables.get(t.partitionOf)) return undefined;
  const family = indexFamily(catalog, t);
  if (family.some((x) => hasLikeClause(x.created) || x.created?.kind !== 'CreateStmt')) return undefined;
  if (t.partition && !family.some((x) => x.partitionOf === qkey(t))) return undefined;
  const out: IndexLeads = { columns: new Set(), expressionColumns: new Set() };
  for (const x of family) {
    for (const i of x.indexes) {
      const lead = i.columns[0];
      if (!lead) continue;
      if (lead.column !== undefined) out.columns.add(lead.column);
      else for (const c of lead.exprColumns) out.expressionColumns.add(c);
    }
    for (const u of x.uniques) if (u.columns[0]) out.columns.add(u.columns[0]);
    for (const c of exclusionLeads(x)) out.columns.add(c);
  }
  return out;
}

/** The first plain column of each EXCLUDE constraint of the table (its GiST index is searched by it too). */
function exclusionLeads(t: TableInfo): string[] {
  const out: string[] = [];
  const add = (raw: unknown) => {
    const c = as(raw, 'Constraint');
    if (c?.contype !== 'CONSTR_EXCLUSION') return;
    const name = as((as((c.exclusions ?? [])[0], 'List')?.items ?? [])[0], 'IndexElem')?.name as string | undefined;
    if (name !== undefined) out.push(name);
  };
  for (const el of (t.created?.body?.tableElts ?? []) as Node[]) add(el);
  for (const a of t.alters ?? []) {
    if (a.kind !== 'AlterTableStmt') continue;
    for (const raw of a.body.cmds ?? []) {
      const cmd = as(raw, 'AlterTableCmd');
      if (cmd?.subtype === 'AT_AddConstraint') add(cmd.def);
    }
  }
  return out;
}

/** Words a table of a few rows is named with: settings, lookups, enumerations, the migration tool's own bookkeeping. */
const SMALL_NAMES = new Set(
  (
    'setting settings config configs configuration configurations preference preferences option options flag flags ' +
    'feature features role roles permission permissions type types kind kinds status statuses state states country ' +
    'countries currency currencies language languages locale locales timezone timezones plan plans tier tiers enum ' +
    'enums lookup lookups migration migrations version versions'
  ).split(' '),
);

/**
 * True when the table is small by what the schema says of it: named as a settings, lookup or bookkeeping table
 * (the last word of its name: `app_settings`, `order_statuses`, `schema_migrations`), or one row by construction (a
 * boolean or smallint primary key, a CHECK that pins a column to one value). A scan of a few pages costs less
 * than an index lookup, and the planner prefers it anyway.
 */
export function smallTable(t: TableInfo): boolean {
  const words = t.name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_\W]+/)
    .filter(Boolean);
  if (words.length > 0 && SMALL_NAMES.has(words[words.length - 1])) return true;
  const pk = t.uniques.find((u) => u.primary);
  if (pk?.columns.length === 1) {
    const type = t.columns.get(pk.columns[0])?.type;
    if (type === 'bool' || type === 'int2') return true;
  }
  return checksPinOneValue(t);
}

/** A CHECK constraint of the table that allows one value of a column (`CHECK (id = 1)`, `CHECK (singleton)`). */
function checksPinOneValue(t: TableInfo): boolean {
  const checks: Node[] = [];
  const fromConstraint = (raw: unknown) => {
    const c = as(raw, 'Constraint');
    if (c?.contype === 'CONSTR_CHECK' && c.raw_expr) checks.push(c.raw_expr);
  };
  for (const el of (t.created?.body?.tableElts ?? []) as Node[]) {
    const def = as(el, 'ColumnDef');
    if (def) for (const c of def.constraints ?? []) fromConstraint(c);
    else fromConstraint(el);
  }
  return checks.some((e) => {
    if (as(e, 'ColumnRef')) return true;
    const x = as(e, 'A_Expr');
    if (x?.kind !== 'AEXPR_OP' || strings(x.name).join() !== '=') return false;
    return (!!as(x.lexpr, 'ColumnRef') && !!as(x.rexpr, 'A_Const')) || (!!as(x.rexpr, 'ColumnRef') && !!as(x.lexpr, 'A_Const'));
  });
}

/** A column the scope's conditions restrict the item's rows by, with a value fixed for the scan. */
export interface Filter {
  column: string;
  kind: 'equality' | 'range' | 'null';
  /** The value holds a parameter (`$1`, or a value the host code binds): what the application varies per call. */
  param: boolean;
}

/** What one FROM item of a scope is searched by. */
export interface ItemSearch {
  filters: Filter[];
  /** A condition on the item the model does not normalise (an OR, a function of a column, LIKE, @>…), by the columns it reads. */
  otherColumns: Set<string>;
  /**
   * A condition whose plan depends on another query: a column compared with an enclosing query's (a correlated
   * lookup) or `IN (SELECT …)` (a semi-join, or lookups, as the planner chooses).
   */
  dependent: boolean;
}

/** True when the expression reads no column at all (a literal, a parameter, now(), a cast of one). */
function readsNoColumn(e: unknown): boolean {
  let reads = false;
  walk(e, (type) => {
    if (type === 'ColumnRef' || type === 'SubLink' || type === 'SelectStmt') reads = true;
    return reads ? false : undefined;
  });
  return !reads;
}

export function holdsParam(e: unknown): boolean {
  let found = false;
  walk(e, (type) => {
    if (type === 'ParamRef') found = true;
    return found ? false : undefined;
  });
  return found;
}

/** The columns of `item` an expression reads. */
function itemColumns(model: SemanticModel, item: FromItem, e: unknown): Set<string> {
  const out = new Set<string>();
  walk(e, (type, n) => {
    if (type !== 'ColumnRef') return undefined;
    const r = model.resolve(n);
    if (r?.item === item) out.add(r.name);
    return false;
  });
  return out;
}

/**
 * How the scope's WHERE / JOIN ON conjuncts restrict one of its FROM items: the predicates the model normalises
 * to `column op value` (value fixed during the scan), and what is left over.
 */
export function itemSearch(model: SemanticModel, s: Scope, item: FromItem): ItemSearch {
  const out: ItemSearch = { filters: [], otherColumns: new Set(), dependent: false };
  const handled = new Set<Node>();
  for (const p of model.predicates(s)) {
    if (p.kind === 'join') {
      if (p.left.item === item || p.right.item === item) handled.add(p.node!);
      continue;
    }
    if (p.kind === 'or') continue;
    if (p.column.item !== item || p.column.outer) continue;
    if (p.kind === 'in-subquery') {
      out.dependent = true;
      continue;
    }
    if (p.kind === 'is-null') {
      out.filters.push({ column: p.column.name, kind: 'null', param: false });
      handled.add(p.node!);
      continue;
    }
    const value = p.kind === 'between' ? as(p.node, 'A_Expr')?.rexpr : p.kind === 'in-list' ? p.values : p.value;
    if (!readsNoColumn(value)) {
      // `child.parent_id = parent.id` inside EXISTS: which plan the planner picks (semi-join or lookups) decides.
      if (p.reads.items.size === 0 && !p.reads.unresolved) out.dependent = true;
      continue;
    }
    const op = p.kind === 'compare' || p.kind === 'any' ? p.op : '=';
    if (op === '<>' || (p.kind === 'any' && op !== '=')) continue;
    out.filters.push({ column: p.column.name, kind: op === '=' && p.kind !== 'between' ? 'equality' : 'range', param: holdsParam(value) });
    handled.add(p.node!);
  }
  // Every conjunct not turned into a filter above (ORs, wrapped columns, LIKE, operators of other index methods).
  for (const q of s.quals) {
    walkConjuncts(q, (c) => {
      if (handled.has(c)) return;
      for (const col of itemColumns(model, item, c)) out.otherColumns.add(col);
    });
  }
  return out;
}

function walkConjuncts(e: Node, f: (c: Node) => void): void {
  const b = as(e, 'BoolExpr');
  if (b?.boolop === 'AND_EXPR') for (const a of (b.args ?? []) as Node[]) walkConjuncts(a, f);
  else f(e);
}

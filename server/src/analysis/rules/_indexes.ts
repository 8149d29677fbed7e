/**
 * Shared helpers of the rules that check predicates and keys against the workspace's indexes (fk-without-index,
 * non-sargable-predicate, array-any-gin, leading-wildcard-like): the table as the workspace leaves it and the
 * relations whose indexes serve its scans, whether a statement is a one-off migration, whether the other
 * conditions leave one row to test, and a fix that adds a statement.
 */
import { as, type Node } from '../ast';
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

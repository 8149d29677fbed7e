import { as, quoteIdent, strings, type Node } from '../ast';
import type { Catalog, IndexInfo, TableInfo } from '../catalog';
import { sameMigration } from '../migration-order';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { finalTable, hasLikeClause, indexFamily, statementAfter } from './_indexes';
import { displayName, inTransactionBlock, parenListAfter, relationRange } from './_tenancy';

/** A FOREIGN KEY / REFERENCES constraint of a CREATE TABLE or ALTER TABLE, with the table it belongs to. */
interface ForeignKey {
  node: Node;
  /** The referencing columns, in the constraint's order. */
  columns: string[];
  /** The referencing table as the statement names it. */
  relation: Node;
}

function foreignKeys(st: Statement): ForeignKey[] {
  const out: ForeignKey[] = [];
  const b = st.body;
  const add = (raw: unknown, column?: string) => {
    const c = as(raw, 'Constraint');
    // A temporal key (`PERIOD valid_at`) is looked up by range overlap: a GiST matter, not a leading-column one.
    if (c?.contype !== 'CONSTR_FOREIGN' || !c.pktable || c.fk_with_period) return;
    const columns = c.fk_attrs ? strings(c.fk_attrs) : column !== undefined ? [column] : [];
    if (columns.length > 0) out.push({ node: c, columns, relation: b.relation });
  };
  const fromColumn = (def: Node | undefined) => {
    for (const c of def?.constraints ?? []) add(c, def!.colname);
  };
  if (st.kind === 'CreateStmt') {
    for (const el of b.tableElts ?? []) {
      const def = as(el, 'ColumnDef');
      if (def) fromColumn(def);
      else add(el);
    }
  } else if (st.kind === 'AlterTableStmt' && (!b.objtype || b.objtype === 'OBJECT_TABLE')) {
    for (const raw of b.cmds ?? []) {
      const cmd = as(raw, 'AlterTableCmd');
      if (cmd?.subtype === 'AT_AddConstraint') add(cmd.def);
      else if (cmd?.subtype === 'AT_AddColumn') fromColumn(as(cmd.def, 'ColumnDef'));
    }
  }
  return out;
}

/**
 * True when the index's leading columns are the key's columns, in any order: a lookup by the key seeks on it. A
 * partial index counts too (one `WHERE fk IS NOT NULL` serves every lookup; another predicate was chosen on
 * purpose, and what the application deletes is unknown here).
 */
function leadsWith(index: IndexInfo, columns: readonly string[]): boolean {
  if (index.columns.length < columns.length) return false;
  const lead = new Set(index.columns.slice(0, columns.length).map((c) => c.column));
  return columns.every((c) => lead.has(c));
}

/** True when a PRIMARY KEY / UNIQUE / EXCLUDE constraint's columns (or a unique index's) start with the key's columns. */
function keyLeadsWith(key: readonly string[], columns: readonly string[]): boolean {
  if (key.length < columns.length) return false;
  const lead = new Set(key.slice(0, columns.length));
  return columns.every((c) => lead.has(c));
}

/**
 * The leading plain columns of the table's EXCLUDE constraints (their GiST index serves a lookup by them too;
 * the catalog records only PRIMARY KEY and UNIQUE keys), from its CREATE TABLE and ALTER TABLEs.
 */
function exclusionKeys(t: TableInfo): string[][] {
  const out: string[][] = [];
  const add = (raw: unknown) => {
    const c = as(raw, 'Constraint');
    if (c?.contype !== 'CONSTR_EXCLUSION' || c.where_clause) return;
    const cols: string[] = [];
    for (const pair of (c.exclusions ?? []) as Node[]) {
      const name = as((as(pair, 'List')?.items ?? [])[0], 'IndexElem')?.name as string | undefined;
      if (name === undefined) break;
      cols.push(name);
    }
    if (cols.length > 0) out.push(cols);
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

/**
 * True when a later ALTER TABLE of the table's history drops the constraint: by its name, or, for an unnamed
 * one, a DROP CONSTRAINT whose name mentions its first column (PostgreSQL names it `<table>_<columns>_fkey`).
 * An earlier one does not count (a migration that drops a constraint and adds it again with other actions).
 */
function droppedLater(catalog: Catalog, st: Statement, t: TableInfo, fk: ForeignKey): boolean {
  for (const a of t.alters ?? []) {
    if (a.kind !== 'AlterTableStmt' || !catalog.before(st, a)) continue;
    for (const raw of a.body.cmds ?? []) {
      const cmd = as(raw, 'AlterTableCmd');
      if (cmd?.subtype !== 'AT_DropConstraint' || typeof cmd.name !== 'string') continue;
      if (fk.node.conname ? cmd.name === fk.node.conname : cmd.name.includes(fk.columns[0])) return true;
    }
  }
  return false;
}

/** The span to report: the constraint from its start (CONSTRAINT name, FOREIGN KEY or REFERENCES) to the referenced columns. */
function constraintSpan(st: Statement, fk: ForeignKey): { start: number; end: number } | undefined {
  const i = st.tokenAt(fk.node.location);
  const table = relationRange(st, fk.node.pktable);
  if (i < 0 || !table) return undefined;
  let end = table.end;
  if (fk.node.pk_attrs) {
    const list = parenListAfter(st, table.end);
    if (list) end = list.end;
  }
  return { start: st.tokens()[i].start, end };
}

/** PostgreSQL's own name for the index (`<table>_<columns>_idx`), unless too long or taken in the schema. */
function indexName(catalog: Catalog, t: TableInfo, columns: readonly string[]): string | undefined {
  const name = `${t.name}_${columns.join('_')}_idx`;
  if (name.length > 63 || !/^[a-z_][a-z0-9_]*$/.test(name)) return undefined;
  const taken = [...catalog.tables.values()].some((x) => x.schema === t.schema && x.indexes.some((i) => i.name === name));
  return taken ? undefined : name;
}

/**
 * The fix: a CREATE INDEX after the statement. On a table this migration creates (it is empty, and the migration
 * may run in a transaction) or a partitioned one (CONCURRENTLY is not supported there) a plain CREATE INDEX;
 * on an existing table CREATE INDEX CONCURRENTLY, so writes go on while it builds, and no fix inside an explicit
 * transaction block, where that fails. None in a host file (the new statement would join a one-statement string).
 */
function fixFor(st: Statement, catalog: Catalog, t: TableInfo, fk: ForeignKey, tenant: string): Fix | undefined {
  if (st.file.host || !t.created) return undefined;
  const created = t.created;
  const isNew = created.file.path === st.file.path || sameMigration(created.file.path, st.file.path);
  const concurrently = !isNew && !t.partition;
  if (concurrently && inTransactionBlock(st)) return undefined;
  const rel = relationRange(st, fk.relation);
  if (!rel) return undefined;
  // The tenant column first when it is part of the key: the index then also serves per-tenant lookups.
  const columns = fk.columns.includes(tenant) ? [tenant, ...fk.columns.filter((c) => c !== tenant)] : fk.columns;
  const name = indexName(catalog, t, columns);
  const sql =
    `CREATE INDEX${concurrently ? ' CONCURRENTLY' : ''}${name ? ` ${name}` : ''} ON ${st.file.text.slice(rel.start, rel.end)} ` +
    `(${columns.map(quoteIdent).join(', ')})`;
  return { title: `Add an index on ${displayName(fk.relation)} (${columns.join(', ')})`, edits: [statementAfter(st, sql)] };
}

export const fkWithoutIndex = defineRule({
  // Reads the file's earlier statements (an open BEGIN) for its fix.
  crossStatement: true,
  meta: {
    id: 'fk-without-index',
    category: 'indexing',
    // Often right, but on a small lookup table (a few templates, roles or peers) the scan costs little.
    severity: 'info',
    fixable: true,
    docs: {
      summary: 'A foreign key whose referencing columns lead no index of the table, as the workspace leaves it.',
      why:
        'PostgreSQL indexes the referenced side of a foreign key (it must be a PRIMARY KEY or UNIQUE) but never the ' +
        'referencing side. Every DELETE of a parent row, and every UPDATE of its key, looks for referencing rows ' +
        '(`SELECT 1 FROM child WHERE fk = $1`, also for ON DELETE CASCADE / SET NULL, which then change them): ' +
        'without an index whose leading columns are the foreign key columns, that is a sequential scan of the ' +
        'whole child table per parent row, under the lock the delete holds. The same index serves the joins ' +
        'from parent to children (`JOIN child ON child.fk = parent.id`), which otherwise hash or scan the child. ' +
        'The rule reads the workspace as a migration history and checks the table as it ends: an index created by a ' +
        'later migration counts, as does a PRIMARY KEY or UNIQUE constraint whose leading columns are the foreign key ' +
        'columns (in any order, for a composite key), an EXCLUDE constraint that starts with them, a partial index, an index on the partitioned parent of a ' +
        'partition (or on the partitions of a partitioned table). It says nothing on a table the workspace does not ' +
        'create, one created with LIKE (its indexes may come with it), one renamed, dropped or re-created later, a ' +
        'temporary table, in down migrations, on temporal (PERIOD) keys, and when a later ALTER TABLE drops the constraint.',
      fix:
        'Create an index on the foreign key columns (for a composite key, all of them first, the tenant column ' +
        'leading when it is one of them). Referential checks bypass row-level security, so the lookup is by the ' +
        'key alone: the index must lead with the key, not with a tenant column outside it. The quick fix adds the ' +
        'index after the statement: `CREATE INDEX CONCURRENTLY` on a table an earlier migration created (it cannot ' +
        'run inside a transaction block: give it a migration of its own where the tool wraps each in one; no fix ' +
        'inside an explicit BEGIN … COMMIT), a plain CREATE INDEX on a table the same migration creates (it is empty) ' +
        'and on a partitioned table (CONCURRENTLY is not supported there).',
      bad:
        'CREATE TABLE accounts (id bigint PRIMARY KEY);\n' +
        'CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE);',
      good:
        'CREATE TABLE accounts (id bigint PRIMARY KEY);\n' +
        'CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE);\n' +
        'CREATE INDEX invoices_account_id_idx ON invoices (account_id);',
    },
    messages: {
      noIndex:
        'No index of {{table}} leads with the foreign key {{columns}}: each DELETE (or key UPDATE) on {{parent}} scans {{table}} ' +
        'for referencing rows, and joins on {{columns}} cannot seek. Add an index on {{table}} {{columns}}.',
    },
  },
  check({ statement: st, catalog, settings, report }) {
    if (st.kind !== 'CreateStmt' && st.kind !== 'AlterTableStmt') return;
    const fks = foreignKeys(st);
    if (fks.length === 0) return;
    const t = finalTable(catalog, st.body.relation, st);
    if (!t || t.kind || hasLikeClause(t.created) || t.created?.body?.relation?.relpersistence === 't') return;
    // An ALTER that the history places before the table's (last) CREATE altered a table that is gone by the end:
    // the key it adds is not the final table's (the CREATE's own keys are reported on it).
    if (st.kind === 'AlterTableStmt' && t.created && catalog.before(st, t.created)) return;
    const family = indexFamily(catalog, t);
    const indexes = family.flatMap((x) => x.indexes);
    const keys = [...family.flatMap((x) => x.uniques).map((u) => u.columns), ...family.flatMap(exclusionKeys)];
    for (const fk of fks) {
      // A column the table no longer has took the constraint with it (DROP COLUMN).
      if (t.columns.size === 0 || fk.columns.some((c) => !t.columns.has(c))) continue;
      if (indexes.some((i) => leadsWith(i, fk.columns)) || keys.some((k) => keyLeadsWith(k, fk.columns))) continue;
      if (droppedLater(catalog, st, t, fk)) continue;
      const span = constraintSpan(st, fk);
      if (!span) continue;
      report({
        ...span,
        messageId: 'noIndex',
        data: { table: displayName(fk.relation), columns: `(${fk.columns.join(', ')})`, parent: displayName(fk.node.pktable) },
        fix: fixFor(st, catalog, t, fk, settings.tenantColumn),
      });
    }
  },
});

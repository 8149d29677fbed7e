/**
 * Shared helpers of the migration-locking rules (require-lock-timeout, constraint-not-valid,
 * unique-constraint-index, drop-index-concurrently; set-not-null, table-rewrite and unbatched-backfill may import
 * them too): whether a table may hold rows at a statement of the migration history, which lock an ALTER TABLE
 * subcommand takes, which migration (changeset, up or down section) a statement runs in, and the names PostgreSQL
 * gives unnamed constraints and indexes.
 *
 * Coordination: add what another rule needs here rather than copying it; keep each export used (knip).
 */
import { as, strings, walk, type Node } from '../ast';
import type { Catalog, CatalogStatement, QName, TableInfo } from '../catalog';
import { downSections, isDownMigration, migrationKey, sameMigration } from '../migration-order';
import type { Statement } from '../parse';
import { Attached } from '../attached';

const LIQUIBASE = /^\s*--\s*liquibase\s+formatted\s+sql\b/i;
const CHANGESET = /^[ \t]*--[ \t]*changeset[ \t]+\S+/gim;
const runStarts = new Attached<object, number[]>('migrationRunStarts');

/**
 * Where the migration a statement runs in starts inside its file. A Liquibase formatted-SQL file holds many
 * changesets (`--changeset author:id`), each applied once, in its own transaction, as the file grows over
 * releases; a goose or dbmate file holds an up and a down section, run at different times, as does a host-language
 * migration's up() and down(). Any other file is one migration. Two statements with the same value run together (in
 * one session, in file order).
 */
export function migrationRunAt(file: { text: string; host?: { downSections(): [number, number][] } }, offset: number): number {
  let starts = runStarts.get(file);
  if (!starts) {
    const changesets = LIQUIBASE.test(file.text) ? [...file.text.matchAll(CHANGESET)].map((m) => m.index) : [];
    // A host file's down() strings (as the catalog reads them), or a goose / dbmate file's down section.
    const sections = (file.host ? file.host.downSections() : downSections(file.text)).flatMap(([s, e]) => [s, e]);
    starts = [...new Set([...changesets, ...sections])].sort((a, b) => a - b);
    runStarts.set(file, starts);
  }
  let at = 0;
  for (const s of starts) if (s <= offset) at = s;
  return at;
}

/** True when the relation was created by the migration this statement belongs to (so it is new and empty). */
function sameMigrationAs(created: CatalogStatement, st: Statement): boolean {
  if (created.file.path === st.file.path) return migrationRunAt(st.file, st.start) === migrationRunAt(st.file, created.start);
  return sameMigration(created.file.path, st.file.path);
}

/**
 * True when the migration itself creates the relation before the statement, also with IF NOT EXISTS (skipped by
 * the catalog when an earlier migration made it): a script written to create its table may be the one that does.
 */
function createdEarlierInRun(st: Statement, table: QName): boolean {
  const run = migrationRunAt(st.file, st.start);
  for (const s of st.file.statements) {
    if (s === st) return false;
    const rv: Node | undefined = s.kind === 'CreateStmt' ? s.body.relation : s.kind === 'CreateTableAsStmt' ? s.body.into?.rel : undefined;
    if (rv?.relname === table.name && (rv.schemaname ?? s.searchPath[0] ?? 'public') === table.schema && migrationRunAt(st.file, s.start) === run) return true;
  }
  return false;
}

/** True when an ALTER TABLE command adds a NOT NULL column with no default: PostgreSQL refuses it on a table with rows. */
function addsNotNullWithoutDefault(raw: unknown): boolean {
  const cmd = as(raw, 'AlterTableCmd');
  // ADD COLUMN IF NOT EXISTS may do nothing (the column is there), and then proves nothing.
  const def = cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok ? as(cmd.def, 'ColumnDef') : undefined;
  if (!def) return false;
  const kinds = ((def.constraints ?? []) as Node[]).map((c) => as(c, 'Constraint')?.contype);
  return kinds.includes('CONSTR_NOTNULL') && !kinds.some((k) => k === 'CONSTR_DEFAULT' || k === 'CONSTR_IDENTITY' || k === 'CONSTR_GENERATED');
}

/**
 * True when the file proves the table empty by the statement: it (or an earlier statement) adds a NOT NULL column
 * without a default, which fails on a table that has rows.
 */
function provenEmpty(st: Statement, relname: string): boolean {
  for (const s of st.file.statements) {
    if (s.kind === 'AlterTableStmt' && s.hasAst && s.body.relation?.relname === relname && (s.body.cmds ?? []).some(addsNotNullWithoutDefault)) return true;
    if (s === st) return false;
  }
  return false;
}

/** True when a DO block earlier in the file names the table: it may create, rename or empty it (unknown). */
function touchedByDoBlock(st: Statement, relname: string): boolean {
  const needle = relname.toLowerCase();
  for (const s of st.file.statements) {
    if (s === st) return false;
    if (s.kind === 'DoStmt' && s.text.toLowerCase().includes(needle)) return true;
  }
  return false;
}

const folderOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
const baselines = new WeakMap<Catalog, Map<string, boolean>>();

/**
 * True when `path` is in a `schema/` (or `schemas/`) folder beside a `migrations/` folder of the workspace history:
 * the baseline schema, run on a new database, while the migrations folder holds what runs on the live one (the
 * layout of pgperf's own examples). Its files are one migration.
 */
function inBaselineSchema(catalog: Catalog, path: string): boolean {
  const folder = folderOf(path);
  if (!/(^|\/)schemas?$/i.test(folder)) return false;
  let known = baselines.get(catalog);
  if (!known) baselines.set(catalog, (known = new Map()));
  let found = known.get(folder);
  if (found === undefined) {
    const parent = folderOf(folder);
    const prefix = parent ? `${parent}/` : '';
    found = [...catalog.fileRank.keys()].some((p) => p.startsWith(prefix) && /^migrations?\//i.test(p.slice(prefix.length)));
    known.set(folder, found);
  }
  return found;
}

const isTemporary = (created: CatalogStatement) => created.body?.relation?.relpersistence === 't' || created.body?.into?.rel?.relpersistence === 't';

/**
 * The table a statement names (schema and name, as the migration history has them at the statement) when it may
 * hold rows by then: a table (not a view) an earlier migration created. Undefined (the rules say nothing) for a
 * table unknown to the workspace, created by this migration (this file or changeset, another file of the same
 * version, another file of a baseline schema/ folder, or earlier in this file with IF NOT EXISTS) or, in the same
 * folder, by a later one; a temporary table;
 * and when this migration shows the table empty (a NOT NULL column added without a default) or a DO block before
 * the statement names it (what it did is unknown). The same premise as create-index-concurrently's. `renames`: the
 * statement renames the table or moves it to another schema (RENAME TO, SET SCHEMA), so that the history has it under
 * its old name only before the statement.
 */
export function liveTable(st: Statement, catalog: Catalog, target: QName | Node, opts: { renames?: boolean } = {}): TableInfo | undefined {
  const schema: string | undefined = 'relname' in target ? target.schemaname : (target as QName).schema;
  const name: string = 'relname' in target ? target.relname : (target as QName).name;
  if (!name) return undefined;
  // A statement that renames or moves the table (`renames`) sees it under its new name already: look just before it.
  const from = opts.renames ? { searchPath: st.searchPath, file: st.file, index: st.index - 1, start: st.start } : st;
  const table = catalog.resolve(schema, name, from);
  const created = table?.created;
  if (!table || !created || table.kind === 'view' || table.kind === 'matview') return undefined;
  if (sameMigrationAs(created, st)) return undefined;
  if (folderOf(created.file.path) === folderOf(st.file.path) && inBaselineSchema(catalog, st.file.path)) return undefined;
  // Created by a later migration of the same folder: the history says the table is new when this runs. Files of
  // different folders (a schema/ folder beside migrations/) have no order between them: the table is taken as the
  // schema has it.
  const sameFolder = migrationKey(created.file.path).base === migrationKey(st.file.path).base;
  if (catalog.inHistory(st.file.path) && sameFolder && !catalog.before(created, st)) return undefined;
  if (isTemporary(created)) return undefined;
  if (createdEarlierInRun(st, table) || provenEmpty(st, table.name) || touchedByDoBlock(st, table.name)) return undefined;
  return table;
}

/** A table lock mode, weakest to strongest as far as these rules care. */
export type LockMode = 'ShareUpdateExclusive' | 'ShareRowExclusive' | 'AccessExclusive';

/**
 * Storage parameters whose SET / RESET takes ACCESS EXCLUSIVE (PostgreSQL 15: every other table reloption takes
 * SHARE UPDATE EXCLUSIVE, see reloptions.c's lockmode fields).
 */
const ACCESS_EXCLUSIVE_RELOPTIONS = new Set(['user_catalog_table']);

/**
 * The lock an ALTER TABLE subcommand takes on the table (tablecmds.c AlterTableGetLockLevel, PostgreSQL 12-17;
 * checked against pg_locks on PostgreSQL 15 by test/rules/require-lock-timeout.test.ts). Undefined for a command
 * whose lock is not known here (rules, foreign-table options): the rules then say nothing.
 */
export function alterTableCmdLock(raw: unknown): LockMode | undefined {
  const cmd = as(raw, 'AlterTableCmd');
  if (!cmd) return undefined;
  switch (cmd.subtype) {
    case 'AT_SetStatistics':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ValidateConstraint':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_AttachPartition': // on the parent; the table attached gets ACCESS EXCLUSIVE
      return 'ShareUpdateExclusive';
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions': {
      const options = (as(cmd.def, 'List')?.items ?? []) as Node[];
      const names = options.map((d) => String(as(d, 'DefElem')?.defname ?? '').toLowerCase());
      return names.some((n) => ACCESS_EXCLUSIVE_RELOPTIONS.has(n)) ? 'AccessExclusive' : 'ShareUpdateExclusive';
    }
    case 'AT_EnableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_DisableTrig':
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrigUser':
      return 'ShareRowExclusive';
    case 'AT_AddConstraint': {
      const c = as(cmd.def, 'Constraint');
      if (!c) return undefined;
      return c.contype === 'CONSTR_FOREIGN' ? 'ShareRowExclusive' : 'AccessExclusive';
    }
    case 'AT_DetachPartition':
      return as(cmd.def, 'PartitionCmd')?.concurrent ? 'ShareUpdateExclusive' : 'AccessExclusive';
    case 'AT_AddColumn':
    case 'AT_ColumnDefault':
    case 'AT_DropNotNull':
    case 'AT_SetNotNull':
    case 'AT_SetStorage':
    case 'AT_SetCompression':
    case 'AT_DropColumn':
    case 'AT_DropConstraint':
    case 'AT_AlterConstraint':
    case 'AT_AlterColumnType':
    case 'AT_ChangeOwner':
    case 'AT_SetTableSpace':
    case 'AT_SetAccessMethod':
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity':
    case 'AT_ForceRowSecurity':
    case 'AT_NoForceRowSecurity':
    case 'AT_ReplicaIdentity':
    case 'AT_AddInherit':
    case 'AT_DropInherit':
    case 'AT_AddOf':
    case 'AT_DropOf':
    case 'AT_AddIdentity':
    case 'AT_SetIdentity':
    case 'AT_DropIdentity':
    case 'AT_DropExpression':
      return 'AccessExclusive';
  }
  return undefined;
}

const NAMEDATALEN = 64;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The first `bytes` bytes of a name, cut back to a character boundary (pg_mbcliplen). */
function clip(name: string, bytes: number): string {
  const b = utf8.encode(name);
  let n = Math.min(bytes, b.length);
  while (n > 0 && n < b.length && (b[n] & 0xc0) === 0x80) n--;
  return fromUtf8.decode(b.subarray(0, n));
}

/**
 * PostgreSQL's makeObjectName: `name1_name2_label`, the longer of the two names shortened first so that the whole
 * fits in NAMEDATALEN - 1 bytes.
 */
function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  const overhead = (name2 !== undefined ? 1 : 0) + label.length + 1;
  const avail = NAMEDATALEN - 1 - overhead;
  let n1 = utf8.encode(name1).length;
  let n2 = name2 !== undefined ? utf8.encode(name2).length : 0;
  while (n1 + n2 > avail) {
    if (n1 > n2) n1--;
    else n2--;
  }
  return [clip(name1, n1), ...(name2 !== undefined ? [clip(name2, n2)] : []), label].join('_');
}

/**
 * The name PostgreSQL gives an unnamed constraint (or a constraint's index) of `table`, when no object of that
 * name exists yet (it appends a number otherwise, which the workspace cannot always tell): `t_pkey`,
 * `t_a_b_key` (UNIQUE: key and INCLUDE columns), `t_a_fkey` (FOREIGN KEY: its columns), `t_a_check` (CHECK
 * reading one column) or `t_check` (any other CHECK).
 */
export function defaultConstraintName(table: string, kind: 'pkey' | 'key' | 'fkey' | 'check', columns: readonly string[]): string {
  if (kind === 'pkey') return makeObjectName(table, undefined, 'pkey');
  if (kind === 'check' && columns.length !== 1) return makeObjectName(table, undefined, 'check');
  return makeObjectName(table, nameAddition(columns), kind);
}

/** ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: the columns joined by `_`, cut after NAMEDATALEN bytes. */
function nameAddition(columns: readonly string[]): string {
  let out = '';
  for (const c of columns) {
    if (out) out += '_';
    out += c;
    if (utf8.encode(out).length >= NAMEDATALEN) break;
  }
  return out;
}

// set-not-null and table-rewrite: a table as the migration history has it at a statement, replayed from its CREATE
// and the ALTERs before the statement (the catalog changes a definition in place, so it tells only how it ends).

/** A column at a statement: its declared type (the TypeName node) and whether it is known NOT NULL. */
interface ColumnAt {
  typeName: Node;
  notNull: boolean;
}

/** A CHECK constraint at a statement. */
export interface CheckAt {
  name: string;
  expr: Node;
  /** Added without NOT VALID, or validated since. */
  valid: boolean;
}

export interface TableAt {
  columns: Map<string, ColumnAt>;
  checks: CheckAt[];
  /** A VALIDATE CONSTRAINT named a constraint not in `checks` (renamed, or named otherwise): any check may be valid. */
  unknownValidate: boolean;
  /** 'p' permanent, 'u' unlogged. */
  persistence: string;
  /** The tablespace the table is in, when a clause named one. */
  tablespace?: string;
}

/** Column names a node reads (the last field of each ColumnRef). */
export function readColumns(node: unknown): string[] {
  const out = new Set<string>();
  walk(node, (type, n) => {
    if (type === 'ColumnRef') {
      const f = strings(n.fields);
      if (f.length) out.add(f[f.length - 1]);
    }
  });
  return [...out];
}

function addColumnTo(at: TableAt, table: string, def: Node): void {
  const kinds = ((def.constraints ?? []) as Node[]).map((c) => as(c, 'Constraint')).filter((c): c is Node => !!c);
  const serial = strings(def.typeName?.names).length === 1 && /^(small|big)?serial[248]?$/.test(strings(def.typeName?.names)[0]);
  at.columns.set(def.colname, {
    typeName: def.typeName,
    notNull: serial || kinds.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_IDENTITY'),
  });
  for (const c of kinds) if (c.contype === 'CONSTR_CHECK') addCheck(at, table, c);
}

function addCheck(at: TableAt, table: string, c: Node): void {
  at.checks.push({ name: c.conname ?? defaultConstraintName(table, 'check', readColumns(c.raw_expr)), expr: c.raw_expr, valid: !c.skip_validation });
}

/** Applies an ALTER TABLE subcommand; false when its effect on the state is unknown. */
function applyCmd(at: TableAt, table: string, raw: unknown): boolean {
  const cmd = as(raw, 'AlterTableCmd');
  if (!cmd) return true;
  const col = cmd.name ? at.columns.get(cmd.name) : undefined;
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const def = as(cmd.def, 'ColumnDef');
      if (def && !(cmd.missing_ok && at.columns.has(def.colname))) addColumnTo(at, table, def);
      return true;
    }
    case 'AT_DropColumn':
      at.columns.delete(cmd.name);
      at.checks = at.checks.filter((k) => !readColumns(k.expr).includes(cmd.name));
      return true;
    case 'AT_AlterColumnType': {
      const def = as(cmd.def, 'ColumnDef');
      if (col && def?.typeName) at.columns.set(cmd.name, { ...col, typeName: def.typeName });
      return true;
    }
    case 'AT_SetNotNull':
    case 'AT_DropNotNull':
      if (col) at.columns.set(cmd.name, { ...col, notNull: cmd.subtype === 'AT_SetNotNull' });
      return true;
    case 'AT_AddConstraint': {
      const c = as(cmd.def, 'Constraint');
      if (c?.contype === 'CONSTR_CHECK') addCheck(at, table, c);
      if (c?.contype === 'CONSTR_PRIMARY') {
        // PRIMARY KEY USING INDEX: its columns are the index's, not known here.
        if (!c.keys) return false;
        for (const k of strings(c.keys)) {
          const kc = at.columns.get(k);
          if (kc) at.columns.set(k, { ...kc, notNull: true });
        }
      }
      return true;
    }
    case 'AT_ValidateConstraint': {
      const k = at.checks.find((x) => x.name === cmd.name);
      if (k) k.valid = true;
      else at.unknownValidate = true;
      return true;
    }
    case 'AT_DropConstraint':
      at.checks = at.checks.filter((k) => k.name !== cmd.name);
      return true;
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
      at.persistence = cmd.subtype === 'AT_SetLogged' ? 'p' : 'u';
      return true;
    case 'AT_SetTableSpace':
      at.tablespace = cmd.name;
      return true;
  }
  return true;
}

/**
 * The table `st` changes as it stands just before it (and before the statement's own subcommands up to
 * `upToCmd`): columns, CHECK constraints, persistence, tablespace. Undefined when that is not known: the CREATE is
 * not a plain column list (LIKE, INHERITS, PARTITION OF, OF type, CREATE TABLE AS), or it or an ALTER of the table
 * is in a file of another folder, whose order relative to `st` is unknown.
 */
export function tableAt(catalog: Catalog, table: TableInfo, st: Statement, upToCmd = 0): TableAt | undefined {
  const created = table.created;
  const c = created?.kind === 'CreateStmt' ? created.body : undefined;
  if (!created || !c || c.partbound || c.ofTypename || (c.inhRelations ?? []).length > 0) return undefined;
  // A CREATE in another folder (a schema dump beside the migrations) has no place in this history: it may show the
  // table as it ends, not as it was at `st`.
  const base = migrationKey(st.file.path).base;
  if (migrationKey(created.file.path).base !== base) return undefined;
  const name: string = c.relation.relname;
  const at: TableAt = { columns: new Map(), checks: [], unknownValidate: false, persistence: c.relation.relpersistence ?? 'p', tablespace: c.tablespacename };
  for (const el of c.tableElts ?? []) {
    if (as(el, 'TableLikeClause')) return undefined;
    const def = as(el, 'ColumnDef');
    if (def) addColumnTo(at, name, def);
  }
  for (const el of c.tableElts ?? []) {
    const k = as(el, 'Constraint');
    if (k && !applyCmd(at, name, { AlterTableCmd: { subtype: 'AT_AddConstraint', def: { Constraint: { ...k, skip_validation: false } } } })) return undefined;
  }
  for (const a of table.alters ?? []) {
    if (a.file.path === st.file.path && a.index === st.index) break;
    if (a.file.path !== st.file.path && migrationKey(a.file.path).base !== base) return undefined;
    if (!catalog.before(a, st) || !catalog.before(created, a)) continue;
    if (a.kind === 'RenameStmt') {
      const col = at.columns.get(a.body.subname);
      if (col) {
        at.columns.delete(a.body.subname);
        at.columns.set(a.body.newname, col);
      }
      continue;
    }
    for (const cmd of a.body.cmds ?? []) if (!applyCmd(at, name, cmd)) return undefined;
  }
  for (const cmd of (st.body.cmds ?? []).slice(0, upToCmd)) if (!applyCmd(at, name, cmd)) return undefined;
  return at;
}

/**
 * True for a statement of a down script (`*.down.sql`, Flyway `U…`), a goose / dbmate down section or a host
 * migration's down(): a rollback, run by hand if ever, which set-not-null, table-rewrite and unbatched-backfill
 * leave alone.
 */
export function inDownMigration(st: Statement): boolean {
  if (isDownMigration(st.file.path)) return true;
  const sections = st.file.host ? st.file.host.downSections() : downSections(st.file.text);
  return sections.some(([from, to]) => st.start >= from && st.start < to);
}

/**
 * The span of each subcommand of an ALTER TABLE statement, in `cmds` order: the text between the table name and
 * the end, cut at top-level commas. Undefined when the pieces do not match the commands one to one.
 */
export function alterCmdSpans(st: Statement): { start: number; end: number }[] | undefined {
  const name = st.body.relation ? st.nameSpan(st.body.relation.location) : undefined;
  if (!name) return undefined;
  const spans: { start: number; end: number }[] = [];
  let depth = 0;
  let open: { start: number; end: number } | undefined;
  for (const t of st.codeTokens()) {
    if (t.start < name.end || t.text === ';') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    if (depth === 0 && t.text === ',') {
      if (open) spans.push(open);
      open = undefined;
      continue;
    }
    if (open) open.end = t.end;
    else open = { start: t.start, end: t.end };
  }
  if (open) spans.push(open);
  return spans.length === (st.body.cmds ?? []).length ? spans : undefined;
}

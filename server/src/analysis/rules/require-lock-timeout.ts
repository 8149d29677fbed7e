import { as, strings, type Node } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { ParsedFile, Statement } from '../parse';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { alterTableCmdLock, liveTable, migrationRunAt } from './_locking';
import { relationRange } from './_tenancy';
import { Attached } from '../attached';

/** The lock_timeout the quick fix sets: long enough for a busy table's lock queue to clear, short enough to wait out. */
const TIMEOUT = "'5s'";

/** LOCK TABLE's mode number for ACCESS EXCLUSIVE (lockdefs.h AccessExclusiveLock). */
const ACCESS_EXCLUSIVE_MODE = 8;

/** A statement that takes an ACCESS EXCLUSIVE lock on a table that may be in use, and what to call it. */
interface Lock {
  table: TableInfo;
  /** The statement as the message names it (ALTER TABLE, TRUNCATE, …). */
  what: string;
  /** The flagged span: the statement's head up to the table's name. */
  start: number;
  end: number;
}

/** The flagged span: from the first code token to the end of the relation's name (or of the first two tokens). */
function headSpan(st: Statement, rv: Node | undefined): { start: number; end: number } | undefined {
  const code = st.codeTokens();
  if (code.length === 0) return undefined;
  const name = rv?.location !== undefined ? relationRange(st, rv) : undefined;
  return { start: code[0].start, end: name?.end ?? code[Math.min(1, code.length - 1)].end };
}

/** The first of `relations` that may hold rows, with the lock's description (`renames`: see liveTable). */
function firstLive(st: Statement, catalog: Catalog, relations: Node[], what: string, renames = false): Lock | undefined {
  for (const rv of relations) {
    const table = rv?.relname ? liveTable(st, catalog, rv, { renames }) : undefined;
    if (!table) continue;
    const span = headSpan(st, rv);
    return span && { table, what, ...span };
  }
  return undefined;
}

/** A `[schema.]table.name` object of DROP TRIGGER / DROP POLICY as the RangeVar of its table. */
function tableOfObject(obj: unknown): Node | undefined {
  const parts = strings(as(obj, 'List')?.items);
  if (parts.length < 2 || parts.length > 3) return undefined;
  return { relname: parts[parts.length - 2], ...(parts.length === 3 ? { schemaname: parts[0] } : {}) };
}

/**
 * The ACCESS EXCLUSIVE lock a statement takes on a table that may be in use (see liveTable), as PostgreSQL 15 takes
 * them (checked against pg_locks by the rule's tests). DROP INDEX is left to drop-index-concurrently, whose fix
 * takes no such lock at all.
 */
function accessExclusive(st: Statement, catalog: Catalog): Lock | undefined {
  // The tree is read only in the cases: most statements of a file are none of these kinds (a JSON parse each).
  switch (st.kind) {
    case 'AlterTableStmt':
      if (st.body.objtype && st.body.objtype !== 'OBJECT_TABLE') return undefined;
      if (!(st.body.cmds ?? []).some((c: unknown) => alterTableCmdLock(c) === 'AccessExclusive')) return undefined;
      return firstLive(st, catalog, [st.body.relation], 'ALTER TABLE');
    case 'RenameStmt':
      if (
        st.body.renameType === 'OBJECT_TABLE' ||
        st.body.renameType === 'OBJECT_TABCONSTRAINT' ||
        (st.body.renameType === 'OBJECT_COLUMN' && st.body.relationType === 'OBJECT_TABLE')
      )
        return firstLive(st, catalog, [st.body.relation], 'ALTER TABLE … RENAME', st.body.renameType === 'OBJECT_TABLE');
      return undefined;
    case 'AlterObjectSchemaStmt':
      return st.body.objectType === 'OBJECT_TABLE' ? firstLive(st, catalog, [st.body.relation], 'ALTER TABLE … SET SCHEMA', true) : undefined;
    case 'TruncateStmt':
      return firstLive(
        st,
        catalog,
        (st.body.relations ?? []).map((r: unknown) => as(r, 'RangeVar')),
        'TRUNCATE',
      );
    case 'LockStmt':
      return (st.body.mode ?? ACCESS_EXCLUSIVE_MODE) === ACCESS_EXCLUSIVE_MODE
        ? firstLive(
            st,
            catalog,
            (st.body.relations ?? []).map((r: unknown) => as(r, 'RangeVar')),
            'LOCK TABLE',
          )
        : undefined;
    case 'CreatePolicyStmt':
      return firstLive(st, catalog, [st.body.table], 'CREATE POLICY');
    case 'AlterPolicyStmt':
      return firstLive(st, catalog, [st.body.table], 'ALTER POLICY');
    case 'RuleStmt':
      return firstLive(st, catalog, [st.body.relation], 'CREATE RULE');
    case 'DropStmt': {
      const what = st.body.removeType === 'OBJECT_TRIGGER' ? 'DROP TRIGGER' : st.body.removeType === 'OBJECT_POLICY' ? 'DROP POLICY' : undefined;
      if (!what) return undefined;
      const lock = firstLive(st, catalog, (st.body.objects ?? []).map(tableOfObject), what);
      const span = lock && headSpan(st, undefined);
      return lock && span && { ...lock, ...span };
    }
  }
  return undefined;
}

/** True for a constant timeout of zero (`0`, `'0'`, `'0s'`), which turns the timeout off. */
function isZero(arg: unknown): boolean {
  const c = as(arg, 'A_Const');
  if (!c) return false;
  if (c.ival !== undefined) return !c.ival.ival;
  const text = c.sval?.sval ?? c.fval?.fval;
  return typeof text === 'string' && /^\s*0*(\.0*)?\s*(us|ms|s|min|h|d)?\s*$/i.test(text) && /0/.test(text);
}

/** How a statement changes the session's lock_timeout: set, turned off (reset or zero), or not at all. */
type Change = { set: boolean; local: boolean } | undefined;

function timeoutChange(s: Statement): Change {
  if (s.kind === 'VariableSetStmt') {
    const b = s.body;
    if (b.kind === 'VAR_RESET_ALL') return { set: false, local: false };
    if (String(b.name ?? '').toLowerCase() !== 'lock_timeout') return undefined;
    if (b.kind === 'VAR_SET_VALUE') return { set: !isZero((b.args ?? [])[0]), local: !!b.is_local };
    return { set: false, local: !!b.is_local };
  }
  if (s.kind === 'DiscardStmt' && s.body.target === 'DISCARD_ALL') return { set: false, local: false };
  if (!/lock_timeout/i.test(s.text)) return undefined;
  // set_config('lock_timeout', value, is_local) in a SELECT; a DO block that names lock_timeout is taken to set it.
  if (s.kind === 'DoStmt') return { set: true, local: false };
  if (s.kind !== 'SelectStmt') return undefined;
  for (const call of s.nodes('FuncCall')) {
    if (strings(call.funcname).at(-1) !== 'set_config') continue;
    const [name, value, local] = (call.args ?? []) as Node[];
    if (String(as(name, 'A_Const')?.sval?.sval ?? '').toLowerCase() !== 'lock_timeout') continue;
    return { set: !isZero(value), local: as(local, 'A_Const')?.boolval?.boolval === true };
  }
  return undefined;
}

/** What the rule reports in a file: by statement, the first uncovered lock of its migration and how many follow. */
interface Pending {
  lock: Lock;
  more: number;
}

const byFile = new Attached<ParsedFile, { catalog: Catalog; pending: Map<Statement, Pending> }>('lockTimeoutPending');

/** True when the workspace gives sessions a lock_timeout (ALTER ROLE / ALTER DATABASE … SET, ALTER SYSTEM SET). */
function workspaceDefault(catalog: Catalog): boolean {
  const set = catalog.sessionDefaults.get('lock_timeout');
  return !!set && !isZero((set.args ?? [])[0]);
}

/**
 * One pass over the file: in each migration (the file, or a Liquibase changeset, a goose/dbmate section), the first
 * statement that takes an ACCESS EXCLUSIVE lock on a table in use while no lock_timeout is set, and how many more
 * such statements follow it in that migration.
 */
function analyse(file: ParsedFile, catalog: Catalog): Map<Statement, Pending> {
  const pending = new Map<Statement, Pending>();
  if (workspaceDefault(catalog)) return pending;
  let run = -1;
  let session = false;
  let local = false;
  let first: Pending | undefined;
  for (const s of file.statements) {
    if (s.container || !s.hasAst) continue;
    const at = migrationRunAt(file, s.start);
    if (at !== run) {
      run = at;
      session = local = false;
      first = undefined;
    }
    if (s.kind === 'TransactionStmt') {
      const kind = s.body.kind;
      // SET LOCAL ends with the transaction.
      if ((kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') && !s.body.chain) local = false;
      continue;
    }
    const change = timeoutChange(s);
    if (change) {
      // SET LOCAL lasts until the transaction ends (outside a block: the tool's own transaction, if any; taken as set).
      if (change.local) local = change.set;
      else session = change.set;
      if (!change.set) local = false;
      continue;
    }
    if (session || local) continue;
    const lock = accessExclusive(s, catalog);
    if (!lock) continue;
    if (first) first.more++;
    else pending.set(s, (first = { lock, more: 0 }));
  }
  return pending;
}

function pendingAt(st: Statement, catalog: Catalog): Pending | undefined {
  let entry = byFile.get(st.file);
  if (!entry || entry.catalog !== catalog) byFile.set(st.file, (entry = { catalog, pending: analyse(st.file, catalog) }));
  return entry.pending.get(st);
}

/** `SET lock_timeout` on a line of its own before the statement (or just before it, when the line holds more). */
function fixOf(st: Statement, start: number): Fix | undefined {
  if (st.file.host) return undefined; // a host string is one statement: the SET belongs in the code that runs it
  const text = st.file.text;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = text.slice(lineStart, start);
  const set = `SET lock_timeout = ${TIMEOUT};`;
  const edit = /^[ \t]*$/.test(indent) ? { start: lineStart, end: lineStart, newText: `${indent}${set}\n` } : { start, end: start, newText: `${set} ` };
  return { title: `Set lock_timeout = ${TIMEOUT} before it`, edits: [edit] };
}

export const requireLockTimeout = defineRule({
  // Reads the file's earlier statements (SET lock_timeout, BEGIN … COMMIT, the table's CREATE in this migration).
  crossStatement: true,
  meta: {
    id: 'require-lock-timeout',
    category: 'locking',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'A migration takes an ACCESS EXCLUSIVE lock on a table in use with no lock_timeout set.',
      why:
        'ALTER TABLE (most forms), TRUNCATE, LOCK TABLE, renames, and CREATE / ALTER / DROP POLICY take an ACCESS ' +
        'EXCLUSIVE lock, which conflicts with everything, plain reads included. The change itself is often ' +
        'instant, but the lock must first wait for every query and open transaction on the table; meanwhile every ' +
        'new query on the table queues behind the waiting lock. One long report or idle-in-transaction session ' +
        'then stalls all traffic to the table for as long as it runs. With `SET lock_timeout`, the migration gives ' +
        'up after that long instead (retry it later) and the queue clears. The rule reads the workspace as a ' +
        'migration history and fires only on a table an earlier migration created (not one created or shown empty ' +
        'by the same migration: file or Liquibase changeset, or the baseline schema/ folder beside migrations/), once per migration: at its first such statement, ' +
        'with the count of those after it. Not flagged: ALTER TABLE forms with weaker locks (VALIDATE CONSTRAINT, ' +
        'SET STATISTICS, SET (storage parameters), CLUSTER ON, ATTACH PARTITION and DETACH PARTITION CONCURRENTLY ' +
        'take SHARE UPDATE EXCLUSIVE; ADD FOREIGN KEY and ENABLE / DISABLE TRIGGER take SHARE ROW EXCLUSIVE), and ' +
        'DROP INDEX, which drop-index-concurrently covers. A lock_timeout counts when the migration sets it before ' +
        'the statement (`SET lock_timeout`, `SET LOCAL lock_timeout` in the same transaction, ' +
        '`set_config(\u2019lock_timeout\u2019, …)`, a DO block that names it) or the workspace gives it to sessions ' +
        '(`ALTER ROLE … SET lock_timeout`, `ALTER DATABASE … SET lock_timeout`, `ALTER SYSTEM SET lock_timeout`); ' +
        'zero, RESET and DEFAULT turn it off. statement_timeout does not count: it also bounds the work, and ' +
        'migrations usually set it long.',
      fix:
        "Set a lock_timeout before the statement: the quick fix inserts `SET lock_timeout = '5s';` on the line " +
        'before it (5 s: the longest that every query on the table may queue; a timed-out migration fails and ' +
        'is run again), which covers the rest of the migration. Inside a transaction `SET LOCAL lock_timeout` ' +
        'does the same until COMMIT. In SQL embedded in code there is no quick fix: set it on the connection that ' +
        'runs the migration. A lock_timeout the migration tool sets on its connection (a connection-string option ' +
        'such as `options=-c lock_timeout=5s`, PGOPTIONS) is invisible in the SQL: turn the rule off in .pgperf.json then.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, status text);\n\n' +
        '-- a later release: sessions is in use by now\n--changeset alice:2\nALTER TABLE sessions ADD COLUMN expires_at timestamptz;',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, status text);\n\n' +
        "--changeset alice:2\nSET lock_timeout = '5s';\nALTER TABLE sessions ADD COLUMN expires_at timestamptz;",
    },
    messages: {
      noTimeout:
        '{{what}} takes an ACCESS EXCLUSIVE lock on table {{table}} (created in {{createdIn}}) with no lock_timeout set: while it ' +
        'waits for the lock (behind any long query or open transaction on the table), every query on the table, reads included, ' +
        "queues behind it. Set a lock_timeout first (SET lock_timeout = '5s';) and retry the migration when it times out.",
      noTimeoutWithMore:
        '{{what}} takes an ACCESS EXCLUSIVE lock on table {{table}} (created in {{createdIn}}) with no lock_timeout set: while it ' +
        'waits for the lock (behind any long query or open transaction on the table), every query on the table, reads included, ' +
        "queues behind it. Set a lock_timeout first (SET lock_timeout = '5s';) and retry the migration when it times out. " +
        'Statements after it in this migration that take such a lock too: {{more}}.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (!st.hasAst || st.container) return;
    const found = pendingAt(st, catalog);
    if (!found) return;
    const { lock, more } = found;
    const table = lock.table.schema === 'public' ? lock.table.name : `${lock.table.schema}.${lock.table.name}`;
    report({
      start: lock.start,
      end: lock.end,
      messageId: more === 0 ? 'noTimeout' : 'noTimeoutWithMore',
      data: { what: lock.what, table, createdIn: lock.table.created!.file.path, more },
      fix: fixOf(st, lock.start),
    });
  },
});

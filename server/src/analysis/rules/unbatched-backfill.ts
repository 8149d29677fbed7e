import { as, columnRefNames, strings, type Node } from '../ast';
import { compareMigrationPaths, migrationKey } from '../migration-order';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { inDownMigration, liveTable, migrationRunAt } from './_locking';
import { displayName } from './_tenancy';

const LIQUIBASE = /^\s*--\s*liquibase\s+formatted\s+sql\b/i;

/**
 * True when the statement is part of a forward migration: its file has a migration version in its name or folder
 * (see migration-order.ts: Prisma, golang-migrate, Flyway, sqlx, Diesel, db-migrate, TypeORM…) or is a Liquibase
 * formatted-SQL changelog, and the statement is not in a down script or section (a rollback, run by hand if ever).
 * A query file, a seed or a schema dump is not a migration: its statements are not judged.
 */
function inMigration(st: Statement): boolean {
  return (!!migrationKey(st.file.path).version || LIQUIBASE.test(st.file.text)) && !inDownMigration(st);
}

/**
 * The columns this migration run added to the table before the statement (ALTER TABLE … ADD COLUMN) and that are
 * still NULL in every row there: no UPDATE of the table came in between (one may have filled some of them).
 */
function addedByRun(st: Statement, relname: string): Set<string> {
  const run = migrationRunAt(st.file, st.start);
  const out = new Set<string>();
  for (const s of st.file.statements) {
    if (s === st) break;
    if (!s.hasAst || s.body.relation?.relname !== relname || migrationRunAt(st.file, s.start) !== run) continue;
    if (s.kind === 'UpdateStmt' || s.kind === 'MergeStmt') out.clear();
    if (s.kind !== 'AlterTableStmt') continue;
    for (const raw of (s.body.cmds ?? []) as Node[]) {
      const cmd = as(raw, 'AlterTableCmd');
      // ADD COLUMN IF NOT EXISTS may find the column there, with its values.
      const def = cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok ? as(cmd.def, 'ColumnDef') : undefined;
      if (def?.colname && addsNulls(def)) out.add(def.colname);
    }
  }
  return out;
}

/**
 * True when ADD COLUMN leaves the column NULL in every existing row: no default other than NULL, not a serial,
 * identity or generated column (those fill every row, and `WHERE col IS NULL` then matches none).
 */
function addsNulls(def: Node): boolean {
  const names = strings(def.typeName?.names);
  if (names.length === 1 && /^(small|big)?serial[248]?$/.test(names[0])) return false;
  return ((def.constraints ?? []) as Node[]).every((raw) => {
    const c = as(raw, 'Constraint');
    if (c?.contype === 'CONSTR_DEFAULT') return !!as(c.raw_expr, 'A_Const')?.isnull;
    return c?.contype !== 'CONSTR_IDENTITY' && c?.contype !== 'CONSTR_GENERATED';
  });
}

/** The column of `WHERE col IS NULL` (the whole condition), if that is the condition. */
function isNullColumn(where: Node | undefined): string | undefined {
  const t = as(where, 'NullTest');
  const ref = t?.nulltesttype === 'IS_NULL' ? as(t.arg, 'ColumnRef') : undefined;
  return ref ? columnRefNames(ref).at(-1) : undefined;
}

export const unbatchedBackfill = defineRule({
  // Reads the file's earlier statements (the columns the migration adds, its changesets).
  crossStatement: true,
  meta: {
    id: 'unbatched-backfill',
    category: 'locking',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'An UPDATE or DELETE of a whole table, in a migration, on a table an earlier migration created.',
      why:
        'One statement that changes every row runs in one transaction: each row it changes stays locked until the ' +
        'migration commits (every other writer of those rows waits, and with them the application), each UPDATE ' +
        'writes a new version of the row and leaves a dead one behind (the table and its indexes double in size ' +
        'until VACUUM, and all of it goes through the WAL and to the replicas at once). The rule fires in migration ' +
        'files only (a file with a migration version in its name or folder, or a Liquibase formatted-SQL changelog; ' +
        'not in down scripts or sections), on a table an earlier migration created (a table created by the same ' +
        'migration is empty), and only when the statement surely reaches every row: no WHERE at all, or ' +
        '`WHERE col IS NULL` on a column the same migration has just added without a default, with no UPDATE of the table in between ' +
        '(every row is NULL there). Any other ' +
        'WHERE may narrow the rows and is not judged.',
      fix:
        'Backfill in batches, each its own transaction, outside the schema migration (or in a migration that runs ' +
        'without a transaction): repeat `UPDATE t SET … WHERE id IN (SELECT id FROM t WHERE <not yet done> LIMIT ' +
        '10000)` until it changes no row, as in the example (a DO block may COMMIT between batches on PostgreSQL ' +
        '11+ when it does not run inside a transaction block). To empty a table, TRUNCATE is instant but takes an ' +
        'ACCESS EXCLUSIVE lock, fires no DELETE triggers and fails while other tables reference it. For a new ' +
        'column a constant DEFAULT in the ADD COLUMN fills every row without writing them (PostgreSQL 11+). There is ' +
        'no quick fix: the batch size, the key and the transaction handling are the author’s.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE accounts (id bigint PRIMARY KEY, plan text);\n\n' +
        '-- a later release: accounts holds data by now\n--changeset alice:2\n' +
        "ALTER TABLE accounts ADD COLUMN tier text;\nUPDATE accounts SET tier = coalesce(plan, 'free');",
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE accounts (id bigint PRIMARY KEY, plan text);\n\n' +
        '--changeset alice:2\nALTER TABLE accounts ADD COLUMN tier text;\n\n' +
        '--changeset alice:3 runInTransaction:false\n' +
        'DO $$\nDECLARE n int;\nBEGIN\n  LOOP\n' +
        "    UPDATE accounts SET tier = coalesce(plan, 'free')\n" +
        '    WHERE id IN (SELECT id FROM accounts WHERE tier IS NULL LIMIT 10000);\n' +
        '    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND $$;',
    },
    messages: {
      update:
        'UPDATE of every row of {{table}} (created in {{created}}){{how}} in one statement: every row stays locked ' +
        'until the migration commits, and each gets a new version (the table doubles until VACUUM). Backfill in ' +
        'batches of a few thousand rows, each its own transaction.',
      delete:
        'DELETE of every row of {{table}} (created in {{created}}) in one statement: every row stays locked until ' +
        'the migration commits and stays on disk as a dead version. Delete in batches, or TRUNCATE when nothing ' +
        'needs to see the rows go.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'UpdateStmt' && st.kind !== 'DeleteStmt') return;
    // A function's body runs when it is called, not when the migration runs; a DO block's runs now, but what the
    // block does around it (a loop over batches, a condition) is not read here.
    if (st.container) return;
    const b = st.body;
    const rv = b.relation;
    if (!rv?.relname || !inMigration(st)) return;
    const column = isNullColumn(b.whereClause);
    if (b.whereClause && !(column && addedByRun(st, rv.relname).has(column))) return;
    const table = liveTable(st, catalog, rv);
    const created = table?.created;
    if (!table || !created) return;
    // Created by an earlier migration of the same folder (or an earlier changeset of this file): otherwise the
    // order, and so whether the table has rows yet, is unknown.
    if (created.file.path !== st.file.path) {
      if (migrationKey(created.file.path).base !== migrationKey(st.file.path).base || compareMigrationPaths(created.file.path, st.file.path) >= 0) return;
    }
    const tokens = st.codeTokens();
    const head = tokens.find((t) => t.keyword === 'UPDATE' || t.keyword === 'DELETE');
    const name = st.nameSpan(rv.location);
    if (!head || !name) return;
    const data = { table: displayName(rv), created: created.file.path, how: column ? ` (WHERE ${column} IS NULL: the column this migration adds)` : '' };
    report({ start: head.start, end: name.end, messageId: st.kind === 'UpdateStmt' ? 'update' : 'delete', data });
  },
});

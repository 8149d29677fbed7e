import { as, quoteIdent, type Node } from '../ast';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { alterCmdSpans, inDownMigration, liveTable, migrationRunAt, readColumns, tableAt, type CheckAt } from './_locking';
import { displayName } from './_tenancy';

/** Operators of built-in types that are strict (NULL in, NULL out): a CHECK made of them passes on a NULL column. */
const STRICT_OPERATORS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '~', '~*', '!~', '!~*', '~~', '~~*', '!~~', '!~~*']);
const OPERATOR_KINDS = new Set(['AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_OP_ALL']);
/** IN, LIKE, BETWEEN of built-in types: strict too (IS DISTINCT FROM, NULLIF are not). */
const STRICT_KINDS = new Set(['AEXPR_IN', 'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_SIMILAR', 'AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN']);

/**
 * False when a CHECK expression surely passes for a row whose column is NULL (it is built from strict operators,
 * AND / OR, constants, columns and casts only: `amount > 0`, `status IN ('a', 'b')`), so it cannot prove the column
 * NOT NULL; true when it may (an IS NOT NULL, COALESCE, IS DISTINCT FROM, a function call, anything else).
 */
function mayProveNotNull(expr: unknown): boolean {
  const node = expr as Node | undefined;
  if (!node || typeof node !== 'object') return false;
  const [type] = Object.keys(node);
  const n = node[type] as Node;
  switch (type) {
    case 'A_Const':
    case 'ColumnRef':
      return false;
    case 'TypeCast':
      return mayProveNotNull(n.arg);
    case 'List':
      return ((n.items ?? []) as unknown[]).some(mayProveNotNull);
    case 'BoolExpr':
      return n.boolop === 'NOT_EXPR' || ((n.args ?? []) as unknown[]).some(mayProveNotNull);
    case 'A_Expr': {
      const op = ((n.name ?? []) as Node[]).map((s) => as(s, 'String')?.sval).join('.');
      const strict = OPERATOR_KINDS.has(n.kind) ? STRICT_OPERATORS.has(op) : STRICT_KINDS.has(n.kind);
      if (!strict) return true;
      return mayProveNotNull(n.lexpr) || mayProveNotNull(n.rexpr);
    }
  }
  return true;
}

/**
 * The ADD COLUMN of `column` that this migration run (this statement's earlier subcommands, or an earlier
 * statement of the file in the same run) made on the statement's table, and whether it gave a default.
 */
function addedByRun(st: Statement, upTo: number, column: string): { st: Statement; withDefault: boolean } | undefined {
  const rel = st.body.relation?.relname;
  const run = migrationRunAt(st.file, st.start);
  let found: { st: Statement; withDefault: boolean } | undefined;
  for (const s of st.file.statements) {
    if (s.kind !== 'AlterTableStmt' || !s.hasAst || s.body.relation?.relname !== rel || migrationRunAt(st.file, s.start) !== run) {
      if (s === st) break;
      continue;
    }
    const cmds = ((s.body.cmds ?? []) as Node[]).slice(0, s === st ? upTo : undefined);
    for (const raw of cmds) {
      const def = as(as(raw, 'AlterTableCmd')?.def, 'ColumnDef');
      if (as(raw, 'AlterTableCmd')?.subtype !== 'AT_AddColumn' || def?.colname !== column) continue;
      const dflt = ((def.constraints ?? []) as Node[]).map((c) => as(c, 'Constraint')).find((c) => c?.contype === 'CONSTR_DEFAULT');
      found = { st: s, withDefault: !!dflt && !as(dflt.raw_expr, 'A_Const')?.isnull };
    }
    if (s === st) break;
  }
  return found;
}

export const setNotNull = defineRule({
  // Reads the file's earlier statements (the migration's own changes to the table).
  crossStatement: true,
  meta: {
    id: 'set-not-null',
    category: 'locking',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'ALTER COLUMN … SET NOT NULL on a table an earlier migration created: a full scan under ACCESS EXCLUSIVE.',
      why:
        'SET NOT NULL reads every row of the table to check that none is NULL, holding an ACCESS EXCLUSIVE lock (no ' +
        'reads, no writes) for the whole scan. PostgreSQL 12+ skips the scan when a valid CHECK (col IS NOT NULL) ' +
        'constraint already proves it, and such a constraint can be added NOT VALID (a brief lock, no scan) and ' +
        'validated separately under a SHARE UPDATE EXCLUSIVE lock that lets reads and writes go on. The rule fires ' +
        'on a table created by an earlier migration (the premise of create-index-concurrently: a table the same ' +
        'migration created is empty) and reads the history at that statement: it is quiet when the column is ' +
        'already NOT NULL there (a primary key, NOT NULL, an earlier SET NOT NULL: PostgreSQL does nothing), when a ' +
        'valid CHECK constraint that may prove the column NOT NULL exists (added without NOT VALID, or validated ' +
        'since), and when it cannot tell: a column or constraint it does not know, a table made with LIKE, INHERITS ' +
        'or PARTITION OF, a partitioned table (each partition has its own constraints), a VALIDATE of a constraint ' +
        'it cannot name; and in down scripts or sections (a rollback). A CHECK that passes on NULL (`amount > 0`) ' +
        'proves nothing and does not silence it.',
      fix:
        'In three steps, each its own migration (each its own transaction: a VALIDATE in the transaction of the ADD ' +
        'runs under the ADD’s ACCESS EXCLUSIVE lock): `ALTER TABLE t ADD CONSTRAINT t_c_not_null CHECK (c IS NOT ' +
        'NULL) NOT VALID;` then `ALTER TABLE t VALIDATE CONSTRAINT t_c_not_null;` then `ALTER TABLE t ALTER COLUMN c ' +
        'SET NOT NULL;` (no scan: the valid constraint proves it) and `ALTER TABLE t DROP CONSTRAINT t_c_not_null;`. ' +
        'There is no quick fix: an edit that wrote the four statements into one migration would keep the lock for ' +
        'the scan (the migration tools run a file in one transaction), and only the author can split the migration.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE accounts (id int PRIMARY KEY, email text);\n\n' +
        '-- a later release: accounts holds data by now\n--changeset alice:2\n' +
        'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE accounts (id int PRIMARY KEY, email text);\n\n' +
        '--changeset alice:2\nALTER TABLE accounts ADD CONSTRAINT accounts_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n\n' +
        '--changeset alice:3\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_not_null;\n\n' +
        '--changeset alice:4\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n' +
        'ALTER TABLE accounts DROP CONSTRAINT accounts_email_not_null;',
    },
    messages: {
      inAdd:
        'SET NOT NULL on {{column}} scans all of {{table}} (created in {{created}}) under an ACCESS EXCLUSIVE lock, ' +
        'though this migration added the column with a default: declare it NOT NULL in the ADD COLUMN instead ' +
        '(PostgreSQL 11+ then checks the default, not the rows).',
      scan:
        'SET NOT NULL on {{column}} scans all of {{table}} (created in {{created}}) under an ACCESS EXCLUSIVE lock. ' +
        'First ADD CONSTRAINT … CHECK ({{column}} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT in a later ' +
        'migration; then SET NOT NULL skips the scan (PostgreSQL 12+).',
      notValidated:
        'SET NOT NULL on {{column}} scans all of {{table}} (created in {{created}}) under an ACCESS EXCLUSIVE lock: ' +
        'the CHECK constraint {{check}} is NOT VALID there, so it proves nothing. VALIDATE CONSTRAINT {{check}} in ' +
        'an earlier migration (it lets reads and writes go on); then SET NOT NULL skips the scan.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'AlterTableStmt' || (st.body.objtype && st.body.objtype !== 'OBJECT_TABLE')) return;
    if (!st.treeMayInclude('"AT_SetNotNull"')) return;
    // A statement of a routine's body runs when the routine is called, not when the migration runs.
    if (inDownMigration(st) || st.container) return;
    const cmds = (st.body.cmds ?? []) as Node[];
    const table = liveTable(st, catalog, st.body.relation);
    // A partitioned table, a partition or a child: each table's own constraints decide, and those are not all known.
    if (!table || table.partition || table.partitionOf || table.inherits) return;
    cmds.forEach((raw, i) => {
      const cmd = as(raw, 'AlterTableCmd');
      if (cmd?.subtype !== 'AT_SetNotNull' || !cmd.name) return;
      const added = addedByRun(st, i, cmd.name);
      // Added by this statement without a default: PostgreSQL refuses the SET NOT NULL unless the table is empty.
      if (added && !added.withDefault && added.st === st) return;
      const at = tableAt(catalog, table, st, i);
      const column = at?.columns.get(cmd.name);
      if (!at || !column || column.notNull) return;
      const proving = at.checks.filter((k: CheckAt) => readColumns(k.expr).includes(cmd.name) && mayProveNotNull(k.expr));
      if (proving.some((k) => k.valid) || (at.unknownValidate && proving.length > 0)) return;
      const span = alterCmdSpans(st)?.[i] ?? { start: st.start, end: st.end };
      const data = { column: quoteIdent(cmd.name), table: displayName(st.body.relation), created: table.created!.file.path };
      // Added by this migration with a default: NOT NULL declared in the ADD COLUMN checks the default, not the rows.
      if (added?.withDefault) report({ ...span, messageId: 'inAdd', data });
      else if (proving.length > 0) report({ ...span, messageId: 'notValidated', data: { ...data, check: quoteIdent(proving[0].name) } });
      else report({ ...span, messageId: 'scan', data });
    });
  },
});

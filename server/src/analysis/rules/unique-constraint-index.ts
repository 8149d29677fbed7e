import { quoteIdent, strings } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { defaultConstraintName, liveTable } from './_locking';
import { constraintRange, inTransactionBlock, keyConstraints, parenListAfter, relationRange, type KeyConstraint, type ParenList } from './_tenancy';

/** True when the schema already has a relation (table or index) of that name somewhere in the workspace. */
function nameTaken(catalog: Catalog, schema: string, name: string): boolean {
  if (catalog.tables.has(`${schema}.${name}`)) return true;
  return catalog.indexes.some((i) => i.name === name && i.table.schema === schema);
}

/** The INCLUDE (…) list right after the key list, if any. */
function includeList(st: Statement, keys: ParenList): ParenList | undefined {
  const code = st.codeTokens();
  const i = code.findIndex((t) => t.start >= keys.end);
  return i >= 0 && code[i].keyword === 'INCLUDE' ? parenListAfter(st, code[i].end) : undefined;
}

/**
 * The fix: the statement becomes `CREATE UNIQUE INDEX CONCURRENTLY …;` and `ALTER TABLE … ADD CONSTRAINT … USING
 * INDEX …`, the index named as the constraint (PostgreSQL's name for it when unnamed). Only for a statement of that
 * one command, outside a transaction block, in a .sql file, whose constraint carries no options the index would
 * need spelled differently (WITH, USING INDEX TABLESPACE, DEFERRABLE), and whose name is free.
 */
function fixOf(st: Statement, catalog: Catalog, table: TableInfo, k: KeyConstraint, name: string): Fix | undefined {
  const b = st.body;
  const c = k.node;
  if (st.file.host || b.missing_ok || (b.cmds ?? []).length !== 1 || inTransactionBlock(st)) return undefined;
  if (c.deferrable || c.initdeferred || c.options?.length || c.indexspace) return undefined;
  if (!c.conname && nameTaken(catalog, table.schema, name)) return undefined;
  const range = constraintRange(st, k);
  const rel = relationRange(st, b.relation);
  const code = st.codeTokens();
  if (!range?.list || !rel || code.length === 0) return undefined;
  const text = st.file.text;
  const cols = (l: ParenList) => l.items.map((it) => text.slice(it.start, it.end)).join(', ');
  const include = includeList(st, range.list);
  const index = quoteIdent(name);
  const create =
    `CREATE UNIQUE INDEX CONCURRENTLY ${index} ON ${text.slice(rel.start, rel.end)} (${cols(range.list)})` +
    (include ? ` INCLUDE (${cols(include)})` : '') +
    (c.nulls_not_distinct ? ' NULLS NOT DISTINCT' : '');
  const alter = `${text.slice(code[0].start, rel.end)} ADD CONSTRAINT ${index} ${k.primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${index}`;
  const last = code[code.length - 1];
  return {
    title: 'Build the index CONCURRENTLY, then add the constraint USING INDEX',
    edits: [{ start: code[0].start, end: last.end, newText: `${create};\n${alter}` }],
  };
}

export const uniqueConstraintIndex = defineRule({
  // Reads the file's earlier statements (an open BEGIN, the table's CREATE in this migration).
  crossStatement: true,
  meta: {
    id: 'unique-constraint-index',
    category: 'locking',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'ADD UNIQUE / PRIMARY KEY on a table an earlier migration created: the index is built under an ACCESS EXCLUSIVE lock.',
      why:
        'ALTER TABLE … ADD UNIQUE / ADD PRIMARY KEY builds the constraint\u2019s unique index while holding an ACCESS ' +
        'EXCLUSIVE lock on the table: no reads and no writes for the whole build, which on a large table takes ' +
        'minutes. Built first with `CREATE UNIQUE INDEX CONCURRENTLY` (reads and writes go on), the index becomes ' +
        'the constraint with `ADD CONSTRAINT … USING INDEX`, which holds the lock only for the catalog change. The ' +
        'rule reads the workspace as a migration history and fires only on a table an earlier migration created ' +
        '(not one created or shown empty by the same migration: file or Liquibase changeset, or the baseline schema/ folder beside migrations/); not on ' +
        '`USING INDEX`, on a UNIQUE / PRIMARY KEY declared with a column in ADD COLUMN (the column is new: there is ' +
        'no index to build first), or on a partitioned table (CREATE INDEX CONCURRENTLY is not supported there).',
      fix:
        'Build the index with CREATE UNIQUE INDEX CONCURRENTLY, then `ALTER TABLE … ADD CONSTRAINT <name> UNIQUE ' +
        '(or PRIMARY KEY) USING INDEX <name>`. The quick fix rewrites the statement into those two, with the index ' +
        'named as the constraint (the name PostgreSQL would give it when unnamed: `<table>_pkey`, ' +
        '`<table>_<columns>_key`), key and INCLUDE columns and NULLS NOT DISTINCT carried over; it is not offered ' +
        'for a statement with other commands, a constraint with WITH (…), USING INDEX TABLESPACE or DEFERRABLE, a ' +
        'name the workspace already uses, inside an explicit BEGIN … COMMIT, or in SQL embedded in code. CREATE ' +
        'INDEX CONCURRENTLY cannot run inside a transaction block: run the migration without one (Liquibase ' +
        '`runInTransaction:false`, sqlx `-- no-transaction`, or a migration of its own). A duplicate makes the ' +
        'build fail and leaves an INVALID index to drop. For PRIMARY KEY, make the columns NOT NULL first ' +
        '(set-not-null tells how without a long lock): otherwise ADD CONSTRAINT scans the table to set them.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, session_id uuid);\n\n' +
        '-- a later release: sessions holds data by now\n--changeset alice:2\n' +
        'ALTER TABLE sessions ADD CONSTRAINT sessions_session_key UNIQUE (session_id);',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, session_id uuid);\n\n' +
        '--changeset alice:2 runInTransaction:false\n' +
        'CREATE UNIQUE INDEX CONCURRENTLY sessions_session_key ON sessions (session_id);\n' +
        'ALTER TABLE sessions ADD CONSTRAINT sessions_session_key UNIQUE USING INDEX sessions_session_key;',
    },
    messages: {
      buildsUnderLock:
        'ADD {{what}} on table {{table}} (created in {{createdIn}}) builds its unique index while holding an ACCESS EXCLUSIVE lock ' +
        '(no reads or writes until the build ends). Build it first with CREATE UNIQUE INDEX CONCURRENTLY {{name}} (it cannot run inside a ' +
        'transaction block), then ADD CONSTRAINT {{name}} {{what}} USING INDEX {{name}}.',
      inTransactionBlock:
        'ADD {{what}} on table {{table}} (created in {{createdIn}}) builds its unique index while holding an ACCESS EXCLUSIVE lock ' +
        '(no reads or writes until the build ends). Build it first with CREATE UNIQUE INDEX CONCURRENTLY {{name}}, outside the explicit ' +
        'transaction block (it cannot run inside one), then ADD CONSTRAINT {{name}} {{what}} USING INDEX {{name}}.',
      primaryKey:
        'ADD {{what}} on table {{table}} (created in {{createdIn}}) builds its unique index while holding an ACCESS EXCLUSIVE lock ' +
        '(no reads or writes until the build ends). Build it first with CREATE UNIQUE INDEX CONCURRENTLY {{name}} (it cannot run inside a ' +
        'transaction block), then ADD CONSTRAINT {{name}} {{what}} USING INDEX {{name}}. ' +
        'Make its columns NOT NULL first, or ADD CONSTRAINT scans the table to set them under the lock.',
      primaryKeyInTransactionBlock:
        'ADD {{what}} on table {{table}} (created in {{createdIn}}) builds its unique index while holding an ACCESS EXCLUSIVE lock ' +
        '(no reads or writes until the build ends). Build it first with CREATE UNIQUE INDEX CONCURRENTLY {{name}}, outside the explicit ' +
        'transaction block (it cannot run inside one), then ADD CONSTRAINT {{name}} {{what}} USING INDEX {{name}}. ' +
        'Make its columns NOT NULL first, or ADD CONSTRAINT scans the table to set them under the lock.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'AlterTableStmt' || !st.treeMayMatch(/"CONSTR_(?:UNIQUE|PRIMARY)"/)) return;
    const keys = keyConstraints(st).filter((k) => !k.columnConstraint);
    if (keys.length === 0) return;
    const table = liveTable(st, catalog, st.body.relation);
    if (!table || table.partition) return;
    const inBlock = inTransactionBlock(st);
    for (const k of keys) {
      const range = constraintRange(st, k);
      if (!range) continue;
      const keyword = st.codeTokens().find((t) => t.start >= range.start && (t.keyword === 'UNIQUE' || t.keyword === 'KEY'));
      // PostgreSQL names a constraint's index after its key and INCLUDE columns.
      const columns = [...k.columns, ...strings(k.node.including)];
      const name: string = k.node.conname ?? defaultConstraintName(table.name, k.primary ? 'pkey' : 'key', columns);
      report({
        start: range.start,
        end: keyword?.end ?? range.end,
        messageId: k.primary ? (inBlock ? 'primaryKeyInTransactionBlock' : 'primaryKey') : inBlock ? 'inTransactionBlock' : 'buildsUnderLock',
        data: {
          what: k.primary ? 'PRIMARY KEY' : 'UNIQUE',
          table: table.schema === 'public' ? table.name : `${table.schema}.${table.name}`,
          createdIn: table.created!.file.path,
          name: quoteIdent(name),
        },
        fix: fixOf(st, catalog, table, k, name),
      });
    }
  },
});

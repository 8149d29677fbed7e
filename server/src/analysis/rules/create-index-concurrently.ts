import { as, type Node } from '../ast';
import type { QName } from '../catalog';
import { migrationKey, sameMigration } from '../migration-order';

const sameFolder = (a: string, b: string) => migrationKey(a).base === migrationKey(b).base;
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { displayName, inTransactionBlock, indexHead } from './_tenancy';
import { Attached } from '../attached';

/** Same relation name (as written, schema aside: a mismatch only makes the rule quieter). */
const names = (rv: Node | undefined, relname: string) => rv?.relname === relname;

/**
 * True when an earlier statement of the file proves the table empty: ALTER TABLE … ADD COLUMN … NOT NULL without
 * a DEFAULT fails on a table that has rows, so after it the table has none, and an index on it blocks nothing.
 */
function provenEmpty(st: Statement, relname: string): boolean {
  for (const s of st.file.statements) {
    if (s === st) return false;
    if (s.kind !== 'AlterTableStmt' || !s.hasAst || !names(s.body.relation, relname)) continue;
    for (const raw of s.body.cmds ?? []) {
      const cmd = as(raw, 'AlterTableCmd');
      // ADD COLUMN IF NOT EXISTS may do nothing (the column is there), and then proves nothing.
      const def = cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok ? as(cmd.def, 'ColumnDef') : undefined;
      if (!def) continue;
      const kinds = (def.constraints ?? []).map((c: Node) => as(c, 'Constraint')?.contype);
      if (kinds.includes('CONSTR_NOTNULL') && !kinds.some((k: string) => k === 'CONSTR_DEFAULT' || k === 'CONSTR_IDENTITY' || k === 'CONSTR_GENERATED'))
        return true;
    }
  }
  return false;
}

/**
 * True when the file (the changeset) itself creates the relation before the statement, also with IF NOT EXISTS (skipped when an
 * earlier migration made it): a script written to create its table may be the one that does (idempotent scripts).
 */
function createdEarlierInFile(st: Statement, table: QName): boolean {
  for (const s of st.file.statements) {
    if (s === st) return false;
    const rv: Node | undefined = s.kind === 'CreateStmt' ? s.body.relation : s.kind === 'CreateTableAsStmt' ? s.body.into?.rel : undefined;
    if (
      rv?.relname === table.name &&
      (rv.schemaname ?? s.searchPath[0] ?? 'public') === table.schema &&
      changesetAt(st.file, s.start) === changesetAt(st.file, st.start)
    )
      return true;
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

const LIQUIBASE = /^\s*--\s*liquibase\s+formatted\s+sql\b/i;
const CHANGESET = /^[ \t]*--[ \t]*changeset[ \t]+\S+/gim;
const changesets = new Attached<object, number[]>('changesetStarts');

/**
 * The migration a statement belongs to inside its file: a Liquibase formatted-SQL file holds many changesets
 * (`--changeset author:id`), each applied once, in its own transaction, as the file grows over releases; any
 * other file is one migration. Returns the offset of the changeset comment before `offset`, or 0.
 */
function changesetAt(file: { text: string }, offset: number): number {
  let starts = changesets.get(file);
  if (!starts) {
    starts = LIQUIBASE.test(file.text) ? [...file.text.matchAll(CHANGESET)].map((m) => m.index!) : [];
    changesets.set(file, starts);
  }
  let at = 0;
  for (const s of starts) if (s < offset) at = s;
  return at;
}

/** True when the relation was created by the migration this statement belongs to (so it is new and empty). */
function sameMigrationAs(created: { file: { path: string }; start: number }, st: Statement): boolean {
  if (created.file.path === st.file.path) return changesetAt(st.file, st.start) === changesetAt(st.file, created.start);
  return sameMigration(created.file.path, st.file.path);
}

export const createIndexConcurrently = defineRule({
  meta: {
    id: 'create-index-concurrently',
    category: 'locking',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'CREATE INDEX without CONCURRENTLY on a table an earlier migration created (a migration on a live table).',
      why:
        'A plain CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table ' +
        'waits until the index is built, which on a large live table (and HNSW builds on vector tables take minutes) ' +
        'is an outage. `CREATE INDEX CONCURRENTLY` builds the index while writes continue, as the tuning guide does ' +
        'for its online rebuilds (`REINDEX INDEX CONCURRENTLY`, PostgreSQL 12+). The rule reads the workspace as a ' +
        'migration history (files in version order) and fires only when the table (or materialized view: the build ' +
        'blocks its REFRESH) was created by an earlier migration, so that it may hold data by now: another file, or ' +
        'an earlier changeset of a Liquibase formatted-SQL file. It is left alone when the relation was created by ' +
        'the same migration (the same file or changeset, another file of the same version, or under another name ' +
        'and renamed), when the same migration first adds a NOT NULL column without a default (PostgreSQL rejects ' +
        'that on a table with rows, so the table is empty), when a DO block before it names the table (what it does ' +
        'is unknown), on a table unknown to the workspace or created only later, on a temporary table, and on a ' +
        'partitioned parent table: PostgreSQL does not support CONCURRENTLY there ("cannot create index on ' +
        'partitioned table concurrently"; create the index CONCURRENTLY on each partition and then ON ONLY the ' +
        'parent, and ATTACH them).',
      fix:
        'Add CONCURRENTLY (the quick fix inserts it after INDEX, before IF NOT EXISTS). CREATE INDEX CONCURRENTLY ' +
        'cannot run inside a transaction block: run the migration without one (Liquibase `runInTransaction:false`, ' +
        'sqlx `-- no-transaction`, or a migration of its own, as the tool allows), and a failed build leaves an ' +
        'INVALID index to drop; inside an explicit BEGIN … COMMIT the finding says so and offers no fix.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, status text);\n\n' +
        '-- a later release: sessions holds data by now\n--changeset alice:2\n' +
        'CREATE INDEX idx_sessions_tenant_status ON sessions (tenant_id, status);',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, status text);\n\n' +
        '--changeset alice:2 runInTransaction:false\n' +
        'CREATE INDEX CONCURRENTLY idx_sessions_tenant_status ON sessions (tenant_id, status);',
    },
    messages: {
      inTransactionBlock:
        'CREATE INDEX on {{what}} {{name}} (created in {{createdIn}}) without CONCURRENTLY {{blocks}} until the index is built. ' +
        'Use CREATE INDEX CONCURRENTLY, outside the explicit transaction block (it cannot run inside one).',
      notConcurrent:
        'CREATE INDEX on {{what}} {{name}} (created in {{createdIn}}) without CONCURRENTLY {{blocks}} until the index is built. ' +
        'Use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction block).',
    },
  },
  crossStatement: true,
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'IndexStmt') return;
    const b = st.body;
    if (b.concurrent) return;
    // The relation as the migration history has it at this statement: renamed, dropped and re-created tables,
    // materialized views and CREATE TABLE AS included.
    const table = catalog.resolveRangeVar(b.relation, st);
    const created = table?.created;
    if (!table || !created || table.kind === 'view') return;
    // Only a relation that an earlier migration created holds data by now; one created in this migration (this
    // file, or another file of the same version) is new and empty, and one created later is of unknown order.
    if (sameMigrationAs(created, st)) return;
    // Created by a later migration of the same folder: the history says the table is new when this runs. Files of
    // different folders (a schema/ folder beside migrations/) have no order between them: the table is taken as
    // the schema has it.
    if (catalog.inHistory(st.file.path) && sameFolder(created.file.path, st.file.path) && !catalog.before(created, st)) return;
    if (table.partition) return; // CONCURRENTLY is not supported on partitioned tables.
    if (created.body?.relation?.relpersistence === 't' || created.body?.into?.rel?.relpersistence === 't') return; // a temporary table is private to its session
    const rel = b.relation.relname;
    if (createdEarlierInFile(st, table) || provenEmpty(st, rel) || touchedByDoBlock(st, rel)) return;
    const head = indexHead(st);
    if (!head) return;
    const name = displayName(b.relation);
    const what = table.kind === 'matview' ? 'materialized view' : 'table';
    const blocks = table.kind === 'matview' ? 'blocks REFRESH MATERIALIZED VIEW of it' : 'blocks every write to the table';
    const data = { what, name, createdIn: created.file.path, blocks };
    if (inTransactionBlock(st)) {
      report({ start: head.start, end: head.indexEnd, messageId: 'inTransactionBlock', data });
      return;
    }
    report({
      start: head.start,
      end: head.indexEnd,
      messageId: 'notConcurrent',
      data,
      fix: { title: 'Add CONCURRENTLY', edits: [{ start: head.indexEnd, end: head.indexEnd, newText: ' CONCURRENTLY' }] },
    });
  },
});

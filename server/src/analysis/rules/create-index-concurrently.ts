import type { Node } from '../ast';
import type { TableInfo } from '../catalog';
import type { Statement } from '../parse';
import type { Rule } from '../rule';
import { displayName, indexHead } from './_tenancy';

/** True when this file creates the table itself (before or after the statement): a new table, not a live one. */
function createdInFile(st: Statement, table: TableInfo): boolean {
  return st.file.statements.some((s) => {
    if (s.kind !== 'CreateStmt' && s.kind !== 'CreateTableAsStmt') return false;
    const rv: Node | undefined = s.kind === 'CreateStmt' ? s.body.relation : s.body.into?.rel;
    if (!rv?.relname) return false;
    const schema = rv.schemaname ?? s.searchPath[0] ?? 'public';
    return schema === table.schema && rv.relname === table.name;
  });
}

/** True when an explicit BEGIN / START TRANSACTION earlier in the file is still open at the statement. */
function inTransactionBlock(st: Statement): boolean {
  let open = false;
  for (const s of st.file.statements) {
    if (s === st) break;
    if (s.kind !== 'TransactionStmt') continue;
    switch (s.body.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        open = true;
        break;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_ROLLBACK':
      case 'TRANS_STMT_PREPARE':
        if (!s.body.chain) open = false;
        break;
    }
  }
  return open;
}

export const createIndexConcurrently: Rule = {
  meta: {
    id: 'create-index-concurrently',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'CREATE INDEX without CONCURRENTLY on a table created in another file (a migration on a live table).',
      why:
        'A plain CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table ' +
        'waits until the index is built, which on a large live table (and HNSW builds on vector tables take minutes) ' +
        'is an outage. `CREATE INDEX CONCURRENTLY` builds the index while writes continue, as the tuning guide does ' +
        'for its online rebuilds (`REINDEX INDEX CONCURRENTLY`, PostgreSQL 12+). The rule fires only when the table ' +
        'is created in another file, i.e. the index is added by a later migration to a table that may already hold ' +
        'data; an index created in the same file as its table, on a table unknown to the workspace, or on a ' +
        'partitioned parent table is left alone: PostgreSQL does not support CONCURRENTLY on partitioned tables ' +
        '("cannot create index on partitioned table concurrently"; create the index CONCURRENTLY on each partition ' +
        'and then ON ONLY the parent, and ATTACH them).',
      fix:
        'Add CONCURRENTLY (the quick fix inserts it after INDEX, before IF NOT EXISTS). CREATE INDEX CONCURRENTLY ' +
        'cannot run inside a transaction block (run the migration without one, or in its own step) and a failed ' +
        'build leaves an INVALID index to drop; inside an explicit BEGIN … COMMIT the finding says so and offers no fix.',
      bad: '-- migrations/002_sessions_status.sql (sessions is created in 001_init.sql)\nCREATE INDEX idx_sessions_tenant_status ON sessions (tenant_id, status);',
      good: '-- migrations/002_sessions_status.sql\nCREATE INDEX CONCURRENTLY idx_sessions_tenant_status ON sessions (tenant_id, status);',
    },
  },
  crossStatement: true,
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'IndexStmt') return;
    const b = st.body;
    if (b.concurrent) return;
    const table = catalog.resolveRangeVar(b.relation, st);
    const created = table?.created;
    if (!table || !created || created.file.path === st.file.path) return;
    if (table.partition) return; // CONCURRENTLY is not supported on partitioned tables.
    if (created.body?.relation?.relpersistence === 't') return; // a temporary table is private to its session
    if (createdInFile(st, table)) return;
    const head = indexHead(st);
    if (!head) return;
    const name = displayName(b.relation);
    const where = `${created.file.path}`;
    const base =
      `CREATE INDEX on ${name} (created in ${where}) without CONCURRENTLY blocks every write to the table until the ` +
      `index is built.`;
    if (inTransactionBlock(st)) {
      report({
        start: head.start,
        end: head.indexEnd,
        message: `${base} Use CREATE INDEX CONCURRENTLY, outside the explicit transaction block (it cannot run inside one).`,
      });
      return;
    }
    report({
      start: head.start,
      end: head.indexEnd,
      message: `${base} Use CREATE INDEX CONCURRENTLY (it cannot run inside a transaction block).`,
      fix: { title: 'Add CONCURRENTLY', edits: [{ start: head.indexEnd, end: head.indexEnd, newText: ' CONCURRENTLY' }] },
    });
  },
};

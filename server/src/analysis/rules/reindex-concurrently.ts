import { as, type Node } from '../ast';
import { defineRule } from '../rule';
import { inTransactionBlock } from './_tenancy';

/** REINDEX targets that accept CONCURRENTLY (SYSTEM does not). */
const KINDS: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'INDEX',
  REINDEX_OBJECT_TABLE: 'TABLE',
  REINDEX_OBJECT_SCHEMA: 'SCHEMA',
  REINDEX_OBJECT_DATABASE: 'DATABASE',
};

/** Schemas of system catalogs, which PostgreSQL never reindexes concurrently. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'pg_toast']);

/**
 * True when the target may be a system catalog: in pg_catalog / pg_toast, or an unqualified `pg_…` name
 * (pg_catalog comes first in every search_path, so `pg_class` is the catalog's). `REINDEX … CONCURRENTLY` of
 * one fails ("cannot reindex system catalogs concurrently"), so a plain REINDEX is the only one there is.
 */
function systemTarget(b: Node): boolean {
  if (b.kind === 'REINDEX_OBJECT_SCHEMA') return SYSTEM_SCHEMAS.has(String(b.name ?? ''));
  const rv = b.relation;
  if (!rv?.relname) return false;
  return rv.schemaname ? SYSTEM_SCHEMAS.has(rv.schemaname) : /^pg_/.test(rv.relname);
}

export const reindexConcurrently = defineRule({
  // Reads the file's earlier statements (an open BEGIN).
  crossStatement: true,
  meta: {
    id: 'reindex-concurrently',
    category: 'locking',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'REINDEX without CONCURRENTLY.',
      why:
        'A plain REINDEX takes a lock that blocks writes to the table (and reads that would use the index) for the ' +
        'whole rebuild. The tuning guide rebuilds HNSW indexes after bulk inserts (more than 10 % new vectors) with ' +
        '`REINDEX INDEX CONCURRENTLY`, which lets queries run during the rebuild (PostgreSQL 12+).',
      fix:
        'Add CONCURRENTLY (the quick fix does; inside an explicit BEGIN … COMMIT there is no quick fix, since the ' +
        'statement has to move out of the block). System catalogs (pg_catalog, pg_toast) cannot be reindexed ' +
        'concurrently and are not flagged. It cannot run inside a transaction block and takes longer; ' +
        'a failed concurrent rebuild leaves an INVALID index to drop.',
      bad: 'REINDEX INDEX idx_vector_768_hnsw;',
      good: 'REINDEX INDEX CONCURRENTLY idx_vector_768_hnsw;',
    },
    messages: {
      inTransactionBlock:
        'REINDEX {{keyword}} without CONCURRENTLY blocks writes to the table for the whole rebuild; use REINDEX {{keyword}} CONCURRENTLY, ' +
        'outside the explicit transaction block (it cannot run inside one).',
      notConcurrent: 'REINDEX {{keyword}} without CONCURRENTLY blocks writes to the table for the whole rebuild; use REINDEX {{keyword}} CONCURRENTLY.',
    },
  },
  check({ statement, report }) {
    if (statement.kind !== 'ReindexStmt') return;
    const b = statement.body;
    const keyword = KINDS[b.kind];
    if (!keyword) return;
    const concurrent = (b.params ?? []).some((p: unknown) => as(p, 'DefElem')?.defname === 'concurrently');
    if (concurrent || systemTarget(b)) return;
    const tokens = statement.codeTokens();
    const kindToken = tokens.find((t) => t.keyword === keyword);
    const first = tokens[0];
    if (!first) return;
    const end = kindToken ? kindToken.end : first.end;
    // Inside BEGIN … COMMIT the concurrent form fails: the advice needs the statement moved out, no quick fix.
    if (inTransactionBlock(statement)) {
      report({ start: first.start, end, messageId: 'inTransactionBlock', data: { keyword } });
      return;
    }
    report({
      start: first.start,
      end,
      messageId: 'notConcurrent',
      data: { keyword },
      fix: kindToken ? { title: 'Add CONCURRENTLY', edits: [{ start: kindToken.end, end: kindToken.end, newText: ' CONCURRENTLY' }] } : undefined,
    });
  },
});

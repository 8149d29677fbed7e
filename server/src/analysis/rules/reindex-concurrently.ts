import { as } from '../ast';
import type { Rule } from '../rule';

/** REINDEX targets that accept CONCURRENTLY (SYSTEM does not). */
const KINDS: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'INDEX',
  REINDEX_OBJECT_TABLE: 'TABLE',
  REINDEX_OBJECT_SCHEMA: 'SCHEMA',
  REINDEX_OBJECT_DATABASE: 'DATABASE',
};

export const reindexConcurrently: Rule = {
  meta: {
    id: 'reindex-concurrently',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'REINDEX without CONCURRENTLY.',
      why:
        'A plain REINDEX takes a lock that blocks writes to the table (and reads that would use the index) for the ' +
        'whole rebuild. The tuning guide rebuilds HNSW indexes after bulk inserts (more than 10 % new vectors) with ' +
        '`REINDEX INDEX CONCURRENTLY`, which lets queries run during the rebuild (PostgreSQL 12+).',
      fix:
        'Add CONCURRENTLY (the quick fix does). It cannot run inside a transaction block and takes longer; ' +
        'a failed concurrent rebuild leaves an INVALID index to drop.',
      bad: 'REINDEX INDEX idx_vector_768_hnsw;',
      good: 'REINDEX INDEX CONCURRENTLY idx_vector_768_hnsw;',
    },
  },
  check({ statement, report }) {
    if (statement.kind !== 'ReindexStmt') return;
    const b = statement.body;
    const keyword = KINDS[b.kind];
    if (!keyword) return;
    const concurrent = (b.params ?? []).some((p: unknown) => as(p, 'DefElem')?.defname === 'concurrently');
    if (concurrent) return;
    const tokens = statement.codeTokens();
    const kindToken = tokens.find((t) => t.keyword === keyword);
    const first = tokens[0];
    if (!first) return;
    const end = kindToken ? kindToken.end : first.end;
    report({
      start: first.start,
      end,
      message: `REINDEX ${keyword} without CONCURRENTLY blocks writes to the table for the whole rebuild; use REINDEX ${keyword} CONCURRENTLY.`,
      fix: kindToken ? { title: 'Add CONCURRENTLY', edits: [{ start: kindToken.end, end: kindToken.end, newText: ' CONCURRENTLY' }] } : undefined,
    });
  },
};

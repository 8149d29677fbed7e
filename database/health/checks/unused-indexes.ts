import { type HealthCheck, type HealthFinding } from '../types';
import { bytesText, num, qualified, str, USER_SCHEMAS } from '../sql';

/** Statistics younger than this make "never scanned" weak evidence: the finding is info, not a warning. */
const YOUNG_STATS_DAYS = 7;

export const unusedIndexes: HealthCheck = {
  id: 'unused-indexes',
  title: 'Indexes never scanned (idx_scan = 0), not unique and not a primary key',
  category: 'indexes',
  reads: ['pg_stat_user_indexes', 'pg_index', 'pg_constraint', 'pg_inherits', 'pg_stat_database'],
  notEmbedded: 'the embedded database has run no queries, so every index would look unused',
  guide: { section: 'Monitoring & Benchmarking › Key Metrics', threshold: 'idx_scan = 0: unused indexes waste space' },
  docs: {
    why: 'An index nobody scans still costs: every INSERT, and every UPDATE that is not HOT, writes to it; it takes disk, shared_buffers and VACUUM time. The guide lists indexes with idx_scan = 0 as waste.',
    fix: 'Drop it with `DROP INDEX CONCURRENTLY` (no long lock; it cannot run inside a transaction). Unique indexes, primary keys, indexes behind a constraint or the replica identity, and indexes of partitions are never reported: they enforce something or cannot be dropped alone.',
    notApplicable: `The counts start at the last statistics reset (the evidence gives it): an index used only by a monthly report, or only on a standby (each server counts its own scans), looks unused. When the statistics are younger than ${YOUNG_STATS_DAYS} days the finding is info only.`,
  },
  async run({ session }) {
    const since = await session.query(
      `SELECT stats_reset, extract(epoch FROM now() - stats_reset)::float8 / 86400 AS days FROM pg_stat_database WHERE datname = current_database()`,
    );
    const reset = since.rows[0]?.stats_reset;
    const days = reset === null || reset === undefined ? undefined : num(since.rows[0].days);
    const { rows } = await session.query(
      `SELECT s.schemaname, s.relname, s.indexrelname, pg_relation_size(s.indexrelid)::float8 AS bytes
         FROM pg_stat_user_indexes s
         JOIN pg_index i ON i.indexrelid = s.indexrelid
         JOIN pg_class c ON c.oid = s.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE s.idx_scan = 0 AND ${USER_SCHEMAS}
          AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisreplident AND i.indisvalid
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = s.indexrelid)
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = s.indexrelid)
        ORDER BY 4 DESC, 1, 3`,
    );
    const young = days !== undefined && days < YOUNG_STATS_DAYS;
    const sinceText = days === undefined ? 'since the statistics began (never reset)' : `in the ${Math.round(days * 10) / 10} days since ${str(reset)}`;
    const findings: HealthFinding[] = rows.map((r) => {
      const index = qualified(str(r.schemaname), str(r.indexrelname));
      const bytes = num(r.bytes);
      return {
        severity: young ? 'info' : 'warning',
        object: index,
        message: `index ${index} on ${qualified(str(r.schemaname), str(r.relname))} (${bytesText(bytes)}) was never scanned ${sinceText}${young ? `: statistics younger than ${YOUNG_STATS_DAYS} days are weak evidence` : ''}`,
        evidence: { index, table: qualified(str(r.schemaname), str(r.relname)), idxScan: 0, bytes, statsReset: reset ? str(reset) : null },
        fix: `DROP INDEX CONCURRENTLY ${index};`,
      };
    });
    return { findings };
  },
};

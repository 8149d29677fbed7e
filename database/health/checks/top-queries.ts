import { DatabaseError } from '../../connection/types';
import { type HealthCheck, skipped } from '../types';
import { HEALTH_QUERY_MARK, num, queryText, quoteIdentIfNeeded, str } from '../sql';

/** The slowest p99 target of the guide's latency table (temporal point-in-time query). */
const MEAN_MS = 25;
const TOP = 10;

export const topQueries: HealthCheck = {
  id: 'top-queries',
  title: 'Top statements by total time (pg_stat_statements) slower than the guide’s latency targets',
  category: 'queries',
  reads: ['pg_stat_statements'],
  minVersion: 130000,
  needs: "the pg_stat_statements extension (shared_preload_libraries and CREATE EXTENSION), and superuser or pg_read_all_stats to read other roles' statements",
  notEmbedded: 'the embedded database does not load pg_stat_statements',
  guide: {
    section: 'Monitoring & Benchmarking › Key Metrics',
    threshold: `the top statements by mean_exec_time × calls; a mean above ${MEAN_MS} ms exceeds the slowest p99 target of Performance Targets › Latency Targets`,
  },
  docs: {
    why: `pg_stat_statements sums the time of every statement by its normalised text: the statements at the top of mean_exec_time × calls are where the server's time goes. The guide reads the top 10; this check reports those among them whose mean time is above ${MEAN_MS} ms, the slowest p99 in the guide's latency targets, so a statement the application runs on the hot path is slower on average than the target allows its slowest 1 %.`,
    fix: 'EXPLAIN the statement with representative parameters (`pgperf explain --analyze`), then index, rewrite or cache it. The evidence carries the queryid and the normalised text.',
    notApplicable: `Reports and batch statements are meant to be slow; the latency targets are the guide's application's, not every workload's. The figures count from the last \`pg_stat_statements_reset()\`. Without pg_read_all_stats, other roles' statements have no text: the check is skipped.`,
  },
  async run({ session, extensions, readAllStats }) {
    const schema = extensions.get('pg_stat_statements');
    if (schema === undefined) {
      return skipped(
        'pg_stat_statements is not installed in this database: add it to shared_preload_libraries (restart), then CREATE EXTENSION pg_stat_statements',
      );
    }
    if (!readAllStats) return skipped("needs superuser or pg_read_all_stats to read other roles' statements (GRANT pg_read_all_stats TO the role)");
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await session.query(
        `SELECT queryid::text AS queryid, calls::float8 AS calls, total_exec_time::float8 AS total_ms, mean_exec_time::float8 AS mean_ms,
                rows::float8 AS rows, r.rolname, query
           FROM ${quoteIdentIfNeeded(schema)}.pg_stat_statements s LEFT JOIN pg_roles r ON r.oid = s.userid
          WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.query NOT LIKE $1
          ORDER BY total_exec_time DESC LIMIT ${TOP}`,
        [`${HEALTH_QUERY_MARK.replace(/[%_\\]/g, '\\$&')}%`],
      ));
    } catch (e) {
      // 55000: the extension is created but the library is not in shared_preload_libraries.
      if (e instanceof DatabaseError && e.code === '55000') {
        return skipped('pg_stat_statements is installed but not loaded: add it to shared_preload_libraries and restart the server');
      }
      throw e;
    }
    return {
      findings: rows
        .filter((r) => num(r.mean_ms) > MEAN_MS)
        .map((r) => {
          const mean = Math.round(num(r.mean_ms) * 100) / 100;
          return {
            severity: 'warning' as const,
            object: `queryid ${str(r.queryid)}`,
            message: `${num(r.calls)} calls averaging ${mean} ms (${Math.round(num(r.total_ms))} ms in total), above the guide's ${MEAN_MS} ms: ${queryText(r.query, 120) ?? ''}`,
            evidence: {
              queryid: str(r.queryid),
              calls: num(r.calls),
              meanMs: mean,
              totalMs: Math.round(num(r.total_ms) * 100) / 100,
              rows: num(r.rows),
              user: str(r.rolname) || null,
              query: queryText(r.query, 1000),
            },
          };
        }),
    };
  },
};

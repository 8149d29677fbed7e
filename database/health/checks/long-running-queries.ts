import { type HealthCheck, skipped } from '../types';
import { num, queryText, str } from '../sql';

const SECONDS = 5;

export const longRunningQueries: HealthCheck = {
  id: 'long-running-queries',
  title: 'Queries running for more than 5 seconds',
  category: 'sessions',
  reads: ['pg_stat_activity'],
  needs: "superuser or pg_read_all_stats (other roles' sessions are hidden otherwise)",
  notEmbedded: 'the embedded database serves one session: pgperf itself',
  guide: {
    section: 'Connection Pool Optimization › Pool Exhaustion Monitoring',
    threshold: 'state != idle and now() - query_start > 5 seconds: long-running queries may be blocking the pool',
  },
  docs: {
    why: 'A query that runs for seconds holds a pooled connection the whole time, may hold locks others wait for, and keeps the xmin horizon back so VACUUM cannot reclaim rows deleted since it started. The guide lists active queries older than 5 seconds as the ones that exhaust a pool.',
    fix: 'Look at the query (EXPLAIN it: `pgperf explain --analyze`), give it an index or a limit, or move it to a replica or a batch window. The finding shows `pg_cancel_backend(pid)` to stop it; pgperf never runs it. `statement_timeout` on the application role bounds them for good.',
    notApplicable:
      'Reports, migrations, VACUUM, CREATE INDEX and other maintenance are meant to run long; so is a session that streams with COPY. Without pg_read_all_stats the check is skipped rather than judging only its own sessions.',
  },
  async run({ session, readAllStats }) {
    if (!readAllStats) return skipped("needs superuser or pg_read_all_stats to see other roles' sessions (GRANT pg_read_all_stats TO the role)");
    const { rows } = await session.query(
      `SELECT pid, usename, application_name, extract(epoch FROM clock_timestamp() - query_start)::float8 AS seconds, wait_event_type, query
         FROM pg_stat_activity
        WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          AND query_start < clock_timestamp() - interval '${SECONDS} seconds'
        ORDER BY query_start`,
    );
    return {
      findings: rows.map((r) => {
        const seconds = Math.round(num(r.seconds) * 10) / 10;
        return {
          severity: 'warning' as const,
          object: `pid ${num(r.pid)}`,
          message: `pid ${num(r.pid)} (${str(r.usename) || 'unknown role'}) has been running one query for ${seconds} s: ${queryText(r.query, 120) ?? ''}`,
          evidence: {
            pid: num(r.pid),
            user: str(r.usename) || null,
            application: str(r.application_name) || null,
            seconds,
            waitEventType: str(r.wait_event_type) || null,
            query: queryText(r.query),
          },
          fix: `SELECT pg_cancel_backend(${num(r.pid)});`,
        };
      }),
    };
  },
};

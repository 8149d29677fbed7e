import { type HealthCheck, skipped } from '../types';
import { num, queryText, str } from '../sql';

const SECONDS = 5;

export const idleInTransaction: HealthCheck = {
  id: 'idle-in-transaction',
  title: 'Sessions idle in an open transaction for more than 5 seconds',
  category: 'sessions',
  reads: ['pg_stat_activity', 'pg_settings'],
  needs: "superuser or pg_read_all_stats (other roles' sessions are hidden otherwise)",
  notEmbedded: 'the embedded database serves one session: pgperf itself',
  guide: {
    section: 'Connection Pool Optimization › Pool Exhaustion Monitoring',
    threshold: 'a session that holds its connection for more than 5 seconds (the long-running threshold) without running anything',
  },
  docs: {
    why: 'A session idle inside a transaction does nothing but holds everything: its pooled connection, the locks it took, and a snapshot that stops VACUUM from reclaiming any row deleted since. A forgotten BEGIN in application code (an exception path that neither commits nor rolls back) is the usual cause.',
    fix: 'Fix the code path that leaves the transaction open; set `idle_in_transaction_session_timeout` so the server ends such sessions (the finding shows `ALTER SYSTEM SET` when it is off), and `pg_terminate_backend(pid)` to end this one now. pgperf runs neither.',
    notApplicable:
      'An interactive psql session a person is working in; a tool that holds a transaction on purpose (a consistent pg_dump uses a snapshot but stays active, not idle). Without pg_read_all_stats the check is skipped.',
  },
  async run({ session, readAllStats }) {
    if (!readAllStats) return skipped("needs superuser or pg_read_all_stats to see other roles' sessions (GRANT pg_read_all_stats TO the role)");
    const { rows } = await session.query(
      `SELECT pid, usename, application_name, state, extract(epoch FROM clock_timestamp() - state_change)::float8 AS seconds,
              extract(epoch FROM clock_timestamp() - xact_start)::float8 AS xact_seconds, query,
              current_setting('idle_in_transaction_session_timeout') AS timeout
         FROM pg_stat_activity
        WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()
          AND state_change < clock_timestamp() - interval '${SECONDS} seconds'
        ORDER BY state_change`,
    );
    return {
      findings: rows.map((r) => {
        const seconds = Math.round(num(r.seconds) * 10) / 10;
        const timeoutOff = str(r.timeout) === '0';
        return {
          severity: 'warning' as const,
          object: `pid ${num(r.pid)}`,
          message: `pid ${num(r.pid)} (${str(r.usename) || 'unknown role'}) has been ${str(r.state)} for ${seconds} s; its last statement: ${queryText(r.query, 120) ?? ''}`,
          evidence: {
            pid: num(r.pid),
            user: str(r.usename) || null,
            application: str(r.application_name) || null,
            state: str(r.state),
            idleSeconds: seconds,
            transactionSeconds: Math.round(num(r.xact_seconds) * 10) / 10,
            lastQuery: queryText(r.query),
            idleInTransactionSessionTimeout: str(r.timeout),
          },
          fix: `SELECT pg_terminate_backend(${num(r.pid)});${timeoutOff ? `\nALTER SYSTEM SET idle_in_transaction_session_timeout = '60s';\nSELECT pg_reload_conf();` : ''}`,
        };
      }),
    };
  },
};

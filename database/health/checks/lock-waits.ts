import { type HealthCheck } from '../types';
import { num, queryText, str } from '../sql';

export const lockWaits: HealthCheck = {
  id: 'lock-waits',
  title: 'Sessions waiting for a lock longer than deadlock_timeout',
  category: 'sessions',
  reads: ['pg_locks', 'pg_stat_activity', 'pg_blocking_pids()'],
  minVersion: 140000,
  notEmbedded: 'the embedded database serves one session: nothing can wait for a lock there',
  guide: {
    section: 'Monitoring & Benchmarking › Key Metrics',
    threshold:
      'lock contention should be minimal: a wait longer than deadlock_timeout (PostgreSQL then checks for a deadlock and, with log_lock_waits, logs it)',
  },
  docs: {
    why: 'A session waiting for a lock does nothing while holding its connection; behind an ACCESS EXCLUSIVE request (an ALTER TABLE) every later query on the table queues too. The guide wants lock contention minimal; a wait longer than deadlock_timeout (1 s by default) is the point where PostgreSQL itself starts treating it as suspect.',
    fix: 'Find the blocking sessions the finding names: usually a transaction left open (see idle-in-transaction) or a long query. End it, or make the waiting statement take a weaker lock (CREATE INDEX CONCURRENTLY, a NOT VALID constraint) or give up early (`SET lock_timeout`).',
    notApplicable:
      "Waits that are the application's design (a job queue's `SELECT … FOR UPDATE` without SKIP LOCKED waits by intent, an advisory lock used as a mutex). The query text of another role's session is shown only with pg_read_all_stats; the wait itself is visible to every role.",
  },
  async run({ session }) {
    const { rows } = await session.query(
      `SELECT l.pid, a.usename, l.locktype, l.mode, l.relation::regclass::text AS relation,
              pg_blocking_pids(l.pid)::text AS blockers,
              extract(epoch FROM clock_timestamp() - l.waitstart)::float8 AS seconds, a.query
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND l.waitstart < clock_timestamp() - current_setting('deadlock_timeout')::interval
        ORDER BY l.waitstart`,
    );
    return {
      findings: rows.map((r) => {
        const seconds = Math.round(num(r.seconds) * 10) / 10;
        const blockers = str(r.blockers).replace(/[{}]/g, '');
        const on = r.relation ? ` on ${str(r.relation)}` : ` (${str(r.locktype)})`;
        return {
          severity: 'warning' as const,
          object: `pid ${num(r.pid)}`,
          message: `pid ${num(r.pid)} has waited ${seconds} s for ${str(r.mode)}${on}, blocked by pid ${blockers || '(none left)'}`,
          evidence: {
            pid: num(r.pid),
            user: str(r.usename) || null,
            lockType: str(r.locktype),
            mode: str(r.mode),
            relation: r.relation ? str(r.relation) : null,
            blockedBy: blockers,
            waitedSeconds: seconds,
            query: queryText(r.query),
          },
        };
      }),
    };
  },
};

import { type HealthCheck, type HealthFinding } from '../types';
import { num } from '../sql';

const WARN = 0.7;
const ERROR = 0.9;

export const connections: HealthCheck = {
  id: 'connections',
  title: 'Connections in use against max_connections',
  category: 'sessions',
  reads: ['pg_stat_activity', 'pg_settings'],
  notEmbedded: 'the embedded database serves one session: pgperf itself',
  guide: {
    section: 'Connection Pool Optimization › Configuration',
    threshold: 'max_connections = pool_size × instances + admin_reserve + margin (20 × 3 + 10 + 30 = 100): the applications use at most 70 % of the slots',
  },
  docs: {
    why: "When every connection slot is taken the next client gets `FATAL: sorry, too many clients already`. The guide sizes max_connections so that the applications' pools use at most 70 of 100 slots, with 30 % left as margin (and 10 as an admin reserve). More client connections than that means pools larger than the `(cores × 2) + spindles` formula, or more application instances than planned. The check counts client backends against max_connections minus the slots reserved for superusers, warns above 70 % and reports an error above 90 %.",
    fix: "Shrink the application pools to the guide's formula (`(CPU cores × 2) + effective spindle count`, e.g. 17 → 20 for 8 cores on SSD), put PgBouncer in front when more than 100 application connections are needed, and close idle connections (the guide: idle for more than 10 minutes are candidates for a timeout). Raising max_connections costs memory per connection (work_mem each) and needs a restart.",
    notApplicable:
      'A moment of peak load (a deploy that briefly doubles the instances) is not a trend: the check reads one moment. Connections of replication and background workers are not counted.',
  },
  async run({ session }) {
    const { rows } = await session.query(
      `SELECT count(*) FILTER (WHERE backend_type = 'client backend')::int AS used,
              count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'idle' AND state_change < clock_timestamp() - interval '10 minutes')::int AS idle_long,
              current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS reserved,
              coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved_roles
         FROM pg_stat_activity`,
    );
    const r = rows[0];
    const used = num(r.used);
    const max = num(r.max);
    const available = Math.max(1, max - num(r.reserved) - num(r.reserved_roles));
    const ratio = used / available;
    const findings: HealthFinding[] = [];
    const evidence = { clientConnections: used, maxConnections: max, reservedConnections: max - available, usedPercent: Math.round(ratio * 1000) / 10 };
    if (ratio > WARN) {
      findings.push({
        severity: ratio > ERROR ? 'error' : 'warning',
        object: 'max_connections',
        message: `${used} client connections of ${available} available (max_connections ${max} minus ${max - available} reserved): ${evidence.usedPercent} %, above the guide's 70 %`,
        evidence,
      });
    }
    const idle = num(r.idle_long);
    if (idle > 0) {
      findings.push({
        severity: 'info',
        message: `${idle} connection${idle === 1 ? '' : 's'} idle for more than 10 minutes (the guide: candidates for an idle timeout in the pool)`,
        evidence: { idleOver10Minutes: idle, ...evidence },
      });
    }
    return { findings };
  },
};

import { type HealthCheck } from '../types';
import { num, qualified, str } from '../sql';

const MIN_DEAD = 10_000;

export const deadTuples: HealthCheck = {
  id: 'dead-tuples',
  title: 'Dead tuples piling up: more than 10,000 and no (auto)vacuum in 24 hours',
  category: 'vacuum',
  reads: ['pg_stat_user_tables', 'pg_class.reloptions'],
  notEmbedded: 'the embedded database has no write workload',
  guide: {
    section: 'VACUUM Strategy › Bloat Monitoring',
    threshold: 'dead tuples > 10K: check autovacuum is running; no autovacuum in 24 h: investigate the autovacuum settings',
  },
  docs: {
    why: "Dead tuples are row versions no transaction can see any more; until VACUUM reclaims them they take space, slow scans and, on a table whose indexes point at them, slow index scans too. The guide checks that autovacuum is keeping up: more than 10,000 dead tuples on a table that has not been vacuumed for 24 hours means it is not (switched off for the table, its thresholds too high for the table's size, or blocked by a long transaction).",
    fix: 'Run `VACUUM (ANALYZE)` on the table now; then find out why autovacuum did not: `autovacuum_enabled = false` on the table (the finding resets it), a scale factor too high for a big table (see autovacuum-settings), or an old transaction holding back the xmin horizon (see idle-in-transaction and long-running-queries).',
    notApplicable:
      'A table that is bulk-loaded or rewritten once a day and vacuumed by a scheduled job right after; n_dead_tup is an estimate kept by the statistics system and is lost on a crash or a statistics reset.',
  },
  async run({ session }) {
    const { rows } = await session.query(
      `SELECT s.schemaname, s.relname, s.n_dead_tup::float8 AS dead, s.n_live_tup::float8 AS live,
              greatest(s.last_autovacuum, s.last_vacuum) AS last_vacuum,
              coalesce((SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_enabled'), '') AS av_table,
              current_setting('autovacuum') AS av_server
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.n_dead_tup > ${MIN_DEAD}
          AND (greatest(s.last_autovacuum, s.last_vacuum) IS NULL OR greatest(s.last_autovacuum, s.last_vacuum) < now() - interval '24 hours')
        ORDER BY s.n_dead_tup DESC`,
    );
    return {
      findings: rows.map((r) => {
        const table = qualified(str(r.schemaname), str(r.relname));
        const off = /^(false|off|no|0)$/i.test(str(r.av_table));
        const serverOff = str(r.av_server) === 'off';
        const last = r.last_vacuum ? str(r.last_vacuum) : null;
        return {
          severity: 'warning' as const,
          object: table,
          message:
            `table ${table} has ${num(r.dead)} dead tuples (${num(r.live)} live) and ${last ? `no vacuum since ${last}` : 'has never been vacuumed'}` +
            (off ? ': autovacuum is switched off for this table' : serverOff ? ': autovacuum is off on the server' : ''),
          evidence: {
            table,
            deadTuples: num(r.dead),
            liveTuples: num(r.live),
            lastVacuum: last,
            autovacuumEnabledForTable: !off,
            autovacuumOnServer: !serverOff,
          },
          fix: `VACUUM (ANALYZE) ${table};${off ? `\nALTER TABLE ${table} RESET (autovacuum_enabled);` : ''}${serverOff ? `\nALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();` : ''}`,
        };
      }),
    };
  },
};

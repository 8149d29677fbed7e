import { type HealthCheck } from '../types';
import { num, qualified, str } from '../sql';

/** Updates plus deletes since the statistics reset that make a table "high-write". */
const MIN_CHANGES = 10_000;
/** Below this many live rows the default 20 % is a small number of dead rows: not worth a setting of its own. */
const MIN_LIVE = 10_000;

export const autovacuumSettings: HealthCheck = {
  id: 'autovacuum-settings',
  title: 'High-write tables without per-table autovacuum settings',
  category: 'vacuum',
  reads: ['pg_stat_user_tables', 'pg_class.reloptions'],
  notEmbedded: 'the embedded database has no write workload',
  guide: {
    section: 'VACUUM Strategy › Autovacuum Tuning',
    threshold: 'high-write tables: autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02 (the default 0.2 / 0.1 is too slow)',
  },
  docs: {
    why: "With the defaults autovacuum waits until 20 % of a table is dead (and analyzes at 10 % changed): on a big table that is updated all the time that is millions of dead rows, and plans made from statistics that are days old. The guide sets a table's own thresholds to 5 % and 2 % for its high-write tables. Here a table is high-write when it has at least 10,000 live rows and had at least 10,000 updates and deletes since the statistics were reset, and at least as many as it has live rows (it was rewritten once over).",
    fix: '`ALTER TABLE … SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02)`: the table then carries its own thresholds (the guide adds a higher `autovacuum_vacuum_cost_limit` for the busiest ones, and 0.02 / 0.01 for monthly partitions of an event log).',
    notApplicable:
      'A table under 10,000 live rows, however often it is rewritten (not reported: the default thresholds are small numbers there); an append-only table (inserts only: PostgreSQL 13+ vacuums it by autovacuum_vacuum_insert_scale_factor, not checked here). A table whose server-wide scale factor is already 0.05 or less needs no setting of its own.',
  },
  async run({ session }) {
    const { rows } = await session.query(
      `SELECT s.schemaname, s.relname, (s.n_tup_upd + s.n_tup_del)::float8 AS changes, s.n_live_tup::float8 AS live,
              current_setting('autovacuum_vacuum_scale_factor')::float8 AS server_factor
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.n_tup_upd + s.n_tup_del >= ${MIN_CHANGES} AND s.n_live_tup >= ${MIN_LIVE}
          AND s.n_tup_upd + s.n_tup_del >= s.n_live_tup
          AND current_setting('autovacuum_vacuum_scale_factor')::float8 > 0.05
          AND NOT EXISTS (SELECT 1 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_scale_factor')
        ORDER BY 3 DESC`,
    );
    return {
      findings: rows.map((r) => {
        const table = qualified(str(r.schemaname), str(r.relname));
        return {
          severity: 'warning' as const,
          object: table,
          message: `table ${table} had ${num(r.changes)} updates and deletes (${num(r.live)} live rows) and uses the server's autovacuum_vacuum_scale_factor ${num(r.server_factor)}; the guide gives high-write tables 0.05`,
          evidence: { table, updatesAndDeletes: num(r.changes), liveTuples: num(r.live), serverScaleFactor: num(r.server_factor) },
          fix: `ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02);`,
        };
      }),
    };
  },
};

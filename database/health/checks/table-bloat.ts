import { type HealthCheck, type HealthFinding } from '../types';
import { bytesText, num, qualified, str, USER_SCHEMAS } from '../sql';

/** Tables smaller than this are not estimated: a few pages of slack is noise, not bloat. */
const MIN_BYTES = 1024 * 1024;
const THRESHOLD = 0.3;

export const tableBloat: HealthCheck = {
  id: 'table-bloat',
  title: 'Table bloat estimate (more than 30 % of the table is dead or free space)',
  category: 'vacuum',
  reads: ['pg_class', 'pg_stats', 'pg_attribute', 'pg_relation_size()'],
  needs: "column statistics (pg_stats) of the table: ANALYZE'd, and columns the role may read",
  notEmbedded: 'the tables of the embedded database are empty',
  guide: { section: 'VACUUM Strategy › Bloat Monitoring', threshold: 'bloat > 30 %: schedule VACUUM FULL during a maintenance window' },
  docs: {
    why: 'Dead row versions that VACUUM has not reclaimed, and free space VACUUM left behind, make a table bigger than its live rows need: every sequential scan reads the empty space and fewer useful rows fit in the cache. The guide schedules VACUUM FULL above 30 %.',
    fix: "`VACUUM (FULL, ANALYZE)` rewrites the table compactly but holds an ACCESS EXCLUSIVE lock for the whole rewrite: run it in a maintenance window, or use pg_repack online. Then tune autovacuum for the table so it does not bloat again. The estimate compares the table's size with what its live rows need: `reltuples` rows of the average row width from pg_stats, plus the tuple header and line pointer, at the table's fillfactor.",
    notApplicable: `Tables under ${bytesText(MIN_BYTES)}, tables never analyzed (no reltuples) and tables with columns missing from pg_stats are not estimated (a note says which). The estimate ignores alignment padding between columns, so wide rows of mixed types can read a few percent high. A table that is about to receive rows again (a queue that fills and drains) reuses its free space without VACUUM FULL.`,
  },
  async run({ session }) {
    const { rows } = await session.query(
      `SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples, pg_relation_size(c.oid)::float8 AS bytes,
              current_setting('block_size')::int AS block_size,
              coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 100) AS fillfactor,
              (SELECT sum(s.avg_width)::float8 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) AS width,
              (SELECT count(*) FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited)::int AS with_stats,
              (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)::int AS columns
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND ${USER_SCHEMAS} AND c.relpages * current_setting('block_size')::int >= ${MIN_BYTES}
        ORDER BY 4 DESC`,
    );
    const findings: HealthFinding[] = [];
    const notEstimated: string[] = [];
    for (const r of rows) {
      const table = qualified(str(r.schema), str(r.name));
      const reltuples = num(r.reltuples);
      const bytes = num(r.bytes);
      if (reltuples < 0 || num(r.with_stats) < num(r.columns)) {
        notEstimated.push(table);
        continue;
      }
      const blockSize = num(r.block_size);
      // Heap tuple header (23 bytes, aligned to 24) plus the 4-byte line pointer, the data aligned to 8.
      const tuple = 24 + Math.ceil(num(r.width) / 8) * 8 + 4;
      const usable = ((blockSize - 24) * num(r.fillfactor)) / 100;
      const perPage = Math.max(1, Math.floor(usable / tuple));
      const expected = Math.ceil(reltuples / perPage) * blockSize;
      const bloat = bytes > 0 ? 1 - expected / bytes : 0;
      if (bloat <= THRESHOLD) continue;
      const pct = Math.round(bloat * 1000) / 10;
      findings.push({
        severity: 'warning',
        object: table,
        message: `table ${table} is ${bytesText(bytes)} where its ${Math.round(reltuples)} live rows need about ${bytesText(expected)}: ~${pct} % bloat, above the guide's 30 %`,
        evidence: { table, bytes, expectedBytes: expected, bloatPercent: pct, liveRows: Math.round(reltuples), avgRowWidth: num(r.width) },
        fix: `VACUUM (FULL, ANALYZE) ${table}; -- ACCESS EXCLUSIVE lock for the whole rewrite: a maintenance window, or pg_repack online`,
      });
    }
    const notes = notEstimated.length ? [`not estimated (never analyzed, or columns without statistics the role may read): ${notEstimated.join(', ')}`] : [];
    return { findings, notes };
  },
};

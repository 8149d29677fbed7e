import { type HealthCheck } from '../types';
import { num, settingSize } from '../sql';

/** Below this many heap blocks touched since the statistics were reset, a ratio says nothing. */
const MIN_BLOCKS = 1000;

export const cacheHitRatio: HealthCheck = {
  id: 'cache-hit-ratio',
  title: 'Table reads served from shared buffers (cache hit ratio above 95 %)',
  category: 'cache',
  reads: ['pg_statio_user_tables'],
  notEmbedded: 'the embedded database has no workload whose reads could be counted',
  guide: { section: 'Monitoring & Benchmarking › Key Metrics', threshold: 'cache hit ratio should be > 95 %' },
  docs: {
    why: 'Every heap block PostgreSQL does not find in shared_buffers is read from the operating system (its page cache, or the disk). The guide expects more than 95 % of table block reads to be hits; a lower ratio means the working set does not fit and queries wait on I/O.',
    fix: 'Raise shared_buffers (the guide: 25 % of RAM; it needs a restart), add memory, or reduce what is read (indexes instead of sequential scans, fewer columns). The finding gives `ALTER SYSTEM SET shared_buffers` when the RAM is known (`--ram`).',
    notApplicable: `Right after a restart or a statistics reset, or on a database that has read fewer than ${MIN_BLOCKS} blocks (the check then reports nothing). A batch job that scans a table larger than RAM lowers the ratio without the online workload suffering. The ratio counts hits in shared_buffers only: reads served by the OS page cache count as misses.`,
  },
  async run({ session, ramBytes }) {
    const { rows } = await session.query(
      `SELECT coalesce(sum(heap_blks_hit), 0)::float8 AS hit, coalesce(sum(heap_blks_read), 0)::float8 AS read FROM pg_statio_user_tables`,
    );
    const hit = num(rows[0].hit);
    const read = num(rows[0].read);
    const total = hit + read;
    if (total < MIN_BLOCKS) return { findings: [], notes: [`only ${total} table blocks read since the statistics were reset: too few to judge`] };
    const ratio = hit / total;
    if (ratio >= 0.95) return { findings: [] };
    const pct = Math.round(ratio * 10000) / 100;
    return {
      findings: [
        {
          severity: 'warning',
          message: `cache hit ratio ${pct} % (${hit} of ${total} table blocks found in shared_buffers), below the guide's 95 %`,
          evidence: { hitRatioPercent: pct, blocksHit: hit, blocksRead: read },
          ...(ramBytes !== undefined
            ? { fix: `ALTER SYSTEM SET shared_buffers = '${settingSize(ramBytes * 0.25)}'; -- 25 % of RAM; takes effect after a restart` }
            : {}),
        },
      ],
    };
  },
};

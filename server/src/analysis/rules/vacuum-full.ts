import { as } from '../ast';
import { defineRule } from '../rule';

const FALSE = new Set(['false', 'off', '0', 'no']);

export const vacuumFull = defineRule({
  meta: {
    id: 'vacuum-full',
    category: 'locking',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'VACUUM FULL: an ACCESS EXCLUSIVE lock for the whole table rewrite.',
      why:
        'VACUUM FULL rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: no reads or writes until it ' +
        'finishes, and it needs room for a second copy. The tuning guide keeps it for a maintenance window when bloat ' +
        'exceeds 30 %, and relies on plain (auto)VACUUM, tuned per table (autovacuum_vacuum_scale_factor 0.05 for ' +
        'high-write tables), the rest of the time.',
      fix:
        'Use plain `VACUUM (ANALYZE)`, tune autovacuum for the table, or rebuild online with pg_repack; keep VACUUM FULL ' +
        'for scheduled maintenance and suppress this finding there with a reason.',
      bad: 'VACUUM FULL ANALYZE sessions;',
      good: 'VACUUM (ANALYZE) sessions;',
    },
    messages: {
      full:
        'VACUUM FULL holds an ACCESS EXCLUSIVE lock (no reads or writes) while it rewrites the whole table; use plain ' +
        'VACUUM or pg_repack outside a maintenance window.',
    },
  },
  check({ statement, report }) {
    if (statement.kind !== 'VacuumStmt' || !statement.body.is_vacuumcmd) return;
    for (const o of statement.body.options ?? []) {
      const d = as(o, 'DefElem');
      if (d?.defname !== 'full') continue;
      const arg = as(d.arg, 'String')?.sval ?? as(d.arg, 'Integer')?.ival;
      if (arg !== undefined && FALSE.has(String(arg).toLowerCase())) return;
      const at = statement.tokenAt(d.location);
      const tok = at >= 0 ? statement.tokens()[at] : undefined;
      report({
        start: tok?.start ?? statement.start,
        end: tok?.end ?? statement.end,
        messageId: 'full',
      });
      return;
    }
  },
});

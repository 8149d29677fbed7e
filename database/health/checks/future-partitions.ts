import { type HealthCheck, type HealthFinding } from '../types';
import { num, qualified, quoteIdentIfNeeded, quoteLiteral, str, USER_SCHEMAS } from '../sql';

/** The partition key types whose bounds are points in time, each with the cast that reads a bound. */
const TIME_TYPES: Record<string, string> = {
  date: 'date',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
};

/** How many partitions' width of future the guide keeps ready (current + next 3 months). */
const AHEAD = 3;

/** A single-column range bound's literal (`'2025-01-01'`), or MINVALUE/MAXVALUE. */
function boundValues(expr: string): { from: string; to: string } | undefined {
  const m = /^FOR VALUES FROM \((.*)\) TO \((.*)\)$/s.exec(expr);
  if (!m) return undefined;
  const one = (s: string) => {
    const lit = /^'((?:[^']|'')*)'(?:::[a-z ]+)?$/.exec(s.trim());
    return lit ? lit[1].replace(/''/g, "'") : s.trim();
  };
  return { from: one(m[1]), to: one(m[2]) };
}

export const futurePartitions: HealthCheck = {
  id: 'future-partitions',
  title: 'Range-partitioned tables (by a date or timestamp) have partitions for the coming periods',
  category: 'partitioning',
  reads: ['pg_partitioned_table', 'pg_inherits', 'pg_class.relpartbound'],
  minVersion: 110000,
  guide: {
    section: 'Event Log Partitioning › Partition Management',
    threshold: 'ensure the current + next 3 months exist (for monthly partitions: three partitions ahead)',
  },
  docs: {
    why: 'An INSERT whose key falls after the last range partition fails (`no partition of relation … found for row`), or, with a DEFAULT partition, lands there and makes every later partition creation scan it. The guide creates partitions ahead, the current month and the next three, from a daily job. The check reads the last partition of every range-partitioned table whose key is one date or timestamp column: an error when no partition covers now, a warning when fewer than three partitions of the same width lie ahead.',
    fix: 'Create the next partition (the finding shows the `CREATE TABLE … PARTITION OF … FOR VALUES FROM … TO …` of the period after the last one, named after its start), and automate it: a daily job, pg_partman or pg_cron.',
    notApplicable:
      'A table partitioned by an id or a list, or by several columns, is not judged. An archive table that receives no new rows needs no future partition. A DEFAULT partition catches the rows, so the missing partition is a warning there, not an error.',
  },
  async run({ session }) {
    const { rows: tables } = await session.query(
      `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, p.partnatts AS natts, format_type(a.atttypid, NULL) AS keytype
         FROM pg_partitioned_table p
         JOIN pg_class c ON c.oid = p.partrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
        WHERE p.partstrat = 'r' AND ${USER_SCHEMAS}
        ORDER BY 2, 3`,
    );
    const findings: HealthFinding[] = [];
    const notes: string[] = [];
    for (const t of tables) {
      const table = qualified(str(t.schema), str(t.name));
      const cast = TIME_TYPES[str(t.keytype)];
      if (num(t.natts) !== 1 || cast === undefined) {
        notes.push(`${table}: not judged (its range key is not one date or timestamp column)`);
        continue;
      }
      const { rows: parts } = await session.query(
        `SELECT pg_get_expr(k.relpartbound, k.oid) AS bound FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = $1`,
        [t.oid],
      );
      const bounds = parts.map((p) => str(p.bound));
      const hasDefault = bounds.includes('DEFAULT');
      const ranges = bounds.map(boundValues).filter((b): b is { from: string; to: string } => b !== undefined);
      if (ranges.some((r) => r.to === 'MAXVALUE')) continue;
      const finite = ranges.filter((r) => r.from !== 'MINVALUE');
      if (finite.length === 0) {
        if (ranges.length === 0) notes.push(`${table}: no range partitions yet`);
        continue;
      }
      // Compared by the server in the key's own type and the session's time zone, as an INSERT would route a row.
      const { rows } = await session.query(
        `WITH b AS (SELECT f::${cast} AS lo, t::${cast} AS hi FROM unnest($1::text[], $2::text[]) AS x(f, t)),
              last AS (SELECT lo, hi FROM b ORDER BY hi DESC LIMIT 1)
         SELECT hi::text AS hi, (hi <= now()::${cast}) AS past,
                (hi < (now() + ${AHEAD} * age(hi::timestamptz, lo::timestamptz))::${cast}) AS short,
                ((hi::timestamptz + age(hi::timestamptz, lo::timestamptz))::${cast})::text AS next_hi,
                age(hi::timestamptz, lo::timestamptz)::text AS width,
                to_char(hi, CASE WHEN age(hi::timestamptz, lo::timestamptz) >= interval '28 days' THEN 'YYYY_MM' ELSE 'YYYY_MM_DD' END) AS suffix
           FROM last`,
        [finite.map((r) => r.from), finite.map((r) => r.to)],
      );
      const r = rows[0];
      if (r.past !== true && r.short !== true) continue;
      const name = `${str(t.name)}_${str(r.suffix)}`.slice(0, 63);
      const fix = `CREATE TABLE ${quoteIdentIfNeeded(str(t.schema))}.${quoteIdentIfNeeded(name)} PARTITION OF ${table}\n  FOR VALUES FROM (${quoteLiteral(str(r.hi))}) TO (${quoteLiteral(str(r.next_hi))});`;
      const past = r.past === true;
      findings.push({
        severity: past && !hasDefault ? 'error' : 'warning',
        object: table,
        message: past
          ? `${table}: the last partition ends at ${str(r.hi)}, before now: ${hasDefault ? 'new rows land in the DEFAULT partition' : 'inserting a row for now fails (no partition for it)'}`
          : `${table}: the last partition ends at ${str(r.hi)}, fewer than ${AHEAD} partitions (of ${str(r.width)}) ahead of now`,
        evidence: {
          table,
          partitions: ranges.length,
          lastBound: str(r.hi),
          partitionWidth: str(r.width),
          hasDefaultPartition: hasDefault,
          keyType: str(t.keytype),
        },
        fix,
      });
    }
    return { findings, notes };
  },
};

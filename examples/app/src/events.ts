import { Pool } from 'pg';
import postgres from 'postgres';

const pool = new Pool();
const sql = postgres();

/** One tenant's events of one type, newest first, a page at a time. */
export async function eventsOfType(tenant: string, type: string, page: number) {
  const { rows } = await pool.query(
    `SELECT event_id, event_type, "timestamp"
       FROM app.event_log
      WHERE tenant_id = $1 AND event_type = $2
      ORDER BY "timestamp" DESC, event_id
      LIMIT 50 OFFSET $3`,
    [tenant, type, page * 50],
  );
  return rows;
}

/** The last day's events: the range on "timestamp" lets PostgreSQL skip every other month's partition. */
export function lastDay(tenant: string) {
  return sql`
    SELECT event_id, event_type
      FROM app.event_log
     WHERE tenant_id = ${tenant} AND "timestamp" >= now() - interval '1 day'`;
}

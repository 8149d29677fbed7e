import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { applyHostFix, at, lintWorkspace, placed, type Workspace } from './helpers';

beforeAll(() => initEmbedded());

/** The case: a multi-tenant service with a range-partitioned event log. */
const SCHEMA = String.raw`CREATE TABLE event_log (
  tenant_id uuid NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  "timestamp" timestamptz NOT NULL,
  payload jsonb,
  PRIMARY KEY (tenant_id, "timestamp", event_id)
) PARTITION BY RANGE ("timestamp");
ALTER TABLE event_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_log_tenant ON event_log USING (tenant_id = current_setting('app.current_tenant_id')::uuid);

CREATE TABLE agents (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  state text NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
CREATE POLICY agents_tenant ON agents USING (tenant_id = current_setting('app.current_tenant_id')::uuid);
`;

const EVENTS = String.raw`use sqlx::PgPool;
use tokio_postgres::Client;
use uuid::Uuid;

pub struct Event {
    pub event_id: Uuid,
    pub event_type: String,
}

/// The agent's timeline, newest page first.
pub async fn timeline(pool: &PgPool, tenant: Uuid, offset: i64) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        r#"
        SELECT event_id, event_type
          FROM event_log
         WHERE tenant_id = $1
         ORDER BY "timestamp" DESC, event_id DESC
         LIMIT 100 OFFSET $2
        "#,
        tenant,
        offset
    )
    .fetch_all(pool)
    .await
}

pub async fn state_changes(pool: &PgPool, tenant: Uuid) -> sqlx::Result<i64> {
    let n = sqlx::query!("SELECT count(*) AS n FROM event_log WHERE tenant_id = $1 AND event_type = 'agent.state_changed'", tenant)
        .fetch_one(pool)
        .await?
        .n;
    Ok(n.unwrap_or(0))
}

pub async fn busy_agents(client: &Client, tenant: &Uuid) -> Result<u64, tokio_postgres::Error> {
    let rows = client
        .query("SELECT id FROM agents WHERE tenant_id = $1 AND (state = 'running' OR state = 'starting')", &[tenant])
        .await?;
    Ok(rows.len() as u64)
}

pub async fn stuck(client: &Client, tenant: &Uuid) -> Result<u64, tokio_postgres::Error> {
    // after \n and \" escapes
    client
        .execute("UPDATE agents SET state = 'failed'\n WHERE tenant_id = $1 AND (\"state\" = 'stuck' OR \"state\" = 'lost')", &[tenant])
        .await
}

pub async fn by_type(pool: &PgPool, kind: &str) -> sqlx::Result<Vec<(Uuid,)>> {
    sqlx::query_as::<_, (Uuid,)>("SELECT event_id FROM event_log WHERE event_type = $1")
        .bind(kind)
        .fetch_all(pool)
        .await
}

pub fn legacy(conn: &mut diesel::PgConnection) -> diesel::QueryResult<usize> {
    use diesel::RunQueryDsl;
    diesel::sql_query("DELETE FROM event_log WHERE event_type = 'debug'").execute(conn)
}

pub async fn archive(pool: &PgPool, table: &str) -> sqlx::Result<()> {
    let q = format!("INSERT INTO {} SELECT * FROM event_log WHERE \"timestamp\" < now() - interval '1 year'", table);
    sqlx::query(&q).execute(pool).await?;
    sqlx::query(&format!("SELECT id FROM {table} ORDER BY id LIMIT 10 OFFSET 5000")).execute(pool).await?;
    Ok(())
}

pub async fn dynamic(pool: &PgPool, filters: &[&str]) -> sqlx::Result<()> {
    let sql = ["SELECT event_id FROM", "event_log WHERE", &filters.join(" AND ")].join(" ");
    sqlx::query(&sql).execute(pool).await?;
    Ok(())
}

pub async fn export(pool: &PgPool) -> sqlx::Result<()> {
    // pgperf-ignore partition-range-missing: the nightly export reads every partition
    sqlx::query("SELECT * FROM event_log").execute(pool).await?;
    // pgperf-ignore offset-pagination: nothing to suppress
    sqlx::query("SELECT id FROM agents WHERE tenant_id = $1").execute(pool).await?;
    sqlx::query("SELECT id FROM agents WHERE AND tenant_id = $1").execute(pool).await?;
    Ok(())
}

const RECENT: &str = "SELECT event_type, count(*) FROM event_log GROUP BY event_type";
`;

const WS: Workspace = { 'migrations/20250101000000_init.sql': SCHEMA, 'src/events.rs': EVENTS };

describe('Rust: sqlx macros and functions, tokio-postgres, diesel', () => {
  it('the schema is clean', () => {
    expect(placed(WS, 'migrations/20250101000000_init.sql')).toEqual([]);
  });

  it('exact findings at their host positions', () => {
    const src = EVENTS;
    expect(placed(WS, 'src/events.rs')).toEqual([
      // query_as! with an indented raw string r#"…"#
      at(src, 'offset-pagination', 'OFFSET $2'),
      // query!: event_type only, no range on "timestamp"
      at(src, 'partition-range-missing', 'event_log', 'SELECT count(*) AS n FROM '),
      // tokio-postgres query()
      at(src, 'or-chain', "state = 'running' OR state = 'starting'"),
      // tokio-postgres execute() after \n, with \" escapes
      at(src, 'or-chain', '\\"state\\" = \'stuck\' OR \\"state\\" = \'lost\''),
      // sqlx::query_as::<_, T>()
      at(src, 'partition-range-missing', 'event_log', 'SELECT event_id FROM '),
      // diesel sql_query
      at(src, 'partition-range-missing', 'event_log', 'DELETE FROM '),
      // format!("… {table} …"): a name, no syntax-error; the OFFSET is the query's
      at(src, 'offset-pagination', 'OFFSET 5000'),
      at(src, 'unused-suppression', '// pgperf-ignore offset-pagination: nothing to suppress'),
      at(src, 'syntax-error', 'AND', 'WHERE ^AND tenant_id'),
      // the keyword fallback on a const
      at(src, 'partition-range-missing', 'event_log', 'const RECENT: &str = "SELECT event_type, count(*) FROM '),
    ]);
  });

  it('format!("INSERT INTO {} …") reads the hole as a name: no syntax-error, and the run-time join is skipped', () => {
    const all = lintWorkspace(WS).filter((f) => f.file === 'src/events.rs');
    const archive = EVENTS.indexOf('let q = format!');
    const dyn = EVENTS.indexOf('pub async fn dynamic');
    const exportAt = EVENTS.indexOf('pub async fn export');
    // The INSERT's SELECT has a range on "timestamp": nothing there; nothing in the joined query.
    expect(all.filter((f) => (f.start > archive && f.start < archive + 140) || (f.start > dyn && f.start < exportAt))).toEqual([]);
  });
});

describe('Rust fixes', () => {
  it('keyset fix inside a raw string r#"…"#: the file still parses, rule gone, the SQL parses', () => {
    const fixed = applyHostFix(WS, 'src/events.rs', 'offset-pagination', 'OFFSET $2');
    expect(fixed).toMatch(/ {8}r#"\n {8}SELECT event_id, event_type\n {10}FROM event_log\n/);
    expect(fixed).toMatch(/\n {8}"#,\n {8}tenant,\n {8}offset\n {4}\)/);
  });

  it('or-chain fix in a normal string keeps the \\n and \\" escapes', () => {
    const fixed = applyHostFix(WS, 'src/events.rs', 'or-chain', '\\"state\\" = \'stuck\' OR \\"state\\" = \'lost\'');
    expect(fixed).toContain(String.raw`.execute("UPDATE agents SET state = 'failed'\n WHERE tenant_id = $1 AND (`);
  });

  it('keyset fix in a format! string keeps its {table} hole', () => {
    const fixed = applyHostFix(WS, 'src/events.rs', 'offset-pagination', 'OFFSET 5000');
    expect(fixed).toMatch(/sqlx::query\(&format!\("SELECT id FROM \{table\} .*LIMIT 10"\)\)/);
  });
});

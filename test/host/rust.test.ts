import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { expectMapped, expectParses, extract } from './helpers';

beforeAll(() => initEmbedded());

describe('Rust', () => {
  it('sqlx query! / query_as! macros with raw strings r#"…"#; OFFSET mapped exactly', () => {
    const src = [
      'pub async fn page(pool: &PgPool, tenant: Uuid, offset: i64) -> Result<Vec<Event>> {',
      '    let rows = sqlx::query_as!(',
      '        Event,',
      '        r#"',
      '        SELECT id, kind, "timestamp"',
      '          FROM event_log',
      '         WHERE tenant_id = $1',
      '         ORDER BY "timestamp" DESC',
      '         LIMIT 100 OFFSET $2',
      '        "#,',
      '        tenant,',
      '        offset',
      '    )',
      '    .fetch_all(pool)',
      '    .await?;',
      '    let n = sqlx::query_scalar!("SELECT count(*) FROM event_log WHERE tenant_id = $1", tenant).fetch_one(pool).await?;',
      '    sqlx::query!("DELETE FROM sessions WHERE id = $1", id).execute(pool).await?;',
      '    Ok(rows)',
      '}',
    ].join('\n');
    const found = extract('src/events.rs', src);
    expect(found.map((e) => e.api)).toEqual(['sqlx::query_as!', 'sqlx::query_scalar!', 'sqlx::query!']);
    const q = found[0];
    expect(q.foundBy).toBe('macro');
    expect(q.sql).toContain('SELECT id, kind, "timestamp"');
    expectParses(q);
    expectMapped(q, src, 'OFFSET');
    expect(q.pieces.map(({ start, end }) => ({ start, end }))).toEqual([{ start: src.indexOf('r#"') + 3, end: src.indexOf('"#,') }]);
  });

  it('tokio-postgres query/execute/query_one/query_opt, sqlx::query() and query_as::<_, T>(), diesel sql_query', () => {
    const src = [
      'async fn run(client: &Client, pool: &PgPool) -> Result<(), Error> {',
      '    let rows = client.query("SELECT id, name FROM teams WHERE org = $1", &[&org]).await?;',
      '    client.execute("UPDATE teams SET name = $1 WHERE id = $2", &[&name, &id]).await?;',
      '    let one = client.query_one("SELECT name FROM teams WHERE id = $1", &[&id]).await?;',
      '    let maybe = client.query_opt("SELECT name FROM teams WHERE slug = $1", &[&slug]).await?;',
      '    let all = sqlx::query("SELECT * FROM members").fetch_all(pool).await?;',
      '    let typed = sqlx::query_as::<_, Member>("SELECT id, team_id FROM members WHERE team_id = $1").bind(t).fetch_all(pool).await?;',
      '    let legacy = diesel::sql_query("SELECT * FROM legacy_users ORDER BY id").load::<User>(conn)?;',
      '    let rows = iter.query(selector);',
      '    Ok(())',
      '}',
    ].join('\n');
    const found = extract('src/db.rs', src);
    expect(found.map((e) => e.api)).toEqual(['query', 'execute', 'query_one', 'query_opt', 'query', 'query_as', 'sql_query']);
    for (const e of found) expectParses(e);
  });

  it('escapes and line continuations in a normal string map back exactly', () => {
    const src = 'fn f(c: &Client) { c.query("SELECT \\"name\\" FROM t \\\n        WHERE x = \'\\u{e9}\'\\nOFFSET 5", &[]); }';
    const [q] = extract('src/esc.rs', src);
    expect(q.sql).toBe('SELECT "name" FROM t WHERE x = \'é\'\nOFFSET 5');
    expectMapped(q, src, 'OFFSET');
    expectMapped(q, src, 'WHERE');
    const e = q.sql.indexOf('é');
    expect(src.slice(q.starts[e], q.ends[e])).toBe('\\u{e9}');
  });

  it('a format! table name becomes a placeholder name; a value hole a parameter; a runtime-built query is skipped', () => {
    const src = [
      'fn purge(client: &Client, table: &str, days: i32) {',
      "    client.execute(&format!(\"DELETE FROM {table} WHERE created_at < now() - {} * interval '1 day' AND note <> '{{}}'\", days), &[]);",
      '    let q = build_query(filters);',
      '    client.query(&q, &[]);',
      '    client.query(q.as_str(), &[]);',
      '}',
    ].join('\n');
    const found = extract('src/purge.rs', src);
    expect(found).toHaveLength(1);
    const [del] = found;
    expect(del.holes.map((h) => [h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['identifier', '{table}'],
      ['value', '{}'],
    ]);
    expect(del.sql).toMatch(/^DELETE FROM _[a-z]{6} WHERE created_at < now\(\) - \$1 \* interval '1 day' AND note <> '\{\}'$/);
    expectParses(del);
  });

  it('a // sql marker and the keyword fallback on a const', () => {
    const src = [
      '// sql',
      'const LOCK_JOBS: &str = "LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE";',
      'const CLAIM: &str = r"UPDATE jobs SET claimed = true WHERE id = $1";',
      'const HELP: &str = "Update the value first";',
      'fn stage(table_name: &str) -> String { format!(r#"UPDATE {table_name} SET state = \'staged\' WHERE id = $1"#) }',
    ].join('\n');
    expect(extract('src/sql.rs', src).map((e) => [e.foundBy, e.sql])).toEqual([
      ['comment', 'LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE'],
      ['keyword', 'UPDATE jobs SET claimed = true WHERE id = $1'],
      ['keyword', "UPDATE _juetbokrrew SET state = 'staged' WHERE id = $1"], // the name derived from `{table_name}`
    ]);
  });

  it('a call chain whose outer call takes a later argument finds the inner query once (not again by the keyword fallback)', () => {
    // The outer `.execute(&mut *tx)` is met first and its argument lies after the query: the query was found
    // twice before (atuin's and quickwit's sqlx code in the corpus, 18 strings).
    const src = [
      'async fn delete_store(&self, user: &User) -> DbResult<()> {',
      '    let mut tx = self.pool.begin().await?;',
      '    sqlx::query(',
      '        "delete from store where user_id = $1",',
      '    )',
      '    .bind(user.id)',
      '    .execute(&mut *tx)',
      '    .await?;',
      '    sqlx::query("delete from sessions where user_id = $1").bind(user.id).execute(&mut *tx).await?;',
      '    Ok(())',
      '}',
    ].join('\n');
    const found = extract('src/lib.rs', src);
    expect(found.map((e) => [e.foundBy, e.sql])).toEqual([
      ['call', 'delete from store where user_id = $1'],
      ['call', 'delete from sessions where user_id = $1'],
    ]);
  });
});

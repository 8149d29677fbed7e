import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded, toHostRange } from '../../server/src/analysis/host';
import { expectMapped, expectParses, extract, queryWith } from './helpers';

beforeAll(() => initEmbedded());

describe('Go', () => {
  it('database/sql QueryContext with a back-quoted raw string; OFFSET mapped exactly', () => {
    const src = [
      'package store',
      '',
      'func (s *Store) Page(ctx context.Context, tenant string, offset int) (*sql.Rows, error) {',
      '\treturn s.db.QueryContext(ctx, `',
      '\t\tSELECT id, title',
      '\t\t  FROM articles',
      '\t\t WHERE tenant_id = $1',
      '\t\t ORDER BY published_at DESC',
      '\t\t LIMIT 25 OFFSET $2`, tenant, offset)',
      '}',
    ].join('\n');
    const [q] = extract('store/articles.go', src);
    expect(q.api).toBe('QueryContext');
    expectParses(q);
    expectMapped(q, src, 'OFFSET');
    expectMapped(q, src, 'articles');
  });

  it('pgx QueryRow / Exec, sqlx Get / Select / NamedExec with :name and ? bindings, interpreted strings with escapes', () => {
    const src = [
      'package repo',
      '',
      'func load(ctx context.Context, pool *pgxpool.Pool, db *sqlx.DB, id int64) error {',
      '\tvar name string',
      '\tif err := pool.QueryRow(ctx, "SELECT name FROM users WHERE id = $1", id).Scan(&name); err != nil {',
      '\t\treturn err',
      '\t}',
      '\t_, err := pool.Exec(ctx, "UPDATE users SET seen_at = now()\\tWHERE id = $1", id)',
      '\tvar u User',
      '\terr = db.Get(&u, "SELECT * FROM users WHERE email = ?", email)',
      '\tvar list []User',
      '\terr = db.Select(&list, "SELECT * FROM users WHERE org = ? AND data ? \'vip\'", org)',
      '\t_, err = db.NamedExec(`INSERT INTO users (name, email) VALUES (:name, :email)`, u)',
      '\tv := r.URL.Query().Get("page")',
      '\treturn err',
      '}',
    ].join('\n');
    const found = extract('repo/users.go', src);
    expect(found.map((e) => e.api)).toEqual(['QueryRow', 'Exec', 'Get', 'Select', 'NamedExec']);
    expect(queryWith(found, 'seen_at').sql).toBe('UPDATE users SET seen_at = now()\tWHERE id = $1');
    expectMapped(queryWith(found, 'seen_at'), src, 'WHERE', src.indexOf('seen_at'));
    expect(queryWith(found, 'email =').sql).toBe('SELECT * FROM users WHERE email = $1');
    // The jsonb `?` operator stays an operator.
    expect(queryWith(found, 'org').sql).toBe("SELECT * FROM users WHERE org = $1 AND data ? 'vip'");
    expect(queryWith(found, 'INSERT').sql).toBe('INSERT INTO users (name, email) VALUES ($1, $2)');
    for (const e of found) expectParses(e);
  });

  it('fmt.Sprintf table name and + concatenation: holes by position; a runtime-built query is skipped', () => {
    const src = [
      'package jobs',
      '',
      'func purge(db *sql.DB, table string, days int) {',
      '\tdb.Exec(fmt.Sprintf("DELETE FROM %s WHERE created_at < now() - interval \'%d days\'", table, days))',
      '\tdb.Query("SELECT id FROM " + table + " WHERE owner = " + owner + " LIMIT 10")',
      '\tq := buildQuery(table)',
      '\tdb.Query(q)',
      '\tdb.Query(strings.Join(parts, " "))',
      '}',
    ].join('\n');
    const found = extract('jobs/purge.go', src);
    expect(found).toHaveLength(2);
    const del = queryWith(found, 'DELETE');
    expect(del.holes.map((h) => [h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['identifier', '%s'],
      ['literal', '%d'],
    ]);
    expect(del.sql).toMatch(/^DELETE FROM _[a-z] WHERE created_at < now\(\) - interval '[a-z]{2} days'$/);
    expectParses(del);
    const cat = queryWith(found, 'owner');
    expect(cat.holes.map((h) => [h.kind, src.slice(h.hostStart, h.hostEnd)])).toEqual([
      ['identifier', 'table'],
      ['value', 'owner'],
    ]);
    expectParses(cat);
    const limit = cat.sql.indexOf('LIMIT');
    expect(src.slice(toHostRange(cat, limit, limit + 8).start, toHostRange(cat, limit, limit + 8).end)).toBe('LIMIT 10');
  });

  it('a hole that parses only as the other kind is read that way; one that parses as neither is flagged', () => {
    const src = [
      'package m',
      '',
      'func f(c *pgx.Conn, action, role, rows string, n int) {\n\tc.Exec(ctx, fmt.Sprintf("ANALYZE %s", table))',
      '\tc.Exec(ctx, fmt.Sprintf("INSERT INTO peers (name) VALUES ($1) ON CONFLICT (name) DO %s", action), name)',
      '\tc.Exec(ctx, fmt.Sprintf("GRANT SELECT ON events TO %s", role))',
      '\tc.Exec(ctx, fmt.Sprintf("SELECT count(*) FILTER (WHERE id > $%d) FROM flows", n), 1)',
      '\tc.Exec(ctx, "INSERT INTO t (id, val) VALUES " + rows)',
      '}',
    ].join('\n');
    const found = extract('m.go', src);
    // `DO %s` stands for a clause (NOTHING / UPDATE SET …): neither a name nor a value parses there.
    expect(queryWith(found, 'CONFLICT').holesUnreadable).toBe(true);
    const grant = queryWith(found, 'GRANT');
    expect(grant.holes[0].kind).toBe('identifier');
    expectParses(grant);
    expect(queryWith(found, 'FILTER').sql).toBe('SELECT count(*) FILTER (WHERE id > $11) FROM flows');
    const rows = queryWith(found, 'val)');
    expect(rows.holesUnreadable).toBe(true);
    expect(found.filter((e) => e.holesUnreadable).map((e) => e.sql.slice(0, 11))).toEqual(['INSERT INTO', 'INSERT INTO']);
  });

  it('a // sql marker and the keyword fallback on a constant', () => {
    const src = [
      'package q',
      '',
      '// sql',
      'const refresh = "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals"',
      '',
      'const listActive = `SELECT id FROM accounts WHERE active`',
      'const usage = "Select a file"',
      'func q(t string) string { return fmt.Sprintf("SELECT id FROM %s WHERE deleted_at IS NULL", t) }',
      '// A format kept apart from its fmt.Sprintf: the verbs are still holes.',
      'const lastBatch = "SELECT sync_batch_id FROM %s.%s WHERE mirror_job_name=$1"',
      'const notSQL = "DELETE the %s now"',
    ].join('\n');
    expect(extract('q/sql.go', src).map((e) => [e.foundBy, e.sql])).toEqual([
      ['comment', 'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals'],
      ['keyword', 'SELECT id FROM accounts WHERE active'],
      ['keyword', 'SELECT id FROM _z WHERE deleted_at IS NULL'], // the name derived from `%s`
      ['keyword', 'SELECT sync_batch_id FROM _z._z WHERE mirror_job_name=$1'],
    ]);
  });
});

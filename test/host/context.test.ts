import { beforeAll, describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { inAssertion, inDownMigration, inTestCode, inTestOrAssertion, isBuilderStart, isTestPath } from '../../server/src/analysis/host/context';
import { initHostParsers, parseHost, type HostLanguage } from '../../server/src/analysis/host/grammars';

beforeAll(() => initHostParsers());

const LITERALS = new Set(['string', 'template_string', 'interpreted_string_literal', 'raw_string_literal', 'string_literal']);

/** The string literal of `src` whose text holds `needle` (the outermost one there). */
function literal(lang: HostLanguage, src: string, needle: string): Node {
  const at = src.indexOf(needle);
  expect(at, needle).toBeGreaterThanOrEqual(0);
  expect(src.indexOf(needle, at + 1), `${needle} once`).toBe(-1);
  const tree = parseHost(lang, src);
  let lit: Node | undefined;
  for (let n: Node | null = tree.rootNode.descendantForIndex(at, at + 1); n; n = n.parent) if (LITERALS.has(n.type)) lit = n;
  expect(lit, `a literal at ${needle}`).toBeDefined();
  return lit!;
}

/** Every needle's answer from `fn`, as a map, for one comparison per file. */
function answers(fn: (n: Node, l: HostLanguage) => boolean, lang: HostLanguage, src: string, needles: string[]): Record<string, boolean> {
  return Object.fromEntries(needles.map((k) => [k, fn(literal(lang, src, k), lang)]));
}

describe('test code', () => {
  it('Rust: #[cfg(test)] modules, #[test]/#[tokio::test]/#[sqlx::test]/#[rstest] functions; not the service code', () => {
    const src = [
      'pub async fn recent(pool: &PgPool) -> Result<Vec<Event>> {',
      '    sqlx::query_as("SELECT id, kind FROM events ORDER BY at DESC LIMIT 50").fetch_all(pool).await',
      '}',
      '',
      '#[cfg(test)]',
      'mod tests {',
      '    use super::*;',
      '    #[test]',
      '    fn builds() { let q = "SELECT a FROM t_unit"; }',
      '}',
      '',
      '/// Runs against a scratch database.',
      '#[sqlx::test(migrations = "./migrations")]',
      'async fn inserts(pool: PgPool) {',
      '    sqlx::query("INSERT INTO events (kind) VALUES (1)").execute(&pool).await.unwrap();',
      '}',
      '',
      '#[tokio::test]',
      '// flaky on CI',
      'async fn loads() { client.query("SELECT * FROM big_table", &[]).await.unwrap(); }',
      '',
      '#[rstest]',
      'fn cases(#[case] n: i32) { let _ = "DELETE FROM t_rstest"; }',
      '',
      '#[derive(Debug)]',
      'struct Row { id: i64 }',
      '#[inline]',
      'fn hot() -> &\'static str { "UPDATE counters SET n = n + 1" }',
    ].join('\n');
    expect(
      answers(inTestCode, 'rust', src, [
        'SELECT id, kind',
        'SELECT a FROM t_unit',
        'INSERT INTO events',
        'SELECT * FROM big_table',
        'DELETE FROM t_rstest',
        'UPDATE counters',
      ]),
    ).toEqual({
      'SELECT id, kind': false,
      'SELECT a FROM t_unit': true,
      'INSERT INTO events': true,
      'SELECT * FROM big_table': true,
      'DELETE FROM t_rstest': true,
      'UPDATE counters': false,
    });
  });

  it('Go: Test*/Benchmark* functions and helpers taking *testing.T; not an ordinary function named Tester', () => {
    const src = [
      'package store',
      'func (s *Store) Active(ctx context.Context) error {',
      '\t_, err := s.db.ExecContext(ctx, "UPDATE users SET active = true WHERE id = $1", 1)',
      '\treturn err',
      '}',
      'func TestActive(t *testing.T) { db.Exec("TRUNCATE users") }',
      'func BenchmarkScan(b *testing.B) { db.Query("SELECT * FROM bench_rows") }',
      'func seed(t *testing.T, db *sql.DB) { db.Exec("INSERT INTO users (id) VALUES (1)") }',
      'func Testament() string { return "SELECT verse FROM bible" }',
    ].join('\n');
    expect(answers(inTestCode, 'go', src, ['UPDATE users', 'TRUNCATE users', 'SELECT * FROM bench_rows', 'INSERT INTO users', 'SELECT verse'])).toEqual({
      'UPDATE users': false,
      'TRUNCATE users': true,
      'SELECT * FROM bench_rows': true,
      'INSERT INTO users': true,
      'SELECT verse': false,
    });
  });

  it('Python: test_* functions, Test* classes, unittest.TestCase subclasses, pytest fixtures', () => {
    const src = [
      'import pytest',
      'def list_users(cur):',
      '    cur.execute("SELECT id FROM users ORDER BY id")',
      '',
      '@pytest.fixture',
      'def db(conn):',
      '    conn.execute("CREATE TABLE scratch (id int)")',
      '',
      'def test_list(cur):',
      '    cur.execute("SELECT * FROM users_t1")',
      '',
      'class TestUsers:',
      '    def setup_method(self):',
      '        self.cur.execute("DELETE FROM users_t2")',
      '',
      'class UserQueries(unittest.TestCase):',
      '    def setUp(self):',
      '        self.cur.execute("INSERT INTO users_t3 VALUES (1)")',
      '',
      'class Repo:',
      '    def testable(self):',
      '        pass',
      '    def all(self):',
      '        return self.cur.execute("SELECT * FROM repo_rows")',
    ].join('\n');
    expect(
      answers(inTestCode, 'python', src, [
        'SELECT id FROM users',
        'CREATE TABLE scratch',
        'SELECT * FROM users_t1',
        'DELETE FROM users_t2',
        'INSERT INTO users_t3',
        'SELECT * FROM repo_rows',
      ]),
    ).toEqual({
      'SELECT id FROM users': false,
      'CREATE TABLE scratch': true,
      'SELECT * FROM users_t1': true,
      'DELETE FROM users_t2': true,
      'INSERT INTO users_t3': true,
      'SELECT * FROM repo_rows': false,
    });
  });

  it('TypeScript: describe/it/test/hook callbacks (also .each and .only), not the test title nor app code', () => {
    const src = [
      'export const byId = (id: number) => pool.query("SELECT * FROM accounts WHERE id = $1", [id]);',
      'describe("accounts", () => {',
      '  beforeEach(async () => { await pool.query("TRUNCATE accounts"); });',
      '  it("reads", async () => { await pool.query("SELECT * FROM accounts_it"); });',
      '  it.each([1, 2])("page %d", async (n) => { await pool.query("SELECT * FROM accounts_each OFFSET 10"); });',
      '});',
      'test.only("DELETE FROM titles is a title", function () { return db.query("DELETE FROM accounts_only"); });',
      'const ok = /x/.test("SELECT * FROM regex_subject");',
    ].join('\n');
    expect(
      answers(inTestCode, 'typescript', src, [
        'SELECT * FROM accounts WHERE',
        'TRUNCATE accounts',
        'SELECT * FROM accounts_it',
        'SELECT * FROM accounts_each',
        'DELETE FROM titles',
        'DELETE FROM accounts_only',
        'SELECT * FROM regex_subject',
      ]),
    ).toEqual({
      'SELECT * FROM accounts WHERE': false,
      'TRUNCATE accounts': true,
      'SELECT * FROM accounts_it': true,
      'SELECT * FROM accounts_each': true,
      'DELETE FROM titles': false,
      'DELETE FROM accounts_only': true,
      'SELECT * FROM regex_subject': false,
    });
  });

  it('test files by path', () => {
    const yes = [
      'internal/store/users_test.go',
      'tests/test_users.py',
      'app/test_users.py',
      'pkg/conftest.py',
      'src/users.test.ts',
      'src/users.spec.mjs',
      'src/__tests__/users.ts',
      'crate/tests/it.rs',
    ];
    const no = ['internal/store/users.go', 'app/users.py', 'src/users.ts', 'src/testing.ts', 'src/contest.py', 'src/latest/users.rs'];
    expect(yes.filter((p) => !isTestPath(p))).toEqual([]);
    expect(no.filter(isTestPath)).toEqual([]);
  });
});

describe('assertions and expected values', () => {
  it('Rust: assert_eq!/assert!/.expect and `expected` bindings; a query! in the same function is not one', () => {
    const src = [
      'fn check(sql: &str) {',
      '    assert_eq!(render(&q), "SELECT id FROM t_eq WHERE a = $1");',
      '    assert!(sql.starts_with("SELECT"), "SELECT clause expected first");',
      '    let expected = "DELETE FROM t_expected";',
      '    let conn = pool.get().expect("Select a pooled connection");',
      '    let rows = sqlx::query!("SELECT id FROM t_real WHERE a = $1", 1);',
      '    let mut expected_sql = String::from("UPDATE t_wrapped SET a = 1");',
      '}',
    ].join('\n');
    expect(
      answers(inAssertion, 'rust', src, [
        'SELECT id FROM t_eq',
        'SELECT clause expected',
        'DELETE FROM t_expected',
        'Select a pooled',
        'SELECT id FROM t_real',
        'UPDATE t_wrapped',
      ]),
    ).toEqual({
      'SELECT id FROM t_eq': true,
      'SELECT clause expected': true,
      'DELETE FROM t_expected': true,
      'Select a pooled': true,
      'SELECT id FROM t_real': false,
      'UPDATE t_wrapped': true,
    });
  });

  it('TypeScript: expect(…).toBe/toEqual/toContain, node:assert, chai, .includes/.startsWith, const expected', () => {
    const src = [
      'const expectedSql = "SELECT id FROM t_const";',
      'expect(render(q)).toBe("SELECT id FROM t_tobe");',
      'expect(calls).toContainEqual(["SELECT id FROM t_contain", []]);',
      'assert.strictEqual(out, "SELECT id FROM t_strict");',
      'expect(out).to.equal("SELECT id FROM t_chai");',
      'if (sql.includes("SELECT id FROM t_needle")) log();',
      'if ("SELECT id FROM t_haystack".startsWith(prefix)) log();',
      'const cases = [{ input: q, expected: "SELECT id FROM t_pair" }];',
      'await pool.query("SELECT id FROM t_app WHERE a = $1", [a]);',
      'const equal = isEqual(a, "SELECT id FROM t_isequal");',
    ].join('\n');
    expect(
      answers(inAssertion, 'typescript', src, [
        't_const',
        't_tobe',
        't_contain',
        't_strict',
        't_chai',
        't_needle',
        't_haystack',
        't_pair',
        't_app',
        't_isequal',
      ]),
    ).toEqual({
      t_const: true,
      t_tobe: true,
      t_contain: true,
      t_strict: true,
      t_chai: true,
      t_needle: true,
      t_haystack: true,
      t_pair: true,
      t_app: false,
      t_isequal: false,
    });
  });

  it('Python: assert, `in`, assertEqual, mock assert_called_with / assert_any_call, approx, expected = …', () => {
    const src = [
      'def check(cur, mock_cur):',
      '    assert render(q) == "SELECT id FROM t_assert"',
      '    if "SELECT id FROM t_in" in sql:',
      '        pass',
      '    self.assertEqual(q, "SELECT id FROM t_unittest")',
      '    mock_cur.execute.assert_called_once_with("SELECT id FROM t_mock", (1,))',
      '    mock_cur.execute.assert_any_call("DELETE FROM t_anycall")',
      '    expected_query = "UPDATE t_expected SET a = 1"',
      '    cur.execute("SELECT id FROM t_real WHERE a = %s", (a,))',
      '    if sql in "SELECT id FROM t_right_of_in":',
      '        pass',
    ].join('\n');
    expect(answers(inAssertion, 'python', src, ['t_assert', 't_in', 't_unittest', 't_mock', 't_anycall', 't_expected', 't_real', 't_right_of_in'])).toEqual({
      t_assert: true,
      t_in: true,
      t_unittest: true,
      t_mock: true,
      t_anycall: true,
      t_expected: true,
      t_real: false,
      t_right_of_in: false,
    });
  });

  it('Go: testify assert/require and suites, sqlmock ExpectQuery, want/expected table fields', () => {
    const src = [
      'package store',
      'func check(t *testing.T, s *Suite) {',
      '\tassert.Equal(t, "SELECT id FROM t_assert", q)',
      '\trequire.Contains(t, q, "SELECT id FROM t_require")',
      '\ts.Require().Equal("SELECT id FROM t_suite", q)',
      '\tmock.ExpectQuery(regexp.QuoteMeta("SELECT id FROM t_sqlmock")).WillReturnRows(rows)',
      '\tcases := []struct{ want string }{{want: "SELECT id FROM t_want"}}',
      '\texpected := "DELETE FROM t_expected"',
      '\tif strings.HasPrefix(q, "SELECT id FROM t_prefix") {}',
      '\trows, err := db.QueryContext(ctx, "SELECT id FROM t_real WHERE a = $1", a)',
      '}',
    ].join('\n');
    expect(answers(inAssertion, 'go', src, ['t_assert', 't_require', 't_suite', 't_sqlmock', 't_want', 't_expected', 't_prefix', 't_real'])).toEqual({
      t_assert: true,
      t_require: true,
      t_suite: true,
      t_sqlmock: true,
      t_want: true,
      t_expected: true,
      t_prefix: true,
      t_real: false,
    });
  });

  it('inTestOrAssertion is either', () => {
    const src = ['#[test]', 'fn t() { run("SELECT 1"); }', 'fn f() { assert_eq!(a, "SELECT 2"); run("SELECT 3"); }'].join('\n');
    expect(answers(inTestOrAssertion, 'rust', src, ['SELECT 1', 'SELECT 2', 'SELECT 3'])).toEqual({ 'SELECT 1': true, 'SELECT 2': true, 'SELECT 3': false });
  });
});

describe('queries built at run time', () => {
  it('Rust: sqlx QueryBuilder::new / ::<Postgres>::new, push_str, a String appended to later, sea-query custom', () => {
    const src = [
      'fn search(f: &Filter) {',
      '    let mut qb = QueryBuilder::new("SELECT id FROM t_qb");',
      '    let mut qb2 = sqlx::QueryBuilder::<Postgres>::new("SELECT id FROM t_qb2");',
      '    let mut sql = String::from("SELECT id FROM t_appended");',
      '    if f.active { sql.push_str(" WHERE active"); }',
      '    let e = Expr::cust("SELECT max(id) FROM t_cust");',
      '    let fixed = "SELECT id FROM t_fixed WHERE a = $1";',
      '    sqlx::query(fixed).bind(1);',
      '    sqlx::query("SELECT id FROM t_call WHERE a = $1");',
      '}',
    ].join('\n');
    expect(answers(isBuilderStart, 'rust', src, ['t_qb"', 't_qb2', 't_appended', 't_cust', 't_fixed', 't_call'])).toEqual({
      't_qb"': true,
      t_qb2: true,
      t_appended: true,
      t_cust: true,
      t_fixed: false,
      t_call: false,
    });
  });

  it('TypeScript: knex whereRaw/orderByRaw/joinRaw, Kysely sql.raw, `let sql = …; sql += …`; knex.raw stays a statement', () => {
    const src = [
      'const rows = await knex("users").whereRaw("SELECT 1 FROM bans_where WHERE bans.uid = users.id").orderByRaw("SELECT 1 FROM order_raw");',
      'const j = db.selectFrom("a").joinRaw("SELECT * FROM join_raw");',
      'const k = sql.raw("SELECT * FROM kysely_raw");',
      'let q = "SELECT id FROM appended_t";',
      'if (active) q += " WHERE active";',
      'const r = await knex.raw("SELECT id FROM knex_raw WHERE a = ?", [a]);',
      'const fixed = "SELECT id FROM fixed_t";',
    ].join('\n');
    expect(answers(isBuilderStart, 'typescript', src, ['bans_where', 'order_raw', 'join_raw', 'kysely_raw', 'appended_t', 'knex_raw', 'fixed_t'])).toEqual({
      bans_where: true,
      order_raw: true,
      join_raw: true,
      kysely_raw: true,
      appended_t: true,
      knex_raw: false,
      fixed_t: false,
    });
  });

  it('Python: SQLAlchemy select()/where(text(…)), `query = …; query += …`; execute and text alone stay statements', () => {
    const src = [
      'stmt = select(literal_column("SELECT max(id) FROM t_select")).where(text("EXISTS (SELECT 1 FROM t_where)"))',
      'query = "SELECT id FROM t_appended"',
      'if active:',
      '    query += " WHERE active"',
      'cur.execute("SELECT id FROM t_execute WHERE a = %s", (a,))',
      'q = text("SELECT id FROM t_text WHERE a = :a")',
      'rows = cur.execute("SELECT id FROM t_rows").fetchall()',
      'rows.append(extra)',
      'sql = "SELECT id FROM t_formatted WHERE a = {}".format(a)',
      'sql += " LIMIT 10"',
    ].join('\n');
    expect(answers(isBuilderStart, 'python', src, ['t_select', 't_where', 't_appended', 't_execute', 't_text', 't_rows', 't_formatted'])).toEqual({
      t_select: true,
      t_where: true,
      t_appended: true,
      t_execute: false,
      t_text: false,
      t_rows: false,
      t_formatted: true,
    });
  });

  it('Go: squirrel chains, gorm Where, strings.Builder; sqlx Select and db.Query stay statements', () => {
    const src = [
      'package store',
      'func f() {',
      '\tq := sq.Select("id").From("t").Where("id IN (SELECT uid FROM t_squirrel)")',
      '\tdb.Model(&u).Where("SELECT 1 FROM t_gorm")',
      '\tvar b strings.Builder',
      '\tb.WriteString("SELECT id FROM t_builder")',
      '\terr := h.conn(ctx).Select(&rows, "SELECT id FROM t_sqlx WHERE a = $1", a)',
      '\trows, err := db.Query("SELECT id FROM t_query")',
      '}',
    ].join('\n');
    expect(answers(isBuilderStart, 'go', src, ['t_squirrel', 't_gorm', 't_builder', 't_sqlx', 't_query'])).toEqual({
      t_squirrel: true,
      t_gorm: true,
      t_builder: true,
      t_sqlx: false,
      t_query: false,
    });
  });
});

describe('down migrations', () => {
  it('TypeORM: down() of a MigrationInterface class; up() is forward', () => {
    const src = [
      'export class AddUsers1700000000000 implements MigrationInterface {',
      '  async up(queryRunner: QueryRunner): Promise<void> { await queryRunner.query("CREATE TABLE users_up (id int)"); }',
      '  async down(queryRunner: QueryRunner): Promise<void> { await queryRunner.query("DROP TABLE users_down"); }',
      '}',
      'class Elevator { down() { return this.run("UPDATE floors SET n = n - 1"); } }',
    ].join('\n');
    expect(answers(inDownMigration, 'typescript', src, ['users_up', 'users_down', 'floors'])).toEqual({ users_up: false, users_down: true, floors: false });
  });

  it('knex / db-migrate / Sequelize: exports.down, export async function down, export const down, module.exports = { down }', () => {
    const js = [
      'exports.up = function (knex) { return knex.raw("CREATE TABLE a_up (id int)"); };',
      'exports.down = function (knex) { return knex.raw("DROP TABLE a_down"); };',
      'module.exports = { up: async (queryInterface) => queryInterface.sequelize.query("CREATE TABLE b_up (id int)"),',
      '  down: async (queryInterface) => queryInterface.sequelize.query("DROP TABLE b_down") };',
    ].join('\n');
    expect(answers(inDownMigration, 'javascript', js, ['a_up', 'a_down', 'b_up', 'b_down'])).toEqual({ a_up: false, a_down: true, b_up: false, b_down: true });
    const ts = [
      'export async function up(knex: Knex) { await knex.raw("CREATE TABLE c_up (id int)"); }',
      'export async function down(knex: Knex) { await knex.raw("DROP TABLE c_down"); }',
      'export const down2 = async (knex: Knex) => knex.raw("DROP TABLE not_down");',
      'export const down = async (pgm) => pgm.sql("DROP TABLE d_down");',
    ].join('\n');
    expect(answers(inDownMigration, 'typescript', ts, ['c_up', 'c_down', 'not_down', 'd_down'])).toEqual({
      c_up: false,
      c_down: true,
      not_down: false,
      d_down: true,
    });
  });

  it('Alembic downgrade(), Django RunSQL reverse_sql, yoyo step(apply, rollback)', () => {
    const src = [
      'def upgrade():',
      '    op.execute("CREATE INDEX ix_up ON t (a)")',
      'def downgrade():',
      '    op.execute("DROP INDEX ix_down")',
      'operations = [migrations.RunSQL("CREATE INDEX ix_django ON t (a)", reverse_sql="DROP INDEX ix_reverse")]',
      'ops2 = [migrations.RunSQL("CREATE INDEX ix_django2 ON t (a)", "DROP INDEX ix_reverse2")]',
      'steps = [step("CREATE TABLE y_up (id int)", "DROP TABLE y_down")]',
    ].join('\n');
    expect(answers(inDownMigration, 'python', src, ['ix_up', 'ix_down', 'ix_django ', 'ix_reverse"', 'ix_django2', 'ix_reverse2', 'y_up', 'y_down'])).toEqual({
      ix_up: false,
      ix_down: true,
      'ix_django ': false,
      'ix_reverse"': true,
      ix_django2: false,
      ix_reverse2: true,
      y_up: false,
      y_down: true,
    });
  });

  it('goose: the function registered as down (any name), a func literal there; up and unregistered functions are forward', () => {
    const src = [
      'package migrations',
      'func init() {',
      '\tgoose.AddMigrationContext(upUsers, downUsers)',
      '\tgoose.AddMigration(func(tx *sql.Tx) error { _, err := tx.Exec("CREATE TABLE lit_up (id int)"); return err },',
      '\t\tfunc(tx *sql.Tx) error { _, err := tx.Exec("DROP TABLE lit_down"); return err })',
      '}',
      'func upUsers(ctx context.Context, tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "CREATE TABLE users_up (id int)"); return err }',
      'func downUsers(ctx context.Context, tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "DROP TABLE users_down"); return err }',
      'func downtime(db *sql.DB) { db.Exec("UPDATE status SET down = true") }',
    ].join('\n');
    expect(answers(inDownMigration, 'go', src, ['lit_up', 'lit_down', 'users_up', 'users_down', 'UPDATE status'])).toEqual({
      lit_up: false,
      lit_down: true,
      users_up: false,
      users_down: true,
      'UPDATE status': false,
    });
  });

  it('Rust: sea-orm MigrationTrait::down; a down() elsewhere is not one', () => {
    const src = [
      'impl MigrationTrait for Migration {',
      '    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> { m.get_connection().execute_unprepared("CREATE TABLE s_up (id int)").await?; Ok(()) }',
      '    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> { m.get_connection().execute_unprepared("DROP TABLE s_down").await?; Ok(()) }',
      '}',
      'impl Link { fn down(&self) { self.run("UPDATE links SET up = false"); } }',
    ].join('\n');
    expect(answers(inDownMigration, 'rust', src, ['s_up', 's_down', 'UPDATE links'])).toEqual({ s_up: false, s_down: true, 'UPDATE links': false });
  });
});

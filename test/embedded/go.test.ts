import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { applyHostFix, at, lintWorkspace, placed, type Workspace } from './helpers';

beforeAll(() => initEmbedded());

/** A metering service: usage samples range-partitioned by time, accounts with RLS. */
const SCHEMA = [
  'CREATE TABLE accounts (',
  '  tenant_id uuid NOT NULL,',
  '  id bigint NOT NULL,',
  '  plan text NOT NULL,',
  '  PRIMARY KEY (tenant_id, id)',
  ');',
  'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;',
  "CREATE POLICY accounts_tenant ON accounts USING (tenant_id = current_setting('app.current_tenant_id')::uuid);",
  '',
  'CREATE TABLE usage_samples (',
  '  tenant_id uuid NOT NULL,',
  '  account_id bigint NOT NULL,',
  '  metric text NOT NULL,',
  '  value double precision NOT NULL,',
  '  sampled_at timestamptz NOT NULL,',
  '  PRIMARY KEY (tenant_id, sampled_at, account_id, metric)',
  ') PARTITION BY RANGE (sampled_at);',
  'ALTER TABLE usage_samples ENABLE ROW LEVEL SECURITY;',
  "CREATE POLICY usage_tenant ON usage_samples USING (tenant_id = current_setting('app.current_tenant_id')::uuid);",
  '',
].join('\n');

const STORE = [
  'package store',
  '',
  'import (',
  '\t"context"',
  '\t"database/sql"',
  '\t"fmt"',
  '\t"strings"',
  '',
  '\t"github.com/jackc/pgx/v5/pgxpool"',
  '\t"github.com/jmoiron/sqlx"',
  ')',
  '',
  'type Store struct {',
  '\tdb   *sql.DB',
  '\tpool *pgxpool.Pool',
  '\tx    *sqlx.DB',
  '}',
  '',
  "// Accounts pages through a tenant's accounts (database/sql).",
  'func (s *Store) Accounts(ctx context.Context, tenant string, page int) (*sql.Rows, error) {',
  '\treturn s.db.QueryContext(ctx, `',
  '\t\tSELECT id, plan',
  '\t\t  FROM accounts',
  '\t\t WHERE tenant_id = $1',
  '\t\t ORDER BY id',
  '\t\t LIMIT 50 OFFSET $2`, tenant, page*50)',
  '}',
  '',
  '// Samples reads one metric of an account (pgx).',
  'func (s *Store) Samples(ctx context.Context, tenant string, account int64) error {',
  '\trows, err := s.pool.Query(ctx, "SELECT value, sampled_at FROM usage_samples WHERE tenant_id = $1 AND account_id = $2", tenant, account)',
  '\tif err != nil {',
  '\t\treturn err',
  '\t}',
  '\tdefer rows.Close()',
  '\treturn nil',
  '}',
  '',
  '// Plans counts accounts on the paid plans (sqlx).',
  'func (s *Store) Plans(ctx context.Context, tenant string) ([]int64, error) {',
  '\tvar ids []int64',
  "\terr := s.x.SelectContext(ctx, &ids, \"SELECT id FROM accounts WHERE tenant_id = $1 AND (plan = 'pro' OR plan = 'team' OR plan = 'enterprise')\", tenant)",
  '\treturn ids, err',
  '}',
  '',
  '// Escaped: the OR chain starts after a \\n and a \\t escape.',
  'func (s *Store) Metrics(ctx context.Context, tenant string) error {',
  "\t_, err := s.db.ExecContext(ctx, \"DELETE FROM usage_samples\\n\\tWHERE tenant_id = $1 AND sampled_at < now() - interval '90 days' AND (metric = 'cpu' OR metric = 'mem')\", tenant)",
  '\treturn err',
  '}',
  '',
  '// Legacy: one OR chain over two concatenated literals.',
  'func (s *Store) Legacy(ctx context.Context) (*sql.Rows, error) {',
  '\treturn s.db.QueryContext(ctx, "SELECT id FROM accounts WHERE plan = \'free\' OR "+',
  '\t\t"plan = \'trial\'")',
  '}',
  '',
  '// Rollup writes into a per-month table whose name is formatted in.',
  'func (s *Store) Rollup(ctx context.Context, month string) error {',
  '\t_, err := s.db.ExecContext(ctx, fmt.Sprintf("INSERT INTO rollup_%s SELECT metric, sum(value) FROM usage_samples WHERE sampled_at >= $1 GROUP BY metric", month), month)',
  '\treturn err',
  '}',
  '',
  '// Top lists accounts from a table the caller names.',
  'func (s *Store) Top(ctx context.Context, table string) (*sql.Rows, error) {',
  '\treturn s.db.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s ORDER BY id LIMIT 10 OFFSET 100", table))',
  '}',
  '',
  '// Filter builds its WHERE clause at run time.',
  'func (s *Store) Filter(ctx context.Context, conds []string) (*sql.Rows, error) {',
  '\tq := strings.Join([]string{"SELECT id, plan FROM", "accounts WHERE", strings.Join(conds, " AND ")}, " ")',
  '\treturn s.db.QueryContext(ctx, q)',
  '}',
  '',
  'const monthly = `SELECT metric, avg(value) FROM usage_samples GROUP BY metric`',
  '',
  '// sql',
  'var purge = "DELETE FROM usage_samples WHERE metric = $1"',
  '',
  'func (s *Store) Broken(ctx context.Context) error {',
  '\t_, err := s.db.ExecContext(ctx, "UPDATE accounts SET plan = WHERE id = $1", 1)',
  '\treturn err',
  '}',
  '',
  'func (s *Store) Export(ctx context.Context) (*sql.Rows, error) {',
  '\t// pgperf-ignore partition-range-missing: the export reads every month',
  '\treturn s.db.QueryContext(ctx, "SELECT * FROM usage_samples")',
  '}',
  '',
  'func (s *Store) Lookup(ctx context.Context, id int64) *sql.Row {',
  '\t// pgperf-ignore or-chain: nothing to suppress',
  '\treturn s.db.QueryRowContext(ctx, "SELECT plan FROM accounts WHERE id = $1", id)',
  '}',
  '',
  'var _ = []string{monthly, purge}',
  '',
].join('\n');

const WS: Workspace = { 'migrations/0001_init.up.sql': SCHEMA, 'internal/store/store.go': STORE };

describe('Go: database/sql, pgx, sqlx', () => {
  it('the schema is clean', () => {
    expect(placed(WS, 'migrations/0001_init.up.sql')).toEqual([]);
  });

  it('exact findings at their host positions', () => {
    const src = STORE;
    expect(placed(WS, 'internal/store/store.go')).toEqual([
      // a raw string over several tab-indented lines
      at(src, 'offset-pagination', 'OFFSET $2'),
      // pgx Query(ctx, "…"): no range on sampled_at
      at(src, 'partition-range-missing', 'usage_samples', 'value, sampled_at FROM '),
      // sqlx SelectContext(ctx, &dest, "…")
      at(src, 'or-chain', "plan = 'pro' OR plan = 'team' OR plan = 'enterprise'"),
      // after \n and \t escapes in an interpreted string
      at(src, 'or-chain', "metric = 'cpu' OR metric = 'mem'"),
      // across a + of two literals: the range spans the host code between them
      at(src, 'or-chain', "plan = 'free' OR \"+\n\t\t\"plan = 'trial'"),
      // fmt.Sprintf table name: read as a name, no syntax-error; the OFFSET is the query's
      at(src, 'offset-pagination', 'OFFSET 100'),
      // the keyword fallback on a raw-string constant
      at(src, 'partition-range-missing', 'usage_samples', 'const monthly = `SELECT metric, avg(value) FROM '),
      // a // sql marker
      at(src, 'partition-range-missing', 'usage_samples', 'var purge = "DELETE FROM '),
      at(src, 'syntax-error', 'WHERE', 'SET plan = '),
      at(src, 'unused-suppression', '// pgperf-ignore or-chain: nothing to suppress'),
    ]);
  });

  it('INSERT INTO rollup_%s: the formatted name is no finding and no syntax error', () => {
    const rollup = STORE.indexOf('rollup_%s');
    const line = STORE.slice(0, rollup).split('\n').length;
    expect(lintWorkspace(WS).filter((f) => f.file === 'internal/store/store.go' && f.range.start.line + 1 === line)).toEqual([]);
  });

  it('the strings.Join query is skipped; the suppressed SELECT * is silent', () => {
    const all = lintWorkspace(WS).filter((f) => f.file === 'internal/store/store.go');
    const filter = STORE.indexOf('func (s *Store) Filter');
    const exportAt = STORE.indexOf('func (s *Store) Export');
    expect(all.filter((f) => (f.start > filter && f.start < filter + 250) || (f.start > exportAt && f.start < exportAt + 200))).toEqual([]);
  });
});

describe('Go fixes', () => {
  it('keyset fix inside a raw string: the file still parses, rule gone, the SQL parses', () => {
    const fixed = applyHostFix(WS, 'internal/store/store.go', 'offset-pagination', 'OFFSET $2');
    expect(fixed).toContain('\treturn s.db.QueryContext(ctx, `\n\t\tSELECT id, plan\n');
    expect(fixed).toMatch(/`, tenant, page\*50\)\n\}/);
  });

  it('or-chain fix inside an interpreted string keeps its \\n\\t escapes', () => {
    const fixed = applyHostFix(WS, 'internal/store/store.go', 'or-chain', "metric = 'cpu' OR metric = 'mem'");
    expect(fixed).toContain('"DELETE FROM usage_samples\\n\\tWHERE tenant_id = $1');
  });

  it('keyset fix in a fmt.Sprintf format: the %s hole and the call stay intact', () => {
    const fixed = applyHostFix(WS, 'internal/store/store.go', 'offset-pagination', 'OFFSET 100');
    const line = fixed.split('\n').find((l) => l.includes('fmt.Sprintf("SELECT id FROM %s'))!;
    expect(line).toMatch(/^\treturn s\.db\.QueryContext\(ctx, fmt\.Sprintf\("SELECT id FROM %s .*LIMIT 10", table\)\)$/);
  });
});

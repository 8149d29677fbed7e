import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { extractContent } from './helpers';
import { keptHostTrees } from '../../server/src/analysis/host/grammars';

beforeAll(() => initEmbedded());

const SAMPLES: Record<string, string> = {
  'src/orders.ts': [
    "import { Pool } from 'pg';",
    'const pool = new Pool();',
    'export async function page(tenant: string, n: number) {',
    '  const { rows } = await pool.query(`SELECT id FROM orders WHERE tenant_id = $1 ORDER BY id LIMIT 20 OFFSET ${n * 20}`, [tenant]);',
    "  const label = `order ${await pool.query('SELECT 1')}`; // pgperf-ignore select-star: sample",
    '  return sql<Row>`DELETE FROM carts WHERE tenant_id = ${tenant}`, rows, label;',
    '}',
  ].join('\n'),
  'app/events.py': [
    'def recent(cur, tenant, table):',
    '    cur.execute("SELECT id, kind FROM events WHERE tenant_id = %s ORDER BY id LIMIT 10 OFFSET 20", (tenant,))',
    '    q = f"SELECT * FROM {table} WHERE id = {cur.execute(\'SELECT 2\')}"',
    '    return ("SELECT a "',
    '            "FROM b WHERE c = 1")',
  ].join('\n'),
  'store/users.go': [
    'package store',
    '',
    'func ByEmail(ctx context.Context, db *sql.DB, email string) error {',
    '\trow := db.QueryRowContext(ctx, `SELECT id FROM users WHERE email = $1 OFFSET 10`, email)',
    '\tq := fmt.Sprintf("UPDATE users SET name = %s WHERE id = 1", name)',
    '\treturn row.Scan(&q)',
    '}',
  ].join('\n'),
  'src/log.rs': [
    'pub async fn page(pool: &PgPool, n: i64) -> Result<Vec<Event>> {',
    '    let rows = sqlx::query!(r#"SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1"#, n).fetch_all(pool).await?;',
    '    let q = format!("DELETE FROM {} WHERE id = 1", table);',
    '    client.query("SELECT \\"id\\" FROM t WHERE x = $1", &[&x]).await',
    '}',
  ].join('\n'),
};

/** Keystroke-like edits: typing in and deleting from SQL and code, an unclosed quote and its removal, a surrogate pair. */
function* edits(text: string): Generator<string> {
  let t = text;
  const at = (needle: string): number => Math.max(0, t.indexOf(needle));
  for (const [needle, insert] of [
    ['OFFSET', 'x'],
    ['FROM', 'ab '],
    ['return', '"'],
    ['(', '😀'],
    ['id', '\n  '],
  ] as const) {
    const i = at(needle);
    for (let k = 1; k <= insert.length; k++) yield (t = t.slice(0, i) + insert.slice(0, k) + t.slice(i));
    for (let k = insert.length - 1; k >= 0; k--) yield (t = t.slice(0, i) + insert.slice(0, k) + t.slice(i + k + 1));
  }
  yield (t = t + '\n');
  yield (t = 'x' + t);
  yield (t = t.slice(1, -1));
  yield (t = t.slice(0, t.length >> 1));
  yield (t = text);
}

describe('incremental parsing of edited host files', () => {
  it('finds what a fresh parse finds after every keystroke, in every language', () => {
    let fresh = 0;
    for (const [path, text] of Object.entries(SAMPLES)) {
      // Twice first: a tree is kept from the second parse of a path on.
      extractContent(path, text);
      extractContent(path, text);
      let steps = 0;
      for (const t of edits(text)) {
        const incremental = extractContent(path, t);
        const reference = extractContent(`fresh-${fresh++}/${path}`, t);
        expect(incremental, `${path} after edit ${steps}:\n${t}`).toEqual(reference);
        steps++;
      }
      expect(steps).toBeGreaterThan(20);
      expect(extractContent(path, text).sql.length).toBeGreaterThan(1);
    }
    expect(keptHostTrees()).toBe(Object.keys(SAMPLES).length);
  });

  it('keeps no tree for a file parsed once (a one-shot scan), and at most eight', () => {
    const before = keptHostTrees();
    for (let i = 0; i < 20; i++) extractContent(`scan-${i}/orders.ts`, SAMPLES['src/orders.ts']);
    expect(keptHostTrees()).toBe(before);
    for (let i = 0; i < 20; i++) {
      extractContent(`open-${i}/orders.ts`, SAMPLES['src/orders.ts']);
      extractContent(`open-${i}/orders.ts`, SAMPLES['src/orders.ts'] + ' ');
    }
    expect(keptHostTrees()).toBe(8);
    // The oldest were dropped: those paths parse afresh and give the same again.
    expect(extractContent('open-0/orders.ts', SAMPLES['src/orders.ts'])).toEqual(extractContent('open-19/orders.ts', SAMPLES['src/orders.ts']));
  });
});

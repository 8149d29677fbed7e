import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDED_OPTIONS, extractHost, extractSql, initEmbedded, type HostDirective } from '../../server/src/analysis/host';

beforeAll(() => initEmbedded());

/** Each directive as its text and the host code it covers. */
function covered(src: string, ds: HostDirective[]): [string, string][] {
  for (const d of ds) expect(src.slice(d.start, d.end)).toBe(d.text);
  return ds.map((d) => [d.text, src.slice(d.covers.start, d.covers.end)]);
}

describe('host directive comments', () => {
  it('TypeScript: a trailing // comment covers its statement, a comment on its own line the next one, /* */ and -file too', () => {
    const src = [
      '// pgperf-ignore-file select-star',
      "import { Pool } from 'pg';",
      'const pool = new Pool();',
      'export async function page(offset: number) {',
      '  const a = await pool.query(`SELECT id FROM audit',
      '    ORDER BY id LIMIT 20 OFFSET ${offset}`); // pgperf-ignore offset-pagination: audit is small',
      '  // pgperf-ignore or-chain',
      '  // (the status list is short)',
      "  const b = await pool.query(\"SELECT id FROM t WHERE s = 'a' OR s = 'b'\");",
      '  /* pgperf-ignore select-star: a view */',
      '  return pool.query(`SELECT * FROM v`, [a, b]);',
      '}',
      "const note = 'pgperf-ignore in a string is no directive';",
    ].join('\n');
    const { sql, directives } = extractHost('src/page.ts', src);
    expect(sql).toHaveLength(3);
    expect(covered(src, directives)).toEqual([
      ['pgperf-ignore-file select-star', src],
      ['pgperf-ignore offset-pagination: audit is small', 'const a = await pool.query(`SELECT id FROM audit\n    ORDER BY id LIMIT 20 OFFSET ${offset}`);'],
      ['pgperf-ignore or-chain', "const b = await pool.query(\"SELECT id FROM t WHERE s = 'a' OR s = 'b'\");"],
      ['pgperf-ignore select-star: a view', 'return pool.query(`SELECT * FROM v`, [a, b]);'],
    ]);
    // The SQL it covers is the SQL of the statement.
    const d = directives[1];
    expect(sql.filter((e) => e.start >= d.covers.start && e.end <= d.covers.end).map((e) => e.sql.slice(0, 16))).toEqual(['SELECT id FROM a']);
  });

  it('Python: # comments, trailing and before a statement at the start of a block', () => {
    const src = [
      'def page(cur, off):',
      '    # pgperf-ignore offset-pagination: admin screen',
      '    cur.execute("SELECT id FROM logs ORDER BY id LIMIT 10 OFFSET %s", (off,))',
      '    cur.execute("SELECT id FROM logs WHERE a = 1 OR a = 2")  # pgperf-ignore or-chain',
      '    return cur.fetchall()',
    ].join('\n');
    const { directives } = extractHost('app/page.py', src);
    expect(covered(src, directives)).toEqual([
      ['pgperf-ignore offset-pagination: admin screen', 'cur.execute("SELECT id FROM logs ORDER BY id LIMIT 10 OFFSET %s", (off,))'],
      ['pgperf-ignore or-chain', 'cur.execute("SELECT id FROM logs WHERE a = 1 OR a = 2")'],
    ]);
  });

  it('Go and Rust: // and /* */ comments, a trailing one on the last line of a multi-line call', () => {
    const go = [
      'package store',
      '',
      'func (s *Store) Page(ctx context.Context, off int) error {',
      '\t// pgperf-ignore offset-pagination',
      '\t_, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs OFFSET $1)`, off)',
      '\trows, err := s.db.QueryContext(ctx,',
      '\t\t"SELECT * FROM jobs") /* pgperf-ignore select-star */',
      '\treturn err',
      '}',
    ].join('\n');
    expect(covered(go, extractHost('store/page.go', go).directives)).toEqual([
      ['pgperf-ignore offset-pagination', '_, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs OFFSET $1)`, off)'],
      ['pgperf-ignore select-star', 'rows, err := s.db.QueryContext(ctx,\n\t\t"SELECT * FROM jobs")'],
    ]);
    const rs = [
      'pub async fn run(client: &Client) -> Result<(), Error> {',
      '    // pgperf-ignore select-star: the view is narrow',
      '    let rows = client.query("SELECT * FROM narrow_view", &[]).await?;',
      '    let n = client.query_one("SELECT count(*) FROM t", &[]).await?; // pgperf-ignore count-star',
      '    Ok(())',
      '}',
    ].join('\n');
    expect(covered(rs, extractHost('src/run.rs', rs).directives)).toEqual([
      ['pgperf-ignore select-star: the view is narrow', 'let rows = client.query("SELECT * FROM narrow_view", &[]).await?;'],
      ['pgperf-ignore count-star', 'let n = client.query_one("SELECT count(*) FROM t", &[]).await?;'],
    ]);
  });

  it('one parse for both, extractSql the same SQL; no directive in a file without the word, none for a disabled language', () => {
    const src = 'db.query("SELECT id FROM t OFFSET 5"); // pgperf-ignore offset-pagination\n';
    const both = extractHost('a.js', src);
    expect(both.sql.map((e) => e.sql)).toEqual(extractSql('a.js', src).map((e) => e.sql));
    expect(both.directives).toHaveLength(1);
    expect(extractHost('a.js', 'db.query("SELECT id FROM t OFFSET 5"); // ignore\n').directives).toEqual([]);
    // A file with a directive and no SQL keyword is still read for its directives.
    expect(extractHost('a.js', 'run(); // pgperf-ignore x\n').directives.map((d) => d.text)).toEqual(['pgperf-ignore x']);
    const off = { ...DEFAULT_EMBEDDED_OPTIONS, languages: { ...DEFAULT_EMBEDDED_OPTIONS.languages, javascript: false } };
    expect(extractHost('a.js', src, off)).toEqual({ sql: [], directives: [] });
  });
});

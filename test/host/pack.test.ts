import { beforeAll, describe, expect, it } from 'vitest';
import { extractHost, initEmbedded, packExtract, unpackExtract } from '../../server/src/analysis/host';

beforeAll(() => initEmbedded());

/** Host files whose SQL strings have escapes, holes, concatenations, driver parameters and suppression comments. */
const FILES: [string, string][] = [
  [
    'src/a.ts',
    [
      "import { Pool } from 'pg';",
      'export async function run(pool: Pool, t: string, a: unknown) {',
      '  await pool.query(`SELECT id FROM users WHERE tenant_id = $1 ORDER BY id LIMIT 10 OFFSET $2`, [a, 1]);',
      '  // pgperf-ignore offset-pagination: small table',
      "  await pool.query('SELECT * FROM ' + t + ' WHERE name = \\'x\\'\\n  AND id > 0');",
      '  await pool.query(`DELETE FROM ${t} WHERE id NOT IN (SELECT id FROM b)`);',
      '}',
    ].join('\n'),
  ],
  [
    'src/b.py',
    'def run(cur, a):\n    cur.execute("SELECT id\\n  FROM t\\tWHERE a = %s AND b LIKE \'%%x\'", (a,))\n    cur.execute("""SELECT 1 FROM t WHERE é = %(v)s""", {})\n',
  ],
  [
    'src/c.go',
    'package db\n\nfunc run(db *sql.DB, a int) {\n\tdb.Query("SELECT id FROM t WHERE a = ? AND b = \'\\u00e9\'", a)\n\tdb.Query(`SELECT * FROM t`)\n}\n',
  ],
  [
    'src/d.rs',
    'async fn run(client: &Client, a: i64) {\n    client.query(r#"SELECT id FROM t WHERE a = $1"#, &[&a]).await;\n    client.query("SELECT \\"x\\" FROM t", &[]).await;\n}\n',
  ],
];

describe('packExtract / unpackExtract', () => {
  for (const [path, text] of FILES) {
    it(`gives back the extraction of ${path}`, () => {
      const extract = extractHost(path, text);
      expect(extract.sql.length).toBeGreaterThan(0);
      const again = unpackExtract(packExtract(extract, text), text);
      expect(again).toStrictEqual(extract);
      // Twice over: the unpacked extraction packs the same.
      expect(unpackExtract(packExtract(again, text), text)).toStrictEqual(extract);
    });
  }

  it('keeps offsets that are no progressions as they are, and a source that is not the host text', () => {
    const text = 'x'.repeat(50);
    const starts = Int32Array.from([3, 9, 4, 20, 7, 30]);
    const ends = Int32Array.from([4, 10, 5, 21, 8]);
    const piece = { start: 0, end: 5, style: { language: 'python', quote: '"' } as never, source: 'other' };
    const extract = {
      sql: [
        {
          sql: 'abcde',
          language: 'python' as const,
          api: 'execute',
          foundBy: 'call' as const,
          start: 0,
          end: 10,
          pieces: [piece],
          holes: [],
          holesUnreadable: false,
          starts,
          ends,
          down: true,
        },
      ],
      directives: [],
      parseTimeoutMs: 5,
    };
    const again = unpackExtract(packExtract(extract, text), text);
    expect(again).toStrictEqual(extract);
    expect(again.sql[0].starts).not.toBe(starts);
  });
});

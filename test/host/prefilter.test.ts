import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDED_OPTIONS, initEmbedded } from '../../server/src/analysis/host';
import { mayHoldSqlText } from '../../server/src/analysis/host/extract';
import { hostLanguageOf } from '../../server/src/analysis/host/grammars';
import { extract } from './helpers';

beforeAll(() => initEmbedded());

const may = (path: string, text: string, options = DEFAULT_EMBEDDED_OPTIONS): boolean => mayHoldSqlText(text, hostLanguageOf(path)!, options);

// A file is parsed only when its text may hold a string that opens with a statement keyword: each case below reaches
// the keyword through what the text alone cannot read, and is still found.
describe('the text pre-filter keeps every file that holds a query', () => {
  const cases: [string, string, string][] = [
    ['a.ts', "await pool.query('SEL' + 'ECT id FROM accounts');", 'SELECT id FROM accounts'],
    ['a.ts', 'await pool.query("\\x53ELECT id FROM accounts");', 'SELECT id FROM accounts'],
    ['a.ts', 'await pool.query("SEL\\u0045CT id FROM accounts");', 'SELECT id FROM accounts'],
    ['a.ts', 'await pool.query("-- the list\\nSELECT id FROM accounts");', '-- the list\nSELECT id FROM accounts'],
    ['a.ts', 'await pool.query("/* list */ SELECT id FROM accounts");', '/* list */ SELECT id FROM accounts'],
    ['a.js', "await pool.query('\\n\\t(SELECT id FROM accounts)');", '\n\t(SELECT id FROM accounts)'],
    ['a.js', "await pool.query('SEL\\\nECT id FROM accounts');", 'SELECT id FROM accounts'],
    ['a.js', 'const q = `\n  SELECT id FROM accounts`;', '\n  SELECT id FROM accounts'],
    ['a.py', 'cur.execute("SEL" "ECT id FROM accounts")', 'SELECT id FROM accounts'],
    ['a.py', 'cur.execute(\n    "SEL"\n    "ECT id FROM accounts")', 'SELECT id FROM accounts'],
    ['a.py', 'cur.execute(rf"""\nSELECT id FROM accounts""")', '\nSELECT id FROM accounts'],
    ['a.go', 'rows, err := db.Query("SEL" +\n\t"ECT id FROM accounts")', 'SELECT id FROM accounts'],
    ['a.go', 'rows, err := db.Query(`\n\tSELECT id FROM accounts`)', '\n\tSELECT id FROM accounts'],
    ['a.rs', 'client.query("\\u{53}ELECT id FROM accounts", &[]).await?;', 'SELECT id FROM accounts'],
    ['a.rs', 'client.query(r#"SELECT id FROM accounts"#, &[]).await?;', 'SELECT id FROM accounts'],
    ['a.rs', 'client.query("SEL\\\n    ECT id FROM accounts", &[]).await?;', 'SELECT id FROM accounts'],
  ];
  for (const [path, src, sql] of cases) {
    it(`${path}: ${JSON.stringify(src)}`, () => {
      expect(may(path, src)).toBe(true);
      expect(extract(path, src).map((e) => e.sql)).toEqual([sql]);
    });
  }

  it('a string passed to an API needs the API or tag name in the file; the fallback needs SELECT/select… and white space', () => {
    // `Update` passed to a function that is no API: only the fallback could take it, and it takes no `Update`.
    expect(may('a.tsx', "<Button label={t('Update')} onClick={() => save('Delete all')} />")).toBe(false);
    expect(may('a.tsx', "const r = await db.query('Update');")).toBe(true);
    expect(may('a.tsx', "const s = 'update users set a = 1';")).toBe(true);
    expect(may('a.tsx', "const s = 'update users set a = 1';", { ...DEFAULT_EMBEDDED_OPTIONS, keywordFallback: false })).toBe(false);
    expect(may('a.tsx', "/* sql */ const s = 'Update users set a = 1';", { ...DEFAULT_EMBEDDED_OPTIONS, keywordFallback: false })).toBe(true);
    expect(extract('a.tsx', "/* sql */ const s = 'Update users set a = 1';", { ...DEFAULT_EMBEDDED_OPTIONS, keywordFallback: false })).toHaveLength(1);
    // Extra call names count too.
    expect(may('a.ts', "reports.runReport('Vacuum t');", { ...DEFAULT_EMBEDDED_OPTIONS, calls: ['reports.runReport'] })).toBe(true);
    expect(extract('a.ts', "reports.runReport('Vacuum t');", { ...DEFAULT_EMBEDDED_OPTIONS, calls: ['reports.runReport'] })).toHaveLength(1);
    expect(may('a.ts', "reports.run('Vacuum t');", { ...DEFAULT_EMBEDDED_OPTIONS, calls: ['reports.runReport'] })).toBe(false);
  });

  it('keywords outside string openings, and quotes that open no string in the language, do not keep a file', () => {
    expect(may('a.ts', "export function update(x: Item) { delete x.cache; return select(x, 'items', `withheld ${x}`); }")).toBe(false);
    expect(may('a.ts', "const label = 'Selected'; const s = 'selection';")).toBe(false);
    // Rust and Go `'` is a character (or a lifetime), not a string: 's' + … is no cut keyword.
    expect(may('a.rs', "fn f<'s>(c: char) -> bool { c == 's' || c == 'e' } // query")).toBe(false);
    expect(may('a.go', "if c == 's' { return db.Query(q) }")).toBe(false);
    expect(may('a.py', "x = ('s', 'e')  # execute")).toBe(false);
  });
});

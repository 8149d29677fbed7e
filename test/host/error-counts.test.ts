/**
 * The host-file check every fix in application code passes (hostErrorCounts): the edited file is re-parsed
 * incrementally from the original's tree, and must count the same ERROR/MISSING nodes as a parse from scratch, for
 * edits that keep the file valid and edits that break it, in every host language.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostErrorCount, hostErrorCounts, initEmbedded } from '../../server/src/analysis/host';

beforeAll(() => initEmbedded());

const FILES: Record<string, string> = {
  'src/events.ts': readFileSync(join(__dirname, '../../examples/app/src/events.ts'), 'utf8'),
  'app/items.py': 'def page(cur, after):\n    cur.execute("""\n        SELECT id FROM items WHERE id > %s ORDER BY id LIMIT 20\n    """, (after,))\n',
  'items/page.go': 'package items\n\nfunc page(db *sql.DB) {\n\tdb.Query(`SELECT id FROM items ORDER BY id LIMIT 20 OFFSET 40`)\n}\n',
  'src/page.rs': 'fn page(c: &Client) {\n    c.query(r#"SELECT id FROM items ORDER BY id LIMIT 20 OFFSET 40"#, &[]);\n}\n',
};

/** A small deterministic generator: the same edits on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

const INSERTS = ['"', "'", '`', '{', '}', '(', ')', ' ', 'x', '\n', '${', '#', '\\'];

describe('hostErrorCounts', () => {
  for (const [path, text] of Object.entries(FILES)) {
    it(`${path}: the incremental count equals a fresh parse's, before and after 60 edits`, () => {
      const next = random(path.length);
      expect(hostErrorCount(path, text)).toBe(0);
      let broke = 0;
      for (let i = 0; i < 60; i++) {
        const at = Math.floor(next() * text.length);
        const cut = next() < 0.3 ? Math.floor(next() * 4) : 0;
        const edited = text.slice(0, at) + INSERTS[Math.floor(next() * INSERTS.length)] + text.slice(at + cut);
        const counts = hostErrorCounts(path, text, edited);
        expect(counts.before).toBe(0);
        expect(counts.after, `edit at ${at}`).toBe(hostErrorCount(path, edited));
        if (counts.after > 0) broke++;
      }
      // The edits are not all harmless: the check has something to catch.
      expect(broke).toBeGreaterThan(5);
    });
  }

  it('a file that already has errors: counted before and after', () => {
    const text = 'const q = sql`SELECT 1`;\nfunction (\n';
    const edited = text.replace('SELECT 1', 'SELECT 2');
    const counts = hostErrorCounts('src/broken.ts', text, edited);
    expect(counts.before).toBe(hostErrorCount('src/broken.ts', text));
    expect(counts.before).toBeGreaterThan(0);
    expect(counts.after).toBe(counts.before);
  });

  it('no host file: zeros', () => {
    expect(hostErrorCounts('db/schema.sql', 'select (', 'select ((')).toEqual({ before: 0, after: 0 });
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { initEmbedded } from '../../server/src/analysis/host';
import { extractContent } from './helpers';
import { REEXTRACTS } from '../../server/src/analysis/host/extract';

beforeAll(() => initEmbedded());

/**
 * Files in every language with what the reuse after an edit must not get wrong: classes and their members, marker
 * comments, directives (trailing, before the next statement, file-wide), test code, down steps, a variable appended
 * to later, a tag with type arguments, concatenations and formatting calls.
 */
const FILES: Record<string, string> = {
  'src/repo.ts': `import { Pool } from 'pg';
import postgres from 'postgres';
const pool = new Pool();
const sql = postgres();

/* sql */ const TOP = 'SELECT id FROM accounts WHERE plan = $1';

export class OrderRepository {
  constructor(private readonly db: Pool) {}

  // pgperf-ignore offset-pagination: admin screen
  async page(tenant: string, n: number) {
    const { rows } = await this.db.query(\`SELECT id, status FROM orders WHERE tenant_id = $1 ORDER BY id LIMIT 20 OFFSET \${n * 20}\`, [tenant]);
    return rows;
  }

  async byUser(tenant: string, user: string) {
    const label = 'order list';
    return sql<Row[]>\`SELECT * FROM orders WHERE tenant_id = \${tenant} AND user_id = \${user}\`; // pgperf-ignore select-star: wide rows wanted
  }

  async search(q: string) {
    let text = 'SELECT id FROM products WHERE ';
    text += 'name = $1';
    return this.db.query(text, [q]);
  }

  remove(id: string) {
    return this.db.query('DELETE FROM ' + 'carts WHERE id = $1', [id]);
  }
}

describe('repo', () => {
  it('pages', async () => {
    await pool.query('SELECT 1 FROM orders OFFSET 10');
  });
});

export async function totals(tenant: string) {
  const x = a < b;
  const y = c > \`SELECT 1\`;
  return pool.query("UPDATE orders SET status = 'done' WHERE tenant_id = $1", [tenant]);
}
`,
  'migrations/001_init.js': `// pgperf-ignore-file lock-timeout: run off-hours
exports.up = async function (knex) {
  await knex.raw('CREATE TABLE events (id bigint, tenant_id bigint, created_at timestamptz)');
  await knex.raw(\`CREATE INDEX events_tenant_idx ON events (tenant_id)\`);
};

exports.down = async function (knex) {
  await knex.raw('DROP TABLE events');
};

const q = "SELECT id FROM events WHERE tenant_id = 1";
module.exports.recent = () => db.query(q);
`,
  'src/view.tsx': `export function List({ rows }: Props) {
  const data = useQuery(() => client.query('SELECT id, name FROM users WHERE status = $1', ['active']));
  return <ul>{rows.map((r) => <li key={r.id}>{r.name}</li>)}</ul>;
}

export const count = () => sql\`SELECT count(*) FROM users\`;
`,
  'app/events.py': `import psycopg
from sqlalchemy import text

# sql
REPORT = "SELECT kind, count(*) FROM events GROUP BY kind"


class EventStore:
    def __init__(self, conn):
        self.conn = conn

    def recent(self, tenant):
        # pgperf-ignore offset-pagination: small table
        return self.conn.execute("SELECT id FROM events WHERE tenant_id = %s ORDER BY id LIMIT 10 OFFSET 20", (tenant,))

    def by_table(self, table):
        q = f"SELECT * FROM {table} WHERE id = 1"
        return self.conn.execute(q)

    def joined(self):
        return self.conn.execute(("SELECT a "
                                  "FROM b WHERE c = %s"), (1,))


def upgrade():
    op.execute(text("CREATE TABLE t (id int)"))


def downgrade():
    op.execute("DROP TABLE t")


class TestEvents(TestCase):
    def test_it(self):
        self.conn.execute("SELECT 1 FROM events")
`,
  'store/users.go': `package store

import "database/sql"

func init() {
	goose.AddMigration(upUsers, downUsers)
}

func upUsers(tx *sql.Tx) error {
	_, err := tx.Exec("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
	return err
}

func downUsers(tx *sql.Tx) error {
	_, err := tx.Exec("DROP TABLE users")
	return err
}

// ByEmail finds a user.
func ByEmail(ctx context.Context, db *sql.DB, email string) error {
	row := db.QueryRowContext(ctx, \`SELECT id FROM users WHERE email = $1 OFFSET 10\`, email) // pgperf-ignore offset-pagination: one row
	q := fmt.Sprintf("UPDATE users SET name = %s WHERE id = 1", name)
	return row.Scan(&q)
}

func TestByEmail(t *testing.T) {
	db.Exec("DELETE FROM users")
}
`,
  'src/log.rs': `use sqlx::PgPool;

pub struct Log;

impl Log {
    pub async fn page(pool: &PgPool, n: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query!(r#"SELECT id FROM events ORDER BY id LIMIT 10 OFFSET $1"#, n).fetch_all(pool).await?;
        Ok(rows)
    }

    /// Deletes a table's rows.
    pub fn clear(table: &str) -> String {
        format!("DELETE FROM {} WHERE id = 1", table)
    }

    pub async fn one(client: &Client, x: i64) {
        // pgperf-ignore select-star: debug
        client.query("SELECT * FROM t WHERE x = $1", &[&x]).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads() {
        client.query("SELECT 1 FROM events", &[]);
    }

    fn helper() {
        client.query("SELECT 2 FROM events", &[]);
    }
}
`,
};

function brief(x: ReturnType<typeof extractContent>): string[] {
  return [
    ...x.sql.map((e) => `${e.start}-${e.end} ${e.api} ${e.foundBy} down=${e.down} ${JSON.stringify(e.sql)}`),
    ...x.directives.map((d) => `${d.start}-${d.end} ${d.text} covers ${d.covers.start}-${d.covers.end}`),
  ];
}

/** A small deterministic generator (the failures must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** What typing inserts: letters, SQL and code, and what unbalances a file (quotes, braces, comment openers). */
const INSERTS = [
  'x',
  'a',
  ' ',
  '\n',
  '"',
  "'",
  '`',
  '{',
  '}',
  '(',
  ')',
  '/*',
  '*/',
  '//',
  '#',
  '--',
  ';',
  '<',
  '>',
  '${',
  '\\',
  'SELECT ',
  ' OFFSET 5',
  ' WHERE id = 1',
  '# sql\n',
  '/* sql */ ',
  '// pgperf-ignore select-star: r\n',
  '#[test]\n',
  "\n  await pool.query('SELECT id FROM orders OFFSET 30');\n",
  '\n    db.Exec("SELECT * FROM users")\n',
  '\n    cur.execute("SELECT * FROM events OFFSET 3")\n',
  '\n        client.query("SELECT * FROM t", &[]);\n',
  '\nconst extra = "SELECT id FROM users";\n',
  ' += " AND x = 1"',
  'describe(',
  'def test_',
  'down',
  'fmt.Sprintf(',
];

/** Where an edit lands: anywhere, or (more often) inside or next to a SQL string or a keyword of the file. */
function position(t: string, r: () => number): number {
  if (r() < 0.4) return Math.floor(r() * (t.length + 1));
  const anchors = ['SELECT', 'FROM', 'OFFSET', 'query', 'execute', 'Exec', 'pgperf-ignore', 'sql', '}', ')', '\n\n', 'class', 'def ', 'fn ', 'func '];
  const a = anchors[Math.floor(r() * anchors.length)];
  const hits: number[] = [];
  for (let i = t.indexOf(a); i >= 0; i = t.indexOf(a, i + 1)) hits.push(i);
  if (hits.length === 0) return Math.floor(r() * (t.length + 1));
  return hits[Math.floor(r() * hits.length)] + Math.floor(r() * (a.length + 1));
}

/** A sequence of edited texts: keystrokes typed and deleted again, random inserts, deletions and replacements. */
function* edits(text: string, seed: number, count: number): Generator<string> {
  const r = rng(seed);
  let t = text;
  for (let k = 0; k < count; k++) {
    const kind = r();
    const at = position(t, r);
    if (kind < 0.35) {
      // Typing a word, a keystroke at a time, then deleting it again.
      const word = INSERTS[Math.floor(r() * INSERTS.length)];
      for (let i = 1; i <= word.length; i++) yield (t = t.slice(0, at) + word.slice(0, i) + t.slice(at));
      if (r() < 0.7) for (let i = word.length - 1; i >= 0; i--) yield (t = t.slice(0, at) + word.slice(0, i) + t.slice(at + i + 1));
    } else if (kind < 0.65) {
      yield (t = t.slice(0, at) + INSERTS[Math.floor(r() * INSERTS.length)] + t.slice(at));
    } else if (kind < 0.85) {
      yield (t = t.slice(0, at) + t.slice(Math.min(t.length, at + 1 + Math.floor(r() * 12))));
    } else if (kind < 0.95) {
      // A line removed, or a query call with it.
      const start = t.lastIndexOf('\n', at - 1) + 1;
      const end = t.indexOf('\n', at);
      yield (t = t.slice(0, start) + t.slice(end < 0 ? t.length : end + 1));
    } else {
      // Back to the original now and then, so that the file does not drift into noise.
      yield (t = text);
    }
  }
}

describe('re-extraction after an edit', () => {
  for (const [path, text] of Object.entries(FILES)) {
    it(`equals a fresh extraction after every edit: ${path}`, () => {
      let fresh = 0;
      const before = { ...REEXTRACTS };
      let steps = 0;
      expect(extractContent(`fresh-seed/${path}`, text).sql.length, path).toBeGreaterThan(1);
      for (const seed of [1, 2]) {
        const p = `seed-${seed}/${path}`;
        // Twice first: the tree (and the last extraction) are kept from the second parse of a path on.
        extractContent(p, text);
        expect(extractContent(p, text)).toEqual(extractContent(`fresh-${fresh++}/${path}`, text));
        for (const t of edits(text, seed * 7919 + path.length, 70)) {
          const incremental = extractContent(p, t);
          const reference = extractContent(`fresh-${fresh++}/${path}`, t);
          // The short form first, so that a failure reads as which string or directive differs.
          expect(brief(incremental), `${p} after edit ${steps}:\n${t}`).toEqual(brief(reference));
          expect(incremental, `${p} after edit ${steps}:\n${t}`).toEqual(reference);
          steps++;
        }
      }
      expect(steps).toBeGreaterThan(200);
      // Edits re-read a span only often enough for this to test the reuse.
      expect(REEXTRACTS.partial - before.partial).toBeGreaterThan(steps / 10);
      expect(REEXTRACTS.full - before.full).toBeGreaterThan(0);
    }, 120_000);
  }

  it('re-reads only a span for typing inside a class member, and keeps nothing for a file parsed once', () => {
    // Without the top-level constant: whether it is appended to later is read from the whole rest of the file.
    const text = FILES['src/repo.ts'].replace(/^\/\* sql \*\/ const TOP.*$/m, '');
    const typed = (t: string): string => t.slice(0, t.indexOf('OFFSET ${n')) + 'x' + t.slice(t.indexOf('OFFSET ${n'));
    extractContent('span/src/repo.ts', text);
    extractContent('span/src/repo.ts', text);
    let before = { ...REEXTRACTS };
    expect(extractContent('span/src/repo.ts', typed(text))).toEqual(extractContent('span-fresh/src/repo.ts', typed(text)));
    expect(REEXTRACTS).toEqual({ partial: before.partial + 1, full: before.full });
    // With it, an edit after the constant re-reads the whole file.
    extractContent('whole/src/repo.ts', FILES['src/repo.ts']);
    extractContent('whole/src/repo.ts', FILES['src/repo.ts']);
    before = { ...REEXTRACTS };
    expect(extractContent('whole/src/repo.ts', typed(FILES['src/repo.ts']))).toEqual(extractContent('whole-fresh/src/repo.ts', typed(FILES['src/repo.ts'])));
    expect(REEXTRACTS).toEqual({ partial: before.partial, full: before.full + 1 });
    // A path parsed once keeps nothing: neither counter moves.
    before = { ...REEXTRACTS };
    extractContent('once/src/repo.ts', typed(text));
    expect(REEXTRACTS).toEqual(before);
  });
});

/**
 * The fuzzer's inputs (issue 18): seeded mutations of real SQL and host-language files. Every input is a pure
 * function of (run seed, input index, seed files), so an input a run reports can be made again from those three
 * numbers alone (`inputAt`), without storing the megabyte texts some of them are.
 */

/** A file the mutations start from. */
export interface SeedFile {
  /** Where it came from (for the report); its extension decides the language. */
  name: string;
  text: string;
}

/** One fuzz input: a file to lint and to open in the language server. */
export interface FuzzInput {
  index: number;
  /** The workspace-relative path it is linted and opened as (.sql, .ts, .py, .go or .rs). */
  path: string;
  text: string;
  /** The seed file it was made from, and the mutations applied in order. */
  seed: string;
  ops: string[];
}

export interface MutateOptions {
  /** Upper bound of the long-line and long-list mutations, in characters (default 1 MB). */
  maxChars?: number;
  /** Upper bound of the terms of chains, lists and nesting (default 30,000). */
  maxTerms?: number;
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same inputs on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Log-uniform in [lo, hi]: sizes from tiny to huge, each order of magnitude as likely. */
  size(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo))));
  }
}

/** A hash of (run seed, index) for the per-input generator, so inputs do not depend on the ones before them. */
function inputSeed(runSeed: number, index: number): number {
  // The run seed mixed on its own first: xor-ing it with the index gave seeds s and t the same inputs, permuted.
  let h = Math.imul((runSeed ^ 0x9e3779b9) >>> 0, 0x27d4eb2d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const repeat = (n: number, part: string, sep = '') => Array(n).fill(part).join(sep);

/** Characters that change how SQL is tokenised: quotes, dollar quotes, comments, brackets, line ends. */
const TOKEN_CHARS = ["'", '"', '$', '$$', '$a$', ';', '(', ')', '[', ']', '--', '/*', '*/', '\n', '\r', '\r\n', ' ', ',', '::', "E'", '\\', '`', '{', '}'];
const WORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'OR',
  'AND',
  'NOT',
  'IN',
  'UNION',
  'JOIN',
  'ON',
  'CASE',
  'END',
  'BEGIN',
  'COMMIT',
  'CREATE',
  'INDEX',
  'TABLE',
  'NULL',
];
const ODD = ['\u0000', '\ud800', '\udfff', '\ufeff', '\u2028', '\u00a0', '\ud83d', '\ude00', '😀', '\u0301', '\u200b'];

/** Statement-level deep shapes that PostgreSQL accepts, each of `n` levels or terms. */
const DEEP: ((n: number) => string)[] = [
  (n) => `SELECT ${repeat(n, '1', '+')}`,
  (n) => `SELECT ${repeat(n, "'a'", ' || ')}`,
  (n) => repeat(n, 'SELECT 1', ' UNION '),
  (n) => repeat(n, 'SELECT a FROM t WHERE x = 1', ' UNION ALL '),
  (n) => `SELECT ${repeat(n, '(')}1${repeat(n, ')')}`,
  (n) => `SELECT ${repeat(n, '(SELECT ')}1${repeat(n, ')')}`,
  (n) => `SELECT ${repeat(n, 'NOT ')}true`,
  (n) => `SELECT 1${repeat(n, '::int')}`,
  (n) => `SELECT ${repeat(n, 'CASE WHEN a = 1 THEN ')}1${repeat(n, ' END')} FROM t`,
  (n) => `SELECT ${repeat(n, 'coalesce(')}a${repeat(n, ', 1)')} FROM t`,
  (n) => `SELECT * FROM t t0${Array.from({ length: n }, (_, i) => ` JOIN t t${i + 1} ON t${i}.a = t${i + 1}.a`).join('')}`,
  (n) => `${repeat(n, 'WITH x AS (')}SELECT a FROM t${repeat(n, ') SELECT * FROM x')}`,
  (n) => `UPDATE t SET x = 1 WHERE ${repeat(n, '(a = 1 AND (x = 2 OR x = 3) AND ')}true${repeat(n, ')')}`,
  (n) => `SELECT * FROM t WHERE ${repeat(n, 'a = 1', ' AND ')}`,
  (n) => `SELECT ARRAY${repeat(n, '[')}1${repeat(n, ']')}`,
];

/** Long lists: IN lists, OR chains on one column (the or-chain rule's input), VALUES rows. */
const LISTS: ((n: number) => string)[] = [
  (n) => `SELECT * FROM t WHERE a IN (${Array.from({ length: n }, (_, i) => i).join(', ')})`,
  (n) => `SELECT * FROM t WHERE ${Array.from({ length: n }, (_, i) => `a = ${i}`).join(' OR ')}`,
  (n) => `SELECT * FROM t WHERE ${Array.from({ length: n }, (_, i) => `(a = ${i} OR b = '${i}')`).join(' OR ')}`,
  (n) => `DELETE FROM t WHERE id NOT IN (${Array.from({ length: n }, (_, i) => `'${i}'`).join(',')})`,
  (n) => `INSERT INTO t (a, b) VALUES ${Array.from({ length: n }, (_, i) => `(${i}, 'x')`).join(', ')}`,
];

/** One line of about `chars` characters, of several kinds (a string, a comment, a statement, noise). */
function longLine(rng: Rng, chars: number): string {
  switch (rng.int(0, 5)) {
    case 0:
      return `SELECT '${'a'.repeat(chars)}';`;
    case 1:
      return `-- ${'x'.repeat(chars)}`;
    case 2:
      return `SELECT * FROM t WHERE a IN (${repeat(Math.ceil(chars / 6), '12345', ',')});`;
    case 3:
      return `/* ${'*'.repeat(chars)}`;
    case 4:
      // A syntax error with a `;` in brackets: the splitter must not re-tokenise it on every edit (issue 18).
      return `SELECT (${'a ;'.repeat(Math.ceil(chars / 3))} FROM`;
    default:
      return Array.from({ length: Math.ceil(chars / 5) }, () =>
        rng.pick([...WORDS, ...TOKEN_CHARS.filter((c) => !c.includes('\n') && !c.includes('\r'))]),
      ).join(' ');
  }
}

/** Offsets where a string, dollar quote or comment starts in `text` (approximate: a quick scan, not the lexer). */
function openers(text: string): number[] {
  const out: number[] = [];
  const re = /'|"|\$[A-Za-z_]*\$|--|\/\*|`/g;
  for (let m = re.exec(text); m && out.length < 2000; m = re.exec(text)) out.push(m.index + m[0].length);
  return out;
}

/** Offsets just after a `;` (statement boundaries in most SQL files), plus the start and end. */
function boundaries(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf(';'); i >= 0 && out.length < 5000; i = text.indexOf(';', i + 1)) out.push(i + 1);
  out.push(text.length);
  return out;
}

type Mutation = (text: string, rng: Rng, o: Required<MutateOptions>) => [string, string];

const MUTATIONS: Record<string, { weight: number; apply: Mutation }> = {
  byteEdits: {
    weight: 6,
    apply: (text, rng) => {
      let t = text;
      const n = rng.int(1, 8);
      for (let k = 0; k < n; k++) {
        const at = rng.int(0, t.length);
        const del = rng.chance(0.5) ? rng.int(0, Math.min(20, t.length - at)) : 0;
        const ins = rng.chance(0.7) ? rng.pick(rng.chance(0.7) ? TOKEN_CHARS : WORDS) : '';
        t = t.slice(0, at) + ins + t.slice(at + del);
      }
      return [t, `byteEdits(${n})`];
    },
  },
  truncate: {
    weight: 4,
    apply: (text, rng) => {
      const at = openers(text);
      const cut = at.length && rng.chance(0.8) ? Math.min(text.length, rng.pick(at) + rng.int(0, 3)) : rng.int(0, text.length);
      return [text.slice(0, cut), `truncate(${cut})`];
    },
  },
  deep: {
    weight: 3,
    apply: (text, rng, o) => {
      const k = rng.int(0, DEEP.length - 1);
      const n = rng.size(2, o.maxTerms);
      const b = rng.pick(boundaries(text));
      return [`${text.slice(0, b)}\n${DEEP[k](n)};\n${text.slice(b)}`, `deep(${k}, ${n})`];
    },
  },
  list: {
    weight: 3,
    apply: (text, rng, o) => {
      const k = rng.int(0, LISTS.length - 1);
      const n = rng.size(2, o.maxTerms);
      const b = rng.pick(boundaries(text));
      return [`${text.slice(0, b)}\n${LISTS[k](n)};\n${text.slice(b)}`, `list(${k}, ${n})`];
    },
  },
  longLine: {
    weight: 1,
    apply: (text, rng, o) => {
      const chars = rng.size(1000, o.maxChars);
      const b = rng.pick(boundaries(text));
      return [`${text.slice(0, b)}\n${longLine(rng, chars)}\n${text.slice(b)}`, `longLine(${chars})`];
    },
  },
  oddChars: {
    weight: 3,
    apply: (text, rng) => {
      let t = text;
      const n = rng.int(1, 6);
      for (let k = 0; k < n; k++) {
        const at = rng.int(0, t.length);
        t = t.slice(0, at) + rng.pick(ODD) + t.slice(at);
      }
      return [t, `oddChars(${n})`];
    },
  },
  lineEnds: {
    weight: 4,
    apply: (text, rng) => {
      const mode = rng.pick(['crlf', 'cr', 'mixed'] as const);
      const lines = text.split(/\r\n|\r|\n/);
      if (mode === 'crlf') return [lines.join('\r\n'), 'lineEnds(crlf)'];
      if (mode === 'cr') return [lines.join('\r'), 'lineEnds(cr)'];
      return [lines.map((l, i) => (i === lines.length - 1 ? l : l + rng.pick(['\n', '\r\n', '\r']))).join(''), 'lineEnds(mixed)'];
    },
  },
  splice: {
    weight: 2,
    apply: (text, rng) => {
      const b = boundaries(text);
      const i = rng.int(0, b.length - 1);
      const j = rng.int(i, Math.min(b.length - 1, i + 5));
      const part = text.slice(b[i], b[j]);
      const at = rng.pick(b);
      return [text.slice(0, at) + part + text.slice(at), `splice(${b[i]}..${b[j]} @${at})`];
    },
  },
};

const MUTATION_NAMES = Object.keys(MUTATIONS);
const TOTAL_WEIGHT = MUTATION_NAMES.reduce((n, k) => n + MUTATIONS[k].weight, 0);

function pickMutation(rng: Rng): string {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const k of MUTATION_NAMES) {
    r -= MUTATIONS[k].weight;
    if (r < 0) return k;
  }
  return MUTATION_NAMES[0];
}

/** SQL put into a host-language file, as applications hold it (a database call with the SQL as its string). */
const HOSTS: { ext: string; wrap: (sql: string) => string }[] = [
  {
    ext: 'ts',
    wrap: (sql) =>
      `import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function q(id: string) {\n  return pool.query(\`${sql.replace(/[`\\]|\$\{/g, (c) => `\\${c}`)}\`, [id]);\n}\n`,
  },
  {
    ext: 'ts',
    wrap: (sql) =>
      `import postgres from 'postgres';\nconst sql = postgres();\nexport const rows = () => sql\`${sql.replace(/[`\\]|\$\{/g, (c) => `\\${c}`)}\`;\n`,
  },
  {
    ext: 'py',
    wrap: (sql) =>
      `def run(cur, uid):\n    cur.execute(\n        """${sql.replace(/\\|"""/g, (c) => `\\${c}`)}""",\n        (uid,),\n    )\n    return cur.fetchall()\n`,
  },
  {
    ext: 'go',
    wrap: (sql) => `package store\n\nfunc List(db *sql.DB, id string) (*sql.Rows, error) {\n\treturn db.Query(\`${sql.replace(/`/g, "'")}\`, id)\n}\n`,
  },
  {
    ext: 'rs',
    wrap: (sql) =>
      `pub async fn list(pool: &PgPool) -> Result<Vec<Row>> {\n    sqlx::query(r#"${sql.replace(/"#/g, '" #')}"#)\n        .fetch_all(pool)\n        .await\n}\n`,
  },
];

const extOf = (name: string) => {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? m[1].toLowerCase() : 'sql';
};

/**
 * Input number `index` of the run seeded with `runSeed`: a seed file picked by the input's own generator, one to
 * three mutations (or none, one time in twenty: the seed as it is), and, for an SQL seed, one time in six, the
 * result wrapped in a host-language file. Host seeds are mutated as they are (their strings and code alike).
 */
export function inputAt(runSeed: number, index: number, seeds: readonly SeedFile[], options: MutateOptions = {}): FuzzInput {
  const o: Required<MutateOptions> = { maxChars: options.maxChars ?? 1_000_000, maxTerms: options.maxTerms ?? 30_000 };
  const rng = new Rng(inputSeed(runSeed, index));
  const seed = rng.pick(seeds);
  let text = seed.text;
  const ops: string[] = [];
  const n = rng.chance(0.05) ? 0 : rng.int(1, 3);
  for (let k = 0; k < n; k++) {
    const [t, op] = MUTATIONS[pickMutation(rng)].apply(text, rng, o);
    text = t;
    ops.push(op);
  }
  let ext = extOf(seed.name);
  if (ext === 'sql' && rng.chance(1 / 6)) {
    const host = rng.pick(HOSTS);
    text = host.wrap(text);
    ext = host.ext;
    ops.push(`host(${ext})`);
  }
  return { index, path: `fuzz/input-${index}.${ext}`, text, seed: seed.name, ops };
}

/**
 * Assembles the SQL of one embedded query from literal pieces and host-language holes, keeping for every SQL
 * character the host-file range it came from. A hole becomes a placeholder the PostgreSQL grammar takes in its
 * position: an identifier where a name stands, elsewhere a parameter.
 */
import { placeholder } from '../templates';
import type { Decoded } from './decode';

export type HoleKind = 'identifier' | 'value' | 'literal';

export interface Hole {
  /** SQL range of the placeholder. */
  sqlStart: number;
  sqlEnd: number;
  /** Host range of the interpolation (`${x}`, `{}`, `%s`, `+ name +`) or of a driver parameter (`%s`, `:name`, `?`). */
  hostStart: number;
  hostEnd: number;
  kind: HoleKind;
  /** `interpolation`: host code the SQL text does not hold (never edit it); `parameter`: the driver's own placeholder. */
  origin: 'interpolation' | 'parameter';
}

/** How a hole that stands for a value is written: `$n` numbered in order (a tag's or driver's parameter) or `$0…01`. */
export type ValueStyle = 'numbered' | 'padded';

interface HolePart {
  start: number;
  end: number;
  text: string;
  origin: Hole['origin'];
  style: ValueStyle;
  /** For a driver parameter: the source characters, kept as text where the parameter reading does not apply. */
  source?: Decoded;
  /** Whether the parameter reading applies between `before` and `after` (quotes are checked for every parameter). */
  applies?: (before: string, after: string) => boolean;
  /** The kind the driver gives the parameter (knex `??` binds a name), whatever its position suggests. */
  kind?: HoleKind;
}

type Part = { decoded: Decoded } | { hole: HolePart };

export interface Built {
  sql: string;
  starts: Int32Array;
  ends: Int32Array;
  holes: Hole[];
}

export class SqlBuilder {
  private readonly parts: Part[] = [];

  text(decoded: Decoded): void {
    if (decoded.text.length > 0) this.parts.push({ decoded });
  }

  hole(start: number, end: number, text: string, style: ValueStyle): void {
    this.parts.push({ hole: { start, end, text, origin: 'interpolation', style } });
  }

  /** A driver's parameter inside the literal (`%s`, `:name`, `?`): a placeholder unless quoted or out of place. */
  parameter(source: Decoded, applies?: HolePart['applies'], kind?: HoleKind): void {
    const start = source.starts[0];
    const end = source.ends[source.ends.length - 1];
    this.parts.push({ hole: { start, end, text: source.text, origin: 'parameter', style: 'numbered', source, applies, kind } });
  }

  get hasInterpolation(): boolean {
    return this.parts.some((p) => 'hole' in p && p.hole.origin === 'interpolation');
  }

  get hasText(): boolean {
    return this.parts.some((p) => 'decoded' in p);
  }

  /** The literal text with each hole as `hole` (for a look at what the query starts with). */
  peek(): string {
    return this.parts.map((p) => ('decoded' in p ? p.decoded.text : ' x ')).join('');
  }

  /**
   * The SQL. `flip` turns every interpolated hole's kind between name and value: a second reading for SQL that
   * does not parse with the first (`ON CONFLICT DO ${action}`, `GRANT … TO ${role}`).
   */
  build(flip = false): Built {
    const holes: Hole[] = [];
    const sql = new SqlSoFar();
    const starts = new Offsets();
    const ends = new Offsets();
    let param = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i];
      if ('decoded' in p) {
        sql.push(p.decoded.text);
        starts.append(p.decoded.starts);
        ends.append(p.decoded.ends);
        continue;
      }
      const { start, end, text, origin, style, source, applies, kind: given } = p.hole;
      const next = this.parts[i + 1];
      const after = next && 'decoded' in next ? next.decoded.text : '';
      const quote = sql.quotes.open;
      if (source && (quote !== undefined || (applies && !applies(sql.tail, after)))) {
        sql.push(source.text);
        starts.append(source.starts);
        ends.append(source.ends);
        continue;
      }
      let kind = holeKind(sql, after, quote);
      if (given && kind !== 'literal') kind = given;
      if (flip && origin === 'interpolation' && kind !== 'literal') kind = kind === 'value' ? 'identifier' : 'value';
      let ph: string;
      // `$%d`: the hole is a parameter's number.
      if (sql.tail.endsWith('$') && kind !== 'literal') ph = '1'.repeat(text.length);
      else if (kind === 'value' && style === 'numbered') ph = `$${++param}`;
      else if (kind === 'value' && text.length < 2) ph = `$${++param}`;
      else if (kind === 'literal') ph = placeholder(text, 'identifier').slice(1).padStart(text.length, 'x');
      else ph = placeholder(text, kind);
      const sqlStart = sql.length;
      sql.push(ph);
      for (let k = 0; k < ph.length; k++) {
        // Placeholder characters map one to one onto the hole while they can, so a name keeps its columns.
        const at = Math.min(start + k, end - 1);
        starts.push(ph.length === end - start ? at : start);
        ends.push(ph.length === end - start ? at + 1 : end);
      }
      holes.push({ sqlStart, sqlEnd: sql.length, hostStart: start, hostEnd: end, kind, origin });
    }
    return { sql: sql.join(), starts: starts.done(), ends: ends.done(), holes };
  }
}

/** Keywords after which a name follows. */
const NAME_KEYWORDS = new Set([
  'FROM',
  'JOIN',
  'INTO',
  'UPDATE',
  'TABLE',
  'ON',
  'ONLY',
  'EXISTS',
  'VIEW',
  'SCHEMA',
  'SEQUENCE',
  'INDEX',
  'TRUNCATE',
  'REFERENCES',
  'AS',
  'TYPE',
  'COLUMN',
  'TRIGGER',
  'FUNCTION',
  'EXTENSION',
  'DATABASE',
  'ROLE',
  'USING',
  'USER',
  'TO',
  'ANALYZE',
  'VACUUM',
  'PUBLICATION',
  'SUBSCRIPTION',
  'CONSTRAINT',
  'SAVEPOINT',
  'INHERITS',
]);

/**
 * The kind of placeholder a hole between `before` and `after` needs: text inside a SQL string literal or quoted
 * name, a name (after a keyword that takes one, next to `.` or glued to a word), or a value.
 */
function holeKind(before: SqlSoFar, after: string, quote: string | undefined): HoleKind {
  if (quote !== undefined) return 'literal';
  const tail = before.tail;
  const prev = tail.charCodeAt(tail.length - 1);
  const next = after.charCodeAt(0);
  if (prev === 46 || next === 46 || isWord(prev) || isWord(next)) return 'identifier';
  const m = /([A-Za-z_]+)\s*$/.exec(tail);
  // A word cut by the tail's start is no keyword.
  if (m && !(m.index === 0 && tail.length < before.length) && NAME_KEYWORDS.has(m[1].toUpperCase())) return 'identifier';
  // A list of names after one of those keywords: `FROM a, ${b}`.
  if (/\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+[\w."]+\s*,\s*$/i.test(tail)) return 'identifier';
  return 'value';
}

/** How much of the SQL before a hole decides its kind (see SqlSoFar). */
const TAIL = 256;

/**
 * The SQL built so far: its pieces, joined once at the end; its last TAIL characters, where what decides a hole's
 * kind stands; and its quotes, read piece by piece. Anything that read the whole text at every hole (a pattern
 * anchored at its end, a scan from its start, or only a character of a string grown by `+=`, which V8 then copies
 * flat) made a string of hundreds of kilobytes with thousands of holes take seconds (bench/fuzz.mjs --seed 1,
 * inputs 12719 and 22680).
 */
class SqlSoFar {
  private readonly pieces: string[] = [];
  length = 0;
  tail = '';
  readonly quotes = new QuoteScan();

  push(text: string): void {
    if (text.length === 0) return;
    this.pieces.push(text);
    this.length += text.length;
    this.tail = text.length >= TAIL ? text.slice(-TAIL) : (this.tail + text).slice(-TAIL);
    this.quotes.feed(text);
  }

  join(): string {
    return this.pieces.join('');
  }
}

/**
 * Whether a quote (`'` or `"`) is open at the end of the SQL fed so far, skipping line and block comments;
 * fed piece by piece, with what a piece's last character may start or end with the next one's first kept over.
 * A quote just closed at the end of what was fed counts as closed (a doubled one in the next piece reopens it).
 */
class QuoteScan {
  private mode: 'code' | 'quote' | 'line' | 'block' = 'code';
  private quote = '';
  /** The last character fed was `-` or `/` (code), the quote (quote) or `*` (block comment). */
  private pending = '';

  get open(): string | undefined {
    return this.mode === 'quote' && !this.pending ? this.quote : undefined;
  }

  feed(s: string): void {
    let i = 0;
    while (i < s.length) {
      const pending = this.pending;
      this.pending = '';
      switch (this.mode) {
        case 'quote': {
          if (pending && s[i] === this.quote) {
            i++;
            continue;
          }
          if (pending) {
            this.mode = 'code';
            continue;
          }
          const j = s.indexOf(this.quote, i);
          if (j < 0) return;
          this.pending = this.quote;
          i = j + 1;
          continue;
        }
        case 'line': {
          const j = s.indexOf('\n', i);
          if (j < 0) return;
          this.mode = 'code';
          i = j + 1;
          continue;
        }
        case 'block': {
          if (pending && s[i] === '/') {
            this.mode = 'code';
            i++;
            continue;
          }
          const j = s.indexOf('*/', i);
          if (j >= 0) {
            this.mode = 'code';
            i = j + 2;
            continue;
          }
          // The opener's own `*` closes nothing: only a star read in this mode may.
          if (s.length > i && s[s.length - 1] === '*') this.pending = '*';
          return;
        }
        case 'code': {
          if (pending === '-' && s[i] === '-') {
            this.mode = 'line';
            i++;
            continue;
          }
          if (pending === '/' && s[i] === '*') {
            this.mode = 'block';
            i++;
            continue;
          }
          i = this.code(s, i);
        }
      }
    }
  }

  /** Reads code from `i` up to what opens a quote or a comment; returns where to go on. */
  private code(s: string, i: number): number {
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === "'" || c === '"') {
        this.mode = 'quote';
        this.quote = c;
        return i + 1;
      }
      if (c !== '-' && c !== '/') continue;
      if (i + 1 >= s.length) {
        this.pending = c;
        return i + 1;
      }
      const d = s[i + 1];
      if (c === '-' && d === '-') {
        this.mode = 'line';
        return i + 2;
      }
      if (c === '/' && d === '*') {
        this.mode = 'block';
        return i + 2;
      }
    }
    return i;
  }
}

function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}

/** A growing list of offsets, copied a piece at a time. */
class Offsets {
  private buf = new Int32Array(256);
  private n = 0;

  private room(more: number): void {
    if (this.n + more <= this.buf.length) return;
    const next = new Int32Array(Math.max(this.buf.length * 2, this.n + more));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  push(x: number): void {
    this.room(1);
    this.buf[this.n++] = x;
  }

  append(xs: Int32Array): void {
    this.room(xs.length);
    this.buf.set(xs, this.n);
    this.n += xs.length;
  }

  done(): Int32Array {
    return this.buf.subarray(0, this.n);
  }
}

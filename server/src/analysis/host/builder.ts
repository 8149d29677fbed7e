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
  starts: number[];
  ends: number[];
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
    const out: Built = { sql: '', starts: [], ends: [], holes: [] };
    const quotes = new QuoteScan();
    let param = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const p = this.parts[i];
      if ('decoded' in p) {
        out.sql += p.decoded.text;
        append(out, p.decoded);
        continue;
      }
      const { start, end, text, origin, style, source, applies, kind: given } = p.hole;
      const next = this.parts[i + 1];
      const after = next && 'decoded' in next ? next.decoded.text : '';
      const quote = quotes.openAt(out.sql);
      if (source && (quote !== undefined || (applies && !applies(tailOf(out.sql), after)))) {
        out.sql += source.text;
        append(out, source);
        continue;
      }
      let kind = holeKind(out.sql, after, quote);
      if (given && kind !== 'literal') kind = given;
      if (flip && origin === 'interpolation' && kind !== 'literal') kind = kind === 'value' ? 'identifier' : 'value';
      let ph: string;
      // `$%d`: the hole is a parameter's number.
      if (out.sql.endsWith('$') && kind !== 'literal') ph = '1'.repeat(text.length);
      else if (kind === 'value' && style === 'numbered') ph = `$${++param}`;
      else if (kind === 'value' && text.length < 2) ph = `$${++param}`;
      else if (kind === 'literal') ph = placeholder(text, 'identifier').slice(1).padStart(text.length, 'x');
      else ph = placeholder(text, kind);
      const sqlStart = out.sql.length;
      out.sql += ph;
      for (let k = 0; k < ph.length; k++) {
        // Placeholder characters map one to one onto the hole while they can, so a name keeps its columns.
        const at = Math.min(start + k, end - 1);
        out.starts.push(ph.length === end - start ? at : start);
        out.ends.push(ph.length === end - start ? at + 1 : end);
      }
      out.holes.push({ sqlStart, sqlEnd: out.sql.length, hostStart: start, hostEnd: end, kind, origin });
    }
    return out;
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
function holeKind(before: string, after: string, quote: string | undefined): HoleKind {
  if (quote !== undefined) return 'literal';
  const prev = before.charCodeAt(before.length - 1);
  const next = after.charCodeAt(0);
  if (prev === 46 || next === 46 || isWord(prev) || isWord(next)) return 'identifier';
  const tail = tailOf(before);
  const m = /([A-Za-z_]+)\s*$/.exec(tail);
  // A word cut by the tail's start is no keyword.
  if (m && !(m.index === 0 && tail.length < before.length) && NAME_KEYWORDS.has(m[1].toUpperCase())) return 'identifier';
  // A list of names after one of those keywords: `FROM a, ${b}`.
  if (/\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+[\w."]+\s*,\s*$/i.test(tail)) return 'identifier';
  return 'value';
}

/**
 * The end of the SQL before a hole, where what decides its kind stands: the patterns anchored at the end scan a
 * string from its start, once per hole, which made a 420 KB string with thousands of holes take 28 s
 * (bench/fuzz.mjs --seed 1, input 12719).
 */
function tailOf(sql: string): string {
  return sql.length > 256 ? sql.slice(-256) : sql;
}

/**
 * The quote (`'` or `"`) still open at the end of the SQL built so far, skipping comments and dollar quotes roughly;
 * read on from where the last call stopped (the SQL only grows), not from its start at every hole.
 */
class QuoteScan {
  private i = 0;
  private open: string | undefined;

  openAt(sql: string): string | undefined {
    let i = this.i;
    let open = this.open;
    for (; i < sql.length; i++) {
      const c = sql[i];
      if (open) {
        if (c === open) {
          // Closed here, unless what the SQL goes on with doubles it: read it again then.
          if (i + 1 >= sql.length) return this.keep(i, open, undefined);
          if (sql[i + 1] === open) i++;
          else open = undefined;
        }
      } else if (c === "'" || c === '"') open = c;
      else if (c === '-' && sql[i + 1] === '-') {
        const nl = sql.indexOf('\n', i);
        // An unclosed comment: none open here, and read again from it next time.
        if (nl < 0) return this.keep(i, open, undefined);
        i = nl;
      } else if (c === '/' && sql[i + 1] === '*') {
        const close = sql.indexOf('*/', i + 2);
        if (close < 0) return this.keep(i, open, undefined);
        i = close + 1;
      } else if ((c === '-' || c === '/') && i + 1 >= sql.length) break;
    }
    return this.keep(i, open, open);
  }

  private keep(i: number, open: string | undefined, result: string | undefined): string | undefined {
    this.i = i;
    this.open = open;
    return result;
  }
}

function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}

/**
 * Appends a piece's offsets in a loop: push(...offsets) passes each as an argument, past the stack for a string of
 * ~125,000 characters (found by bench/fuzz.mjs).
 */
function append(out: Built, piece: { starts: readonly number[]; ends: readonly number[] }): void {
  const { starts, ends } = piece;
  for (let i = 0; i < starts.length; i++) out.starts.push(starts[i]);
  for (let i = 0; i < ends.length; i++) out.ends.push(ends[i]);
}

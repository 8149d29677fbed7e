/**
 * An edit of embedded SQL (a fix) as an edit of the host file: it lands inside one literal, is written the way
 * that literal writes text, and leaves the host code of the interpolations alone.
 */
import type { EmbeddedSql } from './extract';
import type { Piece } from './strings';
import { encodeSqlText } from './style';

export interface HostEdit {
  start: number;
  end: number;
  newText: string;
}

/**
 * The piece holding host range [start, end] (edges included; two pieces never meet, quotes or a hole lie between),
 * or -1.
 */
function pieceAt(e: EmbeddedSql, start: number, end: number): number {
  return e.pieces.findIndex((p) => p.start <= start && end <= p.end);
}

/** The piece SQL character i was read from (-1 for a character of an interpolation between literals' text). */
function pieceOfChar(e: EmbeddedSql, i: number): number {
  return pieceAt(e, e.starts[i], e.ends[i]);
}

/** Whether pieces a and b are one literal's text around an interpolation (`${x}`, an f-string's `{x}`). */
function joinedByHole(e: EmbeddedSql, a: Piece, b: Piece): boolean {
  return e.holes.some((h) => h.origin === 'interpolation' && h.hostStart === a.end && h.hostEnd === b.start);
}

/**
 * The host edit for replacing SQL range [sqlStart, sqlEnd) of `e` with `newText`, or undefined when it cannot be
 * made safely: the range spans literals, cuts a hole, or covers a format hole or driver parameter whose value is
 * passed elsewhere (removing it would change the argument count); newText cannot be written in the literal, or it
 * holds a hole's placeholder (host code the fix cannot write back) or, in a tagged template, a `$n` parameter (the
 * library numbers its parameters itself).
 */
export function hostEdit(e: EmbeddedSql, sqlStart: number, sqlEnd: number, newText: string): HostEdit | undefined {
  const n = e.sql.length;
  if (!(0 <= sqlStart && sqlStart <= sqlEnd && sqlEnd <= n)) return undefined;
  if (e.foundBy === 'tag' && /\$\d/.test(newText)) return undefined;
  for (const h of e.holes) {
    if (h.origin === 'interpolation' && newText.includes(e.sql.slice(h.sqlStart, h.sqlEnd))) return undefined;
    if (
      sqlEnd === sqlStart
        ? h.sqlStart < sqlStart && sqlStart < h.sqlEnd
        : h.sqlStart < sqlEnd && sqlStart < h.sqlEnd && !(sqlStart <= h.sqlStart && h.sqlEnd <= sqlEnd)
    ) {
      return undefined;
    }
  }
  let start: number;
  let end: number;
  let first: number;
  let last: number;
  if (sqlStart === sqlEnd) {
    // An insertion at a piece's edge goes into the piece it touches: the one before when it ends there.
    const before = sqlStart > 0 ? pieceOfChar(e, sqlStart - 1) : -1;
    const after = sqlStart < n ? pieceOfChar(e, sqlStart) : -1;
    if (before >= 0 && before !== after) {
      start = end = e.ends[sqlStart - 1];
      first = last = before;
    } else if (after >= 0) {
      start = end = e.starts[sqlStart];
      first = last = after;
    } else return undefined;
  } else {
    start = e.starts[sqlStart];
    end = e.ends[sqlEnd - 1];
    first = pieceAt(e, start, start);
    last = pieceAt(e, end, end);
    if (first < 0 || last < first) return undefined;
    for (let i = first; i < last; i++) if (!joinedByHole(e, e.pieces[i], e.pieces[i + 1])) return undefined;
    for (const h of e.holes) {
      if (h.sqlStart < sqlStart || h.sqlEnd > sqlEnd) continue;
      // A hole inside a literal's text has its value elsewhere (format arguments, driver parameters).
      if (h.origin !== 'interpolation' || pieceAt(e, h.hostStart, h.hostEnd) >= 0) return undefined;
    }
  }
  const a = e.pieces[first];
  const b = e.pieces[last];
  const newHost = encodeSqlText(a.style, newText, { before: a.source.slice(0, start - a.start), after: b.source.slice(end - b.start) });
  return newHost === undefined ? undefined : { start, end, newText: newHost };
}

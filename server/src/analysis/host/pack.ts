/**
 * A host file's extraction in a compact form, for the language server to keep per closed file (see
 * ide/workspace.ts): the SQL-to-host offsets (two Int32Arrays of the SQL's length, each with its own buffer, most of
 * an extraction's memory) as runs of arithmetic progressions, a literal's source left out when it is the host
 * text's there, and equal literal styles shared. unpackExtract gives back an extraction equal to the one packed.
 */
import type { Hole } from './builder';
import type { HostDirective } from './directives';
import type { EmbeddedSql, HostExtract } from './extract';
import type { PieceStyle } from './style';

interface PackedPiece {
  start: number;
  end: number;
  style: PieceStyle;
  /** Undefined when it is the host text's [start, end). */
  source?: string;
}

interface PackedSql extends Omit<EmbeddedSql, 'pieces' | 'holes' | 'starts' | 'ends'> {
  pieces: PackedPiece[];
  /** Undefined when there are none. */
  holes?: Hole[];
  /** `starts` then `ends`, each as runs (see packOffsets); `split` is where the runs of `ends` begin. */
  offsets: number[] | { starts: Int32Array; ends: Int32Array };
  split: number;
}

export interface PackedExtract {
  sql: PackedSql[];
  directives: HostDirective[];
  parseTimeoutMs?: number;
  parseMs?: number;
}

/** Equal styles as one object (a style is plain data that nothing writes to). Bounded; forgotten when full. */
const STYLES = new Map<string, PieceStyle>();
const STYLES_MAX = 1_000;

function sharedStyle(style: PieceStyle): PieceStyle {
  const key = JSON.stringify(style);
  const hit = STYLES.get(key);
  if (hit) return hit;
  if (STYLES.size >= STYLES_MAX) STYLES.clear();
  STYLES.set(key, style);
  return style;
}

/**
 * Appends `a` as runs of (count, first, step): a[i] = first + k * step for the run's k-th element. A string without
 * escapes is one run per array; each escape or hole adds a few.
 */
function packOffsets(a: Int32Array, out: number[]): void {
  let i = 0;
  while (i < a.length) {
    const step = i + 1 < a.length ? a[i + 1] - a[i] : 0;
    let j = i + 1;
    while (j < a.length && a[j] - a[j - 1] === step) j++;
    out.push(j - i, a[i], step);
    i = j;
  }
}

function unpackOffsets(runs: number[], from: number, to: number): Int32Array {
  let length = 0;
  for (let r = from; r < to; r += 3) length += runs[r];
  const a = new Int32Array(length);
  let i = 0;
  for (let r = from; r < to; r += 3) {
    const count = runs[r];
    const first = runs[r + 1];
    const step = runs[r + 2];
    for (let k = 0; k < count; k++) a[i++] = first + k * step;
  }
  return a;
}

/** The compact form of an extraction of host text `text`. */
export function packExtract(extract: HostExtract, text: string): PackedExtract {
  const sql = extract.sql.map((e): PackedSql => {
    const runs: number[] = [];
    packOffsets(e.starts, runs);
    const split = runs.length;
    packOffsets(e.ends, runs);
    // One literal shape for every string (a spread of the rest would give each object a hidden class of its own).
    return {
      sql: e.sql,
      language: e.language,
      api: e.api,
      foundBy: e.foundBy,
      start: e.start,
      end: e.end,
      pieces: e.pieces.map((p) => ({
        start: p.start,
        end: p.end,
        style: sharedStyle(p.style),
        source: p.source === text.slice(p.start, p.end) ? undefined : p.source,
      })),
      holes: e.holes.length > 0 ? e.holes : undefined,
      holesUnreadable: e.holesUnreadable,
      // Offsets that are no progressions at all stay as they are; runs are copied to an array of their exact length.
      offsets: runs.length > e.starts.length + e.ends.length ? { starts: e.starts, ends: e.ends } : runs.slice(),
      split,
      down: e.down,
    };
  });
  const packed: PackedExtract = { sql, directives: extract.directives };
  if (extract.parseTimeoutMs !== undefined) packed.parseTimeoutMs = extract.parseTimeoutMs;
  if (extract.parseMs !== undefined) packed.parseMs = extract.parseMs;
  return packed;
}

/** The extraction packed from host text `text` (new objects, for the caller to keep or change). */
export function unpackExtract(packed: PackedExtract, text: string): HostExtract {
  const sql = packed.sql.map((p): EmbeddedSql => {
    const offsets = p.offsets;
    const runs = Array.isArray(offsets);
    // The fields in the order the extraction makes them.
    return {
      sql: p.sql,
      language: p.language,
      api: p.api,
      foundBy: p.foundBy,
      start: p.start,
      end: p.end,
      pieces: p.pieces.map((x) => ({ start: x.start, end: x.end, style: x.style, source: x.source ?? text.slice(x.start, x.end) })),
      holes: p.holes ? p.holes.map((h) => ({ ...h })) : [],
      holesUnreadable: p.holesUnreadable,
      starts: runs ? unpackOffsets(offsets, 0, p.split) : offsets.starts.slice(),
      ends: runs ? unpackOffsets(offsets, p.split, offsets.length) : offsets.ends.slice(),
      down: p.down,
    };
  });
  const extract: HostExtract = { sql, directives: packed.directives.map((d) => ({ ...d })) };
  if (packed.parseTimeoutMs !== undefined) extract.parseTimeoutMs = packed.parseTimeoutMs;
  if (packed.parseMs !== undefined) extract.parseMs = packed.parseMs;
  return extract;
}

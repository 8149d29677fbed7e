/**
 * A host file (TypeScript, JavaScript, Python, Go, Rust) as the analysis sees it: the "SQL view", every SQL string
 * of the file one after another (one segment each, parsed on its own), with the way back from a SQL-view range to
 * the host file the user edits. Rules read the SQL view like any .sql file; findings and fixes leave the engine in
 * host coordinates (see engine.ts).
 */
import {
  extractHost,
  hostEdit,
  hostErrorCounts,
  toHostOffset,
  toHostRange,
  touchesInterpolation,
  type EmbeddedOptions,
  type EmbeddedSql,
  type HostDirective,
} from './host/index';
import type { Fix, TextEdit } from './types';

/**
 * The time one host file's parse and all its fix checks may take together (a file whose parse took 400 ms has 100 ms
 * left for its fix checks). Each check re-parses the file incrementally (milliseconds on real code), but on broken
 * code tree-sitter's error recovery can take its whole parse bound per check: 64 checks of a mutated 41 KB
 * JavaScript file took 15.6 s (bench/fuzz.mjs --seed 1, input 72915); mapping an edit onto a literal reads its whole
 * body (200 fixes in an 800 KB Rust string: 2.3 s, input 81209); and a file whose parse took 411 ms then spent 969 ms
 * in its checks when each had a bound of its own (input 56496). Past it, fixes are not offered.
 */
const HOST_FIX_CHECKS_MS = 500;

/** Between two segments: a blank line (statements never span segments, each is parsed alone). */
const SEPARATOR = '\n\n';

export interface Segment {
  /** SQL-view offset of the segment's first character. */
  base: number;
  embedded: EmbeddedSql;
}

export class HostView {
  /** The SQL view. */
  readonly sql: string;
  readonly segments: readonly Segment[];
  /** Host comments that suppress findings (`// pgperf-ignore rule: reason`). */
  readonly directives: readonly HostDirective[];
  /** Set when the host parse overran its time bound (the bound, in ms): no SQL was read from the file. */
  readonly parseTimeoutMs: number | undefined;

  constructor(
    readonly path: string,
    /** The host file's text. */
    readonly text: string,
    /** What was read as SQL (the extraction is this text's under these options only). */
    readonly options: EmbeddedOptions,
  ) {
    const { sql, directives, parseTimeoutMs, parseMs } = extractHost(path, text, options);
    this.parseTimeoutMs = parseTimeoutMs;
    this.hostParseMs = parseMs ?? 0;
    const segments: Segment[] = [];
    let at = 0;
    for (const e of sql) {
      segments.push({ base: at, embedded: e });
      at += e.sql.length + SEPARATOR.length;
    }
    this.segments = segments;
    this.directives = directives;
    this.sql = sql.map((e) => e.sql).join(SEPARATOR);
  }

  /**
   * The SQL-view ranges of down steps (runs of consecutive strings inside a migration's down()), which the catalog
   * applies like a goose down section: seen within the section only, never as forward DDL.
   */
  downSections(): [number, number][] {
    return (this.down ??= this.findDownSections());
  }

  private down: [number, number][] | undefined;

  private findDownSections(): [number, number][] {
    const out: [number, number][] = [];
    for (const seg of this.segments) {
      if (!seg.embedded.down) continue;
      const end = seg.base + seg.embedded.sql.length + SEPARATOR.length;
      const last = out[out.length - 1];
      if (last && last[1] === seg.base) last[1] = end;
      else out.push([seg.base, end]);
    }
    return out;
  }

  /** The segment holding SQL-view offset `at` (an offset at a segment's end belongs to it). */
  segmentAt(at: number): Segment | undefined {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segs[mid];
      if (at < s.base) hi = mid - 1;
      else if (at > s.base + s.embedded.sql.length) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** The host range of a SQL-view range (both ends in one segment; a range between segments collapses). */
  toDocument(start: number, end: number): { start: number; end: number } {
    const seg = this.segmentAt(start);
    if (!seg) return { start: 0, end: 0 };
    const e = seg.embedded;
    const s = start - seg.base;
    const t = Math.min(Math.max(end - seg.base, s), e.sql.length);
    return toHostRange(e, s, t);
  }

  /** The SQL-view offset of a host offset inside a SQL string (its literal text or a hole), else undefined. */
  fromDocument(offset: number): number | undefined {
    for (const seg of this.segments) {
      const e = seg.embedded;
      if (offset < e.start || offset > e.end) continue;
      // The SQL character whose host range holds the offset, or the first one after it.
      let lo = 0;
      let hi = e.sql.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (e.ends[mid] <= offset) lo = mid + 1;
        else hi = mid;
      }
      return seg.base + lo;
    }
    return undefined;
  }

  /** Whether a SQL-view range touches any interpolated hole (its text there is host code, not SQL). */
  touchesHole(start: number, end: number): boolean {
    const seg = this.segmentAt(start);
    return !!seg && touchesInterpolation(seg.embedded, start - seg.base, end - seg.base);
  }

  /**
   * Whether a report on a SQL-view range is about host code rather than SQL: it touches a hole that stands for a
   * name (`FROM ${table}`: which table is unknown), or lies inside any hole. A value hole is a value, like a `$n`:
   * `OFFSET ${offset}` is as slow whatever the number is.
   */
  aboutHostCode(start: number, end: number): boolean {
    const seg = this.segmentAt(start);
    if (!seg) return false;
    const s = start - seg.base;
    const t = Math.max(end - seg.base, s + 1);
    return seg.embedded.holes.some(
      (h) => h.origin === 'interpolation' && h.sqlStart < t && s < h.sqlEnd && (h.kind === 'identifier' || (s >= h.sqlStart && t <= h.sqlEnd)),
    );
  }

  /** Whether the holes of the segment at `at` stand for clauses or lists, so a syntax error there may be theirs. */
  holesUnreadable(at: number): boolean {
    return !!this.segmentAt(at)?.embedded.holesUnreadable;
  }

  /**
   * A message about the segment at `at` with each interpolation's placeholder written as the host code it stands
   * for (`OFFSET ${pageSize * page}`, not `OFFSET $0000000001`). Placeholders shorter than 3 characters are left:
   * a tag's `$1` is the library's own parameter, and reads as one.
   */
  messageText(message: string, at: number): string {
    const seg = this.segmentAt(at);
    if (!seg) return message;
    let out = message;
    for (const h of seg.embedded.holes) {
      if (h.origin !== 'interpolation' || h.sqlEnd - h.sqlStart < 3) continue;
      const placeholder = seg.embedded.sql.slice(h.sqlStart, h.sqlEnd);
      if (out.includes(placeholder)) out = out.split(placeholder).join(this.text.slice(h.hostStart, h.hostEnd));
    }
    return out;
  }

  /** The host offset of a SQL-view offset. */
  hostOffset(at: number): number {
    const seg = this.segmentAt(at);
    return seg ? toHostOffset(seg.embedded, at - seg.base) : 0;
  }

  /** Whether this file's fix checks have time left (see HOST_FIX_CHECKS_MS). */
  fixTimeLeft(): boolean {
    return this.hostParseMs < HOST_FIX_CHECKS_MS;
  }

  /**
   * A fix of the SQL view as a fix of the host file: every edit must land inside one literal and be writable in
   * it (see hostEdit), and the host file must parse as before once it is applied; otherwise no fix.
   */
  hostFix(fix: Fix): Fix | undefined {
    // Within what the file's checks have left of their time (an unchecked fix is not offered): mapping the edits
    // encodes them against their literal's whole body, which for a literal of hundreds of kilobytes costs as much.
    if (!this.fixTimeLeft()) return undefined;
    const left = HOST_FIX_CHECKS_MS - this.hostParseMs;
    const started = performance.now();
    try {
      return this.checkedHostFix(fix, left);
    } finally {
      this.hostParseMs += performance.now() - started;
    }
  }

  private checkedHostFix(fix: Fix, left: number): Fix | undefined {
    const edits: TextEdit[] = [];
    for (const edit of fix.edits) {
      const seg = this.segmentAt(edit.start);
      if (!seg || edit.end > seg.base + seg.embedded.sql.length) return undefined;
      const mapped = hostEdit(seg.embedded, edit.start - seg.base, edit.end - seg.base, edit.newText);
      if (!mapped) return undefined;
      edits.push(mapped);
    }
    edits.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < edits.length; i++) if (edits[i].start < edits[i - 1].end) return undefined;
    let after = '';
    let at = 0;
    for (const e of edits) {
      after += this.text.slice(at, e.start) + e.newText;
      at = e.end;
    }
    after += this.text.slice(at);
    // The fixed file re-parsed incrementally from the file's own tree (kept for the next fix), not from scratch.
    const { before, after: errors } = hostErrorCounts(this.path, this.text, after, left);
    if (errors > before) return undefined;
    return { title: fix.title, edits };
  }

  /** Time this file's parse and fix checks have spent on it (see HOST_FIX_CHECKS_MS). */
  private hostParseMs: number;
}

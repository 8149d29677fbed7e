/**
 * Source text with the offset arithmetic the parser forces on us: libpg_query reports node locations as
 * UTF-8 byte offsets and error cursors as code-point offsets, editors want UTF-16 line/character.
 */
import type { Position, Range } from './types';

export class SourceText {
  readonly text: string;
  private lineStarts: number[] | undefined;

  constructor(text: string) {
    this.text = text;
  }

  private lines(): number[] {
    if (!this.lineStarts) {
      const starts = [0];
      const t = this.text;
      if (!t.includes('\r')) {
        // Only \n breaks lines: jump from one to the next.
        for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) starts.push(i + 1);
        this.lineStarts = starts;
        return starts;
      }
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c === 10) starts.push(i + 1);
        else if (c === 13) {
          if (t.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }

  positionAt(offset: number): Position {
    const starts = this.lines();
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - starts[lo] };
  }

  offsetAt(pos: Position): number {
    const starts = this.lines();
    if (pos.line >= starts.length) return this.text.length;
    return Math.min(starts[pos.line] + pos.character, this.text.length);
  }

  rangeOf(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }
}

const NON_ASCII = /[\u0080-\uffff]/;

/** Maps offsets inside one string between UTF-8 bytes, code points and UTF-16 units (binary search). */
export class OffsetMap {
  /** Per non-ASCII code point: UTF-16 offset, UTF-8 byte offset, code-point index, UTF-8 length. */
  private readonly u16: number[] = [];
  private readonly bytes: number[] = [];
  private readonly cps: number[] = [];
  private readonly lens: number[] = [];

  constructor(text: string) {
    // Everything before the first non-ASCII character maps 1:1 (and an ASCII text needs no entries at all).
    const first = text.search(NON_ASCII);
    if (first < 0) return;
    let byte = first;
    let cp = first;
    for (let i = first; i < text.length; i++, cp++) {
      const c = text.charCodeAt(i);
      if (c <= 0x7f) {
        byte++;
        continue;
      }
      const astral = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
      const len = astral ? 4 : c < 0x800 ? 2 : 3;
      this.u16.push(i);
      this.bytes.push(byte);
      this.cps.push(cp);
      this.lens.push(len);
      byte += len;
      if (astral) i++;
    }
  }

  get ascii(): boolean {
    return this.u16.length === 0;
  }

  /** Index of the last entry of keys that is <= value, or -1. */
  private static last(keys: number[], value: number): number {
    let lo = 0;
    let hi = keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] <= value) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private units(i: number): number {
    return this.lens[i] === 4 ? 2 : 1;
  }

  /** UTF-8 byte offset → UTF-16 offset. */
  fromByte(byteOffset: number): number {
    const i = OffsetMap.last(this.bytes, byteOffset);
    if (i < 0) return byteOffset;
    const end = this.bytes[i] + this.lens[i];
    if (byteOffset < end) return this.u16[i];
    return this.u16[i] + this.units(i) + (byteOffset - end);
  }

  /** UTF-16 offset → UTF-8 byte offset. */
  toByte(u16Offset: number): number {
    const i = OffsetMap.last(this.u16, u16Offset);
    if (i < 0) return u16Offset;
    const end = this.u16[i] + this.units(i);
    if (u16Offset < end) return this.bytes[i];
    return this.bytes[i] + this.lens[i] + (u16Offset - end);
  }

  /** Code-point offset → UTF-16 offset. */
  fromCodePoint(cp: number): number {
    const i = OffsetMap.last(this.cps, cp);
    if (i < 0) return cp;
    if (cp === this.cps[i]) return this.u16[i];
    return this.u16[i] + this.units(i) + (cp - this.cps[i] - 1);
  }
}

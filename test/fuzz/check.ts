/**
 * The fuzzer's checks on what the analysis and the language server answer: positions as LSP counts them (a line
 * ends at `\n`, `\r\n` or `\r`; a character is a UTF-16 code unit; a position past a line's end is out of range),
 * and edits that apply to the document they were made for.
 */

export interface Pos {
  line: number;
  character: number;
}
export interface Rng2 {
  start: Pos;
  end: Pos;
}

/** The lines of a document as LSP sees them: the offset of each line's start and of its end (before the line break). */
export class Lines {
  readonly starts: number[] = [0];
  readonly ends: number[] = [];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.ends.push(i);
        if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
    this.ends.push(text.length);
  }
  get count(): number {
    return this.starts.length;
  }
  /** Whether `p` names a place in the document (not past a line's end, not inside a line break). */
  inside(p: Pos): boolean {
    return (
      Number.isInteger(p.line) &&
      Number.isInteger(p.character) &&
      p.line >= 0 &&
      p.line < this.count &&
      p.character >= 0 &&
      p.character <= this.ends[p.line] - this.starts[p.line]
    );
  }
  offsetAt(p: Pos): number {
    return this.starts[p.line] + p.character;
  }
  positionAt(offset: number): Pos {
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: Math.min(offset, this.ends[lo]) - this.starts[lo] };
  }
  /** Why `r` is not a range of this document, or undefined when it is one. */
  rangeProblem(r: Rng2 | undefined): string | undefined {
    if (!r || !r.start || !r.end) return 'no range';
    if (!this.inside(r.start)) return `start ${show(r.start)} outside the document (${this.describe(r.start.line)})`;
    if (!this.inside(r.end)) return `end ${show(r.end)} outside the document (${this.describe(r.end.line)})`;
    if (this.offsetAt(r.end) < this.offsetAt(r.start)) return `end ${show(r.end)} before start ${show(r.start)}`;
    return undefined;
  }
  private describe(line: number): string {
    if (line < 0 || line >= this.count) return `${this.count} lines`;
    return `line ${line} has ${this.ends[line] - this.starts[line]} characters`;
  }
}

const show = (p: Pos) => `${p.line}:${p.character}`;

/** A random position in the document (any line, any character of it, its end included). */
export function randomPosition(lines: Lines, next: () => number): Pos {
  const line = Math.floor(next() * lines.count);
  const len = lines.ends[line] - lines.starts[line];
  return { line, character: Math.floor(next() * (len + 1)) };
}

export interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

/** Applies offset edits (the analysis core's), or says why they do not apply (out of the text, overlapping). */
export function applyOffsetEdits(text: string, edits: readonly OffsetEdit[]): { text: string } | { problem: string } {
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || a.end - b.end || a.i - b.i);
  for (const e of sorted) {
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end < e.start || e.end > text.length)
      return { problem: `edit [${e.start}, ${e.end}) outside a text of ${text.length}` };
    if (typeof e.newText !== 'string') return { problem: 'edit without newText' };
  }
  for (let k = 1; k < sorted.length; k++)
    if (sorted[k].start < sorted[k - 1].end)
      return { problem: `edits [${sorted[k - 1].start}, ${sorted[k - 1].end}) and [${sorted[k].start}, ${sorted[k].end}) overlap` };
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.start) + e.newText;
    at = e.end;
  }
  return { text: out + text.slice(at) };
}

/** The same for LSP TextEdits on a document: every range inside it, none overlapping. */
export function applyLspEdits(lines: Lines, edits: readonly { range: Rng2; newText: string }[]): { text: string; edits: OffsetEdit[] } | { problem: string } {
  const abs: OffsetEdit[] = [];
  for (const e of edits) {
    const p = lines.rangeProblem(e.range);
    if (p) return { problem: `edit range: ${p}` };
    abs.push({ start: lines.offsetAt(e.range.start), end: lines.offsetAt(e.range.end), newText: e.newText });
  }
  const r = applyOffsetEdits(lines.text, abs);
  return 'problem' in r ? r : { text: r.text, edits: abs };
}

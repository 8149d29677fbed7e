/**
 * String-literal decoding per host language: the characters a literal stands for, each with the host-file range
 * of the source text it came from (an escape `\n` is one character whose source is two).
 */

/**
 * Decoded text: `starts[i]`/`ends[i]` are the host range of character i (UTF-16 offsets). Typed arrays: a literal
 * of hundreds of thousands of characters has as many offsets, written once and copied whole into the SQL's.
 */
export interface Decoded {
  text: string;
  starts: Int32Array;
  ends: Int32Array;
}

export type EscapeStyle = 'js' | 'python' | 'python-raw' | 'go' | 'rust' | 'raw';

/** Decodes `raw` (the literal's content, between its quotes) that starts at host offset `base`. */
export function decode(raw: string, base: number, style: EscapeStyle): Decoded {
  // Every escape is at least two source units and stands for at most two: the text is never longer than the source.
  const starts = new Int32Array(raw.length);
  const ends = new Int32Array(raw.length);
  let n = 0;
  const parts: string[] = [];
  // A raw string still keeps `\` as a character; only the quote it may escape stays part of the literal.
  const noEscapes = style === 'raw' || style === 'python-raw';
  for (let i = 0; i < raw.length;) {
    // A run without escapes: each UTF-16 unit is its own source (one slice, not a character at a time: a generated
    // literal of 730,000 characters took 0.4 s here before the loop was optimised).
    let j = noEscapes ? raw.length : raw.indexOf('\\', i);
    if (j < 0) j = raw.length;
    if (j > i) {
      for (let k = i; k < j; k++, n++) {
        starts[n] = base + k;
        ends[n] = base + k + 1;
      }
      parts.push(raw.slice(i, j));
      i = j;
      continue;
    }
    const e = escapeAt(raw, i, style);
    if (e.text !== undefined) {
      // A character beyond the BMP is two UTF-16 units; each maps to the whole escape.
      for (let k = 0; k < e.text.length; k++, n++) {
        starts[n] = base + i;
        ends[n] = base + e.end;
      }
      parts.push(e.text);
    }
    i = e.end;
  }
  return { text: parts.join(''), starts: starts.subarray(0, n), ends: ends.subarray(0, n) };
}

/**
 * decode(raw, …).text without the offsets: what a fix check reads back (each checked fix of a host string reads the
 * text around it: 81 fixes in a 28 KB literal made the offsets 0.8 s of its lint).
 */
export function decodeText(raw: string, style: EscapeStyle): string {
  if (style === 'raw' || style === 'python-raw' || !raw.includes('\\')) return raw;
  const parts: string[] = [];
  for (let i = 0; i < raw.length;) {
    let j = raw.indexOf('\\', i);
    if (j < 0) j = raw.length;
    if (j > i) {
      parts.push(raw.slice(i, j));
      i = j;
      continue;
    }
    const n = escapeAt(raw, i, style);
    if (n.text !== undefined) parts.push(n.text);
    i = n.end;
  }
  return parts.join('');
}

const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', a: '\x07' };

/** The escape at `raw[i]` (a backslash): its meaning (undefined for a line continuation) and where it ends. */
function escapeAt(raw: string, i: number, style: EscapeStyle): { text?: string; end: number } {
  const e = raw[i + 1];
  if (e === undefined) return { text: '\\', end: i + 1 };
  if (e === '\n' || e === '\r') {
    let end = i + 2;
    if (e === '\r' && raw[end] === '\n') end++;
    // Rust's continuation also drops the next line's leading whitespace.
    if (style === 'rust') while (end < raw.length && /\s/.test(raw[end])) end++;
    return { end };
  }
  const hex = (from: number, len: number): { text?: string; end: number } | undefined => {
    const h = raw.slice(from, from + len);
    return h.length === len && /^[0-9a-fA-F]+$/.test(h) ? { text: String.fromCodePoint(parseInt(h, 16)), end: from + len } : undefined;
  };
  if (e === 'x') return hex(i + 2, 2) ?? { text: style === 'js' ? 'x' : '\\x', end: i + 2 };
  if (e === 'u' || (e === 'U' && style !== 'js')) {
    if (raw[i + 2] === '{' && (style === 'js' || style === 'rust')) {
      const close = raw.indexOf('}', i + 3);
      const h = close > 0 ? raw.slice(i + 3, close).replace(/_/g, '') : '';
      if (/^[0-9a-fA-F]{1,6}$/.test(h)) return { text: String.fromCodePoint(parseInt(h, 16)), end: close + 1 };
    }
    const r = hex(i + 2, e === 'U' ? 8 : 4);
    if (r) return r;
  }
  if (style !== 'rust' && /[0-7]/.test(e) && !(style === 'js' && e === '0' && !/[0-7]/.test(raw[i + 2] ?? ''))) {
    // Octal: up to three digits (Go needs exactly three; JS legacy octal in sloppy mode).
    let end = i + 1;
    while (end < i + 4 && /[0-7]/.test(raw[end] ?? '')) end++;
    return { text: String.fromCharCode(parseInt(raw.slice(i + 1, end), 8)), end };
  }
  if (
    e in SIMPLE &&
    !(e === 'a' && style === 'js') &&
    !(e === 'v' && style === 'rust') &&
    !(e === 'b' && style === 'rust') &&
    !(e === 'f' && style === 'rust')
  ) {
    return { text: SIMPLE[e], end: i + 2 };
  }
  if (style === 'python' && e === 'N' && raw[i + 2] === '{') {
    const close = raw.indexOf('}', i + 3);
    if (close > 0) return { text: raw.slice(i, close + 1), end: close + 1 };
  }
  // `\\`, `\'`, `\"`, `` \` ``, `\$`; in Python an unknown escape keeps its backslash.
  if (style === 'python' && !`\\'"`.includes(e)) return { text: '\\', end: i + 1 };
  return { text: e, end: i + 2 };
}

/**
 * How SQL text is written inside one host literal (its quotes, escapes and format specials), and the reverse of
 * the extraction's reading: the host source that a literal of that kind reads back as a given SQL text. A fix to
 * embedded SQL is written through this, so the string stays a valid string of its language that says the new SQL.
 */
import { decodeText, type EscapeStyle } from './decode';
import type { HostLanguage } from './grammars';

export interface PieceStyle {
  language: HostLanguage;
  /** The quote as written: `'`, `"`, `` ` `` (JS template, Go raw), `'''`, `"""`, or `"` of a Rust raw string. */
  quote: string;
  /** Lower-case string prefix: Python `r`, `f`, `b`, `u` and their combinations; Rust `r`, `b`, `br`, `c`. */
  prefix: string;
  /** The `#` count of a Rust raw string `r#"…"#`. */
  hashes: number;
  /** How escapes are decoded (`raw`/`python-raw`: a backslash is itself). */
  escape: EscapeStyle;
  /** Whether backslash escapes apply. */
  escapes: boolean;
  /** `{`/`}` are format specials written `{{`/`}}` (Python f-string, `.format`, psycopg sql.SQL, Rust `format!`). */
  braces: boolean;
  /** `%` is special, written `%%` (Python pyformat parameters or `%` formatting, Go `fmt.Sprintf`). */
  percent: boolean;
  /** `${` opens an interpolation (a JS template literal). */
  dollarBrace: boolean;
  /** A raw line break may be written in the literal (otherwise it is written as `\n`, or cannot be). */
  newline: boolean;
  /** The driver reads `:name` / `?` in this literal as parameters: text that would read as one cannot be written. */
  named: boolean;
  question: boolean;
}

/** The opening quote, prefix and escape style of a literal; the rest of a style follows from its API's specials. */
export interface Quote {
  quote: string;
  prefix: string;
  hashes: number;
  escape: EscapeStyle;
}

export interface SpecialFlags {
  braces?: boolean;
  percent?: boolean;
  named?: boolean;
  question?: boolean;
}

export function pieceStyle(language: HostLanguage, q: Quote, sp: SpecialFlags | undefined): PieceStyle {
  const newline = q.quote === '`' || q.quote.length === 3 || language === 'rust';
  return {
    language,
    quote: q.quote,
    prefix: q.prefix,
    hashes: q.hashes,
    escape: q.escape,
    escapes: q.escape !== 'raw' && q.escape !== 'python-raw',
    braces: !!sp?.braces,
    percent: !!sp?.percent,
    dollarBrace: q.quote === '`' && language !== 'go',
    newline,
    named: !!sp?.named,
    question: !!sp?.question,
  };
}

// The same special sequences the extraction reads (strings.ts), keyed by the flags.
const BRACE = String.raw`\{\{|\}\}|\{[^{}]*\}`;
const PY_PARAM = String.raw`%%|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]`;
const GO_FORMAT = String.raw`%%|%(?:\[\d+\])?[-+# 0]*(?:\d+|\*)?(?:\.\d+)?[a-zA-Z]`;
const NAMED = String.raw`(?<![:\w]):[A-Za-z_]\w*`;
const specialsCache = new Map<string, RegExp | undefined>();

function specialsOf(s: PieceStyle): RegExp | undefined {
  const key = `${s.language}:${+s.braces}${+s.percent}${+s.named}${+s.question}`;
  if (!specialsCache.has(key)) {
    const alts: string[] = [];
    if (s.braces) alts.push(BRACE);
    if (s.percent) alts.push(s.language === 'go' ? GO_FORMAT : PY_PARAM);
    if (s.named) alts.push(NAMED);
    if (s.question) alts.push(String.raw`\?`);
    specialsCache.set(key, alts.length ? new RegExp(alts.join('|'), 'g') : undefined);
  }
  return specialsCache.get(key);
}

/** Marks a special sequence (a hole or parameter) in `readBack` output, apart from plain characters. */
const OPEN = '\uE000';
const CLOSE = '\uE001';

/**
 * Whether `content` is a whole, valid body of a literal of this style: it does not close the literal early,
 * open an interpolation, or leave a backslash that would escape the closing quote (or the `$` of a following
 * `${…}`).
 */
function validBody(s: PieceStyle, content: string): boolean {
  const q = s.quote;
  // Python raw strings still let a backslash keep the quote after it from closing the literal.
  const protects = s.escapes || s.escape === 'python-raw';
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (protects && c === '\\') {
      if (i + 1 >= content.length) return false;
      i++;
      if (content[i] === '\r' && content[i + 1] === '\n') i++;
      continue;
    }
    if ((c === '\n' || c === '\r') && !s.newline) return false;
    if (s.language === 'rust' && s.prefix.includes('r')) {
      if (c === '"' && content.startsWith('#'.repeat(s.hashes), i + 1)) return false;
      continue;
    }
    if (q.length === 3) {
      if (content.startsWith(q, i)) return false;
      // A quote last in the body makes four with the closing ones.
      if (c === q[0] && i === content.length - 1) return false;
      continue;
    }
    if (c === q) return false;
    if (s.dollarBrace && c === '$' && content[i + 1] === '{') return false;
  }
  return true;
}

/**
 * What a body reads back as, at the SQL level: escapes decoded, `{{`/`%%` as one character, every other special
 * (a format hole, a driver parameter) between OPEN/CLOSE marks. Undefined where a lone `{`, `}` or `%` is left
 * that the host's formatting (or the driver) would reject.
 */
function readBack(s: PieceStyle, content: string): string | undefined {
  const text = decodeText(content, s.escape);
  const re = specialsOf(s);
  if (!re) return text;
  let out = '';
  let last = 0;
  const plain = (t: string): boolean => {
    if ((s.braces && /[{}]/.test(t)) || (s.percent && t.includes('%'))) return false;
    out += t;
    return true;
  };
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!plain(text.slice(last, m.index))) return undefined;
    last = m.index + m[0].length;
    out += m[0] === '%%' || m[0] === '{{' || m[0] === '}}' ? m[0][0] : OPEN + m[0] + CLOSE;
  }
  return plain(text.slice(last)) ? out : undefined;
}

function hex2(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * The host source for `text` in this style, between host source `before` and `after` of the same literal body;
 * `thorough` escapes every quote and `$` it may (tried when the short form reads back wrong in its context).
 */
function encode(s: PieceStyle, text: string, before: string, after: string, thorough: boolean): string | undefined {
  const bytes = s.prefix.includes('b');
  const rawRust = s.language === 'rust' && s.prefix.includes('r');
  const q1 = s.quote[0];
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = c.charCodeAt(0);
    if (bytes && code > 0x7f) return undefined;
    if (c === '\\') out += s.escapes ? '\\\\' : '\\';
    else if (c === '\n') {
      if (s.newline) out += '\n';
      else if (s.escapes) out += '\\n';
      else return undefined;
    } else if (c === '\r') {
      // Template literals, Python and Rust turn a raw CR LF into LF, and Go drops CR from raw strings.
      if (s.escapes) out += '\\r';
      else return undefined;
    } else if ((code < 0x20 && c !== '\t') || code === 0x7f) {
      if (s.escapes) out += hex2(code);
      else return undefined;
    } else if (s.braces && (c === '{' || c === '}')) out += c + c;
    else if (s.percent && c === '%') out += '%%';
    else if (c === q1 && !rawRust) {
      if (s.quote.length === 1) {
        // Go raw strings and Python single-quoted raw strings have no way to write their quote.
        if (!s.escapes) return undefined;
        out += `\\${c}`;
      } else if (s.escapes && (thorough || text[i + 1] === q1 || (i === text.length - 1 && (after === '' || after[0] === q1)))) out += `\\${c}`;
      else out += c;
    } else if (s.dollarBrace && c === '$' && (thorough || text[i + 1] === '{' || (i === text.length - 1 && after.startsWith('{')))) out += '\\$';
    else if (s.dollarBrace && c === '{' && i === 0 && before.endsWith('$')) out += '\\{';
    else out += c;
  }
  return out;
}

/**
 * The host source that reads back as `text` in a literal of this style, put between host source `before` and
 * `after` of the literal's body (both empty: the whole body), or undefined when it cannot be written there (a
 * backtick in a Go raw string, `"#` in a Rust `r#"…"#`, a quote in a Python raw string, a line break in a
 * one-line raw string, a character that would read as a driver parameter, …).
 */
export function encodeSqlText(style: PieceStyle, text: string, context: { before?: string; after?: string } = {}): string | undefined {
  if (text.includes(OPEN) || text.includes(CLOSE)) return undefined;
  const before = context.before ?? '';
  const after = context.after ?? '';
  const head = readBack(style, before);
  const tail = readBack(style, after);
  if (head === undefined || tail === undefined) return undefined;
  for (const thorough of [false, true]) {
    const enc = encode(style, text, before, after, thorough);
    if (enc === undefined) return undefined;
    const body = before + enc + after;
    if (validBody(style, body) && readBack(style, body) === head + text + tail) return enc;
  }
  return undefined;
}

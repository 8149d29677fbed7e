/**
 * PostgreSQL's tokens read in JavaScript for the common part of its lexical grammar (scan.l), the same tokens the
 * WASM scanner gives, without the JSON it gives them in: 15.7 MB of JSON for a 360 KB statement of 128,000 tokens,
 * 0.3–0.4 s of that statement's lint. Whatever this lexer cannot read with certainty (a B'…', X'…', N'…' or U&'…'
 * literal, a string continued on the next line, a number run into letters, an unterminated string, comment, quoted
 * name or dollar quote, a control character, NUL or any surrogate) makes it give up, and the WASM scanner reads the
 * text as before. Token names and keyword kinds are the scanner's own: each distinct word, operator and punctuation
 * mark is asked of it once (in one call per text with new ones) and remembered.
 */
import { scanSql } from './pg';
import type { Token } from './tokens';

interface Kind {
  name: string;
  keywordKind: number;
}

const IDENT: Kind = { name: 'IDENT', keywordKind: 0 };
const SCONST: Kind = { name: 'SCONST', keywordKind: 0 };
const ICONST: Kind = { name: 'ICONST', keywordKind: 0 };
const FCONST: Kind = { name: 'FCONST', keywordKind: 0 };
const PARAM: Kind = { name: 'PARAM', keywordKind: 0 };
const SQL_COMMENT: Kind = { name: 'SQL_COMMENT', keywordKind: 0 };
const C_COMMENT: Kind = { name: 'C_COMMENT', keywordKind: 0 };

/** Words, operators and punctuation, as written → the scanner's kind for them. Bounded; forgotten all at once. */
const KINDS = new Map<string, Kind>();
const KINDS_MAX = 50_000;

/** What makes the lexer give up at once: NUL (the scanner reads a C string), surrogates, \v and other controls. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const GIVE_UP = /[\0-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]/;

const enum C {
  Tab = 9,
  Nl = 10,
  Ff = 12,
  Cr = 13,
  Space = 32,
  DQuote = 34,
  Dollar = 36,
  Amp = 38,
  Quote = 39,
  Star = 42,
  Plus = 43,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D9 = 57,
  Colon = 58,
  Eq = 61,
  Backslash = 92,
  Underscore = 95,
}

const isSpace = (c: number): boolean => c === C.Space || c === C.Tab || c === C.Nl || c === C.Cr || c === C.Ff;
const isDigit = (c: number): boolean => c >= C.D0 && c <= C.D9;
/** scan.l's ident_start: a letter, `_` or any non-ASCII character (its UTF-8 bytes are all ≥ 0x80). */
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === C.Underscore || c >= 0x80;
const isIdentCont = (c: number): boolean => isIdentStart(c) || isDigit(c) || c === C.Dollar;
/** Lookup of the characters in `chars` by code (all ASCII). */
function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const ch of chars) table[ch.charCodeAt(0)] = 1;
  return table;
}

/** The characters that let a multi-character operator end in `+` or `-` (scan.l's operator rule). */
const TRAILING_SIGN = charTable('~!@#^&|`?%');
/** scan.l's op_chars: those and `+ - * / < > =`. */
const OP_CHARS = charTable('~!@#^&|`?%+-*/<>=');
const isOpChar = (c: number): boolean => c < 128 && OP_CHARS[c] === 1;
const allowsTrailingSign = (c: number): boolean => c < 128 && TRAILING_SIGN[c] === 1;

/** The radix a `0` followed by `c` opens (`0x`, `0o`, `0b`), or 0. */
function radixOf(c: number): number {
  if (c === 120 || c === 88) return 16;
  if (c === 111 || c === 79) return 8;
  if (c === 98 || c === 66) return 2;
  return 0;
}

/**
 * The tokens of `text` with offsets from `base`, as tokenize() makes them from the WASM scanner, or undefined where
 * this lexer does not read the text with certainty (the caller asks the scanner).
 */
export function lexSql(text: string, base: number): Token[] | undefined {
  const lexed = lexSqlPrefix(text, base);
  return lexed?.end === text.length ? lexed.tokens : undefined;
}

/**
 * The tokens of `text` up to the first one this lexer does not read with certainty, and where that one starts
 * (`end`, the text's length when it read all): a text of hundreds of kilobytes with one U&'…' literal near its end
 * is then left to the scanner from there, not from its start. Undefined when it reads nothing.
 */
export function lexSqlPrefix(text: string, base: number): { tokens: Token[]; end: number } | undefined {
  if (GIVE_UP.test(text)) return undefined;
  const n = text.length;
  const tokens: Token[] = [];
  // Tokens whose kind the scanner is still to be asked for: token index, then the index of its key in `keys`.
  const pending: number[] = [];
  const keys: string[] = [];
  let keyIndex: Map<string, number> | undefined;
  const push = (s: number, e: number, kind: Kind): void => {
    const t = text.slice(s, e);
    tokens.push({ start: base + s, end: base + e, text: t, name: kind.name, keyword: kind.keywordKind > 0 ? t.toUpperCase() : '' });
  };
  /** A word, operator or punctuation mark: its kind by its text (a keyword's does not depend on its case). */
  const pushKey = (s: number, e: number): void => {
    const t = text.slice(s, e);
    const known = KINDS.get(t);
    if (known) {
      tokens.push({ start: base + s, end: base + e, text: t, name: known.name, keyword: known.keywordKind > 0 ? t.toUpperCase() : '' });
      return;
    }
    keyIndex ??= new Map();
    let k = keyIndex.get(t);
    if (k === undefined) {
      k = keys.length;
      keys.push(t);
      keyIndex.set(t, k);
    }
    pending.push(tokens.length, k);
    tokens.push({ start: base + s, end: base + e, text: t, name: '', keyword: '' });
  };
  /** Index after a '…' or E'…' string's closing quote, or -1 when it does not close or continues on another line. */
  const stringEnd = (open: number, escapes: boolean): number => {
    let i = open + 1;
    for (;;) {
      if (i >= n) return -1;
      const c = text.charCodeAt(i);
      if (c === C.Quote) {
        if (text.charCodeAt(i + 1) === C.Quote) {
          i += 2;
          continue;
        }
        i++;
        break;
      }
      i += escapes && c === C.Backslash ? 2 : 1;
    }
    // A literal followed by white space holding a line break, then a quote, goes on as the same token (quotecontinue).
    let j = i;
    let newline = false;
    for (;;) {
      const c = text.charCodeAt(j);
      if (c === C.Nl || c === C.Cr) newline = true;
      else if (c === C.Minus && text.charCodeAt(j + 1) === C.Minus) {
        while (j < n && text.charCodeAt(j) !== C.Nl && text.charCodeAt(j) !== C.Cr) j++;
        continue;
      } else if (!isSpace(c)) break;
      j++;
    }
    if (newline && text.charCodeAt(j) === C.Quote) return -1;
    return i;
  };
  /** Index after a decimal integer's digits (single underscores between them), or -1 for a `_` not between digits. */
  const digitsEnd = (from: number): number => {
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) i++;
      else if (c === C.Underscore && isDigit(text.charCodeAt(i + 1)) && i > from) i++;
      else if (c === C.Underscore) return -1;
      else break;
    }
    return i;
  };
  /** Reads tokens to the end (returns the text's length) or up to one it is not certain of (returns its start). */
  const read = (): number => {
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      const s = i;
      const next = text.charCodeAt(i + 1);
      if (c === C.Minus && next === C.Minus) {
        while (i < n && text.charCodeAt(i) !== C.Nl && text.charCodeAt(i) !== C.Cr) i++;
        push(s, i, SQL_COMMENT);
      } else if (c === C.Slash && next === C.Star) {
        let depth = 1;
        i += 2;
        while (depth > 0) {
          if (i >= n) return s;
          const d = text.charCodeAt(i);
          if (d === C.Slash && text.charCodeAt(i + 1) === C.Star) {
            depth++;
            i += 2;
          } else if (d === C.Star && text.charCodeAt(i + 1) === C.Slash) {
            depth--;
            i += 2;
          } else i++;
        }
        push(s, i, C_COMMENT);
      } else if (c === C.Quote || ((c === 69 || c === 101) && next === C.Quote)) {
        const e = stringEnd(c === C.Quote ? i : i + 1, c !== C.Quote);
        if (e < 0) return s;
        push(s, (i = e), SCONST);
      } else if (c === C.DQuote) {
        i++;
        for (;;) {
          if (i >= n) return s;
          if (text.charCodeAt(i) === C.DQuote) {
            if (text.charCodeAt(i + 1) !== C.DQuote) break;
            i++;
          }
          i++;
        }
        i++;
        // A zero-length quoted name is an error the scanner reports.
        if (i - s === 2) return s;
        push(s, i, IDENT);
      } else if (c === C.Dollar) {
        if (isDigit(next)) {
          i++;
          while (isDigit(text.charCodeAt(i))) i++;
          if (isIdentCont(text.charCodeAt(i))) return s;
          push(s, i, PARAM);
        } else {
          let j = i + 1;
          if (next !== C.Dollar) {
            if (!isIdentStart(next)) return s;
            while (j < n && isIdentCont(text.charCodeAt(j)) && text.charCodeAt(j) !== C.Dollar) j++;
            if (text.charCodeAt(j) !== C.Dollar) return s;
          }
          const delimiter = text.slice(i, j + 1);
          const close = text.indexOf(delimiter, j + 1);
          if (close < 0) return s;
          push(s, (i = close + delimiter.length), SCONST);
        }
      } else if (isDigit(c) || (c === C.Dot && isDigit(next))) {
        let float = false;
        let e: number;
        const radix = c === C.D0 ? radixOf(next) : 0;
        if (radix) {
          const digit = radix === 16 ? /[0-9A-Fa-f]/ : radix === 8 ? /[0-7]/ : /[01]/;
          e = i + 2;
          while (e < n && (digit.test(text[e]) || (text.charCodeAt(e) === C.Underscore && digit.test(text[e + 1] ?? '')))) e++;
          if (e === i + 2) return s;
        } else {
          e = c === C.Dot ? i : digitsEnd(i);
          if (e < 0) return s;
          // `1..2` is the integer 1, then `..`.
          if (text.charCodeAt(e) === C.Dot && text.charCodeAt(e + 1) !== C.Dot) {
            float = true;
            e++;
            if (isDigit(text.charCodeAt(e))) e = digitsEnd(e);
            if (e < 0) return s;
          }
          const x = text.charCodeAt(e);
          if (x === 69 || x === 101) {
            let k = e + 1;
            const sign = text.charCodeAt(k);
            if (sign === C.Plus || sign === C.Minus) k++;
            if (!isDigit(text.charCodeAt(k))) return s;
            e = digitsEnd(k);
            if (e < 0) return s;
            float = true;
          }
        }
        // A number run into a name (`123abc`, `0x1g`) is an error of the scanner's.
        if (isIdentCont(text.charCodeAt(e))) return s;
        const literal = text.slice(i, e);
        // An integer beyond int32 is a float constant to the scanner (process_integer_literal).
        const value = float ? 0 : radix ? parseInt(literal.slice(2).replace(/_/g, ''), radix) : Number(literal.replace(/_/g, ''));
        push(s, (i = e), float || value > 2_147_483_647 ? FCONST : ICONST);
      } else if (isIdentStart(c)) {
        // B'…', X'…', N'…' and U&'…' / U&"…" are literals and names this lexer leaves to the scanner.
        if (next === C.Quote && (c === 66 || c === 98 || c === 88 || c === 120 || c === 78 || c === 110)) return s;
        if ((c === 85 || c === 117) && next === C.Amp) {
          const q = text.charCodeAt(i + 2);
          if (q === C.Quote || q === C.DQuote) return s;
        }
        i++;
        let ascii = c < 0x80;
        for (let d = text.charCodeAt(i); i < n && isIdentCont(d); d = text.charCodeAt(++i)) if (d >= 0x80) ascii = false;
        // Keywords are ASCII: a name with another character is an identifier.
        if (ascii) pushKey(s, i);
        else push(s, i, IDENT);
      } else if (c === C.Dot || c === C.Colon) {
        i += (c === C.Dot && next === C.Dot) || (c === C.Colon && (next === C.Colon || next === C.Eq)) ? 2 : 1;
        pushKey(s, i);
      } else if (isOpChar(c)) {
        let e = i + 1;
        while (e < n && isOpChar(text.charCodeAt(e))) e++;
        // An operator ends before a comment starts (scan.l: strstr for "/*" and "--").
        const run = text.slice(i, e);
        const cut = [run.indexOf('/*'), run.indexOf('--')].filter((k) => k > 0);
        let len = cut.length ? Math.min(...cut) : run.length;
        const last = run.charCodeAt(len - 1);
        if (len > 1 && (last === C.Plus || last === C.Minus)) {
          let k = len - 2;
          while (k >= 0 && !allowsTrailingSign(run.charCodeAt(k))) k--;
          if (k < 0) {
            do len--;
            while (len > 1 && (run.charCodeAt(len - 1) === C.Plus || run.charCodeAt(len - 1) === C.Minus));
          }
        }
        // An operator as long as a name may be is an error of the scanner's (NAMEDATALEN).
        if (len >= 64) return s;
        i += len;
        pushKey(s, i);
      } else {
        // Punctuation and any other single character: the scanner says what it is.
        i++;
        pushKey(s, i);
      }
    }
    return n;
  };
  const end = read();
  if (end === 0 && n > 0) return undefined;
  if (keys.length > 0) {
    if (!learn(keys)) return undefined;
    for (let p = 0; p < pending.length; p += 2) {
      const t = tokens[pending[p]];
      const kind = KINDS.get(keys[pending[p + 1]])!;
      t.name = kind.name;
      if (kind.keywordKind > 0) t.keyword = t.text.toUpperCase();
    }
  }
  return { tokens, end };
}

/**
 * Asks the scanner for the kinds of `keys` (words, operators, punctuation), in one call, space-separated; false
 * when its tokens are not exactly these (then none is remembered and the caller's text goes to the scanner).
 */
function learn(keys: string[]): boolean {
  let raw;
  try {
    raw = scanSql(keys.join(' '));
  } catch {
    return false;
  }
  if (raw.length !== keys.length || raw.some((r, k) => r.text !== keys[k])) return false;
  if (KINDS.size + keys.length > KINDS_MAX) KINDS.clear();
  for (let k = 0; k < keys.length; k++) KINDS.set(keys[k], { name: raw[k].tokenName, keywordKind: raw[k].keywordKind });
  return true;
}

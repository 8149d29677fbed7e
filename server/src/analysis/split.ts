/**
 * Statement splitting for text the parser rejects as a whole, so one bad statement never hides the others.
 * The parse adapter first lets the fast plain-text splitter propose statements and the real parser confirm
 * each one; a proposal the parser rejects is split again with the real tokenizer, which has the last word on
 * what is a string, comment or dollar-quoted body. The plain splitter takes over wherever the tokenizer gives
 * up (an unterminated string or comment).
 */
import { tokenize, isComment, type Token } from './tokens';

/** A statement's extent in the file: [start, end) in UTF-16 offsets, without the terminating semicolon. */
export interface Piece {
  start: number;
  end: number;
}

export function splitStatements(text: string): Piece[] {
  const tokens = tokenize(text, 0);
  // The tokenizer yields nothing for non-blank text only when it threw.
  if (tokens.length === 0 && /\S/.test(text)) return splitPlain(text);
  return splitTokens(tokens);
}

/** Splits at top-level semicolons, keeping SQL-standard function bodies (BEGIN ATOMIC … END) whole. */
function splitTokens(tokens: Token[]): Piece[] {
  const pieces: Piece[] = [];
  let first = -1;
  let last = -1;
  let depth = 0;
  let routine = false;
  let blocks = 0;
  let lead = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (isComment(t)) continue;
    if (t.text === ';' && depth <= 0 && blocks <= 0) {
      if (first >= 0) pieces.push({ start: tokens[first].start, end: tokens[last].end });
      first = last = -1;
      depth = blocks = lead = 0;
      routine = false;
      continue;
    }
    if (first < 0) first = i;
    last = i;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    if (lead < 6) {
      lead++;
      if (t.keyword === 'FUNCTION' || t.keyword === 'PROCEDURE') routine = true;
    }
    if (routine && t.keyword) {
      if (t.keyword === 'BEGIN' || t.keyword === 'CASE') blocks++;
      else if (t.keyword === 'END') blocks--;
    }
  }
  if (first >= 0) pieces.push({ start: tokens[first].start, end: tokens[last].end });
  return pieces;
}

/**
 * A fast plain-text splitter that knows what splits statements lexically: quotes ('' and E'\''), quoted
 * identifiers, dollar quotes, nested comments, brackets, and SQL-standard function bodies (BEGIN ATOMIC … END).
 * An unterminated construct runs to the end of the text, as it does for PostgreSQL.
 */
export function splitPlain(text: string): Piece[] {
  const pieces: Piece[] = [];
  const n = text.length;
  let start = -1;
  let lastEnd = -1;
  let depth = 0;
  let words = 0;
  let routine = false;
  let blocks = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      i = lineEnd(text, i);
      continue;
    }
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      let nest = 1;
      let j = i + 2;
      while (j < n && nest > 0) {
        const d = text.charCodeAt(j);
        if (d === 47 && text.charCodeAt(j + 1) === 42) {
          nest++;
          j += 2;
        } else if (d === 42 && text.charCodeAt(j + 1) === 47) {
          nest--;
          j += 2;
        } else j++;
      }
      i = j;
      continue;
    }
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    const s = i;
    if (c === 59 /* ; */ && depth <= 0 && blocks <= 0) {
      if (start >= 0) pieces.push({ start, end: lastEnd });
      start = -1;
      depth = words = blocks = 0;
      routine = false;
      i++;
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      i = endOfQuoted(text, i, c === 39 && i > 0 && (text[i - 1] === 'e' || text[i - 1] === 'E'));
    } else if (c === 36 /* $ */ && !isWordChar(text.charCodeAt(i - 1))) {
      const m = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(text.charCodeAt(j)) || text.charCodeAt(j) === 36)) j++;
      if (text.charCodeAt(j) === 39 && j - i === 1 && /[eEbBxXnN]/.test(text[i])) {
        // E'…', B'…', X'…', N'…': the prefix belongs to the string; only E'…' knows backslash escapes.
        i = endOfQuoted(text, j, c === 101 || c === 69);
        if (start < 0) start = s;
        lastEnd = i;
        continue;
      }
      if (words < 6 || routine) {
        // Only the first words and the words of a routine body matter; the others need no upper-casing.
        const word = text.slice(i, j).toUpperCase();
        if (words < 6) {
          words++;
          if (word === 'FUNCTION' || word === 'PROCEDURE') routine = true;
        }
        if (routine && (word === 'BEGIN' || word === 'CASE')) blocks++;
        else if (routine && word === 'END') blocks--;
      }
      i = j;
    } else {
      if (c === 40 || c === 91) depth++;
      else if (c === 41 || c === 93) depth--;
      i++;
    }
    if (start < 0) start = s;
    lastEnd = i;
  }
  if (start >= 0) pieces.push({ start, end: lastEnd });
  return pieces;
}

/** The end of the line at i: its CR or LF (PostgreSQL ends a `--` comment at either), or the end of the text. */
function lineEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
    i++;
  }
  return n;
}

/**
 * Whether the real tokenizer could split a piece the plain splitter keeps whole: only where one of its semicolons
 * lies where the two may read the text differently, in a literal, comment or dollar quote, or outside brackets (a
 * routine's BEGIN … END). A semicolon in brackets is in brackets for the tokenizer too; a large statement with one
 * (an array of SQL strings, a function call) is then not tokenized again on each edit.
 */
export function semicolonMaySplit(text: string): boolean {
  let next = text.indexOf(';');
  const n = text.length;
  let depth = 0;
  let i = 0;
  while (next >= 0 && i < n) {
    const c = text.charCodeAt(i);
    const s = i;
    if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) i = lineEnd(text, i);
    else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 42) {
          nest++;
          i += 2;
        } else if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) {
          nest--;
          i += 2;
        } else i++;
      }
    } else if (c === 39 /* ' */ || c === 34 /* " */) i = endOfQuoted(text, i, c === 39 && i > 0 && (text[i - 1] === 'e' || text[i - 1] === 'E'));
    else if (c === 36 /* $ */ && !isWordChar(text.charCodeAt(i - 1))) {
      const m = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else {
      if (c === 40 || c === 91) depth++;
      else if (c === 41 || c === 93) depth--;
      else if (c === 59 /* ; */) {
        if (depth <= 0) return true;
        next = text.indexOf(';', i + 1);
      }
      i++;
      continue;
    }
    // Skipped a comment, literal or quote: did it hold the next semicolon?
    if (next < i) {
      if (next >= s) return true;
      next = text.indexOf(';', i);
    }
  }
  return false;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c > 127;
}

/** The end of a quoted literal or identifier starting at `at` (doubled quotes inside; backslash escapes in E'…'). */
export function endOfQuoted(text: string, at: number, backslashes: boolean): number {
  const q = text.charCodeAt(at);
  let j = at + 1;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (backslashes && d === 92) j += 2;
    else if (d === q) {
      if (text.charCodeAt(j + 1) === q) j += 2;
      else return j + 1;
    } else j++;
  }
  return text.length;
}

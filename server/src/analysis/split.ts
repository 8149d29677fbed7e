/**
 * Statement splitting for text the parser rejects as a whole. The real tokenizer decides what is a string,
 * comment or dollar-quoted body; a plain-text scanner takes over only where the tokenizer gives up (an
 * unterminated string or comment), so one bad statement never hides the others.
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
export function splitTokens(tokens: Token[]): Piece[] {
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
 * Fallback when the tokenizer throws: a small scanner that knows quotes, dollar quotes and comments. An
 * unterminated construct runs to the end of the text, as it does for PostgreSQL.
 */
export function splitPlain(text: string): Piece[] {
  const pieces: Piece[] = [];
  let start = -1;
  let lastEnd = -1;
  let depth = 0;
  let i = 0;
  const n = text.length;
  const mark = (s: number, e: number) => {
    if (start < 0) start = s;
    lastEnd = e;
  };
  while (i < n) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      let nest = 1;
      let j = i + 2;
      while (j < n && nest > 0) {
        if (text[j] === '/' && text[j + 1] === '*') (nest++, (j += 2));
        else if (text[j] === '*' && text[j + 1] === '/') (nest--, (j += 2));
        else j++;
      }
      i = j;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const s = i;
    if (c === "'" || c === '"') {
      const escapes = c === "'" && i > 0 && /[eE]/.test(text[i - 1]);
      let j = i + 1;
      while (j < n) {
        if (escapes && text[j] === '\\') j += 2;
        else if (text[j] === c) {
          if (text[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      i = Math.min(j + 1, n);
    } else if (c === '$') {
      const m = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else if (c === ';' && depth <= 0) {
      if (start >= 0) pieces.push({ start, end: lastEnd });
      start = -1;
      depth = 0;
      i++;
      continue;
    } else {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      i++;
    }
    mark(s, i);
  }
  if (start >= 0) pieces.push({ start, end: lastEnd });
  return pieces;
}

/**
 * How deep the parser's tree of a text can be, read from the text alone and bounded from above, so that a
 * statement whose tree would overflow the parser's stack (libpg_query's WASM build recurses once or more per tree
 * level while it writes the tree out) is never handed to it. PostgreSQL's own parser has a stack check; the WASM
 * build's overflow is a JavaScript RangeError thrown through its frames, which leaves it in an unknown state.
 *
 * The bound is in levels of the tree's JSON text. It is loose (about 3 to 5 times the real depth for the usual
 * shapes) but linear, and only statements far deeper than any hand-written query come near the limit.
 */

import { endOfQuoted } from './split';

/** JSON levels per token that can nest the tree without brackets: operator characters (`+`, `||`, `::`, `-`). */
const PER_OPERATOR_CHAR = 2;
/** Words that nest the tree without brackets (NOT a, x IS NULL, x COLLATE c, x AT TIME ZONE z, x LIKE y ESCAPE e, …). */
const PER_WORD = 3;
const NESTING_WORDS: ReadonlySet<string> = new Set([
  'NOT',
  'IS',
  'ISNULL',
  'NOTNULL',
  'COLLATE',
  'AT',
  'LIKE',
  'ILIKE',
  'SIMILAR',
  'ESCAPE',
  'BETWEEN',
  'IN',
  'OVERLAPS',
]);
/**
 * Words that chain a left-deep tree (`a UNION b UNION c`, `a JOIN b JOIN c`): each arm is a level below the last,
 * so they add up over the whole bracket level; what follows them is a new arm.
 */
const PER_CHAIN_WORD = 3;
const CHAIN_WORDS: ReadonlySet<string> = new Set(['UNION', 'INTERSECT', 'EXCEPT', 'JOIN']);
/**
 * Words after which the text is a sibling of what came before (a new AND / OR operand, CASE arm or clause), as
 * after a comma: the levels of the parts before do not add to the parts after.
 */
const SIBLING_WORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'WHEN',
  'THEN',
  'ELSE',
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'RETURNING',
  'VALUES',
  'WINDOW',
]);
/** Levels a bracket or CASE … END adds (a sublink and its SELECT, a call and its argument list, a CASE and its arm). */
const PER_BRACKET = 8;
/** Levels above every statement's expressions: the JSON envelope, the statement, its clause lists (and a BEGIN ATOMIC body's statement around them). */
const PER_STATEMENT = 32;

const OPERATOR_CHARS = new Set('+-*/<>=~!@#%^&|`?:.'.split('').map((c) => c.charCodeAt(0)));

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}

/**
 * An upper bound of the JSON nesting depth of the parse tree of the deepest statement in `sql`. It
 * reads quotes, dollar quotes and comments as PostgreSQL does (a `--` comment ends at CR or LF) and needs no tokens.
 */
export function nestingBound(sql: string): number {
  // One frame per open bracket (or CASE): chain words seen, the deepest sibling part so far, the current part's
  // operator levels and its deepest bracket.
  const chain: number[] = [0];
  const best: number[] = [0];
  const ops: number[] = [0];
  const child: number[] = [0];
  const isCase: boolean[] = [false];
  let top = 0;
  let result = 0;
  const endPart = () => {
    const v = ops[top] + child[top];
    if (v > best[top]) best[top] = v;
    ops[top] = child[top] = 0;
  };
  const levelValue = () => {
    endPart();
    return chain[top] + best[top];
  };
  const open = (caseLevel: boolean) => {
    top++;
    chain[top] = best[top] = ops[top] = child[top] = 0;
    isCase[top] = caseLevel;
  };
  const close = () => {
    const v = levelValue() + PER_BRACKET;
    top--;
    if (v > child[top]) child[top] = v;
  };
  const endStatement = () => {
    while (top > 0) close();
    const v = levelValue() + PER_STATEMENT;
    if (v > result) result = v;
    chain[0] = best[0] = ops[0] = child[0] = 0;
  };
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
    } else if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++;
    } else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        const d = sql.charCodeAt(i);
        if (d === 47 && sql.charCodeAt(i + 1) === 42) {
          nest++;
          i += 2;
        } else if (d === 42 && sql.charCodeAt(i + 1) === 47) {
          nest--;
          i += 2;
        } else i++;
      }
    } else if (c === 39 /* ' */ || c === 34 /* " */) {
      // A literal or quoted name is a leaf.
      i = endOfQuoted(sql, i, c === 39 && (sql.charCodeAt(i - 1) === 101 || sql.charCodeAt(i - 1) === 69));
    } else if (c === 36 /* $ */ && !isWordChar(sql.charCodeAt(i - 1))) {
      const m = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else {
        i++;
        while (i < n && isWordChar(sql.charCodeAt(i))) i++; // $1
      }
    } else if (isWordChar(c)) {
      const s = i;
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      if (i - s > 9 || (c >= 48 && c <= 57)) continue; // longer than any word below, or a number
      const word = sql.slice(s, i).toUpperCase();
      if (SIBLING_WORDS.has(word)) endPart();
      else if (CHAIN_WORDS.has(word)) {
        chain[top] += PER_CHAIN_WORD;
        endPart();
      } else if (NESTING_WORDS.has(word)) ops[top] += PER_WORD;
      else if (word === 'CASE') open(true);
      else if (word === 'END' && isCase[top]) close();
    } else if (c === 40 /* ( */ || c === 91 /* [ */) {
      open(false);
      i++;
    } else if (c === 41 /* ) */ || c === 93 /* ] */) {
      // Closes CASEs left open inside the bracket too; an unmatched one closes nothing.
      while (top > 0 && isCase[top]) close();
      if (top > 0) close();
      i++;
    } else if (c === 44 /* , */) {
      endPart();
      i++;
    } else if (c === 59 /* ; */ && top === 0) {
      endStatement();
      i++;
    } else {
      if (OPERATOR_CHARS.has(c)) ops[top] += PER_OPERATOR_CHAR;
      i++;
    }
  }
  endStatement();
  return result;
}

/** Whether a JSON text nests deeper than `limit` (objects and arrays; strings skipped). */
export function jsonDeeperThan(json: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0, n = json.length; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
    else if (c === 34) {
      // Skip the string: to the next quote not escaped by an odd number of backslashes.
      for (;;) {
        const q = json.indexOf('"', i + 1);
        if (q < 0) return false;
        let b = 0;
        while (json.charCodeAt(q - 1 - b) === 92) b++;
        i = q;
        if ((b & 1) === 0) break;
      }
    }
  }
  return false;
}

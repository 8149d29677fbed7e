/**
 * Templated SQL: text that a tool rewrites before PostgreSQL sees it (Go templates, psql variables and
 * meta-commands, sqlc parameters, umami's `{{name::type}}`, extension scripts' `@extschema@`, user patterns).
 * Each template is replaced by a placeholder of the same length in UTF-16 units that the parser accepts in
 * that position, so every offset into the rewritten text is an offset into the original file.
 */
import { endOfQuoted } from './split';

/** What a placeholder stands for: a name, a value, a string literal, or nothing (a control action). */
export type PlaceholderKind = 'identifier' | 'value' | 'literal' | 'blank';

export interface TemplateRegion {
  start: number;
  end: number;
  kind: PlaceholderKind;
}

/** A `.pgperf.json` template pattern, compiled. */
export interface TemplatePattern {
  regex: RegExp;
  as: PlaceholderKind;
}

export interface Templated {
  /** The text with every template replaced; the same length as the original. */
  text: string;
  regions: TemplateRegion[];
}

/**
 * Cheap test before the scan: a `{{`, a `\`, an `@`, `sqlc.`, or a colon that is not part of `::` or `:=` and
 * is followed by a name or quote. Files without any of these are never scanned.
 */
function mayHold(text: string): boolean {
  if (text.includes('{{') || text.includes('\\') || text.includes('@') || text.includes('sqlc.')) return true;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    const next = text.charCodeAt(i + 1);
    if (next === 58 /* : */)
      i++; // a cast
    else if (isNameStart(next) || next === 39 || next === 34 || next === 123) return true;
  }
  return false;
}

/** The text with its templates replaced, or undefined when it holds none. */
export function replaceTemplates(text: string, extra: readonly TemplatePattern[] = []): Templated | undefined {
  if (extra.length === 0 && !mayHold(text)) return undefined;
  const out = new Rewriter(text);
  for (const p of extra) userPattern(out, p);
  goTemplates(out);
  extensionSchema(out);
  out.commit();
  codeTemplates(out);
  if (out.regions.length === 0) return undefined;
  out.commit();
  return { text: out.current, regions: out.sorted().map(({ start, end, kind }) => ({ start, end, kind })) };
}

/** Collects same-length replacements; `current` is the text with the replacements of the earlier passes. */
class Rewriter {
  readonly regions: TemplateRegion[] = [];
  current: string;
  /** Per UTF-16 unit: 1 once inside a replaced region (a later pass never replaces it again). */
  private readonly mask: Uint8Array;

  constructor(readonly original: string) {
    this.current = original;
    this.mask = new Uint8Array(original.length);
  }

  replace(start: number, end: number, kind: PlaceholderKind | 'terminator'): void {
    if (end <= start) return;
    for (let i = start; i < end; i++) if (this.mask[i]) return;
    this.mask.fill(1, start, end);
    this.regions.push({
      start,
      end,
      kind: kind === 'terminator' ? 'blank' : kind,
      text: kind === 'terminator' ? ';' + ' '.repeat(end - start - 1) : placeholder(this.original.slice(start, end), kind),
    } as Region);
  }

  /** Applies the replacements so far to `current` (one pass over the text). */
  commit(): void {
    if (this.regions.length === 0) return;
    const parts: string[] = [];
    let at = 0;
    for (const r of this.sorted() as Region[]) {
      parts.push(this.original.slice(at, r.start), r.text);
      at = r.end;
    }
    parts.push(this.original.slice(at));
    this.current = parts.join('');
  }

  sorted(): TemplateRegion[] {
    return [...this.regions].sort((a, b) => a.start - b.start);
  }
}

interface Region extends TemplateRegion {
  text: string;
}

/**
 * A placeholder as long as `original`: an identifier of letters derived from the template's text (the same
 * template gives the same name, different ones rarely collide), `$1` padded with zeros (`$0001`), a string literal,
 * or whitespace that keeps the line breaks.
 */
export function placeholder(original: string, kind: PlaceholderKind): string {
  const n = original.length;
  if (kind === 'blank') return original.replace(/[^\r\n]/g, ' ');
  // `$0…01` is parameter 1 in one token, so that a finding on it covers the whole template.
  if (kind === 'value' && n >= 2) return '$' + '0'.repeat(n - 2) + '1';
  if (kind === 'literal' && n >= 2) return "'" + letters(original, n - 2) + "'";
  // An identifier: `_` first, so it is never a keyword.
  return '_' + letters(original, n - 1);
}

function letters(seed: string, n: number): string {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  let s = '';
  for (let i = 0; i < n; i++) {
    s += String.fromCharCode(97 + (h % 26));
    h = Math.imul(h ^ (i + 1), 16777619) >>> 0;
  }
  return s;
}

function userPattern(out: Rewriter, p: TemplatePattern): void {
  const re = new RegExp(p.regex.source, p.regex.flags.includes('g') ? p.regex.flags : p.regex.flags + 'g');
  for (const m of out.original.matchAll(re)) {
    if (m[0].length > 0) out.replace(m.index!, m.index! + m[0].length, p.as);
  }
}

/** Go template actions that produce no text: control structure and comments. */
const GO_CONTROL = /^(?:\/\*|(?:if|else|end|range|with|define|template|block|break|continue)\b)/;
/** umami's `{{name}}` / `{{name::type}}`: a query parameter. */
const NAMED_PARAM = /^[A-Za-z_]\w*(?:::[\w\s[\]]+)?$/;
/** The longest action read as one template (a longer `{{ … }}` is left to the parser). */
const MAX_ACTION = 2000;

/** `{{ … }}` anywhere (Go templates, umami parameters); an unterminated `{{` stays and is a syntax error. */
function goTemplates(out: Rewriter): void {
  const text = out.original;
  for (let i = text.indexOf('{{'); i >= 0; i = text.indexOf('{{', i + 2)) {
    const close = text.indexOf('}}', i + 2);
    if (close < 0 || close - i > MAX_ACTION) return;
    const end = close + 2;
    const inner = text
      .slice(i + 2, close)
      .replace(/^-?\s*/, '')
      .replace(/\s*-?$/, '');
    let kind: PlaceholderKind;
    if (GO_CONTROL.test(inner)) kind = 'blank';
    else if (NAMED_PARAM.test(inner)) kind = standsAlone(out.current, i, end) ? 'value' : 'identifier';
    else kind = valueContext(out.current, i, end) ? 'value' : 'identifier';
    out.replace(i, end, kind);
    i = end - 2;
  }
}

/** PostgreSQL's own extension-script substitution, `@extschema@` and `@extschema:name@` (PostgreSQL 16+). */
function extensionSchema(out: Rewriter): void {
  if (!out.original.includes('@extschema')) return;
  for (const m of out.original.matchAll(/@extschema(?::[A-Za-z_][\w$]*)?@/g)) out.replace(m.index!, m.index! + m[0].length, 'identifier');
}

/** psql meta-commands that send the query buffer, i.e. end a statement. */
const SENDS_BUFFER = /^\\(?:g|gx|gexec|gset|gdesc|watch|crosstabview)\b/;

/**
 * Templates that only count in code (outside strings, quoted identifiers, comments and dollar-quoted bodies):
 * psql meta-commands and variables, sqlc parameters.
 */
function codeTemplates(out: Rewriter): void {
  const text = out.current;
  const n = text.length;
  let brackets = 0;
  let i = 0;
  while (i < n) {
    // Jump to the next character that can start a comment, quote, bracket or template.
    INTERESTING.lastIndex = i;
    const hit = INTERESTING.exec(text);
    if (!hit) return;
    i = hit.index;
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c === 45 /* - */ && next === 45) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
    } else if (c === 47 /* / */ && next === 42 /* * */) {
      i = commentEnd(text, i);
    } else if (c === 39 /* ' */ || c === 34 /* " */) {
      i = endOfQuoted(text, i, c === 39 && /[eE]/.test(text[i - 1] ?? '') && !isWord(text.charCodeAt(i - 2)));
    } else if (c === 36 /* $ */ && !isWord(text.charCodeAt(i - 1))) {
      const m = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else if (c === 92 /* \ */) {
      // A psql meta-command runs to the end of the line.
      let e = text.indexOf('\n', i);
      if (e < 0) e = n;
      if (text[e - 1] === '\r') e--;
      const command = text.slice(i, e);
      out.replace(i, e, SENDS_BUFFER.test(command) ? 'terminator' : 'blank');
      i = e;
    } else if (c === 58 /* : */ && text.charCodeAt(i - 1) !== 58 && next !== 58 && next !== 61 /* = */ && brackets === 0) {
      i = psqlVariable(out, text, i);
    } else if (c === 64 /* @ */ && isNameStart(next) && !OPERATOR_CHARS.includes(text[i - 1] ?? ' ') && !isWord(text.charCodeAt(i - 1))) {
      let e = i + 1;
      while (e < n && isWord(text.charCodeAt(e))) e++;
      out.replace(i, e, 'value');
      i = e;
    } else if (c === 115 /* s */ && text.startsWith('sqlc.', i) && !isWord(text.charCodeAt(i - 1))) {
      const m = /^sqlc\.(?:arg|narg|slice)\s*\(\s*(?:[A-Za-z_]\w*|'[^'\n]*'|"[^"\n]*")\s*\)/i.exec(text.slice(i, i + 200));
      if (m) out.replace(i, i + m[0].length, 'value');
      i += m ? m[0].length : 5;
    } else {
      if (c === 91 /* [ */) brackets++;
      else if (c === 93 /* ] */ && brackets > 0) brackets--;
      i++;
    }
  }
}

const OPERATOR_CHARS = '<>@-&|#~!?+*/%^`';
const INTERESTING = /[-/'"$\\:@[\]]|sqlc\./g;

/** `:name`, `:'name'`, `:"name"`, `:{?name}` at i; returns where scanning continues. */
function psqlVariable(out: Rewriter, text: string, i: number): number {
  const next = text[i + 1];
  let m: RegExpExecArray | null;
  if (next === "'" && (m = /^:'[A-Za-z_]\w*'/.exec(text.slice(i, i + 100)))) {
    out.replace(i, i + m[0].length, 'literal');
  } else if (next === '"' && (m = /^:"[A-Za-z_]\w*"/.exec(text.slice(i, i + 100)))) {
    out.replace(i, i + m[0].length, 'identifier');
  } else if (next === '{' && (m = /^:\{\?[A-Za-z_]\w*\}/.exec(text.slice(i, i + 100)))) {
    out.replace(i, i + m[0].length, 'value');
  } else if ((m = /^:[A-Za-z_]\w*/.exec(text.slice(i, i + 100))) && !isWord(text.charCodeAt(i - 1))) {
    out.replace(i, i + m[0].length, valueContext(out.current, i, i + m[0].length) ? 'value' : 'identifier');
  } else return i + 1;
  return i + m[0].length;
}

/** Keywords after which a template is a value (a parameter), not a name. */
const VALUE_KEYWORDS = new Set(['LIMIT', 'OFFSET', 'LIKE', 'ILIKE', 'THEN', 'ELSE', 'BETWEEN']);

/**
 * Whether a template at [start, end) stands where a value is expected: after a comparison operator or one of
 * VALUE_KEYWORDS, and not glued to a name (`prefix_{{.X}}`, `{{.Schema}}.table`). Elsewhere an identifier is
 * the safer placeholder: the grammar takes a name in nearly every position a value is taken.
 */
function valueContext(text: string, start: number, end: number): boolean {
  if (!standsAlone(text, start, end)) return false;
  let p = start - 1;
  while (p >= 0 && /\s/.test(text[p])) p--;
  if (p < 0) return false;
  if ('=<>!'.includes(text[p])) return true;
  let w = p;
  while (w >= 0 && isWord(text.charCodeAt(w))) w--;
  return w < p && VALUE_KEYWORDS.has(text.slice(w + 1, p + 1).toUpperCase());
}

function standsAlone(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  return !isWord(before) && before !== 46 && before !== 34 && !isWord(after) && after !== 46 && after !== 34;
}

function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function commentEnd(text: string, at: number): number {
  let nest = 1;
  let j = at + 2;
  while (j < text.length && nest > 0) {
    if (text.charCodeAt(j) === 47 && text.charCodeAt(j + 1) === 42) {
      nest++;
      j += 2;
    } else if (text.charCodeAt(j) === 42 && text.charCodeAt(j + 1) === 47) {
      nest--;
      j += 2;
    } else j++;
  }
  return j;
}

/**
 * Reading a host expression as a string statically, per language: literals, concatenation, interpolation and
 * formatting calls. Anything else (a variable alone, a call result) is not static and is skipped.
 */
import type { Node } from 'web-tree-sitter';
import { SqlBuilder, type ValueStyle } from './builder';
import { decode, type Decoded } from './decode';
import type { HostLanguage } from './grammars';
import { pieceStyle, type PieceStyle, type Quote, type SpecialFlags } from './style';

/** The driver's parameter syntax inside the literal, where the API has one besides `$n`. */
export type ParamSyntax = 'pyformat' | 'named' | 'question';

export interface ReadContext {
  lang: HostLanguage;
  /** How a value hole of a template is written: `$n` for a tag (the library's own parameter). */
  templateStyle: ValueStyle;
  params: readonly ParamSyntax[];
  /** Special sequences of every literal read, when the API defines its own (psycopg's sql.SQL). */
  specials?: Specials;
  /** Host ranges of the literal contents read. */
  pieces: Piece[];
}

/** The contents of one literal (between its quotes) read into the SQL. */
export interface Piece {
  start: number;
  end: number;
  /** How text is written in this literal: what an edit of the SQL here must be encoded as. */
  style: PieceStyle;
  /** The host source of the contents. */
  source: string;
}

/**
 * How deeply nested a string expression is read (`'a' + ('b' + …)`, a chain of `+`): one nested deeper is not read,
 * as one built at run time. A generated `1+1+…` of 8,180 terms in a query's argument overflowed the stack here
 * (bench/fuzz.mjs --seed 4, input 591); hand-written concatenations nest a few levels.
 */
const MAX_READ_DEPTH = 500;
let readDepth = 0;

/** Reads `node` into `b`; false when any part of it cannot be read statically. */
export function readString(node: Node, b: SqlBuilder, ctx: ReadContext): boolean {
  if (readDepth >= MAX_READ_DEPTH) return false;
  readDepth++;
  try {
    switch (ctx.lang) {
      case 'python':
        return readPython(node, b, ctx);
      case 'go':
        return readGo(node, b, ctx);
      case 'rust':
        return readRust(node, b, ctx);
      default:
        return readJs(node, b, ctx);
    }
  } finally {
    readDepth--;
  }
}

/**
 * Special sequences of a literal: `re` matches them; a match opening with `holeLead` is a host format hole, any
 * other match a driver parameter, except the doubled escapes (`%%`, `{{`, `}}`) that stand for one character.
 */
export interface Specials extends SpecialFlags {
  re: RegExp;
  holeLead?: '{' | '%';
  /**
   * Every `?` is a binding (knex `raw`, db-migrate `runSql`): `??` an identifier binding, `\?` a plain `?`. Without
   * it a `?` is a parameter only where a value stands (Go drivers: `?` may be the jsonb operator).
   */
  everyQuestion?: boolean;
}

function literal(b: SqlBuilder, ctx: ReadContext, text: string, base: number, quote: Quote, specials?: Specials): void {
  const sp = specials ?? ctx.specials ?? driverParams(ctx);
  ctx.pieces.push({ start: base, end: base + text.length, style: pieceStyle(ctx.lang, quote, sp), source: text });
  const d = decode(text, base, quote.escape);
  if (!sp) return b.text(d);
  splitSpecials(b, d, sp);
}

function splitSpecials(b: SqlBuilder, d: Decoded, { re, holeLead, everyQuestion }: Specials): void {
  let last = 0;
  const slice = (from: number, to: number): Decoded => ({ text: d.text.slice(from, to), starts: d.starts.subarray(from, to), ends: d.ends.subarray(from, to) });
  re.lastIndex = 0;
  for (let m = re.exec(d.text); m; m = re.exec(d.text)) {
    const s = m.index;
    const e = s + m[0].length;
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    b.text(slice(last, s));
    last = e;
    if (m[0] === '%%' || m[0] === '{{' || m[0] === '}}') b.text({ text: m[0][0], starts: Int32Array.of(d.starts[s]), ends: Int32Array.of(d.ends[e - 1]) });
    // knex's escaped `\?` is sent as `?` (an operator, not a binding).
    else if (m[0] === '\\?') b.text({ text: '?', starts: Int32Array.of(d.starts[s]), ends: Int32Array.of(d.ends[e - 1]) });
    else if (holeLead && m[0][0] === holeLead) b.hole(d.starts[s], d.ends[e - 1], m[0], 'padded');
    else if (m[0] === '??') b.parameter(slice(s, e), undefined, 'identifier');
    else b.parameter(slice(s, e), m[0] !== '?' ? undefined : everyQuestion ? notJsonbOperator : questionApplies);
  }
  b.text(slice(last, d.text.length));
}

const PY_PARAM = String.raw`%%|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]`;
const NAMED = String.raw`(?<![:\w]):[A-Za-z_]\w*`;
const PARAMS: Record<string, Specials | undefined> = {
  pyformat: { re: new RegExp(PY_PARAM, 'g'), percent: true },
  named: { re: new RegExp(NAMED, 'g'), named: true },
  question: { re: /\?/g, question: true },
  'pyformat,named': { re: new RegExp(`${PY_PARAM}|${NAMED}`, 'g'), percent: true, named: true },
  'named,question': { re: new RegExp(`${NAMED}|\\?`, 'g'), named: true, question: true },
};
/** knex `raw` / db-migrate `runSql`: `\?` (escaped), `??` (identifier binding), `?` (value binding). */
const KNEX_QUESTION = String.raw`\\\?|\?\??`;
const EVERY_QUESTION: Record<string, Specials | undefined> = {
  question: { re: new RegExp(KNEX_QUESTION, 'g'), question: true, everyQuestion: true },
  'named,question': { re: new RegExp(`${NAMED}|${KNEX_QUESTION}`, 'g'), named: true, question: true, everyQuestion: true },
};

/**
 * The driver's parameters of a plain literal. JavaScript's `?` APIs (knex, db-migrate) bind every `?`; Go's
 * drivers are ambiguous about it (MySQL-style `?`, PostgreSQL's jsonb `?`), so there a `?` counts where a value stands.
 */
function driverParams(ctx: ReadContext): Specials | undefined {
  const key = ctx.params.join(',');
  if (ctx.params.includes('question') && (ctx.lang === 'typescript' || ctx.lang === 'tsx' || ctx.lang === 'javascript')) return EVERY_QUESTION[key];
  return PARAMS[key];
}
const BRACE = String.raw`\{\{|\}\}|\{[^{}]*\}`;
const PY_FORMAT: Specials = { re: new RegExp(PY_PARAM, 'g'), holeLead: '%', percent: true };
const BRACE_FORMAT: Specials = { re: new RegExp(BRACE, 'g'), holeLead: '{', braces: true };
const GO_FORMAT: Specials = { re: /%%|%(?:\[\d+\])?[-+# 0]*(?:\d+|\*)?(?:\.\d+)?[a-zA-Z]/g, holeLead: '%', percent: true };
/** An f-string's own braces (its holes are interpolation nodes), and the driver's `%s` where it has them. */
const FSTRING: Specials = { re: /\{\{|\}\}/g, braces: true };
const FSTRING_PARAMS: Specials = { re: new RegExp(`\\{\\{|\\}\\}|${PY_PARAM}`, 'g'), braces: true, percent: true };
/**
 * A language's own format specifiers, for a literal kept apart from the call that formats it (a Go `const` given
 * to fmt.Sprintf later, a Rust or Python template string).
 */
export const FORMAT_OF: Partial<Record<HostLanguage, Specials>> = {
  go: GO_FORMAT,
  rust: BRACE_FORMAT,
  python: { re: new RegExp(`${BRACE}|${PY_PARAM}`, 'g'), holeLead: '{', braces: true, percent: true },
};
/** psycopg's sql.SQL("… {} … %s"): `{}` composed in by .format(), `%s` the driver's parameter. */
export const PSYCOPG_SQL: Specials = { re: new RegExp(`${BRACE}|${PY_PARAM}`, 'g'), holeLead: '{', braces: true, percent: true };
/** `"… {} …".format(…)` given to SQLAlchemy text(): `{}` holes and `:name` parameters. */
const BRACE_NAMED: Specials = { re: new RegExp(`${BRACE}|${NAMED}`, 'g'), holeLead: '{', braces: true, named: true };
/** `"… %s …" % (…)` given to text(): `%s` holes (Python's formatting takes every `%`) and `:name` parameters. */
const PY_FORMAT_NAMED: Specials = { re: new RegExp(`${PY_PARAM}|${NAMED}`, 'g'), holeLead: '%', percent: true, named: true };
const FSTRING_NAMED: Specials = { re: new RegExp(`\\{\\{|\\}\\}|${NAMED}`, 'g'), braces: true, named: true };

/**
 * The specials of a Python string formatted by `.format()` before the API reads it: the `{}` holes, and the API's
 * own parameters after formatting (`%s` of a pyformat driver, `:name` of text()).
 */
function braceFormatFor(params: readonly ParamSyntax[]): Specials {
  if (params.includes('pyformat')) return PSYCOPG_SQL;
  return params.includes('named') ? BRACE_NAMED : BRACE_FORMAT;
}

/**
 * Where every `?` binds, `?|` and `?&` are still read as the jsonb operators: db-migrate replaces `?` only when the
 * call passes parameters, so reading them as bindings could make a false syntax error (knex would bind them; the
 * miss is a syntax error not reported, never one invented).
 */
function notJsonbOperator(_before: string, after: string): boolean {
  return !/^[|&]/.test(after);
}

/** A `?` is a parameter where a value stands (not the jsonb operator): after `=`, `(`, `,` or a keyword. */
function questionApplies(before: string, after: string): boolean {
  const prev = /(\S+)\s*$/.exec(before)?.[1] ?? '';
  // `?|` and `?&` are jsonb operators.
  if (/^[|&]/.test(after)) return false;
  return (
    /[=<>([,+\-*/]$/.test(prev) || /^(SELECT|DISTINCT|IN|LIMIT|OFFSET|VALUES|THEN|ELSE|WHEN|LIKE|ILIKE|BETWEEN|AND|OR|SET|NOT|IS|RETURNING|BY)$/i.test(prev)
  );
}

/** A non-literal operand of `+` between literals: a name or call whose value is interpolated. */
function operandHole(node: Node, b: SqlBuilder): boolean {
  if (
    !/^(identifier|member_expression|subscript_expression|call_expression|selector_expression|attribute|call|field_expression|index_expression|subscript)$/.test(
      node.type,
    )
  )
    return false;
  b.hole(node.startIndex, node.endIndex, node.text, 'padded');
  return true;
}

function readConcat(left: Node | null, right: Node | null, b: SqlBuilder, ctx: ReadContext): boolean {
  if (!left || !right) return false;
  for (const side of [left, right]) if (!readString(side, b, ctx) && !operandHole(side, b)) return false;
  return true;
}

function readJs(node: Node, b: SqlBuilder, ctx: ReadContext): boolean {
  switch (node.type) {
    case 'string':
      literal(b, ctx, node.text.slice(1, -1), node.startIndex + 1, { quote: node.text[0], prefix: '', hashes: 0, escape: 'js' });
      return true;
    case 'template_string': {
      let pos = node.startIndex + 1;
      const quote: Quote = { quote: '`', prefix: '', hashes: 0, escape: 'js' };
      const text = (to: number): void => literal(b, ctx, node.text.slice(pos - node.startIndex, to - node.startIndex), pos, quote);
      for (const c of node.namedChildren) {
        if (c?.type !== 'template_substitution') continue;
        text(c.startIndex);
        b.hole(c.startIndex, c.endIndex, c.text, ctx.templateStyle);
        pos = c.endIndex;
      }
      text(node.endIndex - 1);
      return true;
    }
    case 'binary_expression':
      return node.childForFieldName('operator')?.type === '+' && readConcat(node.childForFieldName('left'), node.childForFieldName('right'), b, ctx);
    case 'parenthesized_expression':
    case 'as_expression':
    case 'satisfies_expression':
    case 'non_null_expression':
      return node.namedChildren[0] ? readString(node.namedChildren[0], b, ctx) : false;
    default:
      return false;
  }
}

function readPython(node: Node, b: SqlBuilder, ctx: ReadContext, format?: Specials): boolean {
  switch (node.type) {
    case 'string': {
      const open = node.children.find((c) => c?.type === 'string_start');
      const close = node.children.find((c) => c?.type === 'string_end');
      if (!open || !close) return false;
      const prefix = open.text.replace(/['"]+$/, '').toLowerCase();
      const quote: Quote = { quote: open.text.slice(prefix.length), prefix, hashes: 0, escape: prefix.includes('r') ? 'python-raw' : 'python' };
      const f = prefix.includes('f');
      // In an f-string `{{`/`}}` are braces and `%s` still the driver's parameter (psycopg formats after Python).
      const specials = f
        ? ctx.params.includes('pyformat')
          ? FSTRING_PARAMS
          : ctx.params.includes('named')
            ? FSTRING_NAMED
            : FSTRING
        : (format ?? ctx.specials);
      let pos = open.endIndex;
      const text = (to: number): void => {
        if (to > pos) literal(b, ctx, node.text.slice(pos - node.startIndex, to - node.startIndex), pos, quote, specials);
      };
      for (const c of node.namedChildren) {
        if (c?.type !== 'interpolation') continue;
        text(c.startIndex);
        b.hole(c.startIndex, c.endIndex, c.text, 'padded');
        pos = c.endIndex;
      }
      text(close.startIndex);
      return true;
    }
    case 'concatenated_string':
      return node.namedChildren.every((c) => c !== null && readPython(c, b, ctx, format));
    case 'parenthesized_expression':
      return node.namedChildren.length === 1 && readPython(node.namedChildren[0]!, b, ctx, format);
    case 'binary_operator': {
      const op = node.childForFieldName('operator')?.type;
      const left = node.childForFieldName('left');
      if (op === '%' && left) return readPython(left, b, ctx, ctx.params.includes('named') ? PY_FORMAT_NAMED : PY_FORMAT);
      return op === '+' && readConcat(left, node.childForFieldName('right'), b, ctx);
    }
    case 'call': {
      // "… {} …".format(…), and SQL("… {} …").format(…) of psycopg.sql
      const fn = node.childForFieldName('function');
      const obj = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
      if (obj?.type === 'call' && /^(sql\.)?SQL$/.test(obj.childForFieldName('function')?.text ?? '')) {
        const arg = obj.childForFieldName('arguments')?.namedChildren[0];
        return fn?.childForFieldName('attribute')?.text === 'format' && !!arg && readPython(arg, b, { ...ctx, params: [] }, PSYCOPG_SQL);
      }
      return fn?.childForFieldName('attribute')?.text === 'format' && obj !== null && readPython(obj, b, ctx, braceFormatFor(ctx.params));
    }
    default:
      return false;
  }
}

function readGo(node: Node, b: SqlBuilder, ctx: ReadContext, format?: Specials): boolean {
  switch (node.type) {
    case 'interpreted_string_literal':
      literal(b, ctx, node.text.slice(1, -1), node.startIndex + 1, { quote: '"', prefix: '', hashes: 0, escape: 'go' }, format);
      return true;
    case 'raw_string_literal':
      literal(b, ctx, node.text.slice(1, -1), node.startIndex + 1, { quote: '`', prefix: '', hashes: 0, escape: 'raw' }, format);
      return true;
    case 'binary_expression':
      return node.childForFieldName('operator')?.type === '+' && readConcat(node.childForFieldName('left'), node.childForFieldName('right'), b, ctx);
    case 'parenthesized_expression':
      return node.namedChildren.length === 1 && readGo(node.namedChildren[0]!, b, ctx, format);
    case 'call_expression': {
      // fmt.Sprintf("… %s …", …)
      const fn = node.childForFieldName('function');
      const first = node.childForFieldName('arguments')?.namedChildren[0];
      return fn?.text === 'fmt.Sprintf' && !!first && readGo(first, b, ctx, GO_FORMAT);
    }
    default:
      return false;
  }
}

function readRust(node: Node, b: SqlBuilder, ctx: ReadContext, format?: Specials): boolean {
  switch (node.type) {
    case 'string_literal': {
      const open = node.text.indexOf('"');
      literal(
        b,
        ctx,
        node.text.slice(open + 1, -1),
        node.startIndex + open + 1,
        { quote: '"', prefix: node.text.slice(0, open).toLowerCase(), hashes: 0, escape: 'rust' },
        format,
      );
      return true;
    }
    case 'raw_string_literal': {
      const open = node.text.indexOf('"');
      const hashes = open - node.text.indexOf('r') - 1;
      const prefix = node.text.slice(0, node.text.indexOf('r') + 1).toLowerCase();
      literal(
        b,
        ctx,
        node.text.slice(open + 1, node.text.length - 1 - hashes),
        node.startIndex + open + 1,
        { quote: '"', prefix, hashes, escape: 'raw' },
        format,
      );
      return true;
    }
    case 'reference_expression':
    case 'parenthesized_expression': {
      const inner = node.childForFieldName('value') ?? node.namedChildren[0];
      return !!inner && readRust(inner, b, ctx, format);
    }
    case 'macro_invocation': {
      const name = node.childForFieldName('macro')?.text;
      const first = macroString(node);
      if (name === 'format' || name === 'std::format') return !!first && readRust(first, b, ctx, BRACE_FORMAT);
      if (name === 'concat') {
        const parts = node.namedChildren.find((c) => c?.type === 'token_tree')?.namedChildren ?? [];
        return parts.length > 0 && parts.every((c) => c !== null && readRust(c, b, ctx));
      }
      return false;
    }
    default:
      return false;
  }
}

/** The first string literal among a macro's tokens: the SQL of `query!("…", …)`, the format of `format!`. */
export function macroString(node: Node): Node | undefined {
  const tree = node.namedChildren.find((c) => c?.type === 'token_tree');
  return tree?.namedChildren.find((c) => c?.type === 'string_literal' || c?.type === 'raw_string_literal') ?? undefined;
}

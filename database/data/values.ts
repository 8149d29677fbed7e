/**
 * Values for one column, as PostgreSQL's text input reads them: the column's type resolved through domains and
 * arrays, the simple CHECKs on it (ranges, IN lists, lengths) folded into bounds, and plausible shapes chosen by
 * the column's name (an email looks like one, a status has a handful of values, a description is a sentence).
 */
import { mulberry32, toVectorText } from '../bench/vectors';
import type { Column, TypeInfo } from './catalog';

export type Rand = () => number;

export type BaseType =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'numeric'; scale: number; maxAbs: number }
  | { kind: 'float' }
  | { kind: 'bool' }
  | { kind: 'text'; maxLen: number | undefined; fixed: boolean }
  | { kind: 'uuid' }
  | { kind: 'date' }
  | { kind: 'timestamp'; tz: boolean }
  | { kind: 'time' }
  | { kind: 'interval' }
  | { kind: 'json' }
  | { kind: 'bytea' }
  | { kind: 'inet' }
  | { kind: 'cidr' }
  | { kind: 'macaddr' }
  | { kind: 'vector'; dims: number }
  | { kind: 'tsvector' }
  | { kind: 'enum'; labels: string[] }
  | { kind: 'array'; elem: BaseType }
  | { kind: 'unsupported'; name: string };

export interface ResolvedType {
  base: BaseType;
  /** A domain's NOT NULL. */
  notNull: boolean;
  /** The domains' CHECKs, with VALUE standing for the column. */
  checks: string[];
}

const INT_RANGE: Record<string, [number, number]> = {
  int2: [-32768, 32767],
  int4: [-2147483648, 2147483647],
  int8: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** A column's type: domains followed to their base (collecting their CHECKs), arrays to their element. */
export function resolveType(oid: number, typmod: number, types: Map<number, TypeInfo>): ResolvedType {
  const checks: string[] = [];
  let notNull = false;
  let t = types.get(oid);
  let mod = typmod;
  for (let depth = 0; t && t.kind === 'd' && depth < 32; depth++) {
    checks.push(...t.checks);
    notNull ||= t.notNull;
    if (mod < 0) mod = t.baseTypmod;
    t = types.get(t.base);
  }
  return { base: t ? baseOf(t, mod, types) : { kind: 'unsupported', name: `type ${oid}` }, notNull, checks };
}

function baseOf(t: TypeInfo, typmod: number, types: Map<number, TypeInfo>): BaseType {
  if (t.kind === 'e') return { kind: 'enum', labels: t.labels };
  if (t.category === 'A' && t.elem !== 0) {
    const elem = resolveType(t.elem, typmod, types);
    return elem.base.kind === 'unsupported' || elem.base.kind === 'array' ? elem.base : { kind: 'array', elem: elem.base };
  }
  if (INT_RANGE[t.name] && t.schema === 'pg_catalog') {
    const [min, max] = INT_RANGE[t.name]!;
    return { kind: 'int', min, max };
  }
  switch (t.name) {
    case 'numeric': {
      if (typmod < 4) return { kind: 'numeric', scale: 2, maxAbs: 1e12 };
      const p = ((typmod - 4) >> 16) & 0xffff;
      const s = (typmod - 4) & 0xffff;
      return { kind: 'numeric', scale: s, maxAbs: 10 ** (p - s) - 10 ** -s };
    }
    case 'float4':
    case 'float8':
      return { kind: 'float' };
    case 'money':
      return { kind: 'numeric', scale: 2, maxAbs: 1e9 };
    case 'bool':
      return { kind: 'bool' };
    case 'text':
    case 'citext':
    case 'name':
      return { kind: 'text', maxLen: t.name === 'name' ? 63 : undefined, fixed: false };
    case 'varchar':
    case 'bpchar':
      return { kind: 'text', maxLen: typmod >= 4 ? typmod - 4 : t.name === 'bpchar' ? 1 : undefined, fixed: t.name === 'bpchar' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
    case 'timestamptz':
      return { kind: 'timestamp', tz: t.name === 'timestamptz' };
    case 'time':
    case 'timetz':
      return { kind: 'time' };
    case 'interval':
      return { kind: 'interval' };
    case 'json':
    case 'jsonb':
      return { kind: 'json' };
    case 'bytea':
      return { kind: 'bytea' };
    case 'inet':
      return { kind: 'inet' };
    case 'cidr':
      return { kind: 'cidr' };
    case 'macaddr':
    case 'macaddr8':
      return { kind: 'macaddr' };
    case 'vector':
    case 'halfvec':
      return typmod > 0 ? { kind: 'vector', dims: typmod } : { kind: 'unsupported', name: `${t.name} without a dimension` };
    case 'tsvector':
      return { kind: 'tsvector' };
    default:
      return { kind: 'unsupported', name: t.name };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CHECK constraints

/** What the simple CHECKs allow a column: bounds (literals as PostgreSQL printed them), an IN list, lengths. */
export interface Bounds {
  min?: { value: string; inclusive: boolean };
  max?: { value: string; inclusive: boolean };
  values?: string[];
  minLen?: number;
  maxLen?: number;
  notNull?: boolean;
  /** Other columns this one must be greater than (`CHECK (ends_at > starts_at)`). */
  after?: string[];
}

export interface ParsedCheck {
  /** Per column (or VALUE in a domain's CHECK). */
  bounds: Map<string, Bounds>;
  /** The parts of the CHECK that are no range, list or length pgperf knows how to satisfy. */
  unparsed: string[];
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const LIT = String.raw`('(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)`;
const OP = String.raw`(>=|<=|<>|!=|>|<|=)`;
const FLIP: Record<string, string> = { '>': '<', '<': '>', '>=': '<=', '<=': '>=', '=': '=', '<>': '<>', '!=': '!=' };

function unquoteIdent(s: string): string {
  return s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
}

function unquoteLit(s: string): string {
  return s.startsWith("'") ? s.slice(1, -1).replace(/''/g, "'") : s;
}

/** Casts dropped and parentheses around a single name or literal removed: `((price)::numeric > (0)::numeric)` → `price > 0`. */
function normalise(expr: string): string {
  let s = expr.replace(/::(?:"[^"]+"|[A-Za-z_][\w.]*)(?: (?:varying|precision|without time zone|with time zone))*(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*/g, '');
  const atom = new RegExp(String.raw`\((${IDENT}|${LIT}|ARRAY\[[^\]]*\])\)`, 'g');
  for (let prev = ''; prev !== s;) {
    prev = s;
    s = s.replace(atom, '$1');
  }
  return s.trim();
}

function stripOuter(s: string): string {
  let t = s.trim();
  while (t.startsWith('(') && closingOf(t, 0) === t.length - 1) t = t.slice(1, -1).trim();
  return t;
}

function closingOf(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = s[i + 1] === quote ? (i++, quote) : '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Top-level AND conjuncts. */
function conjuncts(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = s[i + 1] === quote ? (i++, quote) : '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && s.startsWith(' AND ', i)) {
      out.push(s.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  out.push(s.slice(start));
  return out.map(stripOuter);
}

/** `CHECK (...)` as pg_get_constraintdef prints it, read into per-column bounds and what is left over. */
export function parseCheck(definition: string): ParsedCheck {
  const m = /^CHECK \((.*)\)(?: NOT VALID)?$/s.exec(definition.trim());
  const bounds = new Map<string, Bounds>();
  const unparsed: string[] = [];
  if (!m) return { bounds, unparsed: [definition] };
  const get = (col: string): Bounds => {
    let b = bounds.get(col);
    if (!b) bounds.set(col, (b = {}));
    return b;
  };
  const cmp = new RegExp(String.raw`^${IDENT} ${OP} ${LIT}$`);
  const cmpRev = new RegExp(String.raw`^${LIT} ${OP} ${IDENT}$`);
  const anyOf = new RegExp(String.raw`^${IDENT} = ANY \(?ARRAY\[(.*)\]\)?$`, 's');
  const len = new RegExp(String.raw`^(?:char_length|length|character_length)\(${IDENT}\) ${OP} (\d+)$`);
  const notNull = new RegExp(String.raw`^${IDENT} IS NOT NULL$`);
  const order = new RegExp(String.raw`^${IDENT} (>=|>|<=|<) ${IDENT}$`);
  for (const part of conjuncts(stripOuter(m[1]!))) {
    const p = normalise(part);
    let r: RegExpExecArray | null;
    if ((r = cmp.exec(p)) || (r = cmpRev.exec(p))) {
      const rev = !r[1]!.startsWith('"') && /^['\d-]/.test(r[1]!);
      const col = unquoteIdent(rev ? r[3]! : r[1]!);
      const op = rev ? FLIP[r[2]!]! : r[2]!;
      const value = unquoteLit(rev ? r[1]! : r[3]!);
      const b = get(col);
      if (op === '>' || op === '>=') b.min = { value, inclusive: op === '>=' };
      else if (op === '<' || op === '<=') b.max = { value, inclusive: op === '<=' };
      else if (op === '=') b.values = [value];
      else unparsed.push(part);
    } else if ((r = anyOf.exec(p))) {
      const items = [...r[2]!.matchAll(new RegExp(LIT, 'g'))].map((x) => unquoteLit(x[1]!));
      if (items.length) get(unquoteIdent(r[1]!)).values = items;
      else unparsed.push(part);
    } else if ((r = len.exec(p))) {
      const b = get(unquoteIdent(r[1]!));
      const n = Number(r[3]);
      const op = r[2]!;
      if (op === '>') b.minLen = n + 1;
      else if (op === '>=') b.minLen = n;
      else if (op === '<') b.maxLen = n - 1;
      else if (op === '<=') b.maxLen = n;
      else if (op === '=') b.minLen = b.maxLen = n;
      else unparsed.push(part);
    } else if ((r = notNull.exec(p))) {
      get(unquoteIdent(r[1]!)).notNull = true;
    } else if ((r = order.exec(p))) {
      const [a, op, c] = [unquoteIdent(r[1]!), r[2]!, unquoteIdent(r[3]!)];
      const [later, earlier] = op.startsWith('>') ? [a, c] : [c, a];
      (get(later).after ??= []).push(earlier);
    } else {
      unparsed.push(part);
    }
  }
  return { bounds, unparsed };
}

/** Two sets of bounds on one column, both holding (CHECKs are ANDed). */
export function mergeBounds(a: Bounds, b: Bounds): Bounds {
  const out: Bounds = { ...a };
  if (b.min) out.min = b.min;
  if (b.max) out.max = b.max;
  if (b.values) out.values = out.values ? out.values.filter((v) => b.values!.includes(v)) : b.values;
  if (b.minLen !== undefined) out.minLen = Math.max(out.minLen ?? 0, b.minLen);
  if (b.maxLen !== undefined) out.maxLen = Math.min(out.maxLen ?? Infinity, b.maxLen);
  if (b.notNull) out.notNull = true;
  if (b.after) out.after = [...(out.after ?? []), ...b.after];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** The time span timestamps are spread over (ms since the epoch, end exclusive). */
export interface Window {
  start: number;
  end: number;
}

/**
 * One column's values. `next` draws a value for a row; `at(i)`, when present, gives a value that differs for
 * every i (for primary keys and unique columns); `finite`, when present, is the column's whole set of values (an
 * enum, a boolean, an IN list, a small range), for unique constraints over such columns.
 */
export interface Generator {
  next(rand: Rand, row: number): string | null;
  at?(i: number): string;
  /** How many distinct values `at` can give (Infinity when unbounded). */
  capacity: number;
  finite?: string[];
}

export interface ColumnContext {
  column: Column;
  type: BaseType;
  bounds: Bounds;
  /** The column may be NULL (neither it nor its domain is NOT NULL, no CHECK says IS NOT NULL). */
  nullable: boolean;
  window: Window;
  /** A seed for this column alone (vector centres, unique keys). */
  seed: number;
}

const WORDS = (
  'alpha amber anchor apple arrow atlas aurora autumn badge basin beacon birch blaze bloom bolt breeze bridge brook ' +
  'canyon cedar chart cipher cliff cloud comet coral crane crest crystal dawn delta desert drift dune eagle echo ' +
  'ember falcon fern field flame flint forest fox frost garden glacier grove harbor hawk hazel horizon island ivory ' +
  'jade jasper juniper lagoon lake lantern lark laurel lemon linen lotus lunar maple marble meadow mesa mint mist ' +
  'moss nebula north oak ocean olive onyx orbit orchid otter pebble pine planet plum prairie quartz rain raven reef ' +
  'ridge river robin rose ruby sage sand sierra silver sky slate snow solar spark spruce star stone storm summit ' +
  'sun swift thistle thunder tide timber topaz trail tulip valley vapor velvet violet willow wind winter wolf zephyr'
).split(' ');

const VOCAB: Record<string, string[]> = {
  status: ['active', 'pending', 'completed', 'cancelled', 'failed', 'archived'],
  state: ['open', 'in_progress', 'closed', 'blocked'],
  role: ['member', 'admin', 'viewer', 'owner', 'guest'],
  priority: ['normal', 'high', 'low', 'urgent'],
  level: ['info', 'warning', 'error', 'debug'],
  plan: ['free', 'pro', 'team', 'enterprise'],
  tier: ['free', 'pro', 'team', 'enterprise'],
  currency: ['USD', 'EUR', 'GBP', 'JPY', 'CAD'],
  country: ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'JP', 'CA'],
  locale: ['en-US', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR'],
  language: ['en', 'de', 'fr', 'ja', 'pt', 'es'],
  lang: ['en', 'de', 'fr', 'ja', 'pt', 'es'],
  channel: ['web', 'email', 'mobile', 'api'],
  source: ['web', 'import', 'api', 'mobile'],
  method: ['GET', 'POST', 'PUT', 'DELETE'],
  provider: ['github', 'google', 'okta', 'email'],
  visibility: ['private', 'internal', 'public'],
};
const LOW_CARDINALITY =
  /(^|_)(status|state|type|kind|category|role|level|priority|plan|tier|channel|source|method|currency|country|locale|lang|language|region|provider|mode|format|stage|visibility|severity|gender)$/;

/** A skewed pick among n (weights 1, 1/2, 1/3, …): a handful of common values and a tail. */
function skewedIndex(rand: Rand, n: number): number {
  let h = 0;
  for (let k = 1; k <= n; k++) h += 1 / k;
  let x = rand() * h;
  for (let k = 0; k < n; k++) {
    x -= 1 / (k + 1);
    if (x <= 0) return k;
  }
  return n - 1;
}

function words(rand: Rand, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  return out.join(' ');
}

function capital(s: string): string {
  return s.replace(/\b\w/g, (c) => c.toUpperCase());
}

function hex(rand: Rand, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(rand() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** A random-looking version-4 UUID whose last 48 bits are `i`: distinct for every i, yet not in insertion order. */
export function uuidAt(seed: number, i: number): string {
  const r = mulberry32((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const h = hex(r, 8);
  const tail = i.toString(16).padStart(12, '0').slice(-12);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${(8 + Math.floor(r() * 4)).toString(16)}${h.slice(1, 4)}-${tail}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatTimestamp(ms: number, type: BaseType): string {
  const iso = new Date(ms).toISOString();
  if (type.kind === 'date') return iso.slice(0, 10);
  if (type.kind === 'timestamp' && !type.tz) return iso.slice(0, 23).replace('T', ' ');
  return iso;
}

/** A timestamp or date literal PostgreSQL printed (`2025-01-01 00:00:00+00`, `2025-01-01`) in ms; NaN when it is none. */
export function parseTimestamp(text: string): number {
  let t = text.trim().replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) t += 'T00:00:00Z';
  else if (/[+-]\d{2}$/.test(t)) t += ':00';
  else if (!/(Z|[+-]\d{2}:\d{2})$/.test(t)) t += 'Z';
  return Date.parse(t);
}

function numBound(b: { value: string; inclusive: boolean } | undefined, integer: boolean, side: 'min' | 'max', step: number): number | undefined {
  if (!b) return undefined;
  const v = Number(b.value);
  if (!Number.isFinite(v)) return undefined;
  if (integer) return side === 'min' ? (b.inclusive ? Math.ceil(v) : Math.floor(v) + 1) : b.inclusive ? Math.floor(v) : Math.ceil(v) - 1;
  return b.inclusive ? v : side === 'min' ? v + step : v - step;
}

/** The default range of an integer column, by what its name says it counts. */
function intRange(name: string): [number, number] {
  if (/rating|stars/.test(name)) return [1, 5];
  if (/(^|_)(year)$/.test(name)) return [1990, 2030];
  if (/bytes|size/.test(name)) return [1, 1_000_000_000];
  if (/count|qty|quantity|attempt|retries|position|rank|order|version|age|score|number|num$|seq/.test(name)) return [0, 100];
  if (/percent|pct/.test(name)) return [0, 100];
  return [1, 1_000_000];
}

/** A value generator for one column. Throws with the reason when the column's type or CHECKs cannot be met. */
export function generatorFor(ctx: ColumnContext): Generator {
  const g = baseGenerator(ctx.type, ctx);
  const nullRate = !ctx.nullable
    ? 0
    : /(deleted|archived|cancell?ed|revoked|ended|completed|closed|expired|finished|resolved)_(at|on)$/.test(ctx.column.name)
      ? 0.8
      : 0.1;
  if (nullRate === 0) return g;
  return {
    ...g,
    next: (rand, row) => (rand() < nullRate ? null : g.next(rand, row)),
  };
}

function fromList(values: string[]): Generator {
  return {
    next: (rand) => values[skewedIndex(rand, values.length)]!,
    at: (i) => values[i]!,
    capacity: values.length,
    finite: values,
  };
}

function baseGenerator(type: BaseType, ctx: ColumnContext): Generator {
  const name = ctx.column.name.toLowerCase();
  const b = ctx.bounds;
  if (b.values && type.kind !== 'array') {
    if (b.values.length === 0) throw new Error(`the CHECKs on column ${ctx.column.name} allow no value`);
    return fromList(b.values);
  }
  switch (type.kind) {
    case 'int': {
      const [dlo, dhi] = intRange(name);
      const lo = Math.max(type.min, numBound(b.min, true, 'min', 1) ?? Math.max(type.min, dlo));
      const hi = Math.min(type.max, numBound(b.max, true, 'max', 1) ?? Math.min(type.max, Math.max(dhi, lo + 100)));
      if (lo > hi) throw new Error(`the CHECKs on column ${ctx.column.name} leave no integer between ${lo} and ${hi}`);
      const span = hi - lo + 1;
      const logScale = /bytes|size/.test(name) && lo >= 1;
      const injLo = numBound(b.min, true, 'min', 1) ?? Math.max(type.min, 1);
      const injHi = Math.min(type.max, numBound(b.max, true, 'max', 1) ?? type.max);
      const g: Generator = {
        next: (rand) => String(logScale ? Math.min(hi, Math.floor(lo * Math.pow(hi / lo, rand()))) : lo + Math.floor(rand() * span)),
        at: (i) => String(injLo + i),
        capacity: Math.max(0, injHi - injLo + 1),
      };
      if (span <= 1000 && (b.min || b.max)) g.finite = Array.from({ length: span }, (_, k) => String(lo + k));
      return g;
    }
    case 'numeric': {
      const step = 10 ** -type.scale;
      const lo = Math.max(-type.maxAbs, numBound(b.min, false, 'min', step) ?? 0);
      const hi = Math.min(type.maxAbs, numBound(b.max, false, 'max', step) ?? Math.min(type.maxAbs, Math.max(10_000, lo + 100)));
      if (lo > hi) throw new Error(`the CHECKs on column ${ctx.column.name} leave no number between ${lo} and ${hi}`);
      const fix = (v: number) => Math.min(hi, Math.max(lo, v)).toFixed(type.scale);
      return {
        next: (rand) => fix(lo + rand() * (hi - lo)),
        at: (i) => (Math.ceil(lo / step) * step + i * step).toFixed(type.scale),
        capacity: Math.floor((hi - lo) / step) + 1,
      };
    }
    case 'float': {
      const lo = numBound(b.min, false, 'min', 1e-6) ?? 0;
      const hi = numBound(b.max, false, 'max', 1e-6) ?? Math.max(1000, lo + 1000);
      if (lo > hi) throw new Error(`the CHECKs on column ${ctx.column.name} leave no number between ${lo} and ${hi}`);
      return { next: (rand) => String(Number((lo + rand() * (hi - lo)).toPrecision(8))), at: (i) => String(lo + i), capacity: Infinity };
    }
    case 'bool':
      return { next: (rand) => (rand() < 0.7 ? 't' : 'f'), at: (i) => (i === 0 ? 't' : 'f'), capacity: 2, finite: ['t', 'f'] };
    case 'enum':
      if (type.labels.length === 0) throw new Error(`column ${ctx.column.name}'s enum has no labels`);
      return fromList(type.labels);
    case 'text':
      return textGenerator(type, ctx);
    case 'uuid':
      return { next: (rand) => uuidAt(Math.floor(rand() * 2 ** 32), Math.floor(rand() * 2 ** 32)), at: (i) => uuidAt(ctx.seed, i), capacity: Infinity };
    case 'date':
    case 'timestamp': {
      let { start, end } = ctx.window;
      const lo = b.min ? parseTimestamp(b.min.value) : NaN;
      const hi = b.max ? parseTimestamp(b.max.value) : NaN;
      if (Number.isFinite(lo)) start = Math.max(start, lo + (b.min!.inclusive ? 0 : 86_400_000));
      if (Number.isFinite(hi)) end = Math.min(end, hi - (b.max!.inclusive ? 0 : 86_400_000));
      if (start >= end) {
        if (Number.isFinite(lo) && Number.isFinite(hi)) throw new Error(`the CHECKs on column ${ctx.column.name} leave no time in range`);
        if (Number.isFinite(lo)) end = start + 365 * 86_400_000;
        else start = end - 365 * 86_400_000;
      }
      const unit = type.kind === 'date' ? 86_400_000 : 1;
      return {
        next: (rand) => formatTimestamp(start + Math.floor(rand() * (end - start)), type),
        at: (i) => formatTimestamp(start + i * unit, type),
        capacity: Math.floor((end - start) / unit) * (type.kind === 'date' ? 1 : 1000),
      };
    }
    case 'time':
      return {
        next: (rand) => `${pad2(Math.floor(rand() * 24))}:${pad2(Math.floor(rand() * 60))}:${pad2(Math.floor(rand() * 60))}`,
        at: (i) => `${pad2(Math.floor(i / 3600) % 24)}:${pad2(Math.floor(i / 60) % 60)}:${pad2(i % 60)}`,
        capacity: 86_400,
      };
    case 'interval':
      return { next: (rand) => `${1 + Math.floor(rand() * 10_000)} minutes`, at: (i) => `${i + 1} seconds`, capacity: Infinity };
    case 'json':
      return { next: (rand) => jsonValue(rand, name), at: (i) => `{"n": ${i}}`, capacity: Infinity };
    case 'bytea':
      return { next: (rand) => `\\x${hex(rand, 8 + Math.floor(rand() * 24))}`, at: (i) => `\\x${i.toString(16).padStart(16, '0')}`, capacity: Infinity };
    case 'inet':
    case 'cidr': {
      const ip = (i: number) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${type.kind === 'cidr' ? '0/24' : i & 255}`;
      return {
        next: (rand) => ip(Math.floor(rand() * 2 ** 24)),
        at: (i) => ip(type.kind === 'cidr' ? i << 8 : i),
        capacity: type.kind === 'cidr' ? 2 ** 16 : 2 ** 24,
      };
    }
    case 'macaddr': {
      const mac = (h: string) => h.match(/../g)!.join(':');
      return { next: (rand) => mac(hex(rand, 6)), at: (i) => mac(i.toString(16).padStart(12, '0').slice(-12)), capacity: 2 ** 48 };
    }
    case 'tsvector':
      return { next: (rand) => words(rand, 3 + Math.floor(rand() * 12)), at: (i) => `w${i}`, capacity: Infinity };
    case 'vector':
      return vectorGenerator(type.dims, ctx.seed);
    case 'array': {
      const elem = baseGenerator(type.elem, { ...ctx, bounds: {} });
      return {
        next: (rand, row) => {
          const n = Math.floor(rand() * 5);
          const parts: string[] = [];
          for (let k = 0; k < n; k++) parts.push(arrayElement(elem.next(rand, row) ?? ''));
          return `{${parts.join(',')}}`;
        },
        ...(elem.at ? { at: (i: number) => `{${arrayElement(elem.at!(i))}}` } : {}),
        capacity: elem.capacity,
      };
    }
    case 'unsupported':
      throw new Error(`column ${ctx.column.name} has type ${ctx.column.typeText}, which pgperf cannot generate values for`);
  }
}

function arrayElement(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function textGenerator(type: Extract<BaseType, { kind: 'text' }>, ctx: ColumnContext): Generator {
  const name = ctx.column.name.toLowerCase();
  const maxLen = Math.min(type.maxLen ?? Infinity, ctx.bounds.maxLen ?? Infinity);
  const minLen = ctx.bounds.minLen ?? (type.fixed ? 0 : 1);
  if (minLen > maxLen) throw new Error(`the CHECKs on column ${ctx.column.name} need a length from ${minLen} to ${maxLen}`);
  const fit = (s: string): string => {
    let t = s.length > maxLen ? s.slice(0, maxLen) : s;
    while (t.length < minLen) t += 'x';
    return t;
  };
  let draw: (rand: Rand) => string;
  let unique: (i: number) => string = (i) => `${name.replace(/[^a-z0-9]+/g, '_')}-${i}`;
  const last = name.split('_').pop() ?? name;
  if (/email/.test(name)) {
    draw = (rand) => `${words(rand, 1)}.${words(rand, 1)}${Math.floor(rand() * 1000)}@example.com`;
    unique = (i) => `user${i}@example.com`;
  } else if (/(^|_)(url|link|href|website|homepage)$/.test(name)) {
    draw = (rand) => `https://example.com/${words(rand, 2).replace(' ', '/')}/${Math.floor(rand() * 10_000)}`;
    unique = (i) => `https://example.com/r/${i}`;
  } else if (/(^|_)(phone|mobile|fax)/.test(name)) {
    draw = (rand) => `+1-555-${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`;
    unique = (i) => `+1-555-${String(i).padStart(7, '0')}`;
  } else if (LOW_CARDINALITY.test(name)) {
    const vocab = VOCAB[last] ?? Array.from({ length: 6 }, (_, k) => `${last}_${k + 1}`);
    draw = (rand) => vocab[skewedIndex(rand, vocab.length)]!;
  } else if (/(^|_)(slug|handle|username|login)$/.test(name)) {
    draw = (rand) => words(rand, 2).replace(' ', '-');
    unique = (i) => `${WORDS[i % WORDS.length]}-${i}`;
  } else if (/(^|_)(name|title|label|subject|headline)$/.test(name)) {
    draw = (rand) => capital(words(rand, 1 + Math.floor(rand() * 3)));
    unique = (i) => `${capital(WORDS[i % WORDS.length]!)} ${i}`;
  } else if (/description|body|content|text|comment|message|note|summary|bio|details|reason/.test(name)) {
    draw = (rand) => {
      const s = words(rand, 8 + Math.floor(rand() * 50));
      return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
    };
  } else if (/(hash|token|sha|digest|secret|checksum|fingerprint)$/.test(name)) {
    draw = (rand) => hex(rand, 16 + Math.floor(rand() * 16));
    unique = (i) => i.toString(16).padStart(32, '0');
  } else if (/(^|_)ip(_address)?$/.test(name)) {
    draw = (rand) => `10.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
  } else {
    draw = (rand) => words(rand, 1 + Math.floor(rand() * 3));
  }
  return {
    next: (rand) => fit(draw(rand)),
    at: (i) => {
      const u = unique(i);
      if (u.length <= maxLen) return fit(u);
      return fit(i.toString(36));
    },
    capacity: maxLen === Infinity ? Infinity : Math.min(Number.MAX_SAFE_INTEGER, 36 ** maxLen),
  };
}

function jsonValue(rand: Rand, name: string): string {
  const parts: string[] = [];
  const keys = ['source', 'version', 'tags', 'score', 'enabled', 'ref'];
  const n = 1 + Math.floor(rand() * keys.length);
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    if (key === 'source') parts.push(`"source": "${VOCAB.source![skewedIndex(rand, 4)]}"`);
    else if (key === 'version') parts.push(`"version": ${1 + Math.floor(rand() * 5)}`);
    else if (key === 'tags')
      parts.push(
        `"tags": [${words(rand, Math.floor(rand() * 3))
          .split(' ')
          .filter(Boolean)
          .map((w) => `"${w}"`)
          .join(', ')}]`,
      );
    else if (key === 'score') parts.push(`"score": ${Number(rand().toPrecision(4))}`);
    else if (key === 'enabled') parts.push(`"enabled": ${rand() < 0.5}`);
    else parts.push(`"ref": ${JSON.stringify(`${name}-${Math.floor(rand() * 100_000)}`)}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * Unit vectors around a few centres (clustered, as embeddings are, and normalised, as cosine-distance embeddings
 * usually are), one at a time so that 100,000 × 3,072 never sits in memory.
 */
function vectorGenerator(dims: number, seed: number): Generator {
  const setup = mulberry32(seed);
  const gauss = (rand: Rand): number => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const centres: Float64Array[] = [];
  for (let c = 0; c < 16; c++) {
    const v = new Float64Array(dims);
    for (let j = 0; j < dims; j++) v[j] = gauss(setup);
    centres.push(v);
  }
  const spread = 0.6;
  const v = new Float64Array(dims);
  const make = (rand: Rand): string => {
    const c = centres[Math.floor(rand() * centres.length)]!;
    let norm = 0;
    for (let j = 0; j < dims; j++) {
      const x = c[j]! + spread * gauss(rand);
      v[j] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dims; j++) v[j] = v[j]! / norm;
    return toVectorText(v);
  };
  return { next: (rand) => make(rand), at: (i) => make(mulberry32((seed + i) >>> 0)), capacity: Infinity };
}

/** One value in COPY's text format. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

/**
 * What-if cases from lint findings, without a connection: for each finding of an index rule, the CREATE INDEX its
 * fix suggests and a query that index serves. missing-index and covering-index: the finding's own statement;
 * fk-without-index: the lookup PostgreSQL's foreign key check runs on the referencing table for every parent row
 * deleted (`SELECT 1 FROM child WHERE fk = $1`); tenant-index-order and split-tenant-indexes: the query row-level
 * security makes of the application's own condition (`WHERE tenant_id = $1 AND col = $2`, the index's first two
 * columns once fixed). A finding without a fix, a fix that is not a CREATE INDEX (a reordered PRIMARY KEY), an
 * index with a predicate or an expression where a column is needed: skipped with the reason, never guessed.
 *
 * Every name that goes into a query built here is read from the parse tree and quoted; the CREATE INDEX text is
 * checked to be exactly one CREATE INDEX statement. The parser is the caller's (the analysis's parseSql, loaded):
 * the database side below its entry does not import the analysis core, and a test passes the same one.
 */
import { quoteIdent } from '../connection/quote';

/** The real parser's answer (the analysis's parseSql / parseSqlForExplain have this shape). */
export type ParseSql = (sql: string) => { ok: true; stmts: { stmt: unknown }[] } | { ok: false; message: string };

/** A lint finding as the derivation reads it (the analysis's Finding has this shape). */
export interface WhatIfFinding {
  ruleId: string;
  messageId: string;
  message: string;
  file: string;
  start: number;
  end: number;
  range: { start: { line: number; character: number } };
  fix?: { title: string; edits: { start: number; end: number; newText: string }[] };
}

/** The rules whose fix is an index to build, and so a what-if case. */
const WHATIF_RULES = ['missing-index', 'covering-index', 'fk-without-index', 'tenant-index-order', 'split-tenant-indexes'] as const;

/** A linted file as the derivation reads it (the analysis's ParsedFile has this shape). */
export interface WhatIfSourceFile {
  path: string;
  /** The SQL text the findings' offsets point into. */
  text: string;
  /** Set for a host file (TypeScript, Go, …), whose findings are placed in the host text: not derived from. */
  host?: unknown;
  statements: readonly { start: number; end: number }[];
}

export interface WhatIfCase {
  finding: WhatIfFinding;
  /** 1-based line of the finding. */
  line: number;
  /** The CREATE INDEX statement the fix suggests (exactly one statement, checked). */
  index: string;
  /** A query the index serves, possibly with `$n` parameters. */
  query: string;
}

export interface WhatIfSkip {
  finding: WhatIfFinding;
  line: number;
  reason: string;
}

export interface WhatIfCases {
  cases: WhatIfCase[];
  skipped: WhatIfSkip[];
}

interface ParsedIndex {
  /** The table, schema-qualified when the statement qualifies it, every part quoted. */
  table: string;
  /** The plain column of each key element (undefined for an expression). */
  columns: (string | undefined)[];
  partial: boolean;
}

type Node = Record<string, unknown>;

const obj = (v: unknown): Node | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);

/** The one statement of `sql` as `[type, body]`, or a reason it is not exactly one statement. */
function oneStatement(parse: ParseSql, sql: string): { type: string; body: Node } | { error: string } {
  const r = parse(sql);
  if (!r.ok) return { error: `it does not parse: ${r.message}` };
  if (r.stmts.length !== 1) return { error: `it holds ${r.stmts.length} statements, not one` };
  const stmt = obj(r.stmts[0].stmt) ?? {};
  const type = Object.keys(stmt)[0];
  return type === undefined ? { error: 'it is empty' } : { type, body: obj(stmt[type]) ?? {} };
}

/** The CREATE INDEX statement's table and keys, or why it is not one. */
function parseIndex(parse: ParseSql, sql: string): ParsedIndex | { error: string } {
  const one = oneStatement(parse, sql);
  if ('error' in one) return one;
  if (one.type !== 'IndexStmt') return { error: `it is a ${one.type}, not a CREATE INDEX` };
  const rel = obj(one.body.relation);
  if (typeof rel?.relname !== 'string') return { error: 'it names no table' };
  const table = (typeof rel.schemaname === 'string' ? `${quoteIdent(rel.schemaname)}.` : '') + quoteIdent(rel.relname);
  const params = Array.isArray(one.body.indexParams) ? one.body.indexParams : [];
  const columns = params.map((p) => {
    const name = obj(obj(p)?.IndexElem)?.name;
    return typeof name === 'string' ? name : undefined;
  });
  return { table, columns, partial: one.body.whereClause !== undefined };
}

/** A query with `$n` per column: `SELECT 1 FROM t WHERE a = $1 AND b = $2` (names quoted). */
function lookup(table: string, columns: readonly string[]): string {
  return `SELECT 1 FROM ${table} WHERE ${columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(' AND ')}`;
}

/** Applies edits (file offsets) to the file's text between `start` and `end`; undefined when one lies outside. */
function patched(text: string, start: number, end: number, edits: readonly { start: number; end: number; newText: string }[]): string | undefined {
  if (edits.some((e) => e.start < start || e.end > end || e.start > e.end)) return undefined;
  let out = text.slice(start, end);
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start - start) + e.newText + out.slice(e.end - start);
  return out;
}

/** The statements a missing-index or covering-index query may be to be planned (EXPLAIN, never run). */
const QUERY_TYPES = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt']);

function derive(parse: ParseSql, file: WhatIfSourceFile, f: WhatIfFinding): { index: string; query: string } | { reason: string } {
  if (!f.fix) return { reason: 'the finding carries no fix (none in a transaction block or in host code), so no index to try' };
  const st = file.statements.find((s) => s.start <= f.start && f.start < s.end);
  if (!st) return { reason: 'the statement of the finding was not found' };
  const edits = f.fix.edits;
  let index: string;
  if (f.ruleId === 'tenant-index-order' || f.ruleId === 'split-tenant-indexes') {
    const fixed = patched(file.text, st.start, st.end, edits);
    if (fixed === undefined) return { reason: 'the fix edits text outside its statement' };
    index = fixed;
  } else {
    const e = edits[0];
    if (edits.length !== 1 || e.start !== st.end || e.end !== st.end || !e.newText.startsWith(';\n')) {
      return { reason: 'the fix is not a statement added after this one' };
    }
    index = e.newText.slice(2);
  }
  const parsed = parseIndex(parse, index);
  if ('error' in parsed) {
    const what = f.messageId === 'keyTenantNotFirst' ? ' (the fix reorders a PRIMARY KEY or UNIQUE constraint)' : '';
    return { reason: `the fix is no CREATE INDEX to try${what}: ${parsed.error}` };
  }
  if (f.ruleId === 'missing-index' || f.ruleId === 'covering-index') {
    const query = file.text.slice(st.start, st.end);
    const q = oneStatement(parse, query);
    if ('error' in q) return { reason: `the query cannot be planned: ${q.error}` };
    if (!QUERY_TYPES.has(q.type)) return { reason: `the statement is a ${q.type}, not a query to plan` };
    return { index, query };
  }
  if (parsed.partial) return { reason: 'the index is partial: which query it serves is not known' };
  if (f.ruleId === 'fk-without-index') {
    if (parsed.columns.length === 0 || parsed.columns.some((c) => c === undefined)) return { reason: 'the index keys are not all plain columns' };
    return { index, query: lookup(parsed.table, parsed.columns as string[]) };
  }
  const [tenant, column] = parsed.columns;
  if (tenant === undefined || column === undefined) return { reason: 'the fixed index does not start with two plain columns' };
  return { index, query: lookup(parsed.table, [tenant, column]) };
}

/** The what-if cases of the findings of `files` (the index rules' only), and the findings skipped with why. */
export function whatIfCases(files: readonly { file: WhatIfSourceFile; findings: readonly WhatIfFinding[] }[], parse: ParseSql): WhatIfCases {
  const out: WhatIfCases = { cases: [], skipped: [] };
  const rules: readonly string[] = WHATIF_RULES;
  for (const { file, findings } of files) {
    for (const finding of findings) {
      if (!rules.includes(finding.ruleId)) continue;
      const line = finding.range.start.line + 1;
      if (file.host) {
        out.skipped.push({ finding, line, reason: 'a finding in host code: its fix, if any, is placed in the host text' });
        continue;
      }
      const d = derive(parse, file, finding);
      if ('reason' in d) out.skipped.push({ finding, line, reason: d.reason });
      else out.cases.push({ finding, line, index: d.index, query: d.query });
    }
  }
  return out;
}

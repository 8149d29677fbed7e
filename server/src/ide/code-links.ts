/**
 * From the database back to the code: the workspace statements a pg_stat_statements entry came from (matched by
 * libpg_query's fingerprint, which ignores constants, parameter numbers, whitespace and case, as pg_stat_statements'
 * grouping does), with their findings; and the CREATE INDEX that made an index. Protocol-neutral: the language
 * server answers `pgperf/codeLinks` with these.
 */
import { fingerprintSql } from '../analysis/pg';
import type { ParsedFile, Statement } from '../analysis/parse';
import type { Finding, Range } from '../analysis/types';

export interface CodeLink {
  /** The file's path as the workspace names it. */
  path: string;
  range: Range;
  /** The statement's findings (rule, severity, message). */
  findings: Pick<Finding, 'ruleId' | 'severity' | 'message'>[];
}

export interface LinkedFile {
  file: ParsedFile;
  findings: readonly Finding[];
}

/** Fingerprints by statement text: a workspace's statements change little between two requests. */
const FINGERPRINTS = new Map<string, string | undefined>();
const MAX_CACHED = 50_000;

function fingerprintOf(text: string): string | undefined {
  if (FINGERPRINTS.has(text)) return FINGERPRINTS.get(text);
  const fp = fingerprintSql(text);
  if (FINGERPRINTS.size >= MAX_CACHED) FINGERPRINTS.clear();
  FINGERPRINTS.set(text, fp);
  return fp;
}

function link(f: LinkedFile, st: Statement): CodeLink {
  const span = f.file.toDocument(st.start, st.end);
  return {
    path: f.file.path,
    range: f.file.document.rangeOf(span.start, span.end),
    findings: f.findings
      .filter((x) => x.start >= span.start && x.start < Math.max(span.end, span.start + 1))
      .map(({ ruleId, severity, message }) => ({ ruleId, severity, message })),
  };
}

/**
 * For each query text (as pg_stat_statements shows it, `$n` for its constants), the workspace statements with the
 * same fingerprint; none for a text that does not parse (pg_stat_statements cuts long texts).
 */
export function queriesInCode(files: readonly LinkedFile[], queries: readonly string[]): CodeLink[][] {
  const wanted = queries.map((q) => fingerprintOf(q.trim().replace(/;\s*$/, '')));
  if (wanted.every((w) => w === undefined)) return queries.map(() => []);
  const byFingerprint = new Map<string, CodeLink[]>();
  const needed = new Set(wanted.filter((w): w is string => w !== undefined));
  for (const f of files) {
    for (const st of f.file.statements) {
      if (!st.hasAst || st.container) continue;
      const fp = fingerprintOf(st.text);
      if (fp === undefined || !needed.has(fp)) continue;
      const list = byFingerprint.get(fp) ?? [];
      list.push(link(f, st));
      byFingerprint.set(fp, list);
    }
  }
  return wanted.map((w) => (w === undefined ? [] : (byFingerprint.get(w) ?? [])));
}

/** PostgreSQL's folding of an unquoted name (the database reports names folded; a quoted one as written). */
const folded = (name: string) => name.toLowerCase();

/**
 * For each index (its schema when known, and name, as the database reports them), the last CREATE INDEX in the
 * workspace that names it (migrations in path order: a later one re-created it); undefined when none does.
 */
export function indexesInCode(files: readonly LinkedFile[], indexes: readonly { schema?: string; name: string }[]): (CodeLink | undefined)[] {
  const found = new Map<string, CodeLink>();
  for (const f of files) {
    for (const st of f.file.statements) {
      if (st.kind !== 'IndexStmt') continue;
      const name = st.body.idxname as string | undefined;
      if (!name) continue;
      const schema = st.body.relation?.schemaname as string | undefined;
      const l = link(f, st);
      found.set(name, l);
      if (schema) found.set(`${schema}.${name}`, l);
    }
  }
  return indexes.map((i) => (i.schema && found.get(`${i.schema}.${i.name}`)) || found.get(i.name) || found.get(folded(i.name)));
}

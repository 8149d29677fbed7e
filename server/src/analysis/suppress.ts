/**
 * Inline suppressions: `-- pgperf-ignore rule-id[, rule-id]: reason` on the lines before a statement or after
 * it on its last line, and `-- pgperf-ignore-file rule-id[, ...]` anywhere between statements. Inside a routine
 * body the same holds for its queries; a suppression of the CREATE FUNCTION / DO covers its queries too.
 */
import type { ParsedFile, Statement } from './parse';

export interface Suppression {
  rules: string[];
  reason: string;
  /** The comment's span in the file. */
  start: number;
  end: number;
  /** The statement index it covers, the statements of a host comment's code, or 'file'. */
  scope: number | readonly number[] | 'file';
  /** A host-language comment (`// pgperf-ignore …` in a .ts file): start/end are host-file offsets. */
  inDocument?: boolean;
}

const DIRECTIVE = /^--\s*pgperf-ignore(-file)?\b[ \t]*([^:\r\n]*)(?::[ \t]*([^\r\n]*))?/;
/** The same in a host comment, its comment markers stripped. */
const HOST_DIRECTIVE = /^pgperf-ignore(-file)?\b[ \t]*([^:\r\n]*)(?::[ \t]*([^\r\n]*))?/;

function ruleList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((r) => r.trim())
    .filter(Boolean);
}

/**
 * Line comments in `text[from, to)`. Between top-level statements only comments and `;` can be there; in a
 * routine body (`code`), between its queries, PL/pgSQL may hold string literals, which are skipped.
 */
function* lineComments(text: string, from: number, to: number, code: boolean): Generator<{ start: number; end: number }> {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      // A line comment ends at CR or LF (a CRLF or CR-only file's comment does not take in the CR).
      let e = i + 2;
      while (e < to && text.charCodeAt(e) !== 10 && text.charCodeAt(e) !== 13) e++;
      yield { start: i, end: e };
      i = e;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? to : e + 2;
    } else if (code && c === 39 /* ' */) {
      // A doubled quote inside the literal reads as its end followed by a new literal: the same span.
      const e = text.indexOf("'", i + 1);
      i = e < 0 ? to : e + 1;
    } else i++;
  }
}

/**
 * The stretches of text whose comments are directives, each with the statement before it (a comment on that
 * statement's last line covers it) and after it (otherwise covered). Top-level statements are separated by the
 * text between them; the queries inside a routine body (statements with `container`, listed right after it) by
 * the body text between one query and the next, from the routine's start before the first and up to its end
 * after the last.
 */
function* gaps(statements: readonly Statement[], textLength: number): Generator<{ from: number; to: number; prev?: Statement; next?: Statement }> {
  let prevTop: Statement | undefined;
  for (let i = 0; i < statements.length; i++) {
    const st = statements[i];
    const before = statements[i - 1];
    const container = st.container;
    if (container) {
      const prevInner = before?.container === container ? before : undefined;
      yield { from: prevInner ? prevInner.end : container.start, to: st.start, prev: prevInner, next: st };
      if (statements[i + 1]?.container !== container) yield { from: st.end, to: container.end, prev: st };
      continue;
    }
    yield { from: prevTop ? prevTop.end : 0, to: st.start, prev: prevTop, next: st };
    prevTop = st;
  }
  yield { from: prevTop ? prevTop.end : 0, to: textLength, prev: prevTop };
}

export function findSuppressions(file: ParsedFile): Suppression[] {
  const out: Suppression[] = file.host ? hostSuppressions(file) : [];
  const { text, statements } = file;
  if (!text.includes('pgperf-ignore')) return out;
  const src = file.source;
  const host = file.host;
  for (const { from, to, prev, next } of gaps(statements, text.length)) {
    const inBody = !!(next ?? prev)?.container;
    for (const c of lineComments(text, from, to, inBody)) {
      const m = DIRECTIVE.exec(text.slice(c.start, c.end));
      if (!m) continue;
      const rules = ruleList(m[2]);
      // In a host file each SQL string is its own text: a comment covers statements of its own string only.
      const segment = host?.segmentAt(c.start);
      const sameSegment = (st: Statement | undefined) => !host || (!!st && host.segmentAt(st.start) === segment);
      const sameLineAsPrev = prev && sameSegment(prev) && src.positionAt(prev.end).line === src.positionAt(c.start).line;
      let scope: number | 'file';
      if (m[1]) scope = 'file';
      else if (sameLineAsPrev) scope = prev.index;
      else if (next && sameSegment(next)) scope = next.index;
      else continue;
      out.push({ rules, reason: (m[3] ?? '').trim(), start: c.start, end: c.end, scope });
    }
  }
  return out;
}

/**
 * `// pgperf-ignore rule: reason` (`#` in Python) in a host file covers the SQL strings of the code it is on or
 * stands before (see extractHost); `pgperf-ignore-file` the whole file.
 */
function hostSuppressions(file: ParsedFile): Suppression[] {
  const out: Suppression[] = [];
  for (const d of file.host!.directives) {
    const m = HOST_DIRECTIVE.exec(d.text);
    if (!m) continue;
    const scope = m[1]
      ? 'file'
      : file.statements
          .filter((st) => {
            const at = file.toDocument(st.start, st.start).start;
            return at >= d.covers.start && at < d.covers.end;
          })
          .map((st) => st.index);
    const { start, end } = commentSpan(file.document.text, d.start, d.end);
    out.push({ rules: ruleList(m[2]), reason: (m[3] ?? '').trim(), start, end, scope, inDocument: true });
  }
  return out;
}

/** The whole host comment around a directive's text (`// …`, `# …`, `/* … *\/`): what a finding marks and a fix removes. */
function commentSpan(text: string, start: number, end: number): { start: number; end: number } {
  let s = start;
  while (s > 0 && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
  if (text.startsWith('//', s - 2)) return { start: s - 2, end };
  if (text[s - 1] === '#') return { start: s - 1, end };
  if (text.startsWith('/*', s - 2)) {
    const close = text.indexOf('*/', end - 2);
    return { start: s - 2, end: close < 0 ? end : close + 2 };
  }
  return { start, end };
}

/** Whether a suppression covers a finding of a statement: its own, or the routine's it is a query of. */
export function covers(s: Suppression, statement: Statement | undefined): boolean {
  const scope = s.scope;
  if (scope === 'file') return true;
  if (!statement) return false;
  if (typeof scope === 'number') return scope === statement.index || scope === statement.container?.index;
  return scope.includes(statement.index) || (statement.container !== undefined && scope.includes(statement.container.index));
}

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
  /** The statement index it covers, or 'file'. */
  scope: number | 'file';
}

const DIRECTIVE = /^--\s*pgperf-ignore(-file)?\b[ \t]*([^:\r\n]*)(?::[ \t]*([^\r\n]*))?/;

/**
 * Line comments in `text[from, to)`. Between top-level statements only comments and `;` can be there; in a
 * routine body (`code`), between its queries, PL/pgSQL may hold string literals, which are skipped.
 */
function* lineComments(text: string, from: number, to: number, code: boolean): Generator<{ start: number; end: number }> {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      let e = text.indexOf('\n', i);
      if (e < 0 || e > to) e = to;
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
  const out: Suppression[] = [];
  const { text, statements } = file;
  if (!text.includes('pgperf-ignore')) return out;
  const src = file.source;
  for (const { from, to, prev, next } of gaps(statements, text.length)) {
    const inBody = !!(next ?? prev)?.container;
    for (const c of lineComments(text, from, to, inBody)) {
      const m = DIRECTIVE.exec(text.slice(c.start, c.end));
      if (!m) continue;
      const rules = m[2]
        .split(/[,\s]+/)
        .map((r) => r.trim())
        .filter(Boolean);
      const sameLineAsPrev = prev && src.positionAt(prev.end).line === src.positionAt(c.start).line;
      let scope: number | 'file';
      if (m[1]) scope = 'file';
      else if (sameLineAsPrev) scope = prev.index;
      else if (next) scope = next.index;
      else continue;
      out.push({ rules, reason: (m[3] ?? '').trim(), start: c.start, end: c.end, scope });
    }
  }
  return out;
}

/** Whether a suppression covers a finding of a statement: its own, or the routine's it is a query of. */
export function covers(s: Suppression, statement: Statement | undefined): boolean {
  if (s.scope === 'file') return true;
  return !!statement && (s.scope === statement.index || s.scope === statement.container?.index);
}

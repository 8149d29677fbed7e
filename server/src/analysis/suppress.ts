/**
 * Inline suppressions: `-- pgperf-ignore rule-id[, rule-id]: reason` on the lines before a statement or after
 * it on its last line, and `-- pgperf-ignore-file rule-id[, ...]` anywhere between statements.
 */
import type { ParsedFile } from './parse';

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

/** Line comments found in the text between statements (where nothing but comments and `;` can be). */
function* triviaComments(text: string, from: number, to: number): Generator<{ start: number; end: number }> {
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
    } else i++;
  }
}

export function findSuppressions(file: ParsedFile): Suppression[] {
  const out: Suppression[] = [];
  const { text, statements } = file;
  if (!text.includes('pgperf-ignore')) return out;
  const src = file.source;
  for (let gap = 0; gap <= statements.length; gap++) {
    const prev = gap > 0 ? statements[gap - 1] : undefined;
    const next = statements[gap];
    const from = prev ? prev.end : 0;
    const to = next ? next.start : text.length;
    for (const c of triviaComments(text, from, to)) {
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

/**
 * The SQL the EXPLAIN commands run for a statement of a host file. In the SQL view each value the host code
 * interpolates (`${x}`, an f-string's `{x}`, `%s`, `?`, `:name`) is a placeholder whose number may clash with the
 * `$n` written in the string itself (`$001` beside `$1`); here each becomes a `$n` of its own, numbered after the
 * string's own, so the client asks for one value per parameter. A name built by host code (`FROM ${table}`) cannot
 * be planned without its value: the statement is refused, with the reason. The same rules as `pgperf explain --file`.
 */
import type { ParsedFile, Statement } from '../analysis/parse';

export interface ExplainSql {
  text: string;
  /** What `$n` stands for (index n - 1) where host code supplies it: `${kind} (line 8)`; empty for the string's own. */
  params?: string[];
  /** Why the statement cannot be explained (a name from host code). */
  refused?: string;
}

export function explainSql(file: ParsedFile, st: Statement): ExplainSql {
  const host = file.host;
  if (!host) return { text: st.text };
  const text = file.sqlText.slice(st.start, st.end);
  const seg = host.segmentAt(st.start);
  if (!seg) return { text };
  const e = seg.embedded;
  const holes = e.holes.filter((h) => seg.base + h.sqlStart >= st.start && seg.base + h.sqlEnd <= st.end).sort((a, b) => a.sqlStart - b.sqlStart);
  const doc = file.document;
  const written = (h: { hostStart: number; hostEnd: number }) => doc.text.slice(h.hostStart, h.hostEnd);
  const where = (h: { hostStart: number }) => `line ${doc.positionAt(h.hostStart).line + 1}`;
  const named = holes.find((h) => h.kind === 'identifier');
  if (named) {
    return { text, refused: `the statement takes a name from host code (${written(named)}, ${where(named)}), which cannot be planned without its value` };
  }
  const inHole = (at: number) => holes.some((h) => seg.base + h.sqlStart <= at && at < seg.base + h.sqlEnd);
  let own = 0;
  for (const t of st.tokens()) if (t.name === 'PARAM' && !inHole(t.start)) own = Math.max(own, Number(t.text.slice(1)) || 0);
  const params: string[] = Array.from({ length: own }, () => '');
  const byName = new Map<string, number>();
  const edits: { start: number; end: number; n: number }[] = [];
  for (const h of holes) {
    if (h.kind !== 'value' || !/^\$\d+$/.test(e.sql.slice(h.sqlStart, h.sqlEnd))) continue;
    const source = written(h);
    // A named driver parameter (`%(user_id)s`, `:user_id`) used twice is one value; every other hole is its own.
    const name = h.origin === 'parameter' && /[A-Za-z_]/.test(source) ? source : undefined;
    let n = name !== undefined ? byName.get(name) : undefined;
    if (n === undefined) {
      params.push(`${source} (${where(h)})`);
      n = params.length;
      if (name !== undefined) byName.set(name, n);
    }
    edits.push({ start: seg.base + h.sqlStart - st.start, end: seg.base + h.sqlEnd - st.start, n });
  }
  let sql = text;
  for (const ed of edits.reverse()) sql = sql.slice(0, ed.start) + `$${ed.n}` + sql.slice(ed.end);
  return params.some((p) => p !== '') ? { text: sql, params } : { text: sql };
}

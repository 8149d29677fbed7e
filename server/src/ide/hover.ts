/** Hover content: a finding's rule docs, or what the catalog knows about the table under the cursor. */
import { ruleMarkdown } from '../analysis/docs';
import type { Catalog, TableInfo } from '../analysis/catalog';
import { eachObject, quoteIdent, type Node } from '../analysis/ast';
import type { ParsedFile, Statement } from '../analysis/parse';
import { ruleById } from '../analysis/rules/index';
import type { Finding, Position, Range } from '../analysis/types';

/** The 0-based line of an offset into the SQL text of a workspace file (Workspace.lineOf). */
type LineOf = (path: string, offset: number) => number | undefined;

/**
 * What a hover at a document position shows, as Markdown with the range it is about: the rule docs of the findings
 * there, or else what the catalog knows about the table named there. Undefined: nothing to show.
 */
export function hoverAt(
  file: ParsedFile,
  findings: readonly Finding[],
  catalog: Catalog,
  lineOf: LineOf,
  position: Position,
): { markdown: string; range: Range } | undefined {
  // Findings are in document offsets; the statements in SQL-view offsets (the same for a .sql file).
  const at = file.document.offsetAt(position);
  const here = findings.filter((x) => x.start <= at && at <= x.end && x.start !== x.end);
  const docs = findingHover(here);
  if (docs) return { markdown: docs, range: here[0].range };
  const offset = file.fromDocument(at);
  if (offset === undefined) return undefined; // host code outside any SQL string
  const hit = tableAt(file, catalog, offset);
  if (!hit) return undefined;
  const range = file.toDocument(hit.start, hit.end);
  return { markdown: tableHover(hit.table, lineOf), range: file.document.rangeOf(range.start, range.end) };
}

/**
 * The rule docs of the findings under the cursor. The editor shows each finding's message in the same hover,
 * so this adds what the message does not say: why the rule exists, with the guide's figures, and what to do.
 */
function findingHover(findings: readonly Finding[]): string | undefined {
  const ids = [...new Set(findings.map((f) => f.ruleId))];
  if (ids.length === 0) return undefined;
  return ids
    .map((id) => {
      const rule = ruleById(id);
      const docs = rule ? ruleMarkdown(rule).replace(/^# .*\n\n/, '') : '';
      return `**pgperf · ${id}**\n\n${docs}`;
    })
    .join('\n\n---\n\n');
}

/** Every table reference of a statement (wrapped RangeVars and the unwrapped `relation` fields alike). */
function relations(st: Statement): Node[] {
  const out: Node[] = [];
  eachObject(st.ast, (n) => {
    if (typeof n.relname === 'string' && typeof n.location === 'number') out.push(n);
  });
  return out;
}

/** The table named at `offset` in a parsed file, with the catalog's entry for it. */
function tableAt(file: ParsedFile, catalog: Catalog, offset: number): { table: TableInfo; start: number; end: number } | undefined {
  const st = file.statements.find((s) => s.start <= offset && offset <= s.end);
  if (!st?.ast) return undefined;
  for (const rv of relations(st)) {
    const span = st.nameSpan(rv.location);
    if (!span || offset < span.start || offset > span.end) continue;
    const table = catalog.resolve(rv.schemaname, rv.relname, st);
    if (table) return { table, ...span };
  }
  return undefined;
}

/** Markdown describing a table: the schema model users otherwise open several files for. */
function tableHover(t: TableInfo, lineOf: LineOf): string {
  const name = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  const where = (path: string, offset: number) => {
    const line = lineOf(path, offset);
    return line === undefined ? `\`${path}\`` : `\`${path}:${line + 1}\``;
  };
  const lines: string[] = [`**${name}**${t.created ? ` — declared in ${where(t.created.file.path, t.created.start)}` : ''}`, ''];
  const facts: string[] = [];
  if (t.partition)
    facts.push(
      `partitioned by ${t.partition.strategy.toUpperCase()} ` +
        `(${t.partition.columns.map((c) => (c ? quoteIdent(c) : 'expression')).join(', ')})${t.partition.declaredIn === '.pgperf.json' ? ' (from .pgperf.json)' : ''}`,
    );
  if (t.partitionOf) facts.push(`partition of ${t.partitionOf}`);
  facts.push(t.rls ? `row-level security enabled${t.forceRls ? ' (forced)' : ''}` : 'row-level security not enabled');
  facts.push(
    t.policies.length > 0 ? `policies: ${t.policies.map((p) => `${p.name} (${where(p.statement.file.path, p.statement.start)})`).join(', ')}` : 'no policies',
  );
  lines.push(facts.join(' · '), '');
  if (t.columns.size > 0) {
    lines.push('| column | type |', '| --- | --- |');
    for (const c of t.columns.values())
      lines.push(`| ${quoteIdent(c.name)} | ` + `${c.type}${c.typmod !== undefined ? `(${c.typmod})` : ''}${c.array ? '[]' : ''} |`);
    lines.push('');
  }
  const keys = t.uniques.map((u) => `${u.primary ? 'PRIMARY KEY' : 'UNIQUE'} (${u.columns.map((c) => (c ? quoteIdent(c) : 'expression')).join(', ')})`);
  if (keys.length > 0) lines.push(`Keys: ${[...new Set(keys)].join('; ')}`, '');
  if (t.indexes.length > 0) {
    lines.push('Indexes:');
    for (const i of t.indexes) {
      const cols = i.columns
        .map((c) => `${c.column ? quoteIdent(c.column) : `(${c.exprColumns.join(', ')} expression)`}${c.opclass ? ` ${c.opclass}` : ''}`)
        .join(', ');
      const params = Object.entries(i.params)
        .map(([k, v]) => `${k} = ${v}`)
        .join(', ');
      lines.push(
        `- ${i.unique ? 'unique ' : ''}${i.name ?? '(unnamed)'}: ${i.method} ` +
          `(${cols})${i.include.length ? ` INCLUDE (${i.include.join(', ')})` : ''}${params ? ` WITH (${params})` : ''}${i.partial ? ' (partial)' : ''} — ${where(i.statement.file.path, i.statement.start)}`,
      );
    }
  }
  return lines.join('\n').trimEnd();
}

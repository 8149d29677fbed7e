/**
 * Code actions for pgperf findings: the rule's fix, suppressions, and fix-all. Findings and fix edits are in
 * document offsets (a host file's text, not its SQL view); suppressions are comments of the document's language.
 */
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver/node';
import { hostLanguageOf, parseHost, type HostLanguage } from '../analysis/host/grammars';
import type { ParsedFile, Statement } from '../analysis/parse';
import type { Finding } from '../analysis/types';
import { nonOverlapping, toTextEdits } from './convert';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.pgperf`;

const sameRange = (f: Finding, d: Diagnostic) =>
  f.range.start.line === d.range.start.line &&
  f.range.start.character === d.range.start.character &&
  f.range.end.line === d.range.end.line &&
  f.range.end.character === d.range.end.character;

/** The finding a client diagnostic stands for. */
function findingFor(findings: readonly Finding[], d: Diagnostic): Finding | undefined {
  return findings.find((f) => f.ruleId === d.code && sameRange(f, d));
}

function edit(uri: string, edits: TextEdit[]) {
  return { changes: { [uri]: edits } };
}

/** The statement a finding (in document offsets) is in. */
function statementOf(file: ParsedFile, f: Finding): Statement | undefined {
  const at = file.fromDocument(f.start);
  if (at === undefined) return undefined;
  return file.statements.find((s) => s.start <= at && at <= s.end);
}

/** The line comment of a host language. */
const commentMark = (lang: HostLanguage) => (lang === 'python' ? '#' : '//');

/** Nodes whose children are statements or declarations: a host comment on its own line there covers the next one. */
const CONTAINERS = new Set([
  'program',
  'statement_block',
  'class_body',
  'switch_case',
  'switch_default',
  'module',
  'block',
  'source_file',
  'declaration_list',
  'statement_list',
  'expression_case',
  'default_case',
  'communication_case',
  'type_case',
]);

/**
 * `// pgperf-ignore rule: <reason>` (`#` in Python) on its own line above the host statement that holds the SQL
 * string (the whole `const rows = await db.query(…)`, which the comment then covers), indented like that line.
 */
function ignoreHostStatement(file: ParsedFile, f: Finding, lang: HostLanguage): TextEdit | undefined {
  const st = statementOf(file, f);
  const seg = st && file.host!.segmentAt(st.start);
  if (!seg) return undefined;
  const text = file.document.text;
  const tree = parseHost(lang, text);
  let at: number;
  try {
    const root = tree.rootNode;
    let n = root.descendantForIndex(seg.embedded.start, seg.embedded.start + 1);
    while (n?.parent && n.parent.id !== root.id && !CONTAINERS.has(n.parent.type)) n = n.parent;
    at = n ? n.startIndex : seg.embedded.start;
  } finally {
    tree.delete();
  }
  const pos = file.document.positionAt(at);
  const lineStart = file.document.offsetAt({ line: pos.line, character: 0 });
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const start = { line: pos.line, character: 0 };
  return { range: { start, end: start }, newText: `${indent}${commentMark(lang)} pgperf-ignore ${f.ruleId}: <reason>\n` };
}

/** `pgperf-ignore-file rule` as the file's first line (after a `#!` line, which must stay first). */
function ignoreFile(file: ParsedFile, f: Finding): TextEdit {
  const lang = file.host ? hostLanguageOf(file.path) : undefined;
  const line = lang && file.document.text.startsWith('#!') ? 1 : 0;
  const start = { line, character: 0 };
  const newText = lang ? `${commentMark(lang)} pgperf-ignore-file ${f.ruleId}\n` : `-- pgperf-ignore-file ${f.ruleId}\n`;
  // A `#!` line without a newline (the whole file): the comment goes after it on a line of its own.
  if (line === 1 && !file.document.text.includes('\n')) {
    const end = { line: 0, character: file.document.text.length };
    return { range: { start: end, end }, newText: `\n${newText}` };
  }
  return { range: { start, end: start }, newText };
}

/** `-- pgperf-ignore rule: reason` on its own line above the statement, indented like it (a host comment in code). */
function ignoreStatement(file: ParsedFile, f: Finding): TextEdit | undefined {
  if (file.host) {
    const lang = hostLanguageOf(file.path);
    return lang ? ignoreHostStatement(file, f, lang) : undefined;
  }
  const st = statementOf(file, f);
  if (!st) return undefined;
  const pos = file.source.positionAt(st.start);
  const lineStart = file.source.offsetAt({ line: pos.line, character: 0 });
  const indent = /^[ \t]*/.exec(file.text.slice(lineStart, st.start))![0];
  const onOwnLine = indent.length === st.start - lineStart;
  const at = onOwnLine ? { line: pos.line, character: 0 } : pos;
  const newText = onOwnLine ? `${indent}-- pgperf-ignore ${f.ruleId}: <reason>\n` : `\n${indent}-- pgperf-ignore ${f.ruleId}: <reason>\n`;
  return { range: { start: at, end: at }, newText };
}

export function quickFixes(uri: string, file: ParsedFile, findings: readonly Finding[], diagnostics: readonly Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  const seenRules = new Set<string>();
  for (const d of diagnostics) {
    if (d.source !== 'pgperf') continue;
    const f = findingFor(findings, d);
    if (!f) continue;
    if (f.fix) {
      actions.push({
        title: f.fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: true,
        edit: edit(uri, toTextEdits(file.document, f.fix.edits)),
      });
    }
    if (f.ruleId !== 'unused-suppression') {
      const ignore = ignoreStatement(file, f);
      if (ignore) {
        actions.push({ title: `Ignore ${f.ruleId} for this statement`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: edit(uri, [ignore]) });
      }
      actions.push({
        title: `Ignore ${f.ruleId} in this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: edit(uri, [ignoreFile(file, f)]),
      });
    }
    if (!seenRules.has(f.ruleId)) {
      seenRules.add(f.ruleId);
      const all = fixAll(
        uri,
        file,
        findings.filter((x) => x.ruleId === f.ruleId),
        `Fix all ${f.ruleId} in this file`,
      );
      if (all && findings.filter((x) => x.ruleId === f.ruleId && x.fix).length > 1) actions.push({ ...all, kind: FIX_ALL_KIND });
    }
  }
  return actions;
}

/** One action applying every fix of `findings` that does not overlap an earlier one. */
export function fixAll(uri: string, file: ParsedFile, findings: readonly Finding[], title: string): CodeAction | undefined {
  const edits = nonOverlapping(findings.filter((f) => f.fix).map((f) => f.fix!.edits));
  if (edits.length === 0) return undefined;
  // Fix edits are in document offsets (a host file's own, see engine.ts).
  return { title, kind: FIX_ALL_KIND, edit: edit(uri, toTextEdits(file.document, edits)) };
}

/** Code actions for pgperf findings: the rule's fix, suppressions, and fix-all. */
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver/node';
import type { ParsedFile } from '../analysis/parse';
import type { Finding } from '../analysis/types';
import { nonOverlapping, toTextEdits } from './convert';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.pgperf`;

const sameRange = (f: Finding, d: Diagnostic) =>
  f.range.start.line === d.range.start.line &&
  f.range.start.character === d.range.start.character &&
  f.range.end.line === d.range.end.line &&
  f.range.end.character === d.range.end.character;

/** The finding a client diagnostic stands for. */
export function findingFor(findings: readonly Finding[], d: Diagnostic): Finding | undefined {
  return findings.find((f) => f.ruleId === d.code && sameRange(f, d));
}

function edit(uri: string, edits: TextEdit[]) {
  return { changes: { [uri]: edits } };
}

/** `-- pgperf-ignore rule: reason` on its own line above the statement, indented like it. */
function ignoreStatement(file: ParsedFile, f: Finding): TextEdit | undefined {
  const st = file.statements.find((s) => s.start <= f.start && f.start <= s.end);
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
        edit: edit(uri, toTextEdits(file.source, f.fix.edits)),
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
        edit: edit(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: `-- pgperf-ignore-file ${f.ruleId}\n` }]),
      });
    }
    if (!seenRules.has(f.ruleId)) {
      seenRules.add(f.ruleId);
      const all = fixAll(uri, file, findings.filter((x) => x.ruleId === f.ruleId), `Fix all ${f.ruleId} in this file`);
      if (all && findings.filter((x) => x.ruleId === f.ruleId && x.fix).length > 1) actions.push({ ...all, kind: FIX_ALL_KIND });
    }
  }
  return actions;
}

/** One action applying every fix of `findings` that does not overlap an earlier one. */
export function fixAll(uri: string, file: ParsedFile, findings: readonly Finding[], title: string): CodeAction | undefined {
  const edits = nonOverlapping(findings.filter((f) => f.fix).map((f) => f.fix!.edits));
  if (edits.length === 0) return undefined;
  return { title, kind: FIX_ALL_KIND, edit: edit(uri, toTextEdits(file.source, edits)) };
}

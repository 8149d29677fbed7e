/**
 * Code actions for pgperf findings: the rule's fix, suppressions, and fix-all, as LSP actions. The edits come from
 * the protocol-neutral side (ide/fixes.ts, ide/suppress.ts); this file matches the client's diagnostics to findings
 * and says which action is which kind.
 */
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver/node';
import { COMPARE_FIX_COMMAND, type CompareFixArgument } from '../../../protocol/index';
import type { Finding, ParsedFile } from '../analysis/index';
import { fixAllEdits, fixEdits } from '../ide/fixes';
import { ignoreFileEdit, ignoreStatementEdit } from '../ide/suppress';

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

/** Compare with Fix's argument for a finding with a fix, or undefined when there is nothing to measure. */
export type CompareFor = (finding: Finding) => CompareFixArgument | undefined;

export function quickFixes(
  uri: string,
  file: ParsedFile,
  findings: readonly Finding[],
  diagnostics: readonly Diagnostic[],
  compareFor: CompareFor = () => undefined,
): CodeAction[] {
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
        edit: edit(uri, fixEdits(file, f)),
      });
      const compare = compareFor(f);
      if (compare) {
        const title = 'pgperf: Compare with Fix (EXPLAIN ANALYZE as written and fixed)';
        actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title, command: COMPARE_FIX_COMMAND, arguments: [compare] } });
      }
    }
    if (f.ruleId !== 'unused-suppression') {
      const ignore = ignoreStatementEdit(file, f);
      if (ignore) {
        actions.push({ title: `Ignore ${f.ruleId} for this statement`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: edit(uri, [ignore]) });
      }
      actions.push({
        title: `Ignore ${f.ruleId} in this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: edit(uri, [ignoreFileEdit(file, f)]),
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
  const edits = fixAllEdits(file, findings);
  return edits.length === 0 ? undefined : { title, kind: FIX_ALL_KIND, edit: edit(uri, edits) };
}

/** Findings → LSP diagnostics and edits. */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { DiagnosticSeverity, type Diagnostic, type TextEdit } from 'vscode-languageserver/node';
import type { SourceText } from '../analysis/source';
import type { Finding, Severity, TextEdit as OffsetEdit } from '../analysis/types';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** The rule's documentation page shipped beside the bundles (dist/../docs/rules). */
function docsUri(ruleId: string): string {
  // Every diagnostic of every publish carries one: made once per rule.
  let uri = DOCS_URIS.get(ruleId);
  if (uri === undefined) DOCS_URIS.set(ruleId, (uri = pathToFileURL(join(__dirname, '..', 'docs', 'rules', `${ruleId}.md`)).href));
  return uri;
}
const DOCS_URIS = new Map<string, string>();

/** A finding as a diagnostic. Fixes are computed when a client asks for code actions, not with every publish. */
export function toDiagnostic(f: Finding): Diagnostic {
  return {
    range: f.range,
    severity: SEVERITY[f.severity],
    code: f.ruleId,
    codeDescription: { href: docsUri(f.ruleId) },
    source: 'pgperf',
    message: f.message,
  };
}

export function toTextEdits(source: SourceText, edits: readonly OffsetEdit[]): TextEdit[] {
  return edits.map((e) => ({ range: source.rangeOf(e.start, e.end), newText: e.newText }));
}

/** Fix edits of several findings that do not overlap each other, earliest first. */
export function nonOverlapping(edits: readonly OffsetEdit[][]): OffsetEdit[] {
  const chosen: OffsetEdit[] = [];
  const sorted = [...edits].filter((g) => g.length > 0).sort((a, b) => Math.min(...a.map((e) => e.start)) - Math.min(...b.map((e) => e.start)));
  for (const group of sorted) {
    const clash = group.some((e) => chosen.some((c) => (e.start < c.end && c.start < e.end) || (e.start === c.start && e.end === c.end)));
    if (!clash) chosen.push(...group);
  }
  return chosen;
}

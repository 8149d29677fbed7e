/** Findings → LSP diagnostics. */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../analysis/index';

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

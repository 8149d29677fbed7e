/** Machine-readable findings: 1-based lines and columns (UTF-16), as in the text output. */
import type { LintReport } from '../report';
import { summarize } from '../report';

export function formatJson(report: LintReport, version: string): string {
  const findings = report.files.flatMap((f) =>
    f.findings.map((x) => ({
      file: f.path,
      line: x.range.start.line + 1,
      column: x.range.start.character + 1,
      endLine: x.range.end.line + 1,
      endColumn: x.range.end.character + 1,
      severity: x.severity,
      ruleId: x.ruleId,
      message: x.message,
      ...(x.fix ? { fix: { title: x.fix.title, edits: x.fix.edits } } : {}),
    })),
  );
  const configProblems = report.configProblems.flatMap((c) => c.problems.map((p) => ({ file: c.file, ...p })));
  return JSON.stringify({ tool: 'pgperf', version, summary: summarize(report), findings, configProblems }, null, 2) + '\n';
}

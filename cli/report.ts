/** The result of one lint run, in the shape every output format reads. */
import type { ConfigProblem, Finding, Severity } from '../server/src/analysis/index';

export interface LintReport {
  /** The working folder: file paths are relative to it (absolute when outside it). */
  root: string;
  files: { path: string; statements: number; findings: Finding[] }[];
  configProblems: { file: string; problems: ConfigProblem[] }[];
}

export interface Summary {
  files: number;
  statements: number;
  error: number;
  warning: number;
  info: number;
}

export function summarize(report: LintReport): Summary {
  const s: Summary = { files: report.files.length, statements: 0, error: 0, warning: 0, info: 0 };
  for (const f of report.files) {
    s.statements += f.statements;
    for (const x of f.findings) s[x.severity as Severity]++;
  }
  return s;
}

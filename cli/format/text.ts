/** `file:line:col severity rule message`, one finding a line, then a one-line summary. */
import type { LintReport } from '../report';
import { summarize } from '../report';

const COLORS = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m', dim: '\x1b[2m', reset: '\x1b[0m' };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatText(report: LintReport, color: boolean): string {
  const paint = (c: keyof typeof COLORS, s: string) => (color ? COLORS[c] + s + COLORS.reset : s);
  const lines: string[] = [];
  for (const f of report.files) {
    const name = f.path;
    for (const x of f.findings) {
      const where = `${name}:${x.range.start.line + 1}:${x.range.start.character + 1}`;
      lines.push(`${where} ${paint(x.severity, x.severity)} ${paint('dim', x.ruleId)} ${x.message}`);
    }
  }
  const s = summarize(report);
  lines.push(
    `${plural(s.files, 'file')}, ${plural(s.statements, 'statement')}: ` +
      `${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${plural(s.info, 'info')}`,
  );
  return lines.join('\n') + '\n';
}

/** The what-if report as text for a terminal and as JSON (`pgperf whatif --format json`). */
import type { WhatIfReport, WhatIfResult } from './run';

const where = (f: { file: string }, line: number) => `${f.file}:${line}`;

function costLine(r: WhatIfResult): string {
  if (r.status === 'failed') return `  failed: ${r.reason}`;
  const ratio = r.ratio!;
  const change = ratio < 1 ? `${Math.round((1 - ratio) * 100)}% less` : ratio > 1 ? `${Math.round((ratio - 1) * 100)}% more` : 'unchanged';
  const uses = r.usesIndex ? 'the plan uses the hypothetical index' : 'the plan does not use the hypothetical index';
  return `  cost ${r.before!.toFixed(2)} → ${r.after!.toFixed(2)} (×${ratio.toPrecision(3)}, ${change}); ${uses}`;
}

export function whatIfToText(report: WhatIfReport): string {
  const out: string[] = [];
  const h = report.hypopg;
  const measured = report.results.filter((r) => r.status === 'measured').length;
  out.push(
    `what-if indexes with HypoPG${h.available ? ` ${h.version}` : ''} on ${report.database.label} (${report.database.serverVersion}): ` +
      `${report.results.length} case${report.results.length === 1 ? '' : 's'}, ${measured} measured; planner costs, nothing built`,
  );
  for (const r of report.results) {
    out.push('', `${where(r.case.finding, r.case.line)}  ${r.case.finding.ruleId}`, `  ${r.case.index}`, costLine(r));
  }
  if (report.skipped.length > 0) {
    out.push('', `skipped (${report.skipped.length}):`);
    for (const s of report.skipped) out.push(`  ${where(s.finding, s.line)}  ${s.finding.ruleId}: ${s.reason}`);
  }
  return out.join('\n') + '\n';
}

export function whatIfToJson(report: WhatIfReport): string {
  const h = report.hypopg;
  return (
    JSON.stringify(
      {
        schema: 'pgperf-whatif/1',
        database: report.database,
        hypopg: h.available ? { version: h.version, schema: h.schema } : null,
        cases: report.results.map((r) => ({
          file: r.case.finding.file,
          line: r.case.line,
          rule: r.case.finding.ruleId,
          message: r.case.finding.message,
          index: r.case.index,
          query: r.case.query,
          status: r.status,
          costBefore: r.before ?? null,
          costAfter: r.after ?? null,
          ratio: r.ratio ?? null,
          usesIndex: r.usesIndex ?? null,
          hypotheticalIndex: r.hypotheticalIndex ?? null,
          ...(r.reason !== undefined ? { reason: r.reason } : {}),
        })),
        skipped: report.skipped.map((s) => ({ file: s.finding.file, line: s.line, rule: s.finding.ruleId, reason: s.reason })),
      },
      null,
      2,
    ) + '\n'
  );
}

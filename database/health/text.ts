/** `pgperf health`'s text output, and the JSON whose shape docs/health/README.md documents. */
import type { HealthReport } from './run';

const MARK = { ok: 'ok', findings: '!!', skipped: '--', failed: 'XX' } as const;

export function healthToText(report: HealthReport): string {
  const { database: d, summary: s } = report;
  const lines = [`pgperf health: ${d.label} (${d.serverVersion}, as ${d.user})`, ''];
  for (const c of report.checks) {
    const head = `${MARK[c.status]} ${c.id}`;
    if (c.status === 'ok') lines.push(`${head}: ok`);
    else if (c.status === 'skipped') lines.push(`${head}: skipped: ${c.reason ?? ''}`);
    else if (c.status === 'failed') lines.push(`${head}: failed: ${c.reason ?? ''}`);
    else lines.push(`${head}: ${c.findings.length} finding${c.findings.length === 1 ? '' : 's'} — ${c.title}`);
    for (const f of c.findings) {
      lines.push(`   ${f.severity}: ${f.message}`);
      const evidence = Object.entries(f.evidence)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
        .join(', ');
      if (evidence) lines.push(`      evidence: ${evidence}`);
      if (f.fix) lines.push(...f.fix.split('\n').map((l, i) => `      ${i === 0 ? 'fix: ' : '     '}${l}`));
    }
    for (const n of c.notes) lines.push(`   note: ${n}`);
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  lines.push(
    '',
    `${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${s.info} info; ${s.skipped} skipped, ${s.failed} failed (of ${report.checks.length} checks). Fix SQL is shown, never run.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The JSON output: the report as it is, with `schema` naming its version (docs/health/README.md). */
export function healthToJson(report: HealthReport): string {
  return `${JSON.stringify({ schema: 'pgperf-health/1', ...report }, null, 2)}\n`;
}

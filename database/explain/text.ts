/** The plan as an indented text tree with the findings on top (CLI output and "copy as text"). */
import { groupDigits } from './digits';
import type { PlanFinding } from './findings';
import type { ParsedPlan, PlanNode } from './plan';

export interface PlanTextInput {
  tree: PlanNode;
  findings: PlanFinding[];
  /** "embedded PGlite (PostgreSQL 18.6)": printed first when given. */
  database?: string;
  totals?: ParsedPlan['totals'];
  planningMs?: number;
  executionMs?: number;
  warnings?: string[];
}

const ms = (x: number): string => `${x < 10 ? x.toFixed(3) : x < 1000 ? x.toFixed(2) : x.toFixed(0)} ms`;
const int = (x: number): string => groupDigits(Number.isInteger(x) ? x : Number(x.toFixed(2)));

export function planToText(input: PlanTextInput): string {
  const lines: string[] = [];
  if (input.database) lines.push(`Database: ${input.database}`);
  for (const w of input.warnings ?? []) lines.push(`Warning: ${w}`);
  if (input.findings.length === 0) lines.push('Findings: none');
  else {
    lines.push(`Findings (${input.findings.length}):`);
    for (const f of input.findings) lines.push(`  ${f.severity} ${f.rule} [#${f.nodeId} ${f.node}] ${f.message}`);
  }
  const planning = input.planningMs ?? input.totals?.planningMs;
  const execution = input.executionMs ?? input.totals?.executionMs;
  const summary: string[] = [];
  if (planning !== undefined) summary.push(`Planning ${ms(planning)}`);
  if (execution !== undefined) summary.push(`Execution ${ms(execution)}`);
  const t = input.totals;
  if (t?.sharedHit !== undefined || t?.sharedRead !== undefined) {
    summary.push(
      `buffers hit ${int(t.sharedHit ?? 0)} read ${int(t.sharedRead ?? 0)}` +
        (t.cacheHitRatio !== undefined ? ` (cache hit ${(t.cacheHitRatio * 100).toFixed(1)} %)` : ''),
    );
  }
  if (summary.length) lines.push(summary.join(' · '));
  lines.push('');
  const flagged = new Set(input.findings.map((f) => f.nodeId));
  const visit = (node: PlanNode, depth: number) => {
    const indent = depth === 0 ? '' : `${'   '.repeat(depth - 1)}-> `;
    lines.push(`${indent}${nodeLine(node)}${flagged.has(node.id) ? '  ⚠' : ''}`);
    for (const c of node.children) visit(c, depth + 1);
  };
  visit(input.tree, 0);
  return lines.join('\n') + '\n';
}

/** "#3 Seq Scan on events e  rows est 140 actual 200 (×1.4)  loops 1  time 17.1 ms (self 17.1 ms)  buffers hit 2470 read 0". */
function nodeLine(node: PlanNode): string {
  const parts = [`#${node.id} ${node.subplanName ? `[${node.subplanName}] ` : ''}${node.label}`];
  if (node.neverExecuted) {
    parts.push(`rows est ${int(node.estRows)}`, 'never executed');
    return parts.join('  ');
  }
  let rows = `rows est ${int(node.estRows)}`;
  if (node.actualRows !== undefined) rows += ` actual ${int(node.actualRows)}`;
  if (node.misestimate) rows += ` (${node.misestimate.direction === 'under' ? 'under' : 'over'}estimated ×${int(Number(node.misestimate.factor.toFixed(1)))})`;
  parts.push(rows);
  if (node.loops !== undefined && node.loops !== 1) parts.push(`loops ${int(node.loops)}`);
  if (node.totalMs !== undefined) parts.push(`time ${ms(node.totalMs)} (self ${ms(node.exclusiveMs ?? 0)})`);
  if (node.sharedHit !== undefined || node.sharedRead !== undefined) {
    parts.push(`buffers hit ${int(node.sharedHit ?? 0)} read ${int(node.sharedRead ?? 0)}`);
  }
  if (node.tempWritten) parts.push(`temp written ${int(node.tempWritten)}`);
  return parts.join('  ');
}

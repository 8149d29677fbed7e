/**
 * The Compare with Fix page: the statement as written and as fixed, side by side — execution time (median of the
 * runs), rows read by scans, buffers, the speed-up, the scans that changed, and both plan trees. A pure function of
 * the comparison (no vscode import: unit-tested in test/ui/), with the EXPLAIN panel's CSP, styles and script;
 * every string from the database, the workspace or the user goes through `esc`.
 */
import { speedupText } from '../../../database/index';
import { documentStart, esc, formatMs } from '../../../render/html';
import { planTreeHtml, type PanelOptions, type PanelResult } from './explain-html';

export interface CompareSideView {
  sql: string;
  params: readonly unknown[];
  executionMs: readonly number[];
  medianMs: number;
  rowsScanned: number;
  buffers: number;
  result: PanelResult;
}

/** The fields of database/explain/compare.ts `CompareOutcome` the page shows, and where the finding is. */
export interface CompareView {
  comparison: { rule: string; title: string; setup: readonly string[] };
  before: CompareSideView;
  after: CompareSideView;
  speedup: number;
  changes: readonly string[];
  notes: readonly string[];
  /** `queries/sessions.sql:5`. */
  where: string;
  /** Whether the database holds synthetic rows pgperf loaded, and how many. */
  synthetic?: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

const param = (v: unknown) => (v === null ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));

function sideHtml(title: string, cls: string, s: CompareSideView): string[] {
  const params = s.params.length ? `<p class="params">${s.params.map((p, i) => `$${i + 1} = ${esc(param(p))}`).join(', ')}</p>` : '';
  return [
    `<section class="compare-side ${cls}" aria-label="${esc(title)}">`,
    `<h2>${esc(title)}</h2>`,
    `<pre><code>${esc(s.sql)}</code></pre>`,
    params,
    '<div class="plan">',
    ...planTreeHtml(s.result, `${cls}-node`),
    '</div>',
    '</section>',
  ];
}

export function buildCompareHtml(v: CompareView, opts: PanelOptions): string {
  const runs = v.before.executionMs.length;
  const h: string[] = [
    ...documentStart(opts.cspSource, opts.styleUris),
    '<title>Compare with Fix</title>',
    '</head>',
    '<body class="compare">',
    '<header class="head">',
    `<h1>Compare with Fix · ${esc(v.comparison.rule)}</h1>`,
    '<div class="actions">',
    '<button type="button" id="copy-text" class="action">Copy as text</button>',
    '<button type="button" id="expand-all" class="action secondary">Expand all</button>',
    '<button type="button" id="collapse-all" class="action secondary">Collapse all</button>',
    '</div>',
    '</header>',
    '<dl class="facts">',
    `<div><dt>Finding</dt><dd class="where">${esc(v.where)}</dd></div>`,
    `<div><dt>Fix</dt><dd class="fix-title">${esc(v.comparison.title)}</dd></div>`,
    `<div><dt>Database</dt><dd class="database">${esc(v.before.result.database)}</dd></div>`,
    v.synthetic ? `<div><dt>Data</dt><dd class="synthetic">${esc(v.synthetic)}</dd></div>` : '',
    '</dl>',
    `<p class="speedup">${esc(speedupText(v.speedup))}</p>`,
    '<table class="compare-table">',
    '<thead><tr><th></th><th>as written</th><th>fixed</th></tr></thead>',
    '<tbody>',
    `<tr><th>execution (median of ${runs})</th><td class="before-ms">${esc(formatMs(v.before.medianMs))}</td><td class="after-ms">${esc(formatMs(v.after.medianMs))}</td></tr>`,
    `<tr><th>rows read by scans</th><td>${int(v.before.rowsScanned)}</td><td>${int(v.after.rowsScanned)}</td></tr>`,
    `<tr><th>shared buffers</th><td>${int(v.before.buffers)}</td><td>${int(v.after.buffers)}</td></tr>`,
    '</tbody>',
    '</table>',
  ];
  if (v.changes.length) h.push('<h2>Changed</h2>', '<ul class="changes">', ...v.changes.map((c) => `<li>${esc(c)}</li>`), '</ul>');
  if (v.notes.length) h.push('<ul class="notes">', ...v.notes.map((n) => `<li>${esc(n)}</li>`), '</ul>');
  h.push('<div class="compare-grid">', ...sideHtml('As written', 'before', v.before), ...sideHtml('Fixed', 'after', v.after), '</div>');
  h.push(`<script src="${esc(opts.scriptUri)}"></script>`, '</body>', '</html>');
  return h.filter(Boolean).join('\n');
}

/** What "Copy as text" copies: the figures and both statements. */
export function compareText(v: CompareView): string {
  return [
    `Compare with Fix: ${v.comparison.rule} at ${v.where}`,
    `Fix: ${v.comparison.title}`,
    `Database: ${v.before.result.database}${v.synthetic ? ` (${v.synthetic})` : ''}`,
    `Execution (median of ${v.before.executionMs.length}): ${formatMs(v.before.medianMs)} as written, ${formatMs(v.after.medianMs)} fixed: ${speedupText(v.speedup)}`,
    `Rows read by scans: ${int(v.before.rowsScanned)} → ${int(v.after.rowsScanned)}; shared buffers ${int(v.before.buffers)} → ${int(v.after.buffers)}`,
    ...v.changes.map((c) => `Changed: ${c}`),
    ...v.notes.map((n) => `Note: ${n}`),
    '',
    '-- as written',
    v.before.sql,
    '',
    '-- fixed',
    v.after.sql,
    '',
  ].join('\n');
}

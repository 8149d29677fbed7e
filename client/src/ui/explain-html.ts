/**
 * The EXPLAIN panel's HTML as a pure function of an explain result (no vscode import: unit-tested in test/ui/).
 *
 * Security: every string that comes from the database or the user (identifiers, conditions, the query, the
 * database label, error text, the raw JSON) goes through `esc`. The page carries a strict CSP without a nonce
 * (`default-src 'none'`, styles and scripts only from the webview's own origin): no inline script and no inline
 * style attribute — the per-node time bars are `<meter>` elements whose numbers we compute.
 *
 * The input is typed structurally (the fields the panel reads), so the explain helper's `ExplainResult`
 * (database/explain/run.ts) is accepted as it is.
 */
import { documentStart, esc, escText, formatMs } from '../../../render/html';

/** The parts of a plan node (database/explain/plan.ts `PlanNode`) the panel shows. */
export interface PanelNode {
  id: number | string;
  nodeType: string;
  relation?: string;
  alias?: string;
  index?: string;
  children: readonly PanelNode[];
  estRows?: number;
  actualRows?: number;
  loops?: number;
  /** Inclusive time, all loops, ms. */
  totalMs?: number;
  /** Time spent in this node alone, all loops, ms. */
  exclusiveMs?: number;
  sharedHit?: number;
  sharedRead?: number;
  /** Set when actual/estimated rows are ≥ 10× apart either way: plan.ts's `{ ratio, … }`, or a ratio, or a flag. */
  misestimate?: boolean | number | { ratio: number };
  /** plan.ts's label as PostgreSQL prints it ("Seq Scan on events e"); built from the fields when absent. */
  label?: string;
  /** "CTE x", "InitPlan 1 (returns $0)", "SubPlan 2". */
  subplanName?: string;
  /** ANALYZE ran and this node never did (loops = 0). */
  neverExecuted?: boolean;
  /** The server's JSON for this node (for the detail lines: filters, sort method, …). */
  raw?: unknown;
}

/** The parts of a finding (database/explain/findings.ts `PlanFinding`) the panel shows. */
export interface PanelFinding {
  rule: string;
  nodeId?: number | string;
  node: string;
  message: string;
  severity?: string;
}

/** The parts of an explain result (database/explain/run.ts `ExplainResult`) the panel shows. */
export interface PanelResult {
  /** Which database the plan came from (db.label). */
  database: string;
  sql: string;
  /** The server's JSON plan, shown as it is in the raw JSON tab. */
  plan: unknown;
  tree: PanelNode;
  findings: readonly PanelFinding[];
  planningMs?: number;
  executionMs?: number;
  warnings?: readonly string[];
}

export interface PanelOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Webview URIs (as strings) of the stylesheets, in order (client/media/panel.css, explain.css), and explain.js. */
  styleUris: readonly string[];
  scriptUri: string;
  /** EXPLAIN ANALYZE (true) or plain EXPLAIN; by default inferred from the result (an execution time). */
  analyze?: boolean;
  /** Values given for `$n` parameters, or 'generic' for a generic plan. */
  params?: readonly string[] | 'generic';
  /** The synthetic rows pgperf loaded into the database, in words (the plan is over generated data). */
  synthetic?: string;
}

/** An id usable in an attribute: our own node ids are numbers, anything else is reduced to safe characters. */
function nodeAnchor(id: number | string | undefined, prefix = 'node'): string {
  return `${prefix}-${String(id ?? '').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** 12345.6 → "12,346" (by hand: toLocaleString goes through Intl, slow on a 500-node plan). */
function int(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  const grouped = s.length <= 3 ? s : s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 && Math.round(n) !== 0 ? `-${grouped}` : grouped;
}

/** Row counts: per-loop averages are fractional on PostgreSQL 18 (0.5 rows). */
const count = (n: number) => (Number.isInteger(n) || Math.abs(n) >= 100 ? int(n) : String(Number(n.toFixed(2))));

/** Detail lines worth showing under a node, from the server's JSON (in this order). */
const DETAIL_KEYS = [
  'Index Cond',
  'Recheck Cond',
  'Hash Cond',
  'Merge Cond',
  'Join Filter',
  'Filter',
  'Rows Removed by Filter',
  'Rows Removed by Join Filter',
  'Rows Removed by Index Recheck',
  'Heap Fetches',
  'Sort Key',
  'Sort Method',
  'Sort Space Used',
  'Sort Space Type',
  'Presorted Key',
  'Group Key',
  'Hash Batches',
  'Original Hash Batches',
  'Peak Memory Usage',
  'Disk Usage',
  'Subplans Removed',
  'Workers Planned',
  'Workers Launched',
  'Strategy',
  'Join Type',
  'Scan Direction',
  'Parent Relationship',
  'Subplan Name',
  'CTE Name',
  'Function Name',
  'Output',
  'Temp Read Blocks',
  'Temp Written Blocks',
] as const;

function details(raw: unknown): [string, string][] {
  if (!raw || typeof raw !== 'object') return [];
  const r = raw as Record<string, unknown>;
  const out: [string, string][] = [];
  for (const key of DETAIL_KEYS) {
    const v = r[key];
    if (v === undefined || v === null || v === '') continue;
    out.push([key, Array.isArray(v) ? v.map(detailText).join(', ') : detailText(v)]);
  }
  return out;
}

/** A plan value as text: an object (in an array too) as its JSON, never as "[object Object]". */
function detailText(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function rawNumber(raw: unknown, key: string): number | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const v = (raw as Record<string, unknown>)[key];
  return num(v) ? v : undefined;
}

/** actual / estimated (per loop, as the server reports both); undefined without an actual count. */
function rowRatio(n: PanelNode): number | undefined {
  if (!num(n.actualRows) || !num(n.estRows)) return undefined;
  return Math.max(n.actualRows, 1) / Math.max(n.estRows, 1);
}

/** The misestimate's actual/estimated ratio as the model gives it. */
function givenRatio(n: PanelNode): number | undefined {
  const m = n.misestimate;
  if (num(m)) return m;
  if (m && typeof m === 'object' && num(m.ratio)) return m.ratio;
  return undefined;
}

function isMisestimate(n: PanelNode): boolean {
  if (n.misestimate === true || (n.misestimate && typeof n.misestimate === 'object')) return true;
  if (num(n.misestimate)) return n.misestimate >= 10 || n.misestimate <= 0.1;
  if (n.misestimate === false || n.neverExecuted) return false;
  const r = rowRatio(n);
  return r !== undefined && (r >= 10 || r <= 0.1);
}

/** "Seq Scan on events e", "Index Scan using events_pkey on events". */
export function nodeTitle(n: PanelNode): string {
  const prefix = n.subplanName ? `[${n.subplanName}] ` : '';
  if (n.label) return prefix + n.label;
  let s = prefix + n.nodeType;
  if (n.index) s += ` using ${n.index}`;
  if (n.relation) s += ` on ${n.relation}${n.alias && n.alias !== n.relation ? ` ${n.alias}` : ''}`;
  else if (n.alias) s += ` ${n.alias}`;
  return s;
}

interface Ctx {
  analyze: boolean;
  /** The denominator of the time bars (execution time, else the root's inclusive time). */
  totalMs: number;
  /** Cost of the root node, the denominator of the cost bars of a plain EXPLAIN. */
  totalCost: number;
  findingsByNode: Map<string, PanelFinding[]>;
  open: number;
  /** The prefix of the nodes' ids: a page with two plans gives each its own. */
  anchorPrefix?: string;
}

function renderNode(n: PanelNode, depth: number, ctx: Ctx, out: string[]): void {
  const anchor = nodeAnchor(n.id, ctx.anchorPrefix);
  const mis = isMisestimate(n);
  const findings = ctx.findingsByNode.get(String(n.id)) ?? [];
  const cls = ['node'];
  if (mis) cls.push('misestimated');
  if (findings.length > 0) cls.push('has-finding');

  const line: string[] = [];
  line.push(`<span class="title">${esc(nodeTitle(n))}</span>`);
  if (ctx.analyze && num(n.exclusiveMs)) {
    const pct = ctx.totalMs > 0 ? Math.min(100, Math.max(0, (n.exclusiveMs / ctx.totalMs) * 100)) : 0;
    const p = Math.round(pct * 10) / 10;
    line.push(
      `<meter class="bar" min="0" max="100" low="20" high="50" optimum="0" value="${p}" ` +
        `title="${esc(`${formatMs(n.exclusiveMs)} in this node (${p}% of the total)`)}"></meter>`,
      `<span class="time">${esc(formatMs(n.exclusiveMs))}<span class="pct"> ${p}%</span></span>`,
    );
  } else if (!ctx.analyze) {
    const cost = rawNumber(n.raw, 'Total Cost');
    if (cost !== undefined) {
      const p = ctx.totalCost > 0 ? Math.round(Math.min(100, (cost / ctx.totalCost) * 100) * 10) / 10 : 0;
      line.push(
        `<meter class="bar cost" min="0" max="100" value="${p}" title="${esc(`cost ${cost} (${p}% of the plan, inclusive)`)}"></meter>`,
        `<span class="cost">cost ${esc(cost.toFixed(2))}</span>`,
      );
    }
  }
  const rows: string[] = [];
  if (num(n.estRows)) rows.push(`est ${count(n.estRows)}`);
  if (n.neverExecuted) rows.push('never executed');
  else if (num(n.actualRows)) rows.push(`actual ${count(n.actualRows)}`);
  if (rows.length > 0) {
    let flag = '';
    if (mis) {
      const r = givenRatio(n) ?? rowRatio(n);
      const text = r === undefined ? 'misestimate' : r >= 1 ? `${int(r)}× under-estimated` : `${int(1 / r)}× over-estimated`;
      flag = ` <span class="misestimate" title="estimated and actual rows are 10× or more apart">${esc(text)}</span>`;
    }
    line.push(`<span class="rows">rows ${rows.join(' / ')}${flag}</span>`);
  }
  if (num(n.loops) && (n.loops !== 1 || ctx.analyze)) line.push(`<span class="loops">loops ${int(n.loops)}</span>`);
  if (num(n.sharedHit) || num(n.sharedRead)) {
    line.push(`<span class="buffers">buffers hit ${int(n.sharedHit ?? 0)} read ${int(n.sharedRead ?? 0)}</span>`);
  }
  if (findings.length > 0)
    line.push(
      `<span class="badge" title="${esc(findings.map((f) => f.rule).join(', '))}">${findings.length === 1 ? 'finding' : `${findings.length} findings`}</span>`,
    );

  const body: string[] = [];
  const det = details(n.raw);
  if (num(n.totalMs) && ctx.analyze) det.unshift(['Total time (inclusive, all loops)', formatMs(n.totalMs)]);
  if (det.length > 0) {
    body.push('<dl class="details">');
    for (const [k, v] of det) body.push(`<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`);
    body.push('</dl>');
  }
  for (const f of findings)
    body.push(`<p class="node-finding sev-${esc(f.severity ?? 'warning')}"><span class="rule">${esc(f.rule)}</span> ` + `${esc(f.message)}</p>`);

  const hasBody = body.length > 0 || n.children.length > 0;
  if (!hasBody) {
    out.push(`<div class="${cls.join(' ')} leaf" id="${anchor}"><div class="line">${line.join(' ')}</div></div>`);
    return;
  }
  ctx.open++;
  out.push(`<details class="${cls.join(' ')}" id="${anchor}"${depth < 12 ? ' open' : ''}><summary class="line">${line.join(' ')}</summary>`);
  out.push(...body);
  if (n.children.length > 0) {
    out.push('<div class="children">');
    for (const c of n.children) renderNode(c, depth + 1, ctx, out);
    out.push('</div>');
  }
  out.push('</details>');
}

function walkNodes(n: PanelNode, f: (n: PanelNode) => void): void {
  const stack = [n];
  while (stack.length > 0) {
    const x = stack.pop()!;
    f(x);
    for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]);
  }
}

/**
 * One plan's tree (EXPLAIN ANALYZE), without the page around it: for a page that shows two plans, each with its
 * own `anchorPrefix`. Its findings are shown at their nodes.
 */
export function planTreeHtml(result: Pick<PanelResult, 'tree' | 'findings' | 'executionMs'>, anchorPrefix: string): string[] {
  const findingsByNode = new Map<string, PanelFinding[]>();
  for (const f of result.findings) findingsByNode.set(String(f.nodeId ?? ''), [...(findingsByNode.get(String(f.nodeId ?? '')) ?? []), f]);
  const totalMs = num(result.executionMs) && result.executionMs > 0 ? result.executionMs : (result.tree.totalMs ?? 0);
  const ctx: Ctx = { analyze: true, totalMs, totalCost: rawNumber(result.tree.raw, 'Total Cost') ?? 0, findingsByNode, open: 0, anchorPrefix };
  const out: string[] = [];
  renderNode(result.tree, 0, ctx, out);
  return out;
}

/** The whole document for the webview. */
export function buildExplainHtml(result: PanelResult, opts: PanelOptions): string {
  const analyze = opts.analyze ?? num(result.executionMs);
  const findingsByNode = new Map<string, PanelFinding[]>();
  for (const f of result.findings) {
    const key = String(f.nodeId ?? '');
    const list = findingsByNode.get(key);
    if (list) list.push(f);
    else findingsByNode.set(key, [f]);
  }
  let hit = 0;
  let read = 0;
  let nodes = 0;
  walkNodes(result.tree, (n) => {
    nodes++;
    hit += n.sharedHit ?? 0;
    read += n.sharedRead ?? 0;
  });
  // Buffers are cumulative (a parent counts its children's): the root's are the statement's.
  const rootHit = result.tree.sharedHit;
  const rootRead = result.tree.sharedRead;
  const totalMs = num(result.executionMs) && result.executionMs > 0 ? result.executionMs : (result.tree.totalMs ?? 0);
  const ctx: Ctx = { analyze, totalMs, totalCost: rawNumber(result.tree.raw, 'Total Cost') ?? 0, findingsByNode, open: 0 };

  const title = analyze ? 'EXPLAIN ANALYZE' : 'EXPLAIN';
  const h: string[] = [];
  h.push(
    ...documentStart(opts.cspSource, opts.styleUris),
    `<title>${title}</title>`,
    '</head>',
    '<body>',
    '<header class="head">',
    `<h1>${title}</h1>`,
    '<div class="actions">',
    '<button type="button" id="copy-text" class="action">Copy as text</button>',
    '<button type="button" id="expand-all" class="action secondary">Expand all</button>',
    '<button type="button" id="collapse-all" class="action secondary">Collapse all</button>',
    '</div>',
    '</header>',
  );

  // Which database, and the times.
  const facts: string[] = [`<div><dt>Database</dt><dd class="database">${esc(result.database)}</dd></div>`];
  if (num(result.planningMs)) facts.push(`<div><dt>Planning</dt><dd class="planning">${esc(formatMs(result.planningMs))}</dd></div>`);
  if (num(result.executionMs)) facts.push(`<div><dt>Execution</dt><dd class="execution">${esc(formatMs(result.executionMs))}</dd></div>`);
  if (num(rootHit) || num(rootRead)) {
    const h0 = rootHit ?? 0;
    const r0 = rootRead ?? 0;
    const ratio = h0 + r0 > 0 ? `${((h0 / (h0 + r0)) * 100).toFixed(1)}%` : 'n/a';
    facts.push(`<div><dt>Buffers</dt><dd class="buffers-total">hit ${int(h0)} · read ${int(r0)} · cache hit ${ratio}</dd></div>`);
  } else if (hit + read > 0) {
    facts.push(`<div><dt>Buffers</dt><dd class="buffers-total">hit ${int(hit)} · read ${int(read)}</dd></div>`);
  }
  facts.push(`<div><dt>Nodes</dt><dd>${int(nodes)}</dd></div>`);
  if (opts.synthetic) facts.push(`<div><dt>Data</dt><dd class="synthetic">${esc(opts.synthetic)}</dd></div>`);
  if (opts.params === 'generic') facts.push('<div><dt>Parameters</dt><dd class="params">generic plan (no values)</dd></div>');
  else if (opts.params && opts.params.length > 0) {
    facts.push(`<div><dt>Parameters</dt><dd class="params">${opts.params.map((p, i) => `$${i + 1} = ${esc(p)}`).join(', ')}</dd></div>`);
  }
  h.push(`<dl class="facts">${facts.join('')}</dl>`);

  if (result.warnings && result.warnings.length > 0) {
    h.push('<ul class="warnings">', ...result.warnings.map((w) => `<li>${esc(w)}</li>`), '</ul>');
  }

  // Findings first: what to fix.
  h.push('<section class="findings" aria-label="Findings">');
  if (result.findings.length === 0) h.push('<h2>Findings</h2><p class="none">No findings in this plan.</p>');
  else {
    h.push(`<h2>Findings (${result.findings.length})</h2>`, '<ul>');
    for (const f of result.findings) {
      const target = f.nodeId !== undefined ? ` data-target="${nodeAnchor(f.nodeId)}"` : '';
      h.push(
        `<li class="finding sev-${esc(f.severity ?? 'warning')}">`,
        `<button type="button" class="goto"${target} title="Show the node in the plan">${esc(f.node)}</button>`,
        ` <span class="rule">${esc(f.rule)}</span>`,
        `<p class="message">${esc(f.message)}</p>`,
        '</li>',
      );
    }
    h.push('</ul>');
  }
  h.push('</section>');

  h.push('<section class="query" aria-label="Query">', '<h2>Query</h2>', `<pre><code>${esc(result.sql)}</code></pre>`, '</section>');

  h.push(
    '<div class="tabs" role="tablist">',
    '<button type="button" role="tab" class="tab" id="tab-plan" aria-controls="panel-plan" aria-selected="true">Plan</button>',
    '<button type="button" role="tab" class="tab" id="tab-json" aria-controls="panel-json" aria-selected="false">Raw JSON</button>',
    '</div>',
    '<section class="tabpanel plan" id="panel-plan" role="tabpanel" aria-labelledby="tab-plan">',
  );
  const tree: string[] = [];
  renderNode(result.tree, 0, ctx, tree);
  h.push(...tree, '</section>');
  h.push(
    '<section class="tabpanel json" id="panel-json" role="tabpanel" aria-labelledby="tab-json" hidden>',
    `<pre><code>${escText(JSON.stringify(result.plan, null, 2) ?? '')}</code></pre>`,
    '</section>',
  );
  h.push(`<script src="${esc(opts.scriptUri)}"></script>`, '</body>', '</html>');
  return h.join('\n');
}

/** A page for a failed explain (the error text is the server's: escaped like everything else). */
export function buildErrorHtml(err: { database: string; sql: string; message: string }, opts: PanelOptions): string {
  return [
    ...documentStart(opts.cspSource, opts.styleUris),
    '<title>EXPLAIN failed</title>',
    '</head>',
    '<body>',
    '<header class="head"><h1>EXPLAIN failed</h1></header>',
    `<dl class="facts"><div><dt>Database</dt><dd class="database">${esc(err.database)}</dd></div></dl>`,
    `<p class="error">${esc(err.message)}</p>`,
    '<section class="query"><h2>Query</h2>',
    `<pre><code>${esc(err.sql)}</code></pre>`,
    '</section>',
    '</body>',
    '</html>',
  ].join('\n');
}

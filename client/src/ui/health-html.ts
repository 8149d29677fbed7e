/**
 * The Database Health panel's HTML as a pure function of a health run (database/health/run.ts `HealthReport`) and
 * the samples the panel kept over its life (no vscode import: unit-tested in test/ui/).
 *
 * Security: every string that comes from the database or the checks (labels, object names, messages, evidence,
 * fix SQL, skip reasons, error text) goes through `esc`, under the same strict CSP as the EXPLAIN panel: no
 * inline script, no style attribute; the trend plot is inline SVG drawn with presentation attributes and classes.
 * The fix SQL is shown in a <pre> with Copy / Open in Editor buttons (client/media/health.js posts their index);
 * nothing on the page, nor in the extension, runs it.
 */
import { HEALTH_CHECKS } from '../../../database/index';
import type { CodeLinkInfo, CodeLinksParams, CodeLinksResult } from '../../../protocol/index';
import { documentStart, esc, formatMs } from '../../../render/html';

type Severity = 'error' | 'warning' | 'info';
type EvidenceValue = string | number | boolean | null;

/** The parts of a finding (database/health/types.ts `HealthFinding`) the panel shows. */
export interface HealthPanelFinding {
  severity: Severity;
  object?: string;
  message: string;
  evidence: Readonly<Record<string, EvidenceValue>>;
  fix?: string;
}

/** The parts of a check's result (database/health/run.ts `CheckResult`) the panel shows. */
export interface HealthPanelCheck {
  id: string;
  title: string;
  status: 'ok' | 'findings' | 'skipped' | 'failed';
  reason?: string;
  findings: readonly HealthPanelFinding[];
  notes: readonly string[];
  durationMs: number;
}

/** The parts of a health run (database/health/run.ts `HealthReport`) the panel shows. */
export interface HealthPanelReport {
  database: { label: string; kind: string; serverVersion: string; user: string };
  checks: readonly HealthPanelCheck[];
  /** The numbers read on every run (database/health/run.ts `HealthVitals`); absent in a report made before them. */
  vitals?: { cacheHitPercent?: number; clientConnections?: number; maxConnections?: number; deadTuples?: number };
  summary: Record<Severity, number> & { skipped: number; failed: number };
}

/**
 * The numbers of one run the trend plots: the run's vitals (read on every run), else what the checks' evidence
 * holds; absent when the run has neither (a number is never made up).
 */
export interface HealthSample {
  /** When the run finished (ms since the epoch). */
  at: number;
  /** The database's cache hit ratio, in %. */
  cacheHitPercent?: number;
  /** Client connections to the server. */
  clientConnections?: number;
  /** Dead tuples over the user tables. */
  deadTuples?: number;
}

const CATEGORY_LABEL: Record<string, string> = {
  cache: 'Cache',
  indexes: 'Indexes',
  vacuum: 'Vacuum',
  sessions: 'Sessions',
  queries: 'Queries',
  partitioning: 'Partitioning',
  settings: 'Settings',
  pgvector: 'pgvector',
};
const categoryOf = new Map(HEALTH_CHECKS.map((c) => [c.id, c.category as string]));

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The three trend numbers a run holds (see HealthSample); a series the run has no number for stays absent. */
export function sampleOf(report: Pick<HealthPanelReport, 'checks' | 'vitals'>, at: number): HealthSample {
  const sample: HealthSample = { at };
  const v = report.vitals;
  if (v && [v.cacheHitPercent, v.clientConnections, v.deadTuples].some(finite)) {
    if (finite(v.cacheHitPercent)) sample.cacheHitPercent = v.cacheHitPercent;
    if (finite(v.clientConnections)) sample.clientConnections = v.clientConnections;
    if (finite(v.deadTuples)) sample.deadTuples = v.deadTuples;
    return sample;
  }
  const check = (id: string) => report.checks.find((c) => c.id === id && c.status === 'findings');
  const first = (id: string, key: string) =>
    check(id)
      ?.findings.map((f) => f.evidence[key])
      .find(finite);
  const cache = first('cache-hit-ratio', 'hitRatioPercent');
  if (cache !== undefined) sample.cacheHitPercent = cache;
  const used = first('connections', 'clientConnections');
  if (used !== undefined) sample.clientConnections = used;
  const dead = check('dead-tuples')
    ?.findings.map((f) => f.evidence.deadTuples)
    .filter(finite);
  if (dead && dead.length > 0) sample.deadTuples = dead.reduce((a, b) => a + b, 0);
  return sample;
}

/** The checks that ran, grouped by category, in CATEGORY_LABEL's order (a check pgperf does not know: last). */
function groupsOf(report: Pick<HealthPanelReport, 'checks'>): Map<string, HealthPanelCheck[]> {
  const groups = new Map<string, HealthPanelCheck[]>([...Object.keys(CATEGORY_LABEL), 'other'].map((cat) => [cat, []]));
  for (const c of report.checks) {
    if (c.status === 'skipped' || c.status === 'failed') continue;
    groups.get(categoryOf.get(c.id) ?? 'other')!.push(c);
  }
  for (const [cat, checks] of groups) if (checks.length === 0) groups.delete(cat);
  return groups;
}

/** The fix SQL of a report, in the order of the page's Copy / Open in Editor buttons (their `data-index`). */
export function fixesOf(report: Pick<HealthPanelReport, 'checks'>): string[] {
  const out: string[] = [];
  for (const checks of groupsOf(report).values()) for (const c of checks) for (const f of c.findings) if (f.fix) out.push(f.fix);
  return out;
}

/** What a finding points at in the code: a statement pg_stat_statements reports, or an index by its name. */
export type LinkTarget = { query: string } | { index: { schema?: string; name: string } } | undefined;

/** Splits `schema.name` as the checks print it (quoted where needed: `public."x""y"`). */
export function splitQualified(text: string): { schema?: string; name: string } | undefined {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^".\s]+))\s*(\.|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
    at = re.lastIndex;
    if (m[3] === '') break;
  }
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  return undefined;
}

/**
 * For each finding, in page order (the order of groupsOf, as the page numbers them): what it points at in the
 * code — the query of a top-queries finding, the index of an unused or duplicate index — or undefined.
 */
export function linkTargetsOf(report: Pick<HealthPanelReport, 'checks'>): LinkTarget[] {
  const out: LinkTarget[] = [];
  for (const checks of groupsOf(report).values()) {
    for (const c of checks) {
      for (const f of c.findings) {
        const query = f.evidence.query;
        const index = f.evidence.index;
        if (c.id === 'top-queries' && typeof query === 'string') out.push({ query });
        else if ((c.id === 'unused-indexes' || c.id === 'duplicate-indexes') && typeof index === 'string') {
          const q = splitQualified(index);
          out.push(q ? { index: q } : undefined);
        } else out.push(undefined);
      }
    }
  }
  return out;
}

/** Where a finding's object is in the workspace (the language server's answer to pgperf/codeLinks). */
export interface HealthCodeLink {
  path: string;
  /** 0-based, as the protocol's ranges. */
  line: number;
  findings: readonly { ruleId: string; severity: string; message: string }[];
  /** A statement (EXPLAIN is offered), not a CREATE INDEX. */
  query: boolean;
}

/** Asks the language server where the database's statements and indexes are in the workspace (undefined: it cannot). */
export type CodeLinksAsk = (params: CodeLinksParams) => Promise<CodeLinksResult | undefined>;

/** The links of a report, per finding in page order, and flat in the order the page numbers them. */
export async function linksOf(
  report: Pick<HealthPanelReport, 'checks'>,
  ask: CodeLinksAsk | undefined,
): Promise<{ perFinding: HealthCodeLink[][]; flat: CodeLinkInfo[] }> {
  const targets = linkTargetsOf(report);
  const perFinding: HealthCodeLink[][] = targets.map(() => []);
  const flat: CodeLinkInfo[] = [];
  const queries = targets.flatMap((t) => (t && 'query' in t ? [t.query] : []));
  const indexes = targets.flatMap((t) => (t && 'index' in t ? [t.index] : []));
  if (!ask || (queries.length === 0 && indexes.length === 0)) return { perFinding, flat };
  const answer = await ask({ queries, indexes });
  if (!answer) return { perFinding, flat };
  let q = 0;
  let i = 0;
  targets.forEach((t, n) => {
    const found = !t ? [] : 'query' in t ? (answer.queries[q++] ?? []) : [answer.indexes[i++]].filter((x): x is CodeLinkInfo => !!x);
    for (const l of found) {
      perFinding[n]!.push({ path: l.path, line: l.range.start.line, findings: l.findings, query: !!t && 'query' in t });
      flat.push(l);
    }
  });
  return { perFinding, flat };
}

/** What the page may ask (client/media/health.js); anything else is ignored. */
export type HealthMessage =
  | { type: 'copy' | 'open'; index: number }
  | { type: 'refresh' }
  | { type: 'autoRefresh'; on: boolean }
  | { type: 'goto'; link: number }
  | { type: 'explain'; link: number };

export function parseHealthMessage(m: unknown): HealthMessage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const r = m as Record<string, unknown>;
  if ((r.type === 'copy' || r.type === 'open') && typeof r.index === 'number' && Number.isInteger(r.index) && r.index >= 0) {
    return { type: r.type, index: r.index };
  }
  if ((r.type === 'goto' || r.type === 'explain') && typeof r.link === 'number' && Number.isInteger(r.link) && r.link >= 0) {
    return r.type === 'goto' ? { type: 'goto', link: r.link } : { type: 'explain', link: r.link };
  }
  if (r.type === 'refresh') return { type: 'refresh' };
  if (r.type === 'autoRefresh' && typeof r.on === 'boolean') return { type: 'autoRefresh', on: r.on };
  return undefined;
}

export interface HealthView {
  /** The latest run; absent when it failed (then `error` says why). */
  report?: HealthPanelReport;
  error?: string;
  /** Which database, for the error page (the report names it otherwise). */
  database?: string;
  /** One per run of the panel's life, oldest first. */
  samples: readonly HealthSample[];
  autoRefresh: boolean;
  autoRefreshSeconds: number;
  /** When the latest run finished (ms since the epoch). */
  at: number;
  /** A run is under way (the first one: the page has nothing else to show yet). */
  running?: boolean;
  /**
   * For each finding in page order (linkTargetsOf's), where it is in the code; the links are numbered across the
   * page in this order (the `data-link` of their buttons).
   */
  links?: readonly (readonly HealthCodeLink[])[];
}

export interface HealthPageOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Webview URIs (as strings) of the stylesheets (client/media/panel.css, health.css). */
  styleUris: readonly string[];
  /** client/media/health.js. */
  scriptUri: string;
  /** A time for people (default: hh:mm:ss UTC). */
  time?: (ms: number) => string;
}

const utcTime = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

/** 12345.6 → "12,346"; fractions keep two decimals. */
function number(n: number): string {
  if (!Number.isInteger(n)) return String(Number(n.toFixed(2)));
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function evidenceText(v: EvidenceValue): string {
  if (v === null) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return number(v);
  return v;
}

/** `hitRatioPercent` → "hit ratio percent". */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function renderLinks(links: readonly HealthCodeLink[], linkIndex: () => number, out: string[]): void {
  out.push('<div class="code-links"><span class="code-label">In the code</span><ul>');
  for (const l of links) {
    const i = linkIndex();
    const li = [
      '<li>',
      `<button type="button" class="action secondary goto-code" data-link="${i}">${esc(`${l.path}:${l.line + 1}`)}</button>`,
      l.query ? ` <button type="button" class="action secondary explain-code" data-link="${i}">Explain Analyze</button>` : '',
    ];
    if (l.findings.length > 0) {
      li.push('<ul class="lint">');
      for (const f of l.findings) li.push(`<li class="sev-${esc(f.severity)}"><span class="rule">${esc(f.ruleId)}</span> ${esc(f.message)}</li>`);
      li.push('</ul>');
    } else if (l.query) li.push(' <span class="none">no lint findings</span>');
    li.push('</li>');
    out.push(li.join(''));
  }
  out.push('</ul></div>');
}

function renderFinding(f: HealthPanelFinding, fixIndex: () => number, out: string[], links?: readonly HealthCodeLink[], linkIndex?: () => number): void {
  const sev = f.severity === 'error' || f.severity === 'info' ? f.severity : 'warning';
  out.push(`<li class="finding sev-${sev}">`, `<p class="message"><span class="severity">${sev}</span> `);
  // The object, unless the message names it already (most do).
  if (f.object && !f.message.includes(f.object)) out.push(`<span class="object">${esc(f.object)}</span> `);
  out.push(`${esc(f.message)}</p>`);
  const evidence = Object.entries(f.evidence);
  if (evidence.length > 0) {
    out.push('<dl class="evidence">');
    for (const [k, v] of evidence) out.push(`<div><dt>${esc(words(k))}</dt><dd>${esc(evidenceText(v))}</dd></div>`);
    out.push('</dl>');
  }
  if (links && links.length > 0 && linkIndex) renderLinks(links, linkIndex, out);
  if (f.fix) {
    const i = fixIndex();
    out.push(
      '<div class="fix">',
      '<div class="fix-head"><span class="fix-label">Fix (shown, never run by pgperf)</span>',
      `<button type="button" class="action secondary copy-fix" data-index="${i}">Copy</button>`,
      `<button type="button" class="action secondary open-fix" data-index="${i}">Open in Editor</button></div>`,
      `<pre><code>${esc(f.fix)}</code></pre>`,
      '</div>',
    );
  }
  out.push('</li>');
}

// ---------------------------------------------------------------------------------------------------------------
// The trend

interface Series {
  key: 'cacheHitPercent' | 'clientConnections' | 'deadTuples';
  title: string;
  unit: string;
}

const SERIES: readonly Series[] = [
  { key: 'cacheHitPercent', title: 'Cache hit ratio', unit: '%' },
  { key: 'clientConnections', title: 'Client connections', unit: '' },
  { key: 'deadTuples', title: 'Dead tuples (tables reported)', unit: '' },
];

const f1 = (x: number) => String(Math.round(x * 10) / 10);

/** One series over the panel's life: a line through a point per sample that has the number; undefined when none has. */
function trendSvg(s: Series, samples: readonly HealthSample[], time: (ms: number) => string): string | undefined {
  const points = samples.filter((x) => finite(x[s.key])).map((x) => ({ at: x.at, v: x[s.key] as number }));
  if (points.length === 0) return undefined;
  const width = 480;
  const height = 140;
  const left = 56;
  const right = 12;
  const top = 12;
  const bottom = 28;
  const t0 = samples[0].at;
  const t1 = samples[samples.length - 1].at;
  let lo = Math.min(...points.map((p) => p.v));
  let hi = Math.max(...points.map((p) => p.v));
  if (hi === lo) {
    const pad = Math.max(1, Math.abs(hi) * 0.05);
    lo -= pad;
    hi += pad;
  }
  const xAt = (t: number) => (t1 > t0 ? left + ((t - t0) / (t1 - t0)) * (width - left - right) : left + (width - left - right) / 2);
  const yAt = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  const label = (v: number) => `${number(Math.round(v * 100) / 100)}${s.unit ? ` ${s.unit}` : ''}`;
  const id = `trend-${s.key}`;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="trend" id="${id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title" font-family="inherit" font-size="11" fill="currentColor">`,
    `<title id="${id}-title">${esc(`${s.title}: ${plural(points.length, 'sample')}`)}</title>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="currentColor" stroke-opacity="0.4"/>`,
    `<line class="axis" x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="currentColor" stroke-opacity="0.4"/>`,
    `<text x="${left - 6}" y="${f1(yAt(hi) + 4)}" text-anchor="end">${esc(label(hi))}</text>`,
    `<text x="${left - 6}" y="${f1(yAt(lo) + 4)}" text-anchor="end">${esc(label(lo))}</text>`,
    `<text x="${left}" y="${height - 8}" text-anchor="start">${esc(time(t0))}</text>`,
  ];
  if (t1 > t0) out.push(`<text x="${width - right}" y="${height - 8}" text-anchor="end">${esc(time(t1))}</text>`);
  if (points.length > 1) {
    out.push(
      `<polyline class="series ${s.key}" points="${points.map((p) => `${f1(xAt(p.at))},${f1(yAt(p.v))}`).join(' ')}" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>`,
    );
  }
  for (const p of points) {
    out.push(
      `<circle class="point ${s.key}" cx="${f1(xAt(p.at))}" cy="${f1(yAt(p.v))}" r="3.5" fill="currentColor"><title>${esc(`${time(p.at)}: ${label(p.v)}`)}</title></circle>`,
    );
  }
  out.push('</svg>');
  return out.join('');
}

function renderTrend(samples: readonly HealthSample[], time: (ms: number) => string, out: string[]): void {
  out.push('<section class="trend-section" aria-label="Trend">', `<h2>Trend over this panel's life (${plural(samples.length, 'run')})</h2>`);
  const charts = SERIES.map((s) => ({ s, svg: trendSvg(s, samples, time) }));
  const shown = charts.filter((c) => c.svg !== undefined);
  if (shown.length === 0) {
    out.push('<p class="none">No sampled values yet: the database gave no cache hit ratio, connection count or dead tuples.</p>');
  } else {
    out.push('<div class="trends">');
    for (const c of shown) out.push(`<figure class="chart"><figcaption>${esc(c.s.title)}</figcaption>${c.svg}</figure>`);
    out.push('</div>');
    const absent = charts.filter((c) => c.svg === undefined).map((c) => c.s.title.toLowerCase());
    if (absent.length > 0) out.push(`<p class="note">Not reported by any run so far: ${esc(absent.join(', '))}.</p>`);
  }
  out.push('</section>');
}

// ---------------------------------------------------------------------------------------------------------------
// The page

function header(view: HealthView): string[] {
  return [
    '<header class="head">',
    '<h1>Database Health</h1>',
    '<div class="actions">',
    '<button type="button" id="refresh" class="action">Refresh</button>',
    `<label class="auto"><input type="checkbox" id="auto-refresh"${view.autoRefresh ? ' checked' : ''}> Auto-refresh every ${esc(number(view.autoRefreshSeconds))} s</label>`,
    '</div>',
    '</header>',
  ];
}

/** The whole document for the webview. */
export function buildHealthHtml(view: HealthView, opts: HealthPageOptions): string {
  const time = opts.time ?? utcTime;
  const h: string[] = [...documentStart(opts.cspSource, opts.styleUris), '<title>Database Health</title>', '</head>', '<body class="health">'];
  h.push(...header(view));
  const r = view.report;
  const database = r?.database.label ?? view.database ?? '';
  const facts = [`<div><dt>Database</dt><dd class="database">${esc(database)}</dd></div>`];
  if (r) {
    facts.push(
      `<div><dt>Server</dt><dd>${esc(r.database.serverVersion)}${r.database.kind === 'embedded' ? ' (embedded)' : ''}</dd></div>`,
      `<div><dt>Role</dt><dd>${esc(r.database.user)}</dd></div>`,
    );
  }
  facts.push(`<div><dt>Checked</dt><dd class="checked-at">${esc(time(view.at))}</dd></div>`);
  h.push(`<dl class="facts">${facts.join('')}</dl>`);

  if (view.running) h.push('<p class="running">Running the health checks (read-only)…</p>');
  if (view.error !== undefined) h.push(`<p class="error">${esc(view.error)}</p>`);
  if (r) {
    const s = r.summary;
    h.push(
      `<p class="summary">${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${s.info} info; ${s.skipped} skipped, ${s.failed} failed (of ${plural(r.checks.length, 'check')}). Fix SQL is shown, never run.</p>`,
    );

    // The checks that ran, grouped by category; the fixes numbered in fixesOf's order.
    let next = 0;
    const fixIndex = () => next++;
    let finding = 0;
    let nextLink = 0;
    const linkIndex = () => nextLink++;
    for (const [cat, checks] of groupsOf(r)) {
      h.push(`<section class="group" aria-label="${esc(CATEGORY_LABEL[cat] ?? 'Other')}">`, `<h2>${esc(CATEGORY_LABEL[cat] ?? 'Other')}</h2>`);
      for (const c of checks) {
        const badge = c.status === 'ok' ? 'ok' : plural(c.findings.length, 'finding');
        h.push(
          `<details class="check status-${c.status}"${c.status === 'findings' ? ' open' : ''}>`,
          `<summary><span class="badge">${esc(badge)}</span> <span class="check-title">${esc(c.title)}</span> <span class="check-id">${esc(c.id)}</span> <span class="duration">${esc(c.durationMs < 1000 ? `${Math.round(c.durationMs)} ms` : formatMs(c.durationMs))}</span></summary>`,
        );
        if (c.findings.length > 0) {
          h.push('<ul class="findings">');
          for (const f of c.findings) renderFinding(f, fixIndex, h, view.links?.[finding++], linkIndex);
          h.push('</ul>');
        } else if (c.notes.length === 0) h.push('<p class="none">Nothing to report.</p>');
        for (const n of c.notes) h.push(`<p class="note">${esc(n)}</p>`);
        h.push('</details>');
      }
      h.push('</section>');
    }

    const notRun = r.checks.filter((c) => c.status === 'skipped' || c.status === 'failed');
    if (notRun.length > 0) {
      h.push('<section class="not-run" aria-label="Could not run">', `<h2>Could not run (${notRun.length})</h2>`, '<ul>');
      for (const c of notRun) {
        h.push(
          `<li class="status-${c.status}"><span class="badge">${c.status}</span> <span class="check-title">${esc(c.title)}</span> <span class="check-id">${esc(c.id)}</span>`,
          `<p class="reason">${esc(c.reason ?? 'no reason given')}</p></li>`,
        );
      }
      h.push('</ul>', '</section>');
    }
  }

  renderTrend(view.samples, time, h);
  h.push(`<script src="${esc(opts.scriptUri)}"></script>`, '</body>', '</html>');
  return h.join('\n');
}

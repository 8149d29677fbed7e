/**
 * The benchmark report pages (HNSW sweep, RLS overhead) as pure functions of a report, and the CSV export. No
 * `vscode` import: the webview (client/src/ui/bench-panel.ts) and the tests call these directly.
 *
 * Security, as the EXPLAIN panel (client/src/ui/explain-html.ts; both take `esc` from render/html.ts): every string from the
 * database, the user or the report (database label, table/column names, plan text, query names) is escaped; the
 * page carries a strict CSP without a nonce (`default-src 'none'`, styles and scripts only from the webview's own
 * origin); no inline script and no `style` attribute (the plots are inline SVG with presentation attributes only).
 * Styles in client/media/bench.css, the Export buttons' script in client/media/bench.js.
 */
import { documentStart, esc, formatMs } from '../../render/html';
import { quoteIdentIfNeeded } from '../connection/quote';
import { BENCH_METRICS, type VectorOperator } from '../explain/pgvector';
import { buildSvg, formatBytes, recallQpsSvg, rlsSvg } from './report-svg';
import { paretoFront } from './stats';
import { type BenchReport, databaseLabel, type HnswReport, type HnswResult, isHnswReport, type RlsReport } from './report-types';

export interface ReportPageOptions {
  /** `webview.cspSource` (absent: a standalone file, e.g. written by the CLI: styles from styleUris only). */
  cspSource?: string;
  /** URIs of the stylesheets, in order: client/media/panel.css, bench.css. */
  styleUris?: readonly string[];
  /** URI of client/media/bench.js (the Export buttons); absent: no buttons, no script. */
  scriptUri?: string;
}

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** 12345.6 → "12,346". */
function int(n: number): string {
  if (!num(n)) return String(n);
  const s = String(Math.round(Math.abs(n)));
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 && Math.round(n) !== 0 ? `-${grouped}` : grouped;
}

const ms = (v: number) => (num(v) ? formatMs(v) : '–');
const pct = (v: number) => (num(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)} %` : '–');
const ci = (c: readonly [number, number]) => (num(c[0]) && num(c[1]) ? `${c[0].toFixed(1)} … ${c[1].toFixed(1)} %` : '–');
const recall = (v: number) => (num(v) ? v.toFixed(3) : '–');

/** The document's head and header (title and, with a script, the Export buttons). */
function page(title: string, opts: ReportPageOptions, body: string[]): string {
  const h = documentStart(opts.cspSource ?? "'self'", opts.styleUris ?? []);
  h.push(`<title>${esc(title)}</title>`, '</head>', '<body class="bench">', '<header class="head">', `<h1>${esc(title)}</h1>`);
  if (opts.scriptUri) {
    h.push(
      '<div class="actions">',
      '<button type="button" id="export-json" class="action">Export JSON</button>',
      '<button type="button" id="export-csv" class="action secondary">Export CSV</button>',
      '</div>',
    );
  }
  h.push('</header>', ...body);
  if (opts.scriptUri) h.push(`<script src="${esc(opts.scriptUri)}"></script>`);
  h.push('</body>', '</html>');
  return h.join('\n');
}

function facts(items: [string, string, string?][]): string {
  return `<dl class="facts">${items.map(([k, v, cls]) => `<div><dt>${esc(k)}</dt><dd${cls ? ` class="${esc(cls)}"` : ''}>${esc(v)}</dd></div>`).join('')}</dl>`;
}

/** The metric's operator and operator class; undefined for a name the benchmark does not know. */
function metricOf(metric: string): VectorOperator | undefined {
  return Object.hasOwn(BENCH_METRICS, metric) ? BENCH_METRICS[metric as keyof typeof BENCH_METRICS] : undefined;
}

/** "cosine distance (<=>)" */
function metricLabel(metric: string): string {
  const m = metricOf(metric);
  return m ? `${m.label} (${m.operator})` : metric;
}

/** The SQL the recommendation amounts to (identifiers quoted when the user's; a placeholder otherwise). */
export function recommendationSql(report: HnswReport): string | undefined {
  const r = report.recommendation;
  if (!r) return undefined;
  const table = report.params.table ? report.params.table.split('.').map(quoteIdentIfNeeded).join('.') : 'items';
  const column = report.params.column ? quoteIdentIfNeeded(report.params.column) : 'embedding';
  const ops = metricOf(report.params.metric)?.opclass ?? 'vector_l2_ops';
  return [
    `CREATE INDEX CONCURRENTLY ON ${table} USING hnsw (${column} ${ops}) WITH (m = ${r.m}, ef_construction = ${r.efConstruction});`,
    `-- per transaction, before the query:`,
    `SET LOCAL hnsw.ef_search = ${r.efSearch};`,
  ].join('\n');
}

/** The HNSW sweep's page. */
export function buildHnswHtml(report: HnswReport, opts: ReportPageOptions = {}): string {
  const p = report.params;
  const body: string[] = [];
  const data = p.table
    ? `${p.table}.${p.column ?? '?'} (sampled: ${int(p.count)} vectors, ${p.dim} dimensions)`
    : `${int(p.count)} × ${p.dim}-dimensional ${p.distribution} vectors (seed ${p.seed})`;
  body.push(
    facts([
      ['Database', databaseLabel(report), 'database'],
      ['Data', data],
      ...(report.pgvectorVersion ? ([['pgvector', report.pgvectorVersion]] as [string, string][]) : []),
      ['Distance', metricLabel(p.metric)],
      ['Queries', `${int(p.queries)} held-out vectors, k = ${p.k}`],
      ['Recall target', String(p.recallTarget)],
      ['Configurations', `${int(p.m.length * p.efConstruction.length)} indexes × ${p.efSearch.length} ef_search = ${int(report.results.length)} results`],
      ['Total time', ms(report.totalMs)],
      ['Started', report.startedAt],
    ]),
  );

  // The recommendation first: what to do.
  body.push('<section class="recommendation" aria-label="Recommendation">', '<h2>Recommendation</h2>');
  const rec = report.recommendation;
  if (rec) {
    body.push(
      `<p class="verdict ok">${esc(`m = ${rec.m}, ef_construction = ${rec.efConstruction}, ef_search = ${rec.efSearch}`)}: recall@${esc(p.k)} ${esc(recall(rec.recall))} ≥ ${esc(p.recallTarget)}, latency p50 ${esc(ms(rec.p50Ms))} · p95 ${esc(ms(rec.p95Ms))} · p99 ${esc(ms(rec.p99Ms))}, ${esc(int(rec.qps))} queries/s; build ${esc(ms(rec.buildMs))}, index ${esc(formatBytes(rec.indexBytes))}.</p>`,
    );
    if (rec.reason) body.push(`<p class="reason">${esc(rec.reason)}</p>`);
    body.push(`<pre><code>${esc(recommendationSql(report) ?? '')}</code></pre>`);
  } else {
    const best = report.results.reduce<HnswResult | undefined>((b, r) => (num(r.recall) && (!b || r.recall > b.recall) ? r : b), undefined);
    body.push(
      `<p class="verdict bad">No configuration reached recall@${esc(p.k)} ≥ ${esc(p.recallTarget)}.${best ? ` The best: m = ${esc(best.m)}, ef_construction = ${esc(best.efConstruction)}, ef_search = ${esc(best.efSearch)} with recall ${esc(recall(best.recall))}. Try a larger ef_search, m or ef_construction.` : ''}</p>`,
    );
  }
  body.push('</section>');

  body.push(
    '<section class="chart" aria-label="Recall against QPS">',
    '<h2>Recall against queries per second</h2>',
    `<figure>${recallQpsSvg(report)}</figure>`,
    '</section>',
  );
  body.push(
    '<section class="chart" aria-label="Build time and index size">',
    '<h2>Build time and index size</h2>',
    `<figure>${buildSvg(report)}</figure>`,
    '</section>',
  );

  // Memory formula beside the measured size.
  body.push(
    '<section class="memory" aria-label="Memory">',
    '<h2>Index size: the guide’s formula and the measurement</h2>',
    `<p class="note">Formula: ((m × 2) × 4 + dim × 4) bytes per vector × ${esc(int(p.count))} vectors; measured: <code>pg_relation_size</code> of the index.</p>`,
    '<table class="data"><thead><tr><th>m</th><th>ef_construction</th><th>formula</th><th>measured</th><th>measured / formula</th></tr></thead><tbody>',
  );
  for (const row of report.memoryFormula) {
    const ratio = row.formulaBytes > 0 ? `${(row.indexBytes / row.formulaBytes).toFixed(2)}×` : '–';
    body.push(
      `<tr><td>${esc(row.m)}</td><td>${esc(row.efConstruction)}</td><td>${esc(formatBytes(row.formulaBytes))}</td><td>${esc(formatBytes(row.indexBytes))}</td><td>${esc(ratio)}</td></tr>`,
    );
  }
  body.push('</tbody></table>', '</section>');

  // Every configuration.
  const front = new Set(paretoFront(report.results.map((r) => ({ qps: num(r.qps) ? r.qps : 0, recall: num(r.recall) ? r.recall : 0 }))));
  body.push(
    '<section class="results" aria-label="Every configuration">',
    `<h2>Every configuration (${esc(report.results.length)})</h2>`,
    `<p class="note">✓ reaches the recall target; ◆ on the Pareto front (no other configuration is both faster and more accurate); the recommended row is highlighted.</p>`,
    `<table class="data"><thead><tr><th>m</th><th>ef_construction</th><th>ef_search</th><th>recall@${esc(p.k)}</th><th>p50</th><th>p95</th><th>p99</th><th>QPS</th><th>build</th><th>index size</th><th></th></tr></thead><tbody>`,
  );
  report.results.forEach((r, i) => {
    const isRec = !!rec && rec.m === r.m && rec.efConstruction === r.efConstruction && rec.efSearch === r.efSearch;
    const cls = [isRec ? 'recommended' : '', r.recall >= p.recallTarget ? 'meets' : 'misses'].filter(Boolean).join(' ');
    const marks = `${r.recall >= p.recallTarget ? '✓' : ''}${front.has(i) ? '◆' : ''}`;
    body.push(
      `<tr class="${cls}"><td>${esc(r.m)}</td><td>${esc(r.efConstruction)}</td><td>${esc(r.efSearch)}</td><td>${esc(recall(r.recall))}</td><td>${esc(ms(r.p50Ms))}</td><td>${esc(ms(r.p95Ms))}</td><td>${esc(ms(r.p99Ms))}</td><td>${esc(int(r.qps))}</td><td>${esc(ms(r.buildMs))}</td><td>${esc(formatBytes(r.indexBytes))}</td><td class="marks">${marks}</td></tr>`,
    );
  });
  body.push('</tbody></table>', '</section>');
  return page('HNSW parameter sweep', opts, body);
}

/** "within" when the whole CI is below the target, "over" when the whole CI is above it, else "inconclusive". */
export function rlsVerdict(report: Pick<RlsReport, 'ci95Pct' | 'targetPct'>): 'within' | 'over' | 'inconclusive' {
  const [lo, hi] = report.ci95Pct;
  if (num(hi) && hi < report.targetPct) return 'within';
  if (num(lo) && lo > report.targetPct) return 'over';
  return 'inconclusive';
}

/** The RLS overhead page. */
export function buildRlsHtml(report: RlsReport, opts: ReportPageOptions = {}): string {
  const p = report.params;
  const body: string[] = [];
  const items: [string, string, string?][] = [
    ['Database', databaseLabel(report), 'database'],
    ['Table', `${int(p.rows)} rows${p.tenants ? `, ${int(p.tenants)} tenants` : ''} (seed ${p.seed})`],
    ['Rounds', `${int(p.rounds)} interleaved A/B rounds`],
    ['Total time', ms(report.totalMs)],
  ];
  if (report.startedAt) items.push(['Started', report.startedAt]);
  body.push(facts(items));

  const verdict = rlsVerdict(report);
  const text =
    verdict === 'within'
      ? `within the guide’s < ${report.targetPct} % target`
      : verdict === 'over'
        ? `over the guide’s < ${report.targetPct} % target`
        : `inconclusive against the ${report.targetPct} % target (the confidence interval contains it: more rounds narrow it)`;
  body.push(
    '<section class="recommendation" aria-label="Overhead">',
    '<h2>Overhead of row-level security</h2>',
    `<p class="verdict ${verdict === 'within' ? 'ok' : verdict === 'over' ? 'bad' : 'unsure'}">${esc(pct(report.overheadPct))} (95 % CI ${esc(ci(report.ci95Pct))}): ${esc(text)}.</p>`,
    '</section>',
    '<section class="chart" aria-label="Overhead per query">',
    `<figure>${rlsSvg(report)}</figure>`,
    '</section>',
  );

  body.push(
    '<section class="results" aria-label="Per query">',
    '<h2>Per query</h2>',
    '<table class="data"><thead><tr><th>query</th><th>without RLS p50</th><th>p95</th><th>with RLS p50</th><th>p95</th><th>overhead</th><th>95 % CI</th><th>plan</th></tr></thead><tbody>',
  );
  for (const q of report.queries) {
    body.push(
      `<tr${q.planChanged ? ' class="plan-changed"' : ''}><td>${esc(q.name)}</td><td>${esc(ms(q.withoutRlsMs.p50))}</td><td>${esc(ms(q.withoutRlsMs.p95))}</td><td>${esc(ms(q.withRlsMs.p50))}</td><td>${esc(ms(q.withRlsMs.p95))}</td><td>${esc(pct(q.overheadPct))}</td><td>${esc(ci(q.ci95Pct))}</td><td>${q.planChanged ? 'changed' : 'same'}</td></tr>`,
    );
  }
  body.push('</tbody></table>', '</section>');

  const changed = report.queries.filter((q) => q.planChanged);
  body.push('<section class="plans" aria-label="Plan changes">', '<h2>Plan changes</h2>');
  if (changed.length === 0) body.push('<p class="none">The policy changed no plan: every query has the same plan shape with and without RLS.</p>');
  for (const q of changed) {
    body.push(
      `<details class="plan-change" open><summary>${esc(q.name)}: the plan changed with RLS</summary>`,
      '<div class="plan-pair">',
      `<div><h3>without RLS</h3><pre><code>${esc(q.planWithout)}</code></pre></div>`,
      `<div><h3>with RLS</h3><pre><code>${esc(q.planWith)}</code></pre></div>`,
      '</div>',
      '</details>',
    );
  }
  body.push('</section>');
  return page('Row-level security overhead', opts, body);
}

/** Either page. */
export function buildReportHtml(report: BenchReport, opts: ReportPageOptions = {}): string {
  return isHnswReport(report) ? buildHnswHtml(report, opts) : buildRlsHtml(report, opts);
}

/** A page for a failed benchmark (the error text escaped like everything else). */
export function buildBenchErrorHtml(err: { title: string; database: string; message: string }, opts: ReportPageOptions = {}): string {
  return page(err.title, { ...opts, scriptUri: undefined }, [facts([['Database', err.database, 'database']]), `<p class="error">${esc(err.message)}</p>`]);
}

const LOCAL_HOSTS = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\]|0\.0\.0\.0)$/i;

/** True for a Unix socket (a path, or no host: libpq's default socket) or a loopback host name/address. */
export function isLocalHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  return host.startsWith('/') || LOCAL_HOSTS.test(host);
}

/** Rough size of the RLS benchmark's scratch objects: two copies of the table (~130 bytes a row) and two indexes (~60). */
function estimateRlsBytes(params: { rows: number }): number {
  return params.rows * 2 * 190;
}

/** What the RLS benchmark creates, in words (the confirmation for a server that is not local). */
export function describeRlsScratch(params: { rows: number }): string {
  return `a scratch schema pgperf_bench_<random> with two ${params.rows}-row tables and their indexes (about ${formatBytes(estimateRlsBytes(params))}), a NOLOGIN role pgperf_bench_<random> and a row-level security policy, all dropped at the end`;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV (RFC 4180 quoting; "\n" line ends; numbers as JavaScript prints them, full precision).

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v as string | bigint);
  // A text cell a spreadsheet would run as a formula gets a leading apostrophe.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: unknown[]) => cells.map(cell).join(',');

/**
 * The report as CSV. HNSW: one row per configuration (the recommended one flagged). RLS: one row per query and an
 * "overall" row.
 */
export function toCsv(report: BenchReport): string {
  const rows: string[] = [];
  if (isHnswReport(report)) {
    const rec = report.recommendation;
    rows.push(line(['m', 'ef_construction', 'ef_search', 'build_ms', 'index_bytes', 'recall', 'p50_ms', 'p95_ms', 'p99_ms', 'qps', 'recommended']));
    for (const r of report.results) {
      const isRec = !!rec && rec.m === r.m && rec.efConstruction === r.efConstruction && rec.efSearch === r.efSearch;
      rows.push(line([r.m, r.efConstruction, r.efSearch, r.buildMs, r.indexBytes, r.recall, r.p50Ms, r.p95Ms, r.p99Ms, r.qps, isRec]));
    }
  } else {
    rows.push(
      line([
        'query',
        'without_rls_p50_ms',
        'without_rls_p95_ms',
        'with_rls_p50_ms',
        'with_rls_p95_ms',
        'overhead_pct',
        'ci95_low_pct',
        'ci95_high_pct',
        'plan_changed',
      ]),
    );
    for (const q of report.queries) {
      rows.push(
        line([q.name, q.withoutRlsMs.p50, q.withoutRlsMs.p95, q.withRlsMs.p50, q.withRlsMs.p95, q.overheadPct, q.ci95Pct[0], q.ci95Pct[1], q.planChanged]),
      );
    }
    rows.push(line(['overall', '', '', '', '', report.overheadPct, report.ci95Pct[0], report.ci95Pct[1], report.queries.some((q) => q.planChanged)]));
  }
  return `${rows.join('\n')}\n`;
}

/** A plain-text table (the CLI's stdout). */
export function toTextTable(report: BenchReport): string {
  const table = (head: string[], body: string[][], right: boolean[]): string => {
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
  };
  const out: string[] = [];
  if (isHnswReport(report)) {
    const p = report.params;
    const rec = report.recommendation;
    out.push(
      `HNSW sweep on ${databaseLabel(report)}: ${p.table ? `${p.table}.${p.column}` : `${p.count} × ${p.dim} ${p.distribution}`} vectors, ${p.metric}, ${p.queries} queries, k = ${p.k}`,
    );
    out.push('');
    const front = new Set(paretoFront(report.results.map((r) => ({ qps: num(r.qps) ? r.qps : 0, recall: num(r.recall) ? r.recall : 0 }))));
    out.push(
      table(
        ['m', 'ef_c', 'ef_s', `recall@${p.k}`, 'p50 ms', 'p95 ms', 'p99 ms', 'QPS', 'build ms', 'index', ''],
        report.results.map((r, i) => [
          String(r.m),
          String(r.efConstruction),
          String(r.efSearch),
          recall(r.recall),
          r.p50Ms.toFixed(3),
          r.p95Ms.toFixed(3),
          r.p99Ms.toFixed(3),
          String(Math.round(r.qps)),
          String(Math.round(r.buildMs)),
          formatBytes(r.indexBytes),
          `${rec && rec.m === r.m && rec.efConstruction === r.efConstruction && rec.efSearch === r.efSearch ? '*' : ' '}${front.has(i) ? 'pareto' : ''}`.trimEnd(),
        ]),
        [true, true, true, true, true, true, true, true, true, true, false],
      ),
    );
    out.push('');
    out.push(
      rec
        ? `Recommendation (*): m = ${rec.m}, ef_construction = ${rec.efConstruction}, ef_search = ${rec.efSearch}: recall ${recall(rec.recall)} ≥ ${p.recallTarget}, p50 ${rec.p50Ms.toFixed(3)} ms, p95 ${rec.p95Ms.toFixed(3)} ms, ${Math.round(rec.qps)} QPS`
        : `No configuration reached recall ≥ ${p.recallTarget}.`,
    );
    if (report.memoryFormula.length > 0) {
      out.push('', 'Index size: guide formula ((m × 2) × 4 + dim × 4) × count vs measured');
      out.push(
        table(
          ['m', 'ef_c', 'formula', 'measured', 'ratio'],
          report.memoryFormula.map((r) => [
            String(r.m),
            String(r.efConstruction),
            formatBytes(r.formulaBytes),
            formatBytes(r.indexBytes),
            r.formulaBytes > 0 ? `${(r.indexBytes / r.formulaBytes).toFixed(2)}×` : '–',
          ]),
          [true, true, true, true, true],
        ),
      );
    }
    out.push('', `Total ${(report.totalMs / 1000).toFixed(1)} s`);
  } else {
    const p = report.params;
    out.push(`RLS overhead on ${databaseLabel(report)}: ${p.rows} rows, ${p.rounds} rounds`);
    out.push('');
    out.push(
      table(
        ['query', 'off p50', 'off p95', 'on p50', 'on p95', 'overhead', '95 % CI', 'plan'],
        report.queries.map((q) => [
          q.name,
          q.withoutRlsMs.p50.toFixed(3),
          q.withoutRlsMs.p95.toFixed(3),
          q.withRlsMs.p50.toFixed(3),
          q.withRlsMs.p95.toFixed(3),
          pct(q.overheadPct),
          ci(q.ci95Pct),
          q.planChanged ? 'changed' : 'same',
        ]),
        [false, true, true, true, true, true, true, false],
      ),
    );
    const v = rlsVerdict(report);
    out.push(
      '',
      `Overall: ${pct(report.overheadPct)} (95 % CI ${ci(report.ci95Pct)}): ${v === 'within' ? 'within' : v === 'over' ? 'over' : 'inconclusive against'} the < ${report.targetPct} % target`,
    );
    for (const q of report.queries.filter((x) => x.planChanged))
      out.push(`Plan changed for "${q.name}":\n  without RLS: ${q.planWithout}\n  with RLS:    ${q.planWith}`);
    out.push(`Total ${(report.totalMs / 1000).toFixed(1)} s`);
  }
  out.push('');
  return out.join('\n');
}

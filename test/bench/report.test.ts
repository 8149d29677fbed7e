/**
 * The benchmark report pages, plots and CSV (database/bench/report-html.ts, report-svg.ts) on hand-made
 * reports: every string escaped (table/column names, database labels, query names and plans carrying `<script>`
 * and quotes), the strict CSP, well-formed SVG (a tiny XML check: balanced tags, quoted attributes, escaped text),
 * the plot's content (one polyline per (m, ef_construction), a point per result, the Pareto markers) and the CSV
 * byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { buildHnswHtml, buildRlsHtml, recommendationSql, rlsVerdict, toCsv, toTextTable } from '../../database/bench/report-html';
import { buildSvg, linearTicks, logTicks, recallQpsSvg, rlsSvg, seriesOf } from '../../database/bench/report-svg';
import type { HnswReport, HnswResult, RlsReport } from '../../database/bench/report-types';

const EVIL = `<script>alert("x")</script>'&"`;

/**
 * A tiny XML well-formedness check: tags balance, attributes are quoted and unique, no raw `<` or `&` outside
 * tags/entities. Returns the problems (empty: well-formed).
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  let i = 0;
  let roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(text)) problems.push(`raw & in text near "${text.slice(0, 40)}"`);
    if (/>/.test(text) && stack.length === 0 && text.trim()) problems.push('text outside the root');
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) {
      problems.push(`malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
      i = lt + 1;
      continue;
    }
    const [, close, name, attrs, self] = m;
    const names = [...attrs.matchAll(/([\w:.-]+)\s*=/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) problems.push(`duplicate attribute in <${name}>`);
    for (const v of attrs.matchAll(/=\s*"([^"]*)"/g)) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(v[1])) problems.push(`raw & in an attribute of <${name}>`);
    }
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else if (!self) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
    i = lt + m[0].length;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const count = (s: string, needle: string) => s.split(needle).length - 1;

function result(m: number, efConstruction: number, efSearch: number, qps: number, recall: number): HnswResult {
  return {
    m,
    efConstruction,
    efSearch,
    buildMs: m * efConstruction,
    indexBytes: m * 1_000_000,
    recall,
    p50Ms: 1000 / qps,
    p95Ms: 1500 / qps,
    p99Ms: 2000 / qps,
    qps,
  };
}

/** 4 (m, ef_construction) × 3 ef_search; the Pareto front (by hand) holds 10 of the 12 points. */
function hnswReport(over: Partial<HnswReport> = {}): HnswReport {
  const results = [
    result(16, 64, 20, 5000, 0.8),
    result(16, 64, 40, 3000, 0.9),
    result(16, 64, 100, 1500, 0.96),
    result(16, 128, 20, 4500, 0.85),
    result(16, 128, 40, 2800, 0.93),
    result(16, 128, 100, 1200, 0.97),
    result(24, 64, 20, 4000, 0.84), // dominated by (4500, 0.85)
    result(24, 64, 40, 2500, 0.92), // dominated by (2800, 0.93)
    result(24, 64, 100, 1000, 0.98),
    result(24, 128, 20, 3800, 0.86),
    result(24, 128, 40, 2000, 0.94),
    result(24, 128, 100, 80, 0.99),
  ];
  return {
    database: { kind: 'postgres', label: `prod — ${EVIL}:5432/app`, serverVersion: 'PostgreSQL 16.4' },
    params: {
      dim: 64,
      count: 2000,
      queries: 50,
      distribution: 'clustered',
      metric: 'cosine',
      m: [16, 24],
      efConstruction: [64, 128],
      efSearch: [20, 40, 100],
      k: 10,
      recallTarget: 0.95,
      seed: 7,
      table: `public.${EVIL}`,
      column: `emb"${EVIL}`,
    },
    results,
    recommendation: { ...results[2], reason: `the cheapest ${EVIL}` },
    memoryFormula: [
      { m: 16, efConstruction: 64, formulaBytes: 2000 * (16 * 8 + 64 * 4), indexBytes: 16_000_000 },
      { m: 16, efConstruction: 128, formulaBytes: 2000 * (16 * 8 + 64 * 4), indexBytes: 16_000_000 },
      { m: 24, efConstruction: 64, formulaBytes: 2000 * (24 * 8 + 64 * 4), indexBytes: 24_000_000 },
      { m: 24, efConstruction: 128, formulaBytes: 2000 * (24 * 8 + 64 * 4), indexBytes: 24_000_000 },
    ],
    startedAt: '2025-01-01T00:00:00.000Z',
    totalMs: 12_345,
    ...over,
  };
}

function rlsReport(): RlsReport {
  return {
    database: { kind: 'embedded', label: `embedded ${EVIL}`, serverVersion: 'PostgreSQL 18.6' },
    params: { rows: 10_000, rounds: 20, tenants: 50, seed: 1 },
    overheadPct: 3.25,
    ci95Pct: [1.5, 4.75],
    targetPct: 5,
    queries: [
      {
        name: 'tenant-scoped lookup',
        withoutRlsMs: { p50: 0.25, p95: 0.5 },
        withRlsMs: { p50: 0.26, p95: 0.52 },
        overheadPct: 4,
        ci95Pct: [2, 6],
        planChanged: false,
        planWithout: 'Index Scan using t_pkey',
        planWith: 'Index Scan using t_pkey',
      },
      {
        name: `range, "scan" ${EVIL}`,
        withoutRlsMs: { p50: 1.5, p95: 2 },
        withRlsMs: { p50: 1.75, p95: 2.25 },
        overheadPct: 16.5,
        ci95Pct: [10, 23],
        planChanged: true,
        planWithout: `Index Scan using ${EVIL}`,
        planWith: 'Seq Scan <on> t',
      },
      {
        name: '=aggregate',
        withoutRlsMs: { p50: 3, p95: 4 },
        withRlsMs: { p50: 3, p95: 4 },
        overheadPct: -0.5,
        ci95Pct: [-2, 1],
        planChanged: false,
        planWithout: 'Aggregate',
        planWith: 'Aggregate',
      },
    ],
    totalMs: 5000,
  };
}

const OPTS = {
  cspSource: 'vscode-webview://abc',
  styleUris: ['vscode-webview://abc/panel.css', 'vscode-webview://abc/bench.css'],
  scriptUri: 'vscode-webview://abc/bench.js',
};

/** What the page must never hold: a script or event handler from the data, an inline style. */
function expectSafe(html: string): void {
  expect(html).not.toContain('<script>');
  expect(count(html, '<script')).toBe(1);
  expect(html).toContain('<script src="vscode-webview://abc/bench.js"></script>');
  expect(html).not.toMatch(/\sstyle\s*=/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toContain('alert("x")');
  expect(html).toContain(
    `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src vscode-webview://abc; script-src vscode-webview://abc; img-src vscode-webview://abc data:">`,
  );
}

describe('HNSW report page', () => {
  const report = hnswReport();
  const html = buildHnswHtml(report, OPTS);

  it('escapes every string and keeps the strict CSP (no inline script or style)', () => {
    expectSafe(html);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;&quot;');
    expect(html).toContain('the cheapest &lt;script&gt;');
  });

  it('has a row per configuration, the recommendation, both plots and the memory formula', () => {
    const tbodies = html
      .split('<tbody>')
      .slice(1)
      .map((s) => s.split('</tbody>')[0]);
    expect(tbodies).toHaveLength(2);
    const [memory, all] = tbodies;
    expect(count(memory, '<tr')).toBe(4);
    expect(count(all, '<tr')).toBe(12);
    expect(count(all, '<tr class="recommended meets">')).toBe(1);
    expect(count(all, '◆')).toBe(10);
    expect(count(all, '✓')).toBe(4);
    expect(html).toContain('m = 16, ef_construction = 64, ef_search = 100');
    expect(count(html, '<svg ')).toBe(2);
    expect(html).toContain('<td>15.3 MiB</td>'); // 16,000,000 bytes measured
    expect(html).toContain('<td>750 KiB</td>'); // 2000 × (16 × 8 + 64 × 4) = 768,000 bytes by the formula
  });

  it('states when no configuration reaches the target', () => {
    const none = buildHnswHtml(hnswReport({ recommendation: null }), OPTS);
    expect(none).toContain('No configuration reached recall@10 ≥ 0.95');
    expect(none).toContain('with recall 0.990');
  });

  it('quotes the user identifiers in the recommended SQL', () => {
    const sql = recommendationSql(hnswReport({ params: { ...report.params, table: 'app.Items', column: 'embedding' } }))!;
    expect(sql).toBe(
      'CREATE INDEX CONCURRENTLY ON app."Items" USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);\n' +
        '-- per transaction, before the query:\nSET LOCAL hnsw.ef_search = 100;',
    );
  });

  it('quotes a reserved word used as a name in the recommended SQL (it would not parse bare)', () => {
    const sql = recommendationSql(hnswReport({ params: { ...report.params, table: 'user.order', column: 'select', metric: 'ip' } }))!;
    expect(sql.split('\n')[0]).toBe('CREATE INDEX CONCURRENTLY ON "user"."order" USING hnsw ("select" vector_ip_ops) WITH (m = 16, ef_construction = 64);');
  });

  it('names the metric with its operator', () => {
    expect(buildHnswHtml(hnswReport({ params: { ...report.params, metric: 'l2' } }), OPTS)).toContain('L2 distance (&lt;-&gt;)');
  });

  it('without a script URI: no buttons, no script', () => {
    const plain = buildHnswHtml(report, { styleUris: ['panel.css', 'bench.css'] });
    expect(plain).toContain('<link rel="stylesheet" href="panel.css">\n<link rel="stylesheet" href="bench.css">');
    expect(plain).not.toContain('<script');
    expect(plain).not.toContain('export-json');
    expect(plain).toContain(`script-src &#39;self&#39;`);
  });
});

describe('recall-vs-QPS plot', () => {
  const report = hnswReport();
  const svg = recallQpsSvg(report);

  it('is well-formed XML', () => {
    expect(xmlProblems(svg)).toEqual([]);
    expect(xmlProblems(buildSvg(report))).toEqual([]);
    expect(xmlProblems(rlsSvg(rlsReport()))).toEqual([]);
    // The check itself catches what it should.
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><rect x=1/></svg>')).not.toEqual([]);
  });

  it('draws one polyline per (m, ef_construction), a point per ef_search, the Pareto front ringed and the target', () => {
    expect(count(svg, '<polyline class="series"')).toBe(4);
    expect(count(svg, '<circle class="point"')).toBe(12);
    expect(count(svg, '<text class="point-label"')).toBe(12);
    expect(count(svg, '<circle class="pareto"')).toBe(10);
    expect(count(svg, '<path class="pareto-front"')).toBe(1);
    expect(count(svg, '<line class="target"')).toBe(1);
    expect(svg).toContain('target 0.95');
    expect(svg).toContain('queries per second (log scale)'); // 80 … 5000 QPS: wider than 10×
    for (const s of seriesOf(report.results)) expect(svg).toContain(`m ${s.m}, ef_construction ${s.efConstruction}`);
    // Series colours from the palette, axes in currentColor, no style attribute.
    expect(svg).toContain('stroke="#4e79a7"');
    expect(svg).toContain('stroke="currentColor"');
    expect(svg).not.toMatch(/\sstyle=/);
  });

  it('uses a linear axis for a narrow QPS range, and copes with no data', () => {
    const narrow = recallQpsSvg(hnswReport({ results: hnswReport().results.filter((r) => r.qps >= 1000) }));
    expect(narrow).toContain('>queries per second</text>');
    expect(xmlProblems(narrow)).toEqual([]);
    const empty = recallQpsSvg(hnswReport({ results: [] }));
    expect(empty).toContain('no measurements');
    expect(xmlProblems(empty)).toEqual([]);
  });

  it('orders a series by ef_search', () => {
    const shuffled = [result(16, 64, 100, 1000, 0.99), result(16, 64, 20, 5000, 0.8), result(16, 64, 40, 3000, 0.9)];
    expect(seriesOf(shuffled)).toEqual([{ m: 16, efConstruction: 64, colour: '#4e79a7', points: [1, 2, 0] }]);
  });

  it('has nice ticks', () => {
    expect(linearTicks(0.5, 1, 5)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(linearTicks(0, 23, 4)).toEqual([0, 10, 20, 30]);
    expect(linearTicks(-2, 23, 6)).toEqual([-5, 0, 5, 10, 15, 20, 25]);
    expect(logTicks(50, 6000)).toEqual([50, 100, 200, 500, 1000, 2000, 5000]);
  });

  it('draws a bar per (m, ef_construction) for build time, and measured beside formula for the size', () => {
    const bars = buildSvg(report);
    expect(count(bars, '<rect class="bar"')).toBe(8);
    expect(count(bars, '<rect class="bar formula"')).toBe(4);
  });
});

describe('RLS report page', () => {
  const report = rlsReport();
  const html = buildRlsHtml(report, OPTS);

  it('escapes query names and plans, keeps the CSP', () => {
    expectSafe(html);
    expect(html).toContain('range, &quot;scan&quot; &lt;script&gt;');
    expect(html).toContain('Seq Scan &lt;on&gt; t');
  });

  it('shows the overhead with its CI against the target, the per-query table and the plan changes', () => {
    expect(html).toContain('+3.3 % (95 % CI 1.5 … 4.8 %): within the guide’s &lt; 5 % target.');
    const body = html.split('<tbody>')[1].split('</tbody>')[0];
    expect(count(body, '<tr')).toBe(3);
    expect(count(body, '<tr class="plan-changed">')).toBe(1);
    expect(count(html, '<details class="plan-change"')).toBe(1);
    expect(rlsVerdict(report)).toBe('within');
    expect(rlsVerdict({ ci95Pct: [5.5, 9], targetPct: 5 })).toBe('over');
    expect(rlsVerdict({ ci95Pct: [2, 9], targetPct: 5 })).toBe('inconclusive');
  });
});

describe('CSV', () => {
  it('HNSW: one row per configuration, the recommended one flagged, exact numbers', () => {
    const r = hnswReport({
      results: [
        { m: 16, efConstruction: 64, efSearch: 40, buildMs: 812.5, indexBytes: 1589248, recall: 0.946, p50Ms: 0.61, p95Ms: 0.9, p99Ms: 1.25, qps: 1550.2 },
        { m: 16, efConstruction: 64, efSearch: 100, buildMs: 812.5, indexBytes: 1589248, recall: 0.991, p50Ms: 1.02, p95Ms: 1.4, p99Ms: 2, qps: 930 },
      ],
    });
    r.recommendation = { ...r.results[1] };
    expect(toCsv(r)).toBe(
      'm,ef_construction,ef_search,build_ms,index_bytes,recall,p50_ms,p95_ms,p99_ms,qps,recommended\n' +
        '16,64,40,812.5,1589248,0.946,0.61,0.9,1.25,1550.2,false\n' +
        '16,64,100,812.5,1589248,0.991,1.02,1.4,2,930,true\n',
    );
  });

  it('RLS: quotes per RFC 4180, defuses formulas, adds the overall row', () => {
    expect(toCsv(rlsReport())).toBe(
      'query,without_rls_p50_ms,without_rls_p95_ms,with_rls_p50_ms,with_rls_p95_ms,overhead_pct,ci95_low_pct,ci95_high_pct,plan_changed\n' +
        'tenant-scoped lookup,0.25,0.5,0.26,0.52,4,2,6,false\n' +
        `"range, ""scan"" <script>alert(""x"")</script>'&""",1.5,2,1.75,2.25,16.5,10,23,true\n` +
        "'=aggregate,3,4,3,4,-0.5,-2,1,false\n" +
        'overall,,,,,3.25,1.5,4.75,true\n',
    );
  });
});

describe('text table (the CLI)', () => {
  it('HNSW: every configuration, the recommendation and the memory formula', () => {
    const text = toTextTable(hnswReport());
    const lines = text.split('\n');
    expect(lines.filter((l) => /^\s*(16|24)\s+(64|128)\s+(20|40|100)\s/.test(l))).toHaveLength(12);
    expect(text).toContain('Recommendation (*): m = 16, ef_construction = 64, ef_search = 100: recall 0.960 ≥ 0.95');
    expect(text).toContain('guide formula');
  });

  it('RLS: per query and overall', () => {
    const text = toTextTable(rlsReport());
    expect(text).toContain('Overall: +3.3 % (95 % CI 1.5 … 4.8 %): within the < 5 % target');
    expect(text).toContain('Plan changed for');
  });
});

/**
 * The EXPLAIN panel's HTML (client/src/ui/explain-html.ts): every string from the database or the user is
 * escaped, the CSP is strict and nonce-less, and the page has the parts the issue lists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFindings } from '../../database/explain/findings';
import { parsePlan } from '../../database/explain/plan';
import { buildErrorHtml, buildExplainHtml, nodeTitle, type PanelNode, type PanelResult } from '../../client/src/ui/explain-html';
import { esc, escText } from '../../render/html';

const OPTS = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  styleUris: [
    'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/panel.css',
    'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/explain.css',
  ],
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/explain.js',
};

const EVIL = `<script>alert("x")</script>`;

function hostile(): PanelResult {
  const scan: PanelNode = {
    id: 2,
    nodeType: 'Seq Scan',
    relation: `ev${EVIL}ents`,
    alias: `a"b'&c`,
    children: [],
    estRows: 10,
    actualRows: 20_000,
    loops: 1,
    totalMs: 30,
    exclusiveMs: 30,
    sharedHit: 100,
    sharedRead: 50,
    raw: { 'Node Type': 'Seq Scan', Filter: `(name = '<script>x</script>' AND a & b)`, 'Rows Removed by Filter': 180_000 },
  };
  const idx: PanelNode = {
    id: 3,
    nodeType: 'Index Scan',
    relation: 'users',
    index: `users_"pkey"<img src=x onerror=alert(1)>`,
    alias: 'u',
    children: [],
    estRows: 1,
    actualRows: 1,
    loops: 20_000,
    totalMs: 10,
    exclusiveMs: 10,
    sharedHit: 60_000,
    sharedRead: 0,
    raw: { 'Index Cond': '(id = e.user_id)' },
  };
  const root: PanelNode = {
    id: 1,
    nodeType: 'Nested Loop',
    children: [scan, idx],
    estRows: 10,
    actualRows: 20_000,
    loops: 1,
    totalMs: 42,
    exclusiveMs: 2,
    sharedHit: 60_100,
    sharedRead: 50,
    misestimate: true,
    raw: { 'Join Type': 'Inner' },
  };
  return {
    database: `prod — db<script>.example.com:5432/"app"&co`,
    sql: `SELECT * FROM "ev<script>ents" e JOIN users u ON u.id = e.user_id WHERE name = '</script><script>alert(1)</script>' AND a & b`,
    plan: [{ Plan: { 'Node Type': 'Nested Loop', 'Relation Name': EVIL, Alias: `"quoted" & 'single'` } }],
    tree: root,
    findings: [
      {
        rule: 'seq-scan-filter',
        nodeId: 2,
        node: `Seq Scan on ev${EVIL}ents`,
        message: `A filter removes 90% of the rows: add an index on "name" <b>now</b> & then`,
        severity: 'warning',
      },
      { rule: 'nested-loop-misestimate', nodeId: 1, node: 'Nested Loop', message: 'inner side misestimated', severity: 'info' },
    ],
    planningMs: 0.25,
    executionMs: 42.5,
    warnings: [`server said <script>`],
  };
}

/** The HTML with the one legitimate external script tag removed. */
function withoutOwnScript(html: string): string {
  const tag = `<script src="${OPTS.scriptUri}"></script>`;
  expect(html.split(tag).length - 1).toBe(1);
  return html.replace(tag, '');
}

describe('explain panel HTML', () => {
  it('renders identifiers, the query, the label, findings and raw JSON with <script>, quotes and & as text', () => {
    const html = buildExplainHtml(hostile(), OPTS);
    const rest = withoutOwnScript(html);
    expect(rest).not.toMatch(/<script/i);
    expect(rest).not.toMatch(/<\/script/i);
    expect(rest).not.toMatch(/<img/i);
    expect(rest).not.toMatch(/<b>/);
    // Escaped forms are there, so the text is shown, not dropped.
    expect(html).toContain('ev&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;ents');
    expect(html).toContain('a&quot;b&#39;&amp;c');
    expect(html).toContain('prod — db&lt;script&gt;.example.com:5432/&quot;app&quot;&amp;co');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39; AND a &amp; b');
    expect(html).toContain('add an index on &quot;name&quot; &lt;b&gt;now&lt;/b&gt; &amp; then');
    expect(html).toContain('"Relation Name": "&lt;script&gt;alert(\\"x\\")&lt;/script&gt;"');
    expect(html).toContain(`"Alias": "\\"quoted\\" &amp; 'single'"`);
    expect(html).toContain('server said &lt;script&gt;');
    // No raw & that is not an entity anywhere (every & from the data was escaped).
    expect(rest.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
  });

  it('has a strict nonce-less CSP, the external stylesheets (shared, then its own) and script, no inline script, style or handler', () => {
    const html = buildExplainHtml(hostile(), OPTS);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    expect(csp).toBe(`default-src 'none'; style-src ${OPTS.cspSource}; script-src ${OPTS.cspSource}; img-src ${OPTS.cspSource} data:`.replace(/'/g, '&#39;'));
    expect(html).not.toMatch(/nonce/);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect([...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0])).toEqual([`<script src="${OPTS.scriptUri}">`]);
    expect([...html.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0])).toEqual(OPTS.styleUris.map((u) => `<link rel="stylesheet" href="${u}">`));
  });

  it('puts the findings first, then the query, then the plan tree and the raw JSON tab', () => {
    const html = buildExplainHtml(hostile(), OPTS);
    const at = (s: string) => html.indexOf(s);
    expect(at('<section class="findings"')).toBeGreaterThan(0);
    expect(at('<section class="findings"')).toBeLessThan(at('<section class="query"'));
    expect(at('<section class="query"')).toBeLessThan(at('id="panel-plan"'));
    expect(at('id="panel-plan"')).toBeLessThan(at('id="panel-json"'));
    expect(html).toMatch(/<h1>EXPLAIN ANALYZE<\/h1>/);
    expect(html).toContain('<h2>Findings (2)</h2>');
    expect(html).toMatch(/id="panel-json" role="tabpanel" aria-labelledby="tab-json" hidden>/);
    expect(html).toContain('<button type="button" id="copy-text" class="action">Copy as text</button>');
    // The findings link to their nodes.
    expect(html).toContain('data-target="node-2"');
    expect(html).toContain('id="node-2"');
    // Which database, planning and execution time, the cache hit ratio of the statement (root buffers).
    expect(html).toMatch(/<dt>Database<\/dt><dd class="database">prod/);
    expect(html).toContain('<dd class="planning">0.250 ms</dd>');
    expect(html).toContain('<dd class="execution">42.5 ms</dd>');
    expect(html).toContain('hit 60,100 · read 50 · cache hit 99.9%');
  });

  it('renders the tree as nested <details>, with exclusive-time meters, rows, loops, buffers and misestimates', () => {
    const html = buildExplainHtml(hostile(), OPTS);
    // Root is a <details> holding both children; leaves with detail lines are <details> too.
    expect(html).toMatch(/<details class="node misestimated has-finding" id="node-1" open><summary class="line"><span class="title">Nested Loop<\/span>/);
    const root = html.slice(html.indexOf('id="node-1"'));
    expect(root.indexOf('id="node-2"')).toBeLessThan(root.indexOf('id="node-3"'));
    // Bars: percent of execution time, computed by us.
    expect(html).toMatch(/id="node-2"[^]*?<meter class="bar" min="0" max="100" low="20" high="50" optimum="0" value="70.6"/);
    expect(html).toMatch(/id="node-3"[^]*?<meter class="bar"[^>]* value="23.5"/);
    expect(html).toMatch(/id="node-2"[^]*?rows est 10 \/ actual 20,000 <span class="misestimate"[^>]*>2,000× under-estimated<\/span>/);
    expect(html).toMatch(/id="node-3"[^]*?<span class="rows">rows est 1 \/ actual 1<\/span> <span class="loops">loops 20,000<\/span>/);
    expect(html).toMatch(/id="node-2"[^]*?<span class="buffers">buffers hit 100 read 50<\/span>/);
    expect(html).toMatch(/<dt>Rows Removed by Filter<\/dt><dd>180000<\/dd>/);
    expect(html).toMatch(/<dt>Index Cond<\/dt><dd>\(id = e.user_id\)<\/dd>/);
    expect((html.match(/<details /g) ?? []).length).toBe((html.match(/<\/details>/g) ?? []).length);
  });

  it('plain EXPLAIN: cost bars instead of time, no actual rows, title says EXPLAIN', () => {
    const leaf: PanelNode = { id: 2, nodeType: 'Seq Scan', relation: 't', children: [], estRows: 1000, raw: { 'Total Cost': 35.5 } };
    const root: PanelNode = { id: 1, nodeType: 'Limit', children: [leaf], estRows: 10, raw: { 'Total Cost': 71 } };
    const html = buildExplainHtml(
      { database: 'embedded PGlite (PostgreSQL 18.6)', sql: 'SELECT 1', plan: [], tree: root, findings: [] },
      { ...OPTS, params: 'generic' },
    );
    expect(html).toMatch(/<h1>EXPLAIN<\/h1>/);
    expect(html).toContain('No findings in this plan.');
    expect(html).toMatch(/id="node-2"><div class="line"><span class="title">Seq Scan on t<\/span> <meter class="bar cost"[^>]* value="50"/);
    expect(html).not.toContain('actual');
    expect(html).toContain('generic plan (no values)');
  });

  it('shows parameter values escaped', () => {
    const root: PanelNode = { id: 1, nodeType: 'Result', children: [], estRows: 1 };
    const html = buildExplainHtml({ database: 'x', sql: 'SELECT $1', plan: [], tree: root, findings: [] }, { ...OPTS, params: [`</dd><script>`] });
    expect(withoutOwnScript(html)).not.toMatch(/<script/);
    expect(html).toContain('$1 = &lt;/dd&gt;&lt;script&gt;');
  });

  it('says when the plan is over synthetic data, escaped', () => {
    const root: PanelNode = { id: 1, nodeType: 'Result', children: [], estRows: 1 };
    const plain = buildExplainHtml({ database: 'x', sql: 'SELECT 1', plan: [], tree: root, findings: [] }, OPTS);
    expect(plain).not.toContain('class="synthetic"');
    const html = buildExplainHtml(
      { database: 'x', sql: 'SELECT 1', plan: [], tree: root, findings: [] },
      { ...OPTS, synthetic: 'synthetic, seed 1: <b>20,000</b> rows' },
    );
    expect(html).toContain('<dt>Data</dt><dd class="synthetic">synthetic, seed 1: &lt;b&gt;20,000&lt;/b&gt; rows</dd>');
  });

  it('the error page escapes the server message', () => {
    const html = buildErrorHtml({ database: 'local <db>', sql: 'SELECT "<script>"', message: 'relation "<script>" does not exist' }, OPTS);
    expect(html).not.toMatch(/<script/);
    expect(html).toContain('relation &quot;&lt;script&gt;&quot; does not exist');
  });

  it('esc and nodeTitle', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(nodeTitle({ id: 1, nodeType: 'Index Scan', relation: 'events', alias: 'e', index: 'events_pkey', children: [] })).toBe(
      'Index Scan using events_pkey on events e',
    );
    expect(nodeTitle({ id: 1, nodeType: 'Seq Scan', relation: 'events', alias: 'events', children: [] })).toBe('Seq Scan on events');
  });
});

describe('explain panel HTML from the saved plans (test/fixtures/plans, through plan.ts and findings.ts)', () => {
  const dir = resolve(__dirname, '../fixtures/plans');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has the fixtures', () => {
    expect(files).toContain('wide-500.json');
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of files) {
    it(`${file}: one tree node per plan node, findings linked to their nodes, the JSON tab holds the server's plan`, () => {
      const json = JSON.parse(readFileSync(resolve(dir, file), 'utf8')) as unknown;
      const parsed = parsePlan(json);
      const findings = planFindings(parsed);
      const html = buildExplainHtml(
        {
          database: 'local',
          sql: 'SELECT 1',
          plan: json,
          tree: parsed.tree,
          findings,
          planningMs: parsed.totals.planningMs,
          executionMs: parsed.totals.executionMs,
        },
        OPTS,
      );
      expect(withoutOwnScript(html)).not.toMatch(/<script/i);
      const ids = [...html.matchAll(/ id="node-(\d+)"/g)].map((m) => Number(m[1]));
      expect(ids).toEqual(parsed.nodes.map((n) => n.id));
      for (const f of findings) expect(html).toContain(`data-target="node-${f.nodeId}"`);
      expect(html).toContain(parsed.totals.analyzed ? '<h1>EXPLAIN ANALYZE</h1>' : '<h1>EXPLAIN</h1>');
      expect(html).toContain(escText(JSON.stringify(json, null, 2)));
      for (const n of parsed.nodes.filter((x) => x.misestimate)) {
        expect(html).toMatch(new RegExp(`id="node-${n.id}"[^>]*>.*?<span class="misestimate"`));
      }
    });
  }
});

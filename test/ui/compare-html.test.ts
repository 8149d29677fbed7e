/**
 * The Compare with Fix page (client/src/ui/compare-html.ts): both plans side by side with ids of their own, the
 * figures and the speed-up, and every string from the database, the workspace or the user escaped under the same
 * strict CSP as the EXPLAIN panel.
 */
import { describe, expect, it } from 'vitest';
import { buildCompareHtml, compareText, type CompareView } from '../../client/src/ui/compare-html';
import type { PanelNode, PanelResult } from '../../client/src/ui/explain-html';

const OPTS = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/client/media/panel.css'],
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/explain.js',
};
const EVIL = `<script>alert("x")</script>`;

function plan(nodeType: string, relation: string, ms: number, rows: number): PanelResult {
  const scan: PanelNode = {
    id: 1,
    nodeType,
    relation,
    children: [],
    estRows: rows,
    actualRows: rows,
    loops: 1,
    totalMs: ms,
    exclusiveMs: ms,
    sharedHit: 10,
    sharedRead: 0,
    raw: { 'Node Type': nodeType, Filter: `(title = '${EVIL}')` },
  };
  const root: PanelNode = { id: 0, nodeType: 'Limit', children: [scan], estRows: 20, actualRows: 20, loops: 1, totalMs: ms, exclusiveMs: 0, raw: {} };
  return { database: `embedded <b>PGlite</b>`, sql: 'SELECT 1', plan: [], tree: root, findings: [], executionMs: ms };
}

function view(): CompareView {
  const side = (sql: string, result: PanelResult, medianMs: number, rowsScanned: number) => ({
    sql,
    params: [`it's <img src=x onerror=alert(1)>`, null],
    executionMs: [medianMs, medianMs, medianMs],
    medianMs,
    rowsScanned,
    buffers: 10,
    result,
  });
  return {
    comparison: { rule: 'offset-pagination', title: `Use keyset pagination: add id > $1 ${EVIL}`, setup: [] },
    before: side(`SELECT * FROM "po${EVIL}sts" OFFSET $1`, plan('Seq Scan', `po${EVIL}sts`, 40, 5020), 40, 5020),
    after: side(`SELECT * FROM "po${EVIL}sts" WHERE id > $1`, plan('Index Scan', `po${EVIL}sts`, 0.5, 20), 0.5, 20),
    speedup: 80,
    changes: [`Seq Scan on po${EVIL}sts → Index Scan using posts_pkey on po${EVIL}sts`],
    notes: [`the keyset page starts after … $1 = "${EVIL}"`],
    where: `src/${EVIL}.ts:17`,
    synthetic: 'synthetic, seed 1: 20,000 rows in 1 table',
  };
}

describe('Compare with Fix page', () => {
  it('escapes every string: no markup from the data gets through', () => {
    const html = buildCompareHtml(view(), OPTS);
    const tag = `<script src="${OPTS.scriptUri}"></script>`;
    expect(html.split(tag).length - 1).toBe(1);
    const rest = html.replace(tag, '');
    expect(rest).not.toMatch(/<script/i);
    expect(rest).not.toMatch(/<img/i);
    expect(rest).not.toMatch(/<b>/);
    expect(rest).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).toContain('$1 = it&#39;s &lt;img src=x onerror=alert(1)&gt;, $2 = NULL');
    expect(html).toContain('src/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.ts:17');
    expect(rest.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
  });

  it('has the strict CSP without inline script or style', () => {
    const html = buildCompareHtml(view(), OPTS);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style/i);
  });

  it('shows the figures, the speed-up and both plans, each tree with its own node ids', () => {
    const html = buildCompareHtml(view(), OPTS);
    expect(html).toContain('<p class="speedup">80× faster</p>');
    expect(html).toMatch(/execution \(median of 3\)<\/th><td class="before-ms">40[.\d]* ms<\/td><td class="after-ms">0?\.5[\d]* ms<\/td>/);
    expect(html).toContain('<td>5,020</td><td>20</td>');
    expect(html.indexOf('aria-label="As written"')).toBeLessThan(html.indexOf('aria-label="Fixed"'));
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toContain('before-node-1');
    expect(ids).toContain('after-node-1');
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).toContain('synthetic, seed 1: 20,000 rows in 1 table');
  });

  it('slower and about the same are said as such', () => {
    expect(buildCompareHtml({ ...view(), speedup: 0.5 }, OPTS)).toContain('<p class="speedup">2.0× slower</p>');
    expect(buildCompareHtml({ ...view(), speedup: 1.01 }, OPTS)).toContain('<p class="speedup">about the same</p>');
  });

  it('copies as text: the figures and both statements', () => {
    const text = compareText(view());
    expect(text).toMatch(/^Compare with Fix: offset-pagination at src\/<script>/);
    expect(text).toContain('80× faster');
    expect(text).toContain('Rows read by scans: 5,020 → 20');
    expect(text).toContain('-- fixed\nSELECT * FROM "po<script>alert("x")</script>sts" WHERE id > $1');
  });
});

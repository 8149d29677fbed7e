/**
 * The Database Health panel's HTML (client/src/ui/health-html.ts): every string from the database or the checks is
 * escaped under the strict CSP, the checks are grouped, each finding shows its evidence and its fix SQL with Copy /
 * Open in Editor (and nothing that runs it), the checks that could not run say why, and the trend plot has a point
 * per sample that holds the number — and is absent when none does.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildHealthHtml,
  fixesOf,
  type HealthPanelReport,
  type HealthSample,
  type HealthView,
  parseHealthMessage,
  sampleOf,
  linkTargetsOf,
  linksOf,
  splitQualified,
} from '../../client/src/ui/health-html';

const OPTS = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  styleUris: [
    'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/panel.css',
    'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/health.css',
  ],
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/client/media/health.js',
};
const EVIL = `<script>alert("x")</script>`;
const IMG = `it's <img src=x onerror=alert(1)> & more`;

/** A report with a hostile string in every field the panel shows. */
function hostile(): HealthPanelReport {
  return {
    database: { label: `prod <b>${EVIL}</b>`, kind: 'postgres', serverVersion: `15.4 ${IMG}`, user: `us"er${EVIL}` },
    summary: { error: 1, warning: 2, info: 0, skipped: 2, failed: 1 },
    checks: [
      {
        id: 'cache-hit-ratio',
        title: `Cache ${EVIL}`,
        status: 'findings',
        findings: [
          {
            severity: 'warning',
            message: `cache hit ratio 80 % ${EVIL}`,
            evidence: { hitRatioPercent: 80, blocksHit: 8000, blocksRead: 2000 },
            fix: `ALTER SYSTEM SET shared_buffers = '4GB'; -- ${EVIL}`,
          },
        ],
        notes: [],
        durationMs: 3,
      },
      {
        id: 'dead-tuples',
        title: 'Dead tuples',
        status: 'findings',
        findings: [
          {
            severity: 'warning',
            object: `public."Or${EVIL}ders"`,
            message: `has 50000 dead tuples ${EVIL}`,
            evidence: { table: `public."Or${EVIL}ders"`, deadTuples: 50_000, liveTuples: 10, lastVacuum: null, autovacuumEnabledForTable: false },
            fix: `VACUUM (ANALYZE) public."Or${EVIL}ders";\nALTER TABLE public."Or${EVIL}ders" RESET (autovacuum_enabled);`,
          },
          {
            severity: 'warning',
            object: 'public.log',
            message: 'table public.log has 20000 dead tuples',
            evidence: { table: 'public.log', deadTuples: 20_000 },
            fix: 'VACUUM (ANALYZE) public.log;',
          },
        ],
        notes: [`a note ${IMG}`],
        durationMs: 5,
      },
      // Listed after dead-tuples but in an earlier category (indexes): its fix comes first on the page.
      {
        id: 'duplicate-indexes',
        title: 'Duplicate indexes',
        status: 'findings',
        findings: [
          {
            severity: 'error',
            object: 'public.by_customer_again',
            message: 'duplicate',
            evidence: {},
            fix: 'DROP INDEX CONCURRENTLY public.by_customer_again;',
          },
        ],
        notes: [],
        durationMs: 1,
      },
      { id: 'future-partitions', title: 'Future partitions', status: 'ok', findings: [], notes: [], durationMs: 2 },
      {
        id: 'top-queries',
        title: `Top queries ${EVIL}`,
        status: 'skipped',
        reason: `pg_stat_statements is not installed ${EVIL}`,
        findings: [],
        notes: [],
        durationMs: 0,
      },
      {
        id: 'lock-waits',
        title: 'Lock waits',
        status: 'skipped',
        reason: 'lacks a privilege: permission denied for pg_stat_activity',
        findings: [],
        notes: [],
        durationMs: 0,
      },
      { id: 'connections', title: 'Connections', status: 'failed', reason: `stopped by statement_timeout ${IMG}`, findings: [], notes: [], durationMs: 5000 },
    ],
  };
}

function view(samples: readonly HealthSample[] = [], report: HealthPanelReport | undefined = hostile()): HealthView {
  return { report, samples, autoRefresh: true, autoRefreshSeconds: 30, at: Date.UTC(2026, 11, 3, 12, 0, 0) };
}

/** The page without its one script tag, and its text with the entities taken out. */
function strip(html: string): string {
  const tag = `<script src="${OPTS.scriptUri}"></script>`;
  expect(html.split(tag).length - 1).toBe(1);
  return html.replace(tag, '');
}

describe('Database Health page', () => {
  it('escapes every string: no markup from the data gets through', () => {
    const samples = [sampleOf(hostile(), Date.UTC(2026, 11, 3, 12, 0, 0))];
    const html = buildHealthHtml(view(samples), OPTS);
    const rest = strip(html);
    expect(rest).not.toMatch(/<script/i);
    expect(rest).not.toMatch(/<img/i);
    expect(rest).not.toMatch(/<b>/);
    expect(rest).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(rest.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
    const evil = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
    expect(html).toContain(`<dd class="database">prod &lt;b&gt;${evil}&lt;/b&gt;</dd>`);
    expect(html).toContain('15.4 it&#39;s &lt;img src=x onerror=alert(1)&gt; &amp; more');
    expect(html).toContain(`us&quot;er${evil}`);
    expect(html).toContain(`<span class="object">public.&quot;Or${evil}ders&quot;</span>`);
    expect(html).toContain(`<dd>public.&quot;Or${evil}ders&quot;</dd>`);
    // A message that names its object already is not prefixed with it again.
    expect(html).toContain('<p class="message"><span class="severity">warning</span> \ntable public.log has 20000 dead tuples</p>');
    expect(html).toContain(`<pre><code>VACUUM (ANALYZE) public.&quot;Or${evil}ders&quot;;\nALTER TABLE`);
    expect(html).toContain(`pg_stat_statements is not installed ${evil}`);
    expect(html).toContain('a note it&#39;s &lt;img');
    expect(html).toContain(`Top queries ${evil}`);
  });

  it('has the strict CSP without inline script, style or handlers', () => {
    const html = buildHealthHtml(view([sampleOf(hostile(), 1)]), OPTS);
    expect(html).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net; script-src https:\/\/file\+/,
    );
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    expect(html).not.toMatch(/javascript:|command:/i);
    expect([...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1])).toEqual(OPTS.styleUris);
  });

  it('groups the checks by category and lists the ones that could not run with why', () => {
    const html = buildHealthHtml(view(), OPTS);
    const groups = [...html.matchAll(/<section class="group" aria-label="([^"]+)">/g)].map((m) => m[1]);
    expect(groups).toEqual(['Cache', 'Indexes', 'Vacuum', 'Partitioning']);
    const vacuum = html.slice(html.indexOf('aria-label="Vacuum"'), html.indexOf('aria-label="Partitioning"'));
    expect(vacuum).toContain('<span class="badge">2 findings</span>');
    expect(vacuum).toContain('<span class="duration">5 ms</span>');
    expect(vacuum).toContain('<dt>dead tuples</dt><dd>50,000</dd>');
    expect(vacuum).toContain('<dt>last vacuum</dt><dd>—</dd>');
    expect(vacuum).toContain('<dt>autovacuum enabled for table</dt><dd>no</dd>');
    expect(html).toMatch(/<details class="check status-ok">\n<summary><span class="badge">ok<\/span> <span class="check-title">Future partitions/);
    const notRun = html.slice(html.indexOf('<section class="not-run"'));
    expect(notRun).toContain('<h2>Could not run (3)</h2>');
    expect(notRun).toContain('lacks a privilege: permission denied for pg_stat_activity');
    expect(notRun).toMatch(/<li class="status-failed"><span class="badge">failed<\/span> <span class="check-title">Connections/);
    // A check that could not run is not also shown in a group.
    expect(html.slice(0, html.indexOf('<section class="not-run"'))).not.toContain('Lock waits');
    expect(html).toContain('<p class="summary">1 error, 2 warnings, 0 info; 2 skipped, 1 failed (of 7 checks). Fix SQL is shown, never run.</p>');
  });

  it('shows each fix with Copy and Open in Editor numbered as fixesOf numbers them, and nothing that would run it', () => {
    const report = hostile();
    const html = buildHealthHtml(view([], report), OPTS);
    const fixes = fixesOf(report);
    expect(fixes).toHaveLength(4);
    expect(fixes[0]).toBe("ALTER SYSTEM SET shared_buffers = '4GB'; -- " + EVIL);
    expect(fixes[1]).toBe('DROP INDEX CONCURRENTLY public.by_customer_again;');
    const copies = [...html.matchAll(/<button type="button" class="action secondary copy-fix" data-index="(\d+)">Copy<\/button>/g)].map((m) => Number(m[1]));
    const opens = [...html.matchAll(/<button type="button" class="action secondary open-fix" data-index="(\d+)">Open in Editor<\/button>/g)].map((m) =>
      Number(m[1]),
    );
    expect(copies).toEqual([0, 1, 2, 3]);
    expect(opens).toEqual([0, 1, 2, 3]);
    // Each button sits right before the <pre> of the fix with its index.
    const pres = [...html.matchAll(/data-index="(\d+)">Open in Editor<\/button><\/div>\n<pre><code>([^<]*)<\/code><\/pre>/g)];
    expect(pres.map((m) => Number(m[1]))).toEqual([0, 1, 2, 3]);
    expect(pres[1][2]).toBe('DROP INDEX CONCURRENTLY public.by_customer_again;');
    // Only these buttons, none of which runs anything.
    const buttons = [...html.matchAll(/<button [^>]*>([^<]*)<\/button>/g)].map((m) => m[1]);
    expect(new Set(buttons)).toEqual(new Set(['Refresh', 'Copy', 'Open in Editor']));
    expect(html).toMatch(/<input type="checkbox" id="auto-refresh" checked> Auto-refresh every 30 s<\/label>/);
    expect(buildHealthHtml({ ...view(), autoRefresh: false }, OPTS)).toContain('<input type="checkbox" id="auto-refresh"> Auto-refresh');
    expect(html).not.toMatch(/<form|<a /i);
  });

  it('the script posts only copy, open, goto, explain, refresh and autoRefresh; the extension accepts nothing else', () => {
    const js = readFileSync(resolve(__dirname, '../../client/media/health.js'), 'utf8');
    const posted = [...js.matchAll(/postMessage\(\{ type(?:: '([a-zA-Z]+)')?(, index|, link)?/g)].map(
      (m) => m[1] ?? (m[2] === ', link' ? 'goto|explain' : 'copy|open'),
    );
    expect(posted.sort()).toEqual(['autoRefresh', 'copy|open', 'goto|explain', 'refresh']);
    expect(js).toMatch(/\['copy-fix', 'copy'\],\s*\['open-fix', 'open'\]/);
    expect(js).toMatch(/\['goto-code', 'goto'\],\s*\['explain-code', 'explain'\]/);
    expect(parseHealthMessage({ type: 'goto', link: 1 })).toEqual({ type: 'goto', link: 1 });
    expect(parseHealthMessage({ type: 'explain', link: 0 })).toEqual({ type: 'explain', link: 0 });
    expect(parseHealthMessage({ type: 'explain', link: -1 })).toBeUndefined();
    expect(parseHealthMessage({ type: 'goto', index: 0 })).toBeUndefined();
    expect(parseHealthMessage({ type: 'copy', index: 2 })).toEqual({ type: 'copy', index: 2 });
    expect(parseHealthMessage({ type: 'open', index: 0 })).toEqual({ type: 'open', index: 0 });
    expect(parseHealthMessage({ type: 'refresh' })).toEqual({ type: 'refresh' });
    expect(parseHealthMessage({ type: 'autoRefresh', on: false })).toEqual({ type: 'autoRefresh', on: false });
    for (const bad of [
      null,
      'copy',
      { type: 'run', index: 0 },
      { type: 'execute', sql: 'DROP TABLE x' },
      { type: 'copy', index: -1 },
      { type: 'open', index: 1.5 },
      { type: 'open', index: '0' },
      { type: 'autoRefresh', on: 'yes' },
    ]) {
      expect(parseHealthMessage(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('links a top query to its statements and an index to its migration, escaped, numbered across the page', () => {
    const report = hostile();
    report.checks = report.checks.map((c) =>
      c.id === 'top-queries'
        ? {
            ...c,
            status: 'findings',
            reason: undefined,
            findings: [
              { severity: 'warning', object: 'queryid 1', message: 'slow', evidence: { queryid: '1', query: `SELECT * FROM t WHERE a = $1 ${EVIL}` } },
            ],
          }
        : c.id === 'duplicate-indexes'
          ? { ...c, findings: [{ ...c.findings[0]!, evidence: { index: 'public."by ""customer"""' } }] }
          : c,
    );
    const targets = linkTargetsOf(report);
    // Page order: cache, indexes, vacuum (two findings), queries.
    expect(targets).toEqual([
      undefined,
      { index: { schema: 'public', name: 'by "customer"' } },
      undefined,
      undefined,
      { query: `SELECT * FROM t WHERE a = $1 ${EVIL}` },
    ]);
    const links = [
      [],
      [{ path: `migrations/${EVIL}.sql`, line: 4, findings: [], query: false }],
      [],
      [],
      [
        { path: 'src/a.ts', line: 9, findings: [{ ruleId: 'select-star', severity: 'info', message: `star ${EVIL}` }], query: true },
        { path: 'queries/b.sql', line: 0, findings: [], query: true },
      ],
    ];
    const html = buildHealthHtml({ ...view([], report), links }, OPTS);
    expect(strip(html)).not.toMatch(/<script|<img/i);
    expect(html).toContain(
      '<button type="button" class="action secondary goto-code" data-link="0">migrations/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.sql:5</button>',
    );
    expect(html).toContain(
      'data-link="1">src/a.ts:10</button> <button type="button" class="action secondary explain-code" data-link="1">Explain Analyze</button>',
    );
    expect(html).toContain('<span class="rule">select-star</span> star &lt;script&gt;');
    expect(html).toContain('data-link="2">queries/b.sql:1</button>');
    // An index has no EXPLAIN.
    expect(html.match(/explain-code/g)).toHaveLength(2);
  });

  it('asks for the queries and indexes of a report once, and puts each answer back on its finding', async () => {
    const report = hostile();
    report.checks = report.checks.map((c) =>
      c.id === 'top-queries'
        ? {
            ...c,
            status: 'findings',
            reason: undefined,
            findings: [
              { severity: 'warning', message: 'slow 1', evidence: { query: 'SELECT 1 FROM t WHERE a = $1' } },
              { severity: 'warning', message: 'slow 2', evidence: { query: 'SELECT 2 FROM t' } },
            ],
          }
        : c.id === 'duplicate-indexes'
          ? { ...c, findings: [{ ...c.findings[0]!, evidence: { index: 'public.by_customer_again' } }] }
          : c,
    );
    const asked: unknown[] = [];
    const at = (path: string, line: number) => ({
      uri: `file:///w/${path}`,
      path,
      range: { start: { line, character: 0 }, end: { line, character: 9 } },
      findings: [],
    });
    const { perFinding, flat } = await linksOf(report, async (params) => {
      asked.push(params);
      return { queries: [[at('q.sql', 3), at('src/x.ts', 7)], []], indexes: [at('migrations/002.sql', 1)] };
    });
    expect(asked).toEqual([{ queries: ['SELECT 1 FROM t WHERE a = $1', 'SELECT 2 FROM t'], indexes: [{ schema: 'public', name: 'by_customer_again' }] }]);
    // Page order: cache, indexes (the duplicate), vacuum (two), queries (two).
    expect(perFinding.map((l) => l.map((x) => `${x.path}:${x.line}:${x.query}`))).toEqual([
      [],
      ['migrations/002.sql:1:false'],
      [],
      [],
      ['q.sql:3:true', 'src/x.ts:7:true'],
      [],
    ]);
    expect(flat.map((l) => l.path)).toEqual(['migrations/002.sql', 'q.sql', 'src/x.ts']);
    // No server to ask, or nothing to ask about: no links, no request.
    expect((await linksOf(report, async () => undefined)).flat).toEqual([]);
    const none: unknown[] = [];
    expect((await linksOf(hostile(), async (p) => (none.push(p), undefined))).flat).toEqual([]);
    expect(none).toEqual([]);
  });

  it('splits the qualified names the checks print', () => {
    expect(splitQualified('public.orders_customer')).toEqual({ schema: 'public', name: 'orders_customer' });
    expect(splitQualified(`public."x""; DROP TABLE t; --"`)).toEqual({ schema: 'public', name: 'x"; DROP TABLE t; --' });
    expect(splitQualified('"My Schema"."Idx.1"')).toEqual({ schema: 'My Schema', name: 'Idx.1' });
    expect(splitQualified('Idx')).toEqual({ name: 'idx' });
    expect(splitQualified('a.b.c')).toBeUndefined();
    expect(splitQualified('"unclosed')).toBeUndefined();
  });

  it('samples the three numbers from the evidence, and none the run does not hold', () => {
    expect(sampleOf(hostile(), 5)).toEqual({ at: 5, cacheHitPercent: 80, deadTuples: 70_000 });
    const withConnections = hostile();
    withConnections.checks = withConnections.checks.map((c) =>
      c.id === 'connections'
        ? {
            ...c,
            status: 'findings',
            findings: [{ severity: 'info', message: 'idle', evidence: { idleOver10Minutes: 2, clientConnections: 12, maxConnections: 100 } }],
          }
        : c,
    );
    expect(sampleOf(withConnections, 6).clientConnections).toBe(12);
    const quiet: HealthPanelReport = {
      ...hostile(),
      checks: hostile().checks.map((c) => ({ ...c, status: c.status === 'findings' ? 'ok' : c.status, findings: [] })),
    };
    expect(sampleOf(quiet, 7)).toEqual({ at: 7 });
    // The vitals read on every run come first, whatever the checks found; one the server did not give stays absent.
    expect(sampleOf({ ...quiet, vitals: { cacheHitPercent: 99.5, clientConnections: 3, maxConnections: 100, deadTuples: 0 } }, 8)).toEqual({
      at: 8,
      cacheHitPercent: 99.5,
      clientConnections: 3,
      deadTuples: 0,
    });
    expect(sampleOf({ ...quiet, vitals: { cacheHitPercent: 97 } }, 9)).toEqual({ at: 9, cacheHitPercent: 97 });
  });

  it('plots a point per sample that holds the number, a line through two or more, and no plot without numbers', () => {
    const t = Date.UTC(2026, 11, 3, 12, 0, 0);
    const samples: HealthSample[] = [
      { at: t, cacheHitPercent: 80, deadTuples: 70_000 },
      { at: t + 30_000, cacheHitPercent: 85 },
      { at: t + 60_000, cacheHitPercent: 90, deadTuples: 60_000 },
    ];
    const html = buildHealthHtml(view(samples), OPTS);
    expect(html).toContain("Trend over this panel's life (3 runs)");
    const svg = (key: string) => html.match(new RegExp(`<svg [^>]*id="trend-${key}"[\\s\\S]*?</svg>`))?.[0];
    const cache = svg('cacheHitPercent')!;
    const dead = svg('deadTuples')!;
    expect(cache.match(/<circle /g)).toHaveLength(3);
    expect(dead.match(/<circle /g)).toHaveLength(2);
    expect(cache.match(/<polyline [^>]*points="([^"]+)"/)![1].split(' ')).toHaveLength(3);
    expect(svg('clientConnections')).toBeUndefined();
    expect(html).toContain('<p class="note">Not reported by any run so far: client connections.</p>');
    // Time runs left to right, a higher ratio is drawn higher.
    const pts = [...cache.matchAll(/<circle class="point cacheHitPercent" cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(pts[0][0]).toBeLessThan(pts[1][0]);
    expect(pts[1][0]).toBeLessThan(pts[2][0]);
    expect(pts[0][1]).toBeGreaterThan(pts[2][1]);
    expect(cache).toContain('<title>12:01:00 UTC: 90 %</title>');
    for (const s of html.match(/<svg[\s\S]*?<\/svg>/g)!) expect(s).not.toMatch(/\sstyle=|NaN|Infinity|undefined/);

    const one = buildHealthHtml(view([{ at: t, clientConnections: 7 }]), OPTS);
    expect(one.match(/<svg /g)).toHaveLength(1);
    expect(one.match(/<circle /g)).toHaveLength(1);
    expect(one).not.toContain('<polyline');
    expect(one).not.toMatch(/NaN|Infinity/);

    const none = buildHealthHtml(view([{ at: t }, { at: t + 30_000 }]), OPTS);
    expect(none).not.toContain('<svg');
    expect(none).toContain('No sampled values yet');
    expect(buildHealthHtml(view([]), OPTS)).not.toContain('<svg');
  });

  it('a failed run shows the error escaped, still with Refresh and the trend so far', () => {
    const html = buildHealthHtml(
      { ...view([{ at: 1, cacheHitPercent: 90 }]), report: undefined, error: `connection lost ${EVIL}`, database: `db ${IMG}` },
      OPTS,
    );
    const rest = strip(html);
    expect(rest).not.toMatch(/<script|<img/i);
    expect(html).toContain('<p class="error">connection lost &lt;script&gt;');
    expect(html).toContain('<dd class="database">db it&#39;s &lt;img');
    expect(html).toContain('id="refresh"');
    expect(html.match(/<circle /g)).toHaveLength(1);
    expect(html).not.toContain('class="group"');
    expect(html).not.toContain('class="running"');
    const first = buildHealthHtml({ ...view(), report: undefined, running: true, database: 'embedded PGlite' }, OPTS);
    expect(first).toContain('<p class="running">Running the health checks (read-only)…</p>');
    expect(first).not.toContain('<svg');
  });
});

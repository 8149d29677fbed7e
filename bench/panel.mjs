#!/usr/bin/env node
// Panel HTML build time (issue 4, target < 50 ms): client/src/ui/explain-html.ts `buildExplainHtml` on a
// synthetic 500-node plan tree (joins, scans with filters and misestimates, findings, the raw JSON), warm and
// cold. Prints JSON. Usage: node bench/panel.mjs [--runs N] [--nodes N]
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const runs = arg('--runs', 200);
const nodeCount = arg('--nodes', 500);

// The pure module, bundled on the fly (it has no dependencies).
const dir = mkdtempSync(join(tmpdir(), 'pgperf-bench-panel-'));
const outfile = join(dir, 'explain-html.mjs');
await build({ entryPoints: [join(root, 'client/src/ui/explain-html.ts')], outfile, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
const { buildExplainHtml } = await import(pathToFileURL(outfile).href);
rmSync(dir, { recursive: true, force: true });

/** A balanced-ish plan: Hash Joins / Nested Loops over Seq Scans and Index Scans, `nodeCount` nodes in all. */
function syntheticPlan(n) {
  let id = 0;
  const findings = [];
  function make(budget, depth) {
    const myId = ++id;
    const est = 10 + ((myId * 7919) % 5000);
    const actual = myId % 9 === 0 ? est * 40 : est + (myId % 13);
    const leaf = budget <= 1;
    const raw = leaf
      ? {
          'Node Type': myId % 2 ? 'Seq Scan' : 'Index Scan',
          'Relation Name': `table_${myId}`,
          Alias: `t${myId}`,
          'Plan Rows': est,
          'Actual Rows': actual,
          'Actual Loops': 1,
          Filter: `((status = 'active'::text) AND (created_at > (now() - '30 days'::interval)) AND (note <> '<x & "y">'::text))`,
          'Rows Removed by Filter': est * 20,
          'Shared Hit Blocks': myId * 3,
          'Shared Read Blocks': myId % 5,
          'Total Cost': 100 + myId,
        }
      : { 'Node Type': depth % 2 ? 'Nested Loop' : 'Hash Join', 'Join Type': 'Inner', 'Hash Cond': `(t${myId}.id = x.ref_id)`, 'Total Cost': 1000 + myId };
    const children = [];
    if (!leaf) {
      const left = Math.ceil((budget - 1) / 2);
      const right = budget - 1 - left;
      if (left > 0) children.push(make(left, depth + 1));
      if (right > 0) children.push(make(right, depth + 1));
    }
    if (leaf && myId % 25 === 0) {
      findings.push({
        rule: 'seq-scan-filter',
        nodeId: myId,
        node: `Seq Scan on table_${myId}`,
        message: 'A filter removes most rows: add an index on (status, created_at).',
        severity: 'warning',
      });
    }
    return {
      id: myId,
      nodeType: raw['Node Type'],
      relation: raw['Relation Name'],
      alias: raw.Alias,
      children,
      estRows: est,
      actualRows: actual,
      loops: 1 + (myId % 3),
      totalMs: 0.01 * myId,
      exclusiveMs: 0.005 * ((myId * 31) % 97),
      sharedHit: raw['Shared Hit Blocks'],
      sharedRead: raw['Shared Read Blocks'],
      raw: { ...raw, Plans: undefined },
    };
  }
  const tree = make(n, 0);
  const toJson = (node) => ({ ...node.raw, Plans: node.children.length ? node.children.map(toJson) : undefined });
  return { tree, findings, plan: [{ Plan: toJson(tree), 'Planning Time': 1.2, 'Execution Time': 250 }], count: id };
}

const { tree, findings, plan, count } = syntheticPlan(nodeCount);
const result = {
  database: 'embedded PGlite (PostgreSQL 18.6)',
  sql: 'SELECT … /* synthetic */',
  plan,
  tree,
  findings,
  planningMs: 1.2,
  executionMs: 250,
  warnings: [],
};
const opts = {
  cspSource: 'vscode-resource:',
  styleUris: ['vscode-resource:/panel.css', 'vscode-resource:/explain.css'],
  scriptUri: 'vscode-resource:/explain.js',
};

const t0 = performance.now();
const first = buildExplainHtml(result, opts);
const cold = performance.now() - t0;
const times = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  buildExplainHtml(result, opts);
  times.push(performance.now() - t);
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (x) => Math.round(x * 100) / 100;
const p95 = pct(times, 95);
console.log(
  JSON.stringify(
    {
      benchmark: 'panel-html',
      nodes: count,
      findings: findings.length,
      htmlKB: round(first.length / 1024),
      runs,
      coldMs: round(cold),
      p50Ms: round(pct(times, 50)),
      p95Ms: round(p95),
      maxMs: round(Math.max(...times)),
      targetMs: 50,
      pass: cold < 50 && p95 < 50,
    },
    null,
    2,
  ),
);

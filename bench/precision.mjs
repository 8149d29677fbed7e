#!/usr/bin/env node
// Precision on application SQL written by others. Lints each application of ../shared/corpus/apps as its own
// workspace with `pgperf lint --format json` (with the .pgperf.json its users would write:
// test/fixtures/corpus-labels/app-config.json) and compares the findings with the judged sample
// (test/fixtures/corpus-labels/labels.json). Prints JSON: per rule, findings reported, how many of them are
// judged true / false / debatable, how many are not judged yet; the false share among judged reported findings.
// Usage: node bench/precision.mjs   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const apps = resolve(root, '../shared/corpus/apps');
const fixtures = join(root, 'test/fixtures/corpus-labels');
// labels.json holds the first labelling pass; labels-<rule id>.json the judged sample of each later rule.
const labels = readdirSync(fixtures)
  .filter((f) => /^labels(-[a-z0-9-]+)?\.json$/.test(f))
  .sort()
  .flatMap((f) => JSON.parse(readFileSync(join(fixtures, f), 'utf8')));
const appConfig = JSON.parse(readFileSync(join(fixtures, 'app-config.json'), 'utf8'));
const keyOf = (f) => `${f.app}|${f.file}|${f.line}|${f.ruleId}`;
const verdicts = new Map(labels.map((l) => [keyOf(l), l.verdict]));

const scratch = mkdtempSync(join(tmpdir(), 'pgperf-precision-'));
const rules = {};
let seconds = 0;
try {
  for (const app of readdirSync(apps, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()) {
    const args = [join(root, 'bin/pgperf.js'), 'lint', join(apps, app), '--format', 'json'];
    if (appConfig[app]) {
      const file = join(scratch, `${app}.json`);
      writeFileSync(file, JSON.stringify(appConfig[app]));
      args.push('--config', file);
    }
    const t0 = performance.now();
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28, cwd: scratch });
    seconds += (performance.now() - t0) / 1000;
    if (run.status !== 0 && run.status !== 1) throw new Error(`pgperf lint ${app} exited ${run.status}: ${run.stderr}`);
    for (const f of JSON.parse(run.stdout).findings) {
      if (f.ruleId === 'syntax-error') continue;
      const r = (rules[f.ruleId] ??= { reported: 0, true: 0, false: 0, debatable: 0, unjudged: 0 });
      r.reported++;
      r[verdicts.get(keyOf({ app, file: relative(join(apps, app), f.file), line: f.line, ruleId: f.ruleId })) ?? 'unjudged']++;
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const sum = (k) => Object.values(rules).reduce((n, r) => n + r[k], 0);
const judged = sum('true') + sum('false') + sum('debatable');
console.log(
  JSON.stringify(
    {
      bench: 'precision',
      corpus: 'shared/corpus/apps (14 applications, .sql files)',
      labels: labels.length,
      rules,
      total: { reported: sum('reported'), judged, true: sum('true'), false: sum('false'), debatable: sum('debatable'), unjudged: sum('unjudged') },
      falseShareOfJudged: judged ? Math.round((sum('false') / judged) * 10000) / 10000 : null,
      lintSeconds: Math.round(seconds * 100) / 100,
    },
    null,
    2,
  ),
);

#!/usr/bin/env node
// Precision on SQL embedded in application code. Lints each application of ../shared/corpus/apps as one
// workspace with its host files (.ts .tsx .js .mjs .cjs .jsx .py .go .rs) and its .sql files, with the
// .pgperf.json its users would write (test/fixtures/corpus-labels/app-config.json), and prints JSON: SQL strings
// found in host files per language and by how (call, tag, macro, comment, keyword), findings in host files per
// rule with how many of them the judged sample (host-labels.json) calls true / false / debatable, and the verdicts
// of the judged extraction sample (host-extraction.json: strings wrongly taken as SQL, SQL that was missed).
// Files are picked as `pgperf lint` picks them (collectFiles with the default or the app's include/exclude).
// The engine runs from source, bundled on the fly (no build needed).
// Usage: node bench/host-precision.mjs [--dump out.json]   (every host finding and SQL string, for labelling)
import { build } from 'esbuild';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_CONFIG, apps, lintApp, summarize } from '../test/fixtures/corpus-labels/host-corpus.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const dumpAt = process.argv.indexOf('--dump');

const dir = mkdtempSync(join(tmpdir(), 'pgperf-host-precision-'));
try {
  const bundle = join(dir, 'engine.cjs');
  await build({
    stdin: {
      contents: [
        "export { lintSources } from './server/src/analysis/engine';",
        "export { DEFAULT_CONFIG, resolveConfig } from './server/src/analysis/config';",
        "export { RULES } from './server/src/analysis/rules/index';",
        "export { initEmbedded, hostLanguageOf } from './server/src/analysis/host';",
        "export { collectFiles, languageEnabled } from './server/src/files';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
    // The WASM packages find their files beside their own modules (reached through the node_modules link).
    external: ['web-tree-sitter', 'libpg-query', '@vscode/tree-sitter-wasm'],
  });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const engine = createRequire(import.meta.url)(bundle);
  await engine.initEmbedded();
  const ids = new Set(engine.RULES.map((r) => r.meta.id));
  const configOf = (app) => {
    if (!APP_CONFIG[app]) return engine.DEFAULT_CONFIG;
    const r = engine.resolveConfig(APP_CONFIG[app], ids);
    if (r.problems.length) throw new Error(`${app}: ${JSON.stringify(r.problems)}`);
    return r.config;
  };
  const t0 = performance.now();
  const linted = apps().map((app) => ({
    app,
    ...lintApp(
      {
        lintSources: engine.lintSources,
        configOf,
        collectFiles: engine.collectFiles,
        languageEnabled: engine.languageEnabled,
        hostLanguageOf: engine.hostLanguageOf,
      },
      app,
    ),
  }));
  const seconds = (performance.now() - t0) / 1000;
  const internalErrors = linted.flatMap((l) => l.result.internalErrors.map((e) => `${l.app}: ${e}`));
  const perApp = Object.fromEntries(
    linted.map((l) => {
      const byLang = {};
      for (const s of l.strings) byLang[s.language] = (byLang[s.language] ?? 0) + 1;
      return [l.app, { hostFiles: l.hostFiles, sqlStrings: byLang, hostFindings: l.findings.length }];
    }),
  );
  if (dumpAt > 0) {
    writeFileSync(
      process.argv[dumpAt + 1],
      JSON.stringify({ findings: linted.flatMap((l) => l.findings), strings: linted.flatMap((l) => l.strings) }, null, 1),
    );
  }
  console.log(
    JSON.stringify(
      {
        bench: 'host-precision',
        corpus: 'shared/corpus/apps (14 applications, host files with .sql files)',
        ...summarize(linted),
        perApp,
        internalErrors,
        lintSeconds: Math.round(seconds * 100) / 100,
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
// Embedded-SQL extraction over ../shared/corpus/apps (host files: .ts .tsx .js .mjs .py .go .rs). Prints JSON per
// language: files, MB, SQL strings found (by how: API call, tag, macro, sql comment, keyword fallback), how many of
// them the PostgreSQL parser accepts (failsOnHoles: rejected where the interpolations stand for clauses or lists
// that neither a name nor a value placeholder fits — flagged holesUnreadable), and extraction time (tree-sitter parse + walk, warm, excluding WASM load).
// The extractor runs from a bundle beside dist/tree-sitter/, as the CLI and server will (build first).
// Usage: node bench/host-extract.mjs [--samples out.json]   (every string found, for reading)
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const corpus = resolve(root, '../shared/corpus/apps');
const samplesAt = process.argv.indexOf('--samples');
const require = createRequire(import.meta.url);

const dir = mkdtempSync(join(tmpdir(), 'pgperf-host-bench-'));
const bundle = join(dir, 'host.cjs');
await build({
  stdin: {
    contents:
      "export { initEmbedded, extractSql, hostLanguageOf } from './server/src/analysis/host';\nexport { sqlParses, parseSql } from './server/src/analysis/pg';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: bundle,
  logLevel: 'error',
  plugins: [{ name: 'web-tree-sitter-cjs', setup: (b) => b.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: require.resolve('web-tree-sitter') })) }],
});
symlinkSync(join(root, 'dist/tree-sitter'), join(dir, 'tree-sitter'));
symlinkSync(join(root, 'dist/libpg-query.wasm'), join(dir, 'libpg-query.wasm'));
const host = require(bundle);
const t0 = performance.now();
await host.initEmbedded();
const initMs = performance.now() - t0;

const files = (function walk(d) {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : /\.(ts|tsx|js|mjs|py|go|rs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(d, e.name)] : [],
  );
})(corpus);

const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const perLang = {};
const samples = [];
for (const f of files) {
  const lang = host.hostLanguageOf(f);
  const key = lang === 'tsx' ? 'typescript' : lang;
  const text = readFileSync(f, 'utf8');
  const s = (perLang[key] ??= { files: 0, bytes: 0, ms: 0, found: 0, parses: 0, failHoles: 0, foundBy: {}, filesWithSql: 0, sqlBytes: 0 });
  const t = performance.now();
  const found = host.extractSql(f, text);
  s.ms += performance.now() - t;
  s.files++;
  s.bytes += Buffer.byteLength(text);
  if (found.length) s.filesWithSql++;
  for (const e of found) {
    const r = host.parseSql(e.sql);
    s.found++;
    s.sqlBytes += Buffer.byteLength(e.sql);
    if (r.ok) s.parses++;
    else if (e.holesUnreadable) s.failHoles++;
    s.foundBy[e.foundBy] = (s.foundBy[e.foundBy] ?? 0) + 1;
    const line = text.slice(0, e.start).split('\n').length;
    const endLine = line + text.slice(e.start, e.end).split('\n').length - 1;
    samples.push({
      file: relative(corpus, f),
      line,
      endLine,
      api: e.api,
      foundBy: e.foundBy,
      parses: r.ok,
      error: r.ok ? undefined : r.message,
      holesUnreadable: e.holesUnreadable,
      sql: e.sql,
    });
  }
}
const out = { corpus: relative(root, corpus), initMs: round(initMs), languages: {} };
for (const [k, s] of Object.entries(perLang)) {
  out.languages[k] = {
    files: s.files,
    filesWithSql: s.filesWithSql,
    MB: round(s.bytes / 1e6, 3),
    sqlFound: s.found,
    parses: s.parses,
    failsOnHoles: s.failHoles,
    foundBy: s.foundBy,
    sqlMB: round(s.sqlBytes / 1e6, 3),
    ms: round(s.ms, 1),
    MBps: round(s.bytes / 1e6 / (s.ms / 1000), 1),
  };
}
const all = Object.values(perLang);
out.total = {
  files: all.reduce((n, s) => n + s.files, 0),
  sqlFound: all.reduce((n, s) => n + s.found, 0),
  parses: all.reduce((n, s) => n + s.parses, 0),
  failsOnHoles: all.reduce((n, s) => n + s.failHoles, 0),
  ms: round(
    all.reduce((n, s) => n + s.ms, 0),
    1,
  ),
};
if (samplesAt > 0) writeFileSync(process.argv[samplesAt + 1], JSON.stringify(samples, null, 1));
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));

// Bundles the CLI, the language server, the VS Code client and the embedded database's worker with esbuild, and
// puts beside the bundles what they load at run time: the parser's WASM (libpg-query looks in its own __dirname)
// and PGlite with pgvector (dist/node_modules, so the packaged extension needs no node_modules of its own).
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const outdir = 'dist';
mkdirSync(outdir, { recursive: true });

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, minify: false, logLevel: 'warning', outdir };

// pg's optional native binding is only loaded through `pg.native`, which pgperf never uses; pg expects a missing
// module to throw MODULE_NOT_FOUND, so that is what the bundle gets instead of a require of an absent package.
const noPgNative = {
  name: 'no-pg-native',
  setup(b) {
    b.onResolve({ filter: /^pg-native$/ }, () => ({ path: 'pg-native', namespace: 'no-pg-native' }));
    b.onLoad({ filter: /.*/, namespace: 'no-pg-native' }, () => ({
      contents: "throw Object.assign(new Error(\"Cannot find module 'pg-native'\"), { code: 'MODULE_NOT_FOUND' });",
      loader: 'js',
    }));
  },
};

// web-tree-sitter's ESM build finds its files through import.meta.url, which a CommonJS bundle lacks; its CommonJS
// build is the one for these bundles (the WASM is located by path anyway, see server/src/analysis/host/grammars.ts).
const treeSitterCjs = {
  name: 'web-tree-sitter-cjs',
  setup(b) {
    b.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: require.resolve('web-tree-sitter') }));
  },
};

await build({
  ...common,
  // host-worker: the CLI's worker threads for host-file extraction (cli/host-pool.ts).
  entryPoints: { cli: 'cli/main.ts', server: 'server/src/lsp/main.ts', extension: 'client/src/extension.ts', 'host-worker': 'cli/host-worker.ts' },
  external: ['vscode'],
  plugins: [noPgNative, treeSitterCjs],
});

// The embedded database's worker thread (database/connection/embedded.ts starts it). PGlite loads its .wasm/.data files
// relative to its own module, so it and pgvector stay external and are copied below.
await build({
  ...common,
  entryPoints: { 'pglite-worker': 'database/connection/pglite-worker.ts' },
  external: ['@electric-sql/pglite', '@electric-sql/pglite-pgvector'],
});

const wasm = join(dirname(require.resolve('libpg-query')), 'libpg-query.wasm');
copyFileSync(wasm, join(outdir, 'libpg-query.wasm'));

// The host-language grammars for SQL embedded in code: web-tree-sitter's runtime WASM and the six grammars, which
// server/src/analysis/host/grammars.ts loads by path from dist/tree-sitter/ (esbuild cannot bundle a .wasm loaded
// by path).
const treeSitter = join(outdir, 'tree-sitter');
rmSync(treeSitter, { recursive: true, force: true });
mkdirSync(treeSitter, { recursive: true });
copyFileSync(join(dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm'), join(treeSitter, 'tree-sitter.wasm'));
const grammars = dirname(require.resolve('@vscode/tree-sitter-wasm'));
for (const lang of ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust']) {
  copyFileSync(join(grammars, `tree-sitter-${lang}.wasm`), join(treeSitter, `tree-sitter-${lang}.wasm`));
}

// PGlite's runtime: its CommonJS entry, the Postgres WASM, the data bundle and initdb; pgvector's entry and archive.
// Not the ESM builds, source maps, type declarations or the contrib extensions pgperf does not load.
const runtime = {
  '@electric-sql/pglite': /^(index\.cjs|pglite\.wasm|pglite\.data|initdb\.wasm)$/,
  '@electric-sql/pglite-pgvector': /^(index\.cjs|vector\.tar\.gz)$/,
};
for (const [pkg, keep] of Object.entries(runtime)) {
  // The package's folder: its main entry is <folder>/dist/index.cjs (package.json is not in its exports).
  const src = dirname(dirname(require.resolve(pkg)));
  const dest = join(outdir, 'node_modules', pkg);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(dest, 'dist'), { recursive: true });
  copyFileSync(join(src, 'package.json'), join(dest, 'package.json'));
  copyFileSync(join(src, 'LICENSE'), join(dest, 'LICENSE'));
  for (const f of readdirSync(join(src, 'dist'))) if (keep.test(f)) cpSync(join(src, 'dist', f), join(dest, 'dist', f));
}

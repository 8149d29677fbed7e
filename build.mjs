// Bundles the CLI, the language server and the VS Code client with esbuild, and puts the parser's WASM beside
// the bundles where libpg-query looks for it (its own __dirname).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const outdir = 'dist';
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: { cli: 'server/src/cli/main.ts', server: 'server/src/lsp/main.ts', extension: 'client/src/extension.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify: false,
  logLevel: 'warning',
  external: ['vscode'],
});

const wasm = join(dirname(require.resolve('libpg-query')), 'libpg-query.wasm');
copyFileSync(wasm, join(outdir, 'libpg-query.wasm'));

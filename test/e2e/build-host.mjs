// Bundles the extension-host tests (test/e2e/host/*.ts) into dist-e2e/host/, one CommonJS file each: VS Code
// requires the index, which hands every *.test.js to mocha. `vscode` is the extension host's own module and
// mocha is taken from the project's node_modules (one copy, so its describe/it see the running suite).
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

const dir = new URL('./host/', import.meta.url).pathname;
await build({
  entryPoints: readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => dir + f),
  outdir: new URL('../../dist-e2e/host/', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

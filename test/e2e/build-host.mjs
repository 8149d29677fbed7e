// Bundles the extension-host tests (test/e2e/host/*.ts) into dist-e2e/host/, one CommonJS file each: VS Code
// requires the index, which hands every *.test.js to mocha. `vscode` is the extension host's own module and
// mocha is taken from the project's node_modules (one copy, so its describe/it see the running suite), and so is
// typescript (the compiler checks a host file after a fix; bundled, it would add its ~9 MB to the test bundle).
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

const dir = new URL('./host/', import.meta.url).pathname;
await build({
  entryPoints: readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => dir + f),
  outdir: new URL('../../dist-e2e/host/', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha', 'typescript'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

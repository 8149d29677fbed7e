/** Where the end-to-end tools are: e2e/runtime.json, written by e2e/setup.sh (`npm run test:e2e` runs it first). */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const PROJECT = resolve(__dirname, '../../..');

export interface E2eRuntime {
  /** Node 24, which VS Code's server needs. */
  node: string;
  /** code-server's entry (the VS Code web workbench and server with --install-extension and --auth). */
  codeServer: string;
  /** The bare VS Code server (`server-main.js`), which takes --enable-smoke-test-driver. */
  serverMain: string;
  chromium: string;
}

export function loadRuntime(): E2eRuntime {
  const file = resolve(PROJECT, 'e2e/runtime.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`bash e2e/setup.sh\` first (npm run test:e2e does)`);
  const runtime = JSON.parse(readFileSync(file, 'utf8')) as E2eRuntime;
  for (const [name, path] of Object.entries(runtime)) {
    if (!existsSync(path)) throw new Error(`e2e runtime: ${name} ${path} does not exist: run \`bash e2e/setup.sh\` again`);
  }
  return runtime;
}

/** Test artifacts (screenshots, logs) of one suite; kept after the run, ignored by git. */
export const artifactsDir = (suite: string): string => resolve(PROJECT, 'test-results/e2e', suite);

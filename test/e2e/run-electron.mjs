// The extension-host suite under desktop VS Code, through @vscode/test-electron: for machines that can download
// VS Code from update.code.visualstudio.com (this project's CI machines cannot; there the same suite runs in the
// VS Code server, test/e2e/host.e2e.ts). Usage: npm run build && node test/e2e/build-host.mjs && node test/e2e/run-electron.mjs
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

const project = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'pgperf-e2e-electron-'));
const workspace = join(dir, 'workspace');
cpSync(join(project, 'test/e2e/fixtures/workspace'), workspace, { recursive: true });
mkdirSync(join(workspace, '.vscode'));
writeFileSync(join(workspace, '.vscode/settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'git.enabled': false }, null, 2));

try {
  await runTests({
    version: process.env.PGPERF_VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: project,
    extensionTestsPath: join(project, 'dist-e2e/host/index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(dir, 'user-data')],
    extensionTestsEnv: { PGPERF_E2E_RESULTS: join(dir, 'results.json') },
  });
  console.log(`extension-host suite passed (results: ${join(dir, 'results.json')})`);
} catch (e) {
  console.error(`extension-host suite failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}

/**
 * Runs the extension-host suite (test/e2e/host, bundled into dist-e2e/host) in a real VS Code: the VS Code server
 * from code-server with the smoke-test driver, opened in Chromium with this checkout as the extension under
 * development. The workbench calls `window.codeAutomationExit(code)` when `run()` settles: 0 passed, 1 failed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTestResult } from '../host/index';
import { launchBrowser } from './browser';
import { freePort, startService } from './processes';
import { artifactsDir, loadRuntime, PROJECT } from './runtime';
import { scratchWorkspace } from './workspace';

export interface HostSuiteRun {
  exitCode: number;
  results: HostTestResult[];
}

export async function runHostSuite(timeoutMs = 180_000): Promise<HostSuiteRun> {
  const runtime = loadRuntime();
  const index = join(PROJECT, 'dist-e2e/host/index.js');
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`node test/e2e/build-host.mjs\` first (npm run test:e2e does)`);
  if (!existsSync(join(PROJECT, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `node build.mjs` first');
  const artifacts = artifactsDir('host');
  const scratch = scratchWorkspace('host');
  const resultsFile = join(scratch.dir, 'results.json');
  const port = await freePort();
  const authority = `127.0.0.1:${port}`;
  const server = await startService(
    runtime.node,
    [
      runtime.serverMain,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--telemetry-level',
      'off',
      '--server-data-dir',
      join(scratch.dir, 'server-data'),
      '--user-data-dir',
      join(scratch.dir, 'user-data'),
    ],
    // The extension host is the server's child and inherits this environment.
    { url: `http://${authority}/version`, log: join(artifacts, 'vscode-server.log'), env: { ...process.env, PGPERF_E2E_RESULTS: resultsFile } },
  );
  const browser = await launchBrowser(runtime);
  const console: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.push(`[${m.type()}] ${m.text()}`));
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://${authority}${PROJECT}`],
      ['extensionTestsPath', `vscode-remote://${authority}${index}`],
    ]);
    await page.goto(`http://${authority}/?folder=${encodeURIComponent(scratch.workspace)}&payload=${encodeURIComponent(payload)}`);
    let timer: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([
      exited,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`the extension-host suite did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    await page.screenshot({ path: join(artifacts, 'workbench.png') });
    if (!existsSync(resultsFile)) {
      throw new Error(`VS Code exited with ${exitCode} but the suite wrote no results; server output:\n${server.output().slice(-4000)}`);
    }
    return { exitCode, results: JSON.parse(readFileSync(resultsFile, 'utf8')) as HostTestResult[] };
  } finally {
    writeFileSync(join(artifacts, 'browser-console.log'), console.join('\n'));
    await browser.close();
    await server.stop();
  }
}

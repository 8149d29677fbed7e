/**
 * code-server (VS Code's web workbench and server) with the packaged pgperf .vsix installed, opened in Chromium:
 * the extension as a user meets it. Everything it writes (settings, extensions, logs) lives in a scratch folder.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser';
import { freePort, startService, type Service } from './processes';
import { artifactsDir, loadRuntime, PROJECT } from './runtime';
import { QUIET_SETTINGS, scratchWorkspace, type Scratch } from './workspace';

const VSIX = join(PROJECT, 'dist-pkg/pgperf.vsix');

export interface Workbench {
  page: Page;
  scratch: Scratch;
  close(): Promise<void>;
}

/** `workspaceSettings` go into the scratch workspace's .vscode/settings.json. */
export async function openWorkbench(
  suite: string,
  {
    viewport = { width: 1280, height: 760 },
    workspaceSettings = {},
  }: { viewport?: { width: number; height: number }; workspaceSettings?: Record<string, unknown> } = {},
): Promise<Workbench> {
  const runtime = loadRuntime();
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` first (npm run test:e2e does)`);
  const scratch = scratchWorkspace(suite, workspaceSettings);
  const userData = join(scratch.dir, 'user-data');
  const extensions = join(scratch.dir, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, 'workbench.colorTheme': 'Default Dark Modern' }, null, 2));
  const config = join(scratch.dir, 'config.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');
  // XDG folders in the scratch folder: code-server writes nothing to the home folder.
  const env = { ...process.env, XDG_CONFIG_HOME: join(scratch.dir, 'xdg-config'), XDG_DATA_HOME: join(scratch.dir, 'xdg-data') };
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions, '--disable-telemetry', '--disable-update-check'];
  await promisify(execFile)(runtime.node, [runtime.codeServer, ...common, '--install-extension', VSIX], { env, timeout: 120_000 });

  const port = await freePort();
  const artifacts = artifactsDir(suite);
  let server: Service | undefined;
  let browser: Browser | undefined;
  try {
    server = await startService(
      runtime.node,
      [runtime.codeServer, ...common, '--bind-addr', `127.0.0.1:${port}`, '--disable-workspace-trust', '--disable-getting-started-override', scratch.workspace],
      { url: `http://127.0.0.1:${port}/healthz`, log: join(artifacts, 'code-server.log'), env },
    );
    browser = await launchBrowser(runtime);
    const page = await browser.newPage({ viewport });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(scratch.workspace)}`);
    await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 60_000 });
    const b = browser;
    const s = server;
    return {
      page,
      scratch,
      close: async () => {
        await b.close();
        await s.stop();
      },
    };
  } catch (e) {
    await browser?.close();
    await server?.stop();
    throw e;
  }
}

/** Debian's Chromium under Playwright, with the flags this closed network needs (no background connections). */
import { chromium, type Browser } from 'playwright-core';
import type { E2eRuntime } from './runtime';

export function launchBrowser(runtime: E2eRuntime): Promise<Browser> {
  return chromium.launch({
    executablePath: runtime.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The extension-host suite (test/e2e/host) in a real VS Code, one vitest test per mocha test so the closing
 * `N passed, N failed` line counts them. The suite runs while this file is collected.
 */
import { describe, expect, it } from 'vitest';
import { runHostSuite } from './harness/host-suite';

const run = await runHostSuite();

describe('extension host (VS Code server, smoke-test driver, Chromium)', () => {
  it('ran the suite, and VS Code exited with the code its outcome calls for', () => {
    expect(run.results.length).toBeGreaterThan(0);
    expect(run.exitCode).toBe(run.results.some((r) => r.state === 'failed') ? 1 : 0);
  });
  for (const r of run.results) {
    it(r.title, () => {
      if (r.state === 'failed') throw new Error(r.error);
    });
  }
});

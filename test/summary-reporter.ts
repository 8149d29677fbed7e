/**
 * Ends every run with the plain closing line CI reads: `N passed, N failed` (and skipped, if any). With
 * $PGPERF_SUMMARY_FILE set, the counts are also appended to it as a JSON line (.ci/run sums its suites).
 */
import { appendFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    failed += errors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    if (process.env.PGPERF_SUMMARY_FILE) appendFileSync(process.env.PGPERF_SUMMARY_FILE, `${JSON.stringify({ passed, failed, skipped })}\n`);
  }
}

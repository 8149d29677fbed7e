import { defineConfig } from 'vitest/config';

// The big-corpus suites (npm run test:corpus): SQL and application code written by others, read from
// ../shared/corpus beside the checkout. Kept out of `npm test` so that a plain clone passes on its own; a missing
// corpus fails this run (test/corpus/require-corpus.ts) rather than passing with nothing tested.
export default defineConfig({
  test: {
    include: ['test/corpus/**/*.test.ts'],
    globalSetup: ['test/corpus/require-corpus.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});

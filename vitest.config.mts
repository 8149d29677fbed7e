import { defineConfig } from 'vitest/config';

// The unit, rule, protocol, package and database suites (npm test): everything they read is in the repository.
// The corpus suites (test/corpus, ../shared/corpus) have their own run: vitest.corpus.config.mts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/corpus/**', '**/node_modules/**'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});

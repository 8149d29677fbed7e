import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});

import { defineConfig } from 'vitest/config';

// The end-to-end suites (npm run test:e2e): a real VS Code each, so one file at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});

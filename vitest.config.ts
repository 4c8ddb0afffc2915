import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // End-to-end tests share one Docker engine and the audit log; running them one file at a time keeps them honest.
    fileParallelism: true,
    maxWorkers: 2,
  },
});

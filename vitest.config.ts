import { defineConfig } from 'vitest/config';

const E2E = ['test/e2e/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    // `npm run coverage`: what the in-process tests reach (CLI and end-to-end tests spawn the built CLI).
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'parsers/**/*.ts'],
      exclude: ['src/**/*.generated.ts'],
      reporter: ['text-summary', 'text'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-and-cli',
          include: ['test/**/*.test.ts'],
          exclude: E2E,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // End-to-end files share one Docker engine, the audit rules and the audit log: one file at a
        // time, after the rest, so that one file's recording cannot clean up or read another's.
        extends: true,
        test: { name: 'e2e', include: E2E, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});

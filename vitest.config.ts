import { defineConfig } from 'vitest/config';

/**
 * Two projects: `quick` (unit and in-process HTTP tests, the inner loop:
 * `npx vitest run --project quick`) and `slow` (browser e2e, crash tests and
 * real server processes under test/, `*.crash.test.ts` / `*.slow.test.ts`,
 * and the heavy property-based differentials). `npm test` runs both.
 */
const SLOW = [
  'test/**/*.test.ts',
  'src/**/*.crash.test.ts',
  'src/**/*.slow.test.ts',
  'src/cohort/cohort-differential.test.ts',
  'src/http/ingest-fuzz.test.ts',
];

export default defineConfig({
  test: {
    // DuckDB is a native addon: separate processes keep each test file's instances apart.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'quick', include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], exclude: SLOW } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});

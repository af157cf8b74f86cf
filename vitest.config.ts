import { defineConfig } from 'vitest/config';

/**
 * Suites that take tens of seconds each: SIGKILLs of real processes, the convergence property
 * over random fault schedules, the sync fault matrix against a real portal process. `npm test`
 * (the gate CI runs) runs everything; `npm run test:fast` (the edit loop) leaves these out.
 */
export const SLOW_SUITES = [
  'test/crash/**',
  'test/sync/convergence.property.test.ts',
  'test/sync/faults.test.ts',
  'test/sync/hostile.test.ts',
  'test/sync/restore.test.ts',
  'test/fuzz/**',
];

const fast = process.env.TEST_TIER === 'fast';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/e2e/**', 'node_modules/**', ...(fast ? SLOW_SUITES : [])],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

/**
 * The slow tier: suites that SIGKILL real processes (crash), run properties over many random
 * schedules (convergence, the queue model, the IPC fuzz), drive the counter against a real
 * portal process (the sync fault matrix and the other sync suites on real sockets), or render
 * slips in Chromium. `npm test` (the gate CI runs) runs everything; `npm run test:fast` (the
 * edit loop) leaves these out and runs the rest on two workers.
 */
export const SLOW_SUITES = [
  'test/crash/**',
  'test/fuzz/**',
  'test/property/**',
  'test/sync/convergence.property.test.ts',
  'test/sync/faults.test.ts',
  'test/sync/hostile.test.ts',
  'test/sync/restore.test.ts',
  'test/sync/upload.test.ts',
  'test/sync/policies.test.ts',
  'test/sync/search-refresh.test.ts',
  'test/sync/roster-file.test.ts',
  'test/printing/slip-pdf.test.ts',
  'test/portal/faults.test.ts',
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
    // before each file's imports: a test's set-up reuses the PIN hashes it computed before
    // (the tests themselves hash every PIN for real)
    setupFiles: ['test/support/pin-hash-cache.ts'],
    // the full run keeps vitest's default (one worker on two cores): its timing-sensitive
    // suites then have a core to themselves
    ...(fast ? { maxWorkers: 2 } : {}),
  },
});

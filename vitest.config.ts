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
  // each stops and starts a PostgreSQL cluster of its own
  'test/sync/pg-outage.test.ts',
  'test/postgres/operations.test.ts',
  // real portal processes on PostgreSQL, one SIGKILLed and restarted several times
  'test/postgres/processes.test.ts',
  // each starts real PostgreSQL clusters (initdb) and the test command's copies
  'test/scripts/pg-cluster.test.ts',
  'test/scripts/run-tests.test.ts',
];

/**
 * Suites that need a process of their own even in the fast tier: the page's (a DOM each) and
 * those that replace a module (electron, the dispatcher) for every file loaded after them.
 * In the fast tier the other suites share their worker's process, one file after another: the
 * counter's modules are loaded once per worker instead of once per file. `npm test` gives every
 * file a process of its own.
 */
export const OWN_PROCESS = [
  'test/renderer/**',
  'test/electron/preload.test.ts',
  'test/electron/shell.test.ts',
  'test/electron/system-printer.test.ts',
  'test/bridge/web-bridge.test.ts',
];

const fast = process.env.TEST_TIER === 'fast';
const include = ['test/**/*.test.ts', 'test/**/*.test.tsx'];
const exclude = ['test/e2e/**', 'node_modules/**', ...(fast ? SLOW_SUITES : [])];

export default defineConfig({
  test: {
    // (in the fast tier the projects below say which files; a project's lists add to these)
    ...(fast ? {} : { include, exclude }),
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // before each file's imports: a test's set-up reuses the PIN hashes it computed before
    // (the tests themselves hash every PIN for real)
    setupFiles: ['test/support/pin-hash-cache.ts'],
    // the full run keeps vitest's default (one worker on two cores): its timing-sensitive
    // suites then have a core to themselves
    ...(fast
      ? {
          maxWorkers: 2,
          projects: [
            { extends: true, test: { name: 'shared', include, exclude: [...exclude, ...OWN_PROCESS], isolate: false } },
            {
              extends: true,
              test: { name: 'own', include: OWN_PROCESS.map((g) => (g.endsWith('/**') ? `${g}/*.test.{ts,tsx}` : g)), exclude },
            },
          ],
        }
      : {}),
  },
});

import { defineConfig } from 'vitest/config';

/**
 * The slow tier: suites that SIGKILL real processes (crash), run properties over many random
 * schedules (convergence, the queue model, the IPC fuzz), drive the counter against a real
 * portal process (the sync fault matrix and the other sync suites on real sockets), render
 * slips in Chromium, start commands as processes, load the speech or slip workers, or hash
 * PINs by the hundred (sign-in, sessions, lock-out). `npm test` (the gate CI runs) runs
 * everything; `npm run test:fast` (the edit loop) leaves these out and runs the rest on two
 * workers.
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
  // commands run as processes of their own (the portal's options and secrets, its graceful stop,
  // IT's recovery command, the release keys): each start loads the whole program again
  'test/portal/database-options.test.ts',
  'test/portal/secrets.test.ts',
  'test/portal/operations.test.ts',
  'test/admin/counter-admin.test.ts',
  'test/updates/release-sign.test.ts',
  // a counter with its real sync worker against a real portal on loopback, waiting on real time
  'test/store/enrolment.test.ts',
  'test/sync/fleet-report.test.ts',
  'test/sync/district-settings.test.ts',
  'test/sync/reduction-bytes.test.ts',
  // worker threads that load eSpeak NG or draw slips, and wait out their deadlines
  'test/printing/slip-worker.test.ts',
  'test/speech/flood.test.ts',
  'test/speech/speech.test.ts',
  'test/speech/board-speech.test.ts',
  // sign-in, sessions and the lock-out ladders: every PIN typed in them is hashed for real
  // (scrypt, about 50 ms each), hundreds in all
  'test/store/operators-lockout.test.ts',
  'test/store/operators.test.ts',
  'test/store/sessions.test.ts',
];

/**
 * Suites that need a process of their own even in the fast tier: those that replace a module
 * (electron, the dispatcher, a component of the page) for every file loaded after them.
 * In the fast tier the other suites share their worker's process, one file after another: the
 * counter's modules (and the page's, with a DOM for each file) are loaded once per worker
 * instead of once per file. `npm test` gives every file a process of its own.
 */
export const OWN_PROCESS = [
  'test/renderer/counter-redraw.test.tsx',
  'test/renderer/status-redraw.test.tsx',
  'test/electron/preload.test.ts',
  'test/electron/shell.test.ts',
  'test/electron/system-printer.test.ts',
  'test/bridge/web-bridge.test.ts',
  // the web bridge's window.counter: defined once per page, for good
  'test/bridge/page-line.test.ts',
];

/**
 * Suites of PostgreSQL alone (its migrations, partitions, processes, outages): they run once, in
 * the PostgreSQL leg of the test command, and are left out of its SQLite leg
 * (scripts/run-tests.mjs sets PORTAL_TEST_ENGINE for each). Run by hand with no engine named,
 * they say why they skip.
 */
export const POSTGRES_ONLY = ['test/postgres/**', 'test/sync/pg-outage.test.ts'];
const sqliteLeg = process.env.PORTAL_TEST_ENGINE === 'sqlite';

/** The page's suites (React in a DOM). */
const PAGE = ['test/renderer/*.test.{ts,tsx}'];

const fast = process.env.TEST_TIER === 'fast';
const include = ['test/**/*.test.ts', 'test/**/*.test.tsx'];
const exclude = ['test/e2e/**', 'node_modules/**', ...(fast ? SLOW_SUITES : []), ...(sqliteLeg ? POSTGRES_ONLY : [])];

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
            {
              extends: true,
              test: { name: 'shared', include, exclude: [...exclude, ...OWN_PROCESS, ...PAGE], isolate: false },
            },
            // the page's suites (a DOM each file) share theirs apart from the others
            { extends: true, test: { name: 'page', include: PAGE, exclude: [...exclude, ...OWN_PROCESS], isolate: false } },
            {
              extends: true,
              test: { name: 'own', include: OWN_PROCESS.map((g) => (g.endsWith('/**') ? `${g}/*.test.{ts,tsx}` : g)), exclude },
            },
          ],
        }
      : {}),
  },
});

// `npm test`: every suite in turn (type check, lint, vitest, end-to-end in Chromium, the package
// check), each run to the end even when an earlier one fails, then one summary line over all of
// them: `N passed, N failed, N skipped`. Exits non-zero if anything failed or a suite could not run.
// `npm run test:fast` (`--fast`): vitest without the slow suites (see vitest.config.ts), for
// the edit loop; the type check, the lint, the PostgreSQL run (unless `--postgres`), the
// end-to-end tests and the package check are left to `npm test`.
// The portal and sync suites run a second time on PostgreSQL (the test matrix): a throw-away cluster
// (scripts/pg-cluster.mjs) is started before the first vitest run, which gets its URL too (for the
// PostgreSQL-only suites), and removed at the end, also when a suite fails or the run is
// interrupted. PORTAL_TEST_DATABASE_URL set beforehand names a server to use instead (none is
// started then). Where PostgreSQL cannot be started, that suite is counted as skipped, with why.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './chromium.mjs';
import { pruneClusters, startCluster } from './pg-cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const bin = (name) => join(root, 'node_modules/.bin', name);
/** the suite's process now running (a signal to this run is passed on to it) */
let current;
let interrupted = false;
const run = (cmd, args, env = {}) =>
  new Promise((done) => {
    if (interrupted) return done(1); // nothing new starts once the run is interrupted
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    current = child;
    child.once('error', (error) => {
      console.error(`${cmd}: ${error.message}`);
      current = undefined;
      done(1);
    });
    child.once('exit', (code) => {
      current = undefined;
      done(code ?? 1);
    });
  });

const fast = process.argv.includes('--fast');
const suites = [];

// The PostgreSQL the portal and sync suites run on a second time: { url } or { reason }.
const PG_SUITE = 'vitest (portal and sync on PostgreSQL)';
const PG_SUITE_FILES = ['test/portal/', 'test/sync/', 'test/postgres/'];
let cluster;
let removing;
/** removes the cluster once; a second call waits for the same removal */
const removeCluster = () => {
  const c = cluster;
  if (!c) return removing;
  cluster = undefined;
  removing = c?.remove().catch((error) => console.error(`PostgreSQL test cluster not removed (${c.dataDir}): ${error.message}`));
  return removing;
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the tests and removing the PostgreSQL test cluster`);
    current?.kill(signal);
    // a cluster still starting is removed as soon as it is up
    void Promise.resolve(pgStarting)
      .then(removeCluster)
      .finally(() => {
        current?.kill(signal);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
  });
// the edit loop leaves the second engine to `npm test` (or takes it with --postgres)
const withPostgres = !fast || process.argv.includes('--postgres');
const pgStarting = withPostgres
  ? testPostgres()
  : Promise.resolve({ reason: 'left to npm test by test:fast (add --postgres to run it)' });
const pg = await pgStarting;
if (interrupted) await new Promise(() => {}); // the handler above removes the cluster and exits

try {
  await main();
} finally {
  await removeCluster();
}
// an interrupted run prints no summary: its signal handler exits once the cluster is removed
if (interrupted) await new Promise(() => {});

async function main() {
  // 1. type check: one check, passed or failed (tsc -b: one project per process)
  if (!fast) {
    const status = await run(bin('tsc'), ['-b']);
    suites.push({ name: 'typecheck', passed: status === 0 ? 1 : 0, failed: status === 0 ? 0 : 1, skipped: 0, ran: true });
  }

  // 2. lint: the folder boundaries, SQL only in main/store, no cycles in main (eslint), one format (prettier)
  if (!fast) {
    const eslint = await run(bin('eslint'), ['.']);
    suites.push({ name: 'eslint', passed: eslint === 0 ? 1 : 0, failed: eslint === 0 ? 0 : 1, skipped: 0, ran: true });
    const prettier = await run(bin('prettier'), ['--check', '--log-level', 'warn', '.']);
    suites.push({ name: 'prettier', passed: prettier === 0 ? 1 : 0, failed: prettier === 0 ? 0 : 1, skipped: 0, ran: true });
  }

  // 3. vitest: unit, store, property, crash, fuzz, shell, bridge, renderer component tests
  {
    const report = join(results, 'vitest.json');
    rmSync(report, { force: true });
    const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
    const status = await run(bin('vitest'), args, {
      ...(fast ? { TEST_TIER: 'fast' } : {}),
      // the SQLite leg: the suites of PostgreSQL alone run in the next (vitest.config.ts, POSTGRES_ONLY)
      PORTAL_TEST_ENGINE: 'sqlite',
      ...('url' in pg ? { PORTAL_TEST_DATABASE_URL: pg.url } : {}),
    });
    suites.push(readVitest(report, status));
  }

  // 3b. the portal and sync suites again, on PostgreSQL (in --fast, the non-slow ones)
  if ('url' in pg) {
    const report = join(results, 'vitest-postgres.json');
    rmSync(report, { force: true });
    const status = await run(
      bin('vitest'),
      ['run', ...PG_SUITE_FILES, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
      { ...(fast ? { TEST_TIER: 'fast' } : {}), PORTAL_TEST_ENGINE: 'postgres', PORTAL_TEST_DATABASE_URL: pg.url },
    );
    suites.push(readVitest(report, status, PG_SUITE));
  } else suites.push({ name: PG_SUITE, passed: 0, failed: 0, skipped: 1, ran: true, note: `skipped: ${pg.reason}` });
  await removeCluster();

  // 4. end-to-end: build the app, then Playwright drives the renderer in Chromium. Without a
  // system Chromium, Playwright's own is installed first (where its download can be reached).
  if (!fast && (await ensureChromium())) {
    const report = join(results, 'e2e-results.json');
    rmSync(report, { force: true });
    const built = await run('npm', ['run', 'build', '--silent']);
    if (built !== 0) suites.push({ name: 'e2e', passed: 0, failed: 1, skipped: 0, ran: false, note: 'build failed' });
    else {
      const status = await run(bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: report });
      suites.push(readPlaywright(report, status));
    }
  }

  // 5. the package check: electron-builder packs a Linux build with a stand-in Electron, and each
  // check of what the package holds (scripts/dist-check.mjs) counts as one test
  if (!fast) {
    const report = join(results, 'dist-check.json');
    rmSync(report, { force: true });
    const status = await run(process.execPath, [join(root, 'scripts/dist-check.mjs'), '--json', report]);
    suites.push(readDistCheck(report, status));
  }
}

/** The PostgreSQL of the matrix: the one PORTAL_TEST_DATABASE_URL names, else a cluster of this run's own. */
async function testPostgres() {
  const given = process.env.PORTAL_TEST_DATABASE_URL;
  if (given) {
    console.log(`PostgreSQL for the portal and sync suites: ${given} (PORTAL_TEST_DATABASE_URL)`);
    return { url: given };
  }
  try {
    // clusters of earlier runs that were killed before removing theirs
    for (const home of await pruneClusters()) console.log(`Removed a PostgreSQL test cluster left behind: ${home}`);
    cluster = await startCluster();
    console.log(`PostgreSQL for the portal and sync suites: ${cluster.url} (a throw-away cluster in ${cluster.dataDir})`);
    return { url: cluster.url };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^PostgreSQL cannot be started: /, '');
    console.error(`PostgreSQL cannot be started, so "${PG_SUITE}" is skipped: ${reason}`);
    return { reason: reason.split('\n')[0] };
  }
}

async function ensureChromium() {
  if (findChromium().source !== 'none') return true;
  console.log("No Chromium found ($CHROMIUM_PATH, /usr/bin/chromium, Playwright's own): installing Playwright's Chromium");
  if ((await run(bin('playwright'), ['install', 'chromium'])) === 0 && findChromium().source !== 'none') return true;
  const note = "no Chromium: install Debian's (apt-get install chromium) or set CHROMIUM_PATH";
  console.error(`e2e: ${note}`);
  suites.push({ name: 'e2e', passed: 0, failed: 1, skipped: 0, ran: false, note });
  return false;
}

let passed = 0;
let failed = 0;
let skipped = 0;
console.log('\nSuites:');
for (const s of suites) {
  console.log(`  ${s.name}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${s.note ? ` (${s.note})` : ''}`);
  passed += s.passed;
  failed += s.failed;
  skipped += s.skipped;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || suites.some((s) => !s.ran) ? 1 : 0);

function readVitest(file, status, name = 'vitest') {
  if (!existsSync(file)) return { name, passed: 0, failed: 1, skipped: 0, ran: false, note: `no report (exit ${status})` };
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const failedSuites = (r.testResults ?? []).filter(
    (t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0,
  ).length;
  const failedTests = r.numFailedTests + failedSuites;
  const out = {
    name,
    passed: r.numPassedTests,
    failed: failedTests,
    skipped: r.numPendingTests + r.numTodoTests,
    ran: true,
  };
  if (status !== 0 && failedTests === 0) Object.assign(out, { failed: 1, note: `vitest exited ${status}` });
  if (r.numTotalTests === 0) Object.assign(out, { ran: false, note: 'no tests ran' });
  return out;
}

function readDistCheck(file, status) {
  if (!existsSync(file))
    return { name: 'dist-check', passed: 0, failed: 1, skipped: 0, ran: false, note: `no report (exit ${status})` };
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const out = {
    name: 'dist-check',
    passed: r.passed,
    failed: r.failed,
    skipped: 0,
    ran: true,
    note: `${Math.round(r.seconds)} s`,
  };
  if (status !== 0 && out.failed === 0) Object.assign(out, { failed: 1, note: `dist-check exited ${status}` });
  return out;
}

function readPlaywright(file, status) {
  if (!existsSync(file)) return { name: 'e2e', passed: 0, failed: 1, skipped: 0, ran: false, note: `no report (exit ${status})` };
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const st = r.stats ?? {};
  const out = {
    name: 'e2e',
    passed: st.expected ?? 0,
    failed: (st.unexpected ?? 0) + (st.flaky ?? 0),
    skipped: st.skipped ?? 0,
    ran: true,
  };
  if ((r.errors ?? []).length > 0 && out.failed === 0)
    Object.assign(out, { failed: r.errors.length, note: 'errors outside tests' });
  if (status !== 0 && out.failed === 0) Object.assign(out, { failed: 1, note: `playwright exited ${status}` });
  return out;
}

/**
 * The test command's PostgreSQL leg (scripts/run-tests.mjs): the portal and sync suites run a
 * second time on a throw-away cluster whose URL both vitest runs get; the cluster is removed at
 * the end, also when a suite fails or the run is stopped by a signal; where PostgreSQL cannot be
 * started that suite is counted as skipped with the reason, never passed or failed silently.
 * The command runs from a copy of the scripts whose vitest is a stand-in that records how it was
 * started and writes a report, so only the command itself is under test here.
 */
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPostgres } from '../../scripts/pg-cluster.mjs';

const found = findPostgres();
const reason = 'reason' in found ? found.reason : undefined;
if (reason) console.warn(`the test command's PostgreSQL leg on a real cluster is not tested here: ${reason}`);

const SCRIPTS = resolve(__dirname, '../../scripts');
const RUN_MS = 120_000;
const PG_LINE = 'vitest (portal and sync on PostgreSQL)';

/** How the stand-in vitest was started, one line per run. */
interface VitestRun {
  pid: number;
  args: string[];
  engine: string | null;
  url: string | null;
  tier: string | null;
  /** whether the URL's port answered (the cluster was up during the run) */
  reachable: boolean | null;
}

// The stand-in vitest: records its start, checks the database's port answers, writes vitest's
// JSON report (3 passed), then exits 0, or 1 when FAKE_FAIL names its engine, or waits to be
// stopped when FAKE_HANG does.
const FAKE_VITEST = `#!/usr/bin/env node
const { appendFileSync, writeFileSync } = require('node:fs');
const { connect } = require('node:net');
const env = process.env;
const engine = env.PORTAL_TEST_ENGINE ?? null;
const url = env.PORTAL_TEST_DATABASE_URL ?? null;
const out = process.argv.find((a) => a.startsWith('--outputFile.json='))?.slice('--outputFile.json='.length);
const record = (reachable) =>
  appendFileSync(env.FAKE_LOG, JSON.stringify({ pid: process.pid, args: process.argv.slice(2), engine, url, tier: env.TEST_TIER ?? null, reachable }) + '\\n');
const finish = () => {
  if (env.FAKE_HANG === engine) return setInterval(() => {}, 1000);
  writeFileSync(out, JSON.stringify({ numPassedTests: 3, numFailedTests: env.FAKE_FAIL === engine ? 1 : 0, numPendingTests: 0, numTodoTests: 0, numTotalTests: 4, testResults: [] }));
  process.exit(env.FAKE_FAIL === engine ? 1 : 0);
};
if (!url) { record(null); finish(); }
else {
  const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
  socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  socket.once('connect', () => { socket.destroy(); record(true); finish(); });
  socket.once('error', () => { record(false); finish(); });
}
`;

/** A pg-cluster.mjs that cannot start PostgreSQL (or must not be asked to). */
const NO_POSTGRES = `export function findPostgres() { return { reason: 'no PostgreSQL here' }; }
export async function pruneClusters() { return []; }
export async function startCluster() {
  throw new Error('PostgreSQL cannot be started: no PostgreSQL server programs (initdb, pg_ctl, postgres) here: install it');
}
`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'run-tests-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
  for (const f of ['run-tests.mjs', 'chromium.mjs', 'pg-cluster.mjs']) copyFileSync(join(SCRIPTS, f), join(root, 'scripts', f));
  writeFileSync(join(root, 'node_modules/.bin/vitest'), FAKE_VITEST);
  chmodSync(join(root, 'node_modules/.bin/vitest'), 0o755);
  writeFileSync(join(root, 'package.json'), '{ "type": "commonjs" }');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  runs: VitestRun[];
  /** the data folder of the cluster the command started, if it said so */
  dataDir: string | undefined;
}

function runTests(
  env: Record<string, string>,
  stopWhen?: (runs: VitestRun[]) => boolean,
  args: string[] = ['--fast', '--postgres'],
): Promise<Run> {
  const log = join(root, 'vitest-runs.jsonl');
  const runs = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as VitestRun)
      : [];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FAKE_LOG: log, ...env };
  if (!('PORTAL_TEST_DATABASE_URL' in env)) delete childEnv.PORTAL_TEST_DATABASE_URL;
  delete childEnv.PORTAL_TEST_ENGINE;
  const child = spawn(process.execPath, [join(root, 'scripts/run-tests.mjs'), ...args], { env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const poll =
    stopWhen &&
    setInterval(() => {
      if (stopWhen(runs())) {
        clearInterval(poll);
        child.kill('SIGTERM');
      }
    }, 100);
  const limit = setTimeout(() => child.kill('SIGKILL'), RUN_MS - 10_000);
  return new Promise((done) =>
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      if (poll) clearInterval(poll);
      const dataDir = /a throw-away cluster in (\S+)\)/.exec(stdout)?.[1];
      done({ code, signal, stdout, stderr, runs: runs(), dataDir });
    }),
  );
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(reason)('the test command on a throw-away PostgreSQL', () => {
  it(
    'runs the portal and sync suites again on PostgreSQL, gives both runs its URL, and removes the cluster at the end',
    async () => {
      const r = await runTests({});
      expect(r.code, r.stderr).toBe(0);
      expect(r.dataDir).toBeDefined();
      expect(r.runs).toHaveLength(2);
      const [sqlite, postgres] = r.runs as [VitestRun, VitestRun];
      const url = expect.stringMatching(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(sqlite).toMatchObject({ engine: 'sqlite', url, tier: 'fast', reachable: true });
      expect(postgres).toMatchObject({ engine: 'postgres', url: sqlite.url, tier: 'fast', reachable: true });
      expect(postgres.args.slice(0, 4)).toEqual(['run', 'test/portal/', 'test/sync/', 'test/postgres/']);
      expect(postgres.args).toContain(`--outputFile.json=${join(root, 'test-results/vitest-postgres.json')}`);
      expect(r.stdout).toContain('  vitest: 3 passed, 0 failed, 0 skipped\n');
      expect(r.stdout).toContain(`  ${PG_LINE}: 3 passed, 0 failed, 0 skipped\n`);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('6 passed, 0 failed, 0 skipped');
      expect(existsSync(r.dataDir!)).toBe(false);
    },
    RUN_MS,
  );

  it(
    'removes the cluster when the PostgreSQL suite fails, and fails the run',
    async () => {
      const r = await runTests({ FAKE_FAIL: 'postgres' });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`  ${PG_LINE}: 3 passed, 1 failed, 0 skipped\n`);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('6 passed, 1 failed, 0 skipped');
      expect(existsSync(r.dataDir!)).toBe(false);
    },
    RUN_MS,
  );

  it(
    'stopped by SIGTERM during the PostgreSQL suite: stops that suite, removes the cluster, exits 143',
    async () => {
      const r = await runTests({ FAKE_HANG: 'postgres' }, (runs) => runs.some((v) => v.engine === 'postgres'));
      expect(r.code).toBe(143);
      expect(r.stderr).toContain('SIGTERM: stopping the tests and removing the PostgreSQL test cluster');
      const postgres = r.runs.find((v) => v.engine === 'postgres')!;
      expect(alive(postgres.pid)).toBe(false);
      expect(r.dataDir).toBeDefined();
      expect(existsSync(r.dataDir!)).toBe(false);
      expect(r.stdout).not.toContain(PG_LINE); // no summary: the run did not finish
    },
    RUN_MS,
  );

  it(
    'stopped by SIGTERM during the first vitest run: starts nothing more, prints no summary, removes the cluster',
    async () => {
      const r = await runTests({ FAKE_HANG: 'sqlite' }, (runs) => runs.some((v) => v.engine === 'sqlite'));
      expect(r.code).toBe(143);
      expect(r.runs.map((v) => v.engine)).toEqual(['sqlite']);
      expect(alive(r.runs[0]!.pid)).toBe(false);
      expect(r.stdout).not.toContain('Suites:');
      expect(existsSync(r.dataDir!)).toBe(false);
    },
    RUN_MS,
  );
});

describe('the test command without PostgreSQL', () => {
  it(
    'counts the PostgreSQL suite as skipped, with the reason, and runs the rest',
    async () => {
      writeFileSync(join(root, 'scripts/pg-cluster.mjs'), NO_POSTGRES);
      const r = await runTests({});
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        `PostgreSQL cannot be started, so "${PG_LINE}" is skipped: no PostgreSQL server programs (initdb, pg_ctl, postgres) here`,
      );
      expect(r.runs).toEqual([expect.objectContaining({ engine: 'sqlite', url: null })]);
      expect(r.stdout).toContain(
        `  ${PG_LINE}: 0 passed, 0 failed, 1 skipped (skipped: no PostgreSQL server programs (initdb, pg_ctl, postgres) here: install it)\n`,
      );
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed, 1 skipped');
    },
    RUN_MS,
  );

  it(
    'test:fast alone leaves PostgreSQL to npm test: no cluster asked for, the suite skipped with why',
    async () => {
      writeFileSync(join(root, 'scripts/pg-cluster.mjs'), NO_POSTGRES); // would fail if asked
      const r = await runTests({}, undefined, ['--fast']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('PostgreSQL cannot be started');
      expect(r.runs).toEqual([expect.objectContaining({ engine: 'sqlite', url: null, tier: 'fast' })]);
      expect(r.stdout).toContain(
        `  ${PG_LINE}: 0 passed, 0 failed, 1 skipped (skipped: left to npm test by test:fast (add --postgres to run it))\n`,
      );
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed, 1 skipped');
    },
    RUN_MS,
  );

  it(
    'uses the server PORTAL_TEST_DATABASE_URL names and starts none',
    async () => {
      writeFileSync(join(root, 'scripts/pg-cluster.mjs'), NO_POSTGRES); // would fail if asked
      const url = 'postgres://postgres@127.0.0.1:9/elsewhere';
      const r = await runTests({ PORTAL_TEST_DATABASE_URL: url });
      expect(r.runs).toEqual([
        expect.objectContaining({ engine: 'sqlite', url }),
        expect.objectContaining({ engine: 'postgres', url }),
      ]);
      expect(r.stdout).toContain(`PostgreSQL for the portal and sync suites: ${url} (PORTAL_TEST_DATABASE_URL)`);
      expect(r.stdout).toContain(`  ${PG_LINE}: 3 passed, 0 failed, 0 skipped\n`);
    },
    RUN_MS,
  );
});

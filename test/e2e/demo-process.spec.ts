// `npm run demo` and `npm run web` as processes: how they start, refuse and stop. Runs after
// `npm run build` (the e2e tier), since the demo serves the built page.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { waitForLaunchUrl, type LaunchUrl } from '../../scripts/web-bridge-process.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
// a loopback port with nothing on it: the demo counter's uploads just wait in the outbox
const NO_PORTAL = 'http://127.0.0.1:9/';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), ok(true)));
    socket.once('error', () => ok(false));
    socket.once('timeout', () => (socket.destroy(), ok(false)));
  });
}

/** The command lines of this machine's processes that name `dir` (the demo and its web bridge do). */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (args.includes(dir)) found.push(`${pid}: ${args}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

/** Starts `scripts/demo.mjs` on its own data folder and waits for the launch link it prints. */
async function startDemo(dataDir: string): Promise<{ demo: ChildProcess } & LaunchUrl> {
  const demo = spawn(
    process.execPath,
    [
      join(ROOT, 'scripts/demo.mjs'),
      '--no-build',
      '--port',
      '0',
      '--data',
      dataDir,
      '--portal',
      NO_PORTAL,
      '--demo-roster',
      '20',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { demo, ...(await waitForLaunchUrl(demo, { timeoutMs: 45_000, what: 'demo' })) };
}

test('npm run demo prints a link that signs in one browser once; the bare address alone opens nothing', async ({ page }) => {
  test.setTimeout(90_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'counter-demo-'));
  const { demo, url, launchUrl } = await startDemo(dataDir);
  try {
    expect(launchUrl).toMatch(/\?token=[A-Za-z0-9_-]{43,}$/);
    const bare = await fetch(url);
    expect(await bare.text()).toContain('npm run demo');
    await page.goto(launchUrl);
    await expect(page).toHaveURL(url);
    await expect(page.getByTestId('signin-login')).toBeVisible();
    const again = await fetch(launchUrl, { redirect: 'manual' });
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
  } finally {
    demo.kill('SIGTERM');
    await new Promise((ok) => (demo.exitCode === null ? demo.once('exit', ok) : ok(null)));
    rmSync(dataDir, { recursive: true, force: true });
  }
});

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
  test(`npm run demo stopped by ${signal} sent to its own process leaves no web bridge holding its port`, async () => {
    test.setTimeout(90_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'counter-demo-'));
    try {
      const { demo, port } = await startDemo(dataDir);
      expect(await portAnswers(port)).toBe(true);
      demo.kill(signal);
      expect(await until(async () => !(await portAnswers(port)), 15_000)).toBe(true);
      // and no process of the demo is left at all (a bridge that freed its port but hangs on would still write here)
      expect(await until(async () => processesUsing(dataDir).length === 0, 15_000), processesUsing(dataDir).join('\n')).toBe(
        true,
      );
    } finally {
      // after the processes are gone (above): the bridge frees its port before its store's last writes
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test('npm run web refuses --portal without --demo, saying where a provisioned counter takes its portal from', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'counter-web-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'main/web-bridge/cli.ts'), '--port', '0', '--data', dataDir, '--portal', NO_PORTAL],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--portal');
    expect(r.stderr).toContain('provisioning.json');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * The portal's secrets: the admin token comes from the environment or an owner-only file, never
 * from the command line (which every user of the machine can read in the process list); device
 * tokens carry at least 32 random bytes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_PORTAL } from '../../common/demo/counter';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import { newToken, tokenProblem } from '../../portal/secrets';
import type { Portal } from '../../portal/server';
import { ADMIN, CENTRE, inject, memoryPortal } from './helpers';
import { freshPortalDatabase } from '../support/portal-engine';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const dir = mkdtempSync(join(tmpdir(), 'portal-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  url: string | null;
}

/** Runs the portal command until it prints its URL (then stops it) or exits. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Run & { admin: (token: string) => Promise<number> }> {
  const base = { ...process.env };
  delete base.PORTAL_ADMIN_TOKEN;
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'portal/cli.ts'), '--port', '0', '--memory', ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((ok, bad) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      bad(new Error(`the portal neither started nor exited\n${stderr}`));
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /^Portal: (http:\/\/\S+)$/m.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1]!;
      const admin = async (token: string) =>
        (await fetch(`${url}/admin/stats`, { headers: { authorization: `Bearer ${token}` } })).status;
      ok({
        code: null,
        stdout,
        stderr,
        url,
        admin: async (token) => {
          try {
            return await admin(token);
          } finally {
            child.kill('SIGTERM');
          }
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr, url: null, admin: () => Promise.reject(new Error('the portal is not running')) });
    });
  });
}

describe('the admin token', () => {
  it('is refused on the command line, with the ways it can be given', async () => {
    const run = await runCli(['--admin-token', newToken()]);
    expect(run.url).toBeNull();
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/PORTAL_ADMIN_TOKEN/);
    expect(run.stderr).toMatch(/--admin-token-file/);
  });

  it('is taken from PORTAL_ADMIN_TOKEN', async () => {
    const token = newToken();
    const run = await runCli([], { PORTAL_ADMIN_TOKEN: token });
    expect(run.url, run.stderr).not.toBeNull();
    expect(await run.admin(token)).toBe(200);
  });

  it('is taken from a file only its owner can read, and refused from one others can read', async () => {
    const token = newToken();
    const file = join(dir, 'admin-token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    const run = await runCli(['--admin-token-file', file]);
    expect(run.url, run.stderr).not.toBeNull();
    expect(await run.admin(token)).toBe(200);

    if (process.platform !== 'win32') {
      chmodSync(file, 0o644);
      const loose = await runCli(['--admin-token-file', file]);
      expect(loose.code).toBe(2);
      expect(loose.stderr).toContain('chmod 600');
    }
  });

  it('is refused when weaker than 32 random bytes', async () => {
    const run = await runCli([], { PORTAL_ADMIN_TOKEN: 'letmein-admin' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/32 random bytes/);
  });

  describe('of a portal started by portal/process.ts', () => {
    let handle: PortalHandle | null = null;
    afterEach(async () => {
      await handle?.stop();
      handle = null;
    });
    it.runIf(existsSync('/proc/self/cmdline'))('is not in its process’s command line', async () => {
      handle = await startPortalProcess({ database: freshPortalDatabase() });
      const cmdline = readFileSync(`/proc/${handle.pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('portal/cli.ts');
      expect(cmdline).not.toContain(handle.adminToken);
      expect(handle.adminToken.length).toBeGreaterThanOrEqual(43);
      expect((await handle.admin.stats()).inFlight).toBe(0);
    });
  });
});

describe('device tokens', () => {
  it('the demo counter carries a token the portal accepts (the demo, the e2e tests and the bench add it through the admin API)', () => {
    expect(tokenProblem(DEMO_PORTAL.deviceToken)).toBeNull();
  });

  let portal: Portal;
  afterEach(() => portal?.close());

  it('the admin API refuses one given with less than 32 random bytes, and takes one with 32', async () => {
    portal = await memoryPortal();
    for (const token of [
      '12345678',
      'short-device-token-A1',
      'a'.repeat(80),
      'ab'.repeat(40),
      'f'.repeat(63),
      'has space '.repeat(6),
    ]) {
      const res = await inject(portal, 'POST', '/admin/devices', { token, centreId: CENTRE }, ADMIN);
      expect(res.status, token).toBe(400);
      expect(res.body.message).toMatch(/32 random bytes/);
      expect(await portal.store.deviceByToken(token), token).toBeUndefined();
    }
    const hex = 'c0ffee15deadbeef0123456789abcdef'.repeat(2);
    expect(tokenProblem(hex)).toBeNull();
    for (const token of [hex, newToken(), randomBytes(32).toString('base64')]) {
      const res = await inject(portal, 'POST', '/admin/devices', { token, centreId: CENTRE, label: 'A3' }, ADMIN);
      expect(res.status, token).toBe(200);
      expect(res.body).toEqual({ token, centreId: CENTRE, label: 'A3' });
    }
  });

  it('the admin API makes one of 32 random bytes when none is given', async () => {
    portal = await memoryPortal();
    const made = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await inject(portal, 'POST', '/admin/devices', { centreId: CENTRE }, ADMIN);
      expect(res.status).toBe(200);
      const token = res.body.token as string;
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(await portal.store.deviceByToken(token)).toMatchObject({ centreId: CENTRE, revoked: false });
      made.add(token);
    }
    expect(made.size).toBe(3);
  });
});

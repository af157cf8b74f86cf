import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base } from '@playwright/test';

export interface BridgeProcess {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Starts `main/web-bridge/cli.ts` on a free loopback port with its own data folder. */
export async function startBridge(options: { demo: boolean; rosterSize?: number; portalUrl?: string }): Promise<BridgeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'counter-e2e-'));
  const args = ['--import', 'tsx', join(ROOT, 'main/web-bridge/cli.ts'), '--port', '0', '--data', dataDir];
  if (options.demo) args.push('--demo', '--demo-roster', String(options.rosterSize ?? 200));
  if (options.portalUrl) args.push('--portal', options.portalUrl);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((ok, bad) => {
    let out = '';
    const timer = setTimeout(() => bad(new Error(`web bridge did not start in 30 s\n${stderr}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Counter web bridge: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      bad(new Error(`web bridge exited with ${code}\n${stderr}`));
    });
  });
  return {
    url,
    dataDir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A loopback port that nothing listens on (free when asked; the caller starts its server there later). */
export function freePort(): Promise<number> {
  return new Promise((ok, bad) => {
    const server = createServer();
    server.once('error', bad);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      server.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : bad(new Error('no port'))));
    });
  });
}

/** A demo counter whose portal is `http://127.0.0.1:<portalPort>`, where nothing listens until the test starts it. */
export interface PortalBridgeProcess extends BridgeProcess {
  portalPort: number;
}

/**
 * `bridge`: a fresh demo counter for each test; `freshBridge`: an unprovisioned one;
 * `portalBridge`: a demo counter uploading to a portal that is not running yet.
 */
export const test = base.extend<{ bridge: BridgeProcess; freshBridge: BridgeProcess; portalBridge: PortalBridgeProcess }>({
  bridge: async ({}, use) => {
    // its own portal address with nothing there: a demo portal left running on the machine's
    // default port must not change what these tests see
    const b = await startBridge({ demo: true, portalUrl: `http://127.0.0.1:${await freePort()}` });
    await use(b);
    await b.stop();
  },
  freshBridge: async ({}, use) => {
    const b = await startBridge({ demo: false });
    await use(b);
    await b.stop();
  },
  portalBridge: async ({}, use) => {
    const portalPort = await freePort();
    const b = await startBridge({ demo: true, portalUrl: `http://127.0.0.1:${portalPort}` });
    await use({ ...b, portalPort });
    await b.stop();
  },
});

export { expect } from '@playwright/test';

export const DEMO = {
  supervisor: { loginId: 'supervisor', pin: '2468' },
  operator: { loginId: 'operator', pin: '1357' },
} as const;

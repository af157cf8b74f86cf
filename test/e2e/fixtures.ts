import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { startWebBridgeProcess } from '../../scripts/web-bridge-process.mjs';

export interface BridgeProcess {
  /** the bare address: without the session cookie it serves only the page saying how to open the counter */
  url: string;
  /** the link the bridge printed, with its one-time token: what a user opens */
  launchUrl: string;
  dataDir: string;
  /** the bridge's process ID */
  pid: number;
  stop(): Promise<void>;
}

/** Starts `main/web-bridge/cli.ts` on a free loopback port with its own data folder. */
export async function startBridge(options: { demo: boolean; rosterSize?: number; portalUrl?: string }): Promise<BridgeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'counter-e2e-'));
  const args = ['--port', '0', '--data', dataDir];
  if (options.demo) args.push('--demo', '--demo-roster', String(options.rosterSize ?? 200));
  if (options.portalUrl) args.push('--portal', options.portalUrl);
  try {
    const bridge = await startWebBridgeProcess({ args });
    return {
      url: bridge.url,
      launchUrl: bridge.launchUrl,
      dataDir,
      pid: bridge.child.pid!,
      stop: async () => {
        await bridge.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
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
  supervisor: { loginId: 'supervisor', pin: '246810' },
  operator: { loginId: 'operator', pin: '1357' },
} as const;

// Starts the reference portal on its demo defaults (127.0.0.1:8787, data in .data/portal, the
// demo centre, device token and bookings) for `npm start` and `npm run demo`, unless a portal
// already answers there. The counter works without it too: records then wait in the outbox.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_PORTAL_URL = 'http://127.0.0.1:8787';

async function answers(url) {
  try {
    const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Returns a stop function (a no-op when a portal was already running). */
export async function startDemoPortal() {
  if (await answers(DEMO_PORTAL_URL)) {
    console.log(`Using the portal already at ${DEMO_PORTAL_URL}`);
    return () => undefined;
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'portal/cli.ts'), '--demo', '--data', join(root, '.data/portal')],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await answers(DEMO_PORTAL_URL)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (child.exitCode !== null)
    console.error('The reference portal did not start; the counter will keep its records in the outbox.');
  return () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
}

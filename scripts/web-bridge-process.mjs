// Starts the web bridge (main/web-bridge/cli.ts) as a process and waits for the launch link it
// prints; opens a session with that link for callers outside a browser. Used by `npm run demo`,
// the end-to-end tests and the page benchmark, so all of them open the counter the same way.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAUNCH_LINE = /Counter web bridge: (http:\/\/127\.0\.0\.1:(\d+)\/)\?token=([A-Za-z0-9_-]+)(?=\s)/;

/** The launch link in the bridge's output, or null. */
export function parseLaunchUrl(text) {
  const m = LAUNCH_LINE.exec(text);
  return m ? { launchUrl: `${m[1]}?token=${m[3]}`, url: m[1], port: Number(m[2]) } : null;
}

/**
 * Waits until `child`'s stdout (a pipe) carries the launch link; rejects when the child exits
 * first or after `timeoutMs`. `onOutput` sees every chunk of stdout (to pass it on).
 */
export function waitForLaunchUrl(child, { timeoutMs = 30_000, what = 'web bridge', onOutput } = {}) {
  let stderr = '';
  child.stderr?.on('data', (c) => {
    if (stderr.length < 20_000) stderr += c.toString();
  });
  return new Promise((ok, bad) => {
    let out = '';
    let done = false;
    const timer = setTimeout(
      () => bad(new Error(`${what} did not print its link in ${timeoutMs / 1000} s\n${stderr}`)),
      timeoutMs,
    );
    // stdout is read to its end, so the child never blocks on a full pipe
    const onData = (c) => {
      onOutput?.(c);
      if (done) return;
      out += c.toString();
      const found = parseLaunchUrl(out);
      if (found) {
        done = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        ok(found);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      bad(new Error(`${what} exited with ${code ?? signal}\n${stderr}`));
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * `node --import tsx main/web-bridge/cli.ts ...args` with stdout piped, as this process's own
 * child (not behind npm and a shell, so a signal reaches it). Read its link with `waitForLaunchUrl`.
 */
export function spawnWebBridge({ args = [], env, ipc = false, stderr = 'pipe' } = {}) {
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'main/web-bridge/cli.ts'), ...args], {
    cwd: root,
    env: env ?? process.env,
    stdio: ['ignore', 'pipe', stderr, ...(ipc ? ['ipc'] : [])],
  });
}

/**
 * `spawnWebBridge`, then resolves once the bridge
 * printed its link. `ipc`: an IPC channel too (the bridge stops when its parent goes).
 */
export async function startWebBridgeProcess({ args = [], env, timeoutMs, ipc = false, stderr = 'pipe', onOutput } = {}) {
  const child = spawnWebBridge({ args, env, ipc, stderr });
  const found = await waitForLaunchUrl(child, { timeoutMs, onOutput });
  return {
    ...found,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Spends the launch link as a browser would and returns the session cookie it got, with a
 * `call` for contract methods under that session (the bench and the tests drive the counter so).
 */
export async function openBridgeSession(launchUrl) {
  const res = await fetch(launchUrl, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const setCookie = res.headers.get('set-cookie');
  const m = setCookie && /^([^=;\s]+)=([^;\s]+)/.exec(setCookie);
  if (res.status !== 303 || !m) throw new Error(`the launch link gave ${res.status} and no session cookie`);
  const cookie = { name: m[1], value: m[2] };
  const url = new URL('/', launchUrl).href;
  const call = async (method, request, { timeoutMs = 30_000 } = {}) => {
    const r = await fetch(new URL(`rpc/${method}`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-counter-request': '1', cookie: `${cookie.name}=${cookie.value}` },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return r.json();
  };
  return { url, cookie, call };
}

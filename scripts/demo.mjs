// `npm run demo -- [--port N] [--data DIR] [--portal URL] [--no-build]`: the demo counter in a
// browser (web bridge) with the reference portal beside it, both on 127.0.0.1. Ctrl+C, or any
// stop signal to this process, stops both; if this process is killed outright, the web bridge
// sees its parent go (the IPC channel closes) and stops too, so no port is left held.
// With --portal, the demo counter uploads there and no reference portal is started. The bridge
// prints the link to open (with its one-time launch token); this passes it on to the terminal.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoPortal } from './demo-portal.mjs';
import { spawnWebBridge, waitForLaunchUrl } from './web-bridge-process.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((a) => a !== '--no-build');
if (!process.argv.includes('--no-build')) {
  const built = spawnSync('npm', ['run', 'build:renderer', '--silent'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const stopPortal = args.includes('--portal') ? () => undefined : await startDemoPortal();
const web = spawnWebBridge({ args: ['--demo', ...args], ipc: true, stderr: 'inherit' });
// the bridge's output (its launch link among it) goes on to this terminal; the link is read from it too
waitForLaunchUrl(web, { timeoutMs: 120_000, what: 'the demo counter', onOutput: (c) => process.stdout.write(c) }).then(
  ({ launchUrl }) => console.log(`\nDemo counter: open ${launchUrl} in a browser on this PC.`),
  () => undefined, // a bridge that exits first is reported by its own output and its exit below
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  if (web.exitCode === null) web.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
web.on('exit', (code, signal) => {
  stopPortal();
  process.exit(code ?? (signal ? 1 : 0));
});

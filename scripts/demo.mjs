// `npm run demo`: the demo counter in a browser (web bridge) with the reference portal beside
// it, both on 127.0.0.1. Ctrl+C stops both.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoPortal } from './demo-portal.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stopPortal = await startDemoPortal();
const web = spawn('npm', ['run', 'web', '--silent', '--', '--demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
const stop = () => web.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
web.on('exit', (code) => {
  stopPortal();
  process.exit(code ?? 0);
});

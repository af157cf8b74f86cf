/**
 * `npm run web -- [--port N] [--data DIR] [--demo [--portal URL]]`: the counter in a browser,
 * for machines without an Electron binary and for the end-to-end tests. Same services, same
 * SQLite file layout as the desktop app. Listens on 127.0.0.1 only and prints the URL to open,
 * with a one-time launch token (see ./server.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PORTAL, DEMO_USERS } from '../../common/demo/counter';
import { seedDemo } from '../demo/seed';
import { createLogger } from '../logging/logger';
import { CounterBackend } from '../counter';
import { startWebBridge } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '5174' },
    data: { type: 'string', default: '.data/web' },
    demo: { type: 'boolean', default: false },
    'demo-roster': { type: 'string', default: '500' },
    /** the portal the demo counter uploads to (default: the reference portal on 127.0.0.1:8787) */
    portal: { type: 'string' },
  },
  strict: true,
});

if (values.portal !== undefined && !values.demo) {
  console.error(
    '--portal sets the portal of the demo counter and goes with --demo; a counter set up by its ' +
      'provisioning.json uploads to the portal.url written there',
  );
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not ${values.port}`);
  process.exit(2);
}
const root = resolve(import.meta.dirname, '../..');
const rendererDir = resolve(root, 'out/renderer');
const bridgeScript = resolve(root, 'out/web-bridge/counter-bridge.js');
for (const f of [resolve(rendererDir, 'index.html'), bridgeScript]) {
  if (!existsSync(f)) {
    console.error(`${f} is missing: run "npm run build" first`);
    process.exit(2);
  }
}

const log = createLogger({ level: process.env.COUNTER_LOG_LEVEL ?? 'warn' });
const backend = await CounterBackend.open({
  dataDir: resolve(values.data),
  log,
  // the browser version has no OS keychain: an encrypted database takes its key from the environment
  databaseKey: process.env.COUNTER_DB_KEY || undefined,
  syncWorker: { file: resolve(root, 'main/sync/dev-worker.mjs') },
});
delete process.env.COUNTER_DB_KEY;
if (values.demo && (await seedDemo(backend, Number(values['demo-roster']), values.portal ?? DEMO_PORTAL.url))) {
  console.log(`Demo counter set up: supervisor / PIN ${DEMO_USERS.supervisor.pin}, operator / PIN ${DEMO_USERS.operator.pin}`);
}
const bridge = await startWebBridge({
  backend,
  rendererDir,
  bridgeScript,
  port,
  validateResponses: process.env.NODE_ENV !== 'production',
});
// on this process's own output, never on a command line: another OS user can list command lines
console.log(`Counter web bridge: ${bridge.launchUrl}`);
console.log(
  'Open that link in a browser on this PC. It signs in that browser (all its tabs) once and then works no more; ' +
    'keep it to yourself. To open the counter in another browser, stop this and start it again.',
);
// the board shows the queue and acts on nothing: its link may go to the waiting hall's screen
console.log(`Board (waiting hall, read-only): ${bridge.boardUrl}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await bridge.close();
  await backend.close();
  process.exit(0);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
// started by `npm run demo` with an IPC channel: when that process goes, however it went, stop too
if (process.send) process.on('disconnect', () => void stop());

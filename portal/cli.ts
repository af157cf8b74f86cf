/**
 * `npm run portal -- [--port 8787] [--host 127.0.0.1] [--data .data/portal] [--memory] [--demo]
 * [--faults] [--admin-token T] [--max-in-flight N] [--max-event-loop-delay MS] [--body-timeout MS]`: the reference portal. Prints
 * `Portal: http://HOST:PORT` once listening (with `--port 0`, the port it got).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DEMO_PORTAL } from '../common/demo/counter';
import { seedPortalDemo } from './demo';
import { isLoopbackHost } from './faults';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, startPortal } from './server';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEMO_PORTAL.port) },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string', default: '.data/portal' },
      memory: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      faults: { type: 'boolean', default: false },
      'admin-token': { type: 'string' },
      'max-in-flight': { type: 'string', default: String(DEFAULT_MAX_IN_FLIGHT) },
      /** shed sync requests (503 busy) while the event loop lags more than this (ms; 0: never) */
      'max-event-loop-delay': { type: 'string', default: '200' },
      /** a client whose body has not all arrived this long after its headers is cut off (ms) */
      'body-timeout': { type: 'string', default: String(DEFAULT_BODY_TIMEOUT_MS) },
    },
    strict: true,
  }));
} catch (e) {
  fail((e as Error).message);
}

const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535) fail(`--port must be a port number, not ${values.port}`);
const maxInFlight = Number(values['max-in-flight']);
const maxEventLoopDelayMs = Number(values['max-event-loop-delay']);
if (!/^\d+$/.test(values['max-event-loop-delay']))
  fail('--max-event-loop-delay must be a whole number of milliseconds (0: never shed)');
const bodyTimeoutMs = Number(values['body-timeout']);
if (!/^\d+$/.test(values['body-timeout']) || bodyTimeoutMs < 100 || bodyTimeoutMs > 600_000)
  fail('--body-timeout must be a whole number of milliseconds from 100 to 600000');
if (!/^\d+$/.test(values['max-in-flight']) || maxInFlight < 1) fail(`--max-in-flight must be a whole number of at least 1`);
if (values.faults && !isLoopbackHost(values.host)) {
  fail(`--faults is only allowed on a loopback host (127.0.0.1, ::1, localhost), not ${values.host}`);
}
const adminToken = values['admin-token'];
if (adminToken !== undefined && adminToken.length < 8) fail('--admin-token must be at least 8 characters');
if (values.faults && !adminToken)
  console.error('--faults without --admin-token: faults cannot be set (they are set through /admin/faults)');

let dbFile = ':memory:';
if (!values.memory) {
  const dir = resolve(values.data);
  mkdirSync(dir, { recursive: true });
  dbFile = join(dir, 'portal.sqlite');
}

const logger = pino({ level: process.env.PORTAL_LOG_LEVEL ?? 'warn' }, pino.destination(2));
let started;
try {
  started = await startPortal({
    dbFile,
    host: values.host,
    port,
    maxInFlight,
    maxEventLoopDelayMs,
    bodyTimeoutMs,
    faults: values.faults,
    logger,
    ...(adminToken ? { adminToken } : {}),
  });
} catch (e) {
  fail(`The portal could not start: ${(e as Error).message}`);
}
if (values.demo) {
  const seed = seedPortalDemo(started.portal.store, new Date());
  console.log(`Demo centre ${seed.centreId}: ${seed.appointments} appointments on ${seed.days.join(' and ')}`);
}
console.log(`Portal: ${started.url}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await started.close();
  } finally {
    process.exit(0);
  }
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

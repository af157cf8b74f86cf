/**
 * `npm run portal -- [--port 8787] [--host 127.0.0.1] [--data .data/portal] [--memory] [--demo]
 * [--faults] [--admin-token-file FILE] [--max-in-flight N] [--max-event-loop-delay MS] [--body-timeout MS]
 * [--auth-failures N] [--updates-dir DIR] [--trust-proxy GATEWAYS]`: the reference portal. Prints `Portal: http://HOST:PORT` once listening
 * (with `--port 0`, the port it got). The admin API is on with an admin token from the
 * environment (PORTAL_ADMIN_TOKEN) or a file only its owner can read (--admin-token-file), never
 * from the command line, which every user of the machine can read.
 *
 * `npm run portal -- enrol --centre-id ID --centre-name NAME --counter CODE --token-prefix P ...`:
 * makes a one-time enrolment code for a new counter in the portal's data and prints it with its
 * QR code (see ./enrolment.ts).
 *
 * `--trust-proxy GATEWAYS`: the portal is behind a TLS gateway at these addresses or ranges
 * (comma-separated, e.g. 10.0.0.5 or 10.0.0.0/8; 'loopback' for one on the same machine; 'all'
 * only when nothing but the gateway can reach the portal): failed authentications and
 * enrolment codes are then counted per client address as the gateway gives it in
 * X-Forwarded-For, not per gateway. Off by default.
 *
 * `--database postgres://USER@HOST:PORT/DATABASE [--database-schema NAME] [--pool-size N]`, or the
 * URL in PORTAL_DATABASE_URL: the data in PostgreSQL instead of a SQLite file (a district's
 * server; several portal processes may share it). A password never goes on the command line:
 * PGPASSWORD, ~/.pgpass, or the whole URL in PORTAL_DATABASE_URL. Not with --data or --memory.
 *
 * SIGTERM or SIGINT stops it gracefully: new requests are answered 503 shutting_down with
 * Retry-After, those in flight finish (for up to 20 s), the database is closed, exit code 0.
 * `GET /v1/health` asks the database: 503 database unavailable when it cannot be reached.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DEMO_PORTAL } from '../common/demo/counter';
import { seedPortalDemo } from './demo';
import { runEnrolCommand } from './enrolment';
import { runPartitionsCommand } from './postgres/partitions';
import { isLoopbackHost } from './faults';
import { DEFAULT_SHUTDOWN_GRACE_MS } from './operations';
import { DATABASE_URL_ENV, DatabaseOptionError, describeDatabase, postgresDatabaseOf } from './open-store';
import { ADMIN_TOKEN_ENV, readAdminTokenFile, tokenProblem } from './secrets';
import { DEFAULT_AUTH_FAILURES, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, startPortal } from './server';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

// `npm run portal -- enrol ...`: IT makes a one-time enrolment code for a new counter (see ./enrolment.ts)
if (process.argv[2] === 'enrol') {
  process.exit(await runEnrolCommand(process.argv.slice(3), { out: (l) => console.log(l), err: (l) => console.error(l) }));
}

// `npm run portal -- partitions --ahead 7 | --detach-before DAY`: the PostgreSQL day partitions (see ./postgres/partitions.ts)
if (process.argv[2] === 'partitions') {
  process.exit(await runPartitionsCommand(process.argv.slice(3), { out: (l) => console.log(l), err: (l) => console.error(l) }));
}

const adminTokenRefused = () =>
  fail(
    `--admin-token is not taken: a command line can be read by every user of this machine. ` +
      `Give the admin token in the ${ADMIN_TOKEN_ENV} environment variable or in a file only you can read (--admin-token-file FILE).`,
  );
// before the arguments are parsed: a token that starts with '-' is refused for the same reason
if (process.argv.slice(2).some((a) => a === '--admin-token' || a.startsWith('--admin-token='))) adminTokenRefused();

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEMO_PORTAL.port) },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      memory: { type: 'boolean', default: false },
      /** PostgreSQL (postgres://USER@HOST:PORT/DATABASE, no password), or PORTAL_DATABASE_URL */
      database: { type: 'string' },
      'database-schema': { type: 'string' },
      'pool-size': { type: 'string' },
      demo: { type: 'boolean', default: false },
      faults: { type: 'boolean', default: false },
      /** refused with a reason: a command line is visible to every user of the machine */
      'admin-token': { type: 'string' },
      'admin-token-file': { type: 'string' },
      /** failed authentications allowed per client address and minute before 429 */
      'auth-failures': { type: 'string', default: String(DEFAULT_AUTH_FAILURES.max) },
      'max-in-flight': { type: 'string', default: String(DEFAULT_MAX_IN_FLIGHT) },
      /** shed sync requests (503 busy) while the event loop lags more than this (ms; 0: never) */
      'max-event-loop-delay': { type: 'string', default: '200' },
      /** a client whose body has not all arrived this long after its headers is cut off (ms) */
      'body-timeout': { type: 'string', default: String(DEFAULT_BODY_TIMEOUT_MS) },
      /** a folder of signed releases served read-only at /updates/... (the counters' update feed) */
      'updates-dir': { type: 'string' },
      /** behind a TLS gateway: its addresses, whose X-Forwarded-For names the client */
      'trust-proxy': { type: 'string' },
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
const authFailuresMax = Number(values['auth-failures']);
if (!/^\d+$/.test(values['auth-failures']) || authFailuresMax < 1 || authFailuresMax > 100_000)
  fail('--auth-failures must be a whole number from 1 to 100000');
if (values['admin-token'] !== undefined) adminTokenRefused();
const trustProxy = values['trust-proxy']?.trim();
if (trustProxy !== undefined && !/^[0-9A-Za-z.:/,\s]+$/.test(trustProxy))
  fail(`--trust-proxy must be the gateway's addresses or ranges, comma-separated (e.g. 10.0.0.5 or 10.0.0.0/8), or all`);
const fromEnv = process.env[ADMIN_TOKEN_ENV];
// not passed on to anything this process starts
delete process.env[ADMIN_TOKEN_ENV];
let adminToken: string | undefined;
if (values['admin-token-file'] !== undefined) {
  if (fromEnv) fail(`Give the admin token one way: ${ADMIN_TOKEN_ENV} or --admin-token-file, not both`);
  try {
    adminToken = readAdminTokenFile(values['admin-token-file']);
  } catch (e) {
    fail(`--admin-token-file: ${(e as Error).message}`);
  }
} else if (fromEnv) {
  adminToken = fromEnv.trim();
}
if (adminToken !== undefined) {
  const weak = tokenProblem(adminToken);
  if (weak) fail(`The admin token is refused: ${weak}`);
}
if (values.faults && !adminToken)
  console.error(
    `--faults without an admin token (${ADMIN_TOKEN_ENV}): faults cannot be set (they are set through /admin/faults)`,
  );

let postgres;
try {
  postgres = postgresDatabaseOf({
    flag: values.database,
    env: process.env[DATABASE_URL_ENV],
    schema: values['database-schema'],
    poolSize: values['pool-size'],
  });
} catch (e) {
  if (e instanceof DatabaseOptionError) fail(e.message);
  throw e;
}
// the URL may carry a password: not passed on to anything this process starts
delete process.env[DATABASE_URL_ENV];
if (postgres && (values.data !== undefined || values.memory)) {
  fail(
    `--data and --memory are for a SQLite portal: with a PostgreSQL database (--database or ${DATABASE_URL_ENV}) give neither`,
  );
}
let dbFile = ':memory:';
if (!postgres && !values.memory) {
  const dir = resolve(values.data ?? '.data/portal');
  mkdirSync(dir, { recursive: true });
  dbFile = join(dir, 'portal.sqlite');
}
const database = postgres ?? { engine: 'sqlite' as const, file: dbFile };

const logger = pino({ level: process.env.PORTAL_LOG_LEVEL ?? 'warn' }, pino.destination(2));
let started;
try {
  started = await startPortal({
    database,
    host: values.host,
    port,
    maxInFlight,
    maxEventLoopDelayMs,
    bodyTimeoutMs,
    authFailures: { max: authFailuresMax, windowMs: DEFAULT_AUTH_FAILURES.windowMs },
    faults: values.faults,
    logger,
    ...(values['updates-dir'] !== undefined ? { updatesDir: resolve(values['updates-dir']) } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(trustProxy !== undefined ? { trustProxy: trustProxy === 'all' ? true : trustProxy } : {}),
  });
} catch (e) {
  fail(`The portal could not start: ${(e as Error).message}`);
}
if (values.demo) {
  const seed = await seedPortalDemo(started.portal.store, new Date());
  console.log(`Demo centre ${seed.centreId}: ${seed.appointments} appointments on ${seed.days.join(' and ')}`);
}
console.log(`Database: ${describeDatabase(database)}`);
console.log(`Portal: ${started.url}`);

// Graceful stop: new requests are refused (503 shutting_down), those in flight finish, then exit 0.
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    const finished = await started.portal.shutdown(DEFAULT_SHUTDOWN_GRACE_MS);
    if (!finished) console.error(`Stopped with requests still in flight after ${DEFAULT_SHUTDOWN_GRACE_MS} ms`);
  } finally {
    process.exit(0);
  }
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

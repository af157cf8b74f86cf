/**
 * The reference portal: the sync API counters upload to and pull rosters from (`/v1`), an
 * admin API for tests and demos (`/admin`, only with an admin token) and, on loopback only,
 * fault injection. `portal/openapi.yaml` describes `/v1` for other implementations.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isIsoDay } from '../common/rules/centre-day';
import {
  MAX_PUSH_BYTES,
  MAX_ROSTER_PAGE,
  SYNC_API_VERSION,
  pushRequestSchema,
  type ErrorBody,
  type RosterPage,
} from '../common/sync-protocol';
import { districtReportAdminRoutes, districtReportPageRoutes } from './district-report';
import { districtSettingsAdminRoutes, districtSettingsDeviceRoutes } from './district-settings';
import { registerEnrolmentAdmin, registerEnrolmentRedeem } from './enrolment';
import { FaultInjector, faultConfigSchema, isLoopbackHost, type FaultRoute, type FaultRule } from './faults';
import { Fleet, dateFromClock, type FleetSettings } from './fleet';
import { LoopDelay } from './loop-delay';
import { openPortalStore } from './open-store';
import {
  DEFAULT_SHUTDOWN_GRACE_MS,
  HEALTH_CHECK_TIMEOUT_MS,
  InFlight,
  SHUTDOWN_RETRY_AFTER_SECONDS,
  databaseReachable,
  databaseUnavailableHealth,
  shuttingDown,
} from './operations';
import { describeIssues } from './push-rules';
import { newToken, tokenProblem } from './secrets';
import { PortalStats } from './stats';
import { PortalError, appointmentInputSchema, type Device, type PortalDatabase, type PortalStore } from './store-api';
import { registerUpdateFeed } from './updates';

export interface PortalOptions {
  /** SQLite file, or ':memory:': the shorthand for `database: { engine: 'sqlite', file }` (give one of the two) */
  dbFile?: string;
  /** where the data is kept: a SQLite file or a PostgreSQL server (give this or `dbFile`) */
  database?: PortalDatabase;
  /** registers the admin API, authorised by this bearer token */
  adminToken?: string;
  /** allows fault injection through `/admin/faults` (needs an admin token to be configured) */
  faults?: boolean;
  /** more requests than this being handled at once are refused with 503 busy (default 64) */
  maxInFlight?: number;
  /**
   * Load shedding by event-loop delay (ms; 0 or absent: off): when requests queue up faster
   * than the portal applies them, sync requests are refused with 503 busy and Retry-After, so
   * counters back off instead of timing out and sending again.
   */
  maxEventLoopDelayMs?: number;
  /**
   * A request's body must have arrived this many ms after its headers (default 30 s); a client
   * whose body stops arriving is cut off (its socket closed), so it no longer counts in flight.
   */
  bodyTimeoutMs?: number;
  /**
   * Failed authentications (a missing, unknown or revoked token) allowed per client address in
   * a window before that address is answered 429 with Retry-After (default 30 a minute; device
   * and admin tokens counted apart).
   */
  authFailures?: { max: number; windowMs: number };
  /**
   * The portal is behind a TLS gateway (reverse proxy): the client address, which failed
   * authentications and enrolment codes are counted by, is then the one the gateway names in
   * X-Forwarded-For. `true` believes any sender of that header (only when nothing but the
   * gateway can reach the portal); better, the gateway's own addresses or ranges, comma-separated
   * ('10.0.0.5', '10.0.0.0/8', 'loopback'). Off by default: without a gateway, a client could
   * name any address it likes in that header.
   */
  trustProxy?: boolean | string;
  clock?: () => Date;
  /** the fleet view's limits and the version counters are held to (portal/fleet.ts) */
  fleet?: FleetSettings;
  /** a pino logger; none by default */
  logger?: FastifyBaseLogger | false;
  /** serves this folder read-only at /updates/... as the counters' update feed (portal/updates.ts) */
  updatesDir?: string;
}

export interface Portal {
  app: FastifyInstance;
  store: PortalStore;
  stats: PortalStats;
  /** null unless started with `faults` */
  faults: FaultInjector | null;
  /** the counters' latest reports (the fleet view) */
  fleet: Fleet;
  /** every route registered (filled in when the app is ready): method and Fastify URL pattern */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
  /**
   * Graceful stop: new requests are answered 503 shutting_down with Retry-After, those in flight
   * (a push inside its transaction) finish and are answered, for at most `graceMs`; then closes.
   * Resolves true when nothing was left in flight.
   */
  shutdown(graceMs?: number): Promise<boolean>;
}

export const DEFAULT_MAX_IN_FLIGHT = 64;
export const DEFAULT_ROSTER_LIMIT = 1000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
export const DEFAULT_AUTH_FAILURES = { max: 30, windowMs: 60_000 } as const;
/** what a 503 for the database says to wait before trying again (seconds) */
const DATABASE_RETRY_AFTER_SECONDS = 5;
/** admin bodies carry whole rosters */
const ADMIN_BODY_LIMIT = 256 * 1024 * 1024;

/**
 * The push request's schema compiled ahead of time: a valid batch takes the generated check
 * (a counter's 200 mutations in one pass), an invalid one the ordinary parser, so what is
 * accepted and what a refusal says are the schema's own.
 */
const pushRequest = z.compile(pushRequestSchema);

const cursorSchema = z.object({ c: z.string(), d: z.string(), v: z.number().int().nonnegative() }).strict();

export function encodeCursor(centreId: string, date: string, version: number): string {
  return Buffer.from(JSON.stringify({ c: centreId, d: date, v: version })).toString('base64url');
}

/** The version a cursor resumes after; invalid_cursor for a malformed one or one for another roster. */
export function decodeCursor(cursor: string, centreId: string, date: string): number {
  const invalid = () =>
    new PortalError(400, 'invalid_cursor', 'the cursor is not one this portal gave for this roster: start again without one');
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success || parsed.data.c !== centreId || parsed.data.d !== date) throw invalid();
  return parsed.data.v;
}

function routeOf(path: string): FaultRoute | 'health' | 'admin' | 'outside' {
  if (path === '/v1/health') return 'health';
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  if (!path.startsWith('/v1/')) return 'outside';
  if (path === '/v1/push') return 'push';
  if (/^\/v1\/centres\/[^/]+\/roster\/[^/]+$/.test(path)) return 'roster';
  if (/^\/v1\/centres\/[^/]+\/records\/[^/]+$/.test(path)) return 'records';
  return 'other';
}

function bearer(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

const sameSecret = (given: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

function send(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

const parseBody = <T extends z.ZodType>(schema: T, body: unknown): z.output<T> => {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new PortalError(400, 'invalid_request', describeIssues(parsed.error, undefined, 2000));
  return parsed.data;
};

/** Builds the portal (not listening): use `app.inject` for in-process calls, or `startPortal` to serve. */
export function buildPortal(options: PortalOptions): Portal {
  const clock = options.clock ?? (() => new Date());
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const authFailures = options.authFailures ?? DEFAULT_AUTH_FAILURES;
  if ((options.dbFile === undefined) === (options.database === undefined)) {
    throw new Error('the portal needs exactly one of dbFile and database');
  }
  const store = openPortalStore(options.database ?? { engine: 'sqlite', file: options.dbFile! });
  const districtSettings = store.districtSettings;
  const enrolments = store.enrolments;
  const stats = new PortalStats();
  const faults = options.faults ? new FaultInjector() : null;
  const fleet = new Fleet(store.fleet, clock, options.fleet);
  const routes: Portal['routes'] = [];
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    // hung and slow requests must not keep the server from closing
    forceCloseConnections: true,
    // the portal's own answer while closing (onRequest below): 503 shutting_down with Retry-After
    return503OnClosing: false,
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
  }) as unknown as FastifyInstance;
  const hung = new Set<Socket>();
  const requestFault = new WeakMap<FastifyRequest, FaultRule>();
  const requestDevice = new WeakMap<FastifyRequest, Device>();
  const inFlight = new InFlight();
  // Pushes on one connection are applied in the order they came: a counter sends its next batch
  // behind the one the portal is working on (HTTP/1.1 pipelining), and the token lookups before
  // them may end in either order (PostgreSQL). Each push waits for the one before it on its
  // connection to be applied, or to end without reaching the store.
  const lastPushOn = new WeakMap<Socket, Promise<void>>();
  const pushTurn = new WeakMap<FastifyRequest, { before: Promise<void>; done: () => void }>();

  const maxEventLoopDelayMs = options.maxEventLoopDelayMs ?? 0;
  const loopDelay = maxEventLoopDelayMs > 0 ? new LoopDelay() : null;
  if (loopDelay) app.addHook('onClose', async () => loopDelay.stop());
  // open and migrated before the first request (app.listen and app.inject wait for this)
  app.addHook('onReady', async () => store.ready());

  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  // counters measure their clock against the portal's Date header
  dateFromClock(app, clock);

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (error instanceof PortalError) {
      if (error.status === 503) reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return send(reply, error.status, error.body);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(reply, 413, { error: 'too_large', message: `the body is larger than the ${MAX_PUSH_BYTES} bytes allowed` });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return send(reply, 415, { error: 'unsupported_media_type', message: 'send the body as application/json' });
    }
    if (error.statusCode === 400)
      return send(reply, 400, { error: 'invalid_request', message: `the body is not valid JSON: ${error.message}` });
    req.log.error({ err: error }, 'request failed');
    return send(reply, 500, { error: 'internal', message: 'the portal failed to handle the request; nothing was applied' });
  });
  app.setNotFoundHandler((req, reply) =>
    send(reply, 404, { error: 'not_found', message: `no ${req.method} ${req.url.split('?')[0]}` }),
  );

  /** A body that has not all arrived by the deadline: the client is cut off (its socket closed). */
  const bodyDeadline = (req: FastifyRequest): void => {
    const raw = req.raw;
    const length = raw.headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined;
    if (!hasBody || raw.complete) return;
    // the request's own destroy closes its socket (and is there for a request made in-process too, which has no real socket)
    const timer = setTimeout(() => {
      if (!raw.complete) raw.destroy();
    }, bodyTimeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    raw.once('end', clear);
    raw.once('close', clear);
  };

  // Counting, load shedding and faults, before anything else reads the request.
  app.addHook('onRequest', async (req, reply) => {
    bodyDeadline(req);
    // a stopping process takes nothing new (health included, so a gateway sends elsewhere)
    if (inFlight.draining) {
      reply.header('Retry-After', String(SHUTDOWN_RETRY_AFTER_SECONDS)).header('Connection', 'close');
      return send(reply, 503, shuttingDown);
    }
    const route = routeOf(req.url.split('?')[0] ?? '');
    const counted = route !== 'admin' && route !== 'outside';
    const leave = inFlight.enter();
    if (counted) {
      stats.started();
      reply.raw.once('finish', () => stats.answered(reply.statusCode));
    }
    // Ended when the answer is sent or the connection closes, whichever comes first, once. An
    // answer queued behind one that never comes (a request pipelined behind a hung one) is
    // never sent, and its response never closes: its connection's end ends it.
    const socket = req.raw.socket;
    let turnDone: (() => void) | null = null;
    if (route === 'push') {
      const before = lastPushOn.get(socket) ?? Promise.resolve();
      const mine = new Promise<void>((resolve) => (turnDone = resolve));
      lastPushOn.set(socket, mine);
      pushTurn.set(req, { before, done: turnDone! });
    }
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      socket.off('close', end);
      turnDone?.();
      leave();
      if (counted) stats.ended();
    };
    reply.raw.once('close', end);
    socket.once('close', end);
    if (!counted) return;
    if (stats.inFlight > maxInFlight) {
      reply.header('Retry-After', '1');
      return send(reply, 503, { error: 'busy', message: 'the portal is busy: try again in a moment' });
    }
    // health answers whatever the load (and the admin API, above)
    if (route === 'health') return;
    if (loopDelay && loopDelay.ms > maxEventLoopDelayMs) {
      stats.shed();
      reply.header('Retry-After', '1');
      return send(reply, 503, { error: 'busy', message: 'the portal is busy: try again in a moment' });
    }
    if (!faults) return;
    const rule = faults.pick(route);
    if (!rule) return;
    switch (rule.fault) {
      case 'hang':
        reply.hijack();
        // the body is read and dropped, so a client that gives up is seen to go
        req.raw.resume();
        hung.add(socket);
        socket.once('close', () => hung.delete(socket));
        return;
      case 'slow':
        await sleep(rule.delayMs);
        return;
      case 'http500':
        return send(reply, 500, { error: 'internal', message: 'the portal failed to handle the request; nothing was applied' });
      case 'http503':
        reply.header('Retry-After', String(rule.retryAfterSeconds));
        return send(reply, 503, { error: 'unavailable', message: 'the portal is unavailable: try again later' });
      case 'http429':
        reply.header('Retry-After', String(rule.retryAfterSeconds));
        return send(reply, 429, { error: 'rate_limited', message: 'too many requests: try again later' });
      case 'reset':
        reply.hijack();
        socket.resetAndDestroy();
        return;
      case 'commit_then_drop':
        if (route === 'push') {
          requestFault.set(req, rule);
          return;
        }
        reply.hijack();
        socket.destroy();
        return;
    }
  });
  app.addHook('preClose', async () => {
    for (const socket of hung) socket.destroy();
    hung.clear();
  });

  // Only failed authentications are counted (createRateLimit, checked by hand): a good token is never slowed.
  void app.register(rateLimit, { global: false, continueExceeding: true });
  const tooManyFailures = (reply: FastifyReply, retryAfterSeconds: number) => {
    reply.header('Retry-After', String(Math.max(1, retryAfterSeconds)));
    return send(reply, 429, {
      error: 'rate_limited',
      message: 'too many failed authentications from this address: try again after Retry-After seconds',
    });
  };

  app.get('/v1/health', async (_req, reply) => {
    if (!(await databaseReachable(() => store.check(), HEALTH_CHECK_TIMEOUT_MS))) {
      reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return reply.code(503).type('application/json; charset=utf-8').send(databaseUnavailableHealth);
    }
    return { ok: true as const, time: clock().toISOString(), version: SYNC_API_VERSION };
  });
  if (options.updatesDir) registerUpdateFeed(app, options.updatesDir);
  // a new counter redeems its one-time code: no device token yet (failed codes counted like failed authentications)
  registerEnrolmentRedeem(app, { enrolments, clock, failures: authFailures });

  void app.register(async (api) => {
    // A valid token always passes, so counters behind the same address as a failing client (a
    // hospital's one public address, a counter whose token was revoked) keep working; with
    // tokens of 32 random bytes a guess cannot succeed, and each failure counts for its address.
    const failures = api.createRateLimit({ max: authFailures.max, timeWindow: authFailures.windowMs });
    api.addHook('onRequest', async (req, reply) => {
      const token = bearer(req);
      const device = token ? await store.deviceByToken(token) : undefined;
      if (device && !device.revoked) {
        requestDevice.set(req, device);
        return;
      }
      const limit = await failures(req);
      if (!limit.isAllowed && limit.isExceeded) return tooManyFailures(reply, limit.ttlInSeconds);
      if (!device) throw new PortalError(401, 'unauthorized', 'a valid device token is required (Authorization: Bearer <token>)');
      throw new PortalError(401, 'unauthorized', 'this device token has been revoked');
    });
    const deviceOf = (req: FastifyRequest, centreId: string): Device => {
      const device = requestDevice.get(req)!;
      if (centreId !== device.centreId) {
        throw new PortalError(403, 'wrong_centre', `this device token is for centre ${device.centreId}, not ${centreId}`);
      }
      return device;
    };

    api.post('/v1/push', { bodyLimit: MAX_PUSH_BYTES }, async (req, reply) => {
      const body = parseBody(pushRequest, req.body);
      const device = deviceOf(req, body.centreId);
      stats.pushed(body.mutations.length);
      // counted until its transaction ends, even when the client has gone: a stop waits for it
      const pushing = inFlight.enter();
      const turn = pushTurn.get(req);
      let response;
      try {
        await turn?.before;
        response = await store.push(body, {
          tokenHash: device.tokenHash,
          now: clock(),
          ...(faults ? { rejectRecordIds: faults.rejectRecordIds, rejectCode: faults.rejectCode } : {}),
        });
      } finally {
        turn?.done();
        pushing();
      }
      stats.results(response.results);
      if (requestFault.get(req)?.fault === 'commit_then_drop') {
        reply.hijack();
        req.raw.socket.destroy();
        return reply;
      }
      return response;
    });

    api.get<{ Params: { centreId: string; date: string }; Querystring: { cursor?: string; limit?: string } }>(
      '/v1/centres/:centreId/roster/:date',
      async (req): Promise<RosterPage> => {
        const { centreId, date } = req.params;
        deviceOf(req, centreId);
        if (!isIsoDay(date)) throw new PortalError(400, 'invalid_request', `date: must be a day as YYYY-MM-DD, not ${date}`);
        let limit = DEFAULT_ROSTER_LIMIT;
        if (req.query.limit !== undefined) {
          if (!/^\d{1,9}$/.test(req.query.limit) || Number(req.query.limit) < 1) {
            throw new PortalError(400, 'invalid_request', `limit: must be a whole number from 1 to ${MAX_ROSTER_PAGE}`);
          }
          limit = Math.min(Number(req.query.limit), MAX_ROSTER_PAGE);
        }
        const after = req.query.cursor ? decodeCursor(req.query.cursor, centreId, date) : 0;
        const rows = await store.rosterRows(centreId, date, after, limit);
        return {
          centreId,
          date,
          changes: rows.changes,
          cursor: encodeCursor(centreId, date, rows.lastVersion),
          hasMore: rows.hasMore,
        };
      },
    );

    api.get<{ Params: { centreId: string; date: string } }>('/v1/centres/:centreId/records/:date', async (req) => {
      const { centreId, date } = req.params;
      const device = deviceOf(req, centreId);
      if (!isIsoDay(date)) throw new PortalError(400, 'invalid_request', `date: must be a day as YYYY-MM-DD, not ${date}`);
      return await store.records(centreId, date, device.tokenHash);
    });
    fleet.deviceRoutes(api, deviceOf);

    districtSettingsDeviceRoutes(api, { settings: districtSettings, deviceOf });
  });

  if (options.adminToken) {
    const adminToken = options.adminToken;
    void app.register(async (admin) => {
      // Past the limit an address is refused even with the right admin token, so guessing it is slowed.
      const failures = admin.createRateLimit({ max: authFailures.max, timeWindow: authFailures.windowMs });
      admin.addHook('onRequest', async (req, reply) => {
        const seen = await failures(req, { increment: false });
        if (!seen.isAllowed && seen.remaining === 0) return tooManyFailures(reply, seen.ttlInSeconds);
        const token = bearer(req);
        if (token && sameSecret(token, adminToken)) return;
        const limit = await failures(req);
        if (!limit.isAllowed && limit.isExceeded) return tooManyFailures(reply, limit.ttlInSeconds);
        throw new PortalError(401, 'unauthorized', 'the admin token is required');
      });
      const centreId = z.string().min(1).max(64);
      const day = z.string().refine(isIsoDay, 'must be YYYY-MM-DD');

      // A device token: given (at least 32 random bytes) or made here; with deviceId, bound to it at once.
      admin.post('/admin/devices', async (req) => {
        const body = parseBody(
          z
            .object({
              token: z
                .string()
                .max(512)
                .refine((t) => tokenProblem(t) === null, {
                  error: (issue) => tokenProblem(String(issue.input)) ?? 'invalid token',
                })
                .optional(),
              centreId,
              label: z.string().max(120).default(''),
              deviceId: z.uuid().optional(),
            })
            .strict(),
          req.body,
        );
        const token = body.token ?? newToken();
        await store.addDevice({ token, centreId: body.centreId, label: body.label }, clock());
        if (body.deviceId) await store.bindDevice(body.deviceId, token, clock());
        return {
          token,
          centreId: body.centreId,
          label: body.label,
          ...(body.deviceId ? { deviceId: body.deviceId.toLowerCase() } : {}),
        };
      });
      // IT's explicit rebind of a device ID to its counter's new token (never done implicitly)
      admin.post<{ Params: { deviceId: string } }>('/admin/devices/:deviceId/rebind', async (req) => {
        const deviceId = parseBody(z.uuid(), req.params.deviceId);
        const body = parseBody(z.object({ token: z.string().min(1).max(512) }).strict(), req.body);
        const bound = await store.bindDevice(deviceId, body.token, clock());
        req.log.warn({ deviceId: bound.deviceId, centreId: bound.centreId }, 'device ID rebound to another token');
        return bound;
      });
      admin.post('/admin/devices/revoke', async (req) => {
        const body = parseBody(z.object({ token: z.string().min(1).max(200) }).strict(), req.body);
        return { revoked: await store.revokeDevice(body.token) };
      });
      admin.get('/admin/clients', async () => ({ clients: await store.clients() }));
      registerEnrolmentAdmin(admin, { enrolments, clock });
      admin.post('/admin/clients/accept-lost', async (req) => {
        const body = parseBody(
          z.object({ deviceId: z.uuid(), lastAppliedSeq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict(),
          req.body,
        );
        const moved = await store.acceptLostRecords(body.deviceId, body.lastAppliedSeq, clock());
        req.log.warn(moved, 'records lost by this portal accepted: the device sequence moved forward');
        return moved;
      });
      admin.post('/admin/appointments', { bodyLimit: ADMIN_BODY_LIMIT }, async (req) => {
        const body = parseBody(z.object({ centreId, date: day, entries: z.array(appointmentInputSchema) }).strict(), req.body);
        return { changed: await store.upsertAppointments(body.centreId, body.date, body.entries) };
      });
      admin.post('/admin/appointments/cancel', { bodyLimit: ADMIN_BODY_LIMIT }, async (req) => {
        const body = parseBody(z.object({ centreId, date: day, refIds: z.array(z.string().min(1).max(32)) }).strict(), req.body);
        return { cancelled: await store.cancelAppointments(body.centreId, body.date, body.refIds) };
      });
      admin.get('/admin/records', async (req) => {
        const query = parseBody(z.object({ centreId, date: day }), req.query);
        return await store.adminRecords(query.centreId, query.date);
      });
      districtSettingsAdminRoutes(admin, { settings: districtSettings, clock });
      fleet.adminRoutes(admin);
      districtReportAdminRoutes(admin, { store, clock, ...(options.fleet ? { fleet: options.fleet } : {}) });
      admin.get('/admin/stats', async () => stats.snapshot());
      admin.post('/admin/stats/reset', async () => {
        stats.reset();
        return stats.snapshot();
      });
      if (faults) {
        admin.get('/admin/faults', async () => faults.current());
        admin.put('/admin/faults', async (req) => {
          faults.configure(parseBody(faultConfigSchema, req.body));
          return faults.current();
        });
      }
    });
    fleet.pageRoutes(app);
    districtReportPageRoutes(app);
  }

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      inFlight.draining = true;
      try {
        await app.close();
      } finally {
        await store.close();
      }
    })());
  return {
    app,
    store,
    stats,
    faults,
    fleet,
    routes,
    close,
    shutdown: async (graceMs = DEFAULT_SHUTDOWN_GRACE_MS) => {
      inFlight.draining = true;
      // a hung request (fault injection) never finishes by itself
      for (const socket of hung) socket.destroy();
      const finished = await inFlight.idle(graceMs);
      await close();
      return finished;
    },
  };
}

export interface StartedPortal {
  url: string;
  port: number;
  portal: Portal;
  close(): Promise<void>;
}

/** Builds the portal and listens (127.0.0.1 by default; port 0 picks a free one). Fault injection only on loopback. */
export async function startPortal(options: PortalOptions & { host?: string; port?: number }): Promise<StartedPortal> {
  const host = options.host ?? '127.0.0.1';
  if (options.faults && !isLoopbackHost(host)) {
    throw new Error(`fault injection is only allowed on a loopback host (127.0.0.1, ::1, localhost), not ${host}`);
  }
  const portal = buildPortal(options);
  try {
    await portal.app.listen({ host, port: options.port ?? 0 });
  } catch (e) {
    await portal.close();
    throw e;
  }
  const port = (portal.app.server.address() as AddressInfo).port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${port}`, port, portal, close: () => portal.close() };
}

/**
 * Enrolment: IT makes a one-time code for a new counter (`POST /admin/enrolments`, or
 * `npm run portal -- enrol ...` on the portal's machine), the counter's first-run screen redeems
 * it (`POST /v1/enrol`) for its provisioning and its own device token. Redeeming needs no token
 * (the code is the secret); failures are counted per client address like failed
 * authentications, and past the limit the address is refused even a good code until the
 * window ends, so codes cannot be guessed. Only an application/json body is taken (415 for any
 * other, before anything is counted): a web page can send text/plain to any address without
 * asking, but application/json needs the browser to ask the portal first (a CORS preflight),
 * which the portal never allows, so no web page can lock enrolment out for everyone behind its
 * visitors' address. Behind a TLS gateway, the portal's `trustProxy` option makes the client
 * address the one the gateway names in X-Forwarded-For.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance, FastifyReply } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import { enrolmentQrText } from '../common/rules/enrolment-code';
import { portalUrlError } from '../common/rules/portal-url';
import {
  enrolRequestSchema,
  enrolmentCentreSchema,
  enrolmentCounterSchema,
  type EnrolResponse,
  type ErrorBody,
} from '../common/sync-protocol';
import { DATABASE_URL_ENV, DatabaseOptionError, openPortalStore, postgresDatabaseOf } from './open-store';
import { describeIssues } from './push-rules';
import { PortalError, type CreatedEnrolment, type EnrolmentStoreApi, type NewEnrolment } from './store-api';

/** The longest a code may stay valid: 30 days. */
export const MAX_VALID_HOURS = 24 * 30;
export const DEFAULT_VALID_HOURS = 24;

export const newEnrolmentSchema = z
  .object({
    centre: enrolmentCentreSchema,
    counterCode: enrolmentCounterSchema.shape.code,
    tokenPrefix: enrolmentCounterSchema.shape.tokenPrefix,
    label: z.string().trim().max(120).optional(),
    validHours: z.number().int().min(1).max(MAX_VALID_HOURS).default(DEFAULT_VALID_HOURS),
    /** the portal's address as counters reach it; put in the QR code with the code */
    portalUrl: z
      .url()
      .max(500)
      .refine((u) => portalUrlError(u) === null, 'must be https (http only to a loopback address)')
      .optional(),
  })
  .strict();
export type NewEnrolmentInput = z.input<typeof newEnrolmentSchema>;

export interface EnrolmentAnswer extends CreatedEnrolment {
  qr: {
    /** what the QR code holds: the code, and the portal's address when given */
    text: string;
    /** the QR code as an SVG image (data URL) to show or print */
    svg: string;
  };
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new PortalError(400, 'invalid_request', describeIssues(parsed.error, undefined, 2000));
  return parsed.data;
}

const toNew = (b: z.output<typeof newEnrolmentSchema>): NewEnrolment => ({
  centre: b.centre,
  counter: { code: b.counterCode, tokenPrefix: b.tokenPrefix },
  label: b.label || `Counter ${b.counterCode}`,
  validHours: b.validHours,
});

/** Makes an enrolment with its QR code (the code and, when given, the portal's address). */
export async function createEnrolment(
  enrolments: EnrolmentStoreApi,
  input: z.output<typeof newEnrolmentSchema>,
  now: Date,
): Promise<EnrolmentAnswer> {
  const created = await enrolments.create(toNew(input), now);
  const text = enrolmentQrText(created.code, input.portalUrl);
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { ...created, qr: { text, svg: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` } };
}

export interface EnrolmentRoutesOptions {
  enrolments: EnrolmentStoreApi;
  clock: () => Date;
  /** failed redemptions allowed per client address in a window */
  failures: { max: number; windowMs: number };
}

/** The body's media type is application/json (with or without parameters such as charset). */
export function isJsonBody(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

function tooMany(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  reply.header('Retry-After', String(Math.max(1, retryAfterSeconds)));
  const body: ErrorBody = {
    error: 'rate_limited',
    message: 'too many failed enrolment codes from this address: try again after Retry-After seconds',
  };
  return reply.code(429).type('application/json; charset=utf-8').send(body);
}

/** `POST /v1/enrol`: registered beside the sync API, outside its device-token check. */
export function registerEnrolmentRedeem(app: FastifyInstance, options: EnrolmentRoutesOptions): void {
  void app.register(async (scope) => {
    const failures = scope.createRateLimit({ max: options.failures.max, timeWindow: options.failures.windowMs });
    // before the body is read and before anything is counted: only JSON is an attempt at a code
    scope.addHook('onRequest', async (req, reply) => {
      if (isJsonBody(req.headers['content-type'])) return;
      const body: ErrorBody = { error: 'unsupported_media_type', message: 'send the body as application/json' };
      return reply.code(415).type('application/json; charset=utf-8').send(body);
    });
    scope.post('/v1/enrol', { bodyLimit: 4096 }, async (req, reply): Promise<EnrolResponse | FastifyReply> => {
      const seen = await failures(req, { increment: false });
      if (!seen.isAllowed && seen.remaining === 0) return tooMany(reply, seen.ttlInSeconds);
      try {
        const body = parse(enrolRequestSchema, req.body);
        const { answer, reenrolled } = await options.enrolments.redeemed(body.code, body.deviceId, options.clock());
        const who = { deviceId: answer.deviceId, centreId: answer.centre.id, counter: answer.counter.code };
        if (reenrolled) req.log.warn(who, 'counter enrolled again with a new code: its earlier device token is revoked');
        else req.log.info(who, 'counter enrolled');
        return answer;
      } catch (e) {
        if (e instanceof PortalError && e.status < 500) {
          const limit = await failures(req);
          if (!limit.isAllowed && limit.isExceeded) return tooMany(reply, limit.ttlInSeconds);
        }
        throw e;
      }
    });
  });
}

/** `POST /admin/enrolments` and `GET /admin/enrolments`: registered inside the admin API (its token check). */
export function registerEnrolmentAdmin(admin: FastifyInstance, options: Omit<EnrolmentRoutesOptions, 'failures'>): void {
  admin.post('/admin/enrolments', async (req) => {
    const body = parse(newEnrolmentSchema, req.body);
    const answer = await createEnrolment(options.enrolments, body, options.clock());
    req.log.info({ centreId: answer.centreId, counter: answer.counterCode, expiresAt: answer.expiresAt }, 'enrolment made');
    return answer;
  });
  admin.get('/admin/enrolments', async (req) => {
    const query = parse(z.object({ centreId: enrolmentCentreSchema.shape.id }).strict(), req.query);
    return { enrolments: await options.enrolments.list(query.centreId, options.clock()) };
  });
}

const ENROL_USAGE = `npm run portal -- enrol --centre-id ID --centre-name NAME [--centre-name-hi NAME] [--time-zone Asia/Kolkata]
    --counter CODE --token-prefix P [--label TEXT] [--hours 24] [--portal-url https://...]
    [--data .data/portal | --database postgres://USER@HOST:PORT/DATABASE [--database-schema NAME]]`;

/**
 * `npm run portal -- enrol ...`: makes an enrolment in the portal's SQLite file or its PostgreSQL
 * database (--database or PORTAL_DATABASE_URL, as the portal takes them; the portal may be
 * running: the data is shared safely) and prints the code, when it expires, and its QR code in
 * the terminal. Returns the exit code.
 */
export async function runEnrolCommand(
  argv: string[],
  io: {
    out: (line: string) => void;
    err: (line: string) => void;
    now?: () => Date;
    dbFile?: string;
    env?: Record<string, string | undefined>;
  },
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'centre-id': { type: 'string' },
        'centre-name': { type: 'string' },
        'centre-name-hi': { type: 'string' },
        'time-zone': { type: 'string', default: 'Asia/Kolkata' },
        counter: { type: 'string' },
        'token-prefix': { type: 'string' },
        label: { type: 'string' },
        hours: { type: 'string', default: String(DEFAULT_VALID_HOURS) },
        'portal-url': { type: 'string' },
        data: { type: 'string' },
        database: { type: 'string' },
        'database-schema': { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${ENROL_USAGE}`);
    return 2;
  }
  if (!/^\d{1,4}$/.test(values.hours)) {
    io.err(`--hours must be a whole number of hours from 1 to ${MAX_VALID_HOURS}`);
    return 2;
  }
  const input = newEnrolmentSchema.safeParse({
    centre: {
      id: values['centre-id'],
      name: values['centre-name'],
      ...(values['centre-name-hi'] ? { nameHi: values['centre-name-hi'] } : {}),
      timeZone: values['time-zone'],
    },
    counterCode: values.counter,
    tokenPrefix: values['token-prefix'],
    ...(values.label !== undefined ? { label: values.label } : {}),
    validHours: Number(values.hours),
    ...(values['portal-url'] !== undefined ? { portalUrl: values['portal-url'] } : {}),
  });
  if (!input.success) {
    const names: Record<string, string> = {
      'centre.id': '--centre-id',
      'centre.name': '--centre-name',
      'centre.nameHi': '--centre-name-hi',
      'centre.timeZone': '--time-zone',
      counterCode: '--counter',
      tokenPrefix: '--token-prefix',
      label: '--label',
      validHours: '--hours',
      portalUrl: '--portal-url',
    };
    const words: Record<string, string> = {
      centre_id_format: 'letters, digits, - and _ only (e.g. UP-LKO-CHC-01)',
      counter_code_format: '1-4 capital letters or digits (e.g. A2)',
      token_prefix_format: '1-2 capital letters, different for each counter of the centre',
      time_zone_invalid: 'not a time zone (e.g. Asia/Kolkata)',
      required: 'required',
      too_long: 'too long',
    };
    for (const issue of input.error.issues) {
      const path = issue.path.join('.');
      const missing = issue.code === 'invalid_type' && issue.input === undefined;
      io.err(`${names[path] ?? path}: ${missing ? 'required' : (words[issue.message] ?? issue.message)}`);
    }
    io.err(ENROL_USAGE);
    return 2;
  }
  let postgres;
  try {
    postgres = postgresDatabaseOf({
      flag: values.database,
      env: (io.env ?? process.env)[DATABASE_URL_ENV],
      schema: values['database-schema'],
    });
  } catch (e) {
    if (!(e instanceof DatabaseOptionError)) throw e;
    io.err(e.message);
    return 2;
  }
  if (postgres && values.data !== undefined) {
    io.err(`--data is for a SQLite portal: with a PostgreSQL database (--database or ${DATABASE_URL_ENV}) leave it out`);
    return 2;
  }
  const data = values.data ?? '.data/portal';
  if (!postgres && !io.dbFile) mkdirSync(data, { recursive: true });
  const store = openPortalStore(postgres ?? { engine: 'sqlite', file: io.dbFile ?? join(data, 'portal.sqlite') });
  try {
    await store.ready();
    const answer = await createEnrolment(store.enrolments, input.data, (io.now ?? (() => new Date()))());
    const terminalQr = await QRCode.toString(answer.qr.text, { type: 'terminal', small: true });
    io.out(`Enrolment code for counter ${answer.counterCode} of ${answer.centreId}: ${answer.code}`);
    io.out(`Valid until ${answer.expiresAt}; it enrols one counter once.`);
    if (answer.replaced > 0) io.out(`It replaces ${answer.replaced} earlier code(s) for this counter, which no longer work.`);
    io.out(terminalQr);
    return 0;
  } catch (e) {
    io.err(e instanceof Error ? e.message : String(e));
    return 1;
  } finally {
    await store.close();
  }
}

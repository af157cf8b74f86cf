/**
 * The sync API between a counter and the portal (or a gateway in front of a national portal),
 * as zod schemas: the counter's sync worker checks every answer against them, the reference
 * portal checks every request. `portal/openapi.yaml` describes the same API for other
 * implementations; `test/portal/openapi.test.ts` keeps the two in step.
 *
 * Exactly-once upload: every change a counter makes is a mutation with the device's ID, a
 * sequence number (the outbox `seq`, gap-free per device) and its own UUID. The portal keeps
 * the last sequence number it applied per device and advances it in the same transaction as
 * the mutation's effect, so a resent batch is acknowledged as `duplicate` and a gap is refused.
 */
import { z } from 'zod';
import { districtSettingsSchema, isoDaySchema, NAME_MAX_LENGTH, provisioningSchema, rosterEntrySchema } from './domain';

export const SYNC_API_VERSION = 'v1';

/** Mutation kinds: the names of the counter's outbox rows. */
export const MUTATION_KINDS = [
  'checkin.created',
  'walkin.registered',
  'ticket.called',
  'ticket.recalled',
  'ticket.no_show',
  'ticket.requeued',
  'ticket.cancelled',
  'vaccination.recorded',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** Kinds that create a record of a person's visit (the rest are events on such a record). */
export const RECORD_KINDS = ['checkin.created', 'walkin.registered'] as const satisfies readonly MutationKind[];

/** Largest batch the portal accepts; the counter sends at most this many and about 1 MB. */
export const MAX_PUSH_ITEMS = 200;
export const MAX_PUSH_BYTES = 2 * 1024 * 1024;
/** Largest roster page the portal sends. */
export const MAX_ROSTER_PAGE = 5000;

const uuid = z.uuid();
const isoTime = z.iso.datetime({ offset: true });
const centreId = z.string().min(1).max(64);

export const mutationSchema = z
  .object({
    seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    mutationId: uuid,
    kind: z.enum(MUTATION_KINDS),
    /** the UUID of the record the mutation creates or changes (walk-in, ticket) */
    recordId: uuid,
    createdAt: isoTime,
    /** the record's content, a JSON object; its shape per kind is checked by the portal */
    payload: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
      message: 'payload must be an object',
    }),
  })
  .strict();
export type Mutation = z.infer<typeof mutationSchema>;

export const pushRequestSchema = z
  .object({
    deviceId: uuid,
    centreId,
    counterCode: z.string().min(1).max(16),
    mutations: z.array(mutationSchema).min(1).max(MAX_PUSH_ITEMS),
  })
  .strict();
export type PushRequest = z.infer<typeof pushRequestSchema>;

export const PUSH_STATUSES = ['applied', 'duplicate', 'rejected'] as const;
export type PushStatus = (typeof PUSH_STATUSES)[number];

export const pushResultSchema = z
  .object({
    seq: z.number().int().positive(),
    mutationId: uuid,
    status: z.enum(PUSH_STATUSES),
    /** machine-readable reason of a rejection (e.g. `invalid_payload`, `not_booked`) */
    code: z.string().max(64).optional(),
    /** words for the person at the counter */
    reason: z.string().max(500).optional(),
    /** `possible_duplicate`: a walk-in whose photo-ID number matches a known beneficiary */
    flags: z
      .array(z.enum(['possible_duplicate']))
      .max(4)
      .optional(),
    /** the records the portal thinks this one may duplicate */
    duplicateOf: z.array(z.string().max(64)).max(20).optional(),
  })
  .strict();
export type PushResult = z.infer<typeof pushResultSchema>;

export const pushResponseSchema = z
  .object({
    deviceId: uuid,
    lastAppliedSeq: z.number().int().nonnegative(),
    results: z.array(pushResultSchema).max(MAX_PUSH_ITEMS),
  })
  .strict();
export type PushResponse = z.infer<typeof pushResponseSchema>;

/** A roster change: a booking added or changed, or removed (cancelled). */
export const rosterChangeSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('upsert'), entry: rosterEntrySchema }).strict(),
  z.object({ op: z.literal('remove'), refId: rosterEntrySchema.shape.refId }).strict(),
]);
export type RosterChange = z.infer<typeof rosterChangeSchema>;

export const rosterPageSchema = z
  .object({
    centreId,
    date: isoDaySchema,
    changes: z.array(rosterChangeSchema).max(MAX_ROSTER_PAGE),
    /** opaque: give it back to get the next page, or (when `hasMore` is false) later changes */
    cursor: z.string().min(1).max(512),
    hasMore: z.boolean(),
    /** the cursor given is too old or for another roster: start again without one */
    reset: z.boolean().optional(),
  })
  .strict();
export type RosterPage = z.infer<typeof rosterPageSchema>;

/**
 * A roster page as the counter reads it: the page itself must be well formed, but each change
 * is checked on its own, so one booking the counter cannot take (a new photo-ID type, a
 * malformed name) is skipped and logged instead of refusing the whole day's roster.
 */
export const rosterPageWireSchema = rosterPageSchema.extend({ changes: z.array(z.unknown()).max(MAX_ROSTER_PAGE) });

export interface CheckedRosterPage extends RosterPage {
  /** changes skipped, with the first one's problem */
  skipped: number;
  firstProblem: string | null;
}

export function checkRosterPage(page: z.infer<typeof rosterPageWireSchema>): CheckedRosterPage {
  const changes: RosterChange[] = [];
  let skipped = 0;
  let firstProblem: string | null = null;
  page.changes.forEach((raw, i) => {
    const c = rosterChangeSchema.safeParse(raw);
    if (c.success) return void changes.push(c.data);
    skipped++;
    if (firstProblem === null) {
      const issue = c.error.issues[0];
      firstProblem = `change ${i}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
    }
  });
  return { ...page, changes, skipped, firstProblem };
}

/** What the portal holds for a centre and day (reconciliation and tests). */
export const portalRecordSchema = z
  .object({
    recordId: uuid,
    kind: z.enum(RECORD_KINDS),
    deviceId: uuid,
    seq: z.number().int().positive(),
    mutationId: uuid,
    day: isoDaySchema,
    receivedAt: isoTime,
    flags: z.array(z.string()),
  })
  .strict();
export type PortalRecord = z.infer<typeof portalRecordSchema>;

export const recordsResponseSchema = z
  .object({ centreId, date: isoDaySchema, records: z.array(portalRecordSchema), events: z.number().int().nonnegative() })
  .strict();
export type RecordsResponse = z.infer<typeof recordsResponseSchema>;

/**
 * A centre's district settings as a device is answered them (`GET /v1/centres/{centreId}/settings`):
 * the latest version, numbered per centre from 1. Asked with `?known=N`, the portal answers 304
 * and no body when N is the latest (or no settings were ever published: version 0).
 */
export const districtSettingsAnswerSchema = z
  .object({
    centreId,
    version: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    publishedAt: isoTime,
    settings: districtSettingsSchema,
  })
  .strict();
export type DistrictSettingsAnswer = z.infer<typeof districtSettingsAnswerSchema>;
/** The largest settings answer a counter reads. */
export const MAX_DISTRICT_SETTINGS_BYTES = 256 * 1024;

/** Every error answer: a stable code and words. 409 sequence_gap also says what was expected. */
export const errorBodySchema = z
  .object({
    error: z.string().max(64),
    message: z.string().max(2000),
    expectedSeq: z.number().int().positive().optional(),
  })
  .strict();
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const healthSchema = z.object({ ok: z.literal(true), time: isoTime, version: z.string() }).strict();

/**
 * What the portal requires of the two record kinds' payloads. The portal parses payloads
 * strictly (`portal/store.ts`, `portal/openapi.yaml`): these fields plus those a counter
 * sends, and an unknown field is refused, never stored. A field added to an outbox payload
 * must be added there too. A payload that fails is rejected with `invalid_payload`: the counter shows it as
 * needing attention, with the reason, for correction.
 */
export const walkInPayloadSchema = z.object({
  walkInId: uuid,
  ticketId: uuid,
  day: isoDaySchema,
  person: z.object({
    name: z.string().min(2).max(NAME_MAX_LENGTH),
    gender: z.enum(['F', 'M', 'O']),
    birthYear: z.number().int().min(1900).max(2100),
    // a full number, or one reduced to its last 4 after the retention period (resent later)
    mobile: z.string().regex(/^([6-9]\d{9}|XXXXXX\d{4})$/),
    photoIdType: z.string().min(2).max(20),
    photoIdNumber: z.string().min(4).max(40),
  }),
  dose: z.number().int().min(1).max(9),
});

export const checkInPayloadSchema = z.object({
  ticketId: uuid,
  refId: z.string().min(4).max(32),
  day: isoDaySchema,
  name: z.string().min(1).max(NAME_MAX_LENGTH),
  verified: z.boolean(),
});

/** Events on a ticket (called, served, ...) name the ticket they belong to. */
export const ticketEventPayloadSchema = z.object({ ticketId: uuid, day: isoDaySchema });

// ---- enrolment: a new counter redeems IT's one-time code for its provisioning and device token ----

/** How long a device that redeemed a code may ask again (its answer lost) and be answered with a new token. */
export const ENROL_RETRY_MINUTES = 60;

/**
 * `POST /v1/enrol` (no token: the code is the secret). Redeeming is keyed by the code and the
 * device ID: the same device asking again within ENROL_RETRY_MINUTES of its first redemption
 * (its answer was lost) is answered again, with a new token that replaces the one it never got;
 * any other device is refused `enrol_code_used`.
 */
export const enrolRequestSchema = z
  .object({
    code: z.string().min(1).max(64),
    deviceId: uuid,
  })
  .strict();
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

/** The part of a counter's provisioning an enrolment gives: who it is (the rest are defaults). */
export const enrolmentCentreSchema = provisioningSchema.shape.centre;
export const enrolmentCounterSchema = provisioningSchema.shape.counter;

export const enrolResponseSchema = z
  .object({
    deviceId: uuid,
    /** this counter's own device token, bound to its device ID already */
    deviceToken: z.string().min(32).max(200),
    centre: enrolmentCentreSchema,
    counter: enrolmentCounterSchema,
    label: z.string().max(120),
  })
  .strict();
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;

/** The error codes of `POST /v1/enrol` a counter tells its supervisor about (besides `rate_limited`). */
export const ENROL_ERRORS = ['enrol_code_unknown', 'enrol_code_expired', 'enrol_code_used', 'device_already_enrolled'] as const;
export type EnrolErrorCode = (typeof ENROL_ERRORS)[number];

// ---- Fleet reports (POST /v1/reports) ----

/** What a counter's printer did last: its latest finished slip of the day printed, failed, or none yet. */
export const PRINTER_STATES = ['ok', 'failed', 'unknown'] as const;
export type PrinterState = (typeof PRINTER_STATES)[number];

/**
 * A counter's report of itself for the fleet view: sent after its uploads (at most once a
 * minute) and every 5 minutes when idle, on a connection of its own, so it never delays or
 * fails an upload. Times are the counter's own clock; ages are measured on it too.
 */
export const fleetReportSchema = z
  .object({
    deviceId: uuid,
    centreId,
    counterCode: z.string().min(1).max(16),
    appVersion: z.string().min(1).max(40),
    /** the counter's database schema (PRAGMA user_version) */
    schemaVersion: z.number().int().nonnegative().max(1_000_000),
    /** outbox rows waiting to upload */
    pending: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    /** how long the oldest of them has waited, in seconds; null when none waits */
    oldestPendingAgeSeconds: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable(),
    /** the last roster pull that went through */
    rosterPulledAt: isoTime.nullable(),
    printer: z
      .object({
        state: z.enum(PRINTER_STATES),
        /** the failed job's error code (`offline`, `paper_out`, ...) */
        errorCode: z.string().max(64).nullable(),
        failedAt: isoTime.nullable(),
      })
      .strict(),
    /** the portal's clock minus this counter's (its Date header against the middle of the request); null before any answer */
    clockOffsetMs: z.number().int().min(-1e12).max(1e12).nullable(),
    /** when the counter made the report, by its own clock */
    counterTime: isoTime,
  })
  .strict();
export type FleetReport = z.infer<typeof fleetReportSchema>;

export const fleetReportAnswerSchema = z.object({ stored: z.literal(true), receivedAt: isoTime }).strict();
export type FleetReportAnswer = z.infer<typeof fleetReportAnswerSchema>;

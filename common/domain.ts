/**
 * The words of the counter, as schemas. Forms are validated here so the renderer can show
 * a field error at once and main can refuse the same input again: one rule, two places.
 * Every user-facing issue message is an i18n key below `errors.field.`.
 */
import { z } from 'zod';
import { PHOTO_ID_TYPES, normalizePhotoId, photoIdError } from './rules/photo-id';
import { mobileError, normalizeMobile } from './rules/mobile';
import { isIsoDay, isValidTimeZone } from './rules/centre-day';
import { devicePathError, printerHostError } from './rules/printer-target';
import { portalUrlError } from './rules/portal-url';

export const LANES = ['priority', 'walkin'] as const;
export const TICKET_STATUSES = ['waiting', 'called', 'served', 'no_show', 'cancelled'] as const;
export const GENDERS = ['F', 'M', 'O'] as const;
export const ROLES = ['operator', 'supervisor'] as const;
export const DOSES = [1, 2, 3] as const;

export const uuidSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'invalid');
export const isoDaySchema = z.string().refine(isIsoDay, 'date_format');

/** The longest name a counter takes (and so the portal must take): the walk-in form, the roster, a provisional check-in. */
export const NAME_MAX_LENGTH = 100;

const nameSchema = z
  .string({ error: 'required' })
  .trim()
  .min(1, 'required')
  .max(NAME_MAX_LENGTH, 'too_long')
  // one message per field: each check below stays quiet when an earlier one already failed
  .refine((s) => s.length !== 1, 'name_too_short')
  // letters and marks of any script (with the joiners some Devanagari spellings need), spaces, . ' -
  // eslint-disable-next-line no-misleading-character-class -- the joiners stand alone in the class on purpose
  .refine((s) => s.length < 2 || /^[\p{L}\p{M}][\p{L}\p{M}\u200C\u200D .'-]*$/u.test(s), 'name_chars');

/**
 * A whole number typed in a form or read from a CSV cell: a number, or a string of digits.
 * Anything else (arrays, hex, exponents, fractions) is refused rather than coerced; blank is
 * `required`, out of `[min, max]` is `code`.
 */
const wholeNumber = (code: string, min: number, max: () => number) =>
  z.union([z.number(), z.string(), z.null(), z.undefined()], { error: code }).transform((v, ctx): number => {
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) {
      ctx.addIssue({ code: 'custom', message: 'required' });
      return z.NEVER;
    }
    const n = typeof v === 'number' ? v : /^\d{1,6}$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max()) {
      ctx.addIssue({ code: 'custom', message: code });
      return z.NEVER;
    }
    return n;
  });

const birthYearSchema = wholeNumber('birth_year_range', 1900, () => new Date().getFullYear());

export const genderSchema = z.enum(GENDERS, { error: 'required' });
export const photoIdTypeSchema = z.enum(PHOTO_ID_TYPES, { error: 'required' });
export const doseSchema = wholeNumber('dose_invalid', 1, () => 3);
export const refIdSchema = z
  .string({ error: 'required' })
  .trim()
  .toUpperCase()
  .min(1, 'required')
  // letters and digits, at least one digit (a name typed in the wrong box is not an ID)
  .refine((s) => /^(?=.*\d)[A-Z0-9]{6,20}$/.test(s), 'ref_id_format');
const last4Schema = z.string().regex(/^[0-9A-Z]{4}$/, 'last4_format');
export const slotTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'slot_time_format');

/** The walk-in form as the operator fills it. */
export const walkInFormSchema = z
  .object({
    name: nameSchema,
    gender: genderSchema,
    birthYear: birthYearSchema,
    mobile: z.string({ error: 'required' }).transform(normalizeMobile),
    photoIdType: photoIdTypeSchema,
    photoIdNumber: z.string({ error: 'required' }).max(40, 'too_long').transform(normalizePhotoId),
    comorbidity: z.boolean().default(false),
    dose: doseSchema,
  })
  // Run even when unrelated fields are wrong, so every field's error shows at once; only the
  // fields these checks read must have parsed.
  .superRefine(
    (v, ctx) => {
      if (typeof v.mobile === 'string') {
        const m = mobileError(v.mobile);
        if (m) ctx.addIssue({ code: 'custom', path: ['mobile'], message: m });
      }
      if (typeof v.photoIdNumber === 'string' && (PHOTO_ID_TYPES as readonly unknown[]).includes(v.photoIdType)) {
        const id = photoIdError(v.photoIdType, v.photoIdNumber);
        if (id) ctx.addIssue({ code: 'custom', path: ['photoIdNumber'], message: id });
      }
    },
    // v is then only partly parsed: the checks above look at the fields they need
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  );
export type WalkInFormInput = z.input<typeof walkInFormSchema>;
export type WalkInForm = z.output<typeof walkInFormSchema>;

/** A person who registered online and booked a slot today: one row of the day roster. */
export const rosterEntrySchema = z.object({
  refId: refIdSchema,
  name: nameSchema,
  gender: genderSchema,
  birthYear: birthYearSchema,
  mobileLast4: z
    .string()
    .trim()
    .regex(/^\d{4}$/, 'last4_format'),
  photoIdType: photoIdTypeSchema,
  photoIdLast4: z.string().trim().toUpperCase().pipe(last4Schema),
  dose: doseSchema,
  slotTime: z.union([slotTimeSchema, z.literal('').transform(() => null), z.null()]).default(null),
});
export type RosterEntry = z.output<typeof rosterEntrySchema>;

/** Provisional check-in of someone not found in the roster: what they present. */
export const provisionalCheckInSchema = z.object({
  refId: refIdSchema,
  name: nameSchema,
  birthYear: birthYearSchema.optional(),
  gender: genderSchema.optional(),
});
export type ProvisionalCheckIn = z.output<typeof provisionalCheckInSchema>;

const criterionSchema = z.object({
  minAge: z.number().int().min(0).max(130),
  maxAge: z.number().int().min(0).max(130).optional(),
  requiresComorbidity: z.boolean().optional(),
});

export const queuePolicySchema = z.object({
  mode: z.enum(['strict', 'ratio']).default('strict'),
  priorityPerWalkIn: z.number().int().min(1).max(50).default(3),
  walkInMaxWaitMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .nullable()
    .default(null),
  lateArrivalMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .nullable()
    .default(null),
  provisionalPriority: z.boolean().default(false),
});
export type QueuePolicySettings = z.output<typeof queuePolicySchema>;

/** A policy change from the supervisor screen: every field given (no defaults that could reset one silently). */
export const queuePolicyChangeSchema = z
  .object({
    mode: z.enum(['strict', 'ratio'], { error: 'required' }),
    priorityPerWalkIn: z.number({ error: 'number_range' }).int('number_range').min(1, 'number_range').max(50, 'number_range'),
    walkInMaxWaitMinutes: z
      .number({ error: 'number_range' })
      .int('number_range')
      .min(1, 'number_range')
      .max(24 * 60, 'number_range')
      .nullable(),
    lateArrivalMinutes: z
      .number({ error: 'number_range' })
      .int('number_range')
      .min(0, 'number_range')
      .max(24 * 60, 'number_range')
      .nullable(),
    provisionalPriority: z.boolean({ error: 'required' }),
  })
  .strict();

export const DEFAULT_ELIGIBILITY = [
  {
    from: '2021-03-01',
    label: '60+, or 45-59 with a comorbidity',
    anyOf: [{ minAge: 60 }, { minAge: 45, maxAge: 59, requiresComorbidity: true }],
  },
  { from: '2021-04-01', label: '45+', anyOf: [{ minAge: 45 }] },
  { from: '2021-05-01', label: '18+', anyOf: [{ minAge: 18 }] },
];

/** Eligibility phases: the latest phase that has started on a day applies (common/rules/eligibility). */
export const eligibilityRulesSchema = z
  .array(
    z.object({
      from: isoDaySchema,
      label: z.string().min(1).max(120),
      anyOf: z.array(criterionSchema).min(1),
    }),
  )
  .min(1);

/** The vaccines a counter records. */
export const vaccineListSchema = z
  .array(z.object({ code: z.string().regex(/^[A-Z0-9_]{2,20}$/), name: z.string().min(1).max(60) }))
  .min(1);

// ---- District settings (main/services/district-settings.ts, portal/district-settings.ts) ----

/** The settings a district owns and publishes to its centres; the rest of the provisioning stays the centre's. */
export const DISTRICT_PARTS = ['queuePolicy', 'eligibility', 'vaccines'] as const;
export type DistrictPart = (typeof DISTRICT_PARTS)[number];

/**
 * One version of a centre's district settings, checked with the counter's own schemas. A part
 * left out is not the district's in that version: the centre's provisioning applies to it.
 * Bounded, so an answer cannot grow without limit.
 */
export const districtSettingsSchema = z
  .object({
    queuePolicy: queuePolicySchema.strict().optional(),
    // (words for IT at the portal and the counter's log, not i18n codes: the page never shows them)
    eligibility: eligibilityRulesSchema.max(50, 'at most 50 phases').optional(),
    vaccines: vaccineListSchema
      .max(50, 'at most 50 vaccines')
      .refine((list) => new Set(list.map((v) => v.code)).size === list.length, 'each vaccine code only once')
      .optional(),
  })
  .strict();
export type DistrictSettings = z.output<typeof districtSettingsSchema>;

/** What the page is told of the district settings in force (null: none received). */
export const districtSettingsViewSchema = z.object({
  version: z.number().int(),
  publishedAt: z.string(),
  appliedAt: z.string(),
  /** the parts this version sets */
  parts: z.array(z.enum(DISTRICT_PARTS)),
  /** the queue-policy fields whose value in force is the district's (the rest were set at this centre) */
  queuePolicyFromDistrict: z.array(z.string()),
});
export type DistrictSettingsView = z.infer<typeof districtSettingsViewSchema>;

/** Where slips go. `system`: an operating-system printer by its system name (office or thermal with a driver). */
export const printerTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('system'), deviceName: z.string().trim().min(1, 'required').max(200, 'too_long') }).strict(),
  z
    .object({
      kind: z.literal('escpos-tcp'),
      host: z
        .string()
        .trim()
        .min(1, 'required')
        .max(253, 'too_long')
        .regex(/^[A-Za-z0-9.\-:]+$/, 'printer_host_format'),
      port: wholeNumber('port_range', 1, () => 65535).default(9100),
      /**
       * A supervisor confirmed a printer outside this PC and the local network (the slips cross
       * other networks). Without it, only loopback, private and link-local addresses are used.
       */
      allowPublicHost: z.boolean().optional(),
    })
    .strict()
    .superRefine((t, ctx) => {
      const problem = printerHostError(t.host, t.allowPublicHost === true);
      if (problem) ctx.addIssue({ code: 'custom', path: ['host'], message: problem });
    }),
  z
    .object({
      kind: z.literal('escpos-device'),
      /** `/dev/usb/lp*`, `/dev/tty*`, `COMn`, `\\.\COMn` or `\\localhost\<share>`: never a file or another host's share */
      path: z
        .string()
        .trim()
        .min(1, 'required')
        .max(260, 'too_long')
        .refine((p) => p.length === 0 || p.length > 260 || devicePathError(p) === null, 'printer_device_path'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('escpos-cups'),
      queue: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_\-.]{1,127}$/, 'cups_queue_format'),
    })
    .strict(),
]);
export type PrinterTarget = z.output<typeof printerTargetSchema>;

export const printingSettingsSchema = z
  .object({
    printer: printerTargetSchema.default({ kind: 'none' }),
    paper: z.enum(['80mm', '58mm', 'a5', 'a4']).default('80mm'),
    /** print the slip as soon as a ticket is issued; otherwise on demand */
    autoPrint: z.boolean().default(true),
    /** how much of the person's name the slip shows */
    nameOnSlip: z.enum(['full', 'first', 'initials', 'none']).default('first'),
    /** used for the estimated wait until the day has enough served tickets to measure it */
    minutesPerPerson: z.number().int().min(1).max(60).default(3),
    /** a print that has not finished in this time has failed; the ticket stays valid */
    timeoutSeconds: z.number().int().min(2).max(120).default(10),
    /** ask an ESC/POS network printer for its status (offline, paper out) before and after each job */
    statusCheck: z.boolean().default(true),
  })
  .refine((p) => !(/^escpos-/.test(p.printer.kind) && (p.paper === 'a5' || p.paper === 'a4')), {
    path: ['paper'],
    message: 'paper_not_for_thermal',
  });
export type PrintingSettings = z.output<typeof printingSettingsSchema>;

/** The provisioning file: who this counter is and the rules it follows. Written by hospital IT or the first-run screen. */
/** How the counter talks to the portal; every field has a default that suits a counter. */
export const syncSettingsSchema = z.object({
  /** days a walk-in's full photo-ID number is kept after the portal acknowledges it, or after its refused record is dismissed (0: reduced to the last 4 at once) */
  photoIdRetentionDays: z.number().int().min(0).max(90).default(0),
  /**
   * days a walk-in's full mobile number is kept after the portal acknowledges it, or after its
   * refused record is dismissed; then only its last 4 digits. At least 1: the day's walk-ins
   * are checked for the same mobile number with a similar name (possible duplicates).
   */
  mobileRetentionDays: z.number().int().min(1).max(365).default(30),
  /** how often the roster is pulled while the portal answers */
  rosterPullMinutes: z.number().int().min(1).max(120).default(5),
  /** the hard deadline of one request to the portal */
  requestTimeoutSeconds: z.number().int().min(2).max(120).default(15),
  /** mutations per upload batch (the batch also stays under about 1 MB) */
  batchSize: z.number().int().min(1).max(200).default(200),
  /** days acknowledged outbox rows are kept for reconciliation */
  keepAcknowledgedDays: z.number().int().min(1).max(365).default(30),
});
export type SyncSettings = z.output<typeof syncSettingsSchema>;

export const provisioningSchema = z.object({
  schemaVersion: z.literal(1),
  centre: z.object({
    id: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .regex(/^[A-Za-z0-9_-]+$/, 'centre_id_format'),
    name: z.string().trim().min(2, 'required').max(120, 'too_long'),
    nameHi: z.string().trim().max(120, 'too_long').optional(),
    timeZone: z.string().refine(isValidTimeZone, 'time_zone_invalid').default('Asia/Kolkata'),
  }),
  counter: z.object({
    code: z
      .string()
      .trim()
      .regex(/^[A-Z0-9]{1,4}$/, 'counter_code_format'),
    /** first part of every token of this counter, e.g. `A` in `A-P017`; unique within the centre */
    tokenPrefix: z
      .string()
      .trim()
      .regex(/^[A-Z]{1,2}$/, 'token_prefix_format'),
  }),
  lanes: z
    .object({
      priorityLetter: z
        .string()
        .regex(/^[A-Z]$/)
        .default('P'),
      walkInLetter: z
        .string()
        .regex(/^[A-Z]$/)
        .default('W'),
    })
    .refine((l) => l.priorityLetter !== l.walkInLetter, 'lane_letters_same')
    .default({ priorityLetter: 'P', walkInLetter: 'W' }),
  queuePolicy: queuePolicySchema.default(queuePolicySchema.parse({})),
  eligibility: eligibilityRulesSchema.default(DEFAULT_ELIGIBILITY),
  vaccines: vaccineListSchema.default([
    { code: 'COVISHIELD', name: 'Covishield' },
    { code: 'COVAXIN', name: 'Covaxin' },
  ]),
  security: z
    .object({
      maxPinAttempts: z.number().int().min(3).max(20).default(5),
      lockMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(5),
      /** a session with no input for this long locks itself; its operator's PIN reopens it */
      idleLockMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(10),
      /** a supervisor-only action asks for the PIN again when it was last given longer ago than this */
      stepUpMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(5),
    })
    .default({ maxPinAttempts: 5, lockMinutes: 5, idleLockMinutes: 10, stepUpMinutes: 5 }),
  printing: printingSettingsSchema.default(printingSettingsSchema.parse({})),
  /** https, or http to this PC only: the device token and full ID numbers travel to this address */
  portal: z
    .object({
      url: z.url().refine((u) => portalUrlError(u) === null, 'portal_url_https'),
      deviceToken: z.string().min(16).max(200),
    })
    .optional(),
  sync: syncSettingsSchema.default(syncSettingsSchema.parse({})),
});
export type Provisioning = z.output<typeof provisioningSchema>;
export type ProvisioningInput = z.input<typeof provisioningSchema>;

export const pinSchema = z.string({ error: 'required' }).regex(/^\d{4,8}$/, 'pin_format');
/** A supervisor's new PIN: 6-8 digits (one set before this rule still signs in). */
export const supervisorPinSchema = z.string({ error: 'required' }).regex(/^\d{6,8}$/, 'supervisor_pin_format');
export const loginIdSchema = z
  .string({ error: 'required' })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9._-]{3,32}$/, 'login_id_format');

// ---- What crosses back to the renderer (schemas, so responses can be checked too) ----

export type LaneName = (typeof LANES)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type Role = (typeof ROLES)[number];

const isoTime = z.string();

export const ticketViewSchema = z.object({
  id: z.string(),
  token: z.string(),
  lane: z.enum(LANES),
  source: z.enum(['online', 'provisional', 'walkin']),
  status: z.enum(TICKET_STATUSES),
  name: z.string(),
  refId: z.string().nullable(),
  verified: z.boolean(),
  late: z.boolean(),
  /** ISO time it joined (or rejoined) its lane */
  queuedAt: isoTime,
  createdAt: isoTime,
  calledAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  recallCount: z.number().int(),
  requeueCount: z.number().int(),
  dose: z.number().int().nullable(),
});
export type TicketView = z.infer<typeof ticketViewSchema>;

export const operatorViewSchema = z.object({
  id: z.string(),
  loginId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  lockedUntil: isoTime.nullable(),
  /** locked after the last step of the lock-out ladder, until a supervisor or IT unlocks it */
  needsUnlock: z.boolean().optional(),
});
export type OperatorView = z.infer<typeof operatorViewSchema>;

export const searchHitSchema = z.object({
  refId: z.string(),
  name: z.string(),
  gender: z.enum(GENDERS),
  birthYear: z.number().int(),
  mobileLast4: z.string(),
  photoIdType: z.string(),
  photoIdLast4: z.string(),
  dose: z.number().int(),
  slotTime: z.string().nullable(),
  matchedOn: z.enum(['ref_id', 'ref_last4', 'mobile_last4', 'photo_id_last4', 'name']),
  /** set when this registrant already has a ticket today */
  ticket: z.object({ id: z.string(), token: z.string(), status: z.enum(TICKET_STATUSES) }).nullable(),
});
export type SearchHit = z.infer<typeof searchHitSchema>;

export const duplicateCandidateSchema = z.object({
  kind: z.enum(['roster', 'walkin']),
  /** roster ref ID or walk-in record ID */
  id: z.string(),
  name: z.string(),
  birthYear: z.number().int(),
  reason: z.enum(['same_photo_id', 'same_mobile_similar_name']),
  token: z.string().nullable(),
});
export type DuplicateCandidate = z.infer<typeof duplicateCandidateSchema>;

export const rosterInfoSchema = z.object({
  day: z.string(),
  count: z.number().int(),
  importedAt: isoTime,
  source: z.string(),
  /** the roster is not for the centre's today */
  stale: z.boolean(),
});
export type RosterInfo = z.infer<typeof rosterInfoSchema>;

/**
 * Whether a ticket's records have reached the portal: its check-in or walk-in record and the
 * events on it (called, served, ...). `attention`: one was refused and waits for correction;
 * `waiting`: one is still in the outbox; `dismissed`: a refused one was dismissed by a supervisor.
 */
export const UPLOAD_STATES = ['uploaded', 'waiting', 'attention', 'dismissed'] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];

export const queueViewSchema = z.object({
  day: z.string(),
  waiting: z.object({ priority: z.array(ticketViewSchema), walkin: z.array(ticketViewSchema) }),
  /** called and not yet served or marked no-show */
  called: z.array(ticketViewSchema),
  /** the last finished tickets (served, no-show, cancelled), newest first */
  recent: z.array(ticketViewSchema),
  next: z.object({ ticketId: z.string(), token: z.string(), lane: z.enum(LANES), reason: z.string() }).nullable(),
  counts: z.object({ served: z.number().int(), noShow: z.number().int(), cancelled: z.number().int() }),
  /** minutes the oldest waiting ticket of each lane has waited */
  oldestWaitMinutes: z.object({ priority: z.number().nullable(), walkin: z.number().nullable() }),
  policy: queuePolicySchema,
  now: isoTime,
  /** upload state of each ticket listed above, by ticket ID */
  uploads: z.record(z.string(), z.enum(UPLOAD_STATES)),
});
export type QueueView = z.infer<typeof queueViewSchema>;

export const printJobViewSchema = z.object({
  id: z.string(),
  ticketId: z.string().nullable(),
  token: z.string().nullable(),
  kind: z.enum(['print', 'reprint', 'test']),
  status: z.enum(['queued', 'printing', 'printed', 'failed']),
  printer: z.string(),
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  requestedAt: isoTime,
  finishedAt: isoTime.nullable(),
});
export type PrintJobView = z.infer<typeof printJobViewSchema>;

export const appStateViewSchema = z.object({
  provisioned: z.boolean(),
  today: z.string().nullable(),
  centre: z.object({ id: z.string(), name: z.string(), nameHi: z.string().nullable(), timeZone: z.string() }).nullable(),
  counter: z.object({ code: z.string(), tokenPrefix: z.string() }).nullable(),
  deviceId: z.string(),
  operator: operatorViewSchema.nullable(),
  /**
   * The caller's session (each window or browser has its own): `locked` when it locked itself
   * after `idleLockMinutes` without input (`operator` is then whose PIN reopens it). The page
   * keeps the same idle time and covers itself without waiting for main.
   */
  session: z.object({ locked: z.boolean(), idleLockMinutes: z.number().int(), stepUpMinutes: z.number().int() }).optional(),
  roster: rosterInfoSchema.nullable(),
  outbox: z.object({ pending: z.number().int() }),
  sync: z.lazy(() => syncStatusViewSchema),
  vaccines: z.array(z.object({ code: z.string(), name: z.string() })),
  policy: queuePolicySchema.nullable(),
  printing: printingSettingsSchema.nullable(),
  /** the district's settings in force, when the portal has sent some */
  district: districtSettingsViewSchema.nullable().optional(),
});
export type AppStateView = z.infer<typeof appStateViewSchema>;

// ---- Sync with the portal ----

export const SYNC_STATES = ['connecting', 'online', 'degraded', 'offline', 'not_configured'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

/** Whether the counter's records have reached the portal, for the status bar. */
export const syncStatusViewSchema = z.object({
  /**
   * connecting: the first request since start has not ended yet; online: the last request went
   * through; degraded: failing, still trying; offline: the circuit is open or never reached
   */
  state: z.enum(SYNC_STATES),
  /** outbox rows not yet acknowledged by the portal (records needing attention not included) */
  pending: z.number().int().nonnegative(),
  /** records the portal rejected, waiting for correction */
  needsAttention: z.number().int().nonnegative(),
  oldestPendingAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  nextRetryAt: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** a batch is on its way now */
  uploading: z.boolean(),
  rosterPulledAt: z.string().nullable(),
  /**
   * The portal's clock minus this PC's, in ms, measured on the portal's Date header; null
   * before the portal has answered. Over 2 minutes either way the operator is warned: the
   * counter's day and every time it records come from this PC's clock.
   */
  clockOffsetMs: z.number().int().nullable().optional(),
});
export type SyncStatusView = z.infer<typeof syncStatusViewSchema>;

/** Nothing known yet: no portal set, nothing tried, nothing counted. */
export const UNKNOWN_SYNC_STATUS: SyncStatusView = {
  state: 'not_configured',
  pending: 0,
  needsAttention: 0,
  oldestPendingAt: null,
  lastSuccessAt: null,
  lastAttemptAt: null,
  nextRetryAt: null,
  lastError: null,
  uploading: false,
  rosterPulledAt: null,
  clockOffsetMs: null,
};

/** Why a supervisor dismisses a rejected record instead of resending it (kept in the reconciliation). */
export const dismissReasonSchema = z.string({ error: 'required' }).trim().min(1, 'required').max(200, 'too_long');

/** The walk-in's details as they can be corrected before resending. */
export const walkInCorrectionSchema = walkInFormSchema;
export const checkInCorrectionSchema = z.object({ refId: refIdSchema, name: nameSchema });

/** A record the portal rejected: shown with the portal's reason and a way to correct and resend it. */
export const needsAttentionItemSchema = z.object({
  seq: z.number().int(),
  mutationId: z.string(),
  kind: z.string(),
  recordId: z.string(),
  day: z.string().nullable(),
  token: z.string().nullable(),
  name: z.string().nullable(),
  code: z.string(),
  reason: z.string(),
  createdAt: z.string(),
  /** what can be corrected: a walk-in's details, a check-in's ref ID and name, or nothing (resend as it is) */
  correctable: z.enum(['walkin', 'checkin', 'none']),
  walkIn: z
    .object({
      name: z.string(),
      gender: z.string(),
      birthYear: z.number().int(),
      mobile: z.string(),
      photoIdType: z.string(),
      photoIdNumber: z.string(),
      comorbidity: z.boolean(),
      dose: z.number().int(),
    })
    .nullable(),
  checkIn: z.object({ refId: z.string(), name: z.string() }).nullable(),
});
export type NeedsAttentionItem = z.infer<typeof needsAttentionItemSchema>;

export const RECONCILIATION_STATUSES = ['pending', 'rejected', 'dismissed', 'possible_duplicate'] as const;

/** One line of the supervisor's reconciliation: a record not (yet) cleanly with the portal. */
export const reconciliationRowSchema = z.object({
  day: z.string().nullable(),
  status: z.enum(RECONCILIATION_STATUSES),
  kind: z.string(),
  recordId: z.string(),
  seq: z.number().int(),
  token: z.string().nullable(),
  name: z.string().nullable(),
  code: z.string().nullable(),
  reason: z.string().nullable(),
  duplicateOf: z.array(z.string()),
  createdAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  attempts: z.number().int(),
  operatorId: z.string().nullable(),
  counterCode: z.string().nullable(),
  /** a rejected record a supervisor dismissed instead of resending: when, who (login ID) and why */
  dismissal: z.object({ at: z.string(), by: z.string().nullable(), reason: z.string() }).nullable(),
});
export type ReconciliationRow = z.infer<typeof reconciliationRowSchema>;

export const reconciliationViewSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.array(reconciliationRowSchema),
  totals: z.object({
    pending: z.number().int(),
    rejected: z.number().int(),
    dismissed: z.number().int(),
    possibleDuplicate: z.number().int(),
    acknowledged: z.number().int(),
  }),
  /** past days (the last 92, whatever the range) with tickets still waiting or called: a supervisor closes them */
  openTickets: z.array(z.object({ day: z.string(), count: z.number().int() })),
});
export type ReconciliationView = z.infer<typeof reconciliationViewSchema>;

/** A day range for reports: at most 92 days, `from` not after `to`. */
export const dayRangeSchema = z
  .object({ from: isoDaySchema, to: isoDaySchema })
  .strict()
  // the order and length checks only speak when both days are days
  .refine((r) => r.from <= r.to, { message: 'range_order', path: ['to'], when: bothDays })
  .refine((r) => (Date.parse(r.to) - Date.parse(r.from)) / 86_400_000 <= 92, {
    message: 'range_too_long',
    path: ['to'],
    when: bothDays,
  });

function bothDays(payload: { value: unknown }): boolean {
  const v = payload.value as { from?: unknown; to?: unknown } | null;
  return typeof v === 'object' && v !== null && isIsoDayString(v.from) && isIsoDayString(v.to);
}

function isIsoDayString(v: unknown): boolean {
  return typeof v === 'string' && isIsoDay(v);
}

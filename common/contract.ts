/**
 * The one contract between the renderer and main. Each method names its request schema
 * (validated in main on every call), its response schema and who may call it. The preload
 * exposes exactly these methods on `window.counter`; the web bridge implements the same
 * type. Adding a method: see docs/adding-an-ipc-method.md.
 */
import { z } from 'zod';
import {
  appStateViewSchema,
  duplicateCandidateSchema,
  loginIdSchema,
  operatorViewSchema,
  pinSchema,
  supervisorPinSchema,
  provisionalCheckInSchema,
  provisioningSchema,
  queuePolicyChangeSchema,
  printJobViewSchema,
  printingSettingsSchema,
  queueViewSchema,
  refIdSchema,
  ROLES,
  rosterInfoSchema,
  searchHitSchema,
  ticketViewSchema,
  uuidSchema,
  walkInFormSchema,
  doseSchema,
  syncStatusViewSchema,
  needsAttentionItemSchema,
  walkInCorrectionSchema,
  checkInCorrectionSchema,
  dismissReasonSchema,
  isoDaySchema,
  reconciliationViewSchema,
  dayRangeSchema,
  TICKET_STATUSES,
} from './domain';
import type { Result } from './result';
import type { PrintJobView, SyncStatusView, UploadState } from './domain';
import { EVENT_CHANNEL, ipcChannel, METHOD_NAMES, type MethodName } from './contract-methods';
import { updateStatusSchema } from './updates';
import { noticeSchema, speechSettingsSchema } from './board';
import { enrolmentCodeError } from './rules/enrolment-code';
import { portalUrlError } from './rules/portal-url';

export type Access = 'public' | 'operator' | 'supervisor';

interface MethodSpec<Req extends z.ZodType, Res extends z.ZodType> {
  request: Req;
  response: Res;
  access: Access;
  /** changes stored data: the renderer is told `changed` afterwards */
  mutates: boolean;
}

const method = <Req extends z.ZodType, Res extends z.ZodType>(
  request: Req,
  response: Res,
  access: Access,
  mutates: boolean,
): MethodSpec<Req, Res> => ({ request, response, access, mutates });

const empty = z.object({}).strict();
const ticketRef = z.object({ ticketId: uuidSchema }).strict();
/** An operator's name as people see it (the supervisor set up at first run, and every one added later). */
const operatorNameSchema = z.string().trim().min(2, 'name_too_short').max(80, 'too_long');
/** A roster file is read in the renderer and handed over whole; 64 MiB covers ~500k rows of CSV. */
export const MAX_ROSTER_BYTES = 64 * 1024 * 1024;
/** The most waiting tickets of a lane a limited queue answer may be asked to list. */
export const MAX_WAITING_LIMIT = 500;

/**
 * An app update as the supervisor sees it: the updater's status, whether it may install now
 * and why (`window`), and whether the supervisor postponed it to the end of the day.
 */
export const updateViewSchema = updateStatusSchema.extend({
  window: z.object({
    mayInstall: z.boolean(),
    reason: z.enum(['idle', 'day_closed', 'signed_in', 'queue_active', 'postponed']),
  }),
  postponed: z.boolean(),
});
export type UpdateView = z.infer<typeof updateViewSchema>;
/** An update version as the supervisor saw it on screen (install now and postpone name it). */
const updateVersionSchema = z.string().trim().min(1, 'required').max(40, 'too_long');

/** The board's room name for this counter ("Room 2" / "कमरा 2"), said and shown as where to go; empty: "Counter <code>". */
export const BOARD_ROOM_MAX_LENGTH = 20;
export const boardRoomSchema = z
  .object({
    en: z.string().trim().max(BOARD_ROOM_MAX_LENGTH, 'too_long'),
    hi: z.string().trim().max(BOARD_ROOM_MAX_LENGTH, 'too_long'),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.en === '' && r.hi !== '') ctx.addIssue({ code: 'custom', path: ['en'], message: 'room_en_required' });
  });
/** A supervisor's board settings (the window's display and whether it is open are set by openBoard/closeBoard). */
export const boardSettingsChangeSchema = z
  .object({
    notice: noticeSchema.strict(),
    room: boardRoomSchema,
    speech: speechSettingsSchema.strict(),
  })
  .strict();
/** One display the board window can open on (the desktop app only). */
export const boardDisplaySchema = z.object({
  id: z.number().int(),
  label: z.string(),
  primary: z.boolean(),
  width: z.number().int(),
  height: z.number().int(),
});
export const boardSettingsViewSchema = z.object({
  notice: z.object({ en: z.string(), hi: z.string() }),
  room: z.object({ en: z.string(), hi: z.string() }),
  speech: speechSettingsSchema,
  /** the display chosen for the board window (null: the first one that is not the main display) */
  displayId: z.number().int().nullable(),
  /** the board window is to be open (it opens again when the app starts) */
  windowOpen: z.boolean(),
  /** whether this app can open a board window at all (the desktop app), and whether one is open now */
  window: z.object({ available: z.boolean(), open: z.boolean() }),
});
export type BoardSettingsView = z.infer<typeof boardSettingsViewSchema>;
export type BoardSettingsChange = z.input<typeof boardSettingsChangeSchema>;

export const contract = {
  getAppState: method(empty, appStateViewSchema, 'public', false),
  provision: method(
    z
      .object({
        provisioning: provisioningSchema,
        supervisor: z
          .object({
            loginId: loginIdSchema,
            name: operatorNameSchema,
            pin: supervisorPinSchema,
          })
          .strict(),
      })
      .strict(),
    appStateViewSchema,
    'public',
    true,
  ),
  /**
   * First run by enrolment: the counter redeems IT's one-time code at the portal for its
   * provisioning and its own device token, then creates its first supervisor (as `provision`).
   */
  enrol: method(
    z
      .object({
        portalUrl: z
          .string({ error: 'required' })
          .trim()
          .min(1, 'required')
          .max(500, 'too_long')
          .pipe(z.url({ error: 'enrol_portal_url' }).refine((u) => portalUrlError(u) === null, 'portal_url_https')),
        code: z
          .string({ error: 'required' })
          .trim()
          .min(1, 'required')
          .max(64, 'enrol_code_format')
          .refine((c) => enrolmentCodeError(c) === null, 'enrol_code_format'),
        supervisor: z
          .object({
            loginId: loginIdSchema,
            name: operatorNameSchema,
            pin: supervisorPinSchema,
          })
          .strict(),
      })
      .strict(),
    appStateViewSchema,
    'public',
    true,
  ),
  signIn: method(z.object({ loginId: loginIdSchema, pin: pinSchema }).strict(), operatorViewSchema, 'public', false),
  /** Ends the caller's session only (each window or browser has its own). */
  signOut: method(empty, z.null(), 'public', false),
  /**
   * The operator is at the keyboard: keeps the caller's session from locking itself. The page
   * sends it on input (at most every 30 s); reads that refresh lists in the background do not count.
   */
  touchSession: method(empty, z.null(), 'operator', false),
  /** Reopens the caller's session after an idle lock with its operator's PIN (wrong PINs count towards the lock-out). */
  unlockSession: method(z.object({ pin: pinSchema }).strict(), operatorViewSchema, 'public', false),
  /** The PIN given again for supervisor-only actions (asked for when it was last given more than `stepUpMinutes` ago). */
  stepUp: method(z.object({ pin: pinSchema }).strict(), z.null(), 'operator', false),

  listOperators: method(empty, z.array(operatorViewSchema), 'supervisor', false),
  addOperator: method(
    z
      .object({
        loginId: loginIdSchema,
        name: operatorNameSchema,
        role: z.enum(ROLES),
        pin: pinSchema,
      })
      .strict()
      .superRefine((o, ctx) => {
        if (o.role === 'supervisor' && !supervisorPinSchema.safeParse(o.pin).success) {
          ctx.addIssue({ code: 'custom', path: ['pin'], message: 'supervisor_pin_format' });
        }
      }),
    operatorViewSchema,
    'supervisor',
    true,
  ),
  setOperatorDisabled: method(
    z.object({ operatorId: uuidSchema, disabled: z.boolean() }).strict(),
    operatorViewSchema,
    'supervisor',
    true,
  ),
  resetOperatorPin: method(z.object({ operatorId: uuidSchema, pin: pinSchema }).strict(), operatorViewSchema, 'supervisor', true),
  /** Unlocks an account locked by wrong PINs, whatever step of the lock-out ladder it is on. */
  unlockOperator: method(z.object({ operatorId: uuidSchema }).strict(), operatorViewSchema, 'supervisor', true),
  updateQueuePolicy: method(queuePolicyChangeSchema, appStateViewSchema, 'supervisor', true),

  importRoster: method(
    z
      .object({
        fileName: z.string().min(1).max(260),
        format: z.enum(['json', 'csv']),
        content: z.string().max(MAX_ROSTER_BYTES, 'file_too_large'),
      })
      .strict(),
    rosterInfoSchema,
    'supervisor',
    true,
  ),
  searchRoster: method(
    z.object({ query: z.string().max(100, 'too_long') }).strict(),
    z.array(searchHitSchema),
    'operator',
    false,
  ),

  checkIn: method(z.object({ refId: refIdSchema }).strict(), ticketViewSchema, 'operator', true),
  checkInProvisional: method(provisionalCheckInSchema.strict(), ticketViewSchema, 'operator', true),
  previewWalkIn: method(
    z
      .object({
        form: walkInFormSchema,
        /** the form's registerWalkIn submission: one already saved (its answer lost) is told as such */
        submissionId: uuidSchema.optional(),
      })
      .strict(),
    z.object({
      /** other people who may be this one (never the registration of this same submission) */
      duplicates: z.array(duplicateCandidateSchema),
      eligibility: z.object({
        eligible: z.boolean(),
        age: z.number().int(),
        reason: z.string().nullable(),
        phase: z.string().nullable(),
      }),
      /** this submission was already registered (the answer was lost): the ticket it was given */
      alreadyRegistered: z
        .object({ walkInId: z.string(), ticketId: z.string(), token: z.string(), status: z.enum(TICKET_STATUSES) })
        .nullable()
        .optional(),
    }),
    'operator',
    false,
  ),
  registerWalkIn: method(
    z
      .object({
        /** made by the renderer once per form; a repeated submission returns the same ticket */
        submissionId: uuidSchema,
        form: walkInFormSchema,
        /** IDs of the possible duplicates the operator saw and decided are different people */
        acknowledgedDuplicates: z.array(z.string().max(64)).max(50),
      })
      .strict(),
    ticketViewSchema,
    'operator',
    true,
  ),

  /**
   * The queue. `waitingLimit`: at most this many waiting tickets of each lane, from its head
   * (what the page draws), with `waitingCount` saying how many wait; without it, all of them.
   */
  getQueue: method(
    z.object({ waitingLimit: z.number().int().min(1).max(MAX_WAITING_LIMIT).optional() }).strict(),
    queueViewSchema.extend({
      /** how many wait in each lane: more than `waiting` lists when a limit was asked for */
      waitingCount: z.object({ priority: z.number().int().min(0), walkin: z.number().int().min(0) }).optional(),
    }),
    'operator',
    false,
  ),
  callNext: method(empty, ticketViewSchema, 'operator', true),
  callTicket: method(ticketRef, ticketViewSchema, 'operator', true),
  recallTicket: method(ticketRef, ticketViewSchema, 'operator', true),
  markNoShow: method(ticketRef, ticketViewSchema, 'operator', true),
  requeueTicket: method(ticketRef, ticketViewSchema, 'operator', true),
  cancelTicket: method(
    z.object({ ticketId: uuidSchema, reason: z.string().trim().min(1, 'required').max(200, 'too_long') }).strict(),
    ticketViewSchema,
    'operator',
    true,
  ),
  serveTicket: method(
    z
      .object({
        ticketId: uuidSchema,
        vaccine: z.string().regex(/^[A-Z0-9_]{2,20}$/, 'required'),
        lotNumber: z
          .string({ error: 'required' })
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9][A-Z0-9\-/]{2,19}$/, 'lot_number_format'),
        dose: doseSchema,
      })
      .strict(),
    ticketViewSchema,
    'operator',
    true,
  ),
  /** Prints the ticket's slip, or reprints it (marked REPRINT) when one was printed before. Returns at once; the job runs in the print queue. */
  printSlip: method(ticketRef, printJobViewSchema, 'operator', true),
  /** The day's print jobs, newest first; `failedOnly`: the slips still not printed (each ticket whose latest job failed). */
  listPrintJobs: method(
    z.object({ failedOnly: z.boolean().default(false) }).strict(),
    z.array(printJobViewSchema),
    'operator',
    false,
  ),
  /** Printers the operating system knows (desktop app only; empty elsewhere). */
  listSystemPrinters: method(
    empty,
    z.array(z.object({ name: z.string(), displayName: z.string(), isDefault: z.boolean() })),
    'supervisor',
    false,
  ),
  updatePrintingSettings: method(printingSettingsSchema.strict(), appStateViewSchema, 'supervisor', true),
  /** Prints a sample slip on the configured printer. */
  testPrint: method(empty, printJobViewSchema, 'supervisor', true),

  /** Whether the counter's records have reached the portal. */
  getSyncStatus: method(empty, syncStatusViewSchema, 'operator', false),
  /** Uploads now (and pulls the roster) instead of waiting for the next retry. */
  syncNow: method(empty, syncStatusViewSchema, 'operator', false),
  /** Records the portal rejected, with its reason, oldest first. */
  listNeedsAttention: method(empty, z.array(needsAttentionItemSchema), 'operator', false),
  /**
   * Resends a rejected record, corrected or as it was: the correction and a new outbox row
   * are one transaction; the rejected row is kept, marked as corrected.
   */
  resendRecord: method(
    z
      .object({
        seq: z.number().int().positive(),
        walkIn: walkInCorrectionSchema.optional(),
        checkIn: checkInCorrectionSchema.strict().optional(),
      })
      .strict(),
    z.object({ seq: z.number().int() }),
    'operator',
    true,
  ),
  /**
   * A supervisor dismisses a rejected record instead of resending it, with a reason: it leaves
   * "needs attention" and stays in the reconciliation as dismissed. Nothing is sent.
   */
  dismissRecord: method(
    z.object({ seq: z.number().int().positive(), reason: dismissReasonSchema }).strict(),
    z.object({ seq: z.number().int() }),
    'supervisor',
    true,
  ),
  /**
   * Closes a day that is over: every ticket of it still waiting or called is cancelled as not
   * finished by the end of the day (one ticket.cancelled row each, so the portal learns it).
   */
  closeDay: method(
    z.object({ day: isoDaySchema }).strict(),
    z.object({ day: z.string(), closed: z.number().int() }),
    'supervisor',
    true,
  ),
  /** Pending, rejected, dismissed and possible-duplicate records for a day range (the centre's days). */
  getReconciliation: method(dayRangeSchema, reconciliationViewSchema, 'supervisor', false),
  /** The same as CSV (UTF-8 with BOM, so spreadsheet programs read Hindi names). */
  exportReconciliation: method(dayRangeSchema, z.object({ fileName: z.string(), csv: z.string() }), 'supervisor', false),
  /** A diagnostics bundle for IT (JSON): versions, settings without secrets, sync and printer state, recent logs; nothing personal. */
  saveDiagnostics: method(empty, z.object({ fileName: z.string(), json: z.string() }), 'supervisor', false),

  /** The app update: found, downloading, ready (and when it may install), refused; 'off' where IT updates the app. */
  updateStatus: method(empty, updateViewSchema, 'supervisor', false),
  /**
   * Installs the ready update now: the app closes and reopens on it. `version`: the one the
   * supervisor saw (another version ready since is refused with CONFLICT, details.why).
   */
  installUpdateNow: method(z.object({ version: updateVersionSchema }).strict(), updateViewSchema, 'supervisor', true),
  /** Postpones the ready update to the end of the day (it installs once a day is closed), or lifts that. */
  postponeUpdate: method(
    z.object({ version: updateVersionSchema, postponed: z.boolean() }).strict(),
    updateViewSchema,
    'supervisor',
    true,
  ),

  /** The waiting hall's board: the notice line, the room name, the speech and its window. */
  getBoardSettings: method(empty, boardSettingsViewSchema, 'supervisor', false),
  updateBoardSettings: method(boardSettingsChangeSchema, boardSettingsViewSchema, 'supervisor', true),
  /** The displays the board window may open on (desktop app only; empty elsewhere). */
  listDisplays: method(empty, z.array(boardDisplaySchema), 'supervisor', false),
  /** Opens the board window full screen on that display (null: the first that is not the main one) and keeps it open over restarts. */
  openBoard: method(
    z.object({ displayId: z.number().int().min(0).nullable() }).strict(),
    boardSettingsViewSchema,
    'supervisor',
    true,
  ),
  closeBoard: method(empty, boardSettingsViewSchema, 'supervisor', true),
} as const satisfies Record<MethodName, MethodSpec<z.ZodType, z.ZodType>>;

export type Contract = typeof contract;
export { METHOD_NAMES, ipcChannel, EVENT_CHANNEL, type MethodName };

export type RequestOf<M extends MethodName> = z.input<Contract[M]['request']>;
export type ParsedRequestOf<M extends MethodName> = z.output<Contract[M]['request']>;
export type ResponseOf<M extends MethodName> = z.output<Contract[M]['response']>;

/** Pushed from main to the renderer. */
export type CounterEvent =
  | { type: 'changed'; method: MethodName }
  /** the sync status changed (upload, failure, retry planned, roster pulled) */
  | { type: 'status'; sync: SyncStatusView }
  /** a print job moved on (queued, printing, printed, failed) */
  | { type: 'print'; job: PrintJobView }
  /**
   * the upload state of these tickets changed (the portal acknowledged or refused their
   * records): what the queue's upload marks need, without reading the queue again
   */
  | { type: 'uploads'; uploads: Record<string, UploadState> }
  /** the app update moved on (checked, downloading, ready, refused) or was postponed */
  | { type: 'update'; update: UpdateView }
  /**
   * the page's line to main was opened again after it broke (a browser page on the web bridge):
   * events sent meanwhile are lost, so everything on screen is read again. Never sent by main.
   */
  | { type: 'resync' };

/** `window.counter`: the only door from the page to the counter. */
export type CounterApi = {
  [M in MethodName]: (request: RequestOf<M>) => Promise<Result<ResponseOf<M>>>;
} & {
  onEvent(listener: (event: CounterEvent) => void): () => void;
};

/**
 * The portal's rules for a pushed mutation, the same whichever database engine keeps the data:
 * the strict payload schemas, the photo-ID checks, and what a mutation asks the store to look
 * up and write (`checkMutation`). Nothing here reads or writes a database.
 */
import { z } from 'zod';
import { PHOTO_ID_TYPES, normalizePhotoId, photoIdError, type PhotoIdType } from '../common/rules/photo-id';
import {
  RECORD_KINDS,
  checkInPayloadSchema,
  ticketEventPayloadSchema,
  walkInPayloadSchema,
  type Mutation,
  type PushResult,
} from '../common/sync-protocol';

/** What became of one mutation of a batch. */
export interface Outcome {
  status: PushResult['status'];
  code?: string;
  reason?: string;
  flags?: string[];
  duplicateOf?: string[];
}

/** a walk-in names at most this many possible duplicates */
export const MAX_DUPLICATE_OF = 20;

/**
 * A number the counter has reduced to its last 4 after acknowledgement (XXXX1234), sent again
 * only to a portal restored from an older backup: nothing to check it or match it against.
 */
export const REDUCED_PHOTO_ID = /^XXXX[0-9A-Z/]{1,4}$/;

const PHOTO_ID_WORDS: Record<string, string> = {
  aadhaar_length: 'an Aadhaar number has 12 digits',
  aadhaar_first_digit: 'an Aadhaar number does not start with 0 or 1',
  aadhaar_checksum: 'the Aadhaar number fails its check digit (a digit mistyped?)',
  pan_format: 'a PAN is 5 letters, 4 digits and a letter',
  passport_format: 'a passport number is a letter and 7 digits',
  voter_id_format: 'a voter ID is 3 letters and 7 digits',
  driving_licence_format: 'a driving licence number is a state code, an RTO code and a serial',
  udid_format: 'a UDID is 2 letters and 16 digits',
  id_format: 'the ID number has letters, digits or / only, 6 to 24 of them',
  required: 'the ID number is required',
};

/** Why a walk-in's photo ID fails the counter's own rules (common/rules/photo-id), or null when it passes. */
export function photoIdProblem(type: string, normalized: string): string | null {
  if (!(PHOTO_ID_TYPES as readonly string[]).includes(type)) {
    return `payload.person.photoIdType: ${type} is not an accepted photo-ID document (${PHOTO_ID_TYPES.join(', ')})`;
  }
  if (REDUCED_PHOTO_ID.test(normalized)) return null;
  const code = photoIdError(type as PhotoIdType, normalized);
  return code
    ? `payload.person.photoIdNumber: ${PHOTO_ID_WORDS[code] ?? 'not a valid number for this document'} (${code})`
    : null;
}

// The payload schemas compiled ahead of time (each push checks up to 200 payloads): a valid
// payload takes the generated check, an invalid one the ordinary parser, so what is accepted
// and what a rejection says are the schema's own.
//
// Parsed strictly: what the protocol requires (common/sync-protocol) plus the fields a counter
// is known to send with it, and nothing else; an unknown field is refused (invalid_payload),
// never stored as sent.
const text = (max: number) => z.string().max(max);
const sentBy = {
  at: text(40).optional(),
  operatorId: text(64).optional(),
  counterCode: text(16).optional(),
  deviceId: text(64).optional(),
  // a record corrected and sent again
  correctionOf: text(64).optional(),
  resentAt: text(40).optional(),
  resentBy: text(64).optional(),
};
export const strictWalkInPayloadSchema = walkInPayloadSchema
  .extend({
    ...sentBy,
    token: text(16).optional(),
    person: walkInPayloadSchema.shape.person.extend({ comorbidity: z.boolean().optional() }).strict(),
    possibleDuplicates: z
      .array(z.object({ kind: text(32), id: text(64), reason: text(200).nullish() }).strict())
      .max(50)
      .optional(),
  })
  .strict();
export const strictCheckInPayloadSchema = checkInPayloadSchema
  .extend({
    ...sentBy,
    token: text(16).optional(),
    lane: text(32).optional(),
    late: z.boolean().optional(),
    rosterImportId: z.union([text(64), z.number().int()]).optional(),
    slotTime: text(8).nullish(),
    unverified: z.boolean().optional(),
    presented: z
      .object({ birthYear: z.number().int().min(1900).max(2100).nullish(), gender: z.enum(['F', 'M', 'O']).nullish() })
      .strict()
      .optional(),
  })
  .strict();
export const strictTicketEventPayloadSchema = ticketEventPayloadSchema
  .extend({
    ...sentBy,
    token: text(16).optional(),
    action: text(32).optional(),
    from: text(32).optional(),
    to: text(32).optional(),
    reason: text(500).nullish(),
    endOfDay: z.boolean().optional(),
    vaccinationId: text(64).optional(),
    vaccine: text(100).optional(),
    lotNumber: text(100).optional(),
    dose: z.number().int().min(1).max(9).optional(),
  })
  .strict();
export const walkInPayload = z.compile(strictWalkInPayloadSchema);
export const checkInPayload = z.compile(strictCheckInPayloadSchema);
export const ticketEventPayload = z.compile(strictTicketEventPayloadSchema);

/** "field.path: message" for the first few issues of a failed parse, for the person at the counter or a developer. */
export function describeIssues(error: z.ZodError, prefix?: string, maxLength = 500): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const text = parts.join('; ') + (error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** The answer for one mutation. */
export function toResult(m: Mutation, o: Outcome): PushResult {
  const r: PushResult = { seq: m.seq, mutationId: m.mutationId, status: o.status };
  if (o.code) r.code = o.code;
  if (o.reason) r.reason = o.reason;
  // a record's own flags (e.g. `other_centre`, `unverified`) stay on the portal; the answer carries the protocol's
  const flags = (o.flags ?? []).filter((f): f is 'possible_duplicate' => f === 'possible_duplicate');
  if (flags.length > 0) r.flags = flags;
  if (o.duplicateOf && o.duplicateOf.length > 0) r.duplicateOf = o.duplicateOf;
  return r;
}

/** A ticket event to store (never blocks on its ticket's record having arrived). */
export interface EventToApply {
  kind: 'event';
  mutationId: string;
  ticketId: string;
  day: string;
  /** the payload as sent, as JSON */
  payload: string;
}

/** A record (a walk-in or a check-in) to store, once the store has made its lookups. */
export interface RecordToApply {
  kind: 'record';
  walkIn: boolean;
  mutationId: string;
  recordId: string;
  day: string;
  payload: string;
  /** walk-ins with a full photo-ID number: look for possible duplicates */
  photoIdType: string | null;
  photoIdNumber: string | null;
  /** check-ins: the booking reference (upper case) and whether the counter verified it */
  refId: string | null;
  verified: boolean;
}

/**
 * What a mutation asks of the store, or the rejection it gets before any lookup: the payload
 * parsed strictly, its ID checked against the mutation's recordId, a walk-in's photo ID
 * checked and normalized (a number reduced to its last 4 is kept without a number).
 */
export function checkMutation(m: Mutation): EventToApply | RecordToApply | { kind: 'rejected'; outcome: Outcome } {
  const reject = (code: string, reason: string) => ({
    kind: 'rejected' as const,
    outcome: { status: 'rejected' as const, code, reason },
  });
  const mutationId = m.mutationId.toLowerCase();
  const recordId = m.recordId.toLowerCase();
  if (!(RECORD_KINDS as readonly string[]).includes(m.kind)) {
    const parsed = ticketEventPayload.safeParse(m.payload);
    if (!parsed.success) return reject('invalid_payload', describeIssues(parsed.error, 'payload'));
    return {
      kind: 'event',
      mutationId,
      ticketId: parsed.data.ticketId.toLowerCase(),
      day: parsed.data.day,
      payload: JSON.stringify(m.payload),
    };
  }
  const walkIn = m.kind === 'walkin.registered';
  const parsed = (walkIn ? walkInPayload : checkInPayload).safeParse(m.payload);
  if (!parsed.success) return reject('invalid_payload', describeIssues(parsed.error, 'payload'));
  const idField = walkIn ? 'walkInId' : 'ticketId';
  const payloadId = String((parsed.data as Record<string, unknown>)[idField]).toLowerCase();
  if (payloadId !== recordId) return reject('invalid_payload', `payload.${idField}: must equal the mutation's recordId`);
  const base = {
    kind: 'record' as const,
    walkIn,
    mutationId,
    recordId,
    day: parsed.data.day,
    payload: JSON.stringify(m.payload),
  };
  if (walkIn) {
    const person = (parsed.data as { person: { photoIdType: string; photoIdNumber: string } }).person;
    const photoIdType = person.photoIdType.trim().toUpperCase();
    const normalized = normalizePhotoId(person.photoIdNumber);
    const invalid = photoIdProblem(photoIdType, normalized);
    if (invalid) return reject('photo_id_invalid', invalid);
    return {
      ...base,
      photoIdType,
      photoIdNumber: REDUCED_PHOTO_ID.test(normalized) ? null : normalized,
      refId: null,
      verified: false,
    };
  }
  const checkIn = parsed.data as { refId: string; verified: boolean };
  return {
    ...base,
    photoIdType: null,
    photoIdNumber: null,
    refId: checkIn.refId.trim().toUpperCase(),
    verified: checkIn.verified,
  };
}

/** A check-in whose booking is not at this centre that day: the rejection, or null when it is kept (flagged unverified). */
export function unbookedCheckIn(r: RecordToApply, bookedElsewhere: boolean): Outcome | null {
  if (!r.verified) {
    return { status: 'rejected', code: 'not_booked', reason: `ref ID ${r.refId} has no appointment at this centre on ${r.day}` };
  }
  if (bookedElsewhere) {
    return {
      status: 'rejected',
      code: 'booking_other_centre',
      reason: `ref ID ${r.refId} is booked at another centre on ${r.day}, not at this one`,
    };
  }
  return null;
}

/** The outcome of a mutation under a sequence number the device already used for another change. */
export const sequenceReused = (seq: number): Outcome => ({
  status: 'rejected',
  code: 'sequence_reused',
  reason: `seq ${seq} of this device was already used by another change; this change was not applied`,
});

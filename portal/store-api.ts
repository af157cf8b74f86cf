/**
 * The portal's store, the same whichever database engine keeps the data: SQLite (one file, the
 * embedded default: portal/store.ts and its siblings) or PostgreSQL (a district's server with
 * several API processes: portal/postgres/). Every method is asynchronous; each change is one
 * transaction. Shared types, the portal's error, and the token hash live here too.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DistrictSettings } from '../common/domain';
import { rosterEntrySchema } from '../common/domain';
import type {
  EnrolResponse,
  ErrorBody,
  FleetReport,
  PortalRecord,
  PrinterState,
  PushRequest,
  PushResponse,
  RecordsResponse,
  RosterChange,
} from '../common/sync-protocol';

/** An answer the portal gives instead of doing what was asked: an HTTP status and an error body. */
export class PortalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly expectedSeq?: number,
  ) {
    super(message);
    this.name = 'PortalError';
  }

  get body(): ErrorBody {
    return this.expectedSeq === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, expectedSeq: this.expectedSeq };
  }
}

export class PortalSchemaTooNewError extends Error {
  constructor(fileVersion: number, appVersion: number, file: string) {
    super(
      `The portal database ${file} was written by a newer version of the portal (schema ${fileVersion}; ` +
        `this one knows up to ${appVersion}). Update the portal; the file has not been changed.`,
    );
    this.name = 'PortalSchemaTooNewError';
  }
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface Device {
  tokenHash: string;
  centreId: string;
  label: string;
  revoked: boolean;
  createdAt: string;
}

export interface DeviceClient {
  deviceId: string;
  centreId: string;
  lastAppliedSeq: number;
  updatedAt: string;
}

/** An appointment as the admin API takes it: a roster entry plus, when the booking has it, the full photo-ID number. */
export const appointmentInputSchema = rosterEntrySchema.extend({
  photoIdNumber: z.string().trim().min(4).max(40).nullish(),
});
export type AppointmentInput = z.output<typeof appointmentInputSchema>;

export interface PushContext {
  /** hash of the bearer token the push came with */
  tokenHash: string;
  now: Date;
  /** records the portal is told to refuse (fault injection) and the code to refuse them with */
  rejectRecordIds?: ReadonlySet<string>;
  rejectCode?: string;
}

export interface AdminRecord extends PortalRecord {
  centreId: string;
  payload: Record<string, unknown>;
  duplicateOf: string[];
}

export interface AdminEvent {
  mutationId: string;
  ticketId: string;
  kind: string;
  deviceId: string;
  seq: number;
  day: string;
  receivedAt: string;
  payload: Record<string, unknown>;
}

export interface RosterRows {
  changes: RosterChange[];
  /** version of the last row returned, or `after` when none */
  lastVersion: number;
  hasMore: boolean;
}

export interface NewEnrolment {
  centre: EnrolResponse['centre'];
  counter: EnrolResponse['counter'];
  label: string;
  validHours: number;
}

export interface CreatedEnrolment {
  /** the code as people are shown it (groups of four); never stored */
  code: string;
  centreId: string;
  counterCode: string;
  tokenPrefix: string;
  label: string;
  expiresAt: string;
  /** earlier codes for the same counter not redeemed yet, which this one replaces (they expire now) */
  replaced: number;
}

export type EnrolmentState = 'waiting' | 'redeemed' | 'expired';

export interface EnrolmentView {
  centreId: string;
  counterCode: string;
  tokenPrefix: string;
  label: string;
  createdAt: string;
  expiresAt: string;
  state: EnrolmentState;
  redeemedAt: string | null;
  deviceId: string | null;
}

/** A counter's latest report as the portal keeps it, with its token's label and its last upload. */
export interface FleetRow {
  centreId: string;
  deviceId: string;
  counterCode: string;
  /** the label IT gave the device token (any text: shown as text, never as HTML) */
  label: string;
  /** the token the report came with has been revoked since */
  revoked: boolean;
  appVersion: string;
  schemaVersion: number;
  pending: number;
  oldestPendingAgeSeconds: number | null;
  rosterPulledAt: string | null;
  printer: { state: PrinterState; errorCode: string | null; failedAt: string | null };
  clockOffsetMs: number | null;
  /** when the counter made the report, by its own clock */
  counterTime: string;
  /** when the portal received it (the portal's clock): when the counter was last heard from */
  receivedAt: string;
  /** when an upload of this device last moved its sequence at the portal (null: none yet) */
  lastUploadAt: string | null;
}

export interface PublishedSettings {
  centreId: string;
  version: number;
  publishedAt: string;
  settings: DistrictSettings;
}

/** One centre's figures for one day, for the district's read side (JSON and the district page). */
export interface DistrictDayRow {
  centreId: string;
  day: string;
  /** records received (walk-ins and check-ins) */
  records: number;
  walkIns: number;
  checkIns: number;
  /** records flagged as possible duplicates */
  possibleDuplicates: number;
  /** mutations rejected (their outcomes kept in the mutation log) */
  rejected: number;
  ticketEvents: number;
}

export interface EnrolmentStoreApi {
  /** Makes an enrolment; refuses a token prefix another counter of the centre has (409 token_prefix_taken). */
  create(input: NewEnrolment, now: Date, code?: string): Promise<CreatedEnrolment>;
  list(centreId: string, now: Date): Promise<EnrolmentView[]>;
  redeem(typedCode: string, deviceId: string, now: Date): Promise<EnrolResponse>;
  redeemed(typedCode: string, deviceId: string, now: Date): Promise<{ answer: EnrolResponse; reenrolled: boolean }>;
}

export interface FleetStoreApi {
  record(report: FleetReport, ctx: { tokenHash: string; now: Date }): Promise<{ receivedAt: string }>;
  all(): Promise<FleetRow[]>;
}

export interface DistrictSettingsStoreApi {
  latest(centreId: string): Promise<PublishedSettings | null>;
  latestVersion(centreId: string): Promise<number>;
  publish(centreIds: readonly string[], settings: DistrictSettings, now: Date): Promise<PublishedSettings[]>;
  centres(): Promise<string[]>;
}

export type PortalEngine = 'sqlite' | 'postgres';

/** Where the portal keeps its data: one SQLite file (':memory:' for tests), or a PostgreSQL server. */
export type PortalDatabase =
  | { engine: 'sqlite'; file: string }
  | {
      engine: 'postgres';
      /** postgres://user@host:port/db (a password comes from PGPASSWORD or ~/.pgpass, never the command line) */
      url: string;
      /** the schema the portal's tables live in (made when missing); 'public' by default */
      schema?: string;
      /** connections in this process's pool */
      poolSize?: number;
    };

export interface PortalStore {
  readonly engine: PortalEngine;
  /** resolves once the database is open and migrated; rejects when it cannot be (e.g. a newer schema) */
  ready(): Promise<void>;
  /** one round trip to the database: throws when it cannot be reached (the health endpoint) */
  check(): Promise<void>;
  close(): Promise<void>;

  // devices
  addDevice(input: { token: string; centreId: string; label: string }, now: Date): Promise<void>;
  revokeDevice(token: string): Promise<boolean>;
  deviceByToken(token: string): Promise<Device | undefined>;
  bindDevice(deviceId: string, token: string, now: Date): Promise<{ deviceId: string; centreId: string; rebound: boolean }>;
  clients(): Promise<DeviceClient[]>;
  acceptLostRecords(deviceId: string, lastAppliedSeq: number, now: Date): Promise<{ deviceId: string; from: number; to: number }>;

  // push and records
  /**
   * Applies a batch exactly once: each new mutation's effect, its outcome and the device's
   * last applied sequence number commit together or not at all, whichever process of the portal
   * takes it. Rejects with PortalError for answers that apply nothing.
   */
  push(req: PushRequest, ctx: PushContext): Promise<PushResponse>;
  records(centreId: string, date: string, tokenHash: string): Promise<RecordsResponse>;
  adminRecords(
    centreId: string,
    date: string,
  ): Promise<{ centreId: string; date: string; records: AdminRecord[]; events: AdminEvent[] }>;

  // appointments and rosters
  upsertAppointments(centreId: string, date: string, entries: readonly AppointmentInput[]): Promise<number>;
  cancelAppointments(centreId: string, date: string, refIds: readonly string[]): Promise<number>;
  rosterRows(centreId: string, date: string, after: number, limit: number): Promise<RosterRows>;

  // the district's read side: one row per centre with anything that day (all centres, or one)
  districtDay(day: string, centreId?: string): Promise<DistrictDayRow[]>;

  readonly enrolments: EnrolmentStoreApi;
  readonly fleet: FleetStoreApi;
  readonly districtSettings: DistrictSettingsStoreApi;
}

/** The refusals both engines answer, worded once. */
export const refusals = {
  unknownToken: () => new PortalError(404, 'unknown_token', 'no device token like this one was added: add it first'),
  tokenRevoked: () => new PortalError(409, 'token_revoked', 'this device token has been revoked'),
  wrongCentre: (deviceId: string, uploadsTo: string, tokenCentre: string) =>
    new PortalError(
      409,
      'wrong_centre',
      `device ${deviceId} uploads to centre ${uploadsTo}; this token is for centre ${tokenCentre}`,
    ),
  unknownDevice: (deviceId: string) => new PortalError(404, 'unknown_device', `no device ${deviceId} has pushed to this portal`),
  notAhead: (deviceId: string, at: number) =>
    new PortalError(409, 'not_ahead', `device ${deviceId} is already at seq ${at}: the sequence only moves forward`),
  deviceTokenMismatch: (deviceId: string) =>
    new PortalError(
      403,
      'device_token_mismatch',
      `device ${deviceId} is bound to another device token: IT rebinds it to this one through the portal's admin API`,
    ),
  badDay: (field: 'date' | 'day') => new PortalError(400, 'invalid_request', `${field}: must be YYYY-MM-DD`),
};

/**
 * A batch's sequence numbers against the device's last applied one: the refusal (409
 * sequence_gap, with the number expected next), or null when the batch may be applied.
 */
export function sequenceProblem(seqs: readonly number[], lastApplied: number): PortalError | null {
  const first = seqs[0]!;
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] !== first + i) {
      return new PortalError(
        409,
        'sequence_gap',
        `mutations must have consecutive sequence numbers: seq ${seqs[i]} follows ${seqs[i - 1]}`,
        lastApplied + 1,
      );
    }
  }
  if (first > lastApplied + 1) {
    return new PortalError(
      409,
      'sequence_gap',
      `expected seq ${lastApplied + 1} next, got ${first}: send the missing mutations first`,
      lastApplied + 1,
    );
  }
  return null;
}

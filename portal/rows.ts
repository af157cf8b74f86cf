/**
 * The portal's rows as both engines read them (the same column names in SQLite and PostgreSQL),
 * and how each becomes what the API answers, so that both engines answer alike. Also the
 * enrolment codes' hash and maker, which both engines' enrolment stores use.
 */
import { createHash, randomInt } from 'node:crypto';
import type { DistrictSettings } from '../common/domain';
import { ENROLMENT_CODE_ALPHABET, ENROLMENT_CODE_LENGTH, normalizeEnrolmentCode } from '../common/rules/enrolment-code';
import type { PrinterState } from '../common/sync-protocol';
import { PortalError, type DeviceClient, type EnrolmentView, type FleetRow, type PublishedSettings } from './store-api';

export interface DeviceClientRow {
  device_id: string;
  centre_id: string;
  last_applied_seq: number;
  updated_at: string;
}

export const toDeviceClient = (r: DeviceClientRow): DeviceClient => ({
  deviceId: r.device_id,
  centreId: r.centre_id,
  lastAppliedSeq: r.last_applied_seq,
  updatedAt: r.updated_at,
});

export interface SettingsRow {
  centre_id: string;
  version: number;
  settings: string;
  published_at: string;
}

export const toPublished = (r: SettingsRow): PublishedSettings => ({
  centreId: r.centre_id,
  version: r.version,
  publishedAt: r.published_at,
  settings: JSON.parse(r.settings) as DistrictSettings,
});

export interface EnrolmentRow {
  code_hash: string;
  centre_id: string;
  centre: string;
  counter_code: string;
  token_prefix: string;
  label: string;
  created_at: string;
  expires_at: string;
  redeemed_at: string | null;
  redeemed_device_id: string | null;
  token_hash: string | null;
}

/** An enrolment as IT is shown it at `at` (an ISO time): its code is not kept, so none is shown. */
export const toEnrolmentView = (r: EnrolmentRow, at: string): EnrolmentView => ({
  centreId: r.centre_id,
  counterCode: r.counter_code,
  tokenPrefix: r.token_prefix,
  label: r.label,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  state: r.redeemed_at !== null ? 'redeemed' : r.expires_at > at ? 'waiting' : 'expired',
  redeemedAt: r.redeemed_at,
  deviceId: r.redeemed_device_id,
});

export const hashEnrolmentCode = (code: string): string =>
  createHash('sha256').update(normalizeEnrolmentCode(code), 'utf8').digest('hex');

/** A new code: ENROLMENT_CODE_LENGTH characters drawn uniformly from the alphabet by the system's CSPRNG. */
export function newEnrolmentCode(): string {
  let code = '';
  for (let i = 0; i < ENROLMENT_CODE_LENGTH; i++) code += ENROLMENT_CODE_ALPHABET[randomInt(ENROLMENT_CODE_ALPHABET.length)];
  return code;
}

export const unknownEnrolmentCode = () =>
  new PortalError(404, 'enrol_code_unknown', 'no enrolment has this code: check it, or ask hospital IT for a new one');

/** A counter's latest report joined with its token (label, revoked) and its last upload. */
export interface FleetReportRow {
  centre_id: string;
  device_id: string;
  counter_code: string;
  label: string | null;
  /** SQLite keeps it as 0/1, PostgreSQL as a boolean; null when the token is gone */
  revoked: number | boolean | null;
  app_version: string;
  schema_version: number;
  pending: number;
  oldest_pending_age_s: number | null;
  roster_pulled_at: string | null;
  printer_state: PrinterState;
  printer_error_code: string | null;
  printer_failed_at: string | null;
  clock_offset_ms: number | null;
  counter_time: string;
  received_at: string;
  last_upload_at: string | null;
}

export const toFleetRow = (r: FleetReportRow): FleetRow => ({
  centreId: r.centre_id,
  deviceId: r.device_id,
  counterCode: r.counter_code,
  label: r.label ?? '',
  revoked: r.revoked === true || r.revoked === 1,
  appVersion: r.app_version,
  schemaVersion: r.schema_version,
  pending: r.pending,
  oldestPendingAgeSeconds: r.oldest_pending_age_s,
  rosterPulledAt: r.roster_pulled_at,
  printer: { state: r.printer_state, errorCode: r.printer_error_code, failedAt: r.printer_failed_at },
  clockOffsetMs: r.clock_offset_ms,
  counterTime: r.counter_time,
  receivedAt: r.received_at,
  lastUploadAt: r.last_upload_at,
});

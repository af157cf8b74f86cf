/**
 * The outbox: every change the portal must learn about, written in the same transaction as
 * the change, numbered in order (seq), leaving only once the portal has acknowledged it.
 */
import type { MutationKind } from '../../common/sync-protocol';
import type { Db } from './database';
import { limited, preparedOnce } from './prepared';

/** What the portal will be told: the sync protocol's mutation kinds. */
export type OutboxKind = MutationKind;

/** An outbox row as stored. */
export interface OutboxEntry {
  seq: number;
  mutation_id: string;
  kind: OutboxKind;
  record_id: string;
  payload: string;
  created_at: string;
  state: 'pending' | 'acknowledged' | 'rejected';
  attempts: number;
  last_error: string | null;
  acknowledged_at: string | null;
  reject_code: string | null;
  portal_flags: string;
  duplicate_of: string;
  corrected_by: number | null;
  dismissed_at: string | null;
  dismissed_by: string | null;
  dismiss_reason: string | null;
}

/** What a push sends of an outbox row. */
export type OutboxRow = Pick<OutboxEntry, 'seq' | 'mutation_id' | 'kind' | 'record_id' | 'payload' | 'created_at'>;

/** A new outbox row: its payload is the JSON text the portal receives. */
export interface NewOutboxRow {
  mutationId: string;
  kind: OutboxKind;
  recordId: string;
  payload: string;
  createdAt: string;
}

/** An outbox row of the reconciliation, with the login of whoever dismissed it. */
export type ReconciliationOutboxRow = OutboxEntry & { dismissed_by_login: string | null };

/** Rejected rows neither resent nor dismissed: what "needs attention" lists (an SQL condition on outbox). */
export const NEEDS_ATTENTION_OF = (table: string): string =>
  `${table}.state = 'rejected' AND ${table}.corrected_by IS NULL AND ${table}.dismissed_at IS NULL`;
export const NEEDS_ATTENTION = NEEDS_ATTENTION_OF('outbox');

const PUSH_COLUMNS = 'seq, mutation_id, kind, record_id, payload, created_at';
/** walk-ins acknowledged in outbox rows ?..? */
const ACKNOWLEDGED_WALK_INS =
  "SELECT record_id FROM outbox WHERE seq BETWEEN ? AND ? AND kind = 'walkin.registered' AND state = 'acknowledged'";
const REDUCED_PAYLOAD = `json_set(payload, '$.person.photoIdNumber', 'XXXX' || substr(json_extract(payload, '$.person.photoIdNumber'), -4))`;
const NOT_REDUCED = `json_extract(payload, '$.person.photoIdNumber') NOT LIKE 'XXXX%'`;
/** A mobile number reduced to its last 4: XXXXXX1234 in a payload (10 characters, as sent), 1234 in the walk-in. */
const REDUCED_MOBILE_PAYLOAD = `json_set(payload, '$.person.mobile', 'XXXXXX' || substr(json_extract(payload, '$.person.mobile'), -4))`;
const MOBILE_NOT_REDUCED = `json_extract(payload, '$.person.mobile') NOT LIKE 'XXXXXX%'`;
/** a walk-in row still holding a full number (photo ID or mobile) */
const HOLDS_FULL_NUMBER = 'w.photo_id_reduced_at IS NULL OR length(w.mobile) > 4';

const statements = preparedOnce((db) => ({
  insert: db.prepare<[string, string, string, string, string]>(
    'INSERT INTO outbox (mutation_id, kind, record_id, payload, created_at) VALUES (?, ?, ?, ?, ?)',
  ),
  anyPending: db.prepare<[], { one: 1 }>("SELECT 1 AS one FROM outbox WHERE state = 'pending' LIMIT 1"),
  pendingCount: db.prepare<[], { n: number }>("SELECT count(*) AS n FROM outbox WHERE state = 'pending'"),
  // the oldest pending row is the first by sequence (rows are numbered as they are made): an
  // index lookup, where min(created_at) would read every pending row
  oldestPending: db.prepare<[], { created_at: string }>(
    "SELECT created_at FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT 1",
  ),
  needsAttentionCount: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM outbox WHERE ${NEEDS_ATTENTION}`),
  needsAttention: limited<[], OutboxEntry>(db, `SELECT * FROM outbox WHERE ${NEEDS_ATTENTION} ORDER BY seq LIMIT ?`),
  has: db.prepare<[number], { one: 1 }>('SELECT 1 AS one FROM outbox WHERE seq = ?'),
  bySeq: db.prepare<[number], OutboxEntry>('SELECT * FROM outbox WHERE seq = ?'),
  link: db.prepare<[number, number]>('UPDATE outbox SET correction_of = ? WHERE seq = ?'),
  linkBack: db.prepare<[number, number]>('UPDATE outbox SET corrected_by = ? WHERE seq = ?'),
  dismiss: db.prepare<[string, string, string, number]>(
    'UPDATE outbox SET dismissed_at = ?, dismissed_by = ?, dismiss_reason = ? WHERE seq = ?',
  ),
  reconciliation: db.prepare<[string, string], ReconciliationOutboxRow>(
    `SELECT outbox.*, operator.login_id AS dismissed_by_login FROM outbox
       LEFT JOIN operator ON operator.id = outbox.dismissed_by
      WHERE json_extract(payload, '$.day') BETWEEN ? AND ?
        AND (state = 'pending'
             OR (state = 'rejected' AND corrected_by IS NULL)
             OR (state = 'acknowledged' AND portal_flags LIKE '%possible_duplicate%'))
      ORDER BY seq`,
  ),
  acknowledgedOfDays: db.prepare<[string, string], { n: number }>(
    "SELECT count(*) AS n FROM outbox WHERE state = 'acknowledged' AND json_extract(payload, '$.day') BETWEEN ? AND ?",
  ),
  firstAfter: db.prepare<[number], { seq: number | null }>('SELECT min(seq) AS seq FROM outbox WHERE seq > ?'),
  pendingAfter: limited<[number], OutboxRow>(
    db,
    `SELECT ${PUSH_COLUMNS} FROM outbox WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
  ),
  from: limited<[number], OutboxRow>(db, `SELECT ${PUSH_COLUMNS} FROM outbox WHERE seq >= ? ORDER BY seq LIMIT ?`),
  acknowledge: db.prepare<[string, string, string, number]>(
    "UPDATE outbox SET state = 'acknowledged', acknowledged_at = ?, portal_flags = ?, duplicate_of = ?, last_error = NULL WHERE seq = ? AND state = 'pending'",
  ),
  acknowledgeRange: db.prepare<[string, number, number]>(
    `UPDATE outbox SET state = 'acknowledged', acknowledged_at = ?, portal_flags = '[]', duplicate_of = '[]', last_error = NULL
      WHERE seq BETWEEN ? AND ? AND state = 'pending'`,
  ),
  reject: db.prepare<[string, string, string, number]>(
    "UPDATE outbox SET state = 'rejected', rejected_at = ?, reject_code = ?, last_error = ? WHERE seq = ? AND state = 'pending'",
  ),
  failedTry: db.prepare<[string, number]>(
    "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ? AND state = 'pending'",
  ),
  maxSeq: db.prepare<[], { m: number | null }>('SELECT max(seq) AS m FROM outbox'),
  usedSeq: db.prepare<[], { s: number }>("SELECT seq AS s FROM sqlite_sequence WHERE name = 'outbox'"),
  setUsedSeq: db.prepare<[number]>("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'"),
  pendingSeqs: db.prepare<[], { seq: number }>("SELECT seq FROM outbox WHERE state = 'pending' ORDER BY seq"),
  move: db.prepare<[number, number]>('UPDATE outbox SET seq = ? WHERE seq = ?'),
  fixCorrectedBy: db.prepare<[number, number]>('UPDATE outbox SET corrected_by = ? WHERE corrected_by = ?'),
  fixCorrectionOf: db.prepare<[number, number]>('UPDATE outbox SET correction_of = ? WHERE correction_of = ?'),
  reduceWalkIn: db.prepare<[string, string]>(
    'UPDATE walkin SET photo_id_number = photo_id_last4, photo_id_reduced_at = ? WHERE id = ? AND photo_id_reduced_at IS NULL',
  ),
  reducePayloads: db.prepare<[string]>(
    `UPDATE outbox SET payload = ${REDUCED_PAYLOAD} WHERE record_id = ? AND kind = 'walkin.registered' AND ${NOT_REDUCED}`,
  ),
  reduceWalkInsOfRange: db.prepare<[string, number, number]>(
    `UPDATE walkin SET photo_id_number = photo_id_last4, photo_id_reduced_at = ?
      WHERE photo_id_reduced_at IS NULL AND id IN (${ACKNOWLEDGED_WALK_INS})`,
  ),
  reducePayloadsOfRange: db.prepare<[number, number]>(
    `UPDATE outbox SET payload = ${REDUCED_PAYLOAD}
      WHERE kind = 'walkin.registered' AND record_id IN (${ACKNOWLEDGED_WALK_INS}) AND ${NOT_REDUCED}`,
  ),
  dueForPhotoIdReduction: limited<[string, string], { seq: number; record_id: string }>(
    db,
    `SELECT o.seq, o.record_id FROM outbox o JOIN walkin w ON w.id = o.record_id
      WHERE o.kind = 'walkin.registered'
        AND ((o.state = 'acknowledged' AND o.acknowledged_at <= ?) OR (o.state = 'rejected' AND o.dismissed_at <= ?))
        AND (w.photo_id_reduced_at IS NULL OR json_extract(o.payload, '$.person.photoIdNumber') NOT LIKE 'XXXX%')
      LIMIT ?`,
  ),
  reduceMobileWalkIn: db.prepare<[string]>('UPDATE walkin SET mobile = substr(mobile, -4) WHERE id = ? AND length(mobile) > 4'),
  reduceMobilePayloads: db.prepare<[string]>(
    `UPDATE outbox SET payload = ${REDUCED_MOBILE_PAYLOAD} WHERE record_id = ? AND kind = 'walkin.registered' AND ${MOBILE_NOT_REDUCED}`,
  ),
  dueForMobileReduction: limited<[string, string], { seq: number; record_id: string }>(
    db,
    `SELECT o.seq, o.record_id FROM outbox o JOIN walkin w ON w.id = o.record_id
      WHERE o.kind = 'walkin.registered'
        AND ((o.state = 'acknowledged' AND o.acknowledged_at <= ?) OR (o.state = 'rejected' AND o.dismissed_at <= ?))
        AND (length(w.mobile) > 4 OR json_extract(o.payload, '$.person.mobile') NOT LIKE 'XXXXXX%')
      LIMIT ?`,
  ),
  // a walk-in's row stays while its walk-in still holds a full number (a retention longer
  // than keepAcknowledgedDays): the reductions find walk-ins through their rows
  deleteAcknowledgedBefore: db.prepare<[string]>(
    `DELETE FROM outbox WHERE state = 'acknowledged' AND acknowledged_at < ?
       AND seq NOT IN (SELECT corrected_by FROM outbox WHERE corrected_by IS NOT NULL)
       AND seq NOT IN (SELECT correction_of FROM outbox WHERE correction_of IS NOT NULL)
       AND NOT (kind = 'walkin.registered'
                AND EXISTS (SELECT 1 FROM walkin w WHERE w.id = outbox.record_id AND (${HOLDS_FULL_NUMBER})))`,
  ),
}));

/** Inserts one row and returns its sequence number. */
export function insertOutbox(db: Db, row: NewOutboxRow): number {
  const { lastInsertRowid } = statements(db).insert.run(row.mutationId, row.kind, row.recordId, row.payload, row.createdAt);
  return Number(lastInsertRowid);
}

/** Whether anything waits to upload: one index lookup, where counting reads every pending row. */
export function hasPendingOutbox(db: Db): boolean {
  return statements(db).anyPending.get() !== undefined;
}

/** How many rows wait to upload (reads every pending row: hasPendingOutbox answers "any?"). */
export function pendingOutboxCount(db: Db): number {
  return statements(db).pendingCount.get()!.n;
}

/** What the status bar needs from the outbox: pending rows, the oldest one's age, rejected rows not yet resent. */
export function outboxCounts(db: Db): { pending: number; oldestPendingAt: string | null; needsAttention: number } {
  const s = statements(db);
  return {
    pending: pendingOutboxCount(db),
    oldestPendingAt: s.oldestPending.get()?.created_at ?? null,
    needsAttention: s.needsAttentionCount.get()!.n,
  };
}

/** Rejected rows neither resent nor dismissed, oldest first. */
export function needsAttentionRows(db: Db, limit: number): OutboxEntry[] {
  return statements(db).needsAttention.all(limit);
}

export function getOutboxRow(db: Db, seq: number): OutboxEntry | undefined {
  return statements(db).bySeq.get(seq);
}

/** Row `correction` replaces the rejected row `rejected`: each points at the other. */
export function linkCorrection(db: Db, rejected: number, correction: number): void {
  const s = statements(db);
  s.link.run(rejected, correction);
  s.linkBack.run(correction, rejected);
}

/** A supervisor's dismissal of a rejected row: who, when and why. */
export function dismissOutboxRow(db: Db, seq: number, at: string, operatorId: string, reason: string): void {
  statements(db).dismiss.run(at, operatorId, reason, seq);
}

/**
 * The rows of the centre's days `from`..`to` a reconciliation shows: pending, rejected and
 * not resent (dismissed or not), or acknowledged with the portal's possible-duplicate flag.
 */
export function reconciliationRows(db: Db, from: string, to: string): ReconciliationOutboxRow[] {
  return statements(db).reconciliation.all(from, to);
}

/** Acknowledged rows of the centre's days `from`..`to`. */
export function acknowledgedCountOfDays(db: Db, from: string, to: string): number {
  return statements(db).acknowledgedOfDays.get(from, to)!.n;
}

/** Whether this counter still holds row `seq`. */
export function hasOutboxRow(db: Db, seq: number): boolean {
  return statements(db).has.get(seq) !== undefined;
}

/** The first sequence number this counter still holds after `seq`, or null. */
export function firstOutboxSeqAfter(db: Db, seq: number): number | null {
  return statements(db).firstAfter.get(seq)?.seq ?? null;
}

/** Pending rows after `afterSeq`, in sequence order, at most `limit`. */
export function pendingOutboxAfter(db: Db, afterSeq: number, limit: number): OutboxRow[] {
  return statements(db).pendingAfter.all(afterSeq, limit);
}

/** Rows from `seq` on, whatever their state, in sequence order, at most `limit`. */
export function outboxFrom(db: Db, seq: number, limit: number): OutboxRow[] {
  return statements(db).from.all(seq, limit);
}

/** Marks a pending row acknowledged with the portal's flags and duplicates (JSON arrays); 1 if it was pending. */
export function acknowledgeOutboxRow(db: Db, seq: number, at: string, flags: string, duplicateOf: string): number {
  return statements(db).acknowledge.run(at, flags, duplicateOf, seq).changes;
}

/** Marks every pending row from `first` to `last` acknowledged, with no flags; the number changed. */
export function acknowledgeOutboxRange(db: Db, first: number, last: number, at: string): number {
  return statements(db).acknowledgeRange.run(at, first, last).changes;
}

/** Marks a pending row rejected with the portal's code and reason; 1 if it was pending. */
export function rejectOutboxRow(db: Db, seq: number, at: string, code: string, reason: string): number {
  return statements(db).reject.run(at, code, reason, seq).changes;
}

/** Counts a failed try against a pending row, with the reason. */
export function addOutboxFailedTry(db: Db, seq: number, reason: string): void {
  statements(db).failedTry.run(reason, seq);
}

/** The highest sequence number held, and the highest ever used (sqlite_sequence); 0 when none. */
export function outboxSeqHighWater(db: Db): { held: number; used: number } {
  const s = statements(db);
  return { held: s.maxSeq.get()?.m ?? 0, used: s.usedSeq.get()?.s ?? 0 };
}

/** Sequence numbers of the pending rows, in order. */
export function pendingOutboxSeqs(db: Db): number[] {
  return statements(db)
    .pendingSeqs.all()
    .map((r) => r.seq);
}

/** Gives row `from` the number `to`, with the rows that point at it (corrections). Needs deferred foreign keys. */
export function renumberOutboxRow(db: Db, from: number, to: number): void {
  const s = statements(db);
  s.move.run(to, from);
  s.fixCorrectedBy.run(to, from);
  s.fixCorrectionOf.run(to, from);
}

/** Sets the highest sequence number used, so the next row is numbered after it. */
export function setOutboxSeqUsed(db: Db, seq: number): void {
  statements(db).setUsedSeq.run(seq);
}

/**
 * Keeps only the last 4 characters of a walk-in's photo-ID number, in the walk-in and in its
 * outbox rows (the acknowledged one and any earlier rejected ones it corrected). The number of
 * rows changed: when any, the caller truncates the write-ahead log after the commit (scrubWal).
 */
export function reducePhotoId(db: Db, walkInId: string, at: string): number {
  const s = statements(db);
  return s.reduceWalkIn.run(at, walkInId).changes + s.reducePayloads.run(walkInId).changes;
}

/** reducePhotoId for every walk-in acknowledged in rows `first`..`last`, in two statements; the rows changed. */
export function reducePhotoIdsOfRange(db: Db, first: number, last: number, at: string): number {
  const s = statements(db);
  return s.reduceWalkInsOfRange.run(at, first, last).changes + s.reducePayloadsOfRange.run(first, last).changes;
}

/**
 * Keeps only the last 4 digits of a walk-in's mobile number: in the walk-in (1234) and in its
 * outbox rows (XXXXXX1234, as a payload sent again would carry it). The rows changed.
 */
export function reduceMobile(db: Db, walkInId: string): number {
  const s = statements(db);
  return s.reduceMobileWalkIn.run(walkInId).changes + s.reduceMobilePayloads.run(walkInId).changes;
}

/** Walk-in rows whose mobile number is still whole although acknowledged or dismissed by `before`. */
export function dueForMobileReduction(db: Db, before: string, limit: number): { seq: number; record_id: string }[] {
  return statements(db).dueForMobileReduction.all(before, before, limit);
}

/** Walk-in rows whose photo-ID number is still whole although acknowledged or dismissed by `before`. */
export function dueForPhotoIdReduction(db: Db, before: string, limit: number): { seq: number; record_id: string }[] {
  return statements(db).dueForPhotoIdReduction.all(before, before, limit);
}

/** Removes acknowledged rows older than `before`, never a row another row points to. */
export function deleteAcknowledgedBefore(db: Db, before: string): void {
  statements(db).deleteAcknowledgedBefore.run(before);
}

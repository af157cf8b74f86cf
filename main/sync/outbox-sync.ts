/**
 * The outbox side of sync, on the sync worker's own SQLite connection: picking the next
 * batch in sequence order and recording the portal's per-item answers. Nothing is deleted
 * before the portal acknowledges it; a walk-in's full photo-ID number and mobile number are
 * reduced to their last four characters once acknowledged (after the configured retentions),
 * and the write-ahead log is truncated after each reduction.
 */
import type { Mutation, PushResponse } from '../../common/sync-protocol';
import { MAX_PUSH_ITEMS } from '../../common/sync-protocol';
import { deferForeignKeys, scrubWal, scrubWalIfOwed, type Db } from '../store/database';
import {
  acknowledgeOutboxRange,
  acknowledgeOutboxRow,
  addOutboxFailedTry,
  deleteAcknowledgedBefore,
  dueForMobileReduction,
  dueForPhotoIdReduction,
  outboxFrom,
  outboxSeqHighWater,
  pendingOutboxAfter,
  pendingOutboxSeqs,
  reduceMobile,
  reducePhotoId,
  reducePhotoIdsOfRange,
  rejectOutboxRow,
  renumberOutboxRow,
  setOutboxSeqUsed,
  type OutboxRow,
} from '../store/outbox';

export type { OutboxRow } from '../store/outbox';

/** About 1 MB of payload per batch, whatever the item count. */
export const BATCH_BYTES = 1024 * 1024;

/** The oldest pending rows, in sequence order: at most `maxItems` and about `maxBytes`. */
export function nextBatch(db: Db, maxItems: number, maxBytes = BATCH_BYTES, afterSeq = 0): OutboxRow[] {
  const rows = pendingOutboxAfter(db, afterSeq, Math.min(maxItems, MAX_PUSH_ITEMS));
  return underBytes(rows, maxBytes);
}

/**
 * The rows from `seq` on, whatever their state: what a portal that lost records (restored
 * from a backup) asks for again. Null when this counter no longer holds row `seq`.
 */
export function batchFrom(db: Db, seq: number, maxItems: number, maxBytes = BATCH_BYTES): OutboxRow[] | null {
  const rows = outboxFrom(db, seq, Math.min(maxItems, MAX_PUSH_ITEMS));
  // the portal needs consecutive numbers from `seq`: stop at the first one this counter no longer has
  const run: OutboxRow[] = [];
  for (const r of rows) {
    if (r.seq !== seq + run.length) break;
    run.push(r);
  }
  return run.length > 0 ? underBytes(run, maxBytes) : null;
}

function underBytes(rows: OutboxRow[], maxBytes: number): OutboxRow[] {
  const batch: OutboxRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    bytes += Buffer.byteLength(r.payload, 'utf8') + 200;
    // always at least one row, so one large record cannot stop the queue
    if (batch.length > 0 && bytes > maxBytes) break;
    batch.push(r);
  }
  return batch;
}

/**
 * The push request's body, with each row's payload spliced in as stored (it is the JSON the
 * change transaction wrote): no parse and re-serialise of every payload on the way out.
 */
export function pushBody(deviceId: string, centreId: string, counterCode: string, batch: readonly OutboxRow[]): string {
  const items = batch.map(
    (r) =>
      `{"seq":${r.seq},"mutationId":${JSON.stringify(r.mutation_id)},"kind":${JSON.stringify(r.kind)},` +
      `"recordId":${JSON.stringify(r.record_id)},"createdAt":${JSON.stringify(r.created_at)},"payload":${r.payload}}`,
  );
  return (
    `{"deviceId":${JSON.stringify(deviceId)},"centreId":${JSON.stringify(centreId)},` +
    `"counterCode":${JSON.stringify(counterCode)},"mutations":[${items.join(',')}]}`
  );
}

export function toMutation(r: OutboxRow): Mutation {
  return {
    seq: r.seq,
    mutationId: r.mutation_id,
    kind: r.kind,
    recordId: r.record_id,
    createdAt: r.created_at,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  };
}

export class AnswerMismatch extends Error {
  override name = 'AnswerMismatch';
}

export interface AppliedAnswer {
  acknowledged: number;
  rejected: number;
  /** rows of the batch the answer said nothing about: still pending */
  unanswered: number;
  /** rows whose sequence numbers the portal had already used for other changes (left pending) */
  reused: number;
  /** the records of the rows this answer acknowledged or rejected (each once): whose upload marks moved */
  settledRecords: string[];
}

/**
 * Checks an answer against the batch sent (same device, only seqs of this batch, matching
 * mutation IDs, no repeats); `settlesAll`: every row answered, none with a reused number, so
 * the rows after the batch can go next.
 */
export function checkPushAnswer(
  deviceId: string,
  batch: readonly OutboxRow[],
  answer: PushResponse,
): { seen: Set<number>; sent: Map<number, OutboxRow>; settlesAll: boolean } {
  if (answer.deviceId !== deviceId) throw new AnswerMismatch(`answer is for device ${answer.deviceId}, not this counter`);
  const sent = new Map(batch.map((r) => [r.seq, r]));
  const seen = new Set<number>();
  let reused = false;
  for (const r of answer.results) {
    const row = sent.get(r.seq);
    if (!row) throw new AnswerMismatch(`answer names seq ${r.seq}, which was not sent`);
    if (row.mutation_id !== r.mutationId) throw new AnswerMismatch(`answer for seq ${r.seq} names another mutation`);
    if (seen.has(r.seq)) throw new AnswerMismatch(`answer names seq ${r.seq} twice`);
    seen.add(r.seq);
    if (r.status === 'rejected' && r.code === SEQUENCE_REUSED) reused = true;
  }
  return { seen, sent, settlesAll: seen.size === batch.length && !reused };
}

/**
 * Records the portal's answer to a batch in one transaction. The answer is checked first
 * against what was sent (same device, only seqs of this batch, matching mutation IDs, no
 * repeats): an answer that does not fit changes nothing.
 */
export function applyPushAnswer(
  db: Db,
  deviceId: string,
  batch: readonly OutboxRow[],
  answer: PushResponse,
  now: Date,
  photoIdRetentionDays: number,
): AppliedAnswer {
  const { seen, sent } = checkPushAnswer(deviceId, batch, answer);
  const at = now.toISOString();
  let acknowledged = 0;
  let rejected = 0;
  let reused = 0;
  const plain = (r: PushResponse['results'][number]) =>
    r.status !== 'rejected' && (r.flags ?? []).length === 0 && (r.duplicateOf ?? []).length === 0;
  const first = batch[0]?.seq ?? 0;
  const last = batch[batch.length - 1]?.seq ?? 0;
  // The usual answer: every row of the batch applied or a duplicate, nothing flagged. The
  // batch is the first pending rows in order, so every pending row from its first to its last
  // sequence number is in it: one statement acknowledges them all.
  const wholeAndPlain = seen.size === batch.length && answer.results.every(plain);
  let reduced = 0;
  const settled = new Set<string>();
  db.transaction(() => {
    if (wholeAndPlain) {
      acknowledged = acknowledgeOutboxRange(db, first, last, at);
      // every record of the batch (a row among them acknowledged before is named too: its mark is read again, unchanged)
      if (acknowledged > 0) for (const r of batch) settled.add(r.record_id);
      if (photoIdRetentionDays === 0 && batch.some((r) => r.kind === 'walkin.registered'))
        reduced += reducePhotoIdsOfRange(db, first, last, at);
      return;
    }
    for (const r of answer.results) {
      if (r.status === 'rejected' && r.code === SEQUENCE_REUSED) {
        // not a verdict on the record: this counter's numbers went back (restored from a
        // backup); the row stays pending and is numbered again (resequencePending)
        reused++;
      } else if (r.status === 'rejected') {
        const n = rejectOutboxRow(db, r.seq, at, r.code ?? 'rejected', r.reason ?? 'rejected by the portal');
        if (n > 0) settled.add(sent.get(r.seq)!.record_id);
        rejected += n;
      } else {
        const n = acknowledgeOutboxRow(db, r.seq, at, JSON.stringify(r.flags ?? []), JSON.stringify(r.duplicateOf ?? []));
        const row = sent.get(r.seq)!;
        if (n > 0) settled.add(row.record_id);
        acknowledged += n;
        if (row.kind === 'walkin.registered' && photoIdRetentionDays === 0) reduced += reducePhotoId(db, row.record_id, at);
      }
    }
  }).immediate();
  // the full numbers are gone from the tables; their copies in the write-ahead log go too,
  // once for the batches of one upload
  if (reduced > 0) scrubWal(db, SCRUB_AFTER_UPLOAD_MS);
  return { acknowledged, rejected, unanswered: batch.length - seen.size, reused, settledRecords: [...settled] };
}

export const SEQUENCE_REUSED = 'sequence_reused';

/** How long after an acknowledgement that reduced full numbers the write-ahead log is truncated (see scrubWal). */
export const SCRUB_AFTER_UPLOAD_MS = 1500;

/**
 * Numbers every pending row again, in order, after both the portal's last applied sequence
 * number and every number this counter has used: what a counter restored from a backup needs
 * (the portal already applied other changes under its old numbers). The rows keep their
 * mutation IDs; rows that point at them (corrections) are updated in the same transaction.
 */
export function resequencePending(db: Db, portalLastApplied: number): number {
  return db
    .transaction(() => {
      deferForeignKeys(db);
      const { held, used } = outboxSeqHighWater(db);
      let next = Math.max(portalLastApplied, held, used);
      const pending = pendingOutboxSeqs(db);
      for (const seq of pending) renumberOutboxRow(db, seq, ++next);
      setOutboxSeqUsed(db, next);
      return pending.length;
    })
    .immediate();
}

/** Counts a failed try against the rows of a batch (for reconciliation), with the reason. */
export function recordFailedTry(db: Db, batch: readonly OutboxRow[], reason: string): void {
  if (batch.length === 0) return;
  const why = reason.slice(0, 500);
  db.transaction(() => {
    for (const r of batch) addOutboxFailedTry(db, r.seq, why);
  }).immediate();
}

/** How long a walk-in's full mobile number is kept after acknowledgement when the settings do not say. */
export const DEFAULT_MOBILE_RETENTION_DAYS = 30;

/**
 * Housekeeping after the portal has the records: reduces photo-ID numbers and mobile numbers
 * whose retention has passed (after the upload, or after a supervisor dismissed the rejected
 * walk-in) to their last 4, then truncates the write-ahead log so no copy of the full numbers
 * stays in it; and removes acknowledged rows older than `keepDays` (never pending or rejected
 * ones, never a row another row points to, never a walk-in's row while the walk-in still holds a
 * full number).
 */
export function sweepAcknowledged(
  db: Db,
  now: Date,
  photoIdRetentionDays: number,
  keepDays: number,
  mobileRetentionDays: number = DEFAULT_MOBILE_RETENTION_DAYS,
): void {
  const at = now.toISOString();
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  const duePhotoIds = dueForPhotoIdReduction(db, daysAgo(photoIdRetentionDays), 1000);
  const dueMobiles = dueForMobileReduction(db, daysAgo(mobileRetentionDays), 1000);
  let reduced = 0;
  db.transaction(() => {
    for (const r of duePhotoIds) reduced += reducePhotoId(db, r.record_id, at);
    for (const r of dueMobiles) reduced += reduceMobile(db, r.record_id);
    deleteAcknowledgedBefore(db, daysAgo(keepDays));
  }).immediate();
  if (reduced > 0) scrubWal(db);
  else scrubWalIfOwed(db);
}

/**
 * The uploader: sends the outbox to the portal in sequence order, one batch in flight, and
 * records the portal's per-item answers. A timeout, a 5xx or a malformed answer never marks
 * a record rejected: only the portal's own per-item `rejected` does. A portal that lost
 * records it had acknowledged (restored from a backup) is sent them again, or, when this
 * counter no longer keeps them, the status says only hospital IT can settle it.
 */
import type { PushResponse } from '../../common/sync-protocol';
import { firstOutboxSeqAfter, hasOutboxRow } from '../store/outbox';
import type { SyncContext } from './context';
import {
  AnswerMismatch,
  applyPushAnswer,
  BATCH_BYTES,
  batchFrom,
  checkPushAnswer,
  nextBatch,
  pushBody,
  recordFailedTry,
  resequencePending,
  type OutboxRow,
} from './outbox-sync';
import { PortalFailure } from './portal-client';

/** A batch read and serialised, ready to send. */
interface Prepared {
  batch: OutboxRow[];
  body: string;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Uploader {
  /** set by a sequence gap: the portal's expected sequence number */
  private resendFrom: number | null = null;

  constructor(private readonly ctx: SyncContext) {}

  /** Uploads batches until nothing is pending; a failure ends the pass (the engine retries later). */
  async drain(): Promise<void> {
    const { o } = this.ctx;
    let inFlight: { prepared: Prepared; sending: Promise<PushResponse> } | null = null;
    try {
      for (;;) {
        if (this.ctx.stopped) return;
        if (!inFlight) {
          const prepared = this.serialise(this.nextBatch());
          if (prepared.batch.length === 0) return;
          inFlight = { prepared, sending: this.send(prepared) };
          await nextTurn();
        }
        const batch: OutboxRow[] = inFlight.prepared.batch;
        // While the portal works on this batch, the next one is read and serialised.
        const wasResend = this.resendFrom !== null;
        const upcoming: Prepared | null = wasResend
          ? null
          : this.serialise(nextBatch(o.db, o.settings.batchSize, BATCH_BYTES, batch[batch.length - 1]!.seq));
        const answer = await inFlight.sending.catch((e: unknown) => {
          // the portal lacks records it had acknowledged (restored from a backup): send them again,
          // or, when this counter no longer keeps them, say that only hospital IT can settle it
          if (e instanceof PortalFailure && e.kind === 'sequence_gap' && e.expectedSeq !== null) {
            if (hasOutboxRow(o.db, e.expectedSeq)) this.resendFrom = e.expectedSeq;
            else throw this.recordsLost(e.expectedSeq);
          }
          throw e;
        });
        inFlight = null;
        this.resendFrom = null;
        let settlesAll: boolean;
        try {
          settlesAll = checkPushAnswer(o.deviceId, batch, answer).settlesAll;
        } catch (e) {
          throw this.answerMismatch(e, batch);
        }
        // Every row answered: the next batch goes now (this one's request has ended, so still
        // one in flight) and this answer is recorded while the portal works on it. A crash in
        // between only means this batch is sent again and comes back as duplicates.
        if (settlesAll && upcoming && upcoming.batch.length > 0 && !this.ctx.stopped) {
          inFlight = { prepared: upcoming, sending: this.send(upcoming) };
          // let the request reach the socket before the (synchronous) recording below
          await nextTurn();
        }
        const applied = applyPushAnswer(o.db, o.deviceId, batch, answer, this.ctx.clock.date(), o.settings.photoIdRetentionDays);
        if (applied.reused > 0) {
          const moved = resequencePending(o.db, answer.lastAppliedSeq);
          o.log.warn(
            { reused: applied.reused, renumbered: moved, portalLastApplied: answer.lastAppliedSeq },
            'the portal had used these sequence numbers already (this counter was restored from a backup): numbered again',
          );
        }
        if (applied.rejected > 0) o.log.warn({ rejected: applied.rejected }, 'the portal rejected records: they need attention');
        o.onOutboxChanged?.();
        // an answer that covered none of the batch would send the same batch for ever
        if (answer.results.length === 0 || (!wasResend && applied.acknowledged + applied.rejected + applied.reused === 0)) {
          const failure = new PortalFailure('bad_answer', 'the portal answered without a result for any record sent');
          this.ctx.failed(failure, 'push');
          throw failure;
        }
      }
    } finally {
      // a request still out when the pass ends (stopped, or a local error) is let go quietly
      const left = inFlight as { sending: Promise<PushResponse> } | null;
      left?.sending.catch(() => undefined);
      this.ctx.update({ uploading: false });
    }
  }

  private send(prepared: Prepared): Promise<PushResponse> {
    this.ctx.update({ uploading: true });
    const sending = this.ctx.request(
      (signal) => this.ctx.o.client.push(prepared.body, signal),
      'push',
      () => recordFailedTry(this.ctx.o.db, prepared.batch, 'no answer'),
    );
    // Awaited a moment later (after the request has reached its socket): a refusal can come
    // before then, and an unhandled rejection would end the worker thread.
    sending.catch(() => undefined);
    return sending;
  }

  private answerMismatch(e: unknown, batch: readonly OutboxRow[]): unknown {
    if (!(e instanceof AnswerMismatch)) return e;
    const failure = new PortalFailure('bad_answer', e.message);
    this.ctx.failed(failure, 'push');
    recordFailedTry(this.ctx.o.db, batch, failure.message);
    return failure;
  }

  private serialise(batch: OutboxRow[]): Prepared {
    const { o } = this.ctx;
    return { batch, body: batch.length > 0 ? pushBody(o.deviceId, o.centreId, o.counterCode, batch) : '' };
  }

  /**
   * The portal lost acknowledged records that this counter has since removed: no retry can
   * mend it. The status says so, with what hospital IT needs to accept the loss at the portal.
   */
  private recordsLost(from: number): PortalFailure {
    const { o } = this.ctx;
    const upTo = (firstOutboxSeqAfter(o.db, from) ?? from + 1) - 1;
    const failure = new PortalFailure(
      'records_lost',
      `the portal lacks records ${from}-${upTo} of this counter, uploaded before and no longer kept here: ` +
        `restore the portal from a newer backup, or accept the loss for device ${o.deviceId} up to seq ${upTo}`,
    );
    o.log.error({ fromSeq: from, upTo, deviceId: o.deviceId }, failure.message);
    this.ctx.update({ lastError: { code: failure.kind, message: failure.message } });
    return failure;
  }

  /** Pending rows in order; or, after a sequence gap, the rows the portal asked for again. */
  private nextBatch(): OutboxRow[] {
    const { o } = this.ctx;
    if (this.resendFrom !== null) {
      const again = batchFrom(o.db, this.resendFrom, o.settings.batchSize);
      if (again) {
        o.log.warn(
          { fromSeq: this.resendFrom, count: again.length },
          'the portal lacks acknowledged records: sending them again',
        );
        return again;
      }
      // removed since the portal asked for them (the sweep ran in between): said at the next answer
      o.log.error({ fromSeq: this.resendFrom }, 'the portal lacks records this counter no longer keeps');
      this.resendFrom = null;
    }
    return nextBatch(o.db, o.settings.batchSize);
  }
}

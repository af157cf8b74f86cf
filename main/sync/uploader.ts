/**
 * The uploader: sends the outbox to the portal in sequence order, two batches in flight while
 * the portal answers (one otherwise), and records the portal's per-item answers. A timeout, a
 * 5xx or a malformed answer never marks a record rejected: only the portal's own per-item
 * `rejected` does. A portal that lost records it had acknowledged (restored from a backup) is
 * sent them again, or, when this counter no longer keeps them, the status says only hospital
 * IT can settle it.
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
import { PortalFailure, PUSH_PIPELINE } from './portal-client';

/** A batch read and serialised, ready to send. */
interface Prepared {
  batch: OutboxRow[];
  body: string;
}

/** A batch sent and not yet answered. */
interface Out {
  prepared: Prepared;
  sending: Promise<PushResponse>;
  /** sent again from where the portal asked (after a sequence gap): nothing goes behind it */
  resend: boolean;
  /** ends the request when it is let go */
  letGo: AbortController;
  /** says whether it is kept, once the batch before it is settled (see Sent) */
  keep: (kept: boolean) => void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Uploader {
  /** set by a sequence gap: the portal's expected sequence number */
  private resendFrom: number | null = null;

  constructor(private readonly ctx: SyncContext) {}

  /**
   * Uploads batches until nothing is pending; a failure ends the pass (the engine retries later).
   *
   * While the portal answers, two batches are out: the next one goes on the upload connection
   * behind the one the portal is working on (see PortalClient.pushLine), so the portal never
   * waits for this counter between batches. The second batch is read from the rows after the
   * first, as if the first will be settled; its answer is recorded only if the first's was,
   * every row of it answered. Otherwise (the first failed, or its answer left rows pending) the
   * second is let go and its rows go again: the portal answers rows it already took as
   * duplicates, so nothing is lost or taken twice.
   */
  async drain(): Promise<void> {
    const { o } = this.ctx;
    /** the batches out, oldest first */
    const out: Out[] = [];
    try {
      for (;;) {
        if (this.ctx.stopped) return;
        if (this.fill(out)) await nextTurn(); // let the requests reach the socket
        const head = out[0];
        if (!head) return;
        const batch = head.prepared.batch;
        const answer = await head.sending.catch((e: unknown) => {
          // the portal lacks records it had acknowledged (restored from a backup): send them again,
          // or, when this counter no longer keeps them, say that only hospital IT can settle it
          if (e instanceof PortalFailure && e.kind === 'sequence_gap' && e.expectedSeq !== null) {
            if (hasOutboxRow(o.db, e.expectedSeq)) this.resendFrom = e.expectedSeq;
            else throw this.recordsLost(e.expectedSeq);
          }
          throw e;
        });
        out.shift();
        this.resendFrom = null;
        let settlesAll: boolean;
        try {
          settlesAll = checkPushAnswer(o.deviceId, batch, answer).settlesAll;
        } catch (e) {
          throw this.answerMismatch(e, batch);
        }
        if (!settlesAll) {
          // the batch behind was read as if this one settled everything: it goes again, read anew
          letGo(out);
        } else {
          out[0]?.keep(true);
          // the next batch goes now, and this answer is recorded while the portal works on the
          // ones out; a crash in between only means they are sent again and come back as duplicates
          if (this.fill(out, batch)) await nextTurn();
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
        o.onOutboxChanged?.(applied.settledRecords);
        // an answer that covered none of the batch would send the same batch for ever
        if (answer.results.length === 0 || (!head.resend && applied.acknowledged + applied.rejected + applied.reused === 0)) {
          const failure = new PortalFailure('bad_answer', 'the portal answered without a result for any record sent');
          this.ctx.failed(failure, 'push');
          throw failure;
        }
      }
    } finally {
      // what is still out when the pass ends (a failure, stopped, a local error) is let go
      letGo(out);
      this.ctx.update({ uploading: false });
    }
  }

  /**
   * Sends batches until the window is full: when nothing is out, the first pending batch (or
   * the rows after `answered`, the batch whose answer is about to be recorded); behind it,
   * while the portal answers, the one after it (never behind a resend). True if any went.
   */
  private fill(out: Out[], answered?: readonly OutboxRow[]): boolean {
    const { o } = this.ctx;
    let sent = false;
    while (!this.ctx.stopped && out.length < PUSH_PIPELINE) {
      const last = out.at(-1);
      if (last && (last.resend || !this.ctx.portalAnswering)) break;
      const after = last ? last.prepared.batch : answered;
      const rows = after ? nextBatch(o.db, o.settings.batchSize, BATCH_BYTES, after[after.length - 1]!.seq) : this.nextBatch();
      if (rows.length === 0) break;
      const resend = !after && this.resendFrom !== null;
      out.push(this.send(this.serialise(rows), resend, last !== undefined));
      sent = true;
    }
    return sent;
  }

  private send(prepared: Prepared, resend: boolean, behind: boolean): Out {
    this.ctx.update({ uploading: true });
    const letGo = new AbortController();
    let keep: (kept: boolean) => void = () => undefined;
    const kept = new Promise<boolean>((resolve) => (keep = resolve));
    const sending = this.ctx.request(
      (signal) => this.ctx.o.client.push(prepared.body, signal),
      'push',
      () => recordFailedTry(this.ctx.o.db, prepared.batch, 'no answer'),
      behind ? { kept, letGo: letGo.signal } : { letGo: letGo.signal },
    );
    // Awaited a moment later (after the request has reached its socket): a refusal can come
    // before then, and an unhandled rejection would end the worker thread.
    sending.catch(() => undefined);
    return { prepared, sending, resend, letGo, keep };
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
    return { batch, body: pushBody(o.deviceId, o.centreId, o.counterCode, batch) };
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

/** Lets the batches out go (their requests end; their answers are not recorded) and empties the list. */
function letGo(out: Out[]): void {
  for (const x of out.splice(0)) {
    x.keep(false);
    x.letGo.abort(new PortalFailure('network', 'let go: the batch before it changed what comes next'));
  }
}

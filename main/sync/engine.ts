/**
 * The sync engine: uploads the outbox in order, one batch in flight, and pulls the roster,
 * for as long as it runs. Every request has a hard deadline; failures back off exponentially
 * with full jitter (1 s base, 5 min cap), honouring the portal's Retry-After; after repeated
 * failures a circuit breaker stops trying until a single probe is let through. The policies
 * are cockatiel's. A timeout, a 5xx or a malformed answer never marks a record rejected: only
 * the portal's own per-item `rejected` does.
 *
 * It runs in the sync worker thread with its own SQLite connection (see worker-thread.ts),
 * and in-process in tests.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  fullJitterGenerator,
  handleAll,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IBackoff,
} from 'cockatiel';
import type { SyncSettings } from '../../common/domain';
import { addDays, centreDay } from '../../common/rules/centre-day';
import { removeImports, unwantedImports } from '../store/roster';
import type { Db } from '../store/database';
import { getMeta, setMeta } from '../store/meta';
import { firstOutboxSeqAfter, hasOutboxRow } from '../store/outbox';
import { DEFAULT_TUNING, INITIAL_ENGINE_STATUS, type EngineStatus, type EngineTuning } from './messages';
import {
  AnswerMismatch,
  applyPushAnswer,
  checkPushAnswer,
  batchFrom,
  nextBatch,
  BATCH_BYTES,
  pushBody,
  recordFailedTry,
  resequencePending,
  sweepAcknowledged,
  type OutboxRow,
} from './outbox-sync';
import { MAX_RETRY_AFTER_MS, PortalFailure, type PortalClient } from './portal-client';
import type { PushResponse } from '../../common/sync-protocol';
import { PAGE_LIMIT, pullRoster } from './roster-pull';

export interface SyncLog {
  info(data: Record<string, unknown>, message: string): void;
  warn(data: Record<string, unknown>, message: string): void;
  error(data: Record<string, unknown>, message: string): void;
}

export interface SyncEngineOptions {
  db: Db;
  client: PortalClient;
  deviceId: string;
  centreId: string;
  counterCode: string;
  timeZone: string;
  settings: SyncSettings;
  log: SyncLog;
  clock?: () => Date;
  tuning?: Partial<EngineTuning>;
  onStatus?: (status: EngineStatus) => void;
  onOutboxChanged?: () => void;
  onRosterChanged?: (day: string) => void;
}

/**
 * Scheduling uses a monotonic clock: the PC's wall clock can be corrected backwards (NTP, a
 * hand-set clock) and must not stall uploads for as long as the jump.
 */
const mono = (): number => performance.now();

type Route = 'push' | 'roster';

/** A batch read and serialised, ready to send. */
interface Prepared {
  batch: OutboxRow[];
  body: string;
}

/** Without a success for this long, failing to reach the portal reads as offline, not degraded. */
const DEGRADED_WINDOW_MS = 5 * 60 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;
/** The last success is kept across restarts; written at most this often (each write is an fsync). */
const SAVE_SUCCESS_EVERY_MS = 10_000;

export class SyncEngine {
  private readonly tuning: EngineTuning;
  private readonly clock: () => Date;
  private breaker!: CircuitBreakerPolicy;
  private readonly backoffFactory: ExponentialBackoff<number>;
  /** uploads and roster pulls back off apart: a roster the counter cannot take must not hold up uploads */
  private readonly backoff: Record<Route, IBackoff<unknown> | undefined> = { push: undefined, roster: undefined };
  private readonly failuresOf: Record<Route, number> = { push: 0, roster: 0 };
  private openedAt = 0;
  private nextAttemptAt = 0;
  private nextRosterAt = 0;
  private nextSweepAt = 0;
  private lastSuccessSavedAt = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly stopper = new AbortController();
  private current: EngineStatus = { ...INITIAL_ENGINE_STATUS };
  private loop: Promise<void> | null = null;
  /** nudges and "sync now" requests so far: one arriving during a pass is not lost */
  private asked = 0;
  /** set by a sequence gap: the portal's expected sequence number */
  private resendFrom: number | null = null;
  private rosterAsked = 0;
  /** failures already counted, so one is never counted twice on its way up */
  private readonly recorded = new WeakSet<PortalFailure>();

  constructor(private readonly o: SyncEngineOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...o.tuning };
    this.clock = o.clock ?? (() => new Date());
    this.backoffFactory = new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: this.tuning.backoffBaseMs,
      maxDelay: this.tuning.backoffCapMs,
    });
    this.resetBreaker();
    this.current.lastSuccessAt = getMeta(o.db, 'sync.last_success');
  }

  get status(): EngineStatus {
    return { ...this.current };
  }

  /** Starts the loop (once). */
  start(): void {
    this.loop ??= this.runLoop();
  }

  /** Stops after the request in flight (cut short) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopper.abort();
    this.wake?.();
    await this.loop;
    this.o.client.close();
  }

  /** New outbox rows: upload soon, unless a backoff is running (then they wait their turn). */
  nudge(): void {
    if (this.failuresOf.push === 0) {
      this.asked++;
      this.nextAttemptAt = Math.min(this.nextAttemptAt, mono());
      this.wake?.();
    }
  }

  /**
   * A person asked: try now, whatever the backoff. An open circuit is closed for this one
   * try; if it fails, it opens again at once.
   */
  syncNow(): void {
    if (this.breaker.state === CircuitState.Open) this.resetBreaker();
    this.asked++;
    this.rosterAsked++;
    this.nextAttemptAt = 0;
    this.nextRosterAt = 0;
    this.wake?.();
  }

  /**
   * One pass: upload everything pending (batch by batch), then pull the roster if due. An
   * upload failure does not stop the roster's turn, nor the other way round; each plans its
   * own retry. The upload's failure is rethrown at the end.
   */
  async cycle(): Promise<boolean> {
    let uploadFailure: unknown = null;
    let drained = false;
    if (mono() >= this.nextAttemptAt) {
      try {
        await this.drain();
        drained = true;
      } catch (e) {
        uploadFailure = e;
      }
    }
    if (this.stopped) return drained;
    // an upload that found the portal unreachable or overloaded says enough about it: the
    // roster waits for the next try rather than spend another deadline on the same portal
    const portalDown =
      uploadFailure instanceof PortalFailure &&
      (uploadFailure.kind === 'timeout' || uploadFailure.kind === 'network' || uploadFailure.kind === 'unavailable');
    if (portalDown) this.nextRosterAt = Math.max(this.nextRosterAt, this.nextAttemptAt);
    else if (mono() >= this.nextRosterAt) await this.pullRosters();
    if (mono() >= this.nextSweepAt) {
      sweepAcknowledged(this.o.db, this.clock(), this.o.settings.photoIdRetentionDays, this.o.settings.keepAcknowledgedDays);
      this.nextSweepAt = mono() + SWEEP_EVERY_MS;
    }
    if (uploadFailure) throw uploadFailure;
    return drained;
  }

  private async pullRosters(): Promise<void> {
    const asked = this.rosterAsked;
    const today = centreDay(this.clock(), this.o.timeZone);
    try {
      for (const day of [today, addDays(today, 1)]) {
        if (this.stopped) return;
        await this.pullDay(day);
      }
    } catch (e) {
      if (!(e instanceof PortalFailure)) throw e;
      // planned by failed(); a failure found after the answer (a page for another centre) is counted here
      if (!this.recorded.has(e)) this.failed(e, 'roster');
      return;
    }
    this.backoff.roster = undefined;
    this.failuresOf.roster = 0;
    // rosters of days gone by leave with the day, as they do at start
    await removeImports(this.o.db, unwantedImports(this.o.db, today), 1000);
    // asked again while pulling: pull again rather than forget the request
    this.nextRosterAt = this.rosterAsked !== asked ? 0 : mono() + this.o.settings.rosterPullMinutes * 60_000;
    this.update({ rosterPulledAt: this.clock().toISOString() });
  }

  /** Uploads batches until nothing is pending; a failure ends the pass (the loop retries later). */
  async drain(): Promise<void> {
    let inFlight: { prepared: Prepared; sending: Promise<PushResponse> } | null = null;
    try {
      for (;;) {
        if (this.stopped) return;
        if (!inFlight) {
          const prepared = this.prepare(this.nextBatch());
          if (prepared.batch.length === 0) return;
          inFlight = { prepared, sending: this.send(prepared) };
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const batch: OutboxRow[] = inFlight.prepared.batch;
        // While the portal works on this batch, the next one is read and serialised.
        const wasResend = this.resendFrom !== null;
        const upcoming: Prepared | null = wasResend
          ? null
          : this.prepare(nextBatch(this.o.db, this.o.settings.batchSize, BATCH_BYTES, batch[batch.length - 1]!.seq));
        const answer = await inFlight.sending.catch((e: unknown) => {
          // the portal lacks records it had acknowledged (restored from a backup): send them again,
          // or, when this counter no longer keeps them, say that only hospital IT can settle it
          if (e instanceof PortalFailure && e.kind === 'sequence_gap' && e.expectedSeq !== null) {
            if (this.keeps(e.expectedSeq)) this.resendFrom = e.expectedSeq;
            else throw this.recordsLost(e.expectedSeq);
          }
          throw e;
        });
        inFlight = null;
        this.resendFrom = null;
        let settlesAll: boolean;
        try {
          settlesAll = checkPushAnswer(this.o.deviceId, batch, answer).settlesAll;
        } catch (e) {
          throw this.answerMismatch(e, batch);
        }
        // Every row answered: the next batch goes now (this one's request has ended, so still
        // one in flight) and this answer is recorded while the portal works on it. A crash in
        // between only means this batch is sent again and comes back as duplicates.
        if (settlesAll && upcoming && upcoming.batch.length > 0 && !this.stopped) {
          inFlight = { prepared: upcoming, sending: this.send(upcoming) };
          // let the request reach the socket before the (synchronous) recording below
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const applied = applyPushAnswer(
          this.o.db,
          this.o.deviceId,
          batch,
          answer,
          this.clock(),
          this.o.settings.photoIdRetentionDays,
        );
        if (applied.reused > 0) {
          const moved = resequencePending(this.o.db, answer.lastAppliedSeq);
          this.o.log.warn(
            { reused: applied.reused, renumbered: moved, portalLastApplied: answer.lastAppliedSeq },
            'the portal had used these sequence numbers already (this counter was restored from a backup): numbered again',
          );
        }
        if (applied.rejected > 0)
          this.o.log.warn({ rejected: applied.rejected }, 'the portal rejected records: they need attention');
        this.o.onOutboxChanged?.();
        // an answer that covered none of the batch would send the same batch for ever
        if (answer.results.length === 0 || (!wasResend && applied.acknowledged + applied.rejected + applied.reused === 0)) {
          const failure = new PortalFailure('bad_answer', 'the portal answered without a result for any record sent');
          this.failed(failure, 'push');
          throw failure;
        }
      }
    } finally {
      // a request still out when the pass ends (stopped, or a local error) is let go quietly
      const left = inFlight as { sending: Promise<PushResponse> } | null;
      left?.sending.catch(() => undefined);
      this.update({ uploading: false });
    }
  }

  private send(prepared: Prepared): Promise<PushResponse> {
    this.update({ uploading: true });
    const sending = this.request(
      (signal) => this.o.client.push(prepared.body, signal),
      'push',
      () => recordFailedTry(this.o.db, prepared.batch, 'no answer'),
    );
    // Awaited a moment later (after the request has reached its socket): a refusal can come
    // before then, and an unhandled rejection would end the worker thread.
    sending.catch(() => undefined);
    return sending;
  }

  private answerMismatch(e: unknown, batch: readonly OutboxRow[]): unknown {
    if (!(e instanceof AnswerMismatch)) return e;
    const failure = new PortalFailure('bad_answer', e.message);
    this.failed(failure, 'push');
    recordFailedTry(this.o.db, batch, failure.message);
    return failure;
  }

  private prepare(batch: OutboxRow[]): Prepared {
    return { batch, body: batch.length > 0 ? pushBody(this.o.deviceId, this.o.centreId, this.o.counterCode, batch) : '' };
  }

  private keeps(seq: number): boolean {
    return hasOutboxRow(this.o.db, seq);
  }

  /**
   * The portal lost acknowledged records that this counter has since removed: no retry can
   * mend it. The status says so, with what hospital IT needs to accept the loss at the portal.
   */
  private recordsLost(from: number): PortalFailure {
    const upTo = (firstOutboxSeqAfter(this.o.db, from) ?? from + 1) - 1;
    const failure = new PortalFailure(
      'records_lost',
      `the portal lacks records ${from}-${upTo} of this counter, uploaded before and no longer kept here: ` +
        `restore the portal from a newer backup, or accept the loss for device ${this.o.deviceId} up to seq ${upTo}`,
    );
    this.o.log.error({ fromSeq: from, upTo, deviceId: this.o.deviceId }, failure.message);
    this.update({ lastError: { code: failure.kind, message: failure.message } });
    return failure;
  }

  /** Pending rows in order; or, after a sequence gap, the rows the portal asked for again. */
  private nextBatch(): OutboxRow[] {
    if (this.resendFrom !== null) {
      const again = batchFrom(this.o.db, this.resendFrom, this.o.settings.batchSize);
      if (again) {
        this.o.log.warn(
          { fromSeq: this.resendFrom, count: again.length },
          'the portal lacks acknowledged records: sending them again',
        );
        return again;
      }
      // removed since the portal asked for them (the sweep ran in between): said at the next answer
      this.o.log.error({ fromSeq: this.resendFrom }, 'the portal lacks records this counter no longer keeps');
      this.resendFrom = null;
    }
    return nextBatch(this.o.db, this.o.settings.batchSize);
  }

  private async pullDay(day: string): Promise<void> {
    const result = await pullRoster(
      this.o.db,
      this.o.centreId,
      day,
      (cursor) => this.request((signal) => this.o.client.rosterPage(this.o.centreId, day, cursor, PAGE_LIMIT, signal), 'roster'),
      this.clock,
    );
    if (result.skipped > 0) {
      this.o.log.warn(
        { day, skipped: result.skipped, firstProblem: result.firstProblem },
        'roster bookings the counter cannot take were skipped',
      );
    }
    if (result.kept) {
      this.o.log.warn(
        { day, rows: result.count },
        'the portal has no bookings for the day: the roster in use (from a file) is kept',
      );
      return;
    }
    if (result.mode === 'full' || result.changes > 0) {
      this.o.log.info({ ...result }, 'roster pulled');
      this.o.onRosterChanged?.(day);
    }
  }

  /**
   * One request under the policies: the circuit breaker (refuses at once while open) around
   * a hard deadline. An upload's success resets its backoff (a roster pull's, only once the
   * whole pull has gone through); a failure plans the route's next attempt.
   */
  private async request<T>(fn: (signal: AbortSignal) => Promise<T>, route: Route, onFailure?: () => void): Promise<T> {
    this.closeBreakerAfterClockJump();
    const deadline = timeout(this.o.settings.requestTimeoutSeconds * 1000, TimeoutStrategy.Aggressive);
    this.update({ lastAttemptAt: this.clock().toISOString() });
    try {
      const value = await wrap(this.breaker, deadline).execute(({ signal }) =>
        fn(AbortSignal.any([signal, this.stopper.signal])),
      );
      this.succeeded(route);
      return value;
    } catch (e) {
      const failure = asFailure(e, this.o.settings.requestTimeoutSeconds);
      if (!(e instanceof BrokenCircuitError)) onFailure?.();
      this.failed(failure, route, e instanceof BrokenCircuitError);
      throw failure;
    }
  }

  /**
   * The circuit breaker times its open period with the wall clock: set back an hour, it would
   * stay open an hour. Past its open period by the monotonic clock, it is closed again.
   */
  private closeBreakerAfterClockJump(): void {
    if (this.breaker.state === CircuitState.Open && mono() - this.openedAt > this.tuning.halfOpenAfterMs + 1000) {
      this.o.log.warn({}, 'the circuit stayed open past its time (the clock changed): trying again');
      this.resetBreaker();
    }
  }

  private succeeded(route: Route): void {
    const wasFailing = this.failuresOf.push + this.failuresOf.roster > 0;
    if (route === 'push') {
      this.failuresOf.push = 0;
      this.backoff.push = undefined;
      this.nextAttemptAt = 0;
    }
    const at = this.clock().toISOString();
    if (mono() - this.lastSuccessSavedAt >= SAVE_SUCCESS_EVERY_MS || this.lastSuccessSavedAt === 0) {
      this.lastSuccessSavedAt = mono();
      setMeta(this.o.db, 'sync.last_success', at);
    }
    if (wasFailing) this.o.log.info({}, 'the portal answers again');
    this.update({ state: 'online', lastSuccessAt: at, lastError: null, nextRetryAt: null });
  }

  private failed(failure: PortalFailure, route: Route, circuitOpen = false): void {
    this.recorded.add(failure);
    if (!circuitOpen) this.failuresOf[route]++;
    const b = this.backoff[route];
    const next = b ? b.next(undefined) : this.backoffFactory.next();
    this.backoff[route] = next;
    let wait = next.duration;
    // Retry-After is a floor, with the jittered backoff on top: counters told the same
    // Retry-After at the same moment must not all come back at the same moment
    if (failure.retryAfterMs !== null) wait = Math.min(failure.retryAfterMs + wait, MAX_RETRY_AFTER_MS);
    if (this.breaker.state === CircuitState.Open) wait = Math.max(wait, this.openedAt + this.tuning.halfOpenAfterMs - mono());
    if (route === 'push') this.nextAttemptAt = mono() + wait;
    else this.nextRosterAt = mono() + wait;
    if (failure.retryAfterMs !== null) {
      // the portal asked for quiet: nothing at all goes to it before then
      const until = mono() + failure.retryAfterMs;
      this.nextAttemptAt = Math.max(this.nextAttemptAt, until);
      this.nextRosterAt = Math.max(this.nextRosterAt, until);
    }
    const lastSuccess = this.current.lastSuccessAt ? Date.parse(this.current.lastSuccessAt) : 0;
    const recent = this.clock().getTime() - lastSuccess < DEGRADED_WINDOW_MS;
    const answered = failure.kind !== 'timeout' && failure.kind !== 'network';
    const state =
      this.breaker.state === CircuitState.Open ? 'offline' : answered || recent ? ('degraded' as const) : ('offline' as const);
    if (!circuitOpen) this.o.log.warn({ kind: failure.kind, status: failure.status, waitMs: wait }, failure.message);
    this.update({
      state,
      lastError: { code: failure.kind, message: failure.message },
      nextRetryAt: new Date(this.clock().getTime() + wait).toISOString(),
    });
  }

  private resetBreaker(): void {
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: this.tuning.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.tuning.breakerThreshold),
    });
    this.breaker.onBreak(() => {
      this.openedAt = mono();
      this.o.log.warn({ halfOpenAfterMs: this.tuning.halfOpenAfterMs }, 'circuit open: the portal is not answering');
    });
  }

  private update(patch: Partial<EngineStatus>): void {
    const next = { ...this.current, ...patch };
    const changed = (Object.keys(patch) as (keyof EngineStatus)[]).some((k) => next[k] !== this.current[k]);
    this.current = next;
    if (changed) this.o.onStatus?.(this.status);
  }

  private async runLoop(): Promise<void> {
    while (!this.stopped) {
      // the next planned upload (a retry, new records, the periodic check) or roster pull;
      // "sync now" and, when uploads are not backing off, new records wake the loop early
      const wakeAt = Math.min(this.nextAttemptAt, this.nextRosterAt);
      if (wakeAt > mono()) {
        await this.sleep(wakeAt - mono());
        continue;
      }
      const asked = this.asked;
      let drained = false;
      try {
        drained = await this.cycle();
      } catch (e) {
        if (!(e instanceof PortalFailure)) {
          // a local problem (database busy, disk): keep the loop alive and try again later
          this.o.log.error({ err: String(e) }, 'sync pass failed');
          this.failed(new PortalFailure('bad_answer', `local error: ${String(e)}`), 'push');
        } else if (!this.recorded.has(e)) {
          // found wanting after the request itself went through
          this.failed(e, 'push');
        }
      }
      // (a retry planned for an upload that did not run in this pass is kept as planned)
      if (drained && this.nextAttemptAt <= mono()) {
        // records or a request that came during the pass: another pass at once; otherwise
        // idle until new records (nudge), the next roster pull, or a periodic check
        this.nextAttemptAt = this.asked !== asked ? 0 : mono() + 60_000;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

function asFailure(e: unknown, timeoutSeconds: number): PortalFailure {
  if (e instanceof PortalFailure) return e;
  if (e instanceof BrokenCircuitError) return new PortalFailure('unavailable', 'circuit open: waiting before the next try');
  if (e instanceof TaskCancelledError) return new PortalFailure('timeout', `no answer within ${timeoutSeconds} s`);
  return new PortalFailure('network', String(e));
}

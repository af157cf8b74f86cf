/**
 * The sync engine: uploads the outbox (uploader.ts) and pulls the roster (roster-puller.ts)
 * for as long as it runs, with the retry policy (retry-policy.ts) deciding when each may ask
 * the portal again. Every request has a hard deadline. While uploads get no answer at all, a
 * cheap probe asks every few seconds whether the portal answers again, and races an upload
 * still out: uploads resume within seconds of the portal's return.
 *
 * All time comes from the clock passed in (the real one by default). It runs in the sync
 * worker thread with its own SQLite connection (see worker-thread.ts), and in-process in tests.
 */
import { centreDay } from '../../common/rules/centre-day';
import { getMeta, setMeta } from '../store/meta';
import { realClock, sleep, withDeadline, type Clock } from './clock';
import type { Sent, SyncContext, SyncEngineOptions } from './context';
import { FleetReporter } from './fleet-report';
import { DEFAULT_TUNING, INITIAL_ENGINE_STATUS, type EngineStatus, type EngineTuning } from './messages';
import { sweepAcknowledged } from './outbox-sync';
import { PortalFailure } from './portal-client';
import { gotNoAnswer, RetryPolicy, type Route } from './retry-policy';
import { RosterPuller } from './roster-puller';
import { SettingsPuller } from './settings-pull';
import { Uploader } from './uploader';

export type { SyncEngineOptions, SyncLog } from './context';

/** The engine's options, with the app's version for the fleet report ('unknown' when not given). */
export type EngineOptions = SyncEngineOptions & { appVersion?: string | undefined };

/** Without a success for this long, failing to reach the portal reads as offline, not degraded. */
const DEGRADED_WINDOW_MS = 5 * 60 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;
/** With nothing to upload, the engine still looks every minute (records made while it slept) */
const IDLE_CHECK_MS = 60_000;
/** The last success is kept across restarts; written at most this often (each write is an fsync). */
const SAVE_SUCCESS_EVERY_MS = 10_000;

export class SyncEngine implements SyncContext {
  readonly clock: Clock;
  private readonly tuning: EngineTuning;
  private readonly policy: RetryPolicy;
  private readonly uploader: Uploader;
  private readonly roster: RosterPuller;
  private readonly settings: SettingsPuller;
  private readonly reporter: FleetReporter;
  private nextSweepAt = 0;
  private lastSuccessSavedAt: number | null = null;
  private isStopped = false;
  private wake: (() => void) | null = null;
  private readonly stopper = new AbortController();
  private current: EngineStatus = { ...INITIAL_ENGINE_STATUS };
  private loop: Promise<void> | null = null;
  /** nudges and "sync now" requests so far: one arriving during a pass is not lost */
  private asked = 0;
  /** failures already planned for, so one is never counted twice on its way up */
  private readonly planned = new WeakSet<PortalFailure>();

  constructor(readonly o: EngineOptions) {
    this.clock = o.clock ?? realClock;
    this.tuning = { ...DEFAULT_TUNING, ...o.tuning };
    this.policy = new RetryPolicy({
      tuning: this.tuning,
      clock: this.clock,
      ...(o.random ? { random: o.random } : {}),
      onOpen: () => o.log.warn({ halfOpenAfterMs: this.tuning.halfOpenAfterMs }, 'circuit open: the portal is not answering'),
    });
    this.uploader = new Uploader(this);
    this.roster = new RosterPuller(this, this.policy);
    this.settings = new SettingsPuller(this);
    this.reporter = new FleetReporter({
      db: o.db,
      deviceId: o.deviceId,
      centreId: o.centreId,
      counterCode: o.counterCode,
      timeZone: o.timeZone,
      appVersion: o.appVersion ?? 'unknown',
      client: o.client,
      clock: this.clock,
      log: o.log,
      stopped: this.stopper.signal,
      known: () => ({ rosterPulledAt: this.current.rosterPulledAt }),
      // a portal that is failing uploads is not asked for anything else: the report waits for it
      portalDown: () => this.policy.circuit === 'open' || this.current.state !== 'online',
      onAnswered: () => this.noteClock(),
    });
    this.current.lastSuccessAt = getMeta(o.db, 'sync.last_success');
  }

  get status(): EngineStatus {
    return { ...this.current };
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Starts the loop (once). */
  start(): void {
    this.loop ??= this.runLoop();
  }

  /** Stops after the request in flight (cut short) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.stopper.abort();
    this.wake?.();
    await this.loop;
    await this.reporter.inFlight;
    this.o.client.close();
  }

  /** New outbox rows: upload soon, unless a backoff is running (then they wait their turn). */
  nudge(): void {
    if (this.policy.failuresOf('push') === 0) {
      this.asked++;
      this.policy.setDue('push', Math.min(this.policy.dueAt('push'), this.clock.now()));
      this.wake?.();
    }
  }

  /**
   * A person asked: try now, whatever the backoff. An open circuit lets this one try
   * through; if it fails, it opens again at once.
   */
  syncNow(): void {
    this.policy.trialNow();
    this.asked++;
    this.roster.ask();
    this.policy.setDue('push', 0);
    this.policy.setDue('roster', 0);
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
    if (this.clock.now() >= this.policy.dueAt('push')) {
      try {
        await this.uploader.drain();
        drained = true;
      } catch (e) {
        uploadFailure = e;
      }
    }
    if (this.stopped) return drained;
    // an upload that found the portal unreachable or overloaded says enough about it: the
    // roster waits for the next try rather than spend another deadline on the same portal
    const portalDown =
      uploadFailure instanceof PortalFailure && (gotNoAnswer(uploadFailure.kind) || uploadFailure.kind === 'unavailable');
    if (portalDown) this.policy.setDue('roster', Math.max(this.policy.dueAt('roster'), this.policy.dueAt('push')));
    else if (this.clock.now() >= this.policy.dueAt('roster')) {
      await this.roster.pull();
      // the district's settings ride with the roster pull, while the portal answers it
      if (!this.stopped && this.policy.failuresOf('roster') === 0) await this.settings.pull();
    }
    if (this.clock.now() >= this.nextSweepAt) {
      const s = this.o.settings;
      sweepAcknowledged(this.o.db, this.clock.date(), s.photoIdRetentionDays, s.keepAcknowledgedDays, s.mobileRetentionDays);
      this.nextSweepAt = this.clock.now() + SWEEP_EVERY_MS;
    }
    if (uploadFailure) throw uploadFailure;
    return drained;
  }

  // ---------------------------------------------------------------------------------------
  // requests under the policy (SyncContext)

  get portalAnswering(): boolean {
    return this.policy.answering;
  }

  async request<T>(fn: (signal: AbortSignal) => Promise<T>, route: Route, onFailure?: () => void, sent?: Sent): Promise<T> {
    if (!this.policy.admit()) {
      const refused = new PortalFailure('unavailable', 'circuit open: waiting before the next try');
      this.plan(refused, route, true);
      throw refused;
    }
    this.update({ lastAttemptAt: this.clock.date().toISOString() });
    // one sent behind another waits for the portal to finish that one first: twice the deadline
    const behind = sent?.kept !== undefined;
    const seconds = this.o.settings.requestTimeoutSeconds * (behind ? 2 : 1);
    // probes race a request out for long: one answering after one got none ends it
    const race = new AbortController();
    // let go by the sender (see Sent): not the portal's verdict, whether it failed or was answered
    const letGo = async () => sent !== undefined && (sent.letGo.aborted || (sent.kept !== undefined && !(await sent.kept)));
    try {
      const sending = withDeadline(
        this.clock,
        seconds * 1000,
        (signal) => fn(AbortSignal.any([signal, this.stopper.signal, race.signal, ...(sent ? [sent.letGo] : [])])),
        () => new PortalFailure('timeout', `no answer within ${seconds} s`),
      );
      // only the first of the uploads out is raced by probes: the one behind it ends with it
      // (a probe ending the second would leave the first to its deadline)
      const value = behind ? await sending : await this.raced(sending, race);
      if (await letGo()) throw new PortalFailure('network', 'let go: the answer is not recorded');
      this.succeeded(route);
      return value;
    } catch (e) {
      if (race.signal.aborted && race.signal.reason === e && e instanceof PortalFailure) {
        // given up for a portal that answers again: it goes again at once, not counted
        this.planned.add(e);
        this.policy.supersede(route);
        this.o.log.info({ route }, 'the portal answers again: the request that got no answer is sent again');
        throw e;
      }
      if (await letGo()) throw asFailure(e);
      const failure = asFailure(e);
      onFailure?.();
      this.policy.requestFailed();
      this.plan(failure, route);
      throw failure;
    }
  }

  failed(failure: PortalFailure, route: Route): void {
    this.plan(failure, route);
  }

  recorded(failure: PortalFailure): boolean {
    return this.planned.has(failure);
  }

  update(patch: Partial<EngineStatus>): void {
    const next = { ...this.current, ...patch };
    const changed = (Object.keys(patch) as (keyof EngineStatus)[]).some((k) => next[k] !== this.current[k]);
    this.current = next;
    if (changed) this.o.onStatus?.(this.status);
  }

  /**
   * Waits for `sending`; once it has been out for a probe's interval, probes the portal every
   * few seconds. A probe that answers after one got none (the portal hung and is back) ends
   * the request: its connection may be dead, and it is sent again at once rather than left
   * to its deadline. A probe answering from the start changes nothing (a slow portal, or one
   * whose uploads hang while it answers probes).
   */
  private async raced<T>(sending: Promise<T>, race: AbortController): Promise<T> {
    const done = new AbortController();
    const firstAt = this.clock.now() + this.tuning.probeEveryMs;
    const racing = async () => {
      while (!done.signal.aborted && !this.stopped && this.policy.racing) {
        await sleep(this.clock, Math.max(firstAt, this.policy.probeAllowedAt()) - this.clock.now(), done.signal);
        if (done.signal.aborted || this.stopped) return;
        const answered = await this.probe();
        if (done.signal.aborted) return;
        if (this.policy.probeEnded(answered)) {
          race.abort(new PortalFailure('network', 'the portal answers again while this request had no answer'));
          return;
        }
      }
    };
    void racing();
    try {
      return await Promise.race([
        sending,
        new Promise<never>((_, reject) =>
          race.signal.addEventListener('abort', () => reject(race.signal.reason), { once: true }),
        ),
      ]);
    } finally {
      done.abort();
    }
  }

  /** One probe under its own short deadline: whether the portal answered. */
  private async probe(): Promise<boolean> {
    this.policy.probeStarted();
    const day = centreDay(this.clock.date(), this.o.timeZone);
    try {
      await withDeadline(
        this.clock,
        this.tuning.probeTimeoutMs,
        (signal) => this.o.client.probe(this.o.centreId, day, AbortSignal.any([signal, this.stopper.signal])),
        () => new PortalFailure('timeout', 'the probe got no answer'),
      );
      return true;
    } catch {
      return false;
    }
  }

  private succeeded(route: Route): void {
    const wasFailing = this.policy.failuresOf('push') + this.policy.failuresOf('roster') > 0;
    this.policy.answered(route);
    const at = this.clock.date().toISOString();
    const now = this.clock.now();
    if (this.lastSuccessSavedAt === null || now - this.lastSuccessSavedAt >= SAVE_SUCCESS_EVERY_MS) {
      this.lastSuccessSavedAt = now;
      setMeta(this.o.db, 'sync.last_success', at);
    }
    if (wasFailing) this.o.log.info({}, 'the portal answers again');
    this.update({ state: 'online', lastSuccessAt: at, lastError: null, nextRetryAt: null });
  }

  /** Plans the route's next attempt after a failure and says it in the status. */
  private plan(failure: PortalFailure, route: Route, refused = false): void {
    this.planned.add(failure);
    const wait = this.policy.retryAfterFailure(route, failure, refused);
    const lastSuccess = this.current.lastSuccessAt ? Date.parse(this.current.lastSuccessAt) : 0;
    const recent = this.clock.date().getTime() - lastSuccess < DEGRADED_WINDOW_MS;
    const answered = !gotNoAnswer(failure.kind);
    const state = this.policy.circuit === 'open' ? 'offline' : answered || recent ? ('degraded' as const) : ('offline' as const);
    if (!refused) this.o.log.warn({ kind: failure.kind, status: failure.status, waitMs: wait }, failure.message);
    this.update({
      state,
      // held back by the open circuit: the reason shown stays the portal's own answer that opened it
      lastError: refused && this.current.lastError ? this.current.lastError : { code: failure.kind, message: failure.message },
      nextRetryAt: new Date(this.clock.date().getTime() + wait).toISOString(),
    });
  }

  private async runLoop(): Promise<void> {
    while (!this.stopped) {
      // the next planned upload (a retry, new records, the periodic check) or roster pull;
      // "sync now" and, when uploads are not backing off, new records wake the loop early;
      // while uploads get no answer, the portal is probed in between
      const now = this.clock.now();
      const wakeAt = Math.min(this.policy.dueAt('push'), this.policy.dueAt('roster'));
      if (wakeAt > now) {
        const probeAt = this.policy.probeDueAt();
        if (probeAt <= now) {
          if (this.policy.probeEnded(await this.probe())) {
            this.o.log.info({}, 'the portal answers again: uploading now');
          }
          continue;
        }
        await this.sleep(Math.min(wakeAt, probeAt) - now);
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
          this.plan(new PortalFailure('bad_answer', `local error: ${String(e)}`), 'push');
        } else if (!this.planned.has(e)) {
          // found wanting after the request itself went through
          this.plan(e, 'push');
        }
      }
      // the clock against the portal's, from this pass's answers; then the fleet report, when
      // due, on its own connection (not awaited: it never holds up the next upload)
      this.noteClock();
      this.reporter.afterPass();
      // (a retry planned for an upload that did not run in this pass is kept as planned)
      if (drained && this.policy.dueAt('push') <= this.clock.now()) {
        // records or a request that came during the pass: another pass at once; otherwise
        // idle until new records (nudge), the next roster pull, or a periodic check
        this.policy.setDue('push', this.asked !== asked ? 0 : this.clock.now() + IDLE_CHECK_MS);
      }
    }
  }

  /** The portal's clock minus this PC's, in whole seconds (so a few ms of jitter is no news), into the status. */
  private noteClock(): void {
    const offset = this.o.client.clockOffsetMs();
    this.update({ clockOffsetMs: offset === null ? null : Math.round(offset / 1000) * 1000 });
  }

  private sleep(ms: number): Promise<void> {
    const woken = new AbortController();
    this.wake = () => {
      this.wake = null;
      woken.abort();
    };
    return sleep(this.clock, ms, woken.signal);
  }
}

function asFailure(e: unknown): PortalFailure {
  if (e instanceof PortalFailure) return e;
  return new PortalFailure('network', String(e));
}

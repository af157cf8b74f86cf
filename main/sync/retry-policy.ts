/**
 * When the sync engine may ask the portal again: exponential backoff with full jitter per
 * route (1 s base, 5 min cap), the portal's Retry-After as a floor, and a circuit breaker
 * that stops all requests after repeated failures until its half-open time lets one upload
 * through to try. Uploads and roster pulls back off apart (a roster the counter cannot take
 * must not hold up uploads) but share the circuit: it is the same portal.
 *
 * While uploads get no answer at all (a timeout, the network) the portal may be hanging; a
 * cheap probe then asks every few seconds whether it answers again, so uploads resume within
 * seconds of its return rather than at the end of a deadline and an open circuit.
 *
 * All timing is on the injected clock (monotonic): a wall clock set back cannot stall it.
 */
import { ExponentialBackoff, noJitterGenerator, type GeneratorFn, type IBackoff } from 'cockatiel';
import type { Clock } from './clock';
import type { EngineTuning } from './messages';
import { MAX_RETRY_AFTER_MS, type PortalFailureKind } from './portal-client';

export type Route = 'push' | 'roster';

/** Probes in a row without an answer before the portal counts as silent. */
const SILENT_AFTER_PROBES = 2;
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface RetryPolicyOptions {
  tuning: EngineTuning;
  clock: Clock;
  /** [0, 1), for the jitter; Math.random by default */
  random?: () => number;
  /** the circuit has just opened */
  onOpen?: () => void;
}

/** What of a failure the policy reads. */
export interface FailureFacts {
  kind: PortalFailureKind;
  retryAfterMs: number | null;
}

/** No answer at all: what a hanging or unreachable portal gives. */
export const gotNoAnswer = (kind: PortalFailureKind): boolean => kind === 'timeout' || kind === 'network';

export class RetryPolicy {
  private state: CircuitState = 'closed';
  /** failed requests in a row, whatever the route: what opens the circuit */
  private consecutive = 0;
  private openedAt = 0;
  /** half-open: the one request let through is out */
  private trialOut = false;
  private readonly backoffFactory: ExponentialBackoff<number>;
  private readonly backoff: Record<Route, IBackoff<unknown> | undefined> = { push: undefined, roster: undefined };
  private readonly failures: Record<Route, number> = { push: 0, roster: 0 };
  private readonly due: Record<Route, number> = { push: 0, roster: 0 };
  /** the portal's Retry-After: nothing at all goes to it before then */
  private quietUntil = 0;
  /** the last upload got no answer: probe the portal until one does */
  private hung = false;
  /** probes in a row that got no answer: two say the portal is silent (one late answer on a busy machine does not) */
  private probesUnanswered = 0;
  /** a request was given up for a portal back: no other is, until one is answered */
  private gaveUp = false;
  /** the portal said it is busy (a 5xx, 429) since its last answer: slow is not hung */
  private busy = false;
  private nextProbeAt = 0;

  constructor(private readonly o: RetryPolicyOptions) {
    const random = o.random ?? Math.random;
    // cockatiel's full jitter, with the random source injectable
    const fullJitter: GeneratorFn<number> = (attempts, options) => {
      const [delay, next] = noJitterGenerator(attempts, options);
      return [Math.floor(random() * delay), next];
    };
    this.backoffFactory = new ExponentialBackoff({
      generator: fullJitter,
      initialDelay: o.tuning.backoffBaseMs,
      maxDelay: o.tuning.backoffCapMs,
    });
  }

  get circuit(): CircuitState {
    return this.state;
  }

  /**
   * The portal answered the last request and nothing has failed since: uploads may then have a
   * second batch out behind the first (a portal that is failing gets one at a time).
   */
  get answering(): boolean {
    return this.state === 'closed' && this.consecutive === 0 && this.failures.push === 0 && !this.hung;
  }

  /** Failures of the route since its last success (a refusal by the open circuit does not count). */
  failuresOf(route: Route): number {
    return this.failures[route];
  }

  /** When the route's next attempt is planned (monotonic ms). */
  dueAt(route: Route): number {
    return this.due[route];
  }

  setDue(route: Route, at: number): void {
    this.due[route] = at;
  }

  /**
   * May a request go now? Not while the circuit is open before its half-open time, nor
   * while the one request half-open lets through is out.
   */
  admit(): boolean {
    if (this.state === 'open') {
      if (this.o.clock.now() - this.openedAt < this.o.tuning.halfOpenAfterMs) return false;
      this.state = 'half_open';
      this.trialOut = false;
    }
    if (this.state === 'half_open') {
      if (this.trialOut) return false;
      this.trialOut = true;
    }
    return true;
  }

  /** A request got its answer: the circuit closes; an upload's backoff starts again. */
  answered(route: Route): void {
    this.consecutive = 0;
    this.gaveUp = false;
    this.busy = false;
    this.state = 'closed';
    this.trialOut = false;
    if (route === 'push') {
      this.failures.push = 0;
      this.backoff.push = undefined;
      this.due.push = 0;
      this.hung = false;
      this.probesUnanswered = 0;
    }
  }

  /** A whole roster pull went through (each page's answer alone does not reset its backoff). */
  rosterPulled(): void {
    this.backoff.roster = undefined;
    this.failures.roster = 0;
  }

  /** A request failed: counts toward opening the circuit; the half-open trial failing opens it again. */
  requestFailed(): void {
    this.consecutive++;
    if (this.state === 'half_open' || (this.state === 'closed' && this.consecutive >= this.o.tuning.breakerThreshold)) {
      this.state = 'open';
      this.openedAt = this.o.clock.now();
      this.trialOut = false;
      this.o.onOpen?.();
    }
  }

  /** A request given up before its end, neither answered nor failed: half-open may let another through. */
  released(): void {
    if (this.state === 'half_open') this.trialOut = false;
  }

  /**
   * Plans the route's next attempt after a failure and returns the wait (ms): the backoff's
   * next step, with the portal's Retry-After as a floor under it (jitter on top: counters
   * told the same Retry-After must not all come back at the same moment), and never before
   * the circuit's half-open time. `refused`: the open circuit refused it (not counted).
   */
  retryAfterFailure(route: Route, failure: FailureFacts, refused = false): number {
    const now = this.o.clock.now();
    if (!refused) this.failures[route]++;
    if (route === 'push' && !refused) this.hung = gotNoAnswer(failure.kind);
    if (failure.kind === 'unavailable' && !refused) this.busy = true;
    const b = this.backoff[route];
    const next = b ? b.next(undefined) : this.backoffFactory.next();
    this.backoff[route] = next;
    let wait = next.duration;
    if (failure.retryAfterMs !== null) wait = Math.min(failure.retryAfterMs + wait, MAX_RETRY_AFTER_MS);
    if (this.state === 'open') wait = Math.max(wait, this.openedAt + this.o.tuning.halfOpenAfterMs - now);
    this.due[route] = now + wait;
    if (failure.retryAfterMs !== null) {
      this.quietUntil = Math.max(this.quietUntil, now + failure.retryAfterMs);
      this.due.push = Math.max(this.due.push, this.quietUntil);
      this.due.roster = Math.max(this.due.roster, this.quietUntil);
    }
    return wait;
  }

  /** "Sync now": an open circuit lets one request through at once; if it fails, it opens again. */
  trialNow(): void {
    if (this.state !== 'open') return;
    this.state = 'half_open';
    this.trialOut = false;
  }

  // ---------------------------------------------------------------------------------------
  // probing a portal that may be hanging

  /** Uploads get no answer: while they wait for their retry, the portal is probed. */
  get probing(): boolean {
    return this.hung;
  }

  /** When the next probe may go (monotonic ms), whatever asks: not before a Retry-After. */
  probeAllowedAt(): number {
    return Math.max(this.nextProbeAt, this.quietUntil);
  }

  /** When the waiting engine probes next (monotonic ms); Infinity when uploads are not failing so. */
  probeDueAt(): number {
    return this.hung ? this.probeAllowedAt() : Infinity;
  }

  probeStarted(): void {
    this.nextProbeAt = this.o.clock.now() + this.o.tuning.probeEveryMs;
  }

  /**
   * A probe's outcome. An answer after probes that got none means the portal is back: the
   * circuit lets an upload through at once and the upload is due now (and a request still
   * out is to be ended and sent again). An answer from the start says nothing new: the portal
   * answers probes while its uploads hang, or is only slow, and the usual deadline, backoff
   * and half-open time hold. Returns whether the portal is back.
   */
  probeEnded(answered: boolean): boolean {
    if (!answered) {
      this.probesUnanswered++;
      return false;
    }
    const back = this.probesUnanswered >= SILENT_AFTER_PROBES;
    this.probesUnanswered = 0;
    if (back) {
      if (this.state === 'open') {
        this.state = 'half_open';
        this.trialOut = false;
      }
      this.due.push = Math.min(this.due.push, this.o.clock.now());
    }
    return back;
  }

  /**
   * May probes race a request out now? Not after one was given up, until a request is
   * answered: a portal taken for back wrongly (a machine too busy to read its answers in
   * time) costs at most one request sent twice. Nor while the portal says it is busy: its
   * requests are slow, not hung, and probes would only add to its load.
   */
  get racing(): boolean {
    return !this.gaveUp && !this.busy;
  }

  /**
   * A request out when the portal came back was given up (its connection may be dead: a
   * portal back from a hang does not answer what it took before): it goes again at once. Not
   * counted as a failure.
   */
  supersede(route: Route): void {
    this.released();
    this.probesUnanswered = 0;
    this.gaveUp = true;
    this.due[route] = this.o.clock.now();
  }
}

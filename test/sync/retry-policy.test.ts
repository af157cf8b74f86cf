/**
 * The retry policy on a hand-moved clock: backoff with full jitter under its cap, Retry-After
 * as a floor, the circuit opening after repeated failures and letting one upload through at
 * its half-open time, and a probe that answers again after getting none letting uploads
 * resume at once.
 */
import { describe, expect, it } from 'vitest';
import { sleep, withDeadline } from '../../main/sync/clock';
import { DEFAULT_TUNING, type EngineTuning } from '../../main/sync/messages';
import { RetryPolicy } from '../../main/sync/retry-policy';
import { ManualClock } from './manual-clock';

const TUNING: EngineTuning = {
  ...DEFAULT_TUNING,
  backoffBaseMs: 1000,
  backoffCapMs: 8000,
  breakerThreshold: 3,
  halfOpenAfterMs: 30_000,
};
const unavailable = { kind: 'unavailable' as const, retryAfterMs: null };
const timeout = { kind: 'timeout' as const, retryAfterMs: null };

function policy(random: () => number, tuning: Partial<EngineTuning> = {}) {
  const clock = new ManualClock();
  let opened = 0;
  const p = new RetryPolicy({ tuning: { ...TUNING, ...tuning }, clock, random, onOpen: () => opened++ });
  return { clock, p, opened: () => opened };
}

describe('retry policy', () => {
  it('backs off exponentially with full jitter: each wait is random in [0, min(cap, base x 2^n))', () => {
    const high = policy(() => 0.999_999, { breakerThreshold: 100 });
    const waits = Array.from({ length: 6 }, () => high.p.retryAfterFailure('push', unavailable));
    expect(waits).toEqual([999, 1999, 3999, 7999, 7999, 7999]);
    const low = policy(() => 0, { breakerThreshold: 100 });
    expect(low.p.retryAfterFailure('push', unavailable)).toBe(0);
    const mid = policy(() => 0.5, { breakerThreshold: 100 });
    expect([1, 2, 3].map(() => mid.p.retryAfterFailure('push', unavailable))).toEqual([500, 1000, 2000]);
  });

  it('lets a second upload go behind the first only while the portal answers: not after any failure, nor with the circuit open, until the next answer', () => {
    const { p } = policy(() => 0.5, { breakerThreshold: 2 });
    expect(p.answering).toBe(true);
    p.requestFailed();
    p.retryAfterFailure('push', unavailable);
    expect(p.answering).toBe(false);
    p.answered('push');
    expect(p.answering).toBe(true);
    // a roster pull failing says the same of the portal
    p.requestFailed();
    p.retryAfterFailure('roster', unavailable);
    expect(p.answering).toBe(false);
    p.requestFailed();
    expect(p.circuit).toBe('open');
    expect(p.answering).toBe(false);
    p.answered('push');
    expect(p.answering).toBe(true);
  });

  it('plans the next attempt on the monotonic clock and starts the backoff again after an answer', async () => {
    const { clock, p } = policy(() => 0.5, { breakerThreshold: 100 });
    await clock.advance(10_000);
    p.retryAfterFailure('push', unavailable);
    p.retryAfterFailure('push', unavailable);
    expect(p.dueAt('push')).toBe(11_000);
    expect(p.failuresOf('push')).toBe(2);
    p.answered('push');
    expect(p.failuresOf('push')).toBe(0);
    expect(p.dueAt('push')).toBe(0);
    expect(p.retryAfterFailure('push', unavailable)).toBe(500);
  });

  it('uploads and roster pulls back off apart; a roster page answering does not reset its backoff', () => {
    const { p } = policy(() => 0.5, { breakerThreshold: 100 });
    p.retryAfterFailure('roster', unavailable);
    p.retryAfterFailure('roster', unavailable);
    expect(p.retryAfterFailure('push', unavailable)).toBe(500);
    p.answered('roster');
    expect(p.retryAfterFailure('roster', unavailable)).toBe(2000);
    p.rosterPulled();
    expect(p.retryAfterFailure('roster', unavailable)).toBe(500);
  });

  it("takes the portal's Retry-After as a floor with the jitter on top, and sends nothing at all before it", () => {
    const { p } = policy(() => 0.5, { breakerThreshold: 100 });
    const wait = p.retryAfterFailure('push', { kind: 'unavailable', retryAfterMs: 5000 });
    expect(wait).toBe(5500);
    expect(p.dueAt('push')).toBe(5500);
    // the roster too waits for the quiet the portal asked for
    expect(p.dueAt('roster')).toBe(5000);
  });

  it('caps a huge Retry-After at an hour', () => {
    const { p } = policy(() => 0.5, { breakerThreshold: 100 });
    expect(p.retryAfterFailure('push', { kind: 'unavailable', retryAfterMs: 10 * 3_600_000 })).toBe(3_600_000);
  });

  it('opens the circuit after the threshold of failures in a row, refuses until its half-open time, then lets one request through', async () => {
    const { clock, p, opened } = policy(() => 0.5);
    for (let i = 0; i < 3; i++) {
      expect(p.admit()).toBe(true);
      p.requestFailed();
      p.retryAfterFailure('push', unavailable);
    }
    expect(p.circuit).toBe('open');
    expect(opened()).toBe(1);
    // the next attempt is planned no earlier than the half-open time
    expect(p.dueAt('push')).toBe(30_000);
    expect(p.admit()).toBe(false);
    await clock.advance(29_999);
    expect(p.admit()).toBe(false);
    await clock.advance(1);
    expect(p.admit()).toBe(true);
    expect(p.circuit).toBe('half_open');
    expect(p.admit()).toBe(false); // one at a time
    // the one request fails: open again for another half-open period
    p.requestFailed();
    expect(p.circuit).toBe('open');
    expect(opened()).toBe(2);
    await clock.advance(30_000);
    expect(p.admit()).toBe(true);
    p.answered('push');
    expect(p.circuit).toBe('closed');
    expect(p.admit()).toBe(true);
    expect(p.admit()).toBe(true);
  });

  it('a success between failures starts the count again', () => {
    const { p } = policy(() => 0.5);
    p.requestFailed();
    p.requestFailed();
    p.answered('roster');
    p.requestFailed();
    p.requestFailed();
    expect(p.circuit).toBe('closed');
    p.requestFailed();
    expect(p.circuit).toBe('open');
  });

  it('"sync now" lets one request through an open circuit at once; it failing opens the circuit again', () => {
    const { p } = policy(() => 0.5);
    for (let i = 0; i < 3; i++) p.requestFailed();
    expect(p.admit()).toBe(false);
    p.trialNow();
    expect(p.admit()).toBe(true);
    expect(p.admit()).toBe(false);
    p.requestFailed();
    expect(p.circuit).toBe('open');
  });

  it('probes only while uploads get no answer (a timeout, the network), and not before a Retry-After', async () => {
    const { clock, p } = policy(() => 0.5, { breakerThreshold: 100, probeEveryMs: 2000 });
    expect(p.probing).toBe(false);
    p.retryAfterFailure('push', unavailable);
    expect(p.probing).toBe(false); // the portal answered, busy: no probe
    p.retryAfterFailure('push', timeout);
    expect(p.probing).toBe(true);
    expect(p.probeDueAt()).toBe(0);
    p.probeStarted();
    expect(p.probeDueAt()).toBe(2000);
    await clock.advance(2000);
    p.retryAfterFailure('push', { kind: 'network', retryAfterMs: 9000 });
    expect(p.probeDueAt()).toBe(11_000);
    p.answered('push');
    expect(p.probing).toBe(false);
    expect(p.probeDueAt()).toBe(Infinity);
  });

  it('a probe answering after one got no answer closes the wait: the circuit lets an upload through and it is due now', async () => {
    const { clock, p } = policy(() => 0.5);
    for (let i = 0; i < 3; i++) {
      p.requestFailed();
      p.retryAfterFailure('push', timeout);
    }
    expect(p.circuit).toBe('open');
    expect(p.dueAt('push')).toBe(30_000);
    await clock.advance(4000);
    expect(p.probeEnded(false)).toBe(false);
    expect(p.probeEnded(false)).toBe(false);
    expect(p.admit()).toBe(false);
    await clock.advance(2000);
    expect(p.probeEnded(true)).toBe(true);
    expect(p.dueAt('push')).toBe(6000);
    expect(p.admit()).toBe(true);
    expect(p.admit()).toBe(false);
  });

  it('one probe without an answer is not silence (a busy machine can read an answer late)', () => {
    const { p } = policy(() => 0.5);
    expect(p.probeEnded(false)).toBe(false);
    expect(p.probeEnded(true)).toBe(false);
    expect(p.probeEnded(false)).toBe(false);
    expect(p.probeEnded(false)).toBe(false);
    expect(p.probeEnded(true)).toBe(true);
  });

  it('no probes race requests while the portal says it is busy, until it answers', () => {
    const { p } = policy(() => 0.5, { breakerThreshold: 100 });
    expect(p.racing).toBe(true);
    p.retryAfterFailure('push', { kind: 'unavailable', retryAfterMs: 1000 });
    expect(p.racing).toBe(false);
    p.retryAfterFailure('push', timeout);
    expect(p.racing).toBe(false);
    p.answered('push');
    expect(p.racing).toBe(true);
    // the open circuit's refusal says nothing about the portal
    p.retryAfterFailure('push', unavailable, true);
    expect(p.racing).toBe(true);
  });

  it('a probe that answers from the start changes nothing: a portal that answers probes while uploads hang keeps its backoff', async () => {
    const { clock, p } = policy(() => 0.5);
    for (let i = 0; i < 3; i++) {
      p.requestFailed();
      p.retryAfterFailure('push', timeout);
    }
    await clock.advance(2000);
    expect(p.probeEnded(true)).toBe(false);
    expect(p.dueAt('push')).toBe(30_000);
    expect(p.admit()).toBe(false);
  });

  it('a request given up because the portal is back goes again at once, uncounted, and no other is given up until one is answered', () => {
    const { p } = policy(() => 0.5);
    p.requestFailed();
    p.retryAfterFailure('roster', timeout);
    expect(p.dueAt('roster')).toBe(500);
    expect(p.probeEnded(false)).toBe(false);
    expect(p.racing).toBe(true);
    p.supersede('roster');
    expect(p.dueAt('roster')).toBe(0);
    expect(p.failuresOf('roster')).toBe(1);
    expect(p.circuit).toBe('closed');
    expect(p.probeEnded(true)).toBe(false);
    // one request given up per episode: no more races until a request is answered
    expect(p.racing).toBe(false);
    p.answered('roster');
    expect(p.racing).toBe(true);
  });
});

describe('clock helpers', () => {
  it('a deadline on the clock ends a request that never answers, at the deadline and not before', async () => {
    const clock = new ManualClock();
    let aborted: unknown = null;
    const never = (signal: AbortSignal) =>
      new Promise<never>(() => signal.addEventListener('abort', () => (aborted = signal.reason)));
    const outcome = withDeadline(clock, 2000, never, () => new Error('no answer within 2 s')).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    await clock.advance(1999);
    expect(aborted).toBeNull();
    await clock.advance(1);
    expect(await outcome).toBe('no answer within 2 s');
    expect((aborted as Error).message).toBe('no answer within 2 s');
    expect(clock.nextAt()).toBeNull();
  });

  it('an answer before the deadline clears its timer', async () => {
    const clock = new ManualClock();
    expect(
      await withDeadline(
        clock,
        2000,
        async () => 'ok',
        () => new Error('late'),
      ),
    ).toBe('ok');
    expect(clock.nextAt()).toBeNull();
  });

  it('sleep ends at its time on the clock, or at once when aborted', async () => {
    const clock = new ManualClock();
    let woke = false;
    void sleep(clock, 1000).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    expect(woke).toBe(true);
    const stop = new AbortController();
    let early = false;
    void sleep(clock, 60_000, stop.signal).then(() => (early = true));
    stop.abort();
    await clock.advance(0);
    expect(early).toBe(true);
    expect(clock.nextAt()).toBeNull();
  });

  it('the manual wall clock can be set back without moving monotonic time', async () => {
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    await clock.advance(5000);
    clock.setWall(new Date('2026-03-01T09:00:00Z'));
    expect(clock.now()).toBe(5000);
    expect(clock.date().toISOString()).toBe('2026-03-01T09:00:00.000Z');
  });
});

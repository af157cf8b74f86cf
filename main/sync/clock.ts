/**
 * Time as the sync engine sees it: a monotonic clock for every wait and deadline, the wall
 * clock for what it records and for the centre's day, and timers. The product uses the real
 * one; tests pass a manual clock and move time themselves, so no test waits for a backoff.
 */

/** Cancels a scheduled call (nothing happens if it has run already). */
export type Cancel = () => void;

export interface Clock {
  /**
   * Milliseconds on a monotonic clock. Waits are planned on it: the PC's wall clock can be
   * corrected backwards (NTP, a hand-set clock) and must not stall uploads for as long as the jump.
   */
  now(): number;
  /** The wall clock: timestamps recorded and shown, and the centre's day. */
  date(): Date;
  /** Calls `fn` once, `ms` from now on the monotonic clock. */
  schedule(ms: number, fn: () => void): Cancel;
}

export const realClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  schedule(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    // a wait alone does not keep the process (or the worker thread) alive: its owner does
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/** A clock that reads the wall time from `date` and keeps `base`'s monotonic time and timers. */
export function withWallClock(base: Clock, date: () => Date): Clock {
  return { now: () => base.now(), date, schedule: (ms, fn) => base.schedule(ms, fn) };
}

/**
 * Resolves after `ms` on `clock`, or at once when `signal` aborts (without throwing): the
 * caller looks at why it woke.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.schedule(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` under a hard deadline on `clock`: the signal given to `fn` aborts at the deadline
 * (or when `outer` aborts), and the promise rejects with `onDeadline()` at the deadline at once,
 * whether or not `fn` has noticed.
 */
export function withDeadline<T>(
  clock: Clock,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  onDeadline: () => Error,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cancel = clock.schedule(ms, () => {
      if (settled) return;
      settled = true;
      const e = onDeadline();
      controller.abort(e);
      reject(e);
    });
    let running: Promise<T>;
    try {
      running = fn(signal);
    } catch (e) {
      running = Promise.reject(e);
    }
    running.then(
      (v) => {
        if (settled) return;
        settled = true;
        cancel();
        resolve(v);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        cancel();
        reject(e);
      },
    );
  });
}

/**
 * Where a transport's deadlines come from. The real timers by default; tests pass timers they
 * move by hand, so a deadline is checked against the time they say, not against how fast the
 * machine running them happens to be.
 */
export interface TransportTimers {
  /** runs `fn` once, `ms` from now; the returned function cancels it */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: TransportTimers = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * A clock the test moves by hand: the sync engine's waits, deadlines and probes fire when the
 * test advances time, not when real time passes. Requests to a loopback portal still take
 * real (short) time: `advanceUntil` gives them a bounded moment between steps.
 */
import type { Cancel, Clock } from '../../main/sync/clock';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** One turn for loopback I/O to land (a request sent, an answer read): a bounded real wait. */
export const ioTurn = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ManualClock implements Clock {
  private t = 0;
  private wall: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: Date = new Date()) {
    this.wall = start.getTime();
  }

  now(): number {
    return this.t;
  }

  date(): Date {
    return new Date(this.wall + this.t);
  }

  /** Sets the wall clock (an NTP correction, a hand-set clock); monotonic time does not move. */
  setWall(d: Date): void {
    this.wall = d.getTime() - this.t;
  }

  schedule(ms: number, fn: () => void): Cancel {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** When the earliest timer falls due, or null when none is set. */
  nextAt(): number | null {
    return this.timers.reduce<number | null>((m, x) => (m === null || x.at < m ? x.at : m), null);
  }

  /**
   * Moves time forward by `ms`, running each timer that falls due on the way in order, with
   * the promise callbacks they start run in between.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    await settle();
  }

  /** Advances by `ms` in steps of `stepMs`, with an I/O turn after each. */
  async advanceBy(ms: number, { stepMs = 10 } = {}): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      await this.advance(Math.min(stepMs, end - this.t));
      await ioTurn();
    }
  }

  /**
   * Advances in steps of `stepMs` (with an I/O turn after each) until `done()` holds; throws
   * when it does not within `maxMs` of clock time. Returns the clock time it took.
   */
  async advanceUntil(done: () => boolean, { stepMs = 10, maxMs = 60_000 } = {}): Promise<number> {
    const start = this.t;
    for (;;) {
      if (done()) return this.t - start;
      if (this.t - start >= maxMs) throw new Error(`not within ${maxMs} ms of clock time`);
      await this.advance(stepMs);
      await ioTurn();
      if (done()) return this.t - start;
    }
  }
}

/** Lets queued promise callbacks and immediates run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

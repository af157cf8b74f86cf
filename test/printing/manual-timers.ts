import type { TransportTimers } from '../../main/printing/transports';

/**
 * Timers a test moves by hand: nothing fires until `advance` says its time has come. Tests
 * assert a deadline on this time, not on how long the machine took.
 */
export class ManualTimers implements TransportTimers {
  /** milliseconds since the start */
  now = 0;
  private timers: Array<{ at: number; fn: () => void }> = [];

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.now + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** how far ahead each timer still waiting is, soonest first */
  get pending(): number[] {
    return this.timers.map((t) => t.at - this.now).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, firing what falls due in order, then lets the I/O they start run a turn. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = until;
    await settle();
  }
}

/** Lets promise callbacks and one turn of I/O callbacks run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits (bounded) for something the test cannot be told about, such as bytes reaching a printer. */
export async function until(ready: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`still waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether a promise has settled yet, without waiting for it. */
export function tracked<T>(p: Promise<T>): { readonly settled: boolean; promise: Promise<T> } {
  let settled = false;
  const promise = p.finally(() => {
    settled = true;
  });
  promise.catch(() => undefined);
  return {
    get settled() {
      return settled;
    },
    promise,
  };
}

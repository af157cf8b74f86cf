/**
 * What keeps a portal process safe to run behind a gateway: the health answer that asks the
 * database, and a graceful stop that refuses new requests, lets the ones in flight finish
 * (a push already inside its transaction commits and is answered), then closes.
 */
import type { ErrorBody } from '../common/sync-protocol';

/** how long the health answer waits for the database's one round trip */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;
/** how long a graceful stop lets requests in flight finish before it closes anyway */
export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;
/** what a refusal while the process stops says to wait (another process behind the gateway takes it) */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 2;

export const shuttingDown: ErrorBody = {
  error: 'shutting_down',
  message: 'this portal process is stopping: send again after Retry-After (another process may take it)',
};

/** The health answer when the database cannot be reached: an error body a counter reads, and what a gateway reads. */
export const databaseUnavailableHealth = {
  ok: false as const,
  database: 'unavailable' as const,
  error: 'database_unavailable',
  message: 'the portal cannot reach its database: try again shortly',
};

/** true when `check` resolves within `timeoutMs`; false when it throws or takes longer. */
export async function databaseReachable(check: () => Promise<void>, timeoutMs = HEALTH_CHECK_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Work in flight (requests, pushes), counted so that a graceful stop can wait until none is left. */
export class InFlight {
  private active = 0;
  private readonly waiters = new Set<() => void>();
  /** set once a stop has begun: new requests are refused */
  draining = false;

  get count(): number {
    return this.active;
  }

  /** one more piece of work; the function returned ends it (once, however often it is called) */
  enter(): () => void {
    this.active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active--;
      if (this.active === 0) for (const wake of [...this.waiters]) wake();
    };
  }

  /** resolves true once nothing is in flight, or false when `timeoutMs` passes first */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(value);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }
}

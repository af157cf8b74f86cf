/**
 * The bandwidth cap on update downloads. One RateLimiter is shared by every response the
 * updater reads (metadata, signature, file), so the cap holds for the total. The feed's HTTP
 * client (http-executor.ts) sits between the connection and electron-updater's checksum and
 * file streams and holds each chunk back until the budget allows it; while it waits, the
 * response is paused and stops reading the connection, so TCP slows the server down: the cap
 * is on the network, not only on the disk.
 */

export class RateLimiter {
  /** when (ms, monotonic) the bytes already let through will have been "paid for" */
  private paidUntil = 0;

  constructor(
    readonly bytesPerSecond: number,
    /** how far ahead of the budget a burst may run */
    private readonly burstMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(bytesPerSecond > 0)) throw new Error('a download cap must be above 0 bytes per second');
  }

  /** Takes `bytes` from the budget; returns how long (ms) the caller must wait before passing them on. */
  take(bytes: number): number {
    const now = this.now();
    this.paidUntil = Math.max(this.paidUntil, now) + (bytes / this.bytesPerSecond) * 1000;
    return Math.max(0, this.paidUntil - now - this.burstMs);
  }
}

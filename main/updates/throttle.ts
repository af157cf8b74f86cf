/**
 * The bandwidth cap on update downloads. One RateLimiter is shared by every response the
 * updater reads (metadata, signature, file), so the cap holds for the total. A ThrottleStream
 * sits between the socket and electron-updater's checksum and file streams and delays each
 * chunk until the budget allows it; while it waits, the response is paused and stops reading
 * the socket, so TCP slows the server down: the cap is on the network, not only on the disk.
 */
import { Transform, type TransformCallback } from 'node:stream';

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

export class ThrottleStream extends Transform {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly limiter: RateLimiter) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const wait = this.limiter.take(chunk.length);
    if (wait < 1) {
      callback(null, chunk);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      callback(null, chunk);
    }, wait);
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    callback(error);
  }
}

/** Request counters for tests and benchmarks (`GET /admin/stats`): /v1 traffic only, admin calls are not counted. */
import { performance } from 'node:perf_hooks';
import type { PushResult } from '../common/sync-protocol';

export interface PortalStatsSnapshot {
  /** /v1 requests started (health included) */
  requests: number;
  /** push requests that passed validation */
  pushes: number;
  /** mutations in those pushes */
  pushedMutations: number;
  /** answers by HTTP status ("200", "409", ...); dropped and hung requests have none */
  byStatus: Record<string, number>;
  /** push results by status */
  results: Record<PushResult['status'], number>;
  /** most requests started within any one-second window */
  peakRequestsPerSecond: number;
  inFlight: number;
  inFlightMax: number;
}

export class PortalStats {
  private requests = 0;
  private pushes = 0;
  private pushedMutations = 0;
  private byStatus: Record<string, number> = {};
  private byResult: Record<PushResult['status'], number> = { applied: 0, duplicate: 0, rejected: 0 };
  private peak = 0;
  private inFlightMax = 0;
  /** start times (ms, monotonic) of the requests in the last second */
  private window: number[] = [];
  private windowStart = 0;
  inFlight = 0;

  started(): void {
    this.requests++;
    this.inFlight++;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    const now = performance.now();
    this.window.push(now);
    while (this.windowStart < this.window.length && this.window[this.windowStart]! <= now - 1000) this.windowStart++;
    if (this.windowStart > 4096) {
      this.window = this.window.slice(this.windowStart);
      this.windowStart = 0;
    }
    this.peak = Math.max(this.peak, this.window.length - this.windowStart);
  }

  /** A request refused at once under load (503 busy): counted as started and answered. */
  shed(): void {
    this.started();
    this.answered(503);
    this.ended();
  }

  ended(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  answered(status: number): void {
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
  }

  pushed(mutations: number): void {
    this.pushes++;
    this.pushedMutations += mutations;
  }

  results(results: readonly PushResult[]): void {
    for (const r of results) this.byResult[r.status]++;
  }

  snapshot(): PortalStatsSnapshot {
    return {
      requests: this.requests,
      pushes: this.pushes,
      pushedMutations: this.pushedMutations,
      byStatus: { ...this.byStatus },
      results: { ...this.byResult },
      peakRequestsPerSecond: this.peak,
      inFlight: this.inFlight,
      inFlightMax: this.inFlightMax,
    };
  }

  /** Clears the counters; requests still being handled stay counted in `inFlight`. */
  reset(): void {
    this.requests = 0;
    this.pushes = 0;
    this.pushedMutations = 0;
    this.byStatus = {};
    this.byResult = { applied: 0, duplicate: 0, rejected: 0 };
    this.peak = 0;
    this.inFlightMax = this.inFlight;
    this.window = [];
    this.windowStart = 0;
  }
}

/**
 * How late the portal's event loop runs, as load shedding reads it: sampled every 100 ms, the
 * mean delay of the loop's turns since the last sample, or, when the loop was held so long that
 * it took no turn that could be timed, how late the sample itself came.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** the histogram's timer period (ms); its samples include it, so it is taken off */
const RESOLUTION_MS = 10;
export const SAMPLE_INTERVAL_MS = 100;

export class LoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly timer: NodeJS.Timeout;
  private due: number;
  private sampled = 0;

  constructor(private readonly sampleIntervalMs = SAMPLE_INTERVAL_MS) {
    this.histogram.enable();
    this.due = performance.now() + sampleIntervalMs;
    this.timer = setInterval(() => this.sample(), sampleIntervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.due);
    this.due = now + this.sampleIntervalMs;
    // The histogram times the gap between two of its turns: its first turn after a reset records
    // nothing, so a hold that starts before that turn leaves it empty (mean NaN) however short
    // the hold was. That is not an endless delay: the sample's own lateness measures the hold.
    this.sampled = this.histogram.count > 0 ? Math.max(0, this.histogram.mean / 1e6 - RESOLUTION_MS) : late;
    this.histogram.reset();
  }

  /** ms: the loop's delay at the last sample */
  get ms(): number {
    return this.sampled;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

/**
 * Shared pieces of the benchmarks: what a result is, timing loops and summary statistics.
 * A benchmark measures and reports; it never fails because a number is high.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Target {
  /** the metric meets the target when `value <= max` */
  max: number;
}

export interface Metric {
  /** stable snake_case name with its unit last, e.g. `search_p99_ms` */
  metric: string;
  value: number;
  unit: string;
  target?: Target;
  /** how it was measured (samples, runs), for the table only */
  note?: string;
}

export interface BenchContext {
  /** a fresh temporary folder; removed by the runner at the end */
  tempDir(label: string): string;
  /** progress for the person watching (stderr, so `--json` output stays clean) */
  progress(message: string): void;
}

/** One benchmark: a name to select it by (`--only`) and a function that returns its metrics. */
export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<Metric[]>;
}

/** Nearest-rank percentile of already sorted numbers (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: median(s),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

/**
 * Runs `fn(i)` for `warmup` rounds untimed, then `samples` rounds timed one by one, and returns
 * the times in milliseconds. `fn` gets the round number, counting on through the warm-up.
 */
export async function timeEach(
  samples: number,
  warmup: number,
  fn: (i: number) => unknown | Promise<unknown>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn(warmup + i);
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * A full garbage collection of this process's heap now, so that a measurement that follows does
 * not pay for the garbage of what ran before it (module loading, earlier benchmarks). V8 offers
 * it only behind a flag, set here for this process.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * A loop delay as monitorEventLoopDelay keeps it (ns) as the time the loop was held past its
 * timer (ms): its histogram counts a timer's whole interval, so the interval is taken off.
 */
export function heldMs(delayNs: number, resolutionMs = 1): number {
  return Math.max(0, delayNs / 1e6 - resolutionMs);
}

/**
 * Watches the main loop from now until `stop()` with a `resolutionMs` timer
 * (monitorEventLoopDelay): its longest hold and its p99, each less the timer's own interval.
 */
export function loopHoldWatch(resolutionMs = 1): { stop(): { maxMs: number; p99Ms: number } } {
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  return {
    stop() {
      delay.disable();
      return { maxMs: heldMs(delay.max, resolutionMs), p99Ms: heldMs(delay.percentile(99), resolutionMs) };
    },
  };
}

/**
 * The most CPU time the main thread spent between two turns of a 1 ms probe from now until
 * `stop()` (a hold, without the waits for a core); null where the system does not say.
 */
export function cpuHoldProbe(): { stop(): number | null } {
  const cpu = mainThreadCpuMs();
  let most = 0;
  let last = cpu?.() ?? 0;
  const probe = setInterval(() => {
    if (!cpu) return;
    const now = cpu();
    most = Math.max(most, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(probe);
      return cpu ? most : null;
    },
  };
}

/**
 * The main thread's CPU time so far in milliseconds (Linux: the scheduler's run time of the
 * thread whose id is the process id), or null where the system does not say. Unlike wall time,
 * it does not grow while the thread waits for a core, which on a busy PC is most of a long delay.
 */
export function mainThreadCpuMs(): (() => number) | null {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  const read = () => Number(readFileSync(file, 'utf8').split(' ')[0]) / 1e6;
  try {
    return Number.isFinite(read()) ? read : null;
  } catch {
    return null;
  }
}

/**
 * As `timeEach`, and the main thread's CPU time of each timed round too (empty where the
 * system does not say): on a busy PC the CPU time shows what the code costs, the wall time
 * also how long it waited for a core or the disk.
 */
export async function timeEachWithCpu(
  samples: number,
  warmup: number,
  fn: (i: number) => unknown | Promise<unknown>,
): Promise<{ wall: number[]; cpu: number[] }> {
  const clock = mainThreadCpuMs();
  for (let i = 0; i < warmup; i++) await fn(i);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < samples; i++) {
    // each action a task of its own, as the page's calls come: what else the loop has (a sync
    // worker's report) runs between two actions, as it would at a counter
    await new Promise((next) => setImmediate(next));
    const c0 = clock?.() ?? 0;
    const t0 = performance.now();
    await fn(warmup + i);
    wall.push(performance.now() - t0);
    if (clock) cpu.push(clock() - c0);
  }
  return { wall, cpu };
}

/**
 * The mean and p50 of the CPU times as `<name>_cpu_mean_ms` and `<name>_cpu_p50_ms` (none
 * without CPU times). The scheduler adds up a thread's time in ticks of a few milliseconds, so
 * one call's figure is off by up to a tick: a high percentile says more about the tick than the
 * call, while the mean over many calls is right.
 */
export function cpuMetrics(name: string, samples: readonly number[]): Metric[] {
  if (samples.length === 0) return [];
  const s = summarize(samples);
  const note = `main thread CPU time (/proc schedstat, counted in scheduler ticks), ${s.n} samples`;
  return [
    { metric: `${name}_cpu_mean_ms`, value: round(s.mean), unit: 'ms', note },
    { metric: `${name}_cpu_p50_ms`, value: round(s.p50), unit: 'ms', note },
  ];
}

/** Milliseconds `fn` takes, once. */
export async function timeOnce(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** p50 and p99 of `samples` as two metrics `<name>_p50_ms` and `<name>_p99_ms`. */
export function latencyMetrics(name: string, samples: readonly number[], p99Target?: number): Metric[] {
  const s = summarize(samples);
  const note = `${s.n} samples, p90 ${s.p90.toFixed(3)} ms, max ${s.max.toFixed(2)} ms`;
  return [
    { metric: `${name}_p50_ms`, value: round(s.p50), unit: 'ms', note },
    {
      metric: `${name}_p99_ms`,
      value: round(s.p99),
      unit: 'ms',
      note,
      ...(p99Target !== undefined ? { target: { max: p99Target } } : {}),
    },
  ];
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export const met = (m: Metric): boolean | null => (m.target ? m.value <= m.target.max : null);

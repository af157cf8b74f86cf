/**
 * Background worker threads (the speech worker, the slip worker) step aside for the main loop.
 * On a 2-core counter PC a worker busy speaking fills one core; the main loop, waking on the
 * other behind V8's own background threads (its collector, its compiler), could wait several
 * milliseconds for a turn.
 *
 * Two levels, on Linux only (elsewhere a thread keeps the process's priority):
 *  - `nice`: 10 nicer than the process (a tenth of a core's share beside a busy thread);
 *  - `idle`: that, and the idle scheduling class (SCHED_IDLE, set by util-linux's `chrt`): the
 *    core it holds counts as free, so a waking thread of the counter is put there at once. The
 *    price: beside other programs that keep every core busy (a backup, an indexer, a package
 *    upgrade, even at nice 19) it runs only in what they leave, and an unprivileged thread
 *    cannot leave the class again. The speech service watches for that (a call kept waiting)
 *    and starts its worker at `nice` from then on.
 *
 * A thread started from one that stepped aside inherits its level; the workers start none.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer than the process a thread that steps aside runs. */
export const BACKGROUND_NICE = 10;
const MAX_NICE = 19;

/** util-linux's chrt, by its full path (never looked up on PATH). */
export const CHRT_FILES = ['/usr/bin/chrt', '/bin/chrt'] as const;

/**
 * Where the calling thread stands: `idle` and `nice` as above; `process` on the main thread
 * (never lowered), off Linux, or where the thread's priority cannot be changed.
 */
export type BackgroundLevel = 'idle' | 'nice' | 'process';

/** The calling thread's own ID on Linux; null on the main thread (never lowered) or elsewhere. */
export function ownThreadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    // "<pid>/task/<tid>": this process's own, nothing else
    const match = /^(\d+)\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    if (!match || Number(match[1]) !== process.pid) return null;
    const tid = Number(match[2]);
    return tid !== process.pid ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Steps the calling worker thread aside for the main loop: `nice`, then `idle` too when asked
 * (`idle: false` keeps it at `nice`). Returns the level reached.
 */
export function stepAside({ idle = true }: { idle?: boolean } = {}): BackgroundLevel {
  const tid = ownThreadId();
  if (tid === null) return 'process';
  let level: BackgroundLevel = 'process';
  try {
    setPriority(tid, Math.min(MAX_NICE, getPriority(tid) + BACKGROUND_NICE));
    level = 'nice';
  } catch {
    // not allowed here: the idle class may still be
  }
  if (!idle) return level;
  const chrt = CHRT_FILES.find((file) => existsSync(file));
  if (!chrt) return level;
  try {
    // chrt runs as this same user, which may always put its own threads in the idle class
    execFileSync(chrt, ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', env: {}, timeout: 5000, killSignal: 'SIGKILL' });
    return 'idle';
  } catch {
    // refused (a confined process, a chrt without --idle): as far as it got
    return level;
  }
}

/** The calling thread's CPU time so far (ms), from Linux's /proc/thread-self/schedstat; null elsewhere. */
export function threadCpuMs(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/**
 * Background worker threads (the speech worker, the slip worker) step aside for the rest of the
 * counter. On a 2-core counter PC, a worker busy speaking or drawing fills one core; the main
 * loop, waking on the other behind V8's own background threads (its collector, its compiler),
 * could wait several milliseconds for a turn. On Linux a thread in the idle scheduling class
 * (SCHED_IDLE) leaves its core to any other thread the moment one wakes: the core it holds counts
 * as free, so the main loop is put there at once. Elsewhere (Windows, macOS) the thread keeps the
 * process's priority.
 *
 * The price: beside other programs that keep every core busy, an idle-class thread runs only
 * in what they leave. A counter whose own main loop and page share the cores with it still
 * leaves it most of one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** How much lower than the process's threads a background thread runs where the idle class cannot be had. */
export const BACKGROUND_NICE = 10;

/** util-linux's chrt, by its full path (never looked up on PATH). */
const CHRT = ['/usr/bin/chrt', '/bin/chrt'];

/**
 * Where the calling thread now stands: `idle` (Linux, idle scheduling class, nice 10), `nice`
 * (Linux, nice 10: chrt missing or refused), `process` (the main thread, or a system without
 * thread IDs: nothing changed).
 */
export type BackgroundLevel = 'idle' | 'nice' | 'process';

/** The calling thread's own ID on Linux; null on the main thread (never lowered) or elsewhere. */
export function ownThreadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 && tid !== process.pid ? tid : null;
  } catch {
    return null;
  }
}

/** Puts the calling worker thread behind every other thread of the process (see above). */
export function runInBackground(): BackgroundLevel {
  const tid = ownThreadId();
  if (tid === null) return 'process';
  try {
    setPriority(tid, BACKGROUND_NICE);
  } catch {
    return 'process';
  }
  const chrt = CHRT.find((file) => existsSync(file));
  if (!chrt) return 'nice';
  try {
    // a thread may always lower itself: no privilege needed
    execFileSync(chrt, ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5000 });
    return 'idle';
  } catch {
    return 'nice';
  }
}

/**
 * The threads of this process as Linux shows them (/proc/self/task/<tid>/stat): each one's
 * nice value (field 19) and scheduling policy (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { BACKGROUND_NICE, CHRT_FILES } from '../../main/platform/background-thread';

export const SCHED_OTHER = 0;
export const SCHED_IDLE = 5;

export interface ThreadInfo {
  tid: number;
  nice: number;
  policy: number;
}

export const hasThreadIds = process.platform === 'linux' && existsSync('/proc/thread-self');

/** Whether this machine lets a thread into the idle class: chrt there, and it works (tried on a command of its own). */
export const idleClassWorks = ((): boolean => {
  const chrt = CHRT_FILES.find((f) => existsSync(f));
  if (!hasThreadIds || !chrt) return false;
  try {
    execFileSync(chrt, ['--idle', '0', 'true'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
})();

export function threadsOfThisProcess(): ThreadInfo[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // the fields after the command name, from field 3 (state) on
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid: Number(tid), nice: Number(fields[16]), policy: Number(fields[38]) }];
    } catch {
      // ended in between
      return [];
    }
  });
}

export const mainThread = (): ThreadInfo => threadsOfThisProcess().find((t) => t.tid === process.pid)!;

/**
 * Threads that stepped aside: nicer than the main thread by BACKGROUND_NICE (or at the most, 19),
 * in the idle class (`idle`, where this machine allows it) or not (`nice`).
 */
export function steppedAside(level: 'idle' | 'nice'): ThreadInfo[] {
  const main = mainThread();
  const policy = level === 'idle' && idleClassWorks ? SCHED_IDLE : SCHED_OTHER;
  return threadsOfThisProcess().filter((t) => t.nice >= Math.min(19, main.nice + BACKGROUND_NICE) && t.policy === policy);
}

/**
 * The threads of this process as Linux shows them (/proc/self/task/<tid>/stat): each one's
 * nice value (field 19) and scheduling policy (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const SCHED_IDLE = 5;

export interface ThreadInfo {
  tid: number;
  nice: number;
  policy: number;
}

export const hasThreadIds = existsSync('/proc/thread-self');
/** util-linux's chrt, which puts a thread in the idle class (main/platform/background-thread.ts) */
export const hasChrt = ['/usr/bin/chrt', '/bin/chrt'].some((f) => existsSync(f));

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

/** Threads that stepped aside: at least 10 nicer than the main thread, and in the idle class where chrt is there. */
export function backgroundThreads(): ThreadInfo[] {
  const main = mainThread();
  return threadsOfThisProcess().filter((t) => t.nice >= main.nice + 10 && (!hasChrt || t.policy === SCHED_IDLE));
}

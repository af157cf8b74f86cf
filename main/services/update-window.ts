/**
 * When a downloaded app update may install: nobody is signed in, and the counter is idle (no
 * ticket of this counter waiting or called for 10 minutes) or the day is closed; never in the
 * middle of a queue, never while someone works (a day is usually closed the next morning, with
 * operators signed in). A supervisor may postpone a ready update to the end of the day: not
 * before the centre's day is over (its midnight, or the day closed), and then only by the
 * same rule. The rule itself (`installWindow`) is pure, on the time it is given; `windowFacts`
 * reads what it needs from the store.
 */
import type { InstallWindow, UpdateStatus } from '../../common/updates';
import { addDays } from '../../common/rules/centre-day';
import type { Db } from '../store/database';
import {
  hasTicketAfter,
  lastClosedDay,
  postponedDay,
  postponedVersion,
  queueActivity,
  recordClosedDay,
  setPostponedVersion,
} from '../store/update-window';

/** How long after the last ticket waiting or called the counter counts as idle. */
export const QUIET_MINUTES = 10;
const MINUTE = 60_000;

/** What the rule looks at. */
export interface WindowFacts {
  /** someone is signed in at this counter (a locked session too: its operator has not signed out) */
  signedIn: boolean;
  /** a ticket of this counter is waiting or called now */
  queueOpen: boolean;
  /** the last time a ticket of this counter stopped waiting or being called (ISO), if lately */
  lastQueueActivityAt: string | null;
  /** a day was closed and this counter has given out no ticket since */
  dayClosed: boolean;
  /** the supervisor postponed the ready update to the end of the day, and that day is not over */
  postponed: boolean;
}

/**
 * May a ready update install at `now`? A ticket waiting or called stops it always; a
 * postponement holds until its day is over (the centre's midnight, or a day closed); someone
 * signed in stops it, even after the day is closed; with nobody signed in it may install once
 * the day is closed, or once the queue has been quiet for `QUIET_MINUTES`.
 */
export function installWindow(facts: WindowFacts, now: Date): InstallWindow {
  if (facts.queueOpen) return { mayInstall: false, reason: 'queue_active' };
  if (facts.postponed) return { mayInstall: false, reason: 'postponed' };
  if (facts.signedIn) return { mayInstall: false, reason: 'signed_in' };
  if (facts.dayClosed) return { mayInstall: true, reason: 'day_closed' };
  if (facts.lastQueueActivityAt !== null && now.getTime() - Date.parse(facts.lastQueueActivityAt) < QUIET_MINUTES * MINUTE) {
    return { mayInstall: false, reason: 'queue_active' };
  }
  return { mayInstall: true, reason: 'idle' };
}

/**
 * The facts of the rule from the store. `today`: the centre's day (null before the counter is
 * set up: no queue yet); `offered`: the version the updater offers now (a postponement holds for
 * that version only).
 */
export function windowFacts(
  db: Db,
  q: { deviceId: string; today: string | null; now: Date; signedIn: boolean; offered: string | null },
): WindowFacts {
  const since = new Date(q.now.getTime() - QUIET_MINUTES * MINUTE).toISOString();
  const activity = q.today
    ? queueActivity(db, { deviceId: q.deviceId, today: q.today, fromDay: addDays(q.today, -1), since })
    : { open: false, lastFinishedAt: null };
  const closed = lastClosedDay(db);
  return {
    signedIn: q.signedIn,
    queueOpen: activity.open,
    lastQueueActivityAt: activity.lastFinishedAt,
    dayClosed: closed !== null && !hasTicketAfter(db, q.deviceId, closed),
    postponed: isPostponed(db, q.offered, q.today),
  };
}

/**
 * Whether the supervisor postponed this offered version and its day is not over: a
 * postponement made on the centre's day `d` ends when the centre's day is no longer `d`.
 */
export function isPostponed(db: Db, offered: string | null, today: string | null): boolean {
  const v = postponedVersion(db);
  if (v === null || v !== offered) return false;
  const day = postponedDay(db);
  return day === null || today === null || today <= day;
}

/**
 * Postpones the offered version to the end of the centre's day `today`, or lifts the
 * postponement (null).
 */
export function postpone(db: Db, version: string | null, today: string | null): void {
  setPostponedVersion(db, version, version === null ? null : today);
}

/**
 * The updater told of a new status: a postponement of another version than the one offered
 * now is dropped (a new version is offered: the supervisor decides again). Answers whether it was.
 */
export function forgetStalePostponement(db: Db, status: UpdateStatus): boolean {
  const v = postponedVersion(db);
  if (v === null || status.version === null || status.version === v) return false;
  setPostponedVersion(db, null);
  return true;
}

/**
 * A day was closed: it counts for the window, and a postponement made on that day or before
 * ends with it (closing an older day leaves today's postponement alone: its day is not over).
 */
export function dayClosed(db: Db, day: string): void {
  db.transaction(() => {
    recordClosedDay(db, day);
    const postponedOn = postponedDay(db);
    if (postponedOn === null || postponedOn <= day) setPostponedVersion(db, null);
  }).immediate();
}

/** What a counter with no updater says (the web bridge, tests, an install updated by IT's own tools). */
export function updatesOff(currentVersion: string): UpdateStatus {
  return {
    phase: 'off',
    currentVersion,
    version: null,
    progressPercent: null,
    refusal: null,
    detail: null,
    checkedAt: null,
  };
}

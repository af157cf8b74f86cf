/**
 * What the counter reads to decide when a downloaded app update may install: this counter's
 * recent queue, the last day closed, and a supervisor's "postpone to the end of the day".
 * The last two are small facts in the meta table, so a restart keeps them.
 */
import type { Db } from './database';
import { preparedOnce } from './prepared';

/** Meta keys of the update window (the meta table's own module names the others). */
type UpdateMetaKey = 'updates.postponed_version' | 'updates.postponed_day' | 'updates.last_closed_day';

const statements = preparedOnce((db) => ({
  getMeta: db.prepare<[UpdateMetaKey], { value: string }>('SELECT value FROM meta WHERE key = ?'),
  setMeta: db.prepare<[UpdateMetaKey, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ),
  deleteMeta: db.prepare<[UpdateMetaKey]>('DELETE FROM meta WHERE key = ?'),
  // waiting or called now: today's, or another day's touched lately (a queue running past midnight)
  openTicket: db.prepare<{ deviceId: string; today: string; since: string; fromDay: string }, { found: number }>(
    `SELECT EXISTS (
       SELECT 1 FROM ticket
       WHERE day >= @fromDay AND status IN ('waiting', 'called') AND device_id = @deviceId
         AND (day = @today OR updated_at >= @since)
     ) AS found`,
  ),
  // the last moment a ticket stopped waiting or being called (served, no-show, cancelled)
  lastFinished: db.prepare<{ deviceId: string; since: string; fromDay: string }, { at: string | null }>(
    `SELECT max(finished_at) AS at FROM ticket
     WHERE day >= @fromDay AND finished_at >= @since AND device_id = @deviceId`,
  ),
  ticketAfter: db.prepare<{ deviceId: string; day: string }, { found: number }>(
    'SELECT EXISTS (SELECT 1 FROM ticket WHERE day > @day AND device_id = @deviceId) AS found',
  ),
}));

export interface QueueActivity {
  /** a ticket of this counter is waiting or called now */
  open: boolean;
  /** the latest time at or after `since` that a ticket of this counter stopped waiting or being called */
  lastFinishedAt: string | null;
}

/**
 * This counter's queue as the update window sees it. `fromDay`: the oldest day looked at
 * (yesterday: older tickets still open are left-overs of a day nobody closed, not a queue).
 */
export function queueActivity(db: Db, q: { deviceId: string; today: string; fromDay: string; since: string }): QueueActivity {
  const s = statements(db);
  return {
    open: s.openTicket.get(q)?.found === 1,
    lastFinishedAt: s.lastFinished.get({ deviceId: q.deviceId, since: q.since, fromDay: q.fromDay })?.at ?? null,
  };
}

/** Whether this counter has any ticket of a day after `day`. */
export function hasTicketAfter(db: Db, deviceId: string, day: string): boolean {
  return statements(db).ticketAfter.get({ deviceId, day })?.found === 1;
}

/** The latest day a supervisor closed at this counter, if any. */
export function lastClosedDay(db: Db): string | null {
  return statements(db).getMeta.get('updates.last_closed_day')?.value ?? null;
}

/** Records a closed day (a day older than the latest one closed changes nothing). */
export function recordClosedDay(db: Db, day: string): void {
  const last = lastClosedDay(db);
  if (last === null || day > last) statements(db).setMeta.run('updates.last_closed_day', day);
}

/** The version a supervisor postponed to the end of the day, if any. */
export function postponedVersion(db: Db): string | null {
  return statements(db).getMeta.get('updates.postponed_version')?.value ?? null;
}

/** The centre's day the postponement was made on (null: made before the day was kept, or none). */
export function postponedDay(db: Db): string | null {
  return statements(db).getMeta.get('updates.postponed_day')?.value ?? null;
}

/** Postpones `version` to the end of the centre's day `day`, or lifts the postponement (null). */
export function setPostponedVersion(db: Db, version: string | null, day: string | null = null): void {
  const s = statements(db);
  if (version === null) {
    s.deleteMeta.run('updates.postponed_version');
    s.deleteMeta.run('updates.postponed_day');
    return;
  }
  s.setMeta.run('updates.postponed_version', version);
  if (day === null) s.deleteMeta.run('updates.postponed_day');
  else s.setMeta.run('updates.postponed_day', day);
}

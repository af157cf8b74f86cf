import type { Db } from './database';
import { limited, preparedOnce } from './prepared';

/**
 * What a token slip reads besides its ticket: the issuing operator's login, how many wait
 * ahead, and the day's recent vaccinations (for the minutes per person).
 */
const statements = preparedOnce((db) => ({
  operatorLogin: db.prepare<[string], string>('SELECT login_id FROM operator WHERE id = ?').pluck(),
  waitingAheadInLane: db
    .prepare<[string, string, number], number>(
      "SELECT count(*) FROM ticket WHERE day = ? AND lane = ? AND status = 'waiting' AND queue_pos < ?",
    )
    .pluck(),
  priorityWaiting: db
    .prepare<[string], number>("SELECT count(*) FROM ticket WHERE day = ? AND lane = 'priority' AND status = 'waiting'")
    .pluck(),
  lastVaccinations: limited<[string], { vaccinated_at: string }>(
    db,
    `SELECT v.vaccinated_at FROM vaccination v JOIN ticket t ON t.id = v.ticket_id
       WHERE t.day = ? ORDER BY v.vaccinated_at DESC LIMIT ?`,
  ),
}));

/** The operator's login ID, printed on the slip; undefined for an unknown operator. */
export function operatorLoginOf(db: Db, operatorId: string): string | undefined {
  return statements(db).operatorLogin.get(operatorId);
}

/** How many of the day's waiting tickets in `lane` stand before queue position `queuePos`. */
export function waitingAheadInLane(db: Db, day: string, lane: string, queuePos: number): number {
  return statements(db).waitingAheadInLane.get(day, lane, queuePos) ?? 0;
}

/** How many of the day's priority tickets are waiting. */
export function priorityWaitingCount(db: Db, day: string): number {
  return statements(db).priorityWaiting.get(day) ?? 0;
}

/** The times (ISO) of the day's last `limit` vaccinations, newest first. */
export function lastVaccinationTimes(db: Db, day: string, limit: number): string[] {
  return statements(db)
    .lastVaccinations.all(day, limit)
    .map((r) => r.vaccinated_at);
}

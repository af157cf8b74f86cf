/**
 * Tickets and what belongs to them: their events, their tokens' day counters and the
 * vaccination a served ticket records.
 */
import type { LaneName, TicketStatus } from '../../common/domain';
import type { Db } from './database';
import { NEEDS_ATTENTION_OF } from './outbox';
import { limited, preparedOnce } from './prepared';

export interface TicketRow {
  id: string;
  day: string;
  token: string;
  lane: LaneName;
  seq: number;
  source: 'online' | 'provisional' | 'walkin';
  ref_id: string | null;
  walkin_id: string | null;
  name: string;
  dose: number | null;
  verified: number;
  late: number;
  status: TicketStatus;
  queued_at: string;
  queue_pos: number;
  called_at: string | null;
  finished_at: string | null;
  recall_count: number;
  requeue_count: number;
  cancel_reason: string | null;
  created_at: string;
  created_by: string;
  counter_code: string;
  device_id: string;
  updated_at: string;
}

/** A new waiting ticket: its place in the queue is taken when it is inserted. */
export interface NewTicketRow {
  id: string;
  day: string;
  token: string;
  lane: LaneName;
  seq: number;
  source: TicketRow['source'];
  refId: string | null;
  walkinId: string | null;
  name: string;
  dose: number | null;
  verified: 0 | 1;
  late: 0 | 1;
  at: string;
  operatorId: string;
  counterCode: string;
  deviceId: string;
}

/** What a ticket action changes besides its status. */
export type TicketAction = 'call' | 'recall' | 'no_show' | 'requeue' | 'cancel' | 'serve';

export interface NewVaccinationRow {
  id: string;
  ticketId: string;
  vaccine: string;
  lotNumber: string;
  dose: number;
  at: string;
  operatorId: string;
  counterCode: string;
  deviceId: string;
}

/** Whether a ticket's outbox rows reached the portal (1/0 flags), per ticket. */
export interface TicketUploadFlags {
  id: string;
  attention: number;
  waiting: number;
  dismissed: number;
}

/** The next place in the day's queue (both lanes share the counter; each lane keeps its own order). */
const NEXT_QUEUE_POS = '(SELECT coalesce(max(queue_pos), 0) + 1 FROM ticket WHERE day = @day)';

/** The columns each action sets besides status and updated_at. */
const ACTION_SETS: Record<TicketAction, string[]> = {
  call: ['called_at = @at'],
  recall: ['recall_count = recall_count + 1', 'called_at = @at'],
  no_show: ['finished_at = @at'],
  requeue: [
    'requeue_count = requeue_count + 1',
    'queued_at = @at',
    `queue_pos = ${NEXT_QUEUE_POS}`,
    'called_at = NULL',
    'finished_at = NULL',
  ],
  cancel: ['finished_at = @at', 'cancel_reason = @reason'],
  serve: ['finished_at = @at'],
};

interface ActionParams {
  id: string;
  day: string;
  to: TicketStatus;
  at: string;
  reason: string | null;
}

/** How many of the day's last finished tickets a queue view lists. */
export const RECENT_FINISHED = 15;

/** The day's finished tickets, last first (by the index on when they finished); `day`: its parameter. */
const finishedOfDayLastFirst = (day: string) =>
  `FROM ticket INDEXED BY ticket_finished
    WHERE day = ${day} AND finished_at IS NOT NULL AND status IN ('served', 'no_show', 'cancelled')
    ORDER BY finished_at DESC`;

const statements = preparedOnce((db) => {
  const action = (a: TicketAction) =>
    db.prepare<ActionParams>(
      `UPDATE ticket SET ${['status = @to', 'updated_at = @at', ...ACTION_SETS[a]].join(', ')} WHERE id = @id`,
    );
  return {
    byId: db.prepare<[string], TicketRow>('SELECT * FROM ticket WHERE id = ?'),
    ofWalkIn: db.prepare<[string], TicketRow>('SELECT * FROM ticket WHERE walkin_id = ?'),
    activeOfWalkIn: db.prepare<[string], { token: string }>(
      "SELECT token FROM ticket WHERE walkin_id = ? AND status <> 'cancelled'",
    ),
    activeOfRef: db.prepare<[string, string], TicketRow>(
      "SELECT * FROM ticket WHERE day = ? AND ref_id = ? AND status <> 'cancelled'",
    ),
    otherActiveOfRef: db.prepare<[string, string, string], { token: string }>(
      "SELECT token FROM ticket WHERE day = ? AND ref_id = ? AND status <> 'cancelled' AND id <> ?",
    ),
    ofRecord: db.prepare<[string, string], { token: string; status: TicketStatus }>(
      'SELECT token, status FROM ticket WHERE id = ? OR walkin_id = ?',
    ),
    nextTokenSeq: db.prepare<[string, LaneName], { last_seq: number }>(
      `INSERT INTO token_sequence (day, lane, last_seq) VALUES (?, ?, 1)
       ON CONFLICT (day, lane) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
    ),
    insert: db.prepare<NewTicketRow, TicketRow>(
      `INSERT INTO ticket (id, day, token, lane, seq, source, ref_id, walkin_id, name, dose, verified, late, status,
         queued_at, queue_pos, created_at, created_by, counter_code, device_id, updated_at)
       VALUES (@id, @day, @token, @lane, @seq, @source, @refId, @walkinId, @name, @dose, @verified, @late, 'waiting',
         @at, ${NEXT_QUEUE_POS}, @at, @operatorId, @counterCode, @deviceId, @at)
       RETURNING *`,
    ),
    // the event carries its ticket's day and lane (migration 009): the queue's rule finds a lane's calls by them
    event: db.prepare<[string, TicketStatus | null, TicketStatus, string, string, string, string]>(
      `INSERT INTO ticket_event (ticket_id, action, from_status, to_status, at, operator_id, detail, day, lane)
       SELECT id, ?, ?, ?, ?, ?, ?, day, lane FROM ticket WHERE id = ?`,
    ),
    actions: {
      call: action('call'),
      recall: action('recall'),
      no_show: action('no_show'),
      requeue: action('requeue'),
      cancel: action('cancel'),
      serve: action('serve'),
    } satisfies Record<TicketAction, unknown>,
    vaccination: db.prepare<[string, string, string, string, number, string, string, string, string]>(
      `INSERT INTO vaccination (id, ticket_id, vaccine, lot_number, dose, vaccinated_at, vaccinated_by, counter_code, device_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    waiting: limited<[string, LaneName], TicketRow>(
      db,
      "SELECT * FROM ticket WHERE day = ? AND status = 'waiting' AND lane = ? ORDER BY queue_pos LIMIT ?",
    ),
    waitingCounts: db.prepare<[string], { lane: LaneName; n: number }>(
      "SELECT lane, count(*) AS n FROM ticket WHERE day = ? AND status = 'waiting' GROUP BY lane",
    ),
    called: db.prepare<[string], TicketRow>("SELECT * FROM ticket WHERE day = ? AND status = 'called' ORDER BY called_at DESC"),
    recent: limited<[string], TicketRow>(db, `SELECT * ${finishedOfDayLastFirst('?')} LIMIT ?`),
    counts: db.prepare<[string], { served: number | null; noShow: number | null; cancelled: number | null }>(
      `SELECT sum(status = 'served') AS served, sum(status = 'no_show') AS noShow, sum(status = 'cancelled') AS cancelled
       FROM ticket WHERE day = ?`,
    ),
    open: db.prepare<[string], { id: string }>(
      "SELECT id FROM ticket WHERE day = ? AND status IN ('waiting', 'called') ORDER BY lane, seq",
    ),
    openByDay: db.prepare<[string, string], { day: string; count: number }>(
      `SELECT day, count(*) AS count FROM ticket
        WHERE day >= ? AND day < ? AND status IN ('waiting', 'called')
        GROUP BY day ORDER BY day`,
    ),
    lastCallOfLane: db.prepare<[string, LaneName], { at: string | null }>(
      "SELECT max(at) AS at FROM ticket_event INDEXED BY ticket_event_lane_calls WHERE day = ? AND lane = ? AND action = 'call'",
    ),
    callsOfLaneSince: db.prepare<[string, LaneName, string], { n: number }>(
      "SELECT count(*) AS n FROM ticket_event INDEXED BY ticket_event_lane_calls WHERE day = ? AND lane = ? AND action = 'call' AND at >= ?",
    ),
    uploadFlags: db.prepare<[string], TicketUploadFlags>(
      `SELECT t.id AS id,
              coalesce(max(${NEEDS_ATTENTION_OF('o')}), 0) AS attention,
              coalesce(max(o.state = 'pending'), 0) AS waiting,
              coalesce(max(o.dismissed_at IS NOT NULL AND o.corrected_by IS NULL), 0) AS dismissed
         FROM ticket t LEFT JOIN outbox o ON o.record_id IN (t.id, t.walkin_id)
        WHERE t.id IN (SELECT value FROM json_each(?))
        GROUP BY t.id`,
    ),
    // the queue view's tickets (see getQueue): the day's waiting and called, and its last finished
    listedOfRecords: db.prepare<{ records: string; day: string }, { id: string }>(
      `WITH of_records AS (
         SELECT id, day, status FROM ticket WHERE id IN (SELECT value FROM json_each(@records))
         UNION SELECT id, day, status FROM ticket WHERE walkin_id IN (SELECT value FROM json_each(@records))
       )
       SELECT id FROM of_records WHERE day = @day AND status IN ('waiting', 'called')
       UNION SELECT id FROM of_records
        WHERE id IN (SELECT id ${finishedOfDayLastFirst('@day')} LIMIT ${RECENT_FINISHED})`,
    ),
    setNameDoseOfWalkIn: db.prepare<[string, number, string, string]>(
      'UPDATE ticket SET name = ?, dose = ?, updated_at = ? WHERE walkin_id = ?',
    ),
    setRefAndName: db.prepare<[string, string, string, string]>(
      'UPDATE ticket SET ref_id = ?, name = ?, updated_at = ? WHERE id = ?',
    ),
  };
});

export function getTicketRow(db: Db, id: string): TicketRow | undefined {
  return statements(db).byId.get(id);
}

/** The ticket a walk-in was given, whatever its state. */
export function ticketOfWalkIn(db: Db, walkInId: string): TicketRow | undefined {
  return statements(db).ofWalkIn.get(walkInId);
}

/** The token of a walk-in's ticket unless it was cancelled. */
export function activeTokenOfWalkIn(db: Db, walkInId: string): string | null {
  return statements(db).activeOfWalkIn.get(walkInId)?.token ?? null;
}

/** The day's ticket of a registrant (by reference ID), unless it was cancelled. */
export function activeTicketOfRef(db: Db, day: string, refId: string): TicketRow | undefined {
  return statements(db).activeOfRef.get(day, refId);
}

/** The token of another ticket of the day that holds this reference ID, unless cancelled. */
export function otherActiveTokenOfRef(db: Db, day: string, refId: string, exceptTicketId: string): string | null {
  return statements(db).otherActiveOfRef.get(day, refId, exceptTicketId)?.token ?? null;
}

/** The ticket of an outbox record: the ticket itself or the walk-in it was given to. */
export function ticketOfRecord(db: Db, recordId: string): { token: string; status: TicketStatus } | undefined {
  return statements(db).ofRecord.get(recordId, recordId);
}

/** Takes the next number of a lane's day counter (only ever moves forward). Inside the ticket's transaction. */
export function nextTokenSeq(db: Db, day: string, lane: LaneName): number {
  return statements(db).nextTokenSeq.get(day, lane)!.last_seq;
}

/** Inserts a waiting ticket at the end of its day's queue; the row as stored. */
export function insertTicketRow(db: Db, t: NewTicketRow): TicketRow {
  return statements(db).insert.get(t)!;
}

export function recordEvent(
  db: Db,
  ticketId: string,
  action: string,
  from: TicketStatus | null,
  to: TicketStatus,
  at: string,
  operatorId: string,
  detail: object,
): void {
  const { changes } = statements(db).event.run(action, from, to, at, operatorId, JSON.stringify(detail), ticketId);
  if (changes !== 1) throw new Error(`no ticket ${ticketId} to record ${action} of`);
}

/** Writes an action's change of a ticket: the new status and what the action sets with it. */
export function applyTicketAction(db: Db, action: TicketAction, p: ActionParams): void {
  statements(db).actions[action].run(p);
}

export function insertVaccination(db: Db, v: NewVaccinationRow): void {
  statements(db).vaccination.run(v.id, v.ticketId, v.vaccine, v.lotNumber, v.dose, v.at, v.operatorId, v.counterCode, v.deviceId);
}

/** A lane's waiting tickets of the day, in queue order: the first `limit`, or all. */
export function waitingTickets(db: Db, day: string, lane: LaneName, limit?: number): TicketRow[] {
  // a negative LIMIT is no limit
  return statements(db).waiting.all(day, lane, limit ?? -1);
}

/** How many wait in each lane that day. */
export function waitingCounts(db: Db, day: string): Record<LaneName, number> {
  const out: Record<LaneName, number> = { priority: 0, walkin: 0 };
  for (const r of statements(db).waitingCounts.all(day)) out[r.lane] = r.n;
  return out;
}

/** The day's called tickets, last called first. */
export function calledTickets(db: Db, day: string): TicketRow[] {
  return statements(db).called.all(day);
}

/** The day's last finished tickets (served, no-show, cancelled), last first. */
export function recentlyFinishedTickets(db: Db, day: string, limit: number): TicketRow[] {
  return statements(db).recent.all(day, limit);
}

export function finishedCounts(db: Db, day: string): { served: number; noShow: number; cancelled: number } {
  const c = statements(db).counts.get(day)!;
  return { served: c.served ?? 0, noShow: c.noShow ?? 0, cancelled: c.cancelled ?? 0 };
}

/** The day's tickets still waiting or called, by lane and number. */
export function openTicketIds(db: Db, day: string): string[] {
  return statements(db)
    .open.all(day)
    .map((r) => r.id);
}

/** Days from `from` up to (not including) `before` left with tickets waiting or called. */
export function openTicketsByDay(db: Db, from: string, before: string): { day: string; count: number }[] {
  return statements(db).openByDay.all(from, before);
}

/** When a ticket of the lane was last called that day (a call, not a recall), or null. */
export function lastCallOfLane(db: Db, day: string, lane: LaneName): string | null {
  return statements(db).lastCallOfLane.get(day, lane)?.at ?? null;
}

/** Calls of the lane's tickets that day since `since`. */
export function callsOfLaneSince(db: Db, day: string, lane: LaneName, since: string): number {
  return statements(db).callsOfLaneSince.get(day, lane, since)!.n;
}

/** Per ticket, whether its outbox rows (its record's and its events') need attention, wait, or were dismissed. */
export function ticketUploadFlags(db: Db, ticketIds: readonly string[]): TicketUploadFlags[] {
  return statements(db).uploadFlags.all(JSON.stringify(ticketIds));
}

/**
 * Of the tickets of outbox records (a record is keyed by its ticket's ID, or by its walk-in's
 * ID for a walk-in's registration), those the day's queue view lists: waiting or called, or
 * among its RECENT_FINISHED last finished. Whose upload marks the page shows move when the
 * portal answers those records; a backlog of finished tickets costs nothing more.
 */
export function listedTicketsOfRecords(db: Db, recordIds: readonly string[], day: string): string[] {
  if (recordIds.length === 0) return [];
  return statements(db)
    .listedOfRecords.all({ records: JSON.stringify(recordIds), day })
    .map((r) => r.id);
}

/** A corrected walk-in's name and dose on its ticket. */
export function setWalkInTicketNameAndDose(db: Db, walkInId: string, name: string, dose: number, at: string): void {
  statements(db).setNameDoseOfWalkIn.run(name, dose, at, walkInId);
}

/** A corrected check-in's reference ID and name on its ticket. */
export function setTicketRefAndName(db: Db, ticketId: string, refId: string, name: string, at: string): void {
  statements(db).setRefAndName.run(refId, name, at, ticketId);
}

/**
 * The waiting hall's board (migration 008): its settings, and the day's calls as it shows them.
 * A call is a `call` or `recall` row of ticket_event: its row ID is the call's ID.
 */
import type { LaneName, TicketStatus } from '../../common/domain';
import type { Db } from './database';
import { preparedOnce } from './prepared';

export interface BoardSettingsRow {
  notice_en: string;
  notice_hi: string;
  room_en: string;
  room_hi: string;
  /** JSON of the speech settings, as checked when they were saved */
  speech: string;
  display_id: number | null;
  window_open: number;
  updated_at: string;
  updated_by: string | null;
}

export interface NewBoardSettings {
  noticeEn: string;
  noticeHi: string;
  roomEn: string;
  roomHi: string;
  speech: string;
  displayId: number | null;
  windowOpen: 0 | 1;
  at: string;
  operatorId: string | null;
}

/** One call (or recall) of a ticket, with the ticket as it stands now. */
export interface BoardCallRow {
  call_id: number;
  action: 'call' | 'recall';
  at: string;
  ticket_id: string;
  token: string;
  lane: LaneName;
  status: TicketStatus;
}

const CALL_COLUMNS = `e.id AS call_id, e.action AS action, e.at AS at, t.id AS ticket_id, t.token AS token,
  t.lane AS lane, t.status AS status`;

const statements = preparedOnce((db) => ({
  settings: db.prepare<[], BoardSettingsRow>(
    `SELECT notice_en, notice_hi, room_en, room_hi, speech, display_id, window_open, updated_at, updated_by
       FROM board_settings WHERE id = 1`,
  ),
  save: db.prepare<NewBoardSettings>(
    `INSERT INTO board_settings (id, notice_en, notice_hi, room_en, room_hi, speech, display_id, window_open, updated_at, updated_by)
     VALUES (1, @noticeEn, @noticeHi, @roomEn, @roomHi, @speech, @displayId, @windowOpen, @at, @operatorId)
     ON CONFLICT (id) DO UPDATE SET notice_en = excluded.notice_en, notice_hi = excluded.notice_hi,
       room_en = excluded.room_en, room_hi = excluded.room_hi, speech = excluded.speech,
       display_id = excluded.display_id, window_open = excluded.window_open,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  ),
  // every call, newest first, along the partial index of calls (migration 008)
  callsNewestFirst: db.prepare<[], BoardCallRow & { day: string }>(
    `SELECT ${CALL_COLUMNS}, t.day AS day
       FROM ticket_event e INDEXED BY ticket_event_calls JOIN ticket t ON t.id = e.ticket_id
      WHERE e.action IN ('call', 'recall')
      ORDER BY e.id DESC`,
  ),
  // the newest ticket still called (its newest call)
  nowCalling: db.prepare<[string], BoardCallRow>(
    `SELECT ${CALL_COLUMNS}
       FROM ticket t JOIN ticket_event e ON e.ticket_id = t.id AND e.action IN ('call', 'recall')
      WHERE t.day = ? AND t.status = 'called'
      ORDER BY e.id DESC LIMIT 1`,
  ),
  byId: db.prepare<[number, string], BoardCallRow>(
    `SELECT ${CALL_COLUMNS}
       FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
      WHERE e.id = ? AND e.action IN ('call', 'recall') AND t.day = ?`,
  ),
  latestOfTicket: db.prepare<[string], BoardCallRow>(
    `SELECT ${CALL_COLUMNS}
       FROM ticket t JOIN ticket_event e ON e.ticket_id = t.id AND e.action IN ('call', 'recall')
      WHERE t.id = ?
      ORDER BY e.id DESC LIMIT 1`,
  ),
}));

export function boardSettingsRow(db: Db): BoardSettingsRow | undefined {
  return statements(db).settings.get();
}

export function saveBoardSettings(db: Db, s: NewBoardSettings): void {
  statements(db).save.run(s);
}

/**
 * The calls of that day, newest first, read as they are used: the caller stops when it has
 * enough. (Calls are made only for tickets of the day they are made on, so the walk ends at
 * the first call of an earlier day; a later day's, after the clock stepped back, is passed over.)
 * Nothing else may be read on the connection until the walk ends.
 */
export function* callsOfDayNewestFirst(db: Db, day: string): Generator<BoardCallRow> {
  for (const row of statements(db).callsNewestFirst.iterate()) {
    if (row.day < day) return;
    if (row.day === day) yield row;
  }
}

/** The newest call of the day whose ticket is still called, if any. */
export function nowCallingRow(db: Db, day: string): BoardCallRow | undefined {
  return statements(db).nowCalling.get(day);
}

/** A call of that day by its ID (the row ID of its ticket event). */
export function callById(db: Db, callId: number, day: string): BoardCallRow | undefined {
  return statements(db).byId.get(callId, day);
}

/** The ticket's newest call (or recall). */
export function latestCallOfTicket(db: Db, ticketId: string): BoardCallRow | undefined {
  return statements(db).latestOfTicket.get(ticketId);
}

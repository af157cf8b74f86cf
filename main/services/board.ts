/**
 * The waiting hall's board: its view of the queue, its events and its settings (see common/board.ts).
 * The board window itself is opened through BoardScreenPort, which the desktop app implements
 * (main/electron/board-window.ts); without it (web bridge, tests) there is no window to open.
 */
import { speechSettingsSchema, type Bilingual, type BoardCall, type BoardView, type SpeechSettings } from '../../common/board';
import { LANES, type LaneName, type Provisioning } from '../../common/domain';
import { centreDay } from '../../common/rules/centre-day';
import { insertAudit } from '../store/audit';
import {
  boardSettingsRow,
  callById,
  callsOfDayNewestFirst,
  latestCallOfTicket,
  nowCallingRow,
  saveBoardSettings,
  type BoardCallRow,
} from '../store/board';
import type { Db } from '../store/database';
import { waitingCounts } from '../store/tickets';

/** One display the board window can be opened on. */
export interface BoardDisplay {
  id: number;
  label: string;
  primary: boolean;
  width: number;
  height: number;
}

/** The board window, as main's services see it. */
export interface BoardScreenPort {
  displays(): BoardDisplay[];
  /** opens the board full screen on that display (null: the first one that is not the primary, else the primary) */
  open(displayId: number | null): void;
  close(): void;
  isOpen(): boolean;
}

/** The board's settings as stored (migration 008). */
export interface BoardSettings {
  notice: { en: string; hi: string };
  room: { en: string; hi: string };
  speech: SpeechSettings;
  displayId: number | null;
  windowOpen: boolean;
}

const DEFAULT_SPEECH: SpeechSettings = speechSettingsSchema.parse({});

/** The settings in force: the defaults (no notice, no room, speech on, Hindi first) until a supervisor sets them. */
export function readBoardSettings(db: Db): BoardSettings {
  const row = boardSettingsRow(db);
  if (!row) {
    return { notice: { en: '', hi: '' }, room: { en: '', hi: '' }, speech: DEFAULT_SPEECH, displayId: null, windowOpen: false };
  }
  // checked again as read: speech settings that no longer pass the schema fall back to the defaults
  let speech = DEFAULT_SPEECH;
  try {
    const parsed = speechSettingsSchema.safeParse(JSON.parse(row.speech));
    if (parsed.success) speech = parsed.data;
  } catch {
    // (the defaults)
  }
  return {
    notice: { en: row.notice_en, hi: row.notice_hi },
    room: { en: row.room_en, hi: row.room_hi },
    speech,
    displayId: row.display_id,
    windowOpen: row.window_open === 1,
  };
}

/** Saves the board's settings and the audit row of the change in one transaction. */
export function writeBoardSettings(
  db: Db,
  o: { settings: BoardSettings; now: Date; operatorId: string | null; action: string; detail: Record<string, unknown> },
): void {
  const at = o.now.toISOString();
  const s = o.settings;
  db.transaction(() => {
    saveBoardSettings(db, {
      noticeEn: s.notice.en,
      noticeHi: s.notice.hi,
      roomEn: s.room.en,
      roomHi: s.room.hi,
      speech: JSON.stringify(s.speech),
      displayId: s.displayId,
      windowOpen: s.windowOpen ? 1 : 0,
      at,
      operatorId: o.operatorId,
    });
    insertAudit(db, { at, operatorId: o.operatorId, action: o.action, detail: o.detail });
  }).immediate();
}

/** Where a called person goes: the room set for this counter, else "Counter <code>" / "काउंटर <code>". */
export function destinationOf(counterCode: string, room: { en: string; hi: string }): Bilingual {
  if (room.en !== '') return { en: room.en, hi: room.hi !== '' ? room.hi : room.en };
  return { en: `Counter ${counterCode}`, hi: `काउंटर ${counterCode}` };
}

/** What the board is told of a call (its ID is the call's ticket event's row ID). */
export function toBoardCall(row: BoardCallRow, counterCode: string, room: { en: string; hi: string }): BoardCall {
  return {
    callId: String(row.call_id),
    ticketId: row.ticket_id,
    token: row.token,
    lane: row.lane,
    counterCode,
    destination: destinationOf(counterCode, room),
    calledAt: row.at,
    recall: row.action === 'recall',
  };
}

/** How many of a lane's latest first calls the estimate looks at. */
export const ESTIMATE_CALLS = 11;
/** The fewest first calls of a lane the estimate needs (two gaps between calls). */
export const ESTIMATE_MIN_CALLS = 3;
/** How far back the board looks through the day's calls (newest first) for the estimate: a lane not called among them has no estimate. */
export const ESTIMATE_LOOK_BACK = 400;

/**
 * The estimated wait of the one at the back of a lane, in whole minutes (rounded up): the
 * number waiting times the median time between two first calls of that lane, over its last
 * ESTIMATE_CALLS first calls of today (recalls do not move the lane on), looked for among the
 * day's last ESTIMATE_LOOK_BACK calls. The median, so a lunch break or one slow person does
 * not swing it. Null with fewer than ESTIMATE_MIN_CALLS such calls: there is nothing to
 * estimate from yet. Nobody waiting: 0. `callTimes`: the ISO times of those calls, newest first.
 */
export function estimateWaitMinutes(waiting: number, callTimes: readonly string[]): number | null {
  if (waiting === 0) return 0;
  if (callTimes.length < ESTIMATE_MIN_CALLS) return null;
  const gaps: number[] = [];
  for (let i = 0; i + 1 < callTimes.length; i++) {
    // (a clock stepping back gives no negative gap)
    gaps.push(Math.max(0, Date.parse(callTimes[i]!) - Date.parse(callTimes[i + 1]!)));
  }
  gaps.sort((a, b) => a - b);
  const mid = Math.floor(gaps.length / 2);
  const median = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return Math.ceil((waiting * median) / 60_000);
}

/** How many calls the board lists under the one now calling. */
export const BOARD_RECENT = 5;

/**
 * The board's view of today's queue at this PC's counter (all of its database's calls; the
 * destination is this counter's, or the room set for it).
 *
 * - Now calling: the newest call whose ticket is still called (a recall of an older ticket
 *   brings it back to the top). A no-show, cancel or requeue takes the ticket off the board.
 * - Recent: the other tickets of the day on the board (still called, or served), each by its
 *   newest call, newest first, at most 5. A served ticket's call stays there (the hall sees it
 *   was called and taken in); the ticket now calling is not listed again.
 *
 * The day's calls are walked newest first and the walk stops once the list and both lanes'
 * estimates have what they need: a long day costs no more than a short one.
 */
export function boardView(db: Db, config: Provisioning, now: Date, settings: BoardSettings = readBoardSettings(db)): BoardView {
  const day = centreDay(now, config.centre.timeZone);
  const code = config.counter.code;
  const current = nowCallingRow(db, day);
  const recent: BoardCallRow[] = [];
  const seen = new Set<string>(current ? [current.ticket_id] : []);
  const callTimes: Record<LaneName, string[]> = { priority: [], walkin: [] };
  let walked = 0;
  for (const row of callsOfDayNewestFirst(db, day)) {
    if (walked++ >= ESTIMATE_LOOK_BACK && recent.length >= BOARD_RECENT) break;
    if (row.action === 'call' && callTimes[row.lane].length < ESTIMATE_CALLS && walked <= ESTIMATE_LOOK_BACK) {
      callTimes[row.lane].push(row.at);
    }
    // the first row of a ticket is its newest call
    if (!seen.has(row.ticket_id)) {
      seen.add(row.ticket_id);
      if (recent.length < BOARD_RECENT && (row.status === 'called' || row.status === 'served')) recent.push(row);
    }
    if (recent.length >= BOARD_RECENT && LANES.every((l) => callTimes[l].length >= ESTIMATE_CALLS)) break;
  }
  const waiting = waitingCounts(db, day);
  const notice = settings.notice.en === '' && settings.notice.hi === '' ? null : settings.notice;
  return {
    centre: { en: config.centre.name, hi: config.centre.nameHi || config.centre.name },
    today: day,
    now: now.toISOString(),
    nowCalling: current ? toBoardCall(current, code, settings.room) : null,
    recent: recent.map((r) => toBoardCall(r, code, settings.room)),
    lanes: LANES.map((lane) => ({
      lane,
      waiting: waiting[lane],
      estimatedWaitMinutes: estimateWaitMinutes(waiting[lane], callTimes[lane]),
    })),
    notice,
    speech: settings.speech,
  };
}

/** A call of today by its ID, or null (another day's, not a call, or no such call). */
export function boardCallById(db: Db, config: Provisioning, now: Date, callId: string): BoardCall | null {
  if (!/^[1-9][0-9]{0,15}$/.test(callId)) return null;
  const row = callById(db, Number(callId), centreDay(now, config.centre.timeZone));
  return row ? toBoardCall(row, config.counter.code, readBoardSettings(db).room) : null;
}

/** The ticket's newest call, as the board is told of it. */
export function latestBoardCall(db: Db, config: Provisioning, ticketId: string): BoardCall | null {
  const row = latestCallOfTicket(db, ticketId);
  return row ? toBoardCall(row, config.counter.code, readBoardSettings(db).room) : null;
}

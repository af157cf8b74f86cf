/**
 * The waiting hall's board: what it shows (BoardView), what it is told (BoardEvent), and the
 * settings a supervisor gives it. The board is read-only: it has no operator session and no
 * method that acts on the queue. main/ computes the view and sends the events; the board page
 * (renderer/src/board/) draws them and speaks each call.
 */
import { z } from 'zod';
import { LANES } from './domain';

/** Text in both languages: the board shows English and Hindi together. */
export const bilingualSchema = z.object({ en: z.string().max(200), hi: z.string().max(200) });
export type Bilingual = z.infer<typeof bilingualSchema>;

/** One call of a ticket to a counter, as the hall sees it. A recall is a new call of the same ticket. */
export const boardCallSchema = z.object({
  /** unique per call (a recall has its own): the speech of a call is asked for by this ID */
  callId: z.string().min(1).max(80),
  ticketId: z.string().min(1).max(80),
  /** as printed on the slip, e.g. A-P017 */
  token: z.string().min(1).max(20),
  lane: z.enum(LANES),
  counterCode: z.string().min(1).max(4),
  /** where to go: the counter ("Counter A1" / "काउंटर A1") or the room set for it ("Room 2") */
  destination: bilingualSchema,
  calledAt: z.string(),
  recall: z.boolean(),
});
export type BoardCall = z.infer<typeof boardCallSchema>;

export const boardLaneSchema = z.object({
  lane: z.enum(LANES),
  waiting: z.number().int().nonnegative(),
  /** null when there is not enough to estimate from yet */
  estimatedWaitMinutes: z.number().int().nonnegative().nullable(),
});
export type BoardLane = z.infer<typeof boardLaneSchema>;

/** How calls are spoken: on/off, which language first, volume, how many times. */
export const speechSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  order: z.enum(['hi-en', 'en-hi']).default('hi-en'),
  /** 0-100 */
  volume: z.number().int().min(0).max(100).default(80),
  /** each call is said this many times (both languages each time) */
  repeat: z.number().int().min(1).max(3).default(1),
});
export type SpeechSettings = z.output<typeof speechSettingsSchema>;

/** The notice line under the board, e.g. "Bring your photo ID" / "अपना फ़ोटो पहचान पत्र साथ लाएँ"; shown as text. */
export const NOTICE_MAX_LENGTH = 120;
export const noticeSchema = z.object({
  en: z.string().trim().max(NOTICE_MAX_LENGTH, 'notice_too_long'),
  hi: z.string().trim().max(NOTICE_MAX_LENGTH, 'notice_too_long'),
});

export const boardViewSchema = z.object({
  centre: bilingualSchema,
  /** the centre's day (YYYY-MM-DD) and the counter's time now (ISO) */
  today: z.string(),
  now: z.string(),
  /** the newest call still standing (not served, no-show or cancelled since); null when none */
  nowCalling: boardCallSchema.nullable(),
  /** the calls before it, newest first, at most 5 */
  recent: z.array(boardCallSchema).max(5),
  lanes: z.array(boardLaneSchema),
  notice: noticeSchema.nullable(),
  speech: speechSettingsSchema,
});
export type BoardView = z.infer<typeof boardViewSchema>;

/**
 * What main tells every open board: `called` for each call or recall (the board shows it and
 * speaks it); `changed` when anything else it shows may have changed (a no-show, cancel or serve
 * removes a token; settings; a new day): the board reads the view again.
 */
export type BoardEvent = { type: 'called'; call: BoardCall } | { type: 'changed' };

/**
 * The board page's whole reach into main: read the view, hear the events, fetch a call's speech.
 * In Electron the board window's preload (preload/board.ts) gives it as `window.board`: the view
 * and the events over the channels below, a call's speech from app://counter/board/speech/ (a
 * file read by Electron's loader, main/electron/board-speech.ts); in a browser the web bridge
 * serves the same under /board/ with the board's own read-only key. Nothing in it acts on the queue.
 */
export interface BoardApi {
  getView(): Promise<BoardView>;
  onEvent(listener: (event: BoardEvent) => void): () => void;
  /** the spoken call as a WAV file: a chime, then the call in both languages in the set order */
  speech(callId: string): Promise<ArrayBuffer>;
}

/** Where a call's speech is asked for, the call's ID (URL-encoded) after it: the web bridge's route and the desktop app's. */
export const BOARD_SPEECH_PATH = '/board/speech/';

/** The call ID in a speech address's last part (URL-encoded), or null when it is not one. */
export function speechCallIdOf(encoded: string): string | null {
  let callId: string;
  try {
    callId = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  return boardCallSchema.shape.callId.safeParse(callId).success ? callId : null;
}

/** The board window's IPC channels (Electron). */
export const BOARD_CHANNELS = { view: 'board:view', event: 'board:event' } as const;

/** What the main process and the speech worker thread tell each other. */
import type { SpeechLanguage } from '../../common/rules/announcement';
import type { BoardCall, SpeechSettings } from '../../common/board';

/** A spoken call (the chime, then both languages in the set order), or one language alone (no chime). */
export type SpeechRequest =
  | { id: number; kind: 'call'; call: BoardCall; settings: SpeechSettings }
  | { id: number; kind: 'language'; call: BoardCall; language: SpeechLanguage };

export type SpeechReply = { id: number; ok: true; wav: Uint8Array } | { id: number; ok: false; message: string };

/** Sent once the synthesiser and its voices are loaded. */
export interface SpeechWorkerReady {
  ready: true;
}

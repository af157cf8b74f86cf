/** What the main process and the speech worker thread tell each other. */
import type { SpeechLanguage } from '../../common/rules/announcement';
import type { BoardCall, SpeechSettings } from '../../common/board';

/**
 * A spoken call (the chime, then both languages in the set order), or one language alone (no
 * chime), written as a WAV file at `file`: its bytes never come to the main process.
 */
export type SpeechRequest =
  | { id: number; kind: 'call'; call: BoardCall; settings: SpeechSettings; file: string }
  | { id: number; kind: 'language'; call: BoardCall; language: SpeechLanguage; file: string };

/** The file written, with its size in bytes; or why nothing was. */
export type SpeechReply = { id: number; ok: true; bytes: number } | { id: number; ok: false; message: string };

/** Sent once the synthesiser and its voices are loaded. */
export interface SpeechWorkerReady {
  ready: true;
}

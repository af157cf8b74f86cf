/** What the main process and the speech worker thread tell each other. */
import type { SpeechLanguage } from '../../common/rules/announcement';
import type { BoardCall, SpeechSettings } from '../../common/board';

/** What the worker is started with (its workerData; the service always gives it). */
export interface SpeechWorkerSetup {
  /** step aside in the idle scheduling class (Linux), or only at nice 10 */
  idle: boolean;
  /** a call whose thread waited longer than this for a core (in ms) is answered as starved */
  starvedMs: number;
}

/**
 * A spoken call (the chime, then both languages in the set order), or one language alone (no
 * chime), written as a WAV file at `file`: its bytes never come to the main process.
 */
export type SpeechRequest =
  | { id: number; kind: 'call'; call: BoardCall; settings: SpeechSettings; file: string }
  | { id: number; kind: 'language'; call: BoardCall; language: SpeechLanguage; file: string };

/**
 * The file written, with its size in bytes; or why nothing was. `starved`: the worker's thread,
 * in the idle class, waited for a core longer than it was told (other programs keep every core
 * busy).
 */
export type SpeechReply = { id: number; ok: true; bytes: number; starved?: true } | { id: number; ok: false; message: string };

/** Sent once the synthesiser and its voices are loaded. */
export interface SpeechWorkerReady {
  ready: true;
}

/**
 * The board window's speech: `app://counter/board/speech/<callId>`, answered from the WAV file
 * the speech worker wrote. The file is handed to Electron's own loader (net.fetch of its file:
 * URL, as Electron's protocol.handle documents), which reads it outside JavaScript: a call's
 * half a megabyte of sound never passes through the main process's heap, where it would bring
 * on garbage collection pauses of the counter's loop. The board's preload fetches it
 * (preload/board.ts).
 *
 * What it gives is the sound of a call of today, asked for by its ID: the same as the hall
 * hears, and only to the app's own pages (nothing else can load in its windows).
 */
import { pathToFileURL } from 'node:url';
import { BOARD_SPEECH_PATH, speechCallIdOf } from '../../common/board';
import { DomainError } from '../../common/result';
import type { SpokenFile } from '../speech/speech-service';
import { APP_HOST, APP_SCHEME } from './app-paths';

/** Where a call's speech is asked for: this, then the call's ID (URL-encoded). */
export const BOARD_SPEECH_URL = `${APP_SCHEME}://${APP_HOST}${BOARD_SPEECH_PATH}`;

export interface BoardSpeechSource {
  /** a call's spoken WAV; a counter built without speech has none (the board then shows the call silently) */
  boardSpeech?(callId: string): Promise<SpokenFile>;
}

export interface BoardSpeechOptions {
  /** the file: URL's bytes (Electron's net.fetch) */
  fetchFile(fileUrl: string): Promise<Response>;
  /** during development the board page comes from the dev server: its origin may read the speech */
  allowOrigin?: string;
  log: { warn(o: object, msg: string): void };
}

/**
 * The answer to an app:// request for a call's speech, or null when the request is not one
 * (the caller answers it: a renderer file). 404 for an ID that is not a call of today.
 */
export async function boardSpeechReply(
  url: string,
  source: BoardSpeechSource,
  options: BoardSpeechOptions,
): Promise<Response | null> {
  if (!url.startsWith(BOARD_SPEECH_URL)) return null;
  const cors: Record<string, string> = options.allowOrigin ? { 'access-control-allow-origin': options.allowOrigin } : {};
  const text = (status: number, body: string) =>
    new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...cors } });
  const callId = speechCallIdOf(new URL(url).pathname.slice(BOARD_SPEECH_PATH.length));
  if (callId === null) return text(404, 'no such call');
  if (!source.boardSpeech) return text(503, 'this counter has no speech for the board');
  try {
    const file = await source.boardSpeech(callId);
    const read = await options.fetchFile(pathToFileURL(file.path).href);
    if (!read.ok || !read.body) throw new Error(`the speech file could not be read (${read.status})`);
    return new Response(read.body, {
      status: 200,
      headers: { 'content-type': 'audio/wav', 'content-length': String(file.bytes), 'cache-control': 'no-store', ...cors },
    });
  } catch (e) {
    if (e instanceof DomainError && e.code === 'NOT_FOUND') return text(404, 'no such call');
    options.log.warn({ err: e, callId }, 'board speech failed');
    return text(500, 'the call could not be spoken');
  }
}

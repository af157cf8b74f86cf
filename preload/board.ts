/**
 * The board window's preload: exposes `window.board` (common/board.ts BoardApi: read the view,
 * hear the events, fetch a call's speech) and nothing else. No operator method, no generic
 * invoke, no ipcRenderer: the board cannot act on the queue.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BOARD_CHANNELS as BoardChannels, BoardApi, BoardEvent, BoardView } from '../common/board';

/**
 * common/board.ts's BOARD_CHANNELS, written out: importing its value would bundle zod into this
 * sandboxed preload. The type holds each name equal to the one main answers on (tsc).
 */
const CHANNELS: typeof BoardChannels = { view: 'board:view', event: 'board:event' };

/**
 * Where main serves a call's speech (main/electron/board-speech.ts's BOARD_SPEECH_URL, which a
 * test holds equal): a WAV file read by Electron's loader, never through main's heap.
 */
export const SPEECH_URL = 'app://counter/board/speech/';

async function speech(callId: string): Promise<ArrayBuffer> {
  const res = await fetch(`${SPEECH_URL}${encodeURIComponent(callId)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`the speech of the call could not be had (${res.status})`);
  return await res.arrayBuffer();
}

const api: BoardApi = Object.freeze({
  getView: () => ipcRenderer.invoke(CHANNELS.view) as Promise<BoardView>,
  onEvent: (listener: (event: BoardEvent) => void) => {
    const handler = (_e: IpcRendererEvent, event: BoardEvent) => listener(event);
    ipcRenderer.on(CHANNELS.event, handler);
    return () => {
      ipcRenderer.removeListener(CHANNELS.event, handler);
    };
  },
  speech,
});

contextBridge.exposeInMainWorld('board', api);

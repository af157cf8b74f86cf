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
const CHANNELS: typeof BoardChannels = { view: 'board:view', speech: 'board:speech', event: 'board:event' };

/** The WAV bytes as main sends them (a Uint8Array over IPC), as the ArrayBuffer the page plays. */
function toArrayBuffer(bytes: unknown): ArrayBuffer {
  if (bytes instanceof ArrayBuffer) return bytes;
  if (ArrayBuffer.isView(bytes)) {
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return copy.buffer;
  }
  throw new Error('the speech of a call came back in an unknown form');
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
  speech: async (callId: string) => toArrayBuffer(await ipcRenderer.invoke(CHANNELS.speech, callId)),
});

contextBridge.exposeInMainWorld('board', api);

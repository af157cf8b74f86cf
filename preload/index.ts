/**
 * The preload: exposes `window.counter`, the contract's named methods, and nothing else.
 * Sandboxed (only `electron`'s renderer modules are available here); never exposes
 * ipcRenderer or a generic invoke.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createCounterApi } from '../common/api-client';
import { EVENT_CHANNEL, ipcChannel } from '../common/contract-methods';
import type { CounterApi, CounterEvent } from '../common/contract';
import type { Result } from '../common/result';

const api: CounterApi = createCounterApi(
  (method, request) => ipcRenderer.invoke(ipcChannel(method), request) as Promise<Result<unknown>>,
  (listener) => {
    const handler = (_e: IpcRendererEvent, event: CounterEvent) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
);

contextBridge.exposeInMainWorld('counter', api);

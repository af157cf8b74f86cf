import { METHOD_NAMES, type MethodName } from './contract-methods';
import type { CounterApi, CounterEvent } from './contract';
import type { Result } from './result';

/**
 * Builds `window.counter` from a transport: one named function per contract method and
 * nothing else, so a page script can reach only what the contract lists. Used by the
 * Electron preload (ipcRenderer) and the web bridge (HTTP on loopback).
 */
export function createCounterApi(
  call: (method: MethodName, request: unknown) => Promise<Result<unknown>>,
  subscribe: (listener: (event: CounterEvent) => void) => () => void,
): CounterApi {
  const api: Record<string, unknown> = {};
  for (const m of METHOD_NAMES) api[m] = (request: unknown) => call(m, request ?? {});
  api.onEvent = subscribe;
  return Object.freeze(api) as CounterApi;
}

/**
 * `window.counter` for a plain browser, served by the web bridge (main/web-bridge): the
 * same contract as the Electron preload, carried over HTTP on 127.0.0.1. The bridge puts
 * a per-run secret on this script's tag; every call carries it, so other pages the browser
 * has open cannot drive the counter.
 */
import { createCounterApi } from '../common/api-client';
import type { CounterEvent } from '../common/contract';
import type { Result } from '../common/result';

const script = document.currentScript as HTMLScriptElement | null;
const secret = script?.dataset.secret ?? '';

const api = createCounterApi(
  async (method, request) => {
    try {
      const res = await fetch(`/rpc/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-counter-secret': secret },
        body: JSON.stringify(request),
      });
      return (await res.json()) as Result<unknown>;
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL', message: `the counter service did not answer (${(e as Error).message})` } };
    }
  },
  (listener) => {
    const source = new EventSource(`/events?secret=${encodeURIComponent(secret)}`);
    source.onmessage = (m: MessageEvent<string>) => listener(JSON.parse(m.data) as CounterEvent);
    return () => source.close();
  },
);

Object.defineProperty(window, 'counter', { value: api, writable: false, configurable: false });

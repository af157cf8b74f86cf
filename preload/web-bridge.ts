/**
 * `window.counter` for a plain browser, served by the web bridge (main/web-bridge): the
 * same contract as the Electron preload, carried over HTTP on 127.0.0.1. The browser holds
 * the bridge's session cookie (HttpOnly, set when the printed launch link was opened); every
 * call and the event stream also carry the `X-Counter-Request` header, which a page of
 * another site cannot send to the bridge.
 */
import { createCounterApi } from '../common/api-client';
import type { CounterEvent } from '../common/contract';
import type { Result } from '../common/result';

const HEADERS = { 'x-counter-request': '1' };
/** how long to wait before opening the event stream again after it broke */
const RECONNECT_MS = 1000;

/** No session (the counter was restarted, or the cookie is gone): the bare page says how to open it again. */
function sessionLost(): void {
  window.location.assign('/');
}

const api = createCounterApi(
  async (method, request) => {
    try {
      const res = await fetch(`/rpc/${method}`, {
        method: 'POST',
        headers: { ...HEADERS, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (res.status === 403) sessionLost();
      return (await res.json()) as Result<unknown>;
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL', message: `the counter service did not answer (${(e as Error).message})` } };
    }
  },
  (listener) => {
    // EventSource cannot send a header: the stream is read with fetch, and opened again when it breaks
    const stop = new AbortController();
    const run = async () => {
      while (!stop.signal.aborted) {
        try {
          const res = await fetch('/events', { headers: HEADERS, signal: stop.signal });
          if (res.status === 403) return sessionLost();
          if (res.ok && res.body) await readEvents(res.body, listener);
        } catch {
          // the bridge went away or the stream broke: try again below
        }
        if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, RECONNECT_MS));
      }
    };
    void run();
    return () => stop.abort();
  },
);

/** Reads `data:` lines of a server-sent event stream until it ends. */
async function readEvents(body: ReadableStream<Uint8Array>, listener: (event: CounterEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) listener(JSON.parse(data) as CounterEvent);
    }
  }
}

Object.defineProperty(window, 'counter', { value: api, writable: false, configurable: false });

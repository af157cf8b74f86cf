/**
 * `window.counter` for a plain browser, served by the web bridge (main/web-bridge): the
 * same contract as the Electron preload, carried on one WebSocket to 127.0.0.1 that stays
 * open (calls, their answers and main's events, in the order main made them). The browser
 * holds the bridge's session cookie (HttpOnly, set when the printed launch link was opened);
 * the bridge opens the socket only with that cookie and for a page of its own origin.
 */
import { createCounterApi } from '../common/api-client';
import type { CounterEvent } from '../common/contract';
import type { Result } from '../common/result';

/** the bridge's socket for calls and events (main/web-bridge/call-socket.ts) */
const SOCKET_PATH = '/socket';
/** how long to wait before opening the socket again after it broke */
const RECONNECT_MS = 1000;

type Message = { id: number; result: Result<unknown> } | { event: CounterEvent };

const noAnswer = (why: string): Result<unknown> => ({
  ok: false,
  error: { code: 'INTERNAL', message: `the counter service did not answer (${why})` },
});

/** No session (the counter was restarted, or the cookie is gone): the bare page says how to open it again. */
function sessionLost(): void {
  window.location.assign('/');
}

/**
 * A socket refused at its opening says nothing to the page about why: asked over HTTP, the
 * bridge says 403 when the session is gone.
 */
async function checkSession(): Promise<void> {
  try {
    const res = await fetch('/rpc/getAppState', {
      method: 'POST',
      headers: { 'x-counter-request': '1', 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status === 403) sessionLost();
  } catch {
    // the bridge is not there: the socket is tried again
  }
}

class CounterLine {
  private socket: WebSocket | null = null;
  private opened: Promise<WebSocket> | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Result<unknown>) => void>();
  private readonly listeners = new Set<(event: CounterEvent) => void>();
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** a socket has been open before: the next one to open is a reconnect, and events may have been missed */
  private everOpen = false;

  call(method: string, payload: unknown): Promise<Result<unknown>> {
    return this.open().then(
      (ws) =>
        new Promise<Result<unknown>>((resolve) => {
          const id = this.nextId++;
          this.waiting.set(id, resolve);
          ws.send(JSON.stringify({ id, method, payload }));
        }),
      () => noAnswer('no connection'),
    );
  }

  listen(listener: (event: CounterEvent) => void): () => void {
    this.listeners.add(listener);
    this.open().catch(() => undefined);
    return () => this.listeners.delete(listener);
  }

  private open(): Promise<WebSocket> {
    if (this.opened) return this.opened;
    const url = new URL(SOCKET_PATH, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    this.socket = ws;
    let isOpen = false;
    this.opened = new Promise<WebSocket>((resolve, reject) => {
      ws.onopen = () => {
        isOpen = true;
        const reconnected = this.everOpen;
        this.everOpen = true;
        resolve(ws);
        // what main said while there was no socket is lost: the page reads everything again
        if (reconnected) for (const l of this.listeners) l({ type: 'resync' });
      };
      ws.onmessage = (e: MessageEvent<string>) => this.receive(e.data);
      ws.onclose = () => {
        if (!isOpen) reject(new Error('closed'));
        this.closed(ws, isOpen);
      };
    });
    return this.opened;
  }

  private receive(data: string): void {
    const m = JSON.parse(data) as Message;
    if ('event' in m) {
      for (const l of this.listeners) l(m.event);
      return;
    }
    const resolve = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    resolve?.(m.result);
  }

  /** The socket ended: its calls get no answer; it is opened again while anyone listens. */
  private closed(ws: WebSocket, wasOpen: boolean): void {
    if (this.socket !== ws) return;
    this.socket = null;
    this.opened = null;
    for (const resolve of this.waiting.values()) resolve(noAnswer('connection closed'));
    this.waiting.clear();
    if (!wasOpen) void checkSession();
    if (this.listeners.size > 0 && this.retry === null) {
      this.retry = setTimeout(() => {
        this.retry = null;
        if (this.listeners.size > 0) this.open().catch(() => undefined);
      }, RECONNECT_MS);
    }
  }
}

const line = new CounterLine();
const api = createCounterApi(
  (method, request) => line.call(method, request),
  (listener) => line.listen(listener),
);

Object.defineProperty(window, 'counter', { value: api, writable: false, configurable: false });

// @vitest-environment jsdom
/**
 * The web bridge's `window.counter` in the page (preload/web-bridge.ts): one socket for calls
 * and events, opened again when it breaks. What main said while it was broken is lost, so the
 * page is told to read everything again (`resync`) when the socket is back, and only then.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CounterApi, CounterEvent } from '../../common/contract';

/** A WebSocket the test opens, feeds and closes by hand. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  readonly sent: string[] = [];
  constructor(readonly url: URL) {
    FakeSocket.made.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.onclose?.();
  }
  open(): void {
    this.onopen?.();
  }
  event(event: CounterEvent): void {
    this.onmessage?.({ data: JSON.stringify({ event }) });
  }
}

let counter: CounterApi;

beforeAll(async () => {
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => ({ status: 200 })),
  );
  await import('../../preload/web-bridge');
  counter = (window as unknown as { counter: CounterApi }).counter;
});

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the page line to the web bridge', () => {
  it('tells the page to read everything again when its socket is back after breaking, not at its first opening', async () => {
    const seen: CounterEvent[] = [];
    counter.onEvent((e) => seen.push(e));
    expect(FakeSocket.made).toHaveLength(1);
    const first = FakeSocket.made[0]!;
    expect(first.url.pathname).toBe('/socket');
    first.open();
    first.event({ type: 'changed', method: 'callNext' });
    expect(seen).toEqual([{ type: 'changed', method: 'callNext' }]);

    // a call out when the socket breaks is answered as not answered, not left waiting
    const pending = counter.getQueue({});
    await vi.advanceTimersByTimeAsync(0);
    expect(first.sent).toHaveLength(1);
    first.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });

    // opened again a moment later; main's events in between are lost
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.made).toHaveLength(2);
    const second = FakeSocket.made[1]!;
    expect(seen).toHaveLength(1);
    second.open();
    expect(seen).toEqual([{ type: 'changed', method: 'callNext' }, { type: 'resync' }]);

    // events flow again, and nothing more is told while the socket stays up
    second.event({ type: 'changed', method: 'serveTicket' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual([
      { type: 'changed', method: 'callNext' },
      { type: 'resync' },
      { type: 'changed', method: 'serveTicket' },
    ]);
    expect(FakeSocket.made).toHaveLength(2);
  });
});

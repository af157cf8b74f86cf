import { describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const invoke = vi.fn(async (channel: string, request: unknown) => ({ ok: true, value: { channel, request } }));
const on = vi.fn();
const removeListener = vi.fn();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: { invoke, on, removeListener },
}));

await import('../../preload/index');
const { METHOD_NAMES, EVENT_CHANNEL } = await import('../../common/contract-methods');

describe('preload', () => {
  const api = exposed.get('counter') as Record<string, unknown>;

  it('exposes only window.counter', () => {
    expect([...exposed.keys()]).toEqual(['counter']);
  });

  it('has exactly the contract methods plus onEvent, no generic invoke or ipcRenderer', () => {
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'onEvent'].sort());
    for (const k of ['invoke', 'send', 'ipcRenderer', 'on']) expect(api[k]).toBeUndefined();
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('sends each method on its own channel', async () => {
    const r = await (api.checkIn as (req: unknown) => Promise<unknown>)({ refId: 'ABC123' });
    expect(invoke).toHaveBeenCalledWith('counter:checkIn', { refId: 'ABC123' });
    expect(r).toEqual({ ok: true, value: { channel: 'counter:checkIn', request: { refId: 'ABC123' } } });
  });

  it('subscribes to events and can unsubscribe', () => {
    const listener = vi.fn();
    const off = (api.onEvent as (l: unknown) => () => void)(listener);
    expect(on).toHaveBeenCalledWith(EVENT_CHANNEL, expect.any(Function));
    const handler = on.mock.calls[0]![1] as (e: unknown, ev: unknown) => void;
    handler({ senderId: 0 }, { type: 'changed', method: 'checkIn' });
    expect(listener).toHaveBeenCalledWith({ type: 'changed', method: 'checkIn' });
    off();
    expect(removeListener).toHaveBeenCalledWith(EVENT_CHANNEL, handler);
  });
});

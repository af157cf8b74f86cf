import { describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const invoke = vi.fn(async (channel: string, request?: unknown): Promise<unknown> => ({ channel, request }));
const on = vi.fn();
const removeListener = vi.fn();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: { invoke, on, removeListener },
}));

await import('../../preload/board');
const { BOARD_CHANNELS } = await import('../../common/board');
const { METHOD_NAMES } = await import('../../common/contract-methods');

describe('board preload', () => {
  const api = exposed.get('board') as Record<string, unknown>;

  it('exposes only window.board, never window.counter', () => {
    expect([...exposed.keys()]).toEqual(['board']);
  });

  it('has exactly getView, onEvent and speech: no operator method, no generic invoke or ipcRenderer', () => {
    expect(Object.keys(api).sort()).toEqual(['getView', 'onEvent', 'speech']);
    for (const k of [...METHOD_NAMES, 'invoke', 'send', 'ipcRenderer', 'on']) expect(api[k]).toBeUndefined();
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('reads the view on the board view channel', async () => {
    invoke.mockResolvedValueOnce({ nowCalling: null });
    await expect((api.getView as () => Promise<unknown>)()).resolves.toEqual({ nowCalling: null });
    expect(invoke).toHaveBeenLastCalledWith(BOARD_CHANNELS.view);
  });

  it("asks for a call's speech by its ID and gives the page the WAV bytes as an ArrayBuffer", async () => {
    // main's bytes arrive as a view into a larger buffer: only the view's bytes are given
    const backing = new Uint8Array([9, 9, 82, 73, 70, 70, 9]);
    invoke.mockResolvedValueOnce(new Uint8Array(backing.buffer, 2, 4));
    const wav = await (api.speech as (id: string) => Promise<ArrayBuffer>)('call-17');
    expect(invoke).toHaveBeenLastCalledWith(BOARD_CHANNELS.speech, 'call-17');
    expect(wav).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(wav)]).toEqual([82, 73, 70, 70]);
    invoke.mockResolvedValueOnce('not audio');
    await expect((api.speech as (id: string) => Promise<ArrayBuffer>)('call-18')).rejects.toThrow('unknown form');
  });

  it('hears the board events and can stop', () => {
    const listener = vi.fn();
    const off = (api.onEvent as (l: unknown) => () => void)(listener);
    expect(on).toHaveBeenCalledWith(BOARD_CHANNELS.event, expect.any(Function));
    const handler = on.mock.calls[0]![1] as (e: unknown, ev: unknown) => void;
    handler({ senderId: 0 }, { type: 'changed' });
    expect(listener).toHaveBeenCalledWith({ type: 'changed' });
    off();
    expect(removeListener).toHaveBeenCalledWith(BOARD_CHANNELS.event, handler);
  });
});

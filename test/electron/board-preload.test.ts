import { describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const invoke = vi.fn(async (channel: string, request?: unknown): Promise<unknown> => ({ channel, request }));
const on = vi.fn();
const removeListener = vi.fn();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: { invoke, on, removeListener },
}));

const { SPEECH_URL } = await import('../../preload/board');
const { BOARD_CHANNELS } = await import('../../common/board');
const { BOARD_SPEECH_URL } = await import('../../main/electron/board-speech');
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

  it("fetches a call's speech by its ID from main's speech route (a file, never through IPC) as an ArrayBuffer", async () => {
    expect(SPEECH_URL).toBe(BOARD_SPEECH_URL);
    const fetched: string[] = [];
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      fetched.push(String(input));
      return String(input).endsWith('/missing')
        ? new Response('no such call', { status: 404 })
        : new Response(new Uint8Array([82, 73, 70, 70]), { status: 200, headers: { 'content-type': 'audio/wav' } });
    });
    try {
      const invokedBefore = invoke.mock.calls.length;
      const wav = await (api.speech as (id: string) => Promise<ArrayBuffer>)('call 17/x');
      expect(fetched).toEqual([`${BOARD_SPEECH_URL}call%2017%2Fx`]);
      expect(wav).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(wav)]).toEqual([82, 73, 70, 70]);
      await expect((api.speech as (id: string) => Promise<ArrayBuffer>)('missing')).rejects.toThrow('(404)');
      expect(invoke.mock.calls.length).toBe(invokedBefore);
    } finally {
      fetchSpy.mockRestore();
    }
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

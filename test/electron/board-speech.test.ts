/**
 * The board window's speech route (app://counter/board/speech/<callId>): a call of today's
 * file handed to Electron's loader, never read into main; anything else answered with a clear
 * status and nothing asked of the counter.
 */
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../common/result';
import { BOARD_SPEECH_URL, boardSpeechReply } from '../../main/electron/board-speech';

const FILE = { path: '/data/speech/0123456789abcdef0123456789abcdef.wav', bytes: 4 };

function setUp(boardSpeech?: (callId: string) => Promise<typeof FILE>) {
  const source = boardSpeech ? { boardSpeech: vi.fn(boardSpeech) } : {};
  const fetchFile = vi.fn(async (_url: string) => new Response(new Uint8Array([82, 73, 70, 70])));
  const log = { warn: vi.fn() };
  return { source, fetchFile, log, options: { fetchFile, log } };
}

describe('the board speech route', () => {
  it('is not the answer to any other app:// address', async () => {
    const { source, options } = setUp(async () => FILE);
    for (const url of [
      'app://counter/index.html',
      'app://counter/board.html',
      'app://counter/board/speech',
      'app://other/board/speech/x',
    ]) {
      expect(await boardSpeechReply(url, source, options), url).toBeNull();
    }
  });

  it("hands the call's file to the loader by its file: URL and answers audio/wav with its size", async () => {
    const { source, fetchFile, options } = setUp(async () => FILE);
    const res = (await boardSpeechReply(`${BOARD_SPEECH_URL}${encodeURIComponent('call 7/a')}`, source, options))!;
    expect(source.boardSpeech).toHaveBeenCalledWith('call 7/a');
    expect(fetchFile).toHaveBeenCalledWith(pathToFileURL(FILE.path).href);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-length')).toBe('4');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([82, 73, 70, 70]);
  });

  it('answers 404 for an ID that is not a call ID, asking the counter nothing', async () => {
    const { source, options } = setUp(async () => FILE);
    for (const id of ['', 'x'.repeat(81), '%E0%A4%A', '%ZZ']) {
      const res = (await boardSpeechReply(`${BOARD_SPEECH_URL}${id}`, source, options))!;
      expect(res.status, id).toBe(404);
    }
    expect(source.boardSpeech).not.toHaveBeenCalled();
  });

  it('answers 404 for a call that is not of today, 500 (logged) when the call cannot be spoken or read', async () => {
    const unknown = setUp(async () => {
      throw new DomainError('NOT_FOUND', 'no call of today has this ID');
    });
    expect((await boardSpeechReply(`${BOARD_SPEECH_URL}old`, unknown.source, unknown.options))!.status).toBe(404);
    expect(unknown.log.warn).not.toHaveBeenCalled();

    const broken = setUp(async () => {
      throw new Error('the speech worker stopped');
    });
    const res = (await boardSpeechReply(`${BOARD_SPEECH_URL}c1`, broken.source, broken.options))!;
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('the call could not be spoken');
    expect(broken.log.warn).toHaveBeenCalled();

    const unreadable = setUp(async () => FILE);
    unreadable.fetchFile.mockResolvedValueOnce(new Response('gone', { status: 404 }));
    expect((await boardSpeechReply(`${BOARD_SPEECH_URL}c1`, unreadable.source, unreadable.options))!.status).toBe(500);
  });

  it('a counter without speech answers 503', async () => {
    const { source, options } = setUp();
    expect((await boardSpeechReply(`${BOARD_SPEECH_URL}c1`, source, options))!.status).toBe(503);
  });

  it('during development lets the dev server page read it, and nobody else', async () => {
    const { source, options } = setUp(async () => FILE);
    const res = (await boardSpeechReply(`${BOARD_SPEECH_URL}c1`, source, { ...options, allowOrigin: 'http://localhost:5173' }))!;
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});

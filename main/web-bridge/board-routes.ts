/**
 * The web bridge's /board: the waiting hall's board in a browser, read-only, with its own key.
 *
 * The key is random per run of the bridge and printed beside the operator's launch link as the
 * board's address, `http://127.0.0.1:PORT/board#key=…`. The key sits in the fragment, which a
 * browser never sends to a server nor in a Referer; the page sends it in the X-Board-Key header
 * on every data request (a page of another site cannot send that header here: no CORS headers
 * are ever sent). The board gets no cookie and needs none: the operator's session opens nothing
 * under /board/ and the board key opens nothing outside it (not /rpc, not /events).
 *
 *   GET /board                  the board page (static, like the renderer's other files)
 *   GET /board/view             BoardView
 *   GET /board/events           server-sent events of BoardEvent
 *   GET /board/speech/:callId   the call's speech (audio/wav); 404 for a call that is not known
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { speechCallIdOf, type BoardCall, type BoardEvent, type BoardView } from '../../common/board';
import type { CounterBackend } from '../counter';
import type { SpokenFile } from '../speech/speech-service';
import { errorCode } from '../../common/error-code';

export const BOARD_KEY_HEADER = 'x-board-key';

/** What the board reads from the counter: the view, the events, a call's speech. */
export interface BoardSource {
  boardView(): Promise<BoardView> | BoardView;
  /** the call with this ID, or null when there is none */
  boardCall(callId: string): Promise<BoardCall | null> | BoardCall | null;
  /** the call's speech as the speech worker wrote it (a WAV file) */
  boardSpeech(callId: string): Promise<SpokenFile>;
  /** subscribes to the board's events; returns the unsubscribe */
  subscribe(listener: (event: BoardEvent) => void): () => void;
}

export interface BoardRoutes {
  /** the board's read-only key (printed in the board's address) */
  key: string;
  /** true when the request was one of /board's (answered, or being streamed) */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, host: string): Promise<boolean>;
  close(): void;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createBoardRoutes(
  source: BoardSource,
  page: () => Promise<Buffer | string>,
  onError: (err: unknown) => void,
): BoardRoutes {
  const key = randomBytes(32).toString('base64url');
  const keyDigest = digest(key);
  const streams = new Set<ServerResponse>();
  const unsubscribe = source.subscribe((event) => {
    const line = `data: ${JSON.stringify(event)}\n\n`;
    for (const s of streams) s.write(line);
  });
  // a comment now and then keeps a proxy or the browser from closing a quiet stream
  const keepAlive = setInterval(() => {
    for (const s of streams) s.write(': keep-alive\n\n');
  }, 25_000);
  keepAlive.unref();

  const keyOk = (req: IncomingMessage): boolean => {
    const given = req.headers[BOARD_KEY_HEADER];
    return typeof given === 'string' && timingSafeEqual(digest(given), keyDigest);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, host: string): Promise<boolean> {
    const path = url.pathname;
    if (path !== '/board' && path !== '/board/' && !path.startsWith('/board/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'GET only');
      return true;
    }
    if (path === '/board' || path === '/board/') {
      // the page holds no secret (as the renderer's other files): the key in the fragment opens the data
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(await page());
      return true;
    }
    const origin = req.headers.origin;
    if (!keyOk(req) || (origin !== undefined && origin !== `http://${host}`)) {
      res.writeHead(401, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'open the board with the board link the counter printed when it started' }));
      return true;
    }
    if (path === '/board/view') {
      sendJson(res, 200, await source.boardView());
      return true;
    }
    if (path === '/board/events') {
      // a HEAD (a link checker) gets no stream left open
      if (req.method !== 'GET') {
        sendText(res, 405, 'GET only');
        return true;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return true;
    }
    const m = /^\/board\/speech\/([^/]{1,240})$/.exec(path);
    if (m) {
      const callId = speechCallIdOf(m[1]!);
      if (callId === null || !(await source.boardCall(callId))) {
        sendText(res, 404, 'no such call');
        return true;
      }
      try {
        await sendWav(req, res, await source.boardSpeech(callId));
      } catch (e) {
        // a board that went away mid-call is no failure of the counter's
        if (!(e instanceof BoardGone)) onError(e);
        if (res.headersSent) res.destroy();
        else sendText(res, 500, 'the call could not be spoken');
      }
      return true;
    }
    sendText(res, 404, 'not found');
    return true;
  }

  return {
    key,
    handle,
    close() {
      unsubscribe();
      clearInterval(keepAlive);
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}

/** How much of a call's sound is read at a time. */
const WAV_CHUNK = 64 * 1024;

/** The board's connection closed before its call's sound was all sent. */
class BoardGone extends Error {
  override readonly name = 'BoardGone';
}

/**
 * A call's WAV file, read into one buffer a chunk at a time, each chunk written out before the
 * next is read: however many boards ask, this process holds a chunk per board, never a call's
 * half a megabyte of sound (which would bring on garbage collection pauses of the counter's loop).
 * A board whose connection closes ends the sending at once (a response queued behind another on
 * the same connection hears of it only from the connection), and the file is closed.
 */
async function sendWav(req: IncomingMessage, res: ServerResponse, file: SpokenFile): Promise<void> {
  const fh = await open(file.path, 'r');
  const socket = req.socket;
  let gone: (() => void) | null = null;
  const onClose = () => gone?.();
  socket.once('close', onClose);
  try {
    const { size } = await fh.stat();
    res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(size) });
    const chunk = Buffer.allocUnsafeSlow(Math.max(1, Math.min(WAV_CHUNK, size)));
    let sent = 0;
    while (sent < size) {
      if (socket.destroyed) throw new BoardGone('the board closed its connection');
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - sent), sent);
      if (bytesRead === 0) throw new Error(`${file.path} ended after ${sent} of ${size} bytes`);
      await new Promise<void>((ok, bad) => {
        gone = () => bad(new BoardGone('the board closed its connection'));
        if (socket.destroyed) gone();
        else res.write(chunk.subarray(0, bytesRead), (e) => (e ? bad(e) : ok()));
      });
      gone = null;
      sent += bytesRead;
    }
    res.end();
  } catch (e) {
    const code = errorCode(e);
    throw code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET' || code === 'EPIPE'
      ? new BoardGone('the board closed its connection')
      : e;
  } finally {
    socket.off('close', onClose);
    await fh.close();
  }
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** The board's reach into the counter: read-only (the view, one call, its speech, the board's events). */
export function boardSourceOf(backend: CounterBackend): BoardSource {
  return {
    boardView: () => backend.boardView(),
    boardCall: (callId) => backend.boardCall(callId),
    boardSpeech: (callId) => backend.boardSpeech(callId),
    subscribe: (listener) => {
      backend.boardEvents.on('board', listener);
      return () => backend.boardEvents.off('board', listener);
    },
  };
}

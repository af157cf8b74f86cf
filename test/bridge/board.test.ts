// The web bridge's /board: the waiting hall's board in a browser, read-only, opened by its own
// key (never the operator's session), which opens nothing else.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { boardViewSchema, type BoardEvent } from '../../common/board';
import { prng, walkInForm } from '../../common/demo/people';
import { seedDemo } from '../../main/demo/seed';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend } from '../../main/counter';
import { BOARD_KEY_HEADER } from '../../main/web-bridge/board-routes';
import { startWebBridge, type WebBridge } from '../../main/web-bridge/server';

let dir: string;
/** where the stand-in speech files are */
let spokenDir: string;
let backend: CounterBackend;
let bridge: WebBridge;
let key: string;
/** `name=value` of the operator's session cookie */
let cookie: string;
const FAKE_WAV = Buffer.from('RIFF....WAVEfmt fake speech');
/** A stand-in call's file: the header, the call's ID, and over three read chunks of sound. */
const fakeSpeech = (callId: string) =>
  Buffer.concat([
    FAKE_WAV,
    Buffer.from(callId),
    Buffer.from(Array.from({ length: 200_003 }, (_, i) => (i * 7 + callId.length) % 251)),
  ]);

interface Raw {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

function raw(opts: { path: string; method?: string; host?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<Raw>((ok, bad) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: bridge.port,
        path: opts.path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? `127.0.0.1:${bridge.port}`, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      },
    );
    req.on('error', bad);
    req.end(opts.body);
  });
}

const BOARD = () => ({ [BOARD_KEY_HEADER]: key });
const rpc = (method: string, payload: unknown, headers: Record<string, string>) =>
  raw({
    path: `/rpc/${method}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
const SESSION = () => ({ cookie, 'x-counter-request': '1' });

/** Opens /board/events and collects its events until `until` says enough (or 5 s pass). */
function boardEvents(
  headers: Record<string, string>,
  until: (events: BoardEvent[]) => boolean,
  trigger?: () => Promise<unknown>,
) {
  return new Promise<{ status: number; events: BoardEvent[]; headers: Raw['headers'] }>((ok, bad) => {
    const events: BoardEvent[] = [];
    const timer = setTimeout(() => {
      req.destroy();
      bad(new Error(`events within 5 s: ${JSON.stringify(events)}`));
    }, 5000);
    const req = request(
      { host: '127.0.0.1', port: bridge.port, path: '/board/events', headers: { host: `127.0.0.1:${bridge.port}`, ...headers } },
      (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          res.resume();
          return ok({ status: res.statusCode ?? 0, events, headers: res.headers });
        }
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)) as BoardEvent);
          }
          if (until(events)) {
            clearTimeout(timer);
            req.destroy();
            ok({ status: 200, events, headers: res.headers });
          }
        });
        if (trigger) void trigger().catch(bad);
      },
    );
    req.on('error', (e) => (e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : bad(e)));
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-board-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><html><head></head><body>counter app</body></html>');
  writeFileSync(join(renderer, 'board.html'), '<!doctype html><html><head></head><body>board page</body></html>');
  writeFileSync(join(dir, 'bridge.js'), '/* bridge */');
  backend = await CounterBackend.open({ dataDir: join(dir, 'data'), log: silentLogger() });
  await seedDemo(backend, 20);
  // the speech itself is the speech part's (tested there): here, that the route serves its file
  // whole, however many chunks it is read in
  spokenDir = join(dir, 'spoken');
  const spoken = spokenDir;
  mkdirSync(spoken);
  Object.defineProperty(backend, 'boardSpeech', {
    configurable: true,
    value: (callId: string) => {
      const path = join(spoken, `${createHash('sha256').update(callId).digest('hex')}.wav`);
      const bytes = fakeSpeech(callId);
      writeFileSync(path, bytes);
      return Promise.resolve({ path, bytes: bytes.length });
    },
  });
  bridge = await startWebBridge({ backend, rendererDir: renderer, bridgeScript: join(dir, 'bridge.js'), port: 0 });
  const boardUrl = new URL(bridge.boardUrl);
  expect(boardUrl.pathname).toBe('/board');
  key = new URLSearchParams(boardUrl.hash.slice(1)).get('key')!;
  // the operator signs in with the launch link, as a user does
  const launch = new URL(bridge.launchUrl);
  const signedIn = await raw({ path: launch.pathname + launch.search });
  cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
  const signIn = JSON.parse((await rpc('signIn', { loginId: 'operator', pin: '1357' }, SESSION())).body.toString());
  expect(signIn.ok).toBe(true);
  // tickets waiting: a few walk-ins
  const r = prng(11);
  for (let i = 0; i < 4; i++) {
    const res = JSON.parse(
      (
        await rpc('registerWalkIn', { submissionId: randomUUID(), form: walkInForm(r), acknowledgedDuplicates: [] }, SESSION())
      ).body.toString(),
    );
    if (!res.ok) throw new Error(JSON.stringify(res));
  }
});

afterAll(async () => {
  await bridge?.close();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web bridge /board', () => {
  it('has its own random key, in the address fragment (never sent to a server), distinct from the launch token', () => {
    expect(Buffer.from(key, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(bridge.boardUrl).toBe(`${bridge.url}board#key=${key}`);
    expect(bridge.launchUrl).not.toContain(key);
  });

  it('serves the board page without any cookie and sets none', async () => {
    const page = await raw({ path: '/board' });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('board page');
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('refuses the view, events and speech without the key, with a wrong key, or with only the operator cookie', async () => {
    const wrong = { [BOARD_KEY_HEADER]: `${key.slice(0, -2)}xx` };
    for (const headers of [{}, wrong, { [BOARD_KEY_HEADER]: '' }, SESSION()]) {
      for (const path of ['/board/view', '/board/speech/anything']) {
        const res = await raw({ path, headers });
        expect(res.status, `${path} ${JSON.stringify(Object.keys(headers))}`).toBe(401);
        expect(res.body.toString()).not.toContain('centre');
      }
      expect((await boardEvents(headers, () => true)).status).toBe(401);
    }
    // the key in the query is not the key: it goes only in the header
    expect((await raw({ path: `/board/view?key=${key}` })).status).toBe(401);
  });

  it('refuses a page of another site and a wrong Host even with the key', async () => {
    expect((await raw({ path: '/board/view', headers: { ...BOARD(), origin: 'http://evil.example' } })).status).toBe(401);
    expect((await raw({ path: '/board/view', headers: BOARD(), host: 'evil.example' })).status).toBe(421);
    expect((await raw({ path: '/board/view', headers: BOARD(), host: `127.0.0.1:${bridge.port}.evil.example` })).status).toBe(
      421,
    );
  });

  it('with the key gives the view (no operator cookie needed, none given)', async () => {
    const res = await raw({ path: '/board/view', headers: BOARD() });
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    const view = boardViewSchema.parse(JSON.parse(res.body.toString()));
    expect(view.lanes.find((l) => l.lane === 'walkin')!.waiting).toBeGreaterThanOrEqual(4);
  });

  it('the board key opens nothing else: not /rpc, not /events, not the counter page', async () => {
    const calls = await rpc('callNext', {}, { ...BOARD(), 'x-counter-request': '1' });
    expect(calls.status).toBe(403);
    const view = await rpc('getQueue', {}, { ...BOARD(), 'x-counter-request': '1' });
    expect(view.status).toBe(403);
    const ev = await raw({ path: '/events', headers: { ...BOARD(), 'x-counter-request': '1' } });
    expect(ev.status).toBe(403);
    const page = await raw({ path: '/', headers: BOARD() });
    expect(page.body.toString()).not.toContain('counter app');
    // and nothing under /board/ acts on the queue
    expect((await raw({ path: '/board/events', method: 'HEAD', headers: BOARD() })).status).toBe(405);
    for (const method of ['POST', 'PUT', 'DELETE'])
      expect((await raw({ path: '/board/view', method, headers: BOARD() })).status).toBe(405);
  });

  it('streams a call as it is made, then serves its speech as audio/wav; an unknown call is 404', async () => {
    const got = await boardEvents(
      BOARD(),
      (events) => events.some((e) => e.type === 'called'),
      () => rpc('callNext', {}, SESSION()),
    );
    expect(got.status).toBe(200);
    expect(got.headers['set-cookie']).toBeUndefined();
    const called = got.events.find((e): e is Extract<BoardEvent, { type: 'called' }> => e.type === 'called')!;
    expect(called.call.counterCode).toBeTruthy();
    expect(called.call.recall).toBe(false);
    const view = boardViewSchema.parse(JSON.parse((await raw({ path: '/board/view', headers: BOARD() })).body.toString()));
    expect(view.nowCalling?.callId).toBe(called.call.callId);

    const speech = await raw({ path: `/board/speech/${encodeURIComponent(called.call.callId)}`, headers: BOARD() });
    expect(speech.status).toBe(200);
    expect(speech.headers['content-type']).toBe('audio/wav');
    expect(speech.body.equals(fakeSpeech(called.call.callId))).toBe(true);
    expect(Number(speech.headers['content-length'])).toBe(speech.body.length);

    for (const id of ['no-such-call', '%E0%A4', 'x'.repeat(100)]) {
      expect((await raw({ path: `/board/speech/${id}`, headers: BOARD() })).status, id).toBe(404);
    }
  });

  it.runIf(process.platform === 'linux')(
    'a board that goes away with two calls asked on one connection leaves no file open, and the bridge answers on',
    async () => {
      const view = boardViewSchema.parse(JSON.parse((await raw({ path: '/board/view', headers: BOARD() })).body.toString()));
      const callId = view.nowCalling!.callId;
      const openSpeechFiles = () =>
        readdirSync('/proc/self/fd')
          .map((fd) => {
            try {
              return readlinkSync(`/proc/self/fd/${fd}`);
            } catch {
              return '';
            }
          })
          .filter((target) => target.startsWith(spokenDir));
      const { port } = new URL(bridge.url);
      const ask = `GET /board/speech/${encodeURIComponent(callId)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${BOARD_KEY_HEADER}: ${key}\r\n\r\n`;
      for (let round = 0; round < 5; round++) {
        // two requests in one write (the second waits behind the first), then the board is gone
        const socket = connect(Number(port), '127.0.0.1');
        await new Promise<void>((ok, bad) => socket.once('connect', ok).once('error', bad));
        socket.write(ask + ask);
        socket.destroy();
      }
      await vi.waitFor(() => expect(openSpeechFiles()).toEqual([]), { timeout: 10_000, interval: 50 });
      const again = await raw({ path: `/board/speech/${encodeURIComponent(callId)}`, headers: BOARD() });
      expect(again.status).toBe(200);
      expect(again.body.equals(fakeSpeech(callId))).toBe(true);
    },
  );

  it('streams a recall as a new call of the same ticket, and a no-show as `changed`', async () => {
    const before = boardViewSchema.parse(JSON.parse((await raw({ path: '/board/view', headers: BOARD() })).body.toString()));
    const ticketId = before.nowCalling!.ticketId;
    const recalled = await boardEvents(
      BOARD(),
      (events) => events.some((e) => e.type === 'called'),
      () => rpc('recallTicket', { ticketId }, SESSION()),
    );
    const call = recalled.events.find((e): e is Extract<BoardEvent, { type: 'called' }> => e.type === 'called')!.call;
    expect(call.ticketId).toBe(ticketId);
    expect(call.recall).toBe(true);
    expect(call.callId).not.toBe(before.nowCalling!.callId);
    const noShow = await boardEvents(
      BOARD(),
      (events) => events.some((e) => e.type === 'changed'),
      () => rpc('markNoShow', { ticketId }, SESSION()),
    );
    expect(noShow.events.some((e) => e.type === 'changed')).toBe(true);
    const after = boardViewSchema.parse(JSON.parse((await raw({ path: '/board/view', headers: BOARD() })).body.toString()));
    expect(after.nowCalling?.ticketId).not.toBe(ticketId);
  });

  it('serves the real spoken call (the speech worker) as a WAV file', async () => {
    delete (backend as unknown as Record<string, unknown>).boardSpeech;
    const next = JSON.parse((await rpc('callNext', {}, SESSION())).body.toString());
    expect(next.ok).toBe(true);
    const view = boardViewSchema.parse(JSON.parse((await raw({ path: '/board/view', headers: BOARD() })).body.toString()));
    const callId = view.nowCalling!.callId;
    const speech = await raw({ path: `/board/speech/${encodeURIComponent(callId)}`, headers: BOARD() });
    expect(speech.status).toBe(200);
    expect(speech.headers['content-type']).toBe('audio/wav');
    expect(speech.body.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(speech.body.subarray(8, 12).toString('latin1')).toBe('WAVE');
    expect(speech.body.length).toBeGreaterThan(16_000);
    expect(Number(speech.headers['content-length'])).toBe(speech.body.length);
  }, 30_000);
});

// The web bridge: the built page and `window.counter` over HTTP on 127.0.0.1, opened only
// with the one-time launch link it prints. Without the session cookie that link sets, a
// caller gets a page saying how to open the counter and 403 on every call and event stream.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_ROSTER_BYTES } from '../../common/contract';
import { rosterEntries } from '../../common/demo/people';
import { seedDemo } from '../../main/demo/seed';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend } from '../../main/counter';
import { startWebBridge, type WebBridge } from '../../main/web-bridge/server';

/** the client ID of every call the bridge hands to the dispatcher */
const clientIds = vi.hoisted(() => [] as (string | undefined)[]);
vi.mock('../../main/ipc/dispatcher', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../main/ipc/dispatcher')>();
  return {
    ...real,
    createDispatcher: (...args: Parameters<typeof real.createDispatcher>) => {
      const dispatch = real.createDispatcher(...args);
      return (method: unknown, payload: unknown, clientId: string) => {
        clientIds.push(clientId);
        return dispatch(method, payload, clientId);
      };
    },
  };
});

let dir: string;
let backend: CounterBackend;
let bridge: WebBridge;
/** `name=value` of the session cookie the launch link set */
let cookie: string;

interface Raw {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request, so the Host header, cookie and body can be whatever a hostile caller would send. */
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
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', bad);
    req.end(opts.body);
  });
}

const SESSION = () => ({ cookie, 'x-counter-request': '1' });

const rpc = (method: string, payload: unknown, headers: Record<string, string> = SESSION()) =>
  raw({
    path: `/rpc/${method}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });

const launchPath = (b: WebBridge) => new URL(b.launchUrl).pathname + new URL(b.launchUrl).search;

/** Opens the event stream and resolves with what came before the first event, or the refusal. */
function events(headers: Record<string, string>, trigger?: () => void): Promise<{ status: number; body: string }> {
  return new Promise((ok, bad) => {
    const req = request(
      { host: '127.0.0.1', port: bridge.port, path: '/events', headers: { host: `127.0.0.1:${bridge.port}`, ...headers } },
      (res) => {
        let buf = '';
        if (res.statusCode !== 200) {
          res.on('data', (c) => (buf += c));
          res.on('end', () => ok({ status: res.statusCode ?? 0, body: buf }));
          return;
        }
        res.on('data', (c) => {
          buf += c;
          if (buf.includes('data:')) {
            req.destroy();
            ok({ status: 200, body: buf });
          }
        });
        trigger?.();
      },
    );
    req.on('error', (e) => (e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : bad(e)));
    req.end();
    setTimeout(() => bad(new Error('no event within 5 s')), 5000);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(
    join(renderer, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body></body></html>',
  );
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  writeFileSync(join(dir, 'bridge.js'), '/* bridge */');
  backend = await CounterBackend.open({ dataDir: join(dir, 'data'), log: silentLogger() });
  await seedDemo(backend, 20);
  bridge = await startWebBridge({ backend, rendererDir: renderer, bridgeScript: join(dir, 'bridge.js'), port: 0 });
});

afterAll(async () => {
  await bridge.close();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web bridge', () => {
  it('without the session cookie, / says how to open the counter and holds no secret, token or app', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const token = new URL(bridge.launchUrl).searchParams.get('token')!;
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    for (const path of ['/', '/index.html']) {
      const page = await raw({ path });
      expect(page.status).toBe(200);
      expect(page.body).toContain('npm run web');
      expect(page.body).not.toContain(token);
      expect(page.body).not.toMatch(/data-secret|counter-bridge\.js|assets\/app\.js/);
      expect(page.headers['set-cookie']).toBeUndefined();
      expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    }
  });

  it('a wrong launch token sets no cookie', async () => {
    const wrong = await raw({ path: `/?token=${'A'.repeat(43)}` });
    expect(wrong.status).toBe(403);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('the launch link sets an HttpOnly SameSite=Strict session cookie once and leads to the bare address', async () => {
    // a HEAD (a link checker, a preview) does not use the link up
    const head = await raw({ path: launchPath(bridge), method: 'HEAD' });
    expect(head.headers['set-cookie']).toBeUndefined();
    const first = await raw({ path: launchPath(bridge) });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const setCookie = (first.headers['set-cookie'] as string[])[0]!;
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    cookie = setCookie.split(';')[0]!;
    const [name, value] = cookie.split('=') as [string, string];
    expect(name).toBe(`counter_session_${bridge.port}`);
    expect(Buffer.from(value, 'base64url').length).toBeGreaterThanOrEqual(32);

    // the token is spent: another browser gets the page saying so, and no session
    const again = await raw({ path: launchPath(bridge) });
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('used already');
    // a tab of the browser that holds the session may open the link again: it is sent on, no new session
    const sameBrowser = await raw({ path: launchPath(bridge), headers: { cookie } });
    expect(sameBrowser.status).toBe(303);
    expect(sameBrowser.headers['set-cookie']).toBeUndefined();
  });

  it('with the cookie, / serves the app with the bridge script first, the CSP header and no secret in the page', async () => {
    const page = await raw({ path: '/', headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body.indexOf('/counter-bridge.js')).toBeGreaterThan(0);
    expect(page.body.indexOf('/counter-bridge.js')).toBeLessThan(page.body.indexOf('/assets/app.js'));
    expect(page.body).not.toContain('data-secret');
    expect(page.body).not.toContain(cookie.split('=')[1]!);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers contract calls through the same dispatcher, under the session’s own client ID', async () => {
    clientIds.length = 0;
    const signIn = JSON.parse((await rpc('signIn', { loginId: 'operator', pin: '1357' })).body);
    expect(signIn.ok).toBe(true);
    const state = JSON.parse((await rpc('getAppState', {})).body);
    expect(state.value.operator.loginId).toBe('operator');
    const bad = JSON.parse((await rpc('checkIn', { refId: 42 })).body);
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const unknown = JSON.parse((await rpc('dropTables', {})).body);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    // one client for the cookie, and not the cookie itself (client IDs may be logged)
    expect(new Set(clientIds).size).toBe(1);
    expect(clientIds[0]).toMatch(/^web-/);
    expect(clientIds[0]).not.toContain(cookie.split('=')[1]!);
  });

  it('refuses calls without the cookie, with a forged cookie, without the request header, or from another origin', async () => {
    const forbidden = async (headers: Record<string, string>) => {
      const r = await rpc('getAppState', {}, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.body).not.toContain('"operator"');
    };
    const [name] = cookie.split('=') as [string, string];
    await forbidden({ 'x-counter-request': '1' });
    await forbidden({ cookie });
    await forbidden({ cookie, 'x-counter-request': '0' });
    await forbidden({ cookie: `${name}=${'x'.repeat(43)}`, 'x-counter-request': '1' });
    await forbidden({ cookie: `other_name=${cookie.split('=')[1]!}`, 'x-counter-request': '1' });
    await forbidden({ ...SESSION(), origin: 'http://evil.example' });
    // a cross-site form post: no custom header, and a browser would not send a SameSite=Strict cookie anyway
    const form = await raw({
      path: '/rpc/signOut',
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(form.status).toBe(403);
    // a stray cookie of the same name first (set by another server on 127.0.0.1) does not hide the real one
    expect((await rpc('getAppState', {}, { cookie: `${name}=stray; ${cookie}`, 'x-counter-request': '1' })).status).toBe(200);
    // the body is still checked
    const notJson = await raw({ path: '/rpc/getAppState', method: 'POST', headers: SESSION(), body: '{nope' });
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('refuses other Host names (DNS rebinding), with the session or without', async () => {
    expect((await raw({ path: '/', host: 'evil.example' })).status).toBe(421);
    expect((await raw({ path: launchPath(bridge), host: `evil.example:${bridge.port}` })).status).toBe(421);
    const r = await raw({
      path: '/rpc/getAppState',
      method: 'POST',
      host: `evil.example:${bridge.port}`,
      headers: SESSION(),
      body: '{}',
    });
    expect(r.status).toBe(421);
  });

  it('serves nothing outside the renderer folder', async () => {
    expect((await raw({ path: '/assets/app.js' })).status).toBe(200);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%2fsecret.txt']) {
      const r = await raw({ path: p, headers: { cookie } });
      expect(r.body).not.toContain('do not serve');
    }
  });

  it('opens the event stream only with the cookie and the header', async () => {
    expect((await events({ 'x-counter-request': '1' })).status).toBe(403);
    expect((await events({ cookie })).status).toBe(403);
    expect((await events({ cookie: `${cookie.split('=')[0]}=forged`, 'x-counter-request': '1' })).status).toBe(403);
  });

  it('pushes change events to the session’s streams', async () => {
    const got = await events(SESSION(), () => void rpc('checkIn', { refId: rosterEntries(20, 7)[0]!.refId }));
    expect(got.status).toBe(200);
    expect(got.body).toContain('"type":"changed"');
    expect(got.body).toContain('"method":"checkIn"');
  });

  describe('the page’s socket', () => {
    const ORIGIN = () => `http://127.0.0.1:${bridge.port}`;
    /** Opens the socket as a browser would (Host, Origin, cookie as given); resolves open, or the refusal's status. */
    const connect = (headers: Record<string, string>, path = '/socket') =>
      new Promise<{ ws: WebSocket } | { status: number }>((ok, bad) => {
        const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}${path}`, { headers });
        ws.once('open', () => ok({ ws }));
        ws.once('unexpected-response', (_req, res) => ok({ status: res.statusCode ?? 0 }));
        ws.once('error', bad);
      });
    const open = async (headers: Record<string, string> = { cookie, origin: ORIGIN() }) => {
      const r = await connect(headers);
      if (!('ws' in r)) throw new Error(`refused: ${r.status}`);
      const messages: Array<{
        id?: number;
        result?: { ok: boolean; value?: unknown; error?: { code: string } };
        event?: { type: string; method?: string };
      }> = [];
      r.ws.on('message', (data) => messages.push(JSON.parse(String(data))));
      const answer = async (id: number) => {
        for (let i = 0; i < 500; i++) {
          const m = messages.find((x) => x.id === id);
          if (m) return m.result!;
          await new Promise((t) => setTimeout(t, 10));
        }
        throw new Error(`no answer to ${id}`);
      };
      const call = (id: number, method: string, payload: unknown) => {
        r.ws.send(JSON.stringify({ id, method, payload }));
        return answer(id);
      };
      const closed = new Promise<number>((ok) => r.ws.once('close', (code) => ok(code)));
      return { ws: r.ws, messages, call, closed };
    };

    /** The bridge still answers a call on a new socket. */
    const stillAnswers = async () => {
      const s = await open();
      try {
        expect(await s.call(1, 'getAppState', {})).toMatchObject({ ok: true });
      } finally {
        s.ws.close();
      }
    };

    it('answers calls by their id through the same dispatcher, under the session’s client ID', async () => {
      clientIds.length = 0;
      const s = await open();
      try {
        // two calls in flight at once, answered each by its own id
        s.ws.send(JSON.stringify({ id: 7, method: 'getAppState', payload: {} }));
        const bad = await s.call(8, 'checkIn', { refId: 42 });
        expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
        const state = s.messages.find((m) => m.id === 7)?.result;
        expect(state).toMatchObject({ ok: true });
        expect(await s.call(9, 'dropTables', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
        expect(new Set(clientIds).size).toBe(1);
        expect(clientIds[0]).toMatch(/^web-/);
      } finally {
        s.ws.close();
      }
    });

    it('brings main’s events, a call’s own change before its answer', async () => {
      const s = await open();
      try {
        expect(await s.call(1, 'signIn', { loginId: 'operator', pin: '1357' })).toMatchObject({ ok: true });
        s.messages.length = 0;
        const r = await s.call(2, 'checkIn', { refId: rosterEntries(20, 7)[1]!.refId });
        expect(r).toMatchObject({ ok: true });
        const changed = s.messages.findIndex((m) => m.event?.type === 'changed' && m.event.method === 'checkIn');
        const answered = s.messages.findIndex((m) => m.id === 2);
        expect(changed).toBeGreaterThanOrEqual(0);
        expect(changed).toBeLessThan(answered);
      } finally {
        s.ws.close();
      }
    });

    it('opens only with the session cookie, from the page’s own origin, on its own host and path', async () => {
      const [name] = cookie.split('=') as [string, string];
      // a page of another site in the operator's browser: the cookie may come along, its origin does not match
      expect(await connect({ cookie, origin: 'http://evil.example' })).toEqual({ status: 403 });
      expect(await connect({ cookie, origin: `http://localhost:${bridge.port}` })).toEqual({ status: 403 });
      // no origin at all (not a browser page): refused too
      expect(await connect({ cookie })).toEqual({ status: 403 });
      expect(await connect({ origin: ORIGIN() })).toEqual({ status: 403 });
      expect(await connect({ cookie: `${name}=${'x'.repeat(43)}`, origin: ORIGIN() })).toEqual({ status: 403 });
      expect(await connect({ cookie, origin: ORIGIN(), host: `evil.example:${bridge.port}` })).toEqual({ status: 421 });
      expect(await connect({ cookie, origin: ORIGIN() }, '/events')).toEqual({ status: 404 });
    });

    it('an upgrade with a target that is not a URL is refused and closed, and the bridge goes on', async () => {
      /**
       * What the bridge wrote back, and whether it then closed the connection: a client that never
       * closes its own side goes on writing, and gets a reset once the bridge has let go.
       */
      const rawUpgrade = (target: string) =>
        new Promise<{ answer: string; closed: boolean }>((ok, bad) => {
          const sock = tcpConnect({ port: bridge.port, host: '127.0.0.1', allowHalfOpen: true });
          let answer = '';
          let writer: ReturnType<typeof setInterval> | undefined;
          const done = (closed: boolean) => {
            clearInterval(writer);
            sock.destroy();
            ok({ answer, closed });
          };
          sock.setEncoding('utf8');
          sock.on('data', (d: string) => (answer += d));
          sock.on('end', () => {
            writer = setInterval(() => sock.write('x'), 50);
            setTimeout(() => done(false), 3000);
          });
          sock.on('error', () => done(true));
          sock.on('close', () => done(true));
          sock.write(
            `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
              `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${ORIGIN()}\r\nCookie: ${cookie}\r\n\r\n`,
          );
          setTimeout(() => bad(new Error(`no answer: ${answer}`)), 5000);
        });
      for (const target of ['//[', `http://x:99999${'/socket'}`, '/socket/../socket']) {
        const r = await rawUpgrade(target);
        expect(r.answer, target).toMatch(/^HTTP\/1\.1 404 /);
        expect(r.closed, target).toBe(true);
      }
      await stillAnswers();
    });

    it('a message that is not a call closes the socket, and the bridge goes on', async () => {
      for (const junk of [
        '{nope',
        JSON.stringify({ id: -1, method: 'getAppState', payload: {} }),
        JSON.stringify({ id: 1, method: 'getAppState', payload: {}, extra: 1 }),
        JSON.stringify([1, 2]),
      ]) {
        const s = await open();
        s.ws.send(junk);
        expect(await s.closed, junk).toBe(1008);
      }
      const binary = await open();
      binary.ws.send(Buffer.from([1, 2, 3]));
      expect(await binary.closed).toBe(1008);
      // over the size limit: closed by the socket library, before any of it is read as a call
      const big = await open();
      big.ws.send('x'.repeat(MAX_ROSTER_BYTES + 2 * 1024 * 1024));
      expect(await big.closed).toBe(1009);
      await stillAnswers();
    });
  });

  it('when it closes, the browsers’ sessions end', async () => {
    const own = await CounterBackend.open({ dataDir: join(dir, 'data-close'), log: silentLogger() });
    try {
      await seedDemo(own, 5);
      const b = await startWebBridge({
        backend: own,
        rendererDir: join(dir, 'renderer'),
        bridgeScript: join(dir, 'bridge.js'),
        port: 0,
      });
      const res = await fetch(b.launchUrl, { redirect: 'manual' });
      const c = res.headers.get('set-cookie')!.split(';')[0]!;
      clientIds.length = 0;
      const signedIn = await fetch(new URL('/rpc/signIn', b.url), {
        method: 'POST',
        headers: { cookie: c, 'x-counter-request': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ loginId: 'operator', pin: '1357' }),
      });
      expect(((await signedIn.json()) as { ok: boolean }).ok).toBe(true);
      const clientId = clientIds[0]!;
      expect(own.operatorAt(clientId)?.loginId).toBe('operator');
      await b.close();
      expect(own.operatorAt(clientId)).toBeNull();
    } finally {
      await own.close();
    }
  });
});

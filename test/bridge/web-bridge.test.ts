import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterEntries } from '../../common/demo/people';
import { seedDemo } from '../../main/demo/seed';
import { silentLogger } from '../../main/logging/logger';
import { CounterBackend } from '../../main/counter';
import { startWebBridge, type WebBridge } from '../../main/web-bridge/server';

let dir: string;
let backend: CounterBackend;
let bridge: WebBridge;
let secret: string;

/** A raw request, so the Host header and body can be whatever a hostile page would send. */
function raw(opts: { path: string; method?: string; host?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((ok, bad) => {
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

const rpc = (method: string, payload: unknown, withSecret = secret) =>
  raw({
    path: `/rpc/${method}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-counter-secret': withSecret },
    body: JSON.stringify(payload),
  });

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
  const page = await raw({ path: '/' });
  secret = /data-secret="([^"]+)"/.exec(page.body)![1]!;
});

afterAll(async () => {
  await bridge.close();
  backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web bridge', () => {
  it('listens on 127.0.0.1 and serves the page with the bridge script first and the CSP header', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await raw({ path: '/' });
    expect(page.status).toBe(200);
    expect(page.body.indexOf('/counter-bridge.js')).toBeLessThan(page.body.indexOf('/assets/app.js'));
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('answers contract calls through the same dispatcher', async () => {
    const signIn = JSON.parse((await rpc('signIn', { loginId: 'operator', pin: '1357' })).body);
    expect(signIn.ok).toBe(true);
    const state = JSON.parse((await rpc('getAppState', {})).body);
    expect(state.value.operator.loginId).toBe('operator');
    const bad = JSON.parse((await rpc('checkIn', { refId: 42 })).body);
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const unknown = JSON.parse((await rpc('dropTables', {})).body);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('refuses calls without the secret, and non-JSON bodies', async () => {
    expect((await rpc('getAppState', {}, 'wrong')).status).toBe(403);
    expect((await raw({ path: '/rpc/getAppState', method: 'POST', body: '{}' })).status).toBe(403);
    const notJson = await raw({
      path: '/rpc/getAppState',
      method: 'POST',
      headers: { 'x-counter-secret': secret },
      body: '{nope',
    });
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect((await raw({ path: `/events?secret=wrong` })).status).toBe(403);
  });

  it('refuses other Host names (DNS rebinding)', async () => {
    expect((await raw({ path: '/', host: 'evil.example' })).status).toBe(421);
    expect(
      (
        await rpc('getAppState', {}).then(() =>
          raw({
            path: '/rpc/getAppState',
            method: 'POST',
            host: `evil.example:${bridge.port}`,
            headers: { 'x-counter-secret': secret },
            body: '{}',
          }),
        )
      ).status,
    ).toBe(421);
  });

  it('serves nothing outside the renderer folder', async () => {
    expect((await raw({ path: '/assets/app.js' })).status).toBe(200);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%2fsecret.txt']) {
      const r = await raw({ path: p });
      expect(r.body).not.toContain('do not serve');
    }
  });

  it('pushes change events to subscribers', async () => {
    const got = await new Promise<string>((ok, bad) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: bridge.port,
          path: `/events?secret=${encodeURIComponent(secret)}`,
          headers: { host: `127.0.0.1:${bridge.port}` },
        },
        (res) => {
          let buf = '';
          res.on('data', (c) => {
            buf += c;
            if (buf.includes('data:')) {
              req.destroy();
              ok(buf);
            }
          });
        },
      );
      req.on('error', (e) => (e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : bad(e)));
      req.end();
      setTimeout(() => void rpc('checkIn', { refId: rosterEntries(20, 7)[0]!.refId }), 100);
      setTimeout(() => bad(new Error('no event within 5 s')), 5000);
    });
    expect(got).toContain('"type":"changed"');
    expect(got).toContain('"method":"checkIn"');
  });
});

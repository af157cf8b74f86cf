/**
 * A portal (or something pretending to be one) that answers badly: wrong types, oversized
 * bodies, truncated JSON, answers for another centre or device, results for records never
 * sent. Each is refused with a logged reason, nothing local is lost or marked rejected, and
 * once the real portal answers again everything uploads exactly once.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import {
  eventually,
  expectPortalMatches,
  outboxRows,
  registerWalkIns,
  settled,
  status,
  syncedCounter,
  type SyncedCounter,
} from './harness';
import { freshPortalDatabase } from '../support/portal-engine';

type Mode =
  | 'pass'
  | 'wrong_types'
  | 'huge'
  | 'truncated'
  | 'html'
  | 'wrong_device'
  | 'unsent_seq'
  | 'no_results'
  | 'wrong_centre'
  | 'redirect'
  | 'hostile_retry_after';

let portal: PortalHandle;
let proxy: Server;
let proxyUrl = '';
let mode: Mode = 'pass';
const counters: SyncedCounter[] = [];

function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, rewrite?: (json: string) => string): void {
  const target = new URL(portal.url);
  const up = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        let text = Buffer.concat(chunks).toString('utf8');
        if (rewrite && upRes.statusCode === 200) text = rewrite(text);
        res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'application/json' });
        res.end(text);
      });
    },
  );
  up.on('error', () => res.destroy());
  up.end(body);
}

function hostile(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const isPush = req.url === '/v1/push';
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  switch (mode) {
    case 'pass':
      return forward(req, res, body);
    case 'wrong_types':
      return json(200, { deviceId: 42, lastAppliedSeq: 'many', results: 'all good' });
    case 'huge': {
      // 24 MB of a valid-looking JSON string: more than any answer the counter reads
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"deviceId":"');
      const chunk = 'x'.repeat(1024 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 24) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('"}');
      };
      res.on('error', () => undefined);
      return more();
    }
    case 'truncated':
      return forward(req, res, body, (text) => text.slice(0, Math.floor(text.length / 2)));
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html><body>Service temporarily unavailable</body></html>');
    case 'wrong_device':
      return forward(req, res, body, (text) =>
        isPush ? text.replace(/"deviceId":"[^"]+"/, '"deviceId":"00000000-0000-4000-8000-000000000000"') : text,
      );
    case 'unsent_seq':
      return forward(req, res, body, (text) => (isPush ? text.replace(/"seq":(\d+)/, '"seq":987654') : text));
    case 'no_results':
      return forward(req, res, body, (text) => (isPush ? text.replace(/"results":\[.*\]/s, '"results":[]') : text));
    case 'wrong_centre':
      // push is refused as the portal would refuse it; roster pages name another centre
      if (isPush) return json(503, { error: 'unavailable', message: 'down for maintenance' });
      return forward(req, res, body, (text) => text.replace(/"centreId":"[^"]+"/, '"centreId":"SOMEONE-ELSE"'));
    case 'redirect':
      res.writeHead(302, { location: 'http://example.org/steal' });
      return void res.end();
    case 'hostile_retry_after':
      res.writeHead(503, { 'retry-after': '999999999', 'content-type': 'application/json' });
      return void res.end('{"error":"busy","message":"come back next year"}');
  }
}

beforeAll(async () => {
  portal = await startPortalProcess({ database: freshPortalDatabase() });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => hostile(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of counters) await c.dispose();
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
  await portal?.stop();
});

/** A counter talking to the proxy, with its log lines captured. */
async function counterBehindProxy(): Promise<{ c: SyncedCounter; logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const c = await syncedCounter({ ...portal, url: proxyUrl }, { log: pino({ level: 'warn' }, sink) });
  counters.push(c);
  return { c, logs };
}

const CASES: Array<{ mode: Mode; expectCode: string; reason: RegExp }> = [
  { mode: 'wrong_types', expectCode: 'bad_answer', reason: /does not match the protocol/ },
  { mode: 'huge', expectCode: 'bad_answer', reason: /over the \d+-byte limit/ },
  { mode: 'truncated', expectCode: 'bad_answer', reason: /not JSON/ },
  { mode: 'html', expectCode: 'bad_answer', reason: /not JSON/ },
  { mode: 'wrong_device', expectCode: 'bad_answer', reason: /not this counter/ },
  { mode: 'unsent_seq', expectCode: 'bad_answer', reason: /was not sent/ },
  { mode: 'no_results', expectCode: 'bad_answer', reason: /without a result/ },
  { mode: 'redirect', expectCode: 'network', reason: /fetch failed|redirect/i },
];

describe('hostile or broken portal answers', () => {
  for (const k of CASES) {
    it(`${k.mode}: refused with a logged reason; nothing lost; uploads once the portal is right again`, async () => {
      mode = 'pass';
      const { c, logs } = await counterBehindProxy();
      await settled(c);
      mode = k.mode;
      try {
        await registerWalkIns(c, 4);
        await c.ok('syncNow', {});
        const s = await eventually(() => {
          const s = status(c);
          if (s.lastError?.code !== k.expectCode) throw new Error(JSON.stringify(s));
          return s;
        });
        expect(s.lastError!.message).toMatch(k.reason);
        expect(s.pending).toBe(4);
        expect(s.needsAttention).toBe(0);
        expect(outboxRows(c).filter((r) => r.state !== 'acknowledged')).toHaveLength(4);
        expect(logs.join('')).toMatch(k.reason);
      } finally {
        mode = 'pass';
      }
      await c.ok('syncNow', {});
      await settled(c, 30_000);
      const m = await expectPortalMatches(c, portal);
      expect(m.portalRecords).toEqual(m.localRecords);
      expect(m.localRecords).toHaveLength(4);
    }, 60_000);
  }

  it('a roster page for another centre is refused and the roster in use stays', async () => {
    mode = 'pass';
    const { c, logs } = await counterBehindProxy();
    const entries = (await import('./harness')).people(12, 21);
    await portal.admin.addAppointments(c.centreId, c.today, entries);
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.appState().roster?.count).toBe(12));
    mode = 'wrong_centre';
    await portal.admin.addAppointments(c.centreId, c.today, (await import('./harness')).people(3, 22));
    try {
      await c.ok('syncNow', {});
      await eventually(() => expect(logs.join('')).toMatch(/roster page is for SOMEONE-ELSE/), 10_000).catch((e) => {
        throw new Error(`${(e as Error).message}\nstatus: ${JSON.stringify(status(c))}\nlogs: ${logs.join('')}`);
      });
      expect(c.backend.appState().roster?.count).toBe(12);
    } finally {
      mode = 'pass';
    }
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.appState().roster?.count).toBe(15));
  }, 60_000);

  it('an absurd Retry-After cannot park the counter for more than an hour, and "Sync now" still tries at once', async () => {
    mode = 'pass';
    const { c } = await counterBehindProxy();
    await settled(c);
    mode = 'hostile_retry_after';
    try {
      await registerWalkIns(c, 1);
      await c.ok('syncNow', {});
      const s = await eventually(() => {
        const s = status(c);
        if (s.lastError?.code !== 'unavailable' || !s.nextRetryAt) throw new Error(JSON.stringify(s));
        return s;
      });
      const waitMs = Date.parse(s.nextRetryAt!) - Date.now();
      expect(waitMs).toBeLessThanOrEqual(60 * 60 * 1000);
      expect(waitMs).toBeGreaterThan(30 * 60 * 1000);
    } finally {
      mode = 'pass';
    }
    await c.ok('syncNow', {});
    await settled(c, 30_000);
  }, 60_000);
});

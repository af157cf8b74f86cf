/**
 * One hung client must not lock the portal: a request counts as ended when its client goes
 * away or its body stops arriving. Real sockets on 127.0.0.1, bounded in time.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { faultConfigSchema } from '../../portal/faults';
import { startPortal, type StartedPortal } from '../../portal/server';
import { ADMIN, CENTRE, NOW, TOKEN, batch, ticketEvent } from './helpers';
import { freshPortalDatabase } from '../support/portal-engine';

let started: StartedPortal | null = null;
afterEach(async () => {
  await started?.close();
  started = null;
});

async function start(bodyTimeoutMs: number): Promise<StartedPortal> {
  started = await startPortal({
    database: freshPortalDatabase(),
    adminToken: ADMIN,
    faults: true,
    clock: () => NOW,
    bodyTimeoutMs,
  });
  await started.portal.store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'counter A1' }, NOW);
  return started;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

const BIG = 200 * 1024;

describe('hung clients', () => {
  it('100 pushes of 200 KB that hang and whose clients give up leave the portal free: the next push gets 200 at once', async () => {
    const s = await start(10_000);
    s.portal.faults!.configure(faultConfigSchema.parse({ rules: [{ fault: 'hang', route: 'push' }] }));
    const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(BIG) }));
    const clients = Array.from({ length: 100 }, () => {
      const req = request({
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: '/v1/push',
        agent: false,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': body.length },
      });
      req.on('error', () => {});
      req.write(body);
      return req;
    });
    // every request has reached the portal: as many as it takes at once hang, the rest are told it is busy
    expect(await until(() => s.portal.stats.snapshot().requests >= 100, 10_000)).toBe(true);
    expect(s.portal.stats.inFlight).toBeGreaterThanOrEqual(64);
    // the clients give up, then the hang is over
    for (const req of clients) req.destroy();
    s.portal.faults!.configure(faultConfigSchema.parse({ rules: [] }));
    expect(await until(() => s.portal.stats.inFlight === 0, 5_000)).toBe(true);
    const res = await fetch(`${s.url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch(randomUUID(), [ticketEvent(1, randomUUID())])),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(200);
  }, 30_000);

  it('a client that sends its headers and half its body, then stalls, is cut off after the deadline and is not in flight', async () => {
    const s = await start(500);
    const socket = connect({ host: '127.0.0.1', port: s.port });
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const sentAt = Date.now();
    socket.write(
      `POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${BIG}\r\n\r\n`,
    );
    socket.write('{"pad":"' + 'x'.repeat(BIG / 2));
    expect(await until(() => s.portal.stats.inFlight === 1, 2_000)).toBe(true);
    const cutAt = await Promise.race([closed, sleep(5_000).then(() => null)]);
    expect(cutAt, 'the portal never cut the stalled client off').not.toBeNull();
    expect(cutAt! - sentAt).toBeGreaterThanOrEqual(400);
    expect(await until(() => s.portal.stats.inFlight === 0, 1_000)).toBe(true);
  }, 15_000);

  it('a push pipelined behind a hung one on the same connection is not left in flight when the client gives up: a stop finishes at once', async () => {
    const s = await start(10_000);
    s.portal.faults!.configure(faultConfigSchema.parse({ rules: [{ fault: 'hang', route: 'push', times: 1 }] }));
    const socket = connect({ host: '127.0.0.1', port: s.port });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const push = (seq: number) => {
      const body = JSON.stringify(batch(randomUUID(), [ticketEvent(seq, randomUUID())]));
      return (
        `POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      );
    };
    // two requests on one connection, the second sent before the first is answered
    socket.write(push(1) + push(2));
    expect(await until(() => s.portal.stats.snapshot().requests === 2, 5_000)).toBe(true);
    // the first hangs; the second's answer waits behind it for good
    expect(s.portal.stats.inFlight).toBe(2);
    socket.destroy();
    expect(await until(() => s.portal.stats.inFlight === 0, 2_000)).toBe(true);
    const stopAt = Date.now();
    started = null;
    expect(await s.portal.shutdown(5_000), 'the stop waited for a request that can never be answered').toBe(true);
    expect(Date.now() - stopAt).toBeLessThan(2_000);
  }, 15_000);
});

/**
 * Failed authentication is limited per client address: past the limit, that address is answered
 * 429 with Retry-After instead of 401. A good device's requests are never slowed by other
 * clients' failures, whether they come from another address or the same one.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_FAILURES, startPortal, type Portal, type StartedPortal } from '../../portal/server';
import { ADMIN, CENTRE, DAY, NOW, TOKEN, batch, memoryPortal, ticketEvent } from './helpers';
import { freshPortalDatabase } from '../support/portal-engine';

let portal: Portal | null = null;
let started: StartedPortal | null = null;
afterEach(async () => {
  await portal?.close();
  await started?.close();
  portal = started = null;
});

const records = `/v1/centres/${CENTRE}/records/${DAY}`;

async function call(url: string, token: string | null, from: string, method: 'GET' | 'POST' = 'GET', body?: object) {
  const res = await portal!.app.inject({
    method,
    url,
    remoteAddress: from,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body ? { payload: body } : {}),
  });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() as { error: string } };
}

describe('failed authentication, limited per client address', () => {
  it('300 wrong device tokens from one address: 401 up to the limit, then 429 with Retry-After; good devices still get 200', async () => {
    portal = await memoryPortal();
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const wrong = i % 3 === 0 ? null : `wrong-${i}-${randomUUID()}`;
      const res = await call(records, wrong, '203.0.113.7');
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.error).toBe('rate_limited');
        expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(res.retryAfter)).toBeLessThanOrEqual(60);
      }
    }
    const max = DEFAULT_AUTH_FAILURES.max;
    expect(statuses.slice(0, max).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(max).every((s) => s === 429)).toBe(true);

    // a good device at another address and one at the same address (one NAT) are answered
    expect((await call(records, TOKEN, '198.51.100.20')).status).toBe(200);
    expect((await call(records, TOKEN, '203.0.113.7')).status).toBe(200);
    const pushed = await call('/v1/push', TOKEN, '203.0.113.7', 'POST', batch(randomUUID(), [ticketEvent(1, randomUUID())]));
    expect(pushed.status).toBe(200);
    // another address's failures are its own
    expect((await call(records, 'wrong-elsewhere', '198.51.100.20')).status).toBe(401);
  });

  it('a revoked token counts as a failure', async () => {
    portal = await memoryPortal({ authFailures: { max: 3, windowMs: 60_000 } });
    await portal.store.revokeDevice(TOKEN);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(records, TOKEN, '203.0.113.8')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('wrong admin tokens: 429 past the limit, even for the right token from that address, until the window ends', async () => {
    portal = await memoryPortal({ authFailures: { max: 5, windowMs: 1_000 } });
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await call('/admin/stats', `guess-${i}`, '203.0.113.9')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    const refused = await call('/admin/stats', ADMIN, '203.0.113.9');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // another address is not held back; the device API counts apart
    expect((await call('/admin/stats', ADMIN, '198.51.100.21')).status).toBe(200);
    expect((await call(records, 'wrong-device-token', '203.0.113.9')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await call('/admin/stats', ADMIN, '203.0.113.9')).status).toBe(200);
  });

  it('over HTTP: the limit answers at once and leaves nothing in flight, and a good device gets 200', async () => {
    started = await startPortal({ database: freshPortalDatabase(), adminToken: ADMIN, clock: () => NOW });
    await started.portal.store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'counter A1' }, NOW);
    const get = (token: string) =>
      fetch(`${started!.url}${records}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const answers = [];
    for (let round = 0; round < 10; round++) {
      answers.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => get(`wrong-${round}-${i}`)))));
    }
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(DEFAULT_AUTH_FAILURES.max);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - DEFAULT_AUTH_FAILURES.max);
    expect(answers.find((a) => a.status === 429)!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await get(TOKEN)).status).toBe(200);
    for (let i = 0; i < 100 && started.portal.stats.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(started.portal.stats.inFlight).toBe(0);
  });
});

/**
 * Load shedding: while the portal's event loop lags (requests arriving faster than it applies
 * them), sync requests are refused at once with 503 busy and Retry-After, before anything is
 * read or applied; health and the admin API still answer. Off unless configured.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Portal } from '../../portal/server';
import { ADMIN, batch, inject, memoryPortal, push, ticketEvent } from './helpers';

let portal: Portal | null = null;
afterEach(async () => {
  await portal?.close();
  portal = null;
});

/** Holds the event loop, as a flood of synchronous work would. */
function lag(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('load shedding', () => {
  it('refuses pushes with 503 busy and Retry-After while the loop lags, and applies nothing', async () => {
    portal = await memoryPortal({ maxEventLoopDelayMs: 50 });
    await portal.app.ready();
    // the plugin samples the loop every 100 ms: keep it lagging across a few samples; each try
    // is another device's first batch (a push taken before the lag was seen is applied)
    let shed = null;
    let device = '';
    for (let i = 0; i < 20 && !shed; i++) {
      device = randomUUID();
      lag(300);
      await sleep(1);
      const res = await push(portal, batch(device, [ticketEvent(1, randomUUID())]));
      if (res.status === 503) shed = res;
    }
    expect(shed).not.toBeNull();
    expect(shed!.headers['retry-after']).toBe('1');
    expect(shed!.body).toMatchObject({ error: 'busy' });
    // nothing was applied for the device whose push was refused
    expect((await portal.store.clients()).find((c) => c.deviceId === device)).toBeUndefined();
    // the admin API and health still answer under load
    lag(300);
    await sleep(1);
    expect((await inject(portal, 'GET', '/v1/health', undefined, null)).status).toBe(200);
    expect((await inject(portal, 'GET', '/admin/stats', undefined, ADMIN)).status).toBe(200);
  });

  it('lets pushes through after a hold shorter than the limit that left the loop no timed turn', async () => {
    portal = await memoryPortal({ maxEventLoopDelayMs: 1000 });
    await portal.app.ready();
    // held before the delay histogram's first turn: the next sample finds no turn timed, and
    // must read the hold (about 150 ms), not an endless delay
    lag(150);
    await sleep(1);
    expect((await push(portal, batch(randomUUID(), [ticketEvent(1, randomUUID())]))).status).toBe(200);
  });

  it('is off unless configured', async () => {
    portal = await memoryPortal();
    await portal.app.ready();
    lag(300);
    await sleep(1);
    expect((await push(portal, batch(randomUUID(), [ticketEvent(1, randomUUID())]))).status).toBe(200);
  });
});

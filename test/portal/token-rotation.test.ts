/**
 * Rotating a device token and binding device IDs: a device ID is bound to the token it first
 * pushed with, and only IT moves it to another token (the admin API's rebind), never the push
 * itself. After IT revokes a counter's token, another counter of the same centre cannot take its
 * device ID over first; the real counter, given a new token and rebound, keeps uploading.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startPortalInProcess } from '../../portal/process';
import type { Portal } from '../../portal/server';
import { ADMIN, CENTRE, NOW, OTHER_TOKEN, TOKEN, batch, inject, memoryPortal, push, ticketEvent, walkIn } from './helpers';
import { freshPortalDatabase } from '../support/portal-engine';

let portal: Portal;
afterEach(() => portal?.close());

const SECOND_TOKEN = Buffer.from('test device token, counter A2, centre 01').toString('base64url');
const NEW_TOKEN = Buffer.from('test device token, counter A1, rotated 01').toString('base64url');

const rebind = (deviceId: string, token: string, admin: string | null = ADMIN) =>
  inject(portal, 'POST', `/admin/devices/${deviceId}/rebind`, { token }, admin);

async function withSecondCounter(): Promise<Portal> {
  portal = await memoryPortal();
  await portal.store.addDevice({ token: SECOND_TOKEN, centreId: CENTRE, label: 'counter A2' }, NOW);
  return portal;
}

describe('device token rotation', () => {
  it('another counter of the centre cannot take over a device ID after its token is revoked; the real one, rebound by IT, can', async () => {
    await withSecondCounter();
    const device = randomUUID();
    expect((await push(portal, batch(device, [ticketEvent(1, randomUUID())]))).status).toBe(200);
    expect(await portal.store.revokeDevice(TOKEN)).toBe(true);

    // the other counter of the same centre tries first: refused, and nothing bound to it
    const takeover = await push(portal, batch(device, [walkIn(2)]), SECOND_TOKEN);
    expect(takeover.status).toBe(403);
    expect(takeover.body).toMatchObject({ error: 'device_token_mismatch' });

    // the real counter's new token alone is not enough either: the push never rebinds
    expect((await inject(portal, 'POST', '/admin/devices', { token: NEW_TOKEN, centreId: CENTRE }, ADMIN)).status).toBe(200);
    expect((await push(portal, batch(device, [ticketEvent(2, randomUUID())]), NEW_TOKEN)).status).toBe(403);

    const bound = await rebind(device, NEW_TOKEN);
    expect(bound.status).toBe(200);
    expect(bound.body).toEqual({ deviceId: device, centreId: CENTRE, rebound: true });
    const next = await push(portal, batch(device, [ticketEvent(2, randomUUID())]), NEW_TOKEN);
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ deviceId: device, lastAppliedSeq: 2 });

    // and the other counter is still refused
    expect((await push(portal, batch(device, [ticketEvent(3, randomUUID())]), SECOND_TOKEN)).status).toBe(403);
  });

  it('a valid token of the same centre never takes over a device ID whose token is still valid', async () => {
    await withSecondCounter();
    const device = randomUUID();
    expect((await push(portal, batch(device, [ticketEvent(1, randomUUID())]))).status).toBe(200);
    const res = await push(portal, batch(device, [ticketEvent(2, randomUUID())]), SECOND_TOKEN);
    expect(res.status).toBe(403);
    expect((await portal.store.clients()).find((c) => c.deviceId === device)).toMatchObject({ lastAppliedSeq: 1 });
  });

  it('a token issued with a device ID is bound to it at once', async () => {
    portal = await memoryPortal();
    const device = randomUUID();
    const issued = await inject(
      portal,
      'POST',
      '/admin/devices',
      { centreId: CENTRE, label: 'counter A1', deviceId: device },
      ADMIN,
    );
    expect(issued.status).toBe(200);
    const token = (issued.body as { token: string }).token;
    expect((await push(portal, batch(device, [ticketEvent(1, randomUUID())]), token)).status).toBe(200);
    // bound before its first push: another token of the centre cannot claim it
    const other = randomUUID();
    const second = await inject(portal, 'POST', '/admin/devices', { centreId: CENTRE, deviceId: other }, ADMIN);
    expect((await push(portal, batch(other, [ticketEvent(1, randomUUID())]), TOKEN)).status).toBe(403);
    expect(
      (await push(portal, batch(other, [ticketEvent(1, randomUUID())]), (second.body as { token: string }).token)).status,
    ).toBe(200);
  });

  it('refuses a rebind without the admin token, to an unknown, revoked or other centre token, or of a malformed device ID', async () => {
    await withSecondCounter();
    const device = randomUUID();
    expect((await push(portal, batch(device, [ticketEvent(1, randomUUID())]))).status).toBe(200);
    expect((await rebind(device, SECOND_TOKEN, null)).status).toBe(401);
    expect((await rebind(device, SECOND_TOKEN, TOKEN)).status).toBe(401);
    expect(await rebind(device, NEW_TOKEN)).toMatchObject({ status: 404, body: { error: 'unknown_token' } });
    expect(await rebind(device, OTHER_TOKEN)).toMatchObject({ status: 409, body: { error: 'wrong_centre' } });
    await portal.store.revokeDevice(SECOND_TOKEN);
    expect(await rebind(device, SECOND_TOKEN)).toMatchObject({ status: 409, body: { error: 'token_revoked' } });
    expect((await rebind('not-a-device-id', TOKEN)).status).toBe(400);
    // none of these moved the device
    expect((await push(portal, batch(device, [ticketEvent(2, randomUUID())]))).status).toBe(200);
  });
});

describe('the admin client of portal/process.ts', () => {
  it('issues a token for a device, and after a revocation rebinds the device to a new one', async () => {
    const handle = await startPortalInProcess({ database: freshPortalDatabase() });
    try {
      const device = randomUUID();
      const first = await handle.admin.issueDevice(CENTRE, { label: 'counter A1', deviceId: device });
      const send = (seq: number, token: string) =>
        fetch(`${handle.url}/v1/push`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch(device, [ticketEvent(seq, randomUUID())])),
        });
      expect((await send(1, first)).status).toBe(200);
      expect(await handle.admin.revoke(first)).toBe(true);
      const second = await handle.admin.issueDevice(CENTRE, { label: 'counter A1, new token' });
      expect(second).not.toBe(first);
      expect((await send(2, second)).status).toBe(403);
      expect(await handle.admin.rebind(device, second)).toEqual({ deviceId: device, centreId: CENTRE, rebound: true });
      expect((await send(2, second)).status).toBe(200);
    } finally {
      await handle.stop();
    }
  });
});

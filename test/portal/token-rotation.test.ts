/**
 * Rotating a device token: after IT revokes a counter's token and gives it a new one for the
 * same centre, the counter keeps uploading under the same device ID; a token of another
 * counter that is still valid cannot take a device over.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Portal } from '../../portal/server';
import { CENTRE, NOW, TOKEN, batch, memoryPortal, push, ticketEvent } from './helpers';

let portal: Portal;
afterEach(() => portal?.close());

describe('device token rotation', () => {
  it('a counter given a new token for its centre (old one revoked) can keep uploading', async () => {
    portal = memoryPortal();
    const device = randomUUID();
    expect((await push(portal, batch(device, [ticketEvent(1, randomUUID())]))).status).toBe(200);
    portal.store.revokeDevice(TOKEN);
    const NEW_TOKEN = 'rotated-device-token-centre-01';
    portal.store.addDevice({ token: NEW_TOKEN, centreId: CENTRE, label: 'counter A1 (rotated)' }, NOW);
    const next = await push(portal, batch(device, [ticketEvent(2, randomUUID())]), NEW_TOKEN);
    expect(next.body).not.toMatchObject({ error: 'device_token_mismatch' });
    expect(next.status).toBe(200);
  });
});

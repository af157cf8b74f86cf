/**
 * Pushes pipelined on one connection (a counter sends its next batch before the one the portal
 * works on is answered) are applied in the order they came, whatever order their token lookups
 * end in (PostgreSQL's do not keep order). Real sockets on 127.0.0.1, bounded in time.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startPortal, type StartedPortal } from '../../portal/server';
import { freshPortalDatabase } from '../support/portal-engine';
import { ADMIN, CENTRE, NOW, TOKEN, batch, ticketEvent } from './helpers';

let started: StartedPortal | null = null;
afterEach(async () => {
  await started?.close();
  started = null;
});

const pushText = (deviceId: string, seqs: number[], token = TOKEN) => {
  const body = JSON.stringify(
    batch(
      deviceId,
      seqs.map((seq) => ticketEvent(seq, randomUUID())),
    ),
  );
  return (
    `POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
};

/** Writes `text` on one connection and reads until `answers` HTTP answers have come (5 s at most); their status codes. */
async function exchange(port: number, text: string, answers: number): Promise<number[]> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString('utf8')));
  socket.write(text);
  const statuses = () => [...got.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  for (let i = 0; i < 250 && statuses().length < answers; i++) await sleep(20);
  socket.destroy();
  return statuses();
}

describe('pipelined pushes', () => {
  it('are applied in the order they came on their connection, even when the first one’s token lookup ends last', async () => {
    started = await startPortal({ database: freshPortalDatabase(), adminToken: ADMIN, clock: () => NOW });
    const store = started.portal.store;
    await store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'counter A1' }, NOW);
    // the first lookup takes 100 ms, the ones after it none
    const lookup = store.deviceByToken.bind(store);
    let lookups = 0;
    store.deviceByToken = async (token) => {
      if (++lookups === 1) await sleep(100);
      return lookup(token);
    };
    const device = randomUUID();
    const statuses = await exchange(started.port, pushText(device, [1, 2]) + pushText(device, [3, 4]), 2);
    expect(statuses).toEqual([200, 200]);
    expect(lookups).toBe(2);
    const clients = await store.clients();
    expect(clients.find((c) => c.deviceId === device)?.lastAppliedSeq).toBe(4);
  });

  it('a push refused before it reaches the store (an unknown token) does not hold up the one behind it', async () => {
    started = await startPortal({ database: freshPortalDatabase(), adminToken: ADMIN, clock: () => NOW });
    await started.portal.store.addDevice({ token: TOKEN, centreId: CENTRE, label: 'counter A1' }, NOW);
    const device = randomUUID();
    const unknown = Buffer.from('a token this portal never gave out, 40 bytes').toString('base64url');
    const statuses = await exchange(started.port, pushText(device, [1], unknown) + pushText(device, [1, 2]), 2);
    expect(statuses).toEqual([401, 200]);
  });
});

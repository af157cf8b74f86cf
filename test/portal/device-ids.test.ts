/**
 * Other devices never see a device's ID: whatever a counter is answered (its records of the
 * day, its pushes' results and possible duplicates, the roster, errors), the ID of another
 * counter of its centre is not in it. Another device's record carries an opaque ID instead.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordsResponseSchema } from '../../common/sync-protocol';
import type { Portal } from '../../portal/server';
import {
  CENTRE,
  DAY,
  NOW,
  OTHER_CENTRE,
  TOKEN,
  batch,
  checkIn,
  entry,
  inject,
  memoryPortal,
  newAadhaar,
  push,
  ticketEvent,
  walkIn,
  type Answer,
} from './helpers';

const SECOND_TOKEN = Buffer.from('test device token, counter A2, centre 01').toString('base64url');

let portal: Portal;
beforeEach(async () => {
  portal = await memoryPortal();
  await portal.store.addDevice({ token: SECOND_TOKEN, centreId: CENTRE, label: 'counter A2' }, NOW);
  await portal.store.upsertAppointments(CENTRE, DAY, [entry(1), entry(2)]);
});
afterEach(() => portal.close());

describe('device IDs stay with their device', () => {
  it('no answer a device gets holds another device’s ID; its own records keep its own', async () => {
    const first = randomUUID();
    const number = newAadhaar();
    const firstWalkIn = walkIn(1, { photoIdNumber: number });
    const firstCheckIn = checkIn(2, { refId: 'REF100001' });
    expect((await push(portal, batch(first, [firstWalkIn, firstCheckIn, ticketEvent(3, firstCheckIn.recordId)]))).status).toBe(
      200,
    );

    const second = randomUUID();
    const answers: Answer[] = [];
    const ask = async (a: Promise<Answer>) => {
      const got = await a;
      answers.push(got);
      return got;
    };
    // a walk-in with the same ID number: a possible duplicate of the first device's
    const secondWalkIn = walkIn(1, { photoIdNumber: number });
    const secondCheckIn = checkIn(2, { refId: 'REF100002' });
    const pushed = await ask(push(portal, batch(second, [secondWalkIn, secondCheckIn]), SECOND_TOKEN));
    expect(pushed.status).toBe(200);
    expect(pushed.body.results[0]).toMatchObject({ flags: ['possible_duplicate'], duplicateOf: [firstWalkIn.recordId] });
    // sent again, a gap, another centre, a bad cursor, a bad day, the roster and the records
    await ask(push(portal, batch(second, [secondWalkIn]), SECOND_TOKEN));
    expect((await ask(push(portal, batch(second, [ticketEvent(9, randomUUID())]), SECOND_TOKEN))).status).toBe(409);
    expect((await ask(push(portal, batch(second, [ticketEvent(3, randomUUID())], OTHER_CENTRE), SECOND_TOKEN))).status).toBe(403);
    await ask(inject(portal, 'GET', `/v1/centres/${CENTRE}/roster/${DAY}?cursor=bad`, undefined, SECOND_TOKEN));
    await ask(inject(portal, 'GET', `/v1/centres/${CENTRE}/records/not-a-day`, undefined, SECOND_TOKEN));
    await ask(inject(portal, 'GET', `/v1/centres/${CENTRE}/roster/${DAY}`, undefined, SECOND_TOKEN));
    const held = await ask(inject(portal, 'GET', `/v1/centres/${CENTRE}/records/${DAY}`, undefined, SECOND_TOKEN));

    for (const a of answers) expect(JSON.stringify(a.body).toLowerCase()).not.toContain(first.toLowerCase());

    const records = recordsResponseSchema.parse(held.body).records;
    expect(records).toHaveLength(4);
    const own = records.filter((r) => r.deviceId === second);
    expect(own.map((r) => r.recordId).sort()).toEqual([secondWalkIn.recordId, secondCheckIn.recordId].sort());
    const others = records.filter((r) => r.deviceId !== second);
    expect(others.map((r) => r.recordId).sort()).toEqual([firstWalkIn.recordId, firstCheckIn.recordId].sort());
    // an opaque ID per record, never the same for two records
    expect(new Set(others.map((r) => r.deviceId)).size).toBe(2);

    // the first device still sees its own ID on its own records
    const firstView = recordsResponseSchema.parse(
      (await inject(portal, 'GET', `/v1/centres/${CENTRE}/records/${DAY}`, undefined, TOKEN)).body,
    ).records;
    expect(
      firstView
        .filter((r) => r.deviceId === first)
        .map((r) => r.recordId)
        .sort(),
    ).toEqual([firstWalkIn.recordId, firstCheckIn.recordId].sort());
    expect(JSON.stringify(firstView)).not.toContain(second);
  });
});

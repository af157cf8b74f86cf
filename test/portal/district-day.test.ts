/**
 * The store's day of the district (districtDay), the same on both engines: one row per centre
 * with anything that day, records by the day they carry, rejections by the day (UTC) they were
 * received (a rejected mutation's payload is not kept), possible duplicates by their flag.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Portal } from '../../portal/server';
import {
  CENTRE,
  DAY,
  NOW,
  OTHER_CENTRE,
  OTHER_TOKEN,
  TOKEN,
  batch,
  checkIn,
  memoryPortal,
  newAadhaar,
  ticketEvent,
  walkIn,
} from './helpers';

let portal: Portal | null = null;
afterEach(async () => {
  await portal?.close();
  portal = null;
});

const ctxOf = async (p: Portal, token: string, now = NOW) => ({
  tokenHash: (await p.store.deviceByToken(token))!.tokenHash,
  now,
});

describe('districtDay', () => {
  it('counts each centre of a day apart: records, walk-ins, check-ins, possible duplicates, rejected, ticket events', async () => {
    const p = (portal = await memoryPortal());
    expect(await p.store.districtDay(DAY)).toEqual([]);
    const same = newAadhaar();
    const device = randomUUID();
    const first = walkIn(1, { photoIdNumber: same });
    const answer = await p.store.push(
      batch(device, [
        first,
        walkIn(2, { photoIdNumber: same }),
        checkIn(3, { refId: 'REF-NOT-BOOKED', verified: true }),
        ticketEvent(4, first.recordId),
        checkIn(5, { refId: 'REF-NOT-BOOKED-EITHER', verified: false }),
      ]),
      await ctxOf(p, TOKEN),
    );
    expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'rejected']);
    await p.store.push(batch(randomUUID(), [walkIn(1)], OTHER_CENTRE), await ctxOf(p, OTHER_TOKEN));
    // a rejection received the next day counts on that day, whatever day its payload named
    await p.store.push(
      batch(device, [checkIn(6, { refId: 'REF-LATE', verified: false })]),
      await ctxOf(p, TOKEN, new Date('2026-03-11T05:00:00.000Z')),
    );

    const zeros = { day: DAY, records: 0, walkIns: 0, checkIns: 0, possibleDuplicates: 0, rejected: 0, ticketEvents: 0 };
    expect(await p.store.districtDay(DAY)).toEqual([
      { ...zeros, centreId: CENTRE, records: 3, walkIns: 2, checkIns: 1, possibleDuplicates: 1, rejected: 1, ticketEvents: 1 },
      { ...zeros, centreId: OTHER_CENTRE, records: 1, walkIns: 1 },
    ]);
    expect(await p.store.districtDay(DAY, OTHER_CENTRE)).toEqual([{ ...zeros, centreId: OTHER_CENTRE, records: 1, walkIns: 1 }]);
    expect(await p.store.districtDay('2026-03-11')).toEqual([{ ...zeros, day: '2026-03-11', centreId: CENTRE, rejected: 1 }]);
    expect(await p.store.districtDay(DAY, 'NO-SUCH-CENTRE')).toEqual([]);
  });

  it('refuses a day that is not YYYY-MM-DD', async () => {
    const p = (portal = await memoryPortal());
    await expect(p.store.districtDay('10-03-2026')).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pushResponseSchema, recordsResponseSchema, type PushResponse } from '../../common/sync-protocol';
import { verhoeffDigit } from '../../common/rules/verhoeff';
import { PORTAL_MIGRATIONS } from '../../portal/migrations';
import type { Portal } from '../../portal/server';
import {
  CENTRE,
  DAY,
  OTHER_CENTRE,
  OTHER_TOKEN,
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
} from './helpers';
import { ON_SQLITE, sqliteDb } from './engine-sql';

let portal: Portal;

beforeEach(async () => {
  portal = await memoryPortal();
});
afterEach(() => portal.close());

async function pushOk(body: unknown, token = TOKEN): Promise<PushResponse> {
  const res = await push(portal, body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return pushResponseSchema.parse(res.body);
}

describe('portal isolation: duplicate checks across centres', () => {
  it('a match at another centre is a flag and nothing else: no booking reference or record ID of that centre', async () => {
    const number = newAadhaar();
    // centre A (CENTRE) holds a booking and a walk-in with this number
    await portal.store.upsertAppointments(CENTRE, DAY, [{ ...entry(7), photoIdNumber: number }]);
    const aWalkIn = walkIn(1, { photoIdNumber: number });
    const aDevice = randomUUID();
    await pushOk(batch(aDevice, [aWalkIn]));

    // a device of centre B pushes a walk-in with the same number
    const bDevice = randomUUID();
    const bWalkIn = walkIn(1, { photoIdNumber: number });
    const res = await push(portal, batch(bDevice, [bWalkIn], OTHER_CENTRE), OTHER_TOKEN);
    expect(res.status).toBe(200);
    const whole = JSON.stringify(res.body);
    for (const secret of ['REF100007', aWalkIn.recordId, aWalkIn.mutationId, aDevice, CENTRE]) {
      expect(whole.toLowerCase()).not.toContain(secret.toLowerCase());
    }
    const answer = pushResponseSchema.parse(res.body);
    expect(answer.results[0]).toEqual({
      seq: 1,
      mutationId: bWalkIn.mutationId,
      status: 'applied',
      flags: ['possible_duplicate'],
    });

    // the resend answers the same, and what B reads back names nothing of A
    const again = await pushOk(batch(bDevice, [bWalkIn], OTHER_CENTRE), OTHER_TOKEN);
    expect(again.results[0]).toMatchObject({ status: 'duplicate', flags: ['possible_duplicate'] });
    expect(again.results[0]!.duplicateOf).toBeUndefined();
    const held = await inject(portal, 'GET', `/v1/centres/${OTHER_CENTRE}/records/${DAY}`, undefined, OTHER_TOKEN);
    expect(held.status).toBe(200);
    const records = recordsResponseSchema.parse(held.body).records;
    expect(records.map((r) => r.recordId)).toEqual([bWalkIn.recordId.toLowerCase()]);
    expect(records[0]!.flags).toEqual(['possible_duplicate', 'other_centre']);
    const heldText = JSON.stringify(held.body).toLowerCase();
    for (const secret of ['REF100007', aWalkIn.recordId, aWalkIn.mutationId, aDevice, CENTRE]) {
      expect(heldText).not.toContain(secret.toLowerCase());
    }
    // the portal keeps no identifier of A with B's record either
    expect((await portal.store.adminRecords(OTHER_CENTRE, DAY)).records[0]!.duplicateOf).toEqual([]);
  });

  it('a match in the device’s own centre still names the record and the booking', async () => {
    const number = newAadhaar();
    await portal.store.upsertAppointments(OTHER_CENTRE, DAY, [{ ...entry(8), photoIdNumber: number }]);
    const first = walkIn(1, { photoIdNumber: number });
    const second = walkIn(2, { photoIdNumber: number });
    const res = await pushOk(batch(randomUUID(), [first, second]));
    // the first: matched only at the other centre (a flag); the second: the first by name, plus the flag
    expect(res.results[0]).toEqual({ seq: 1, mutationId: first.mutationId, status: 'applied', flags: ['possible_duplicate'] });
    expect(res.results[1]).toMatchObject({ flags: ['possible_duplicate'], duplicateOf: [first.recordId] });
    expect(JSON.stringify(res)).not.toContain('REF100008');
  });
  // an older version's rows and the migration that cleans them are the SQLite file's
  it.skipIf(!ON_SQLITE)('a portal upgraded from a version that named other centres forgets those names', async () => {
    const number = newAadhaar();
    await portal.store.upsertAppointments(CENTRE, DAY, [{ ...entry(7), photoIdNumber: number }]);
    const aWalkIn = walkIn(1, { photoIdNumber: number });
    await pushOk(batch(randomUUID(), [aWalkIn]));
    const bDevice = randomUUID();
    const bFirst = walkIn(1, { photoIdNumber: number });
    const bSecond = walkIn(2, { photoIdNumber: number });
    await pushOk(batch(bDevice, [bFirst, bSecond], OTHER_CENTRE), OTHER_TOKEN);
    // what an earlier version kept: A's walk-in and booking named with B's records and in B's log
    const leaked = JSON.stringify([aWalkIn.recordId.toLowerCase(), 'REF100007', bFirst.recordId.toLowerCase()]);
    const db = sqliteDb(portal);
    db.prepare('UPDATE record SET flags = \'["possible_duplicate"]\', duplicate_of = ? WHERE record_id = ?').run(
      leaked,
      bSecond.recordId.toLowerCase(),
    );
    db.prepare(
      `INSERT INTO mutation_log (device_id, seq, mutation_id, kind, record_id, status, flags, duplicate_of, received_at)
       VALUES (?, 3, ?, 'walkin.registered', ?, 'duplicate', '["possible_duplicate"]', ?, '2026-03-10T04:30:00.000Z')`,
    ).run(bDevice, randomUUID(), bSecond.recordId.toLowerCase(), leaked);

    db.exec(PORTAL_MIGRATIONS.find((m) => m.name === 'own-centre-duplicates')!.sql);

    const held = (await portal.store.adminRecords(OTHER_CENTRE, DAY)).records.find(
      (r) => r.recordId === bSecond.recordId.toLowerCase(),
    )!;
    expect(held.duplicateOf).toEqual([bFirst.recordId.toLowerCase()]);
    expect(held.flags).toEqual(['possible_duplicate', 'other_centre']);
    const logged = db.prepare('SELECT duplicate_of FROM mutation_log WHERE device_id = ? AND seq = 3').get(bDevice) as {
      duplicate_of: string;
    };
    expect(JSON.parse(logged.duplicate_of)).toEqual([bFirst.recordId.toLowerCase()]);
    // a resend of B's second walk-in answers with B's own record only
    const again = await pushOk(batch(bDevice, [bSecond], OTHER_CENTRE), OTHER_TOKEN);
    expect(again.results[0]).toMatchObject({ status: 'duplicate', duplicateOf: [bFirst.recordId.toLowerCase()] });
    expect(JSON.stringify(again)).not.toContain('REF100007');
    expect(JSON.stringify(again)).not.toContain(aWalkIn.recordId.toLowerCase());
  });
});

describe('portal isolation: photo-ID numbers checked like the counter checks them', () => {
  it('rejects an Aadhaar number with a wrong check digit, per item, and applies the rest', async () => {
    const good = newAadhaar();
    const body = good.slice(0, 11);
    const wrongDigit = String((verhoeffDigit(body) + 1) % 10);
    const bad = walkIn(1, { photoIdNumber: body + wrongDigit });
    const ok = walkIn(2, { photoIdNumber: good });
    const res = await pushOk(batch(randomUUID(), [bad, ok]));
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'photo_id_invalid' });
    expect(res.results[0]!.reason).toContain('aadhaar_checksum');
    expect(res.results[1]).toMatchObject({ status: 'applied' });
    expect((await portal.store.adminRecords(CENTRE, DAY)).records.map((r) => r.recordId)).toEqual([ok.recordId.toLowerCase()]);
  });

  it('rejects a number of the wrong shape for its document and a document type the counter does not offer', async () => {
    const res = await pushOk(
      batch(randomUUID(), [
        walkIn(1, { photoIdNumber: '123456789012' }),
        walkIn(2, { photoIdType: 'PAN', photoIdNumber: 'ABCDE1234' }),
        walkIn(3, { photoIdType: 'LIBRARY_CARD', photoIdNumber: 'LIB123456' }),
        walkIn(4, { photoIdType: 'PAN', photoIdNumber: 'abcpe 1234 f' }),
      ]),
    );
    expect(res.results.map((r) => r.code ?? r.status)).toEqual([
      'photo_id_invalid',
      'photo_id_invalid',
      'photo_id_invalid',
      'applied',
    ]);
    expect(res.results[0]!.reason).toContain('aadhaar_first_digit');
    expect(res.results[1]!.reason).toContain('pan_format');
    expect(res.results[2]!.reason).toContain('LIBRARY_CARD');
    expect((await portal.store.adminRecords(CENTRE, DAY)).records).toHaveLength(1);
  });
  it('takes a number the counter reduced to its last 4 (sent again to a restored portal), matching it against nothing', async () => {
    const number = newAadhaar();
    const device = randomUUID();
    const first = walkIn(1, { photoIdNumber: `XXXX${number.slice(-4)}` });
    const second = walkIn(2, { photoIdNumber: `XXXX${number.slice(-4)}` });
    const res = await pushOk(batch(device, [first, second]));
    expect(res.results).toEqual([
      { seq: 1, mutationId: first.mutationId, status: 'applied' },
      { seq: 2, mutationId: second.mutationId, status: 'applied' },
    ]);
    // a longer or malformed "reduced" number is still checked
    const bad = await pushOk(batch(device, [walkIn(3, { photoIdNumber: 'XXXX12345678' })]));
    expect(bad.results[0]).toMatchObject({ status: 'rejected', code: 'photo_id_invalid' });
  });
  it('takes a mobile number the counter reduced to its last 4 after its retention period, and nothing else in its place', async () => {
    const device = randomUUID();
    const reduced = walkIn(1, { mobile: 'XXXXXX3210' });
    const res = await pushOk(batch(device, [reduced]));
    expect(res.results).toEqual([{ seq: 1, mutationId: reduced.mutationId, status: 'applied' }]);
    for (const mobile of ['XXXXX43210', 'XXXXXXX210', 'XXXXXX321', '3210', 'xxxxxx3210']) {
      const refused = await pushOk(batch(randomUUID(), [walkIn(1, { mobile })]));
      expect(refused.results[0], mobile).toMatchObject({ status: 'rejected', code: 'invalid_payload' });
    }
  });
});

describe('portal isolation: check-ins checked against the portal’s own bookings', () => {
  it('rejects a verified check-in for another centre’s booking with its own reason', async () => {
    await portal.store.upsertAppointments(OTHER_CENTRE, DAY, [entry(2)]);
    const res = await pushOk(batch(randomUUID(), [checkIn(1, { refId: 'REF100002', verified: true })]));
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'booking_other_centre' });
    expect(res.results[0]!.reason).toContain('REF100002');
    expect(JSON.stringify(res)).not.toContain(OTHER_CENTRE);
    expect((await portal.store.adminRecords(CENTRE, DAY)).records).toEqual([]);
  });

  it('stores a verified check-in the portal has no booking for as unverified; the centre’s own bookings as before', async () => {
    await portal.store.upsertAppointments(CENTRE, DAY, [entry(1)]);
    // booked at the other centre, but on another day: unknown for this day, not the other centre's
    await portal.store.upsertAppointments(OTHER_CENTRE, '2026-03-11', [entry(3)]);
    const unknown = checkIn(1, { refId: 'REF888888', verified: true });
    const own = checkIn(2, { refId: 'REF100001', verified: true });
    const ownProvisional = checkIn(3, { refId: 'ref100001', verified: false, recordId: randomUUID() });
    const otherDay = checkIn(4, { refId: 'REF100003', verified: true });
    const res = await pushOk(batch(randomUUID(), [unknown, own, ownProvisional, otherDay]));
    expect(res.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    // the answer carries only the protocol's flags: a clean acknowledgement for the counter
    expect(res.results.map((r) => r.flags)).toEqual([undefined, undefined, undefined, undefined]);
    const flags = new Map((await portal.store.adminRecords(CENTRE, DAY)).records.map((r) => [r.recordId, r.flags]));
    expect(flags.get(unknown.recordId.toLowerCase())).toEqual(['unverified']);
    expect(flags.get(own.recordId.toLowerCase())).toEqual([]);
    expect(flags.get(ownProvisional.recordId.toLowerCase())).toEqual([]);
    expect(flags.get(otherDay.recordId.toLowerCase())).toEqual(['unverified']);
  });
});

describe('portal isolation: payloads parsed strictly', () => {
  it('refuses unknown fields in every kind of payload, per item, and stores nothing of them', async () => {
    const w = walkIn(1);
    const extraTop = { ...w, payload: { ...w.payload, isAdmin: true } };
    const w2 = walkIn(2);
    const extraPerson = {
      ...w2,
      payload: { ...w2.payload, person: { ...(w2.payload.person as object), aadhaarPhoto: 'data:image/png;base64,AAAA' } },
    };
    const c = checkIn(3, { refId: 'REF100001' });
    const extraCheckIn = { ...c, payload: { ...c.payload, centreId: OTHER_CENTRE } };
    const t = ticketEvent(4, randomUUID());
    const extraEvent = { ...t, payload: { ...t.payload, note: 'x'.repeat(1000) } };
    const clean = walkIn(5);
    const res = await pushOk(batch(randomUUID(), [extraTop, extraPerson, extraCheckIn, extraEvent, clean]));
    expect(res.results.map((r) => r.code ?? r.status)).toEqual([
      'invalid_payload',
      'invalid_payload',
      'invalid_payload',
      'invalid_payload',
      'applied',
    ]);
    expect(res.results[0]!.reason).toContain('isAdmin');
    expect(res.results[1]!.reason).toContain('aadhaarPhoto');
    const held = await portal.store.adminRecords(CENTRE, DAY);
    expect(held.records.map((r) => r.recordId)).toEqual([clean.recordId.toLowerCase()]);
    expect(held.events).toEqual([]);
  });

  it('takes the fields a counter sends with its records and events', async () => {
    await portal.store.upsertAppointments(CENTRE, DAY, [entry(1)]);
    const w = walkIn(1);
    const sent = { at: new Date().toISOString(), operatorId: 'op-1', counterCode: 'A1', deviceId: randomUUID() };
    const walk = {
      ...w,
      payload: {
        ...w.payload,
        ...sent,
        token: 'W001',
        person: { ...(w.payload.person as object), comorbidity: false },
        possibleDuplicates: [{ kind: 'roster', id: 'REF100001', reason: 'same photo ID' }],
        correctionOf: randomUUID(),
        resentAt: sent.at,
        resentBy: 'op-2',
      },
    };
    const c = checkIn(2, { refId: 'REF100001' });
    const check = {
      ...c,
      payload: { ...c.payload, ...sent, token: 'A001', lane: 'booked', late: false, rosterImportId: 3, slotTime: '10:15' },
    };
    const p = checkIn(3, { refId: 'REF100001', verified: false });
    const provisional = {
      ...p,
      payload: { ...p.payload, ...sent, unverified: true, presented: { birthYear: null, gender: 'F' } },
    };
    const e = ticketEvent(4, c.recordId, 'vaccination.recorded');
    const served = {
      ...e,
      payload: {
        ...e.payload,
        ...sent,
        token: 'A001',
        action: 'serve',
        from: 'called',
        to: 'served',
        vaccinationId: randomUUID(),
        vaccine: 'COVISHIELD',
        lotNumber: 'L-42',
        dose: 1,
      },
    };
    const x = ticketEvent(5, c.recordId, 'ticket.cancelled');
    const cancelled = { ...x, payload: { ...x.payload, ...sent, action: 'cancel', reason: 'left', endOfDay: true } };
    const res = await pushOk(batch(randomUUID(), [walk, check, provisional, served, cancelled]));
    expect(res.results.map((r) => r.reason ?? r.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
  });
});

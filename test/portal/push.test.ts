import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  errorBodySchema,
  healthSchema,
  pushResponseSchema,
  recordsResponseSchema,
  type PushResponse,
} from '../../common/sync-protocol';
import { faultConfigSchema } from '../../portal/faults';
import type { Portal } from '../../portal/server';
import {
  ADMIN,
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
  NOW,
  push,
  ticketEvent,
  walkIn,
} from './helpers';
import { ON_SQLITE, engineExec, engineRows, sqliteDb } from './engine-sql';

let portal: Portal;
let device: string;

beforeEach(async () => {
  portal = await memoryPortal();
  device = randomUUID();
});
afterEach(() => portal.close());

async function pushOk(body: unknown, token = TOKEN): Promise<PushResponse> {
  const res = await push(portal, body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return pushResponseSchema.parse(res.body);
}

const lastSeq = async (deviceId = device) =>
  (await portal.store.clients()).find((c) => c.deviceId === deviceId)?.lastAppliedSeq ?? 0;
const records = async () => (await portal.store.adminRecords(CENTRE, DAY)).records;

describe('push: exactly once', () => {
  it('applies new mutations and advances lastAppliedSeq', async () => {
    const ms = [walkIn(1), checkIn(2, { refId: 'REF100001' }), walkIn(3)];
    const res = await pushOk(batch(device, ms));
    expect(res).toMatchObject({ deviceId: device, lastAppliedSeq: 3 });
    expect(res.results.map((r) => [r.seq, r.mutationId, r.status])).toEqual(ms.map((m) => [m.seq, m.mutationId, 'applied']));
    const listed = recordsResponseSchema.parse((await inject(portal, 'GET', `/v1/centres/${CENTRE}/records/${DAY}`)).body);
    expect(listed.records.map((r) => r.recordId).sort()).toEqual(ms.map((m) => m.recordId).sort());
    expect(listed.records.find((r) => r.recordId === ms[0]!.recordId)).toMatchObject({ deviceId: device, seq: 1, flags: [] });
  });

  it('acknowledges a resent batch as duplicate and keeps one record each', async () => {
    const body = batch(device, [walkIn(1), walkIn(2)]);
    await pushOk(body);
    const again = await pushOk(body);
    expect(again.lastAppliedSeq).toBe(2);
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(await records()).toHaveLength(2);
  });

  it('takes a batch that overlaps what was applied: old ones duplicate, new ones applied', async () => {
    const ms = [walkIn(1), walkIn(2), walkIn(3)];
    await pushOk(batch(device, ms.slice(0, 2)));
    const res = await pushOk(batch(device, ms));
    expect(res.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'applied']);
    expect(res.lastAppliedSeq).toBe(3);
  });

  it('refuses a gap with 409 sequence_gap and the expected seq, applying nothing', async () => {
    await pushOk(batch(device, [walkIn(1)]));
    const res = await push(portal, batch(device, [walkIn(3), walkIn(4)]));
    expect(res.status).toBe(409);
    expect(errorBodySchema.parse(res.body)).toMatchObject({ error: 'sequence_gap', expectedSeq: 2 });
    expect(await lastSeq()).toBe(1);
    expect(await records()).toHaveLength(1);
  });

  it('refuses a first push that does not start at seq 1', async () => {
    const res = await push(portal, batch(device, [walkIn(2)]));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'sequence_gap', expectedSeq: 1 });
  });

  it('IT accepts records this portal lost: the device sequence moves forward (never back), admin token only', async () => {
    const accept = (deviceId: string, lastAppliedSeq: number, token: string | null = ADMIN) =>
      inject(portal, 'POST', '/admin/clients/accept-lost', { deviceId, lastAppliedSeq }, token);
    expect((await accept(device, 5)).status).toBe(404); // never seen
    // a first push after a restore from an older backup: refused, but the device is now known
    expect((await push(portal, batch(device, [walkIn(6)]))).status).toBe(409);
    expect(await lastSeq()).toBe(0);
    expect((await accept(device, 5, TOKEN)).status).toBe(401); // a device token is not the admin's
    const res = await accept(device, 5);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: device, from: 0, to: 5 });
    expect((await accept(device, 5)).status).toBe(409);
    expect((await accept(device, 4)).body).toMatchObject({ error: 'not_ahead' });
    expect((await accept(device, 0)).status).toBe(400);
    expect((await pushOk(batch(device, [walkIn(6)]))).lastAppliedSeq).toBe(6);
    expect(await records()).toHaveLength(1);
  });

  it('refuses non-consecutive sequence numbers in a batch with 409, applying nothing', async () => {
    const res = await push(portal, batch(device, [walkIn(1), walkIn(2), walkIn(4)]));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'sequence_gap', expectedSeq: 1 });
    const backwards = await push(portal, batch(device, [walkIn(2), walkIn(1)]));
    expect(backwards.status).toBe(409);
    expect(await records()).toHaveLength(0);
    expect(await lastSeq()).toBe(0);
  });

  it('rejects a different change under a used seq as sequence_reused, never acknowledging it', async () => {
    const first = walkIn(1);
    await pushOk(batch(device, [first]));
    const other = walkIn(1);
    const res = await pushOk(batch(device, [other]));
    expect(res.results[0]).toMatchObject({ seq: 1, mutationId: other.mutationId, status: 'rejected', code: 'sequence_reused' });
    expect((await records()).map((r) => r.recordId)).toEqual([first.recordId]);
  });

  it('remembers applied changes by what they left: resent events and flagged records answer duplicate, once each', async () => {
    const ticket = randomUUID();
    const aadhaar = newAadhaar();
    const first = walkIn(1, { photoIdNumber: aadhaar });
    const flagged = walkIn(2, { photoIdNumber: aadhaar });
    const called = ticketEvent(3, ticket);
    const served = ticketEvent(4, ticket, 'vaccination.recorded');
    const applied = await pushOk(batch(device, [first, flagged, called, served]));
    expect(applied.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(applied.results[1]!.flags).toEqual(['possible_duplicate']);
    // applied changes leave no log row: the record or the event is the memory of them (the log read from the SQLite file)
    if (ON_SQLITE) expect(sqliteDb(portal).prepare('SELECT count(*) AS n FROM mutation_log').get()).toEqual({ n: 0 });
    // the same batch again (an answer lost on the way): each is a duplicate, with its flags
    const again = await pushOk(batch(device, [first, flagged, called, served]));
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(again.results[1]).toMatchObject({ flags: ['possible_duplicate'], duplicateOf: [first.recordId.toLowerCase()] });
    // the same events under new seqs (a counter restored from a backup): duplicates, logged as such
    const renumbered = await pushOk(
      batch(device, [
        { ...called, seq: 5 },
        { ...served, seq: 6 },
      ]),
    );
    expect(renumbered.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(renumbered.lastAppliedSeq).toBe(6);
    const resend = await pushOk(batch(device, [{ ...called, seq: 5 }]));
    expect(resend.results[0]).toMatchObject({ seq: 5, status: 'duplicate' });
    // another change under an applied event's seq is refused
    const other = await pushOk(batch(device, [ticketEvent(3, ticket)]));
    expect(other.results[0]).toMatchObject({ status: 'rejected', code: 'sequence_reused' });
    expect((await portal.store.adminRecords(CENTRE, DAY)).events).toHaveLength(2);
    expect(await records()).toHaveLength(2);
  });

  // the log as an earlier version of the SQLite store wrote it
  it.skipIf(!ON_SQLITE)('still finds applied outcomes that an earlier version logged', async () => {
    const ticket = randomUUID();
    const event = ticketEvent(1, ticket);
    await pushOk(batch(device, [event]));
    // as the log looked before applied changes were remembered by their effect alone
    const db = sqliteDb(portal);
    db.prepare('DELETE FROM ticket_event').run();
    db.prepare(
      `INSERT INTO mutation_log (device_id, seq, mutation_id, kind, record_id, status, received_at)
         VALUES (?, 1, ?, 'ticket.called', ?, 'applied', ?)`,
    ).run(device, event.mutationId, ticket, NOW.toISOString());
    const res = await pushOk(batch(device, [event]));
    expect(res.results[0]).toMatchObject({ seq: 1, status: 'duplicate' });
    const other = await pushOk(batch(device, [ticketEvent(1, ticket)]));
    expect(other.results[0]).toMatchObject({ status: 'rejected', code: 'sequence_reused' });
  });

  it('a refusal set up after a change was taken does not turn its resend into a rejection', async () => {
    const faulty = await memoryPortal({ faults: true });
    try {
      const ticket = randomUUID();
      const record = walkIn(1);
      const event = ticketEvent(2, ticket);
      const ok = await push(faulty, batch(device, [record, event]));
      expect(ok.status).toBe(200);
      faulty.faults!.configure(faultConfigSchema.parse({ rejectRecordIds: [record.recordId, ticket] }));
      const res = await push(
        faulty,
        batch(device, [
          { ...record, seq: 3 },
          { ...event, seq: 4 },
        ]),
      );
      expect(res.status).toBe(200);
      expect(pushResponseSchema.parse(res.body).results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
      // something new for a refused record is refused
      const fresh = await push(faulty, batch(device, [ticketEvent(5, ticket)]));
      expect(pushResponseSchema.parse(fresh.body).results[0]).toMatchObject({ status: 'rejected', code: 'rejected_by_portal' });
    } finally {
      await faulty.close();
    }
  });

  it('keeps a record exactly once when it comes again under a new seq (restored backup)', async () => {
    const original = walkIn(1);
    await pushOk(batch(device, [original]));
    const again = { ...original, seq: 2, mutationId: randomUUID() };
    const res = await pushOk(batch(device, [again]));
    expect(res.results[0]).toMatchObject({ seq: 2, status: 'duplicate' });
    expect(res.lastAppliedSeq).toBe(2);
    // the same mutation (same mutationId) under a new seq: also a duplicate
    const sameMutation = await pushOk(batch(device, [{ ...original, seq: 3 }]));
    expect(sameMutation.results[0]).toMatchObject({ seq: 3, status: 'duplicate' });
    // and resending those seqs again answers the same
    const resend = await pushOk(batch(device, [again, { ...original, seq: 3 }]));
    expect(resend.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(await records()).toHaveLength(1);
    expect(await lastSeq()).toBe(3);
  });

  it('a reinstalled counter (new deviceId, same token) starts again at seq 1', async () => {
    await pushOk(batch(device, [walkIn(1), walkIn(2)]));
    const reinstalled = randomUUID();
    const res = await pushOk(batch(reinstalled, [walkIn(1)]));
    expect(res).toMatchObject({ deviceId: reinstalled, lastAppliedSeq: 1 });
    expect(res.results[0]!.status).toBe('applied');
    expect(await records()).toHaveLength(3);
  });

  it('advances lastAppliedSeq in the same transaction as the effects: a failing insert applies nothing', async () => {
    const ms = [walkIn(1), walkIn(2), walkIn(3)];
    // the second record's insert fails, as a full disk would fail it
    await engineExec(portal, {
      sqlite: `CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON record WHEN NEW.record_id = '${ms[1]!.recordId}'
       BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
      postgres: `CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.record_id = '${ms[1]!.recordId}' THEN RAISE EXCEPTION 'disk trouble'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER fail_insert BEFORE INSERT ON record FOR EACH ROW EXECUTE FUNCTION fail_insert();`,
    });
    const res = await push(portal, batch(device, ms));
    expect(res.status).toBe(500);
    expect(errorBodySchema.parse(res.body).error).toBe('internal');
    expect(await records()).toHaveLength(0);
    expect(await lastSeq()).toBe(0);
    expect(
      await engineRows(portal, {
        sqlite: 'SELECT count(*) AS n FROM mutation_log',
        postgres: 'SELECT count(*)::int AS n FROM mutation_log',
      }),
    ).toEqual([{ n: 0 }]);
    await engineExec(portal, {
      sqlite: 'DROP TRIGGER fail_insert',
      postgres: 'DROP TRIGGER fail_insert ON record; DROP FUNCTION fail_insert();',
    });
    const retry = await pushOk(batch(device, ms));
    expect(retry.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(await records()).toHaveLength(3);
  });
});

describe('push: rejections', () => {
  it('rejects an invalid payload with invalid_payload naming the field, and still advances the seq', async () => {
    const bad = walkIn(1, { mobile: '12345' });
    const res = await pushOk(batch(device, [bad, walkIn(2)]));
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_payload' });
    expect(res.results[0]!.reason).toContain('payload.person.mobile');
    expect(res.results[1]!.status).toBe('applied');
    expect(res.lastAppliedSeq).toBe(2);
  });

  it('rejects a payload whose walkInId or ticketId is not the recordId', async () => {
    const w = walkIn(1);
    w.payload.walkInId = randomUUID();
    const c = checkIn(2, { refId: 'REF100001' });
    c.payload.ticketId = randomUUID();
    const res = await pushOk(batch(device, [w, c]));
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_payload' });
    expect(res.results[0]!.reason).toContain('payload.walkInId');
    expect(res.results[1]).toMatchObject({ status: 'rejected', code: 'invalid_payload' });
    expect(res.results[1]!.reason).toContain('payload.ticketId');
  });

  it('a rejection is final for its seq: resending the same mutation repeats it, a corrected one must take a new seq', async () => {
    const bad = walkIn(1, { mobile: '12345' });
    const first = await pushOk(batch(device, [bad]));
    const again = await pushOk(batch(device, [bad]));
    expect(again.results[0]).toEqual(first.results[0]);
    expect(again.results[0]!.status).toBe('rejected');
    // the same mutation ID with a corrected payload is still the rejected change
    const sameId = await pushOk(batch(device, [{ ...bad, payload: walkIn(1, { recordId: bad.recordId }).payload }]));
    expect(sameId.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_payload' });
    const corrected = { ...walkIn(2, { recordId: bad.recordId }) };
    const fixed = await pushOk(batch(device, [corrected]));
    expect(fixed.results[0]!.status).toBe('applied');
    expect((await records()).map((r) => r.recordId)).toEqual([bad.recordId]);
  });

  it('rejects a provisional check-in with no appointment as not_booked; accepts booked and verified ones', async () => {
    await portal.store.upsertAppointments(CENTRE, DAY, [entry(1)]);
    const res = await pushOk(
      batch(device, [
        checkIn(1, { refId: 'REF999999', verified: false }),
        checkIn(2, { refId: 'REF100001', verified: false }),
        checkIn(3, { refId: 'REF888888', verified: true }),
        checkIn(4, { refId: 'REF100001', verified: false, day: '2026-03-11' }),
      ]),
    );
    expect(res.results[0]).toMatchObject({
      status: 'rejected',
      code: 'not_booked',
      reason: `ref ID REF999999 has no appointment at this centre on ${DAY}`,
    });
    expect(res.results.slice(1, 3).map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(res.results[3]).toMatchObject({ status: 'rejected', code: 'not_booked' });
  });

  it('does not count a cancelled appointment or another centre’s as booked', async () => {
    await portal.store.upsertAppointments(CENTRE, DAY, [entry(1)]);
    await portal.store.upsertAppointments(OTHER_CENTRE, DAY, [entry(2)]);
    await portal.store.cancelAppointments(CENTRE, DAY, ['REF100001']);
    const res = await pushOk(
      batch(device, [checkIn(1, { refId: 'REF100001', verified: false }), checkIn(2, { refId: 'REF100002', verified: false })]),
    );
    expect(res.results.map((r) => r.code)).toEqual(['not_booked', 'not_booked']);
  });
});

describe('push: possible duplicates', () => {
  it('flags a walk-in whose photo ID matches an earlier walk-in, and keeps both', async () => {
    const number = newAadhaar();
    const a = walkIn(1, { photoIdNumber: number });
    const b = walkIn(2, { photoIdNumber: `${number.slice(0, 4)} ${number.slice(4, 8)} ${number.slice(8)}` });
    const c = walkIn(3, { photoIdNumber: number, photoIdType: 'RATION_CARD' });
    const res = await pushOk(batch(device, [a, b, c]));
    expect(res.results[0]).toEqual({ seq: 1, mutationId: a.mutationId, status: 'applied' });
    expect(res.results[1]).toMatchObject({ status: 'applied', flags: ['possible_duplicate'], duplicateOf: [a.recordId] });
    expect(res.results[2]).toEqual({ seq: 3, mutationId: c.mutationId, status: 'applied' });
    const held = await records();
    expect(held).toHaveLength(3);
    expect(held.find((r) => r.recordId === b.recordId)).toMatchObject({
      flags: ['possible_duplicate'],
      duplicateOf: [a.recordId],
    });
    // a resend answers duplicate with the same flags
    const again = await pushOk(batch(device, [b]));
    expect(again.results[0]).toMatchObject({ status: 'duplicate', flags: ['possible_duplicate'], duplicateOf: [a.recordId] });
  });

  it('flags a walk-in whose photo ID matches an appointment that carries the full number', async () => {
    const number = newAadhaar();
    await portal.store.upsertAppointments(CENTRE, DAY, [{ ...entry(7), photoIdNumber: number }]);
    const res = await pushOk(batch(device, [walkIn(1, { photoIdNumber: number })]));
    expect(res.results[0]).toMatchObject({ status: 'applied', flags: ['possible_duplicate'], duplicateOf: ['REF100007'] });
  });
});

describe('push: ticket events', () => {
  it('applies events for a ticket whose record has not arrived, and counts them', async () => {
    const ticketId = randomUUID();
    const res = await pushOk(
      batch(device, [ticketEvent(1, ticketId, 'ticket.called'), ticketEvent(2, ticketId, 'vaccination.recorded'), walkIn(3)]),
    );
    expect(res.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    const listed = (await inject(portal, 'GET', `/v1/centres/${CENTRE}/records/${DAY}`)).body;
    expect(listed.events).toBe(2);
    expect((await portal.store.adminRecords(CENTRE, DAY)).events.map((e) => e.ticketId)).toEqual([ticketId, ticketId]);
  });

  it('rejects an event payload without a ticketId', async () => {
    const e = ticketEvent(1, randomUUID());
    delete e.payload.ticketId;
    const res = await pushOk(batch(device, [e]));
    expect(res.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_payload' });
    expect(res.results[0]!.reason).toContain('payload.ticketId');
  });
});

describe('push: refusals', () => {
  it('answers 401 without a token, with an unknown one and with a revoked one', async () => {
    const body = batch(device, [walkIn(1)]);
    for (const token of [null, 'no-such-token-123']) {
      const res = await push(portal, body, token);
      expect(res.status).toBe(401);
      expect(errorBodySchema.parse(res.body).error).toBe('unauthorized');
    }
    await portal.store.revokeDevice(TOKEN);
    const revoked = await push(portal, body);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toBe('unauthorized');
    expect(await records()).toHaveLength(0);
  });

  it('answers 403 wrong_centre for another centre than the token’s', async () => {
    const res = await push(portal, batch(device, [walkIn(1)], OTHER_CENTRE));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('wrong_centre');
    const roster = await inject(portal, 'GET', `/v1/centres/${OTHER_CENTRE}/roster/${DAY}`);
    expect(roster.status).toBe(403);
    const recs = await inject(portal, 'GET', `/v1/centres/${OTHER_CENTRE}/records/${DAY}`);
    expect(recs.status).toBe(403);
  });

  it('answers 403 device_token_mismatch when a known deviceId comes with another token', async () => {
    await portal.store.addDevice({ token: 'second-token-for-centre-01', centreId: CENTRE, label: 'counter A2' }, new Date());
    await pushOk(batch(device, [walkIn(1)]));
    const res = await push(portal, batch(device, [walkIn(2)]), 'second-token-for-centre-01');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('device_token_mismatch');
    expect(await lastSeq()).toBe(1);
    // a device of another centre cannot borrow the deviceId either
    const other = await push(portal, batch(device, [walkIn(2)], OTHER_CENTRE), OTHER_TOKEN);
    expect(other.status).toBe(403);
  });

  it('answers 413 too_large for a body over 2 MiB', async () => {
    const m = walkIn(1);
    m.payload.note = 'x'.repeat(2 * 1024 * 1024);
    const res = await push(portal, batch(device, [m]));
    expect(res.status).toBe(413);
    expect(errorBodySchema.parse(res.body).error).toBe('too_large');
  });

  it('answers 400 invalid_request naming the field that is wrong', async () => {
    const missing = await push(portal, { deviceId: device, centreId: CENTRE, mutations: [walkIn(1)] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    expect(missing.body.message).toContain('counterCode');
    const m = walkIn(1);
    const badSeq = await push(portal, batch(device, [{ ...m, seq: 0 }]));
    expect(badSeq.status).toBe(400);
    expect(badSeq.body.message).toContain('mutations.0.seq');
    const extra = await push(portal, { ...batch(device, [m]), extra: 1 });
    expect(extra.status).toBe(400);
    const empty = await push(portal, batch(device, []));
    expect(empty.body.message).toContain('mutations');
    const notJson = await portal.app.inject({
      method: 'POST',
      url: '/v1/push',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: '{"deviceId":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(errorBodySchema.parse(notJson.json()).error).toBe('invalid_request');
  });

  it('answers health without a token, and 404 in the error shape for unknown paths', async () => {
    const health = await inject(portal, 'GET', '/v1/health', undefined, null);
    expect(health.status).toBe(200);
    expect(healthSchema.parse(health.body).version).toBe('v1');
    const missing = await inject(portal, 'GET', '/v1/nothing');
    expect(missing.status).toBe(404);
    expect(errorBodySchema.parse(missing.body).error).toBe('not_found');
  });
});

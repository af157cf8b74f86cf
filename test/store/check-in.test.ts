import { afterEach, describe, expect, it } from 'vitest';
import { count, importRosterCsv, rosterEntry, setupCounter, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const roster = [
  rosterEntry('REF0000001', { name: 'Sunita Devi', slotTime: '10:00', dose: 2 }),
  rosterEntry('REF0000002', { name: 'Ram Kumar Sharma', slotTime: '09:00', gender: 'M' }),
  rosterEntry('REF0000003', { name: 'Geeta Mishra', slotTime: null }),
];

describe('check-in of an online registrant', () => {
  it('gives a verified ticket in the priority lane with the roster name and dose', async () => {
    c = await setupCounter({ roster });
    const t = await c.ok('checkIn', { refId: 'ref0000001' });
    expect(t).toMatchObject({
      token: 'A-P001',
      lane: 'priority',
      source: 'online',
      status: 'waiting',
      name: 'Sunita Devi',
      refId: 'REF0000001',
      verified: true,
      late: false,
      dose: 2,
      queuedAt: c.clock().toISOString(),
      calledAt: null,
      finishedAt: null,
    });
    const q = await c.ok('getQueue', {});
    expect(q.waiting.priority.map((x) => x.id)).toEqual([t.id]);
  });

  it('twice is refused with ALREADY_CHECKED_IN and the existing token in the details', async () => {
    c = await setupCounter({ roster });
    const t = await c.ok('checkIn', { refId: 'REF0000001' });
    c.clock.advance(5 * 60_000);
    const e = await c.err('checkIn', { refId: 'REF0000001' });
    expect(e).toMatchObject({ code: 'ALREADY_CHECKED_IN', details: { token: t.token, ticketId: t.id, status: 'waiting' } });
    // also once called, served or marked no-show
    await c.ok('callTicket', { ticketId: t.id });
    expect(await c.err('checkIn', { refId: 'REF0000001' })).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
      details: { status: 'called' },
    });
    await c.ok('markNoShow', { ticketId: t.id });
    expect(await c.err('checkIn', { refId: 'REF0000001' })).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
      details: { status: 'no_show' },
    });
    expect(await c.err('checkInProvisional', { refId: 'REF0000001', name: 'Sunita Devi' })).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
    });
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(1);
  });

  it('someone not in the roster is NOT_FOUND', async () => {
    c = await setupCounter({ roster });
    expect(await c.err('checkIn', { refId: 'NOTTHERE01' })).toMatchObject({
      code: 'NOT_FOUND',
      details: { refId: 'NOTTHERE01', rosterForToday: true },
    });
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(0);
  });

  it('with no roster, or only a stale one, nobody can be checked in as verified', async () => {
    c = await setupCounter();
    expect(await c.err('checkIn', { refId: 'REF0000001' })).toMatchObject({
      code: 'NOT_FOUND',
      details: { rosterForToday: false },
    });
    await importRosterCsv(c, '2021-04-09', roster); // yesterday's
    expect(c.backend.appState().roster).toMatchObject({ day: '2021-04-09', stale: true });
    expect(await c.err('checkIn', { refId: 'REF0000001' })).toMatchObject({
      code: 'NOT_FOUND',
      details: { rosterForToday: false },
    });
    await importRosterCsv(c, '2021-04-11', roster); // tomorrow's, imported ahead
    expect(await c.err('checkIn', { refId: 'REF0000001' })).toMatchObject({
      code: 'NOT_FOUND',
      details: { rosterForToday: false },
    });
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(0);
  });

  it('a cancelled ticket lets the registrant check in again, with a new token', async () => {
    c = await setupCounter({ roster });
    const t = await c.ok('checkIn', { refId: 'REF0000001' });
    await c.ok('cancelTicket', { ticketId: t.id, reason: 'checked in by mistake' });
    const again = await c.ok('checkIn', { refId: 'REF0000001' });
    expect(again.id).not.toBe(t.id);
    expect(again.token).toBe('A-P002');
    expect(again.status).toBe('waiting');
  });

  it('late arrival: more than lateArrivalMinutes after the slot joins the walk-in lane, marked late', async () => {
    c = await setupCounter({
      roster,
      at: '2021-04-10T05:31:00Z',
      provisioning: { queuePolicy: { lateArrivalMinutes: 60 } as never },
    }); // 11:01 IST
    const late = await c.ok('checkIn', { refId: 'REF0000002' }); // slot 09:00: 121 min late
    const onTime = await c.ok('checkIn', { refId: 'REF0000001' }); // slot 10:00: 61 min late
    const noSlot = await c.ok('checkIn', { refId: 'REF0000003' });
    expect(late).toMatchObject({ lane: 'walkin', late: true, token: 'A-W001', verified: true });
    expect(onTime).toMatchObject({ lane: 'walkin', late: true });
    expect(noSlot).toMatchObject({ lane: 'priority', late: false });
  });

  it('late arrival uses the centre wall clock, not UTC', async () => {
    // 10:30 IST is 05:00 UTC: on time for a 10:00 slot with a 60-minute limit
    c = await setupCounter({
      roster,
      at: '2021-04-10T05:00:00Z',
      provisioning: { queuePolicy: { lateArrivalMinutes: 60 } as never },
    });
    expect(await c.ok('checkIn', { refId: 'REF0000001' })).toMatchObject({ lane: 'priority', late: false });
  });
});

describe('provisional check-in', () => {
  it('is flagged unverified and joins the walk-in lane by default', async () => {
    c = await setupCounter({ roster });
    const t = await c.ok('checkInProvisional', { refId: 'prov000001', name: 'Asha Pal', birthYear: 1950, gender: 'F' });
    expect(t).toMatchObject({
      lane: 'walkin',
      source: 'provisional',
      verified: false,
      refId: 'PROV000001',
      name: 'Asha Pal',
      dose: null,
      token: 'A-W001',
    });
    const payload = JSON.parse(
      (c.backend.db.prepare('SELECT payload FROM outbox ORDER BY seq DESC LIMIT 1').get() as { payload: string }).payload,
    );
    expect(payload).toMatchObject({ unverified: true, verified: false, presented: { birthYear: 1950, gender: 'F' } });
  });

  it('joins the priority lane when policy.provisionalPriority is on', async () => {
    c = await setupCounter({ roster, provisioning: { queuePolicy: { provisionalPriority: true } as never } });
    const t = await c.ok('checkInProvisional', { refId: 'PROV000001', name: 'Asha Pal' });
    expect(t).toMatchObject({ lane: 'priority', verified: false, token: 'A-P001' });
  });

  it('works with no roster at all', async () => {
    c = await setupCounter();
    expect(await c.ok('checkInProvisional', { refId: 'PROV000001', name: 'Asha Pal' })).toMatchObject({ verified: false });
  });

  it('of someone who is in the roster after all checks them in verified, with one ticket and one outbox row', async () => {
    c = await setupCounter({ roster });
    const t = await c.ok('checkInProvisional', { refId: 'REF0000001', name: 'Whatever Name' });
    expect(t).toMatchObject({ source: 'online', verified: true, lane: 'priority', name: 'Sunita Devi' });
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(1);
    expect(count(c, 'SELECT count(*) AS n FROM outbox')).toBe(1);
  });

  it('twice for the same reference is refused with the existing token', async () => {
    c = await setupCounter({ roster });
    const t = await c.ok('checkInProvisional', { refId: 'PROV000001', name: 'Asha Pal' });
    expect(await c.err('checkInProvisional', { refId: 'PROV000001', name: 'Asha Pal' })).toMatchObject({
      code: 'ALREADY_CHECKED_IN',
      details: { token: t.token },
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { OPERATOR, rosterEntry, setupCounter, SUBMISSION, SUPERVISOR, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('records are stamped with who, where and when', () => {
  it('tickets, walk-ins, events, vaccinations and outbox rows carry operator, counter code, device ID and time', async () => {
    c = await setupCounter({ roster: [rosterEntry('REF0000001')], signedIn: 'operator' });
    const op = c.backend.signedIn!;
    expect(op.loginId).toBe(OPERATOR.loginId);
    const device = c.backend.deviceId;
    expect(device).toMatch(UUID_V7);
    const db = c.backend.db;

    c.clock.advance(60_000);
    const t1At = c.clock().toISOString();
    const t1 = await c.ok('checkIn', { refId: 'REF0000001' });
    c.clock.advance(60_000);
    const w1At = c.clock().toISOString();
    const w1 = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });

    for (const [t, at] of [
      [t1, t1At],
      [w1, w1At],
    ] as const) {
      expect(
        db.prepare('SELECT created_by, counter_code, device_id, created_at, updated_at FROM ticket WHERE id = ?').get(t.id),
      ).toEqual({
        created_by: op.id,
        counter_code: 'C1',
        device_id: device,
        created_at: at,
        updated_at: at,
      });
      expect(t.createdAt).toBe(at);
    }
    expect(db.prepare('SELECT created_by, counter_code, device_id, created_at FROM walkin').get()).toEqual({
      created_by: op.id,
      counter_code: 'C1',
      device_id: device,
      created_at: w1At,
    });

    // a later action by someone else is stamped with them, the ticket keeps its creator
    await c.signIn(SUPERVISOR);
    const sup = c.backend.signedIn!;
    c.clock.advance(60_000);
    await c.ok('callTicket', { ticketId: t1.id });
    c.clock.advance(60_000);
    const servedAt = c.clock().toISOString();
    await c.ok('serveTicket', { ticketId: t1.id, vaccine: 'COVISHIELD', lotNumber: '4121Z025', dose: 1 });
    expect(db.prepare('SELECT vaccinated_by, counter_code, device_id, vaccinated_at FROM vaccination').get()).toEqual({
      vaccinated_by: sup.id,
      counter_code: 'C1',
      device_id: device,
      vaccinated_at: servedAt,
    });
    expect(db.prepare('SELECT created_by, updated_at FROM ticket WHERE id = ?').get(t1.id)).toEqual({
      created_by: op.id,
      updated_at: servedAt,
    });
    const events = db.prepare('SELECT action, operator_id, at FROM ticket_event WHERE ticket_id = ? ORDER BY id').all(t1.id);
    expect(events).toEqual([
      { action: 'issued', operator_id: op.id, at: t1At },
      { action: 'call', operator_id: sup.id, at: expect.any(String) },
      { action: 'serve', operator_id: sup.id, at: servedAt },
    ]);

    const payloads = (
      db.prepare('SELECT kind, payload, created_at FROM outbox ORDER BY seq').all() as {
        kind: string;
        payload: string;
        created_at: string;
      }[]
    ).map((r) => ({ kind: r.kind, createdAt: r.created_at, ...JSON.parse(r.payload) }));
    expect(payloads.map((p) => [p.kind, p.operatorId])).toEqual([
      ['checkin.created', op.id],
      ['walkin.registered', op.id],
      ['ticket.called', sup.id],
      ['vaccination.recorded', sup.id],
    ]);
    for (const p of payloads) {
      expect(p).toMatchObject({ counterCode: 'C1', deviceId: device, at: p.createdAt });
    }
    expect(payloads[3]).toMatchObject({
      vaccine: 'COVISHIELD',
      lotNumber: '4121Z025',
      dose: 1,
      vaccinationId: expect.stringMatching(UUID_V7),
    });
  });

  it('record IDs are UUID v7, never timestamps', async () => {
    c = await setupCounter({ roster: [rosterEntry('REF0000001')] });
    const t = await c.ok('checkIn', { refId: 'REF0000001' });
    expect(t.id).toMatch(UUID_V7);
    const m = c.backend.db.prepare('SELECT mutation_id FROM outbox').get() as { mutation_id: string };
    expect(m.mutation_id).toMatch(UUID_V7);
  });
});

/**
 * Closing a day that is over: the tickets still waiting or called are cancelled as not
 * finished, each with its outbox row, so the portal and the reconciliation know.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DAY, OPERATOR, rosterEntry, setupCounter, SUBMISSION, SUPERVISOR, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const SERVE = { vaccine: 'COVISHIELD', lotNumber: '4121Z025', dose: 1 };
const roster = Array.from({ length: 4 }, (_, i) => rosterEntry(`REF00000${i + 1}`));

async function dayWithOpenTickets() {
  c = await setupCounter({ roster, withOperator: true });
  const waiting = await c.ok('checkIn', { refId: 'REF000001' });
  const called = await c.ok('checkIn', { refId: 'REF000002' });
  const served = await c.ok('checkIn', { refId: 'REF000003' });
  const walkIn = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
  await c.ok('callTicket', { ticketId: called.id });
  await c.ok('callTicket', { ticketId: served.id });
  await c.ok('serveTicket', { ticketId: served.id, ...SERVE });
  return { waiting, called, served, walkIn };
}

const statusOf = (id: string) =>
  c.backend.db.prepare('SELECT status, cancel_reason FROM ticket WHERE id = ?').get(id) as {
    status: string;
    cancel_reason: string | null;
  };

describe('closing a day', () => {
  it('cancels what was still waiting or called, one outbox row each, and the reconciliation shows it', async () => {
    const t = await dayWithOpenTickets();
    // today cannot be closed
    const early = await c.err('closeDay', { day: DAY });
    expect(early.code).toBe('VALIDATION');
    expect(early.fields).toEqual([expect.objectContaining({ field: 'day', code: 'day_not_over' })]);

    c.clock.advance(24 * 3600_000);
    await c.signIn(SUPERVISOR);
    // shown with today's report too: the morning after, yesterday was left open
    const today = c.backend.today()!;
    const before = await c.ok('getReconciliation', { from: today, to: today });
    expect(before.openTickets).toEqual([{ day: DAY, count: 3 }]);
    const outboxBefore = (c.backend.db.prepare('SELECT max(seq) AS n FROM outbox').get() as { n: number }).n;

    expect(await c.ok('closeDay', { day: DAY })).toEqual({ day: DAY, closed: 3 });
    for (const id of [t.waiting.id, t.called.id, t.walkIn.id]) {
      expect(statusOf(id)).toEqual({ status: 'cancelled', cancel_reason: 'end_of_day' });
    }
    expect(statusOf(t.served.id).status).toBe('served');
    const rows = c.backend.db
      .prepare('SELECT kind, record_id, payload FROM outbox WHERE seq > ? ORDER BY seq')
      .all(outboxBefore) as { kind: string; record_id: string; payload: string }[];
    expect(rows.map((r) => r.kind)).toEqual(['ticket.cancelled', 'ticket.cancelled', 'ticket.cancelled']);
    expect(rows.map((r) => r.record_id).sort()).toEqual([t.waiting.id, t.called.id, t.walkIn.id].sort());
    expect(JSON.parse(rows[0]!.payload)).toMatchObject({ day: DAY, reason: 'end_of_day', endOfDay: true, to: 'cancelled' });
    const audit = c.backend.db.prepare("SELECT detail FROM audit_log WHERE action = 'day.closed'").all() as { detail: string }[];
    expect(audit.map((a) => JSON.parse(a.detail))).toEqual([{ day: DAY, closed: 3 }]);

    expect((await c.ok('getReconciliation', { from: DAY, to: DAY })).openTickets).toEqual([]);
    // closing again finds nothing open
    expect(await c.ok('closeDay', { day: DAY })).toEqual({ day: DAY, closed: 0 });
  });

  it('is for supervisors only, and a failure part-way closes nothing', async () => {
    const t = await dayWithOpenTickets();
    c.clock.advance(24 * 3600_000);
    await c.signIn(OPERATOR);
    expect((await c.err('closeDay', { day: DAY })).code).toBe('FORBIDDEN');
    await c.signIn(SUPERVISOR);
    // the third outbox row cannot be written: the whole close is rolled back
    c.backend.db.exec(`CREATE TRIGGER fail_third AFTER INSERT ON outbox
      WHEN (SELECT count(*) FROM outbox WHERE kind = 'ticket.cancelled') >= 3
      BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect((await c.err('closeDay', { day: DAY })).code).toBe('INTERNAL');
    c.backend.db.exec('DROP TRIGGER fail_third');
    for (const id of [t.waiting.id, t.called.id, t.walkIn.id]) expect(statusOf(id).status).not.toBe('cancelled');
    expect(
      (c.backend.db.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'ticket.cancelled'").get() as { n: number }).n,
    ).toBe(0);
    expect(await c.ok('closeDay', { day: DAY })).toEqual({ day: DAY, closed: 3 });
  });
});

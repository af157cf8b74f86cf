/**
 * Which refused records a supervisor may dismiss: never a vaccination or the record of a
 * person who was vaccinated (those are corrected and resent), and a ticket's record only once
 * the ticket is no longer open. Rows are marked refused here as the sync worker would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rosterEntry, setupCounter, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const SERVE = { vaccine: 'COVISHIELD', lotNumber: '4121Z025', dose: 1 };

/** Marks the outbox row of `kind` for `recordId` refused by the portal; returns its seq. */
function refuse(kind: string, recordId: string): number {
  const row = c.backend.db
    .prepare("SELECT seq FROM outbox WHERE kind = ? AND record_id = ? AND state = 'pending'")
    .get(kind, recordId) as { seq: number };
  c.backend.db
    .prepare("UPDATE outbox SET state = 'rejected', reject_code = 'x', rejected_at = created_at WHERE seq = ?")
    .run(row.seq);
  return row.seq;
}

describe('dismissing a refused record', () => {
  it('never a vaccination, nor the record of a person vaccinated; an open ticket is cancelled first', async () => {
    c = await setupCounter({ roster: [rosterEntry('REF000001'), rosterEntry('REF000002')] });
    const served = await c.ok('checkIn', { refId: 'REF000001' });
    await c.ok('callTicket', { ticketId: served.id });
    await c.ok('serveTicket', { ticketId: served.id, ...SERVE });
    const vaccination = refuse('vaccination.recorded', served.id);
    const servedRecord = refuse('checkin.created', served.id);
    expect(await c.err('dismissRecord', { seq: vaccination, reason: 'test' })).toMatchObject({
      code: 'NOT_DISMISSIBLE',
      details: { why: 'vaccination' },
    });
    expect(await c.err('dismissRecord', { seq: servedRecord, reason: 'test' })).toMatchObject({
      code: 'NOT_DISMISSIBLE',
      details: { why: 'served', token: served.token },
    });

    const open = await c.ok('checkIn', { refId: 'REF000002' });
    const openRecord = refuse('checkin.created', open.id);
    await c.ok('callTicket', { ticketId: open.id });
    await c.ok('markNoShow', { ticketId: open.id });
    // a no-show may still be requeued today: still open
    expect(await c.err('dismissRecord', { seq: openRecord, reason: 'test' })).toMatchObject({
      code: 'NOT_DISMISSIBLE',
      details: { why: 'open', token: open.token },
    });
    await c.ok('cancelTicket', { ticketId: open.id, reason: 'test entry' });
    expect(await c.ok('dismissRecord', { seq: openRecord, reason: 'test entry' })).toEqual({ seq: openRecord });

    // an event of a ticket (not a vaccination) can be dismissed
    const called = refuse('ticket.called', open.id);
    expect(await c.ok('dismissRecord', { seq: called, reason: 'the portal does not know this ticket' })).toEqual({
      seq: called,
    });
    // nothing of the refused ones was dismissed
    const dismissed = c.backend.db.prepare('SELECT seq FROM outbox WHERE dismissed_at IS NOT NULL ORDER BY seq').all() as {
      seq: number;
    }[];
    expect(dismissed.map((d) => d.seq)).toEqual([openRecord, called].sort((a, b) => a - b));
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CounterEvent } from '../../common/contract';
import { sweepAcknowledged } from '../../main/sync/outbox-sync';
import { startPortalProcess, type PortalHandle } from '../../portal/process';
import {
  eventually,
  expectPortalMatches,
  outboxRows,
  people,
  registerWalkIns,
  settled,
  status,
  syncedCounter,
  type SyncedCounter,
  walkInIdOf,
} from './harness';
import { freshPortalDatabase } from '../support/portal-engine';

let portal: PortalHandle;
const counters: SyncedCounter[] = [];

beforeAll(async () => {
  portal = await startPortalProcess({ faults: true, database: freshPortalDatabase() });
});
afterEach(async () => {
  await portal?.admin.setFaults({});
});
afterAll(async () => {
  for (const c of counters) await c.dispose();
  await portal?.stop();
});

/** The upload marks the events told, the later over the earlier. */
function marksTold(events: readonly CounterEvent[]): Record<string, string> {
  const marks: Record<string, string> = {};
  for (const e of events) if (e.type === 'uploads') Object.assign(marks, e.uploads);
  return marks;
}

async function counter(options: Parameters<typeof syncedCounter>[1] = {}) {
  const c = await syncedCounter(portal, options);
  counters.push(c);
  return c;
}

/** Two walk-ins, the first refused by the portal as `test_entry`; waits until it needs attention. */
async function firstWalkInRejected(c: SyncedCounter) {
  await holdUploads();
  const tickets = await registerWalkIns(c, 2);
  const uploads = async () => (await c.ok('getQueue', {})).uploads;
  // the queue marks each ticket: nothing has gone yet
  expect(await uploads()).toEqual({ [tickets[0]!.id]: 'waiting', [tickets[1]!.id]: 'waiting' });
  const rejectedId = walkInIdOf(c, tickets[0]!.id);
  await portal.admin.setFaults({ rejectRecordIds: [rejectedId], rejectCode: 'test_entry' });
  await c.ok('syncNow', {});
  await eventually(() => {
    const s = status(c);
    if (s.pending !== 0 || s.needsAttention !== 1) throw new Error(JSON.stringify(s));
  });
  await portal.admin.setFaults({});
  const [item] = await c.ok('listNeedsAttention', {});
  expect(item!.recordId).toBe(rejectedId);
  expect(await uploads()).toEqual({ [tickets[0]!.id]: 'attention', [tickets[1]!.id]: 'uploaded' });
  return { item: item!, tickets, rejectedId, uploads };
}

/**
 * The portal answers 503 to every push until the next `setFaults`. A registration nudges the
 * worker at once, so without this a record could be uploaded before its refusal is set up.
 */
async function holdUploads(): Promise<void> {
  await portal.admin.setFaults({ rules: [{ fault: 'http503', route: 'push', retryAfterSeconds: 0 }] });
}

describe('sync with a real portal process', () => {
  it('uploads walk-ins, check-ins and ticket events exactly once and says so', async () => {
    const c = await counter();
    const roster = people(30, 3);
    await portal.admin.addAppointments(c.centreId, c.today, roster);
    // the roster arrives by pull (the first one ran at start, before the bookings); check in people from it
    await c.ok('syncNow', {});
    await eventually(() => {
      if ((c.backend.appState().roster?.count ?? 0) !== 30) throw new Error('roster not pulled yet');
    });
    for (const e of roster.slice(0, 5)) await c.ok('checkIn', { refId: e.refId });
    await registerWalkIns(c, 5);
    const first = await c.ok('callNext', {});
    expect(first).not.toBeNull();
    const s = await settled(c);
    expect(s.state).toBe('online');
    expect(s.needsAttention).toBe(0);
    expect(s.lastSuccessAt).not.toBeNull();
    const m = await expectPortalMatches(c, portal);
    expect(m.portalRecords).toEqual(m.localRecords);
    expect(m.localRecords).toHaveLength(10);
    expect(m.portalEvents).toEqual(m.localEvents);
    expect(m.localEvents.length).toBeGreaterThanOrEqual(1);
  });

  it("tells the renderer when uploads are recorded, so the queue's upload marks follow", async () => {
    const c = await counter();
    await holdUploads();
    const [t] = await registerWalkIns(c, 1);
    expect((await c.ok('getQueue', {})).uploads[t!.id]).toBe('waiting');
    const events: CounterEvent[] = [];
    c.backend.events.on('event', (e) => events.push(e));
    await portal.admin.setFaults({});
    await c.ok('syncNow', {});
    // the worker's answer reaches main, which says the outbox changed (the renderer then reads the queue again)
    await eventually(() => expect(events).toContainEqual({ type: 'changed', method: 'syncNow' }));
    expect((await c.ok('getQueue', {})).uploads[t!.id]).toBe('uploaded');
    // and the marks that moved come with it, as the queue reads them
    expect(marksTold(events)).toEqual({ [t!.id]: 'uploaded' });
  });

  it('tells the renderer of the marks that moved when the portal refuses a record: that ticket needs attention, the other is uploaded', async () => {
    const c = await counter();
    const events: CounterEvent[] = [];
    c.backend.events.on('event', (e) => events.push(e));
    const { tickets } = await firstWalkInRejected(c);
    await eventually(() => expect(marksTold(events)).toEqual({ [tickets[0]!.id]: 'attention', [tickets[1]!.id]: 'uploaded' }));
  });

  it('pulls roster changes: new bookings and cancellations, without a file', async () => {
    const c = await counter();
    const roster = people(20, 5);
    await portal.admin.addAppointments(c.centreId, c.today, roster.slice(0, 15));
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.appState().roster?.count).toBe(15));
    await portal.admin.addAppointments(c.centreId, c.today, roster.slice(15));
    await portal.admin.cancel(c.centreId, c.today, [roster[0]!.refId]);
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.appState().roster?.count).toBe(19));
    const hit = await c.ok('searchRoster', { query: roster[19]!.refId });
    expect(hit.map((h) => h.refId)).toContain(roster[19]!.refId);
    const gone = await c.ok('searchRoster', { query: roster[0]!.refId });
    expect(gone.map((h) => h.refId)).not.toContain(roster[0]!.refId);
  });

  it('reduces a walk-in photo-ID number to its last 4 once the portal has it', async () => {
    const c = await counter();
    const [t] = await registerWalkIns(c, 1);
    await settled(c);
    const w = c.backend.db.prepare('SELECT photo_id_number, photo_id_last4, photo_id_reduced_at FROM walkin').get() as {
      photo_id_number: string;
      photo_id_last4: string;
      photo_id_reduced_at: string | null;
    };
    expect(w.photo_id_number).toBe(w.photo_id_last4);
    expect(w.photo_id_reduced_at).not.toBeNull();
    const payload = JSON.parse(outboxRows(c).find((r) => r.kind === 'walkin.registered')!.payload);
    expect(payload.person.photoIdNumber).toBe(`XXXX${w.photo_id_last4}`);
    // the portal received the full number
    const rec = (await portal.admin.records(c.centreId, c.today)).records.find((r) => r.recordId === walkInIdOf(c, t!.id));
    expect(String((rec!.payload.person as { photoIdNumber: string }).photoIdNumber).length).toBeGreaterThan(4);
  });

  it('keeps the full number for the configured retention', async () => {
    const c = await counter({ photoIdRetentionDays: 30 });
    await registerWalkIns(c, 1);
    await settled(c);
    const w = c.backend.db.prepare('SELECT photo_id_number, photo_id_last4 FROM walkin').get() as {
      photo_id_number: string;
      photo_id_last4: string;
    };
    expect(w.photo_id_number.length).toBeGreaterThan(4);
  });

  it('lists a rejected record as needing attention, uploads the rest, and takes a correction', async () => {
    const c = await counter();
    await holdUploads();
    const tickets = await registerWalkIns(c, 3);
    const rejectedId = walkInIdOf(c, tickets[1]!.id);
    await portal.admin.setFaults({ rejectRecordIds: [rejectedId], rejectCode: 'invalid_id' });
    try {
      await c.ok('syncNow', {});
      const s = await eventually(() => {
        const s = status(c);
        if (s.pending !== 0 || s.needsAttention !== 1) throw new Error(JSON.stringify(s));
        return s;
      });
      expect(s.needsAttention).toBe(1);
      const [item] = await c.ok('listNeedsAttention', {});
      expect(item!.recordId).toBe(rejectedId);
      expect(item!.code).toBe('invalid_id');
      expect(item!.correctable).toBe('walkin');
      // the other two are at the portal
      const before = (await portal.admin.records(c.centreId, c.today)).records.map((r) => r.recordId);
      expect(before).toContain(walkInIdOf(c, tickets[0]!.id));
      expect(before).toContain(walkInIdOf(c, tickets[2]!.id));
      expect(before).not.toContain(rejectedId);
      await portal.admin.setFaults({});
      await c.ok('resendRecord', { seq: item!.seq, walkIn: { ...item!.walkIn!, name: 'Corrected Name', gender: 'F' } as never });
      await settled(c);
      expect(status(c).needsAttention).toBe(0);
      expect(await c.ok('listNeedsAttention', {})).toEqual([]);
      const after = (await portal.admin.records(c.centreId, c.today)).records.filter((r) => r.recordId === rejectedId);
      expect(after).toHaveLength(1);
      expect((after[0]!.payload.person as { name: string }).name).toBe('Corrected Name');
      // a second resend of the same rejection is refused
      const again = await c.err('resendRecord', { seq: item!.seq });
      expect(again.code).toBe('CONFLICT');
    } finally {
      await portal.admin.setFaults({});
    }
  });

  it('reconciles: pending and rejected rows for the day, as CSV too', async () => {
    const c = await counter();
    await holdUploads();
    const tickets = await registerWalkIns(c, 2);
    await portal.admin.setFaults({ rejectRecordIds: [walkInIdOf(c, tickets[0]!.id)] });
    try {
      await c.ok('syncNow', {});
      await eventually(() => expect(status(c).needsAttention).toBe(1));
      await c.signIn({ loginId: 'super1', pin: '246810' });
      const view = await c.ok('getReconciliation', { from: c.today, to: c.today });
      expect(view.totals.rejected).toBe(1);
      expect(view.rows.find((r) => r.status === 'rejected')!.recordId).toBe(walkInIdOf(c, tickets[0]!.id));
      const csv = await c.ok('exportReconciliation', { from: c.today, to: c.today });
      expect(csv.csv.startsWith('\uFEFFday,status,kind')).toBe(true);
      expect(csv.csv).toContain('rejected_by_portal');
      expect(csv.fileName).toContain(c.today);
    } finally {
      await portal.admin.setFaults({});
    }
  });

  it('a supervisor dismisses a rejected record: it leaves needs attention, is never sent, and the reconciliation says who and why', async () => {
    const c = await counter({ photoIdRetentionDays: 0 });
    const { item, tickets, rejectedId, uploads } = await firstWalkInRejected(c);

    // an operator may not dismiss; a reason is required
    expect((await c.err('dismissRecord', { seq: item!.seq, reason: 'test entry' })).code).toBe('FORBIDDEN');
    await c.signIn({ loginId: 'super1', pin: '246810' });
    const blank = await c.err('dismissRecord', { seq: item!.seq, reason: '   ' });
    expect(blank.code).toBe('VALIDATION');
    expect(blank.fields).toEqual([expect.objectContaining({ field: 'reason', code: 'required' })]);
    expect((await c.err('dismissRecord', { seq: 999_999, reason: 'x' })).code).toBe('NOT_FOUND');
    // the ticket is still in the queue: cancelled first, so nothing more of it goes to the portal
    expect(await c.err('dismissRecord', { seq: item!.seq, reason: 'test entry' })).toMatchObject({
      code: 'NOT_DISMISSIBLE',
      details: { why: 'open', token: tickets[0]!.token },
    });
    await c.ok('cancelTicket', { ticketId: tickets[0]!.id, reason: 'test entry' });

    expect(await c.ok('dismissRecord', { seq: item!.seq, reason: 'test entry' })).toEqual({ seq: item!.seq });
    expect(await c.ok('listNeedsAttention', {})).toEqual([]);
    expect(status(c).needsAttention).toBe(0);
    // its cancellation uploads; then the ticket is marked dismissed
    await settled(c);
    expect((await uploads())[tickets[0]!.id]).toBe('dismissed');
    // once only, and no resend after it
    expect((await c.err('dismissRecord', { seq: item!.seq, reason: 'again' })).code).toBe('CONFLICT');
    expect((await c.err('resendRecord', { seq: item!.seq })).code).toBe('CONFLICT');
    // the full photo-ID number, no longer to be sent, is kept as its last 4 only
    const w = c.backend.db.prepare('SELECT photo_id_number, photo_id_last4 FROM walkin WHERE id = ?').get(rejectedId) as {
      photo_id_number: string;
      photo_id_last4: string;
    };
    expect(w.photo_id_number).toBe(w.photo_id_last4);
    const audit = c.backend.db.prepare("SELECT detail FROM audit_log WHERE action = 'outbox.dismissed'").all() as {
      detail: string;
    }[];
    expect(audit.map((a) => JSON.parse(a.detail))).toEqual([
      expect.objectContaining({ seq: item!.seq, recordId: rejectedId, code: 'test_entry', reason: 'test entry' }),
    ]);

    const view = await c.ok('getReconciliation', { from: c.today, to: c.today });
    expect(view.totals).toMatchObject({ rejected: 0, dismissed: 1, pending: 0 });
    const row = view.rows.find((r) => r.recordId === rejectedId)!;
    expect(row.status).toBe('dismissed');
    expect(row.code).toBe('test_entry');
    expect(row.dismissal).toMatchObject({ by: 'super1', reason: 'test entry' });
    const csv = await c.ok('exportReconciliation', { from: c.today, to: c.today });
    expect(csv.csv).toMatch(/dismissed_at,dismissed_by,dismiss_reason\r\n/);
    expect(csv.csv).toContain('super1,test entry');

    // more records keep uploading, and the portal never gets the dismissed one
    await registerWalkIns(c, 1);
    await settled(c);
    const atPortal = (await portal.admin.records(c.centreId, c.today)).records.map((r) => r.recordId);
    expect(atPortal).toContain(walkInIdOf(c, tickets[1]!.id));
    expect(atPortal).not.toContain(rejectedId);
  });

  it('a dismissed walk-in keeps its full photo-ID number for the configured retention, then only the last 4', async () => {
    const c = await counter({ photoIdRetentionDays: 30 });
    const { item, tickets, rejectedId } = await firstWalkInRejected(c);
    await c.signIn({ loginId: 'super1', pin: '246810' });
    await c.ok('cancelTicket', { ticketId: tickets[0]!.id, reason: 'duplicate entry' });
    await c.ok('dismissRecord', { seq: item.seq, reason: 'duplicate entry' });
    const number = () =>
      (c.backend.db.prepare('SELECT photo_id_number FROM walkin WHERE id = ?').get(rejectedId) as { photo_id_number: string })
        .photo_id_number;
    const full = number();
    expect(full.length).toBeGreaterThan(4);
    const day = 86_400_000;
    sweepAcknowledged(c.backend.db, new Date(Date.now() + 29 * day), 30, 90);
    expect(number()).toBe(full);
    sweepAcknowledged(c.backend.db, new Date(Date.now() + 31 * day), 30, 90);
    expect(number()).toBe(full.slice(-4));
    const payload = JSON.parse(outboxRows(c).find((r) => r.seq === item.seq)!.payload);
    expect(payload.person.photoIdNumber).toBe(`XXXX${full.slice(-4)}`);
  });
});

describe('a portal that refuses connections', () => {
  it('is retried with backoff, shown as offline, and the worker keeps running', async () => {
    // a port with nothing listening: every connection is refused at once
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const c = await syncedCounter({ url: `http://127.0.0.1:${port}`, admin: portal.admin });
    counters.push(c);
    await registerWalkIns(c, 2);
    await c.ok('syncNow', {});
    const worker = c.backend.sync!;
    // several refused tries later the same worker is still there, and says why nothing uploads
    for (let i = 0; i < 5; i++) {
      const before = status(c).lastAttemptAt;
      await c.ok('syncNow', {});
      await eventually(() => expect(status(c).lastAttemptAt).not.toBe(before), 10_000);
    }
    const s = await eventually(() => {
      const s = status(c);
      if (s.lastError?.code !== 'network') throw new Error(JSON.stringify(s));
      return s;
    });
    expect(s.pending).toBe(2);
    expect(s.state).toBe('offline');
    expect(worker.running).toBe(true);
    expect(worker.unexpectedExits).toBe(0);
    expect(s.lastError?.code).not.toBe('worker_stopped');
  });
});

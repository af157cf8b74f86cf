import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TicketView } from '../../common/domain';
import {
  checkInPayloadSchema,
  MAX_PUSH_BYTES,
  MAX_PUSH_ITEMS,
  pushRequestSchema,
  ticketEventPayloadSchema,
  walkInPayloadSchema,
} from '../../common/sync-protocol';
import { listedTicketsOfRecords, RECENT_FINISHED } from '../../main/store/tickets';
import { pushBody, type OutboxRow as BatchRow } from '../../main/sync/outbox-sync';
import {
  breakOutbox,
  outboxCount,
  rosterEntry,
  setupCounter,
  storeSnapshot,
  SUBMISSION,
  walkInForm,
  type Counter,
} from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const roster = Array.from({ length: 6 }, (_, i) => rosterEntry(`REF00000${i + 1}`));
const SERVE = { vaccine: 'COVISHIELD', lotNumber: '4121Z025', dose: 1 };

interface OutboxRow {
  seq: number;
  mutation_id: string;
  kind: string;
  record_id: string;
  payload: string;
  created_at: string;
  state: string;
}
const outboxRows = (c: Counter) => c.backend.db.prepare('SELECT * FROM outbox ORDER BY seq').all() as OutboxRow[];

describe('the outbox', () => {
  beforeEach(async () => {
    c = await setupCounter({ roster });
  });

  it('gets exactly one row per mutating call, of the right kind, for the right record', async () => {
    const steps: Array<[string, () => Promise<{ id: string }>, string, (v: { id: string }) => string]> = [];
    const byTicket = (v: { id: string }) => v.id;
    let p1!: TicketView;
    let w1!: TicketView;
    steps.push(['checkIn', async () => (p1 = await c.ok('checkIn', { refId: 'REF000001' })), 'checkin.created', byTicket]);
    steps.push([
      'checkInProvisional',
      () => c.ok('checkInProvisional', { refId: 'PROV000001', name: 'Asha Pal' }),
      'checkin.created',
      byTicket,
    ]);
    steps.push([
      'registerWalkIn',
      async () =>
        (w1 = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] })),
      'walkin.registered',
      // the walk-in record, not the ticket
      () => (c.backend.db.prepare('SELECT walkin_id FROM ticket WHERE id = ?').get(w1.id) as { walkin_id: string }).walkin_id,
    ]);
    steps.push(['callTicket', () => c.ok('callTicket', { ticketId: p1.id }), 'ticket.called', byTicket]);
    steps.push(['recallTicket', () => c.ok('recallTicket', { ticketId: p1.id }), 'ticket.recalled', byTicket]);
    steps.push(['markNoShow', () => c.ok('markNoShow', { ticketId: p1.id }), 'ticket.no_show', byTicket]);
    steps.push(['requeueTicket', () => c.ok('requeueTicket', { ticketId: p1.id }), 'ticket.requeued', byTicket]);
    steps.push(['callNext', () => c.ok('callNext', {}), 'ticket.called', byTicket]);
    steps.push(['serveTicket', () => c.ok('serveTicket', { ticketId: p1.id, ...SERVE }), 'vaccination.recorded', byTicket]);
    steps.push([
      'cancelTicket',
      () => c.ok('cancelTicket', { ticketId: w1.id, reason: 'went home' }),
      'ticket.cancelled',
      byTicket,
    ]);

    for (const [name, run, kind, recordOf] of steps) {
      c.clock.advance(60_000);
      const before = outboxRows(c);
      const value = await run();
      const after = outboxRows(c);
      expect(after.length, name).toBe(before.length + 1);
      const row = after.at(-1)!;
      expect(row.kind, name).toBe(kind);
      expect(row.record_id, name).toBe(recordOf(value));
      expect(row.state).toBe('pending');
      expect(row.created_at).toBe(c.clock().toISOString());
    }
    expect(new Set(outboxRows(c).map((r) => r.mutation_id)).size).toBe(steps.length);
    expect(c.backend.appState().outbox.pending).toBe(steps.length);
  });

  it('rows written from the longest values the counter takes are taken by the portal, and a full batch of them fits one push', async () => {
    // every free-text field at its longest, in Devanagari (3 bytes a letter)
    const longName = 'क'.repeat(100);
    const longRef = 'R'.repeat(19) + '9';
    const long = await setupCounter({ roster: [rosterEntry(longRef, { name: longName })] });
    try {
      const p = await long.ok('checkIn', { refId: longRef });
      await long.ok('checkInProvisional', { refId: 'P'.repeat(19) + '1', name: longName });
      const w = await long.ok('registerWalkIn', {
        submissionId: SUBMISSION(1),
        form: walkInForm(1, { name: longName, photoIdType: 'MGNREGA_JOB_CARD', photoIdNumber: `UP${'1'.repeat(28)}` }),
        acknowledgedDuplicates: [],
      });
      await long.ok('callTicket', { ticketId: p.id });
      await long.ok('serveTicket', { ticketId: p.id, vaccine: 'COVISHIELD', lotNumber: `A${'9'.repeat(19)}`, dose: 1 });
      await long.ok('cancelTicket', { ticketId: w.id, reason: 'र'.repeat(200) });

      const rows = outboxRows(long);
      for (const r of rows) {
        const payload = JSON.parse(r.payload) as unknown;
        const schema =
          r.kind === 'walkin.registered'
            ? walkInPayloadSchema
            : r.kind === 'checkin.created'
              ? checkInPayloadSchema
              : ticketEventPayloadSchema;
        const parsed = schema.safeParse(payload);
        expect(parsed.success, `${r.kind}: ${parsed.error?.message}`).toBe(true);
      }
      // the longest row, MAX_PUSH_ITEMS times over, as the sync worker would send it
      const longest = rows.reduce((a, b) => (Buffer.byteLength(b.payload) > Buffer.byteLength(a.payload) ? b : a));
      const batch = Array.from({ length: MAX_PUSH_ITEMS }, (_, i) => ({ ...longest, seq: i + 1 }) as BatchRow);
      const body = pushBody(long.backend.deviceId, 'CENTRE-0001-LONG-ID', 'C1-LONG', batch);
      expect(Buffer.byteLength(body)).toBeLessThan(MAX_PUSH_BYTES);
      expect(pushRequestSchema.safeParse(JSON.parse(body)).success).toBe(true);
    } finally {
      long.dispose();
    }
  });

  it("marks each ticket in the queue by its outbox rows: the record's and its events'", async () => {
    const uploads = async () => (await c.ok('getQueue', {})).uploads;
    const acknowledgeAll = () => c.backend.db.prepare("UPDATE outbox SET state = 'acknowledged' WHERE state = 'pending'").run();
    const p = await c.ok('checkIn', { refId: 'REF000001' });
    const w = await c.ok('registerWalkIn', { submissionId: SUBMISSION(3), form: walkInForm(3), acknowledgedDuplicates: [] });
    expect(await uploads()).toEqual({ [p.id]: 'waiting', [w.id]: 'waiting' });
    acknowledgeAll();
    expect(await uploads()).toEqual({ [p.id]: 'uploaded', [w.id]: 'uploaded' });
    // a new event on the ticket waits to upload again; the walk-in's record (keyed by its walk-in ID) counts too
    await c.ok('callTicket', { ticketId: p.id });
    c.backend.db.prepare("UPDATE outbox SET state = 'rejected', reject_code = 'x' WHERE kind = 'walkin.registered'").run();
    expect(await uploads()).toEqual({ [p.id]: 'waiting', [w.id]: 'attention' });
  });

  it("names the tickets of the records the portal answered that the day's queue view lists, as getQueue lists them", async () => {
    const db = c.backend.db;
    const day = c.backend.today()!;
    // 18 finished a minute apart (walk-ins), one called and one waiting (check-ins), one walk-in waiting
    const finished: string[] = [];
    for (let n = 1; n <= 18; n++) {
      const t = await c.ok('registerWalkIn', { submissionId: SUBMISSION(n), form: walkInForm(n), acknowledgedDuplicates: [] });
      await c.ok('callTicket', { ticketId: t.id });
      await c.ok('markNoShow', { ticketId: t.id });
      finished.push(t.id);
      c.clock.advance(60_000);
    }
    const called = await c.ok('checkIn', { refId: 'REF000001' });
    await c.ok('callTicket', { ticketId: called.id });
    const waiting = await c.ok('checkIn', { refId: 'REF000002' });
    const w = await c.ok('registerWalkIn', { submissionId: SUBMISSION(30), form: walkInForm(30), acknowledgedDuplicates: [] });
    const records = outboxRows(c).map((r) => r.record_id);
    const listed = listedTicketsOfRecords(db, records, day);
    // every record answered: the tickets named are the queue view's own
    expect(listed.sort()).toEqual(Object.keys((await c.ok('getQueue', {})).uploads).sort());
    expect(listed).toEqual(expect.arrayContaining([called.id, waiting.id, w.id, ...finished.slice(-RECENT_FINISHED)]));
    expect(listed).not.toContain(finished[0]);
    expect(listed).toHaveLength(3 + RECENT_FINISHED);
    // a walk-in's registration is keyed by its walk-in ID: the ticket named is its own
    const walkInId = (db.prepare('SELECT walkin_id AS id FROM ticket WHERE id = ?').get(w.id) as { id: string }).id;
    expect(records).toContain(walkInId);
    expect(listedTicketsOfRecords(db, [walkInId], day)).toEqual([w.id]);
    // another day's queue view lists none of them, the waiting and called included
    expect(listedTicketsOfRecords(db, records, '2000-01-01')).toEqual([]);
    expect(listedTicketsOfRecords(db, ['no-such-record'], day)).toEqual([]);
    expect(listedTicketsOfRecords(db, [], day)).toEqual([]);
  });

  it('gets no row from refused or read-only calls', async () => {
    const t = await c.ok('checkIn', { refId: 'REF000001' });
    const n = outboxCount(c);
    await c.err('checkIn', { refId: 'REF000001' }); // already checked in
    await c.err('checkIn', { refId: 'NOSUCHREF1' });
    await c.err('recallTicket', { ticketId: t.id }); // not called yet
    await c.err('serveTicket', { ticketId: t.id, ...SERVE });
    await c.ok('getQueue', {});
    await c.ok('previewWalkIn', { form: walkInForm(1) });
    await c.ok('getAppState', {});
    expect(outboxCount(c)).toBe(n);
  });

  it('a repeated walk-in submission writes no second row', async () => {
    const req = { submissionId: SUBMISSION(7), form: walkInForm(7), acknowledgedDuplicates: [] };
    await c.ok('registerWalkIn', req);
    const n = outboxCount(c);
    await c.ok('registerWalkIn', req);
    expect(outboxCount(c)).toBe(n);
  });

  it('payloads say who, where and when, and carry the record', async () => {
    const t = await c.ok('checkIn', { refId: 'REF000001' });
    const row = outboxRows(c).at(-1)!;
    const payload = JSON.parse(row.payload);
    const op = c.backend.signedIn!;
    expect(payload).toMatchObject({
      ticketId: t.id,
      refId: 'REF000001',
      token: 'A-P001',
      day: '2021-04-10',
      operatorId: op.id,
      counterCode: 'C1',
      deviceId: c.backend.deviceId,
      at: c.clock().toISOString(),
    });
  });

  describe('a failure after the change is written rolls the change back with its outbox row', () => {
    it('check-in: no ticket, no event, no token used', async () => {
      const before = storeSnapshot(c);
      const restore = breakOutbox(c);
      expect(await c.err('checkIn', { refId: 'REF000001' })).toMatchObject({ code: 'INTERNAL' });
      expect(await c.err('checkInProvisional', { refId: 'PROV000001', name: 'Asha Pal' })).toMatchObject({ code: 'INTERNAL' });
      restore();
      expect(storeSnapshot(c)).toEqual(before);
      expect((await c.ok('checkIn', { refId: 'REF000001' })).token).toBe('A-P001');
    });

    it('walk-in registration: no walk-in record, no ticket, and the same submission can be sent again', async () => {
      const req = { submissionId: SUBMISSION(3), form: walkInForm(3), acknowledgedDuplicates: [] };
      const before = storeSnapshot(c);
      const restore = breakOutbox(c);
      expect(await c.err('registerWalkIn', req)).toMatchObject({ code: 'INTERNAL' });
      restore();
      expect(storeSnapshot(c)).toEqual(before);
      const t = await c.ok('registerWalkIn', req);
      expect(t.token).toBe('A-W001');
    });

    it('every queue action: the ticket keeps its state and no event or vaccination is written', async () => {
      const waiting = await c.ok('checkIn', { refId: 'REF000001' });
      const called = await c.ok('checkIn', { refId: 'REF000002' });
      await c.ok('callTicket', { ticketId: called.id });
      const noShow = await c.ok('checkIn', { refId: 'REF000003' });
      await c.ok('callTicket', { ticketId: noShow.id });
      await c.ok('markNoShow', { ticketId: noShow.id });
      c.clock.advance(60_000);

      const before = storeSnapshot(c);
      const restore = breakOutbox(c);
      const attempts: Array<[string, unknown]> = [
        ['callNext', {}],
        ['callTicket', { ticketId: waiting.id }],
        ['recallTicket', { ticketId: called.id }],
        ['markNoShow', { ticketId: called.id }],
        ['serveTicket', { ticketId: called.id, ...SERVE }],
        ['requeueTicket', { ticketId: noShow.id }],
        ['cancelTicket', { ticketId: waiting.id, reason: 'left' }],
      ];
      for (const [method, req] of attempts) {
        expect(await c.dispatch(method, req), method).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
      }
      restore();
      expect(storeSnapshot(c)).toEqual(before);
    });
  });
});

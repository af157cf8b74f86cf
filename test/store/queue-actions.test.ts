import { afterEach, describe, expect, it } from 'vitest';
import type { TicketStatus, TicketView } from '../../common/domain';
import { rosterEntry, setupCounter, storeSnapshot, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const roster = Array.from({ length: 9 }, (_, i) =>
  rosterEntry(`REF000000${i + 1}`, { name: ['Sunita Devi', 'Ram Lal', 'Geeta Mishra'][i % 3]! }),
);
const SERVE = { vaccine: 'COVAXIN', lotNumber: 'b-21/0042', dose: 2 };
const MIN = 60_000;

let walkIns = 0;
const priority = async (n: number) => {
  c.clock.advance(MIN);
  return c.ok('checkIn', { refId: `REF000000${n}` });
};
const walkIn = async () => {
  c.clock.advance(MIN);
  walkIns++;
  return c.ok('registerWalkIn', { submissionId: SUBMISSION(walkIns), form: walkInForm(walkIns), acknowledgedDuplicates: [] });
};
const ticket = (id: string) => c.backend.db.prepare('SELECT * FROM ticket WHERE id = ?').get(id) as Record<string, unknown>;

describe('queue actions', () => {
  afterEach(() => {
    walkIns = 0;
  });

  it('call next: priority before walk-in in strict mode, first in first out within each lane', async () => {
    c = await setupCounter({ roster });
    const w1 = await walkIn();
    const p1 = await priority(1);
    const w2 = await walkIn();
    const p2 = await priority(2);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await c.ok('callNext', {})).token);
    expect(order).toEqual([p1.token, p2.token, w1.token, w2.token]);
    expect(await c.err('callNext', {})).toMatchObject({ code: 'NOT_FOUND', details: { queueEmpty: true } });
  });

  it('call next records why it chose the ticket', async () => {
    c = await setupCounter({ roster });
    await walkIn();
    const p1 = await priority(1);
    const called = await c.ok('callNext', {});
    expect(called).toMatchObject({ id: p1.id, status: 'called', calledAt: c.clock().toISOString() });
    const ev = c.backend.db.prepare("SELECT * FROM ticket_event WHERE ticket_id = ? AND action = 'call'").get(p1.id) as {
      detail: string;
      from_status: string;
      to_status: string;
    };
    expect(ev).toMatchObject({ from_status: 'waiting', to_status: 'called' });
    expect(JSON.parse(ev.detail)).toEqual({ reason: 'priority_first' });
  });

  it('the queue view shows what call next will do', async () => {
    c = await setupCounter({ roster });
    const w1 = await walkIn();
    const p1 = await priority(1);
    c.clock.advance(10 * MIN);
    const q = await c.ok('getQueue', {});
    expect(q.next).toEqual({ ticketId: p1.id, token: p1.token, lane: 'priority', reason: 'priority_first' });
    expect(q.waiting.walkin.map((t) => t.id)).toEqual([w1.id]);
    expect(q.oldestWaitMinutes).toEqual({ priority: 10, walkin: 11 });
    expect((await c.ok('callNext', {})).id).toBe(q.next!.ticketId);
  });

  it('with a waiting limit, each lane lists its first tickets and counts them all; next and the oldest wait are unchanged', async () => {
    c = await setupCounter({ roster });
    const w = [await walkIn(), await walkIn(), await walkIn()];
    const p = [await priority(1), await priority(2)];
    c.clock.advance(10 * MIN);
    const all = await c.ok('getQueue', {});
    const head = await c.ok('getQueue', { waitingLimit: 1 });
    expect(head.waiting.priority.map((t) => t.id)).toEqual([p[0]!.id]);
    expect(head.waiting.walkin.map((t) => t.id)).toEqual([w[0]!.id]);
    expect(head.waitingCount).toEqual({ priority: 2, walkin: 3 });
    expect(all.waitingCount).toEqual({ priority: 2, walkin: 3 });
    expect(all.waiting.walkin.map((t) => t.id)).toEqual(w.map((t) => t.id));
    expect(head.next).toEqual(all.next);
    expect(head.oldestWaitMinutes).toEqual(all.oldestWaitMinutes);
    expect(Object.keys(head.uploads).sort()).toEqual([p[0]!.id, w[0]!.id].sort());
  });

  it('call specific: any waiting ticket can be called out of turn', async () => {
    c = await setupCounter({ roster });
    await priority(1);
    const w1 = await walkIn();
    const called = await c.ok('callTicket', { ticketId: w1.id });
    expect(called).toMatchObject({ id: w1.id, status: 'called', lane: 'walkin' });
    const ev = c.backend.db.prepare("SELECT detail FROM ticket_event WHERE ticket_id = ? AND action = 'call'").get(w1.id) as {
      detail: string;
    };
    expect(JSON.parse(ev.detail)).toEqual({ reason: 'chosen' });
  });

  it('recall counts each recall and moves called_at', async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    await c.ok('callTicket', { ticketId: p1.id });
    c.clock.advance(MIN);
    const r1 = await c.ok('recallTicket', { ticketId: p1.id });
    c.clock.advance(MIN);
    const r2 = await c.ok('recallTicket', { ticketId: p1.id });
    expect([r1.recallCount, r2.recallCount]).toEqual([1, 2]);
    expect(r2).toMatchObject({ status: 'called', calledAt: c.clock().toISOString() });
  });

  it('no-show finishes a called ticket', async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    await c.ok('callTicket', { ticketId: p1.id });
    c.clock.advance(MIN);
    const t = await c.ok('markNoShow', { ticketId: p1.id });
    expect(t).toMatchObject({ status: 'no_show', finishedAt: c.clock().toISOString() });
    const q = await c.ok('getQueue', {});
    expect(q.counts.noShow).toBe(1);
    expect(q.recent.map((x) => x.id)).toEqual([p1.id]);
  });

  it('lane order does not depend on the clock: same-millisecond joins and a clock stepping back keep arrival order', async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    await c.ok('callNext', {});
    await c.ok('markNoShow', { ticketId: p1.id });
    const p2 = await priority(2); // same millisecond as the requeue below
    await c.ok('requeueTicket', { ticketId: p1.id });
    c.clock.advance(-10 * MIN); // the PC clock is corrected backwards
    const p3 = await priority(3);
    const q = await c.ok('getQueue', {});
    expect(q.waiting.priority.map((t) => t.id)).toEqual([p2.id, p1.id, p3.id]);
    expect(q.next?.ticketId).toBe(p2.id);
  });

  it('requeue puts a no-show back at the end of its own lane', async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    const p2 = await priority(2);
    const w1 = await walkIn();
    await c.ok('callNext', {}); // p1
    await c.ok('markNoShow', { ticketId: p1.id });
    const p3 = await priority(3); // joined after p1 was called
    c.clock.advance(MIN);
    const back = await c.ok('requeueTicket', { ticketId: p1.id });
    expect(back).toMatchObject({
      status: 'waiting',
      lane: 'priority',
      requeueCount: 1,
      calledAt: null,
      finishedAt: null,
      queuedAt: c.clock().toISOString(),
    });
    expect(back.token).toBe(p1.token);
    const q = await c.ok('getQueue', {});
    expect(q.waiting.priority.map((t) => t.id)).toEqual([p2.id, p3.id, p1.id]);
    expect(q.waiting.walkin.map((t) => t.id)).toEqual([w1.id]);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await c.ok('callNext', {})).id);
    expect(order).toEqual([p2.id, p3.id, p1.id, w1.id]);
  });

  it('cancel works from waiting, called and no-show, and keeps the reason', async () => {
    c = await setupCounter({ roster });
    const a = await priority(1);
    const b = await priority(2);
    const d = await priority(3);
    await c.ok('callTicket', { ticketId: b.id });
    await c.ok('callTicket', { ticketId: d.id });
    await c.ok('markNoShow', { ticketId: d.id });
    for (const t of [a, b, d]) {
      const x = await c.ok('cancelTicket', { ticketId: t.id, reason: '  went home  ' });
      expect(x.status).toBe('cancelled');
      expect(ticket(t.id).cancel_reason).toBe('went home');
    }
    expect((await c.ok('getQueue', {})).counts.cancelled).toBe(3);
  });

  it('serve records the vaccination with its vaccine, lot and dose', async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    await c.ok('callNext', {});
    c.clock.advance(3 * MIN);
    const t = await c.ok('serveTicket', { ticketId: p1.id, ...SERVE });
    expect(t).toMatchObject({ status: 'served', finishedAt: c.clock().toISOString() });
    const v = c.backend.db.prepare('SELECT * FROM vaccination WHERE ticket_id = ?').get(p1.id);
    expect(v).toMatchObject({ vaccine: 'COVAXIN', lot_number: 'B-21/0042', dose: 2, vaccinated_at: c.clock().toISOString() });
    expect((await c.ok('getQueue', {})).counts.served).toBe(1);
  });

  it('serve refuses a vaccine this counter does not stock, and writes nothing', async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    await c.ok('callNext', {});
    const before = storeSnapshot(c);
    expect(await c.err('serveTicket', { ticketId: p1.id, ...SERVE, vaccine: 'SPUTNIK' })).toMatchObject({
      code: 'VALIDATION',
      fields: [{ field: 'vaccine', code: 'vaccine_unknown' }],
    });
    expect(storeSnapshot(c)).toEqual(before);
  });

  it('an unknown ticket is NOT_FOUND', async () => {
    c = await setupCounter({ roster });
    expect(await c.err('callTicket', { ticketId: '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b' })).toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('invalid transitions are refused with INVALID_TRANSITION and nothing is written', () => {
    type Action = 'call' | 'recall' | 'no_show' | 'requeue' | 'cancel' | 'serve';
    const allowed: Record<TicketStatus, Action[]> = {
      waiting: ['call', 'cancel'],
      called: ['recall', 'no_show', 'cancel', 'serve'],
      no_show: ['requeue', 'cancel'],
      served: [],
      cancelled: [],
    };
    const run = (action: Action, id: string) => {
      switch (action) {
        case 'call':
          return c.call('callTicket', { ticketId: id });
        case 'recall':
          return c.call('recallTicket', { ticketId: id });
        case 'no_show':
          return c.call('markNoShow', { ticketId: id });
        case 'requeue':
          return c.call('requeueTicket', { ticketId: id });
        case 'cancel':
          return c.call('cancelTicket', { ticketId: id, reason: 'test' });
        case 'serve':
          return c.call('serveTicket', { ticketId: id, ...SERVE });
      }
    };

    it('for every state and every action not allowed from it', async () => {
      c = await setupCounter({ roster });
      const byStatus = {} as Record<TicketStatus, TicketView>;
      byStatus.waiting = await priority(1);
      byStatus.called = await priority(2);
      await c.ok('callTicket', { ticketId: byStatus.called.id });
      byStatus.no_show = await priority(3);
      await c.ok('callTicket', { ticketId: byStatus.no_show.id });
      await c.ok('markNoShow', { ticketId: byStatus.no_show.id });
      byStatus.served = await priority(4);
      await c.ok('callTicket', { ticketId: byStatus.served.id });
      await c.ok('serveTicket', { ticketId: byStatus.served.id, ...SERVE });
      byStatus.cancelled = await priority(5);
      await c.ok('cancelTicket', { ticketId: byStatus.cancelled.id, reason: 'x' });
      c.clock.advance(MIN);

      let refused = 0;
      for (const status of Object.keys(allowed) as TicketStatus[]) {
        for (const action of ['call', 'recall', 'no_show', 'requeue', 'cancel', 'serve'] as Action[]) {
          if (allowed[status].includes(action)) continue;
          const before = storeSnapshot(c);
          const r = await run(action, byStatus[status].id);
          expect(r, `${action} from ${status}`).toMatchObject({
            ok: false,
            error: { code: 'INVALID_TRANSITION', details: { token: byStatus[status].token, status, action } },
          });
          expect(storeSnapshot(c), `${action} from ${status}`).toEqual(before);
          refused++;
        }
      }
      expect(refused).toBe(30 - 8);
    });

    it('and every allowed one succeeds', async () => {
      c = await setupCounter({ roster });
      const to: Record<Action, TicketStatus> = {
        call: 'called',
        recall: 'called',
        no_show: 'no_show',
        requeue: 'waiting',
        cancel: 'cancelled',
        serve: 'served',
      };
      let n = 0;
      for (const status of ['waiting', 'called', 'no_show'] as const) {
        for (const action of allowed[status]) {
          n++;
          const t = await priority(n);
          if (status !== 'waiting') await c.ok('callTicket', { ticketId: t.id });
          if (status === 'no_show') await c.ok('markNoShow', { ticketId: t.id });
          const r = await run(action, t.id);
          expect(r, `${action} from ${status}`).toMatchObject({ ok: true, value: { status: to[action] } });
        }
      }
      expect(n).toBe(8);
    });
  });

  describe('policies through the store', () => {
    it('ratio 2:1: after two priority calls made while a walk-in waited, the walk-in is called', async () => {
      c = await setupCounter({ roster, provisioning: { queuePolicy: { mode: 'ratio', priorityPerWalkIn: 2 } as never } });
      const p = [await priority(1), await priority(2)];
      const w1 = await walkIn();
      const w2 = await walkIn();
      p.push(await priority(3), await priority(4), await priority(5));
      const calls: string[] = [];
      for (let i = 0; i < 7; i++) {
        c.clock.advance(MIN);
        calls.push((await c.ok('callNext', {})).id);
      }
      expect(calls).toEqual([p[0]!.id, p[1]!.id, w1.id, p[2]!.id, p[3]!.id, w2.id, p[4]!.id]);
    });

    it('a priority call made with callTicket counts towards the ratio too', async () => {
      c = await setupCounter({ roster, provisioning: { queuePolicy: { mode: 'ratio', priorityPerWalkIn: 2 } as never } });
      const w1 = await walkIn();
      const p1 = await priority(1);
      await priority(2);
      c.clock.advance(MIN);
      await c.ok('callTicket', { ticketId: p1.id });
      c.clock.advance(MIN);
      await c.ok('callNext', {}); // p2
      c.clock.advance(MIN);
      await priority(3);
      c.clock.advance(MIN);
      expect((await c.ok('callNext', {})).id).toBe(w1.id);
    });

    it('max-wait guard: a walk-in who has waited the limit is called next even in strict mode', async () => {
      c = await setupCounter({ roster, provisioning: { queuePolicy: { walkInMaxWaitMinutes: 30 } as never } });
      const w1 = await walkIn();
      const p1 = await priority(1);
      await priority(2);
      c.clock.set(new Date(Date.parse(w1.queuedAt) + 29 * MIN).toISOString());
      expect((await c.ok('callNext', {})).id).toBe(p1.id);
      c.clock.advance(MIN);
      expect((await c.ok('getQueue', {})).next).toMatchObject({ ticketId: w1.id, reason: 'max_wait' });
      expect((await c.ok('callNext', {})).id).toBe(w1.id);
    });

    it('a supervisor can change the policy and it applies to the next call', async () => {
      c = await setupCounter({ roster });
      const w1 = await walkIn();
      await priority(1);
      const state = await c.ok('updateQueuePolicy', {
        mode: 'strict',
        priorityPerWalkIn: 3,
        walkInMaxWaitMinutes: 1,
        lateArrivalMinutes: null,
        provisionalPriority: false,
      });
      expect(state.policy).toMatchObject({ walkInMaxWaitMinutes: 1 });
      expect((await c.ok('callNext', {})).id).toBe(w1.id);
    });
  });
});

describe("yesterday's tickets", () => {
  it("are not in today's queue: they cannot be called or served the next day, only cancelled", async () => {
    c = await setupCounter({ roster });
    const p1 = await priority(1);
    c.clock.advance(24 * 3600_000);
    for (const method of ['callTicket', 'recallTicket', 'markNoShow', 'requeueTicket'] as const) {
      expect(await c.err(method, { ticketId: p1.id })).toMatchObject({ code: 'NOT_FOUND', details: { token: p1.token } });
    }
    expect((await c.ok('getQueue', {})).waiting.priority).toEqual([]);
    expect((await c.ok('cancelTicket', { ticketId: p1.id, reason: 'left yesterday' })).status).toBe('cancelled');
  });
});

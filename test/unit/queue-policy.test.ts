import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideNext, laneForCheckIn, type QueuePolicy, type WaitingTicket } from '../../common/rules/queue-policy';

const MIN = 60_000;
const NOW = Date.parse('2021-04-10T06:00:00Z');
const STRICT: QueuePolicy = { mode: 'strict', priorityPerWalkIn: 3, walkInMaxWaitMinutes: null };
const RATIO: QueuePolicy = { mode: 'ratio', priorityPerWalkIn: 3, walkInMaxWaitMinutes: null };

const p = (id: string, waitedMinutes: number): WaitingTicket => ({ id, lane: 'priority', queuedAt: NOW - waitedMinutes * MIN });
const w = (id: string, waitedMinutes: number): WaitingTicket => ({ id, lane: 'walkin', queuedAt: NOW - waitedMinutes * MIN });
const none = { priorityCallsWhileWalkInWaited: 0 };

describe('decideNext', () => {
  it('returns null when nobody is waiting', () => {
    expect(decideNext({ priority: [], walkin: [] }, none, STRICT, NOW)).toBeNull();
    expect(decideNext({ priority: [], walkin: [] }, { priorityCallsWhileWalkInWaited: 9 }, RATIO, NOW)).toBeNull();
  });

  it('calls the only lane that has someone waiting', () => {
    expect(decideNext({ priority: [], walkin: [w('w1', 5)] }, none, STRICT, NOW)).toEqual({
      ticketId: 'w1',
      lane: 'walkin',
      reason: 'only_waiting',
    });
    expect(decideNext({ priority: [p('p1', 5)], walkin: [] }, none, STRICT, NOW)).toEqual({
      ticketId: 'p1',
      lane: 'priority',
      reason: 'only_waiting',
    });
  });

  it('strict: a waiting priority ticket always goes before a walk-in, however long the walk-in waited', () => {
    const d = decideNext({ priority: [p('p1', 1)], walkin: [w('w1', 600)] }, { priorityCallsWhileWalkInWaited: 40 }, STRICT, NOW);
    expect(d).toEqual({ ticketId: 'p1', lane: 'priority', reason: 'priority_first' });
  });

  it('strict: never picks a walk-in while priority waits (no max-wait guard)', () => {
    const ticket = (lane: 'priority' | 'walkin') =>
      fc.record({ id: fc.uuid(), lane: fc.constant(lane), queuedAt: fc.integer({ min: NOW - 600 * MIN, max: NOW }) });
    fc.assert(
      fc.property(
        fc.array(ticket('priority'), { minLength: 1, maxLength: 5 }),
        fc.array(ticket('walkin'), { maxLength: 5 }),
        fc.nat(100),
        fc.integer({ min: 1, max: 50 }),
        (priority, walkin, calls, n) => {
          const d = decideNext(
            { priority, walkin },
            { priorityCallsWhileWalkInWaited: calls },
            { ...STRICT, priorityPerWalkIn: n },
            NOW,
          );
          expect(d?.lane).toBe('priority');
          expect(d?.ticketId).toBe(priority[0]!.id);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('calls the head of each lane: first in, first out', () => {
    const lanes = { priority: [p('p1', 30), p('p2', 20), p('p3', 10)], walkin: [w('w1', 40), w('w2', 5)] };
    expect(decideNext(lanes, none, STRICT, NOW)?.ticketId).toBe('p1');
    expect(decideNext({ ...lanes, priority: [] }, none, STRICT, NOW)?.ticketId).toBe('w1');
    expect(decideNext(lanes, { priorityCallsWhileWalkInWaited: 3 }, RATIO, NOW)?.ticketId).toBe('w1');
  });

  it('ratio N:1: the walk-in gets its turn after N priority calls made while it waited', () => {
    const lanes = { priority: [p('p1', 5)], walkin: [w('w1', 5)] };
    for (const n of [0, 1, 2]) {
      expect(decideNext(lanes, { priorityCallsWhileWalkInWaited: n }, RATIO, NOW)).toMatchObject({
        lane: 'priority',
        reason: 'priority_first',
      });
    }
    expect(decideNext(lanes, { priorityCallsWhileWalkInWaited: 3 }, RATIO, NOW)).toEqual({
      ticketId: 'w1',
      lane: 'walkin',
      reason: 'ratio_turn',
    });
    expect(decideNext(lanes, { priorityCallsWhileWalkInWaited: 4 }, RATIO, NOW)).toMatchObject({
      lane: 'walkin',
      reason: 'ratio_turn',
    });
    expect(decideNext(lanes, { priorityCallsWhileWalkInWaited: 1 }, { ...RATIO, priorityPerWalkIn: 1 }, NOW)).toMatchObject({
      lane: 'walkin',
      reason: 'ratio_turn',
    });
  });

  it('max-wait guard: a walk-in who has waited the limit is called next, in either mode', () => {
    const guarded = (mode: 'strict' | 'ratio'): QueuePolicy => ({ mode, priorityPerWalkIn: 3, walkInMaxWaitMinutes: 30 });
    for (const mode of ['strict', 'ratio'] as const) {
      expect(decideNext({ priority: [p('p1', 50)], walkin: [w('w1', 29)] }, none, guarded(mode), NOW)).toMatchObject({
        lane: 'priority',
      });
      expect(decideNext({ priority: [p('p1', 50)], walkin: [w('w1', 30)] }, none, guarded(mode), NOW)).toEqual({
        ticketId: 'w1',
        lane: 'walkin',
        reason: 'max_wait',
      });
    }
  });

  it('max-wait guard looks at the oldest walk-in, the head of the lane', () => {
    const policy: QueuePolicy = { ...STRICT, walkInMaxWaitMinutes: 30 };
    expect(decideNext({ priority: [p('p1', 1)], walkin: [w('w1', 10), w('w2', 45)] }, none, policy, NOW)).toMatchObject({
      lane: 'priority',
    });
  });
});

describe('laneForCheckIn', () => {
  const policy = { lateArrivalMinutes: 60, provisionalPriority: false };
  const at = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

  it('a verified registrant on time joins the priority lane', () => {
    expect(laneForCheckIn({ verified: true, slotMinute: at('10:00'), nowMinute: at('10:30') }, policy)).toEqual({
      lane: 'priority',
      late: false,
    });
    expect(laneForCheckIn({ verified: true, slotMinute: at('10:00'), nowMinute: at('09:00') }, policy)).toEqual({
      lane: 'priority',
      late: false,
    });
  });

  it('arriving more than lateArrivalMinutes after the slot joins the walk-in lane, marked late', () => {
    expect(laneForCheckIn({ verified: true, slotMinute: at('10:00'), nowMinute: at('11:00') }, policy)).toEqual({
      lane: 'priority',
      late: false,
    });
    expect(laneForCheckIn({ verified: true, slotMinute: at('10:00'), nowMinute: at('11:01') }, policy)).toEqual({
      lane: 'walkin',
      late: true,
    });
  });

  it('nobody is late when the policy has no late limit, or the booking has no slot', () => {
    const noLimit = { ...policy, lateArrivalMinutes: null };
    expect(laneForCheckIn({ verified: true, slotMinute: at('09:00'), nowMinute: at('16:00') }, noLimit)).toEqual({
      lane: 'priority',
      late: false,
    });
    expect(laneForCheckIn({ verified: true, slotMinute: null, nowMinute: at('16:00') }, policy)).toEqual({
      lane: 'priority',
      late: false,
    });
  });

  it('a provisional (unverified) check-in joins the walk-in lane by default', () => {
    expect(laneForCheckIn({ verified: false, slotMinute: null, nowMinute: at('10:00') }, policy)).toEqual({
      lane: 'walkin',
      late: false,
    });
  });

  it('a provisional check-in joins the priority lane when policy.provisionalPriority is on', () => {
    expect(
      laneForCheckIn({ verified: false, slotMinute: null, nowMinute: at('10:00') }, { ...policy, provisionalPriority: true }),
    ).toEqual({
      lane: 'priority',
      late: false,
    });
  });
});

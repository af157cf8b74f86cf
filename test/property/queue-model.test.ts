/**
 * Model-based tests: random sequences of counter actions against a real backend in a temp
 * folder, checked after every step against a small model of what the counter should hold.
 */
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueuePolicySettings, TicketStatus, TicketView } from '../../common/domain';
import type { Result } from '../../common/result';
import {
  cloneCounter,
  fakeClock,
  MORNING,
  rosterEntry,
  setupCounter,
  SUBMISSION,
  SUPERVISOR,
  walkInForm,
  type Counter,
} from '../store/harness';

const ROSTER_SIZE = 20;
const ROSTER = Array.from({ length: ROSTER_SIZE }, (_, i) => rosterEntry(`REF${String(i).padStart(7, '0')}`, { slotTime: null }));
/** indexes past the roster are people who are not in it */
const refOf = (i: number) => (i < ROSTER_SIZE ? ROSTER[i]!.refId : `OUT${String(i).padStart(7, '0')}`);
const provisionalRefOf = (i: number) => (i < ROSTER_SIZE ? ROSTER[i]!.refId : `PROV${String(i).padStart(6, '0')}`);
const SERVE = { vaccine: 'COVISHIELD', lotNumber: '4121Z025', dose: 1 };
const MIN = 60_000;

type Op =
  | { t: 'checkIn'; ref: number }
  | { t: 'provisional'; ref: number }
  | { t: 'walkIn' }
  | { t: 'resubmit'; pick: number }
  | { t: 'callNext' }
  | { t: 'callTicket' | 'recall' | 'noShow' | 'requeue' | 'cancel' | 'serve'; pick: number }
  | { t: 'wait'; minutes: number };

/** Relative weights of the kinds of action in a generated sequence. */
interface Mix {
  checkIn: number;
  provisional: number;
  walkIn: number;
  resubmit: number;
  callNext: number;
  ticketAction: number;
  wait: number;
}

const opsOf = (mix: Mix): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: mix.checkIn, arbitrary: fc.record({ t: fc.constant('checkIn' as const), ref: fc.nat(ROSTER_SIZE + 1) }) },
    { weight: mix.provisional, arbitrary: fc.record({ t: fc.constant('provisional' as const), ref: fc.nat(ROSTER_SIZE + 3) }) },
    { weight: mix.walkIn, arbitrary: fc.constant({ t: 'walkIn' as const }) },
    { weight: mix.resubmit, arbitrary: fc.record({ t: fc.constant('resubmit' as const), pick: fc.nat(20) }) },
    { weight: mix.callNext, arbitrary: fc.constant({ t: 'callNext' as const }) },
    {
      weight: mix.ticketAction,
      arbitrary: fc.record({
        t: fc.constantFrom(
          'callTicket' as const,
          'recall' as const,
          'noShow' as const,
          'requeue' as const,
          'cancel' as const,
          'serve' as const,
        ),
        pick: fc.nat(40),
      }),
    },
    { weight: mix.wait, arbitrary: fc.record({ t: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 15 }) }) },
  );

interface ModelTicket {
  id: string;
  token: string;
  lane: 'priority' | 'walkin';
  status: TicketStatus;
  refId: string | null;
  /** when it joined (or rejoined) its lane, ms */
  queuedAt: number;
  /** order of joining, to tell FIFO without relying on timestamps */
  joined: number;
  recalls: number;
}

class Model {
  tickets = new Map<string, ModelTicket>();
  seq = { priority: 0, walkin: 0 };
  joins = 0;
  outbox = 0;
  served = 0;
  submissions: Array<{ n: number; ticketId: string }> = [];
  walkInCount = 0;
  /** times of priority calls, and of the last walk-in call (for the ratio rule) */
  priorityCalls: number[] = [];
  lastWalkInCall = -Infinity;

  waiting(lane: 'priority' | 'walkin'): ModelTicket[] {
    return [...this.tickets.values()]
      .filter((t) => t.lane === lane && t.status === 'waiting')
      .sort((a, b) => a.joined - b.joined);
  }
  activeFor(refId: string): ModelTicket | undefined {
    return [...this.tickets.values()].find((t) => t.refId === refId && t.status !== 'cancelled');
  }
  issue(v: TicketView, lane: 'priority' | 'walkin', now: number): void {
    this.seq[lane]++;
    expect(v.token).toBe(`A-${lane === 'priority' ? 'P' : 'W'}${String(this.seq[lane]).padStart(3, '0')}`);
    expect(v.lane).toBe(lane);
    expect(v.status).toBe('waiting');
    expect(this.tickets.has(v.id)).toBe(false);
    this.tickets.set(v.id, {
      id: v.id,
      token: v.token,
      lane,
      status: 'waiting',
      refId: v.refId,
      queuedAt: now,
      joined: ++this.joins,
      recalls: 0,
    });
    this.outbox++;
  }
  call(t: ModelTicket, now: number): void {
    t.status = 'called';
    if (t.lane === 'priority') this.priorityCalls.push(now);
    else this.lastWalkInCall = now;
  }
  /** who the policy should call next */
  next(policy: QueuePolicySettings, now: number): { ticket: ModelTicket; reason: string } | null {
    const p = this.waiting('priority')[0];
    const w = this.waiting('walkin')[0];
    if (!p && !w) return null;
    if (!p) return { ticket: w!, reason: 'only_waiting' };
    if (!w) return { ticket: p, reason: 'only_waiting' };
    if (policy.walkInMaxWaitMinutes !== null && now - w.queuedAt >= policy.walkInMaxWaitMinutes * MIN)
      return { ticket: w, reason: 'max_wait' };
    if (policy.mode === 'ratio') {
      const since = Math.max(w.queuedAt, this.lastWalkInCall);
      if (this.priorityCalls.filter((at) => at >= since).length >= policy.priorityPerWalkIn)
        return { ticket: w, reason: 'ratio_turn' };
    }
    return { ticket: p, reason: 'priority_first' };
  }
}

function expectRefused<T>(r: Result<T>, code: string, what: string): void {
  expect(r.ok, `${what} should be refused with ${code}`).toBe(false);
  if (!r.ok) expect(r.error.code, what).toBe(code);
}
function expectOk<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`${what} failed: ${JSON.stringify(r.error)}`);
  return r.value;
}

async function runScenario(c: Counter, ops: Op[], policy: QueuePolicySettings): Promise<void> {
  const m = new Model();
  const db = c.backend.db;
  const allTickets = () => [...m.tickets.values()];
  const pickTicket = (pick: number) => {
    const all = allTickets().sort((a, b) => a.joined - b.joined);
    return all.length ? all[pick % all.length]! : undefined;
  };

  for (const [step, op] of ops.entries()) {
    c.clock.advance(1_000);
    const now = c.clock().getTime();
    const what = `step ${step} ${JSON.stringify(op)}`;
    switch (op.t) {
      case 'wait':
        c.clock.advance(op.minutes * MIN);
        break;
      case 'checkIn': {
        const refId = refOf(op.ref);
        const r = await c.call('checkIn', { refId });
        const existing = m.activeFor(refId);
        if (op.ref >= ROSTER_SIZE) expectRefused(r, 'NOT_FOUND', what);
        else if (existing) {
          expectRefused(r, 'ALREADY_CHECKED_IN', what);
          if (!r.ok) expect(r.error.details?.token).toBe(existing.token);
        } else m.issue(expectOk(r, what), 'priority', now);
        break;
      }
      case 'provisional': {
        const refId = provisionalRefOf(op.ref);
        const r = await c.call('checkInProvisional', { refId, name: 'Asha Pal' });
        const existing = m.activeFor(refId);
        if (existing) expectRefused(r, 'ALREADY_CHECKED_IN', what);
        else {
          const v = expectOk(r, what);
          const inRoster = op.ref < ROSTER_SIZE;
          expect(v.verified).toBe(inRoster);
          m.issue(v, inRoster || policy.provisionalPriority ? 'priority' : 'walkin', now);
        }
        break;
      }
      case 'walkIn': {
        const n = 100 + m.walkInCount++;
        const v = expectOk(
          await c.call('registerWalkIn', { submissionId: SUBMISSION(n), form: walkInForm(n), acknowledgedDuplicates: [] }),
          what,
        );
        m.issue(v, 'walkin', now);
        m.submissions.push({ n, ticketId: v.id });
        break;
      }
      case 'resubmit': {
        if (m.submissions.length === 0) break;
        const s = m.submissions[op.pick % m.submissions.length]!;
        const v = expectOk(
          await c.call('registerWalkIn', { submissionId: SUBMISSION(s.n), form: walkInForm(s.n), acknowledgedDuplicates: [] }),
          what,
        );
        expect(v.id, what).toBe(s.ticketId);
        expect(v.status, what).toBe(m.tickets.get(s.ticketId)!.status);
        break;
      }
      case 'callNext': {
        const expected = m.next(policy, now);
        const priorityWaiting = m.waiting('priority').length > 0;
        const r = await c.call('callNext', {});
        if (!expected) {
          expectRefused(r, 'NOT_FOUND', what);
          break;
        }
        const v = expectOk(r, what);
        if (policy.mode === 'strict' && policy.walkInMaxWaitMinutes === null && priorityWaiting) {
          expect(v.lane, `${what}: strict mode called a walk-in while a priority ticket waited`).toBe('priority');
        }
        expect(v.id, `${what}: expected ${expected.ticket.token} (${expected.reason}), got ${v.token}`).toBe(expected.ticket.id);
        m.call(expected.ticket, now);
        m.outbox++;
        break;
      }
      default: {
        const t = pickTicket(op.pick);
        if (!t) break;
        const ref = { ticketId: t.id };
        const from = t.status;
        let r: Result<TicketView>;
        let allowed: boolean;
        switch (op.t) {
          case 'callTicket':
            r = await c.call('callTicket', ref);
            allowed = from === 'waiting';
            if (allowed) m.call(t, now);
            break;
          case 'recall':
            r = await c.call('recallTicket', ref);
            allowed = from === 'called';
            if (allowed) t.recalls++;
            break;
          case 'noShow':
            r = await c.call('markNoShow', ref);
            allowed = from === 'called';
            if (allowed) t.status = 'no_show';
            break;
          case 'requeue':
            r = await c.call('requeueTicket', ref);
            allowed = from === 'no_show';
            if (allowed) Object.assign(t, { status: 'waiting', queuedAt: now, joined: ++m.joins });
            break;
          case 'cancel':
            r = await c.call('cancelTicket', { ...ref, reason: 'left' });
            allowed = from === 'waiting' || from === 'called' || from === 'no_show';
            if (allowed) t.status = 'cancelled';
            break;
          case 'serve':
            r = await c.call('serveTicket', { ...ref, ...SERVE });
            allowed = from === 'called';
            if (allowed) {
              t.status = 'served';
              m.served++;
            }
            break;
        }
        if (allowed) {
          const v = expectOk(r, what);
          expect(v.status, what).toBe(t.status);
          m.outbox++;
        } else {
          expectRefused(r, 'INVALID_TRANSITION', `${what} from ${from}`);
        }
      }
    }

    // ---- invariants after every step ----
    const rows = db.prepare('SELECT id, token, lane, status, recall_count FROM ticket').all() as {
      id: string;
      token: string;
      lane: string;
      status: string;
      recall_count: number;
    }[];
    // no ticket lost or duplicated
    expect(rows.map((r) => r.id).sort(), what).toEqual([...m.tickets.keys()].sort());
    // tokens unique
    expect(new Set(rows.map((r) => r.token)).size, what).toBe(rows.length);
    // status, lane and recalls as the model says
    for (const r of rows) {
      const t = m.tickets.get(r.id)!;
      expect({ token: r.token, status: r.status, lane: r.lane, recalls: r.recall_count }, what).toEqual({
        token: t.token,
        status: t.status,
        lane: t.lane,
        recalls: t.recalls,
      });
    }
    // one outbox row per successful mutation, one vaccination per serve
    expect((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, what).toBe(m.outbox);
    expect((db.prepare('SELECT count(*) AS n FROM vaccination').get() as { n: number }).n, what).toBe(m.served);
    // the queue shows each lane in joining order
    const q = expectOk(await c.call('getQueue', {}), what);
    expect(
      q.waiting.priority.map((t) => t.id),
      what,
    ).toEqual(m.waiting('priority').map((t) => t.id));
    expect(
      q.waiting.walkin.map((t) => t.id),
      what,
    ).toEqual(m.waiting('walkin').map((t) => t.id));
    expect(q.next?.ticketId ?? null, what).toBe(m.next(policy, c.clock().getTime())?.ticket.id ?? null);
  }
}

function modelProperty(name: string, policy: Partial<QueuePolicySettings>, mix: Mix, numRuns: number) {
  describe(name, () => {
    let templateDir = '';
    let fullPolicy: QueuePolicySettings;
    beforeAll(async () => {
      const t = await setupCounter({ roster: ROSTER, provisioning: { queuePolicy: policy as QueuePolicySettings } });
      fullPolicy = t.backend.provisioning!.queuePolicy;
      templateDir = t.dataDir;
      t.close();
    });
    afterAll(() => {
      if (templateDir) rmSync(templateDir, { recursive: true, force: true });
    });

    it('keeps every ticket, unique tokens, the modelled states, one outbox row per change, and the call order', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opsOf(mix), { minLength: 5, maxLength: 40, size: 'max' }), async (ops) => {
          const c = await cloneCounter(templateDir, fakeClock(MORNING));
          try {
            await c.signIn(SUPERVISOR);
            await runScenario(c, ops, fullPolicy);
          } finally {
            c.dispose();
          }
        }),
        { numRuns },
      );
    }, 60_000);
  });
}

const EVERYTHING: Mix = { checkIn: 4, provisional: 1, walkIn: 3, resubmit: 1, callNext: 5, ticketAction: 6, wait: 2 };
/** long queues and many calls, so that ratio turns and the wait guard come up */
const BUSY_QUEUE: Mix = { checkIn: 6, provisional: 1, walkIn: 4, resubmit: 1, callNext: 7, ticketAction: 2, wait: 3 };

modelProperty('strict queue (the 2021 default)', { mode: 'strict' }, EVERYTHING, 40);
modelProperty(
  'ratio 2:1 with a 20-minute walk-in guard, provisional check-ins in the priority lane',
  { mode: 'ratio', priorityPerWalkIn: 2, walkInMaxWaitMinutes: 20, provisionalPriority: true },
  BUSY_QUEUE,
  30,
);

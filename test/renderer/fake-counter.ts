import { vi, type Mock } from 'vitest';
import { METHOD_NAMES, type CounterApi, type CounterEvent, type MethodName } from '../../common/contract';
import type { AppStateView, QueueView, TicketView } from '../../common/domain';
import type { AppError, Result } from '../../common/result';

type Handler = (request: never) => Promise<Result<unknown>>;
export type FakeCounter = CounterApi & { [M in MethodName]: Mock<Handler> } & { emit(event: CounterEvent): void };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: AppError['code'], extra: Partial<AppError> = {}): Result<never> => ({
  ok: false,
  error: { code, message: code.toLowerCase(), ...extra },
});

/** A `window.counter` whose methods are mocks; unanswered methods fail with INTERNAL. */
export function installFakeCounter(answers: Partial<Record<MethodName, (request: never) => unknown>> = {}): FakeCounter {
  const listeners = new Set<(e: CounterEvent) => void>();
  const api: Record<string, unknown> = {
    onEvent: (l: (e: CounterEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: (e: CounterEvent) => listeners.forEach((l) => l(e)),
  };
  for (const m of METHOD_NAMES) {
    const answer = answers[m];
    api[m] = vi.fn(async (req: never) => (answer ? answer(req) : fail('INTERNAL', { message: `${m} not faked` })));
  }
  Object.defineProperty(window, 'counter', { value: api, configurable: true, writable: true });
  return api as unknown as FakeCounter;
}

export const APP_STATE: AppStateView = {
  provisioned: true,
  today: '2026-11-25',
  centre: { id: 'UP-LKO-CHC-01', name: 'CHC Aliganj, Lucknow', nameHi: 'सीएचसी अलीगंज, लखनऊ', timeZone: 'Asia/Kolkata' },
  counter: { code: 'A1', tokenPrefix: 'A' },
  deviceId: '0190f5d2-0000-7000-8000-000000000001',
  operator: {
    id: '0190f5d2-0000-7000-8000-0000000000aa',
    loginId: 'supervisor',
    name: 'Dr. Meena Verma',
    role: 'supervisor',
    disabled: false,
    lockedUntil: null,
  },
  roster: { day: '2026-11-25', count: 500, importedAt: '2026-11-25T03:00:00.000Z', source: 'roster.csv', stale: false },
  outbox: { pending: 0 },
  vaccines: [
    { code: 'COVISHIELD', name: 'Covishield' },
    { code: 'COVAXIN', name: 'Covaxin' },
  ],
  policy: {
    mode: 'strict',
    priorityPerWalkIn: 3,
    walkInMaxWaitMinutes: null,
    lateArrivalMinutes: null,
    provisionalPriority: false,
  },
};

let seq = 0;
export function ticket(over: Partial<TicketView> = {}): TicketView {
  seq++;
  return {
    id: `0190f5d2-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    token: `A-P${String(seq).padStart(3, '0')}`,
    lane: 'priority',
    source: 'online',
    status: 'waiting',
    name: `Person ${seq}`,
    refId: null,
    verified: true,
    late: false,
    queuedAt: '2026-11-25T04:00:00.000Z',
    createdAt: '2026-11-25T04:00:00.000Z',
    calledAt: null,
    finishedAt: null,
    recallCount: 0,
    requeueCount: 0,
    dose: 1,
    ...over,
  };
}

export function queueView(over: Partial<QueueView> = {}): QueueView {
  return {
    day: '2026-11-25',
    waiting: { priority: [], walkin: [] },
    called: [],
    recent: [],
    next: null,
    counts: { served: 0, noShow: 0, cancelled: 0 },
    oldestWaitMinutes: { priority: null, walkin: null },
    policy: APP_STATE.policy!,
    now: '2026-11-25T04:10:00.000Z',
    ...over,
  };
}

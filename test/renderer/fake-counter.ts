import { vi, type Mock } from 'vitest';
import { METHOD_NAMES, type CounterApi, type CounterEvent, type MethodName } from '../../common/contract';
import type {
  AppStateView,
  NeedsAttentionItem,
  PrintJobView,
  QueueView,
  ReconciliationRow,
  ReconciliationView,
  SyncStatusView,
  TicketView,
} from '../../common/domain';
import type { AppError, Result } from '../../common/result';

type Handler = (request: never) => Promise<Result<unknown>>;
export type FakeCounter = CounterApi & { [M in MethodName]: Mock<Handler> } & { emit(event: CounterEvent): void };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: AppError['code'], extra: Partial<AppError> = {}): Result<never> => ({
  ok: false,
  error: { code, message: code.toLowerCase(), ...extra },
});

/** Read-only lists that are empty unless a test says otherwise (no print jobs yet, no system printers). */
const EMPTY_LISTS: Partial<Record<MethodName, (request: never) => unknown>> = {
  listPrintJobs: () => ok([]),
  listSystemPrinters: () => ok([]),
  listNeedsAttention: () => ok([]),
};

/**
 * A `window.counter` whose methods are mocks; unanswered methods fail with INTERNAL (the
 * print-job and system-printer lists answer empty). `emit` pushes an event as main would,
 * e.g. `{ type: 'print', job: printJob({ status: 'failed', errorCode: 'paper_out' }) }`.
 */
export function installFakeCounter(answers: Partial<Record<MethodName, (request: never) => unknown>> = {}): FakeCounter {
  answers = { ...EMPTY_LISTS, ...answers };
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

/** The sync status main reports: online, nothing waiting, unless a test says otherwise. */
export function syncStatus(over: Partial<SyncStatusView> = {}): SyncStatusView {
  return {
    state: 'online',
    pending: 0,
    needsAttention: 0,
    oldestPendingAt: null,
    lastSuccessAt: '2026-11-25T05:00:00.000Z',
    lastAttemptAt: '2026-11-25T05:00:00.000Z',
    nextRetryAt: null,
    lastError: null,
    uploading: false,
    rosterPulledAt: '2026-11-25T05:00:00.000Z',
    ...over,
  };
}

/** The app state with another sync status (and the outbox count that goes with it). */
export function withSync(over: Partial<SyncStatusView> = {}): AppStateView {
  const sync = syncStatus(over);
  return { ...APP_STATE, sync, outbox: { pending: sync.pending } };
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
  sync: syncStatus(),
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
  printing: {
    printer: { kind: 'escpos-tcp', host: '192.168.1.50', port: 9100 },
    paper: '80mm',
    autoPrint: true,
    nameOnSlip: 'first',
    minutesPerPerson: 3,
    timeoutSeconds: 10,
    statusCheck: true,
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
    uploads: {},
    ...over,
  };
}

let jobSeq = 0;
/** A print job as main reports it; time-ordered IDs and times, like main's. */
export function printJob(over: Partial<PrintJobView> = {}): PrintJobView {
  jobSeq++;
  return {
    id: `0190f5d3-0000-7000-8000-${String(jobSeq).padStart(12, '0')}`,
    ticketId: null,
    token: null,
    kind: 'print',
    status: 'queued',
    printer: 'ESC/POS tcp 192.168.1.50:9100',
    errorCode: null,
    error: null,
    requestedAt: new Date(Date.UTC(2026, 10, 25, 5, 0, jobSeq * 10)).toISOString(),
    finishedAt: null,
    ...over,
  };
}

/** The same job moved on (printing, printed, failed), as the next `print` event carries it. */
export function jobMoved(job: PrintJobView, status: PrintJobView['status'], errorCode: string | null = null): PrintJobView {
  const done = status === 'printed' || status === 'failed';
  return {
    ...job,
    status,
    errorCode: status === 'failed' ? errorCode : null,
    error: status === 'failed' ? `failed: ${errorCode}` : null,
    finishedAt: done ? new Date(Date.parse(job.requestedAt) + 5000).toISOString() : null,
  };
}

/** A record the portal refused; a walk-in unless `over` says otherwise. */
export function attentionItem(over: Partial<NeedsAttentionItem> = {}): NeedsAttentionItem {
  return {
    seq: 41,
    mutationId: '0190f5d4-0000-7000-8000-000000000041',
    kind: 'walkin.registered',
    recordId: '0190f5d5-0000-7000-8000-000000000041',
    day: '2026-11-25',
    token: 'A-W007',
    name: 'Sunita Devi',
    code: 'invalid_mobile',
    reason: 'Mobile number is not valid',
    createdAt: '2026-11-25T04:30:00.000Z',
    correctable: 'walkin',
    walkIn: {
      name: 'Sunita Devi',
      gender: 'F',
      birthYear: 1960,
      mobile: '1234567890',
      photoIdType: 'AADHAAR',
      photoIdNumber: '234567890124',
      comorbidity: false,
      dose: 1,
    },
    checkIn: null,
    ...over,
  };
}

/** One line of the reconciliation report. */
export function reconciliationRow(over: Partial<ReconciliationRow> = {}): ReconciliationRow {
  return {
    day: '2026-11-25',
    status: 'pending',
    kind: 'checkin.created',
    recordId: '0190f5d6-0000-7000-8000-000000000001',
    seq: 1,
    token: 'A-P001',
    name: 'Ram Prasad',
    code: null,
    reason: null,
    duplicateOf: [],
    createdAt: '2026-11-25T04:00:00.000Z',
    acknowledgedAt: null,
    attempts: 0,
    operatorId: APP_STATE.operator!.id,
    counterCode: 'A1',
    dismissal: null,
    ...over,
  };
}

export function reconciliationView(over: Partial<ReconciliationView> = {}): ReconciliationView {
  return {
    from: '2026-11-25',
    to: '2026-11-25',
    rows: [],
    totals: { pending: 0, rejected: 0, dismissed: 0, possibleDuplicate: 0, acknowledged: 0 },
    openTickets: [],
    ...over,
  };
}

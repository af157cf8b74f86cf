/**
 * The renderer's one store: what the counter told us last (app state, queue) and the actions
 * that ask it for more. Components read slices of it and call its actions; only this module
 * and the screens' form submits talk to `window.counter` (through `call`).
 */
import { create, type StateCreator } from 'zustand';
import {
  contract,
  METHOD_NAMES,
  type CounterEvent,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../common/contract';
import type { AppStateView, LaneName, PrintJobView, SyncStatusView, TicketView } from '../../common/domain';
import type { AppError, Result } from '../../common/result';
import { call } from './api';
import { newerView, printerConfigured, type PrintJobs } from './printing';
import { mergeTicket } from './queue-merge';
import { coalesced, publishCounterEvent, sameShape } from './refresh';

/** The queue as main answers it: the head of each lane (all of a lane the operator opened) and the counts. */
export type QueueAnswer = ResponseOf<'getQueue'>;

/**
 * Waiting tickets of each lane the page asks for: what it draws (the first ten) and a margin, so
 * that calls in a row never leave a lane short before the next answer. A longer lane costs nothing more.
 */
export const QUEUE_WINDOW = 50;

/** How many wait in a lane: main's count when it listed only the head of the lane. */
export const waitingCount = (queue: QueueAnswer, lane: LaneName): number =>
  queue.waitingCount?.[lane] ?? queue.waiting[lane].length;

export type Tab =
  'checkin' | 'walkin' | 'attention' | 'roster' | 'operators' | 'policy' | 'printer' | 'board' | 'device' | 'reconciliation';
export const OPERATOR_TABS: readonly Tab[] = ['checkin', 'walkin', 'attention'];
export const SUPERVISOR_TABS: readonly Tab[] = ['roster', 'operators', 'policy', 'printer', 'board', 'device', 'reconciliation'];

/** What the queue pane tells the operator after a queue action. */
export type QueueNotice =
  | { kind: 'error'; error: AppError }
  | {
      kind: 'done';
      what: 'called' | 'recalled' | 'served' | 'noShow' | 'requeued' | 'cancelled' | 'slip';
      token: string;
    };

export interface CounterState {
  appState: AppStateView | null;
  /** getAppState itself failed: nothing else can be shown */
  startError: AppError | null;
  queue: QueueAnswer | null;
  /** lanes the operator asked to see in full ("show all"): only then is all of a lane read */
  laneOpen: Record<LaneName, boolean>;
  tab: Tab;
  /** the last token given out at this counter, shown big until the next one */
  issued: TicketView | null;
  queueNotice: QueueNotice | null;
  /** vaccine and lot of the last serve: a vial serves several people in a row */
  lastServe: { vaccine: string; lotNumber: string } | null;
  /** login ID to prefill on the sign-in screen (after first-run setup) */
  signInHint: string | null;
  /** the day's print jobs heard of, by job ID (live from `print` events) */
  printJobs: PrintJobs;

  setTab(tab: Tab): void;
  /** Shows all of a lane, or only its head again; the queue is read again to match. */
  setLaneOpen(lane: LaneName, open: boolean): void;
  loadAppState(): Promise<void>;
  refreshQueue(): Promise<void>;
  refreshAll(): Promise<void>;
  /** Reloads the day's print jobs (failures and the latest ones). */
  refreshPrintJobs(): Promise<void>;
  handleEvent(event: CounterEvent): void;
  dismissIssued(): void;
  clearQueueNotice(): void;
  setSignInHint(loginId: string | null): void;

  /** Calls a method; on success refreshes what it may have changed, on a lost session shows sign-in. */
  run<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Result<ResponseOf<M>>>;
  /** A check-in or walk-in registration that gave out a token. */
  issue<M extends 'checkIn' | 'checkInProvisional' | 'registerWalkIn'>(
    method: M,
    request: RequestOf<M>,
  ): Promise<Result<TicketView>>;

  callNext(): Promise<void>;
  callTicket(ticketId: string): Promise<boolean>;
  recallTicket(ticketId: string): Promise<boolean>;
  markNoShow(ticketId: string): Promise<boolean>;
  requeueTicket(ticketId: string): Promise<boolean>;
  cancelTicket(ticketId: string, reason: string): Promise<Result<TicketView>>;
  serveTicket(request: RequestOf<'serveTicket'>): Promise<Result<TicketView>>;
  /** Asks for a ticket's slip (a reprint when one printed before). */
  printSlip(ticketId: string): Promise<Result<PrintJobView>>;
  /** A slip asked for from the queue pane: the pane says what came of it. */
  slipFromQueue(ticket: TicketView): Promise<boolean>;
  /** A test slip on the saved printer. */
  testPrint(): Promise<Result<PrintJobView>>;
  /** Uploads now instead of waiting for the next retry; the status bar shows the status it answers. */
  syncNow(): Promise<Result<SyncStatusView>>;
}

/** Methods that change stored data, as the contract declares them: after one, what it may have changed is read again. */
const MUTATING = new Set<MethodName>(METHOD_NAMES.filter((m) => contract[m].mutates));
/** Changes that move no ticket: the queue is not read again after them. */
const QUEUE_UNTOUCHED = new Set<MethodName>([
  'addOperator',
  'setOperatorDisabled',
  'resetOperatorPin',
  'importRoster',
  'updatePrintingSettings',
  'testPrint',
  'printSlip',
  'installUpdateNow',
  'postponeUpdate',
  'updateBoardSettings',
  'openBoard',
  'closeBoard',
]);
/** Calls that answer with the ticket they moved: the answer is drawn in the queue at once. */
const TICKET_ANSWERS = new Set<MethodName>([
  'checkIn',
  'checkInProvisional',
  'registerWalkIn',
  'callNext',
  'callTicket',
  'recallTicket',
  'markNoShow',
  'requeueTicket',
  'cancelTicket',
  'serveTicket',
]);
/** Of those, the ones that issue a new ticket. */
const ISSUING = new Set<MethodName>(['checkIn', 'checkInProvisional', 'registerWalkIn']);
const SESSION_CHANGES = new Set<MethodName>(['signIn', 'signOut', 'provision', 'enrol']);
/** The page's own changes that can move tickets: the page reads the queue after their answer, once. */
const movesQueue = (m: MethodName): boolean => MUTATING.has(m) && !QUEUE_UNTOUCHED.has(m) && !SESSION_CHANGES.has(m);

/**
 * Runs `work` once the next frame has been drawn (the page), or on the next turn where nothing
 * is drawn: a read that only confirms what an answer drew does not hold up its drawing.
 */
function afterPaint(work: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(work, 0));
  else setTimeout(work, 0);
}

/**
 * The store's state and actions over its `set` and `get`. Each call makes bookkeeping of its
 * own (own calls in flight, `changed` events expected, coalesced reads): a store starts afresh
 * by taking a new one (the page tests, which share one store between files, do before each test).
 */
export const counterState: StateCreator<CounterState> = (set, get) => {
  const loadAppState = coalesced(async () => {
    const r = await call('getAppState', {});
    if (r.ok) {
      const prev = get().appState;
      const signedOut = prev?.operator && !r.value.operator;
      set({
        // what did not change keeps its identity: the screens that read it are not drawn again
        appState: sameShape(prev, r.value),
        startError: null,
        ...(signedOut || !r.value.operator ? { queue: null, issued: null, queueNotice: null, printJobs: {} } : {}),
      });
      // an operator who is not a supervisor must not stay on a supervisor tab
      if (r.value.operator?.role !== 'supervisor' && SUPERVISOR_TABS.includes(get().tab)) set({ tab: 'checkin' });
      if (!r.value.operator) set({ tab: 'checkin' });
    } else if (!get().appState) {
      set({ startError: r.error });
    }
  });

  /**
   * The page's own queue actions in flight, and a count that moves when one is sent or
   * answered: a queue read that overlapped one may or may not include it, so it is not drawn
   * (the read that follows the action's answer is).
   */
  let queueActionsInFlight = 0;
  let queueEpoch = 0;
  /** a read was not drawn since the last one that was */
  let queueReadDropped = false;
  /** own calls in flight by method: their `changed` event needs no read of its own */
  const ownInFlight = new Map<MethodName, number>();
  /**
   * Own calls answered before their `changed` event came, by method (until when it is
   * expected): the answer has read the queue and the app state again, so that event, a
   * moment later, does not read them a second time.
   */
  const answeredFirst = new Map<MethodName, number>();
  const EVENT_EXPECTED_MS = 1000;
  // one per method: a second call of it answered first reads once more, at worst
  const expectEvent = (method: MethodName) => answeredFirst.set(method, Date.now() + EVENT_EXPECTED_MS);
  /** Whether this `changed` event is the one an own answer already dealt with. */
  const expected = (method: MethodName): boolean => {
    const until = answeredFirst.get(method);
    answeredFirst.delete(method);
    return until !== undefined && until > Date.now();
  };

  const refreshQueue = coalesced(async () => {
    if (!get().appState?.operator) return;
    const open = get().laneOpen;
    const epoch = queueEpoch;
    const clean = queueActionsInFlight === 0;
    const r = await call('getQueue', open.priority || open.walkin ? {} : { waitingLimit: QUEUE_WINDOW });
    if (r.ok) {
      if (clean && epoch === queueEpoch && queueActionsInFlight === 0) {
        queueReadDropped = false;
        set((s) => ({ queue: sameShape(s.queue, r.value) }));
      } else queueReadDropped = true;
    } else if (r.error.code === 'NOT_SIGNED_IN') await loadAppState();
  });

  /** the centre day the known print jobs belong to: a new day starts with none */
  let printJobsDay: string | null = null;
  const refreshPrintJobs = coalesced(async () => {
    // no printer, no jobs: nothing to read until one is set up (the settings' change reads them)
    if (!get().appState?.operator || !printerConfigured(get().appState?.printing)) return;
    const day = get().appState?.today ?? null;
    // failures of the whole day, and the latest jobs (reprints that printed since)
    const [failed, recent] = await Promise.all([
      call('listPrintJobs', { failedOnly: true }),
      call('listPrintJobs', { failedOnly: false }),
    ]);
    if (!failed.ok || !recent.ok) {
      const e = !failed.ok ? failed.error : !recent.ok ? recent.error : null;
      if (e?.code === 'NOT_SIGNED_IN') await loadAppState();
      return;
    }
    // merged into what the events told, not replacing it: the lists are capped, and a list
    // that left before an event must not take the event's news back
    // (the first read merges too: a job an answer or event gave before it, such as a test
    // slip asked for right after a printer was first set up, is of this day)
    const next: PrintJobs = printJobsDay === null || day === printJobsDay ? { ...get().printJobs } : {};
    printJobsDay = day;
    for (const j of [...failed.value, ...recent.value]) next[j.id] = newerView(next[j.id], j);
    set({ printJobs: next });
  });

  const mergeJob = (job: PrintJobView) => {
    set((s) => ({ printJobs: { ...s.printJobs, [job.id]: newerView(s.printJobs[job.id], job) } }));
  };

  /** The sync status as main told it last (an event, or the answer of Sync now). */
  const setSync = (sync: SyncStatusView) => {
    const a = get().appState;
    if (a) set({ appState: { ...a, sync, outbox: { pending: sync.pending } } });
  };

  const refreshAll = async () => {
    await loadAppState();
    await Promise.all([refreshQueue(), refreshPrintJobs()]);
  };

  /**
   * Reads again only what a change can have moved. The sync worker's acknowledgements
   * (`syncNow`) move upload marks only, which their `uploads` event carries (and their status
   * event the sync status): the queue is not read for them.
   * A roster pulled or imported moves no ticket. Print jobs follow their own events.
   */
  const refreshAfter = async (method: MethodName): Promise<void> => {
    if (SESSION_CHANGES.has(method)) return refreshAll();
    // upload marks come in their own `uploads` event, the sync status in its `status` event
    if (method === 'syncNow') return;
    // a new printer setting decides whether there are print jobs to read
    const app = loadAppState().then(() => (method === 'updatePrintingSettings' ? refreshPrintJobs() : undefined));
    await Promise.all([app, QUEUE_UNTOUCHED.has(method) ? undefined : refreshQueue()]);
  };

  /** Counts main's `changed` events by method: a call answered after its own event needs no second read. */
  const changedSeen = new Map<MethodName, number>();

  const queueAction = async <M extends 'callNext' | 'callTicket' | 'recallTicket' | 'markNoShow' | 'requeueTicket'>(
    method: M,
    request: RequestOf<M>,
    what: Extract<QueueNotice, { kind: 'done' }>['what'],
  ): Promise<boolean> => {
    const r = (await get().run(method, request)) as Result<TicketView>;
    if (r.ok) set({ queueNotice: { kind: 'done', what, token: r.value.token } });
    else set({ queueNotice: { kind: 'error', error: r.error } });
    return r.ok;
  };

  return {
    appState: null,
    startError: null,
    queue: null,
    laneOpen: { priority: false, walkin: false },
    tab: 'checkin',
    issued: null,
    queueNotice: null,
    lastServe: null,
    signInHint: null,
    printJobs: {},

    setTab: (tab) => {
      const role = get().appState?.operator?.role;
      if (SUPERVISOR_TABS.includes(tab) && role !== 'supervisor') return;
      set({ tab });
    },
    setLaneOpen: (lane, open) => {
      set((s) => ({ laneOpen: { ...s.laneOpen, [lane]: open } }));
      void refreshQueue();
    },
    loadAppState,
    refreshQueue,
    refreshAll,
    refreshPrintJobs,
    handleEvent: (event) => {
      if (event.type === 'changed') {
        changedSeen.set(event.method, (changedSeen.get(event.method) ?? 0) + 1);
        publishCounterEvent(event);
        // the event of an own call answered first (its answer has read the queue and the app state
        // again), or of one in flight (its answer will)
        if (expected(event.method) || (ownInFlight.get(event.method) ?? 0) > 0) return;
        void refreshAfter(event.method);
        return;
      }
      publishCounterEvent(event);
      if (event.type === 'resync') {
        // the line to main broke and is back: what it said meanwhile is lost, so read it all
        void refreshAll();
      } else if (event.type === 'uploads') {
        // only the marks that moved, of the tickets listed: a ticket the page does not show costs nothing
        const uploads = get().queue?.uploads;
        if (!uploads) return;
        const moved = Object.entries(event.uploads).filter(([id, state]) => id in uploads && uploads[id] !== state);
        if (moved.length === 0) return;
        set((s) => (s.queue ? { queue: { ...s.queue, uploads: { ...s.queue.uploads, ...Object.fromEntries(moved) } } } : {}));
      } else if (event.type === 'status') {
        setSync(event.sync);
      } else if (event.type === 'print') {
        if (!get().appState?.operator) return;
        mergeJob(event.job);
        // a finished job may settle an earlier failure: read the day's list again
        if (event.job.status === 'printed' || event.job.status === 'failed') void refreshPrintJobs();
      }
    },
    dismissIssued: () => set({ issued: null }),
    clearQueueNotice: () => set({ queueNotice: null }),
    setSignInHint: (loginId) => set({ signInHint: loginId }),

    run: async (method, request) => {
      const seenBefore = changedSeen.get(method) ?? 0;
      const tracked = movesQueue(method);
      if (tracked) {
        queueActionsInFlight++;
        queueEpoch++;
        ownInFlight.set(method, (ownInFlight.get(method) ?? 0) + 1);
      }
      let r: Result<ResponseOf<typeof method>>;
      try {
        r = await call(method, request);
      } finally {
        if (tracked) {
          queueActionsInFlight--;
          queueEpoch++;
          ownInFlight.set(method, (ownInFlight.get(method) ?? 1) - 1);
        }
      }
      if (r.ok) {
        const seen = (changedSeen.get(method) ?? 0) !== seenBefore;
        // sign-in and sign-out change the screen: wait for the new state before answering
        if (method === 'signIn' || method === 'signOut') await refreshAll();
        else if (tracked) {
          // the ticket it moved, drawn now; one read after the answer confirms it
          if (TICKET_ANSWERS.has(method)) {
            const queue = get().queue;
            const merged = queue ? mergeTicket(queue, r.value as TicketView, ISSUING.has(method)) : null;
            if (merged && merged !== queue) set({ queue: merged });
          }
          // main's `changed` event for this call, when it came first, has told the screens' lists
          if (!seen) {
            publishCounterEvent({ type: 'changed', method });
            expectEvent(method);
          }
          // the answer is drawn first: the read that confirms it is asked for once it is on screen
          afterPaint(() => void refreshAfter(method));
        }
        // main's `changed` event for this call, when it came first, has already asked; when
        // it has not come yet, the screens' lists hear of this change now
        else if (MUTATING.has(method) && !seen) {
          publishCounterEvent({ type: 'changed', method });
          expectEvent(method);
          void refreshAfter(method);
        }
      } else if (r.error.code === 'NOT_SIGNED_IN' || r.error.code === 'NOT_PROVISIONED') {
        void loadAppState();
      } else if (r.error.code === 'INVALID_TRANSITION' || (tracked && queueReadDropped)) {
        // the ticket had moved already; or a refused action moved nothing, but a read it overlapped was not drawn
        void refreshQueue();
      }
      return r;
    },

    issue: async (method, request) => {
      const r = (await get().run(method, request)) as Result<TicketView>;
      if (r.ok) set({ issued: r.value });
      return r;
    },

    callNext: async () => {
      await queueAction('callNext', {}, 'called');
    },
    callTicket: (ticketId) => queueAction('callTicket', { ticketId }, 'called'),
    recallTicket: (ticketId) => queueAction('recallTicket', { ticketId }, 'recalled'),
    markNoShow: (ticketId) => queueAction('markNoShow', { ticketId }, 'noShow'),
    requeueTicket: (ticketId) => queueAction('requeueTicket', { ticketId }, 'requeued'),
    cancelTicket: async (ticketId, reason) => {
      const r = await get().run('cancelTicket', { ticketId, reason });
      if (r.ok) set({ queueNotice: { kind: 'done', what: 'cancelled', token: r.value.token } });
      return r;
    },
    serveTicket: async (request) => {
      const r = await get().run('serveTicket', request);
      if (r.ok) {
        set({
          queueNotice: { kind: 'done', what: 'served', token: r.value.token },
          lastServe: { vaccine: request.vaccine, lotNumber: String(request.lotNumber).trim().toUpperCase() },
        });
      }
      return r;
    },
    printSlip: async (ticketId) => {
      const r = await get().run('printSlip', { ticketId });
      if (r.ok) mergeJob(r.value);
      return r;
    },
    slipFromQueue: async (ticket) => {
      const r = await get().printSlip(ticket.id);
      set({ queueNotice: r.ok ? { kind: 'done', what: 'slip', token: ticket.token } : { kind: 'error', error: r.error } });
      return r.ok;
    },
    testPrint: async () => {
      const r = await get().run('testPrint', {});
      if (r.ok) mergeJob(r.value);
      return r;
    },
    syncNow: async () => {
      const r = await get().run('syncNow', {});
      if (r.ok) setSync(r.value);
      return r;
    },
  };
};

export const createCounterStore = () => create<CounterState>()(counterState);

export const useCounter = createCounterStore();

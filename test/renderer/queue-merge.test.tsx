// @vitest-environment jsdom
/**
 * A queue action's answer is drawn at once, without waiting for the queue to be read again;
 * each action costs its own call and one read; reads and events that change nothing draw nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { QueueView } from '../../common/domain';
import type { Result } from '../../common/result';
import { sameShape } from '../../renderer/src/refresh';
import { QueuePanel } from '../../renderer/src/screens/QueuePanel';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, installFakeCounter, ok, queueView, ticket } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

/** A promise the test settles by hand. */
function gate<T>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((ok) => (open = ok));
  return { promise, open };
}

/** Every read a test left unanswered: answered after it, so that the next test's reads are not queued behind it. */
const unanswered: ReturnType<typeof gate<Result<QueueView>>>[] = [];
/** A frame drawn and a turn after it: the reads a test's actions asked for after drawing are asked for by then. */
const afterNextFrame = () =>
  new Promise((r) =>
    typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => setTimeout(r, 10)) : setTimeout(r, 10),
  );
afterEach(async () => {
  await act(async () => {
    for (const g of unanswered.splice(0)) g.open(ok(BASE));
    await afterNextFrame();
  });
  for (const g of unanswered.splice(0)) g.open(ok(BASE));
});

/** getQueue answers only when the test opens each read. */
function gatedReads() {
  const reads: ReturnType<typeof gate<Result<QueueView>>>[] = [];
  return {
    reads,
    getQueue: () => {
      const g = gate<Result<QueueView>>();
      reads.push(g);
      unanswered.push(g);
      return g.promise;
    },
  };
}

const p1 = ticket({ token: 'A-P001', queuedAt: '2026-11-25T04:00:00.000Z' });
const p2 = ticket({ token: 'A-P002', queuedAt: '2026-11-25T04:01:00.000Z' });
const w1 = ticket({ token: 'A-W001', lane: 'walkin', source: 'walkin', queuedAt: '2026-11-25T03:50:00.000Z' });
const c1 = ticket({ token: 'A-P000', status: 'called', calledAt: '2026-11-25T04:05:00.000Z' });
const BASE = {
  ...queueView({
    waiting: { priority: [p1, p2], walkin: [w1] },
    called: [c1],
    next: { ticketId: p1.id, token: p1.token, lane: 'priority' as const, reason: 'priority_first' as const },
    oldestWaitMinutes: { priority: 10, walkin: 20 },
    uploads: { [p1.id]: 'uploaded', [p2.id]: 'uploaded', [w1.id]: 'uploaded', [c1.id]: 'uploaded' },
  }),
  waitingCount: { priority: 2, walkin: 1 },
};
const LATER = '2026-11-25T04:12:00.000Z';

describe('a queue action’s answer is drawn without reading the queue first', () => {
  it('a check-in joins the end of its lane and the lane’s count at once; the queue is read once after it', async () => {
    const { reads, getQueue } = gatedReads();
    const issued = ticket({ token: 'A-P003', queuedAt: LATER, createdAt: LATER });
    const counter = installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue, checkIn: () => ok(issued) });
    useCounter.setState({ queue: BASE });

    await act(() => useCounter.getState().issue('checkIn', { refId: 'REF-1' }));
    const q = useCounter.getState().queue!;
    expect(q.waiting.priority.map((t) => t.token)).toEqual(['A-P001', 'A-P002', 'A-P003']);
    expect(q.waitingCount).toEqual({ priority: 3, walkin: 1 });
    expect(q.uploads[issued.id]).toBe('waiting');
    // the head did not change: nor did who is next
    expect(q.next?.ticketId).toBe(p1.id);
    expect(useCounter.getState().issued?.token).toBe('A-P003');
    await waitFor(() => expect(reads).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.getQueue).toHaveBeenCalledTimes(1);
  });

  it('a walk-in in a lane longer than the page lists is counted, not listed', async () => {
    const { getQueue } = gatedReads();
    const issued = ticket({ token: 'A-W050', lane: 'walkin', source: 'walkin', queuedAt: LATER, createdAt: LATER });
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue, registerWalkIn: () => ok(issued) });
    useCounter.setState({ queue: { ...BASE, waitingCount: { priority: 2, walkin: 400 } } });

    await act(() =>
      useCounter.getState().issue('registerWalkIn', {
        submissionId: crypto.randomUUID(),
        form: {} as never,
        acknowledgedDuplicates: [],
      }),
    );
    const q = useCounter.getState().queue!;
    expect(q.waiting.walkin.map((t) => t.token)).toEqual(['A-W001']);
    expect(q.waitingCount?.walkin).toBe(401);
  });

  it('a walk-in sent again whose ticket was issued before the queue was read is not counted twice', async () => {
    const { getQueue } = gatedReads();
    // issued at 04:00, the queue read at 04:10: beyond the listed head of a long lane, but counted
    const first = ticket({ token: 'A-W007', lane: 'walkin', source: 'walkin' });
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue, registerWalkIn: () => ok(first) });
    const long = { ...BASE, waitingCount: { priority: 2, walkin: 400 } };
    useCounter.setState({ queue: long });
    await act(() =>
      useCounter.getState().issue('registerWalkIn', {
        submissionId: crypto.randomUUID(),
        form: {} as never,
        acknowledgedDuplicates: [],
      }),
    );
    expect(useCounter.getState().queue).toBe(long);
    expect(useCounter.getState().issued?.token).toBe('A-W007');
  });

  it('call next moves the ticket to the called list and names who is next by the policy', async () => {
    const { getQueue } = gatedReads();
    const calledAt = '2026-11-25T04:15:00.000Z';
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue,
      callNext: () => ok({ ...p1, status: 'called', calledAt }),
    });
    useCounter.setState({ queue: BASE });

    await act(() => useCounter.getState().callNext());
    const q = useCounter.getState().queue!;
    expect(q.called.map((t) => t.token)).toEqual(['A-P001', 'A-P000']);
    expect(q.waiting.priority.map((t) => t.token)).toEqual(['A-P002']);
    expect(q.waitingCount?.priority).toBe(1);
    expect(q.next).toEqual({ ticketId: p2.id, token: 'A-P002', lane: 'priority', reason: 'priority_first' });
    expect(useCounter.getState().queueNotice).toEqual({ kind: 'done', what: 'called', token: 'A-P001' });
  });

  it('a walk-in who waited past the policy’s limit is next once the priority head is called', async () => {
    const { getQueue } = gatedReads();
    const policy = { ...BASE.policy, walkInMaxWaitMinutes: 20 };
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue,
      callNext: () => ok({ ...p1, status: 'called', calledAt: LATER }),
    });
    useCounter.setState({ queue: { ...BASE, policy } });
    await act(() => useCounter.getState().callNext());
    // w1 joined at 03:50: 22 minutes at 04:12
    expect(useCounter.getState().queue!.next).toEqual({ ticketId: w1.id, token: 'A-W001', lane: 'walkin', reason: 'max_wait' });
  });

  it('under the ratio policy, who is next after a call is left to the read (it counts past calls)', async () => {
    const { reads, getQueue } = gatedReads();
    const ratio = { ...BASE, policy: { ...BASE.policy, mode: 'ratio' as const } };
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue,
      callNext: () => ok({ ...p1, status: 'called', calledAt: LATER }),
    });
    useCounter.setState({ queue: ratio });
    await act(() => useCounter.getState().callNext());
    expect(useCounter.getState().queue).toBe(ratio);
    await waitFor(() => expect(reads).toHaveLength(1));
    const fresh = { ...ratio, waiting: { priority: [p2], walkin: [w1] } };
    await act(async () => reads[0]!.open(ok(fresh)));
    await waitFor(() => expect(useCounter.getState().queue?.waiting.priority).toEqual([p2]));
  });

  it('a serve takes the ticket off the called list, to the top of the recent ones, and counts it', async () => {
    const { getQueue } = gatedReads();
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue,
      serveTicket: () => ok({ ...c1, status: 'served', finishedAt: LATER }),
    });
    useCounter.setState({ queue: BASE });
    await act(() =>
      useCounter.getState().serveTicket({ ticketId: c1.id, vaccine: 'COVISHIELD', lotNumber: '4121Z005', dose: 1 }),
    );
    const q = useCounter.getState().queue!;
    expect(q.called).toEqual([]);
    expect(q.recent.map((t) => [t.token, t.status])).toEqual([['A-P000', 'served']]);
    expect(q.counts.served).toBe(1);
    expect(q.next?.ticketId).toBe(p1.id);
  });

  it('a read that overlapped the action is not drawn over its answer; the read after it is', async () => {
    const { reads, getQueue } = gatedReads();
    const issued = ticket({ token: 'A-P003', queuedAt: LATER, createdAt: LATER });
    const answer = gate<Result<unknown>>();
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue, checkIn: () => answer.promise });
    useCounter.setState({ queue: BASE });

    // a read starts (another window's change), then the operator checks someone in
    void useCounter.getState().refreshQueue();
    const checkIn = useCounter.getState().issue('checkIn', { refId: 'REF-1' });
    await act(async () => answer.open(ok(issued)));
    await act(() => checkIn);
    // the read answers what main had before the check-in
    await act(async () => reads[0]!.open(ok(BASE)));
    expect(useCounter.getState().queue!.waiting.priority.map((t) => t.token)).toEqual(['A-P001', 'A-P002', 'A-P003']);
    // the read after the answer is drawn
    await waitFor(() => expect(reads).toHaveLength(2));
    const fresh = { ...BASE, waiting: { priority: [p1, p2, issued], walkin: [w1] }, waitingCount: { priority: 3, walkin: 1 } };
    await act(async () => reads[1]!.open(ok(fresh)));
    expect(useCounter.getState().queue!.waitingCount).toEqual({ priority: 3, walkin: 1 });
    expect(reads).toHaveLength(2);
  });

  it('an action whose changed event comes before its answer costs that call, one queue read and one app-state read', async () => {
    const issued = ticket({ token: 'A-P003', queuedAt: LATER });
    const counter = installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue: () => ok(BASE),
      // main tells `changed` before it answers, as the dispatcher does
      checkIn: () => {
        counter.emit({ type: 'changed', method: 'checkIn' });
        return ok(issued);
      },
    });
    useCounter.setState({ queue: BASE });
    const off = window.counter.onEvent(useCounter.getState().handleEvent);
    await act(() => useCounter.getState().issue('checkIn', { refId: 'REF-1' }));
    await waitFor(() => expect(counter.getQueue).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.getQueue).toHaveBeenCalledTimes(1);
    expect(counter.getAppState).toHaveBeenCalledTimes(1);
    off();
  });

  it('an action answered before its changed event costs that call, one queue read and one app-state read', async () => {
    const issued = ticket({ token: 'A-P003', queuedAt: LATER, createdAt: LATER });
    const counter = installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(BASE), checkIn: () => ok(issued) });
    useCounter.setState({ queue: BASE });
    const off = window.counter.onEvent(useCounter.getState().handleEvent);
    await act(() => useCounter.getState().issue('checkIn', { refId: 'REF-1' }));
    await waitFor(() => expect(counter.getQueue).toHaveBeenCalledTimes(1));
    // main's event for it comes a moment after the answer
    act(() => counter.emit({ type: 'changed', method: 'checkIn' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.getQueue).toHaveBeenCalledTimes(1);
    expect(counter.getAppState).toHaveBeenCalledTimes(1);
    // another window's check-in after it is read as before
    act(() => counter.emit({ type: 'changed', method: 'checkIn' }));
    await waitFor(() => expect(counter.getQueue).toHaveBeenCalledTimes(2));
    off();
  });

  it('F4: the called ticket and the new next are on screen before the queue is read again', async () => {
    const { reads, getQueue } = gatedReads();
    installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue,
      callNext: () => ok({ ...p1, status: 'called', calledAt: LATER }),
    });
    render(<QueuePanel />);
    await waitFor(() => expect(reads).toHaveLength(1));
    await act(async () => reads[0]!.open(ok(BASE)));
    await screen.findByTestId('lane-priority');

    fireEvent.keyDown(window, { key: 'F4' });
    await waitFor(() => expect(screen.getByTestId('next-ticket').dataset.token).toBe('A-P002'));
    const called = screen.getAllByTestId('called-ticket').map((t) => t.dataset.token);
    expect(called).toEqual(['A-P001', 'A-P000']);
    expect(within(screen.getByTestId('lane-priority')).getByTestId('lane-count').dataset.count).toBe('1');
    // the queue was not read again before the answer was drawn; the read that confirms it follows
    expect(reads).toHaveLength(1);
    await waitFor(() => expect(reads).toHaveLength(2));
  });
});

describe('what changes nothing draws nothing', () => {
  it('upload marks of tickets the page does not list leave the queue as it was', () => {
    installFakeCounter();
    useCounter.setState({ queue: BASE });
    act(() => useCounter.getState().handleEvent({ type: 'uploads', uploads: { 'not-listed': 'uploaded', [p1.id]: 'uploaded' } }));
    expect(useCounter.getState().queue).toBe(BASE);
    act(() => useCounter.getState().handleEvent({ type: 'uploads', uploads: { [p2.id]: 'attention' } }));
    expect(useCounter.getState().queue?.uploads[p2.id]).toBe('attention');
    expect(useCounter.getState().queue?.uploads['not-listed']).toBeUndefined();
  });

  it('an app state read again with the same centre, policy and printer keeps those objects', async () => {
    installFakeCounter({ getAppState: () => ok(structuredClone(APP_STATE)) });
    await act(() => useCounter.getState().loadAppState());
    const first = useCounter.getState().appState!;
    await act(() => useCounter.getState().loadAppState());
    const second = useCounter.getState().appState!;
    expect(second).toBe(first);
    installFakeCounter({ getAppState: () => ok({ ...structuredClone(APP_STATE), outbox: { pending: 4 } }) });
    await act(() => useCounter.getState().loadAppState());
    const third = useCounter.getState().appState!;
    expect(third).not.toBe(first);
    expect(third.outbox.pending).toBe(4);
    expect(third.centre).toBe(first.centre);
    expect(third.printing).toBe(first.printing);
  });

  it('sameShape keeps list items by their ID when they move', () => {
    const a = { id: 'a', n: 1 };
    const b = { id: 'b', n: 2 };
    const prev = { list: [a, b], x: { y: 1 } };
    const next = sameShape(prev, { list: [{ id: 'b', n: 2 }], x: { y: 1 } });
    expect(next.list[0]).toBe(b);
    expect(next.x).toBe(prev.x);
    expect(next).not.toBe(prev);
    expect(sameShape(prev, structuredClone(prev))).toBe(prev);
  });
});

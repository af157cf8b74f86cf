// @vitest-environment jsdom
/**
 * How the page reads again after main's events: one request in flight and one waiting per
 * list however many events arrive, and only what an event can have changed.
 */
import { describe, expect, it } from 'vitest';
import { act, render, screen, waitFor } from '@testing-library/react';
import type { OperatorView } from '../../common/domain';
import { call } from '../../renderer/src/api';
import { changedBy, useCounterQuery } from '../../renderer/src/query';
import { useSession } from '../../renderer/src/session';
import { coalesced } from '../../renderer/src/refresh';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, fail, installFakeCounter, ok, queueView, syncStatus, ticket, type FakeCounter } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

/** A promise the test settles by hand. */
function gate<T>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((ok) => (open = ok));
  return { promise, open };
}

describe('coalesced', () => {
  it('runs once now and once more after it, however many triggers come while it runs', async () => {
    const gates: { open(v: number): void }[] = [];
    let runs = 0;
    const trigger = coalesced(() => {
      runs++;
      const g = gate<number>();
      gates.push(g);
      return g.promise;
    });
    const first = trigger();
    const later = Array.from({ length: 20 }, () => trigger());
    expect(runs).toBe(1);
    gates[0]!.open(1);
    expect(await first).toBe(1);
    await waitFor(() => expect(runs).toBe(2));
    gates[1]!.open(2);
    // every trigger that came during the first run is answered by the second
    expect(await Promise.all(later)).toEqual(Array(20).fill(2));
    expect(runs).toBe(2);
  });
});

function OperatorList() {
  const q = useCounterQuery('listOperators', {});
  return <p data-testid="operators-count">{q.data ? q.data.length : 'loading'}</p>;
}

describe('useCounterQuery', () => {
  it('reads again on main’s changed events, at most one request in flight and one waiting for a burst', async () => {
    const answers: ReturnType<typeof gate<OperatorView[]>>[] = [];
    const counter = installFakeCounter({
      listOperators: () => {
        const g = gate<OperatorView[]>();
        answers.push(g);
        return g.promise.then(ok);
      },
    });
    render(<OperatorList />);
    await waitFor(() => expect(counter.listOperators).toHaveBeenCalledTimes(1));
    answers[0]!.open([]);
    await waitFor(() => expect(screen.getByTestId('operators-count').textContent).toBe('0'));

    // fifty acknowledgements in a row: one read starts, one waits behind it
    act(() => {
      for (let i = 0; i < 50; i++) useCounter.getState().handleEvent({ type: 'changed', method: 'syncNow' });
    });
    await waitFor(() => expect(counter.listOperators).toHaveBeenCalledTimes(2));
    answers[1]!.open([APP_STATE.operator as OperatorView]);
    await waitFor(() => expect(counter.listOperators).toHaveBeenCalledTimes(3));
    answers[2]!.open([APP_STATE.operator as OperatorView, APP_STATE.operator as OperatorView]);
    await waitFor(() => expect(screen.getByTestId('operators-count').textContent).toBe('2'));
    expect(counter.listOperators).toHaveBeenCalledTimes(3);
  });
});

describe('a supervisor list reading itself again', () => {
  it('after an event, with nobody having asked, never opens the PIN dialog; a read the supervisor asks for does', async () => {
    let stepUpNeeded = false;
    const counter = installFakeCounter({
      listOperators: () => (stepUpNeeded ? fail('STEP_UP_REQUIRED') : ok([APP_STATE.operator as OperatorView])),
    });
    render(<OperatorList />);
    await waitFor(() => expect(screen.getByTestId('operators-count').textContent).toBe('1'));

    // the PIN was given more than stepUpMinutes ago; an upload acknowledgement comes in
    stepUpNeeded = true;
    act(() => useCounter.getState().handleEvent({ type: 'changed', method: 'addOperator' }));
    await waitFor(() => expect(counter.listOperators).toHaveBeenCalledTimes(2));
    await act(async () => {
      await Promise.resolve();
    });
    expect(useSession.getState().stepUpPending).toBe(false);
    // what the screen showed stays
    expect(screen.getByTestId('operators-count').textContent).toBe('1');

    // the supervisor's own action still asks for the PIN
    const asked = call('listOperators', {});
    await waitFor(() => expect(useSession.getState().stepUpPending).toBe(true));
    act(() => useSession.getState().settleStepUp(false));
    expect(await asked).toMatchObject({ ok: false, error: { code: 'STEP_UP_REQUIRED' } });
  });
});

describe('after the line to main broke and came back (resync)', () => {
  function NamedLists() {
    const all = useCounterQuery('listOperators', {});
    const some = useCounterQuery('listNeedsAttention', {}, { reloadOn: changedBy('resendRecord') });
    return (
      <p data-testid="lists">
        {all.data ? all.data.length : '-'}/{some.data ? some.data.length : '-'}
      </p>
    );
  }

  it('reads the app state, the queue, the print jobs and every list on screen again, those that listen for one method too', async () => {
    const counter = installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue: () => ok(queueView()),
      listOperators: () => ok([APP_STATE.operator as OperatorView]),
      listNeedsAttention: () => ok([]),
    });
    useCounter.setState({ appState: APP_STATE });
    render(<NamedLists />);
    await waitFor(() => expect(screen.getByTestId('lists').textContent).toBe('1/0'));
    // an event for another method: the list that listens for resendRecord alone stays as it is
    act(() => useCounter.getState().handleEvent({ type: 'changed', method: 'addOperator' }));
    await waitFor(() => expect(counter.listOperators).toHaveBeenCalledTimes(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.listNeedsAttention).toHaveBeenCalledTimes(1);
    const [apps, queues, jobs] = [counter.getAppState, counter.getQueue, counter.listPrintJobs].map((m) => m.mock.calls.length);

    act(() => useCounter.getState().handleEvent({ type: 'resync' }));
    await waitFor(() => expect(counter.listOperators).toHaveBeenCalledTimes(3));
    await waitFor(() => expect(counter.listNeedsAttention).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(counter.getAppState.mock.calls.length).toBeGreaterThan(apps!));
    await waitFor(() => expect(counter.getQueue.mock.calls.length).toBeGreaterThan(queues!));
    await waitFor(() => expect(counter.listPrintJobs.mock.calls.length).toBeGreaterThan(jobs!));
  });
});

describe('each test has a store afresh (the page suites share one process)', () => {
  it('an own call answered before its changed event makes that event expected for a second', async () => {
    installFakeCounter({ getAppState: () => ok(APP_STATE), updatePrintingSettings: () => ok(APP_STATE) });
    const r = await act(() => useCounter.getState().run('updatePrintingSettings', { ...APP_STATE.printing! }));
    expect(r.ok).toBe(true);
  });

  it('the next test does not inherit that: its changed event reads the app state', async () => {
    const counter = installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    act(() => useCounter.getState().handleEvent({ type: 'changed', method: 'updatePrintingSettings' }));
    await waitFor(() => expect(counter.getAppState).toHaveBeenCalledTimes(1));
  });
});

describe('the store reads only what an event can have changed', () => {
  it('an upload acknowledgement reads nothing: its uploads event carries the marks, its status event the sync status', async () => {
    const counter = installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    act(() => {
      useCounter.getState().handleEvent({ type: 'status', sync: syncStatus({ pending: 3 }) });
      for (let i = 0; i < 10; i++) useCounter.getState().handleEvent({ type: 'changed', method: 'syncNow' });
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.getQueue).not.toHaveBeenCalled();
    expect(counter.getAppState).not.toHaveBeenCalled();
    expect(counter.listPrintJobs).not.toHaveBeenCalled();
    // the status event itself carried the sync status
    expect(useCounter.getState().appState?.sync?.pending).toBe(3);
  });

  it('reads no print jobs when no printer is set up', async () => {
    const noPrinter = { ...APP_STATE, printing: { ...APP_STATE.printing!, printer: { kind: 'none' as const } } };
    useCounter.setState({ appState: noPrinter });
    const counter = installFakeCounter({ getAppState: () => ok(noPrinter), getQueue: () => ok(queueView()) });
    await act(() => useCounter.getState().refreshAll());
    act(() => useCounter.getState().handleEvent({ type: 'changed', method: 'updatePrintingSettings' }));
    await waitFor(() => expect(counter.getAppState.mock.calls.length).toBeGreaterThanOrEqual(2));
    expect(counter.getQueue).toHaveBeenCalledTimes(1);
    expect(counter.listPrintJobs).not.toHaveBeenCalled();
  });

  it('an action answered after its own changed event reads the queue once, not twice', async () => {
    const counter: FakeCounter = installFakeCounter({
      getAppState: () => ok(APP_STATE),
      getQueue: () => ok(queueView()),
      // main tells `changed` before it answers, as the dispatcher does
      callNext: () => {
        counter.emit({ type: 'changed', method: 'callNext' });
        return ok(queueView().called[0] ?? null);
      },
    });
    useCounter.setState({ appState: APP_STATE });
    const off = window.counter.onEvent(useCounter.getState().handleEvent);
    await act(() => useCounter.getState().run('callNext', {}));
    await waitFor(() => expect(counter.getQueue).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.getQueue).toHaveBeenCalledTimes(1);
    off();
  });

  it('an uploads event moves the upload marks it names without reading the queue', async () => {
    const a = ticket();
    const b = ticket({ lane: 'walkin', source: 'walkin' });
    const base = queueView({ waiting: { priority: [a], walkin: [b] }, uploads: { [a.id]: 'waiting', [b.id]: 'waiting' } });
    const counter = installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(base) });
    await act(() => useCounter.getState().refreshQueue());
    const reads = counter.getQueue.mock.calls.length;
    act(() => useCounter.getState().handleEvent({ type: 'uploads', uploads: { [a.id]: 'uploaded' } }));
    expect(useCounter.getState().queue?.uploads).toEqual({ [a.id]: 'uploaded', [b.id]: 'waiting' });
    await new Promise((r) => setTimeout(r, 20));
    expect(counter.getQueue.mock.calls.length).toBe(reads);
    expect(counter.getAppState).not.toHaveBeenCalled();
  });
});

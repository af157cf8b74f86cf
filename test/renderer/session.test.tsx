// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { App } from '../../renderer/src/App';
import { call } from '../../renderer/src/api';
import { useSession } from '../../renderer/src/session';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, fail, installFakeCounter, ok, queueView } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const OPERATOR = APP_STATE.operator!;
const LOCKED = { ...APP_STATE, session: { locked: true, idleLockMinutes: 10, stepUpMinutes: 5 } };
const OPEN = { ...APP_STATE, session: { locked: false, idleLockMinutes: 10, stepUpMinutes: 5 } };

beforeEach(() => {
  useSession.setState({ lockedBy: null, switching: false, stepUpPending: false });
});
afterEach(() => {
  vi.useRealTimers();
});

const typePin = (testId: string, pin: string) => fireEvent.change(screen.getByTestId(testId), { target: { value: pin } });

describe('lock screen', () => {
  it('covers the counter when main says the session is locked; a wrong PIN is said next to the field in English and Hindi; the right one reopens it', async () => {
    let locked = false;
    const counter = installFakeCounter({
      getAppState: () => ok(locked ? LOCKED : OPEN),
      getQueue: () =>
        locked ? fail('SESSION_LOCKED', { details: { loginId: OPERATOR.loginId, name: OPERATOR.name } }) : ok(queueView()),
      unlockSession: (r: { pin: string }) => {
        if (r.pin !== '246810') return fail('BAD_CREDENTIALS');
        locked = false;
        return ok(OPERATOR);
      },
    });
    render(<App />);
    await screen.findByTestId('status-bar');

    locked = true;
    await act(() => useCounter.getState().refreshQueue());
    await screen.findByTestId('lock-screen');
    // nothing of the counter is left on the page
    expect(screen.queryByTestId('status-bar')).toBeNull();
    expect(screen.queryByTestId('search-input')).toBeNull();
    expect(screen.getByTestId('lock-intro').textContent).toContain(OPERATOR.name);
    expect(screen.getByTestId('lock-intro').textContent).toContain('10 minutes');

    fireEvent.click(screen.getByTestId('lock-submit'));
    expect((await screen.findByTestId('error-pin')).dataset.code).toBe('required');
    expect(counter.unlockSession).not.toHaveBeenCalled();

    typePin('lock-pin', '1111');
    fireEvent.click(screen.getByTestId('lock-submit'));
    await waitFor(() => expect(screen.getByTestId('error-pin').dataset.code).toBe('pin_wrong'));
    const error = screen.getByTestId('error-pin');
    expect(error.querySelector('[lang="en"]')!.textContent).toBe('Wrong PIN.');
    expect(error.querySelector('[lang="hi"]')!.textContent).toBe('पिन ग़लत है।');
    expect(screen.getByTestId('lock-pin').getAttribute('aria-invalid')).toBe('true');

    typePin('lock-pin', '246810');
    fireEvent.click(screen.getByTestId('lock-submit'));
    await screen.findByTestId('status-bar');
    expect(counter.unlockSession).toHaveBeenLastCalledWith({ pin: '246810' });
    expect(screen.queryByTestId('lock-screen')).toBeNull();
  });

  it('the page locks itself after the idle time without input, and tells main of input at most every 30 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const counter = installFakeCounter({
      getAppState: () => ok(OPEN),
      getQueue: () => ok(queueView()),
      touchSession: () => ok(null),
    });
    render(<App />);
    await screen.findByTestId('status-bar');

    act(() => vi.advanceTimersByTime(31_000));
    fireEvent.keyDown(document.body, { key: 'a' });
    fireEvent.pointerDown(document.body);
    expect(counter.touchSession).toHaveBeenCalledTimes(1);

    act(() => vi.advanceTimersByTime(9 * 60_000));
    expect(screen.queryByTestId('lock-screen')).toBeNull();
    // a list refreshing itself is not input
    await act(() => useCounter.getState().refreshQueue());
    // (the page looks every 5 s)
    act(() => vi.advanceTimersByTime(65_000));
    expect(await screen.findByTestId('lock-screen')).toBeTruthy();
    expect(screen.queryByTestId('status-bar')).toBeNull();
    // main was not needed to cover the page
    expect(counter.touchSession).toHaveBeenCalledTimes(1);
  });

  it('in Hindi, and "sign in as someone else" opens the sign-in form', async () => {
    const counter = installFakeCounter({
      getAppState: () => ok(LOCKED),
      signIn: () => ok(OPERATOR),
    });
    useCounter.setState({ appState: null });
    render(<App />);
    await screen.findByTestId('lock-screen');
    fireEvent.click(screen.getByTestId('lang-toggle'));
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('काउंटर लॉक है'));
    expect(screen.getByTestId('lock-someone-else').textContent).toBe('किसी और के रूप में साइन इन करें');
    fireEvent.click(screen.getByTestId('lock-someone-else'));
    await screen.findByTestId('signin-login');
    fireEvent.change(screen.getByTestId('signin-login'), { target: { value: 'operator' } });
    typePin('signin-pin', '1357');
    fireEvent.click(screen.getByTestId('signin-submit'));
    await waitFor(() => expect(counter.signIn).toHaveBeenCalledWith({ loginId: 'operator', pin: '1357' }));
  });
});

describe('PIN again for supervisor actions', () => {
  it('STEP_UP_REQUIRED opens the PIN dialog; once the PIN is accepted the action is tried once more', async () => {
    let confirmed = false;
    const counter = installFakeCounter({
      getAppState: () => ok(OPEN),
      getQueue: () => ok(queueView()),
      listOperators: () => (confirmed ? ok([OPERATOR]) : fail('STEP_UP_REQUIRED')),
      stepUp: (r: { pin: string }) => {
        if (r.pin !== '246810') return fail('BAD_CREDENTIALS');
        confirmed = true;
        return ok(null);
      },
    });
    render(<App />);
    await screen.findByTestId('status-bar');

    let answer: Awaited<ReturnType<typeof call<'listOperators'>>> | undefined;
    void call('listOperators', {}).then((r) => (answer = r));
    await screen.findByTestId('step-up');
    typePin('step-up-pin', '1111');
    fireEvent.click(screen.getByTestId('step-up-submit'));
    await waitFor(() => expect(screen.getByTestId('error-pin').dataset.code).toBe('pin_wrong'));
    expect(answer).toBeUndefined();

    typePin('step-up-pin', '246810');
    fireEvent.click(screen.getByTestId('step-up-submit'));
    await waitFor(() => expect(answer).toEqual({ ok: true, value: [OPERATOR] }));
    expect(screen.queryByTestId('step-up')).toBeNull();
    expect(counter.listOperators).toHaveBeenCalledTimes(2);
    expect(counter.stepUp).toHaveBeenLastCalledWith({ pin: '246810' });
  });

  it('on a screen: the operators tab asks for the PIN, then shows the list', async () => {
    let confirmed = false;
    installFakeCounter({
      getAppState: () => ok(OPEN),
      getQueue: () => ok(queueView()),
      listOperators: () => (confirmed ? ok([OPERATOR]) : fail('STEP_UP_REQUIRED')),
      stepUp: () => {
        confirmed = true;
        return ok(null);
      },
    });
    render(<App />);
    fireEvent.click(await screen.findByTestId('tab-operators'));
    await screen.findByTestId('step-up');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('step-up-pin')));
    typePin('step-up-pin', '246810');
    fireEvent.click(screen.getByTestId('step-up-submit'));
    expect(await screen.findByText(OPERATOR.name, { selector: '[data-testid="operator-row"] *' })).toBeTruthy();
    expect(screen.queryByTestId('step-up')).toBeNull();
  });

  it('cancelling the dialog answers the action with STEP_UP_REQUIRED and does not try again', async () => {
    const counter = installFakeCounter({
      getAppState: () => ok(OPEN),
      getQueue: () => ok(queueView()),
      closeDay: () => fail('STEP_UP_REQUIRED'),
    });
    render(<App />);
    await screen.findByTestId('status-bar');
    const pending = call('closeDay', { day: '2026-11-24' });
    await screen.findByTestId('step-up');
    fireEvent.click(screen.getByTestId('step-up-cancel'));
    expect(await pending).toMatchObject({ ok: false, error: { code: 'STEP_UP_REQUIRED' } });
    expect(counter.closeDay).toHaveBeenCalledTimes(1);
    expect(counter.stepUp).not.toHaveBeenCalled();
  });
});

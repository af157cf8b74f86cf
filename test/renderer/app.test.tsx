// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { App } from '../../renderer/src/App';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, fail, installFakeCounter, ok, queueView } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const NOT_SET_UP = {
  ...APP_STATE,
  provisioned: false,
  centre: null,
  counter: null,
  operator: null,
  roster: null,
  today: null,
  policy: null,
};
const SIGNED_OUT = { ...APP_STATE, operator: null };

describe('screens follow the counter state', () => {
  it('first run: checks the form with the shared schema, then provisions', async () => {
    useCounter.setState({ appState: null });
    const counter = installFakeCounter({ getAppState: () => ok(NOT_SET_UP), provision: () => ok(SIGNED_OUT) });
    render(<App />);
    await screen.findByTestId('firstrun-centreId');
    const set = (f: string, v: string) => fireEvent.change(screen.getByTestId(`firstrun-${f}`), { target: { value: v } });
    set('centreId', 'UP-LKO-CHC-01');
    set('centreName', 'CHC Aliganj');
    set('counterCode', 'a1');
    set('tokenPrefix', 'a1');
    set('loginId', 'meena');
    set('name', 'Meena Verma');
    set('pin', '246810');
    set('pinConfirm', '2469');
    fireEvent.click(screen.getByTestId('firstrun-submit'));
    expect((await screen.findByTestId('error-tokenPrefix')).dataset.code).toBe('token_prefix_format');
    expect(screen.getByTestId('error-pinConfirm').dataset.code).toBe('pin_mismatch');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('firstrun-tokenPrefix')));
    expect(counter.provision).not.toHaveBeenCalled();

    set('tokenPrefix', 'a');
    set('pinConfirm', '246810');
    fireEvent.click(screen.getByTestId('firstrun-submit'));
    await waitFor(() => expect(counter.provision).toHaveBeenCalledTimes(1));
    expect(counter.provision).toHaveBeenCalledWith({
      provisioning: {
        schemaVersion: 1,
        centre: { id: 'UP-LKO-CHC-01', name: 'CHC Aliganj', timeZone: 'Asia/Kolkata' },
        counter: { code: 'A1', tokenPrefix: 'A' },
      },
      supervisor: { loginId: 'meena', name: 'Meena Verma', pin: '246810' },
    });
  });

  it('sign-in: a locked account says until when; a good PIN opens the counter', async () => {
    useCounter.setState({ appState: null });
    let signedIn = false;
    const counter = installFakeCounter({
      getAppState: () => ok(signedIn ? APP_STATE : SIGNED_OUT),
      getQueue: () => ok(queueView()),
      searchRoster: () => ok([]),
      signIn: (r: { pin: string }) => {
        if (r.pin === '0000') return fail('ACCOUNT_LOCKED', { details: { until: '2026-11-25T05:30:00.000Z' } });
        signedIn = true;
        return ok(APP_STATE.operator);
      },
    });
    render(<App />);
    fireEvent.change(await screen.findByTestId('signin-login'), { target: { value: 'supervisor' } });
    fireEvent.change(screen.getByTestId('signin-pin'), { target: { value: '0000' } });
    fireEvent.click(screen.getByTestId('signin-submit'));
    const error = await screen.findByTestId('action-error');
    expect(error.dataset.code).toBe('ACCOUNT_LOCKED');
    expect(error.textContent).toMatch(/locked until 11:00/i); // 05:30 UTC in Asia/Kolkata

    fireEvent.change(screen.getByTestId('signin-pin'), { target: { value: '246810' } });
    fireEvent.click(screen.getByTestId('signin-submit'));
    await screen.findByTestId('status-bar');
    expect(counter.signIn).toHaveBeenLastCalledWith({ loginId: 'supervisor', pin: '246810' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('search-input')));
    expect(screen.getByTestId('tab-roster')).toBeTruthy();
  });

  it('F3 and F2 switch between walk-in and check-in and put the cursor in their first field', async () => {
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    render(<App />);
    await screen.findByTestId('status-bar');
    fireEvent.keyDown(window, { key: 'F3' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('walkin-name')));
    fireEvent.keyDown(window, { key: 'F2' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('search-input')));
  });

  it('an operator sees no supervisor tabs and a warning when there is no roster', async () => {
    const operator = { ...APP_STATE.operator!, role: 'operator' as const, loginId: 'operator' };
    installFakeCounter({ getAppState: () => ok({ ...APP_STATE, operator, roster: null }), getQueue: () => ok(queueView()) });
    render(<App />);
    await screen.findByTestId('status-bar');
    expect(screen.queryByTestId('tab-roster')).toBeNull();
    expect(screen.getByTestId('status-roster').textContent).toMatch(/No roster for today/);
  });

  it('the language switch changes the page language and is remembered', async () => {
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    render(<App />);
    fireEvent.click(await screen.findByTestId('lang-toggle'));
    await waitFor(() => expect(screen.getByTestId('tab-checkin').textContent).toContain('चेक-इन'));
    expect(document.documentElement.lang).toBe('hi');
    expect(localStorage.getItem('counter.lang')).toBe('hi');
    expect(screen.getByTestId('status-centre').textContent).toContain('सीएचसी अलीगंज');
  });

  it('the counter page has one level-one heading naming the counter and the centre, in the UI language', async () => {
    installFakeCounter({ getAppState: () => ok(APP_STATE), getQueue: () => ok(queueView()) });
    render(<App />);
    await screen.findByTestId('status-bar');
    const headings = screen.getAllByRole('heading', { level: 1 });
    expect(headings).toHaveLength(1);
    expect(headings[0]!.textContent).toBe(`Registration counter ${APP_STATE.counter!.code}, CHC Aliganj, Lucknow`);
    fireEvent.click(screen.getByTestId('lang-toggle'));
    await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('सीएचसी अलीगंज'));
  });
});

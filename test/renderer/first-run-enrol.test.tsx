// @vitest-environment jsdom
// First run by enrolment: the portal address and IT's code are checked with the shared schema
// before anything is sent; the portal's refusals (a used, expired or wrong code, a portal that
// cannot be reached) show next to the field at fault, in English and Hindi whatever the UI
// language; a scanned QR code fills both fields; a good code sends the enrol request.
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../../renderer/src/App';
import { setLang } from '../../renderer/src/i18n';
import { en } from '../../renderer/src/i18n/en';
import { hi } from '../../renderer/src/i18n/hi';
import { useCounter } from '../../renderer/src/store';
import { APP_STATE, fail, installFakeCounter, ok } from './fake-counter';
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

const set = (f: string, v: string) => fireEvent.change(screen.getByTestId(`enrol-${f}`), { target: { value: v } });

async function openEnrolForm(answers: Parameters<typeof installFakeCounter>[0]) {
  useCounter.setState({ appState: null });
  const counter = installFakeCounter({ getAppState: () => ok(NOT_SET_UP), ...answers });
  render(<App />);
  fireEvent.click(await screen.findByTestId('firstrun-mode-enrol'));
  await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('enrol-portalUrl')));
  // the form typed by hand is not shown meanwhile
  expect(screen.queryByTestId('firstrun-centreId')).toBeNull();
  return counter;
}

function fillSupervisor() {
  set('loginId', 'meena');
  set('name', 'Meena Verma');
  set('pin', '246810');
  set('pinConfirm', '246810');
}

function expectFieldError(field: string, code: keyof typeof en.errors.field) {
  const error = screen.getByTestId(`error-${field}`);
  expect(error.dataset.code).toBe(code);
  expect(error.querySelector('[lang="en"]')!.textContent).toBe(en.errors.field[code]);
  expect(error.querySelector('[lang="hi"]')!.textContent).toBe(hi.errors.field[code]);
  expect(screen.getByTestId(`enrol-${field}`).getAttribute('aria-invalid')).toBe('true');
}

describe('first run: enrol with a code', () => {
  it('refuses a malformed code and an http address of another computer before sending anything', async () => {
    const counter = await openEnrolForm({});
    set('portalUrl', 'http://sync.portal.example.in');
    set('code', 'K7PM-3XQ9');
    fillSupervisor();
    fireEvent.click(screen.getByTestId('enrol-submit'));
    await waitFor(() => expectFieldError('portalUrl', 'portal_url_https'));
    expectFieldError('code', 'enrol_code_format');
    expect(document.activeElement).toBe(screen.getByTestId('enrol-portalUrl'));
    set('portalUrl', 'not an address');
    fireEvent.click(screen.getByTestId('enrol-submit'));
    await waitFor(() => expectFieldError('portalUrl', 'enrol_portal_url'));
    expect(counter.enrol).not.toHaveBeenCalled();
  });

  it.each([
    ['code', 'enrol_code_used'],
    ['code', 'enrol_code_expired'],
    ['code', 'enrol_code_unknown'],
    ['code', 'enrol_rate_limited'],
    ['portalUrl', 'enrol_portal_unreachable'],
    ['portalUrl', 'enrol_portal_timeout'],
  ] as const)('the portal refuses: %s %s is shown next to its field in both languages', async (field, code) => {
    const counter = await openEnrolForm({ enrol: () => fail('VALIDATION', { fields: [{ field, code }] }) });
    set('portalUrl', 'https://sync.portal.example.in');
    set('code', 'k7pm 3xq9 ht4w');
    fillSupervisor();
    fireEvent.click(screen.getByTestId('enrol-submit'));
    await waitFor(() => expectFieldError(field, code));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId(`enrol-${field}`)));
    // still on first run, the form as typed
    expect((screen.getByTestId('enrol-code') as HTMLInputElement).value).toBe('K7PM 3XQ9 HT4W');
    expect(counter.enrol).toHaveBeenCalledTimes(1);
    // in Hindi the same two lines (the field's error is always in both)
    act(() => setLang('hi'));
    expectFieldError(field, code);
    expect(screen.getByTestId('enrol-submit').textContent).toBe(hi.enrol.submit);
    act(() => setLang('en'));
    // the error goes when the field changes
    set(field, field === 'code' ? 'K7PM-3XQ9-HT4X' : 'https://sync2.portal.example.in');
    expect(screen.queryByTestId(`error-${field}`)).toBeNull();
  });

  it('a scanned QR code fills the portal address and the code; a good code enrols and sign-in follows', async () => {
    let enrolled = false;
    const counter = await openEnrolForm({
      getAppState: () => ok(enrolled ? SIGNED_OUT : NOT_SET_UP),
      enrol: () => {
        enrolled = true;
        return ok(SIGNED_OUT);
      },
    });
    set('code', `regcounter:enrol?code=K7PM-3XQ9-HT4W&portal=${encodeURIComponent('https://sync.portal.example.in')}`);
    expect((screen.getByTestId('enrol-code') as HTMLInputElement).value).toBe('K7PM-3XQ9-HT4W');
    expect((screen.getByTestId('enrol-portalUrl') as HTMLInputElement).value).toBe('https://sync.portal.example.in');
    fillSupervisor();
    fireEvent.click(screen.getByTestId('enrol-submit'));
    await waitFor(() => expect(counter.enrol).toHaveBeenCalledTimes(1));
    expect(counter.enrol).toHaveBeenCalledWith({
      portalUrl: 'https://sync.portal.example.in',
      code: 'K7PM-3XQ9-HT4W',
      supervisor: { loginId: 'meena', name: 'Meena Verma', pin: '246810' },
    });
    expect(await screen.findByTestId('signin-login')).toHaveProperty('value', 'meena');
  });

  it('a scanned QR code never replaces a typed portal address: both are shown, in English and Hindi, and nothing is sent until one is chosen', async () => {
    const counter = await openEnrolForm({ enrol: () => ok(SIGNED_OUT) });
    set('portalUrl', 'https://sync.up-health.gov.in');
    set('code', `regcounter:enrol?code=K7PM-3XQ9-HT4W&portal=${encodeURIComponent('https://sync.evil.example')}`);
    // the code is taken, the typed address kept
    expect((screen.getByTestId('enrol-code') as HTMLInputElement).value).toBe('K7PM-3XQ9-HT4W');
    expect((screen.getByTestId('enrol-portalUrl') as HTMLInputElement).value).toBe('https://sync.up-health.gov.in');
    const conflict = screen.getByTestId('enrol-portal-conflict');
    expect(conflict.textContent).toContain('https://sync.up-health.gov.in');
    expect(conflict.textContent).toContain('https://sync.evil.example');
    expect(conflict.querySelector('[lang="en"]')!.textContent).toContain(en.enrol.scanConflict);
    expect(conflict.querySelector('[lang="hi"]')!.textContent).toContain(hi.enrol.scanConflict);
    fillSupervisor();
    fireEvent.click(screen.getByTestId('enrol-submit'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('enrol-keep-typed')));
    expect(counter.enrol).not.toHaveBeenCalled();
    // no confirmation line while the address is in question
    expect(screen.queryByTestId('enrol-host')).toBeNull();

    fireEvent.click(screen.getByTestId('enrol-keep-typed'));
    expect(screen.queryByTestId('enrol-portal-conflict')).toBeNull();
    expect(screen.getByTestId('enrol-host').textContent).toContain('sync.up-health.gov.in');
    fireEvent.click(screen.getByTestId('enrol-submit'));
    await waitFor(() => expect(counter.enrol).toHaveBeenCalledTimes(1));
    expect(counter.enrol).toHaveBeenCalledWith(expect.objectContaining({ portalUrl: 'https://sync.up-health.gov.in' }));
  });

  it("choosing the QR code's address takes it; the same address scanned again asks nothing", async () => {
    await openEnrolForm({});
    set('portalUrl', 'https://sync.portal.example.in/');
    set('code', `regcounter:enrol?code=K7PM-3XQ9-HT4W&portal=${encodeURIComponent('https://SYNC.portal.example.in')}`);
    expect(screen.queryByTestId('enrol-portal-conflict')).toBeNull();
    expect((screen.getByTestId('enrol-portalUrl') as HTMLInputElement).value).toBe('https://sync.portal.example.in/');
    set('portalUrl', 'https://sync.old-portal.example.in');
    set('code', `regcounter:enrol?code=K7PM-3XQ9-HT4W&portal=${encodeURIComponent('https://sync.portal.example.in')}`);
    fireEvent.click(screen.getByTestId('enrol-use-scanned'));
    expect((screen.getByTestId('enrol-portalUrl') as HTMLInputElement).value).toBe('https://sync.portal.example.in');
    expect(screen.queryByTestId('enrol-portal-conflict')).toBeNull();
  });

  it("shows the portal's host name in a confirmation line before anything is sent, in the UI's language", async () => {
    await openEnrolForm({});
    expect(screen.queryByTestId('enrol-host')).toBeNull();
    set('portalUrl', 'https://sync.portal.example.in:8443/district');
    const line = screen.getByTestId('enrol-host');
    expect(line.textContent).toBe(`${en.enrol.confirmHost} sync.portal.example.in:8443`);
    act(() => setLang('hi'));
    expect(screen.getByTestId('enrol-host').textContent).toBe(`${hi.enrol.confirmHost} sync.portal.example.in:8443`);
    act(() => setLang('en'));
  });

  it('a counter with a provisioning file deployed by IT is not offered enrolment', async () => {
    useCounter.setState({ appState: null });
    installFakeCounter({ getAppState: () => ok({ ...NOT_SET_UP, centre: APP_STATE.centre, counter: APP_STATE.counter }) });
    render(<App />);
    await screen.findByTestId('firstrun-centreId');
    expect(screen.queryByTestId('firstrun-mode-enrol')).toBeNull();
  });
});

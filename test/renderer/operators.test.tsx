// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { OperatorView } from '../../common/domain';
import { Operators } from '../../renderer/src/screens/Operators';
import { FirstRun } from '../../renderer/src/screens/FirstRun';
import { describeError } from '../../renderer/src/errors';
import i18next from 'i18next';
import { en } from '../../renderer/src/i18n/en';
import { hi } from '../../renderer/src/i18n/hi';
import { installFakeCounter, ok } from './fake-counter';
import { useRendererTestSetup } from './setup';

useRendererTestSetup();

const op = (loginId: string, over: Partial<OperatorView> = {}): OperatorView => ({
  id: `0190f5d2-0000-7000-8000-0000000000${loginId.length.toString().padStart(2, '0')}`,
  loginId,
  name: loginId.toUpperCase(),
  role: 'operator',
  disabled: false,
  lockedUntil: null,
  needsUnlock: false,
  ...over,
});

const rowOf = (loginId: string) =>
  screen.getAllByTestId('operator-row').find((r) => r.dataset.loginId === loginId) ?? expect.fail(`no row ${loginId}`);

describe('operators screen', () => {
  it('a locked account shows why and an Unlock button, which calls unlockOperator', async () => {
    const locked = op('ravi', { needsUnlock: true });
    const timed = op('anil.k', { lockedUntil: new Date(Date.now() + 5 * 60_000).toISOString() });
    const fine = op('sunita.d');
    const counter = installFakeCounter({
      listOperators: () => ok([locked, timed, fine]),
      unlockOperator: () => ok({ ...locked, needsUnlock: false }),
    });
    render(<Operators />);
    await screen.findAllByTestId('operator-row');
    expect(rowOf('ravi').textContent).toContain(en.operators.lockedNeedsUnlock);
    expect(within(rowOf('anil.k')).queryByTestId('operator-unlock')).not.toBeNull();
    expect(within(rowOf('sunita.d')).queryByTestId('operator-unlock')).toBeNull();
    fireEvent.click(within(rowOf('ravi')).getByTestId('operator-unlock'));
    await waitFor(() => expect(counter.unlockOperator).toHaveBeenCalledWith({ operatorId: locked.id }));
    expect(await screen.findByText(en.operators.unlocked.replace('{{name}}', 'RAVI'))).toBeTruthy();
  });

  it('a supervisor’s new PIN of fewer than 6 digits is refused next to the field, in English and Hindi', async () => {
    const sup = op('meena', { role: 'supervisor' });
    const counter = installFakeCounter({ listOperators: () => ok([sup]) });
    render(<Operators />);
    await screen.findAllByTestId('operator-row');
    fireEvent.click(within(rowOf('meena')).getByTestId('operator-reset-pin'));
    fireEvent.change(screen.getByTestId('reset-pin'), { target: { value: '13579' } });
    fireEvent.change(screen.getByTestId('reset-pin-confirm'), { target: { value: '13579' } });
    fireEvent.click(screen.getByTestId('reset-pin-submit'));
    const error = await screen.findByTestId('error-pin');
    expect(error.dataset.code).toBe('supervisor_pin_format');
    expect(error.textContent).toContain(en.errors.field.supervisor_pin_format);
    expect(error.textContent).toContain(hi.errors.field.supervisor_pin_format);
    expect(counter.resetOperatorPin).not.toHaveBeenCalled();
  });

  it('adding a supervisor with a 4-digit PIN is refused next to the PIN; an operator with 4 digits is sent', async () => {
    const counter = installFakeCounter({ listOperators: () => ok([]), addOperator: () => ok(op('ravi')) });
    render(<Operators />);
    const set = (f: string, v: string) => fireEvent.change(screen.getByTestId(`operator-${f}`), { target: { value: v } });
    set('loginId', 'ravi');
    set('name', 'Ravi Kumar');
    set('role', 'supervisor');
    set('pin', '1357');
    set('pinConfirm', '1357');
    fireEvent.click(screen.getByTestId('operator-add'));
    expect((await screen.findByTestId('error-pin')).dataset.code).toBe('supervisor_pin_format');
    expect(counter.addOperator).not.toHaveBeenCalled();
    set('role', 'operator');
    fireEvent.click(screen.getByTestId('operator-add'));
    await waitFor(() =>
      expect(counter.addOperator).toHaveBeenCalledWith({ loginId: 'ravi', name: 'Ravi Kumar', role: 'operator', pin: '1357' }),
    );
  });

  it('first run asks for a supervisor PIN of 6 to 8 digits, next to the field', async () => {
    const counter = installFakeCounter({});
    render(<FirstRun />);
    fireEvent.change(screen.getByTestId('firstrun-pin'), { target: { value: '24680' } });
    fireEvent.change(screen.getByTestId('firstrun-pinConfirm'), { target: { value: '24680' } });
    fireEvent.click(screen.getByTestId('firstrun-submit'));
    expect((await screen.findByTestId('error-pin')).dataset.code).toBe('supervisor_pin_format');
    expect(counter.provision).not.toHaveBeenCalled();
  });

  it('an account locked until unlocked is told who can unlock it', () => {
    const text = describeError(i18next.getFixedT('en'), {
      code: 'ACCOUNT_LOCKED',
      message: 'locked',
      details: { until: null, level: 3 },
    });
    expect(text).toBe(en.errors.code.ACCOUNT_LOCKED);
    expect(text).toContain('A supervisor can unlock it');
  });
});

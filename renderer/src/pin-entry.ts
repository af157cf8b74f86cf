import { useState } from 'react';
import type { AppError, Result } from '../../common/result';
import { appProblems, type FieldProblem } from './errors';

/** What is wrong with a PIN as typed, before asking main. */
export function pinProblem(pin: string): FieldProblem | undefined {
  if (!pin) return { code: 'required' };
  if (!/^\d{4,8}$/.test(pin)) return { code: 'pin_format' };
  return undefined;
}

/**
 * A PIN field's state for the lock screen and the PIN dialog: a wrong PIN is said next to
 * the field; other refusals (a locked account) in the notice under it.
 */
export function usePinEntry() {
  const [pin, setPin] = useState('');
  const [problem, setProblem] = useState<FieldProblem | undefined>();
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  /** Checks the PIN, then sends it; answers whether main accepted it. */
  const submit = async <T>(send: (pin: string) => Promise<Result<T>>): Promise<Result<T> | null> => {
    if (busy) return null;
    const p = pinProblem(pin);
    setProblem(p);
    setError(null);
    if (p) return null;
    setBusy(true);
    const r = await send(pin);
    setBusy(false);
    if (r.ok) return r;
    setPin('');
    if (r.error.code === 'BAD_CREDENTIALS') setProblem({ code: 'pin_wrong' });
    else if (r.error.code === 'VALIDATION') setProblem(appProblems(r.error.fields).pin ?? { code: 'pin_format' });
    else setError(r.error);
    return r;
  };
  return { pin, setPin, problem, error, busy, submit };
}

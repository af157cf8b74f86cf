import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { contract } from '../../../common/contract';
import { ROLES, supervisorPinSchema, type OperatorView, type Role } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { Field } from '../components/Field';
import { FieldError } from '../components/FieldError';
import { Notice } from '../components/Notice';
import { appProblems, hasProblems, timeOf, zodProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid } from '../focus';
import { changedBy, useCounterQuery } from '../query';
import { useCounter } from '../store';

const ADD_FORM = 'addop';
/** the changes that move the list of operators */
const OPERATOR_CHANGES = ['addOperator', 'setOperatorDisabled', 'resetOperatorPin', 'unlockOperator'] as const;
const ADD_ORDER = ['loginId', 'name', 'role', 'pin', 'pinConfirm'] as const;

function ResetPin({ operator, onDone }: { operator: OperatorView; onDone: (message: string | null) => void }) {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const [pin, setPin] = useState('');
  const [pinConfirm, setPinConfirm] = useState('');
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const form = `resetpin-${operator.id}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = contract.resetOperatorPin.request.safeParse({
      operatorId: operator.id,
      pin,
    });
    const p: FieldProblems = parsed.success ? {} : zodProblems(parsed.error);
    // a supervisor's PIN is 6-8 digits (main checks it too)
    if (!p.pin && operator.role === 'supervisor' && !supervisorPinSchema.safeParse(pin).success) {
      p.pin = { code: 'supervisor_pin_format' };
    }
    if (!p.pin && pin !== pinConfirm) p.pinConfirm = { code: 'pin_mismatch' };
    setProblems(p);
    if (focusFirstInvalid(form, ['pin', 'pinConfirm'], p) || !parsed.success) return;
    const r = await run('resetOperatorPin', parsed.data);
    if (r.ok) return onDone(t('operators.pinResetDone', { name: operator.name }));
    setProblems(appProblems(r.error.fields));
    setError(r.error);
  };

  return (
    <form noValidate className="form inline-form" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onDone(null)}>
      <Field
        form={form}
        name="pin"
        label={t('operators.newPin')}
        testId="reset-pin"
        hint={operator.role === 'supervisor' ? t('firstRun.pinHint') : undefined}
        problem={problems.pin}
      >
        {(c) => (
          <input {...c} type="password" inputMode="numeric" autoFocus value={pin} onChange={(e) => setPin(e.target.value)} />
        )}
      </Field>
      <Field
        form={form}
        name="pinConfirm"
        label={t('operators.pinConfirm')}
        testId="reset-pin-confirm"
        problem={problems.pinConfirm}
      >
        {(c) => (
          <input {...c} type="password" inputMode="numeric" value={pinConfirm} onChange={(e) => setPinConfirm(e.target.value)} />
        )}
      </Field>
      <Notice error={error} />
      <div className="actions">
        <button type="submit" className="primary" data-testid="reset-pin-submit">
          {t('operators.savePin')}
        </button>
        <button type="button" onClick={() => onDone(null)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function AddOperator({ onAdded }: { onAdded: (message: string) => void }) {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const [values, setValues] = useState({
    loginId: '',
    name: '',
    role: 'operator' as Role,
    pin: '',
    pinConfirm: '',
  });
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (f: keyof typeof values, v: string) => {
    setValues((prev) => ({ ...prev, [f]: v }));
    if (problems[f]) setProblems((p) => ({ ...p, [f]: undefined }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const { pinConfirm, ...request } = values;
    const parsed = contract.addOperator.request.safeParse(request);
    const p: FieldProblems = parsed.success ? {} : zodProblems(parsed.error);
    if (!values.loginId.trim()) p.loginId = { code: 'required' };
    if (!values.name.trim()) p.name = { code: 'required' };
    if (!p.pin && values.pin !== pinConfirm) p.pinConfirm = { code: 'pin_mismatch' };
    setProblems(p);
    if (focusFirstInvalid(ADD_FORM, ADD_ORDER, p) || !parsed.success) return;
    setBusy(true);
    const r = await run('addOperator', parsed.data);
    setBusy(false);
    if (r.ok) {
      setValues({
        loginId: '',
        name: '',
        role: 'operator',
        pin: '',
        pinConfirm: '',
      });
      onAdded(t('operators.added', { name: r.value.name, loginId: r.value.loginId }));
      return;
    }
    const server = appProblems(r.error.fields);
    if (hasProblems(server)) {
      setProblems(server);
      focusFirstInvalid(ADD_FORM, ADD_ORDER, server);
    }
    setError(r.error);
  };

  const text = (f: 'loginId' | 'name' | 'pin' | 'pinConfirm', label: string, secret = false, hint?: string) => (
    <Field form={ADD_FORM} name={f} label={label} testId={`operator-${f}`} hint={hint} problem={problems[f]}>
      {(c) => (
        <input
          {...c}
          type={secret ? 'password' : 'text'}
          inputMode={secret ? 'numeric' : undefined}
          autoComplete="off"
          value={values[f]}
          onChange={(e) => set(f, e.target.value)}
        />
      )}
    </Field>
  );

  return (
    <form noValidate className="form" onSubmit={submit} aria-labelledby="addop-title" aria-busy={busy}>
      <h3 id="addop-title">{t('operators.addTitle')}</h3>
      <div className="field-row">
        {text('loginId', t('operators.loginId'))}
        {text('name', t('operators.name'))}
        <Field form={ADD_FORM} name="role" label={t('operators.role')} testId="operator-role" problem={problems.role}>
          {(c) => (
            <select {...c} value={values.role} onChange={(e) => set('role', e.target.value)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="field-row">
        {text('pin', t('operators.pin'), true, t('operators.pinHint'))}
        {text('pinConfirm', t('operators.pinAgain'), true)}
      </div>
      <Notice error={error} />
      <button type="submit" className="primary" data-testid="operator-add" disabled={busy}>
        {t('operators.add')}
      </button>
    </form>
  );
}

/** Supervisor: who may sign in at this counter. */
export function Operators() {
  const { t, i18n } = useTranslation();
  const me = useCounter((s) => s.appState?.operator?.id);
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  const run = useCounter((s) => s.run);
  const operators = useCounterQuery('listOperators', {}, { reloadOn: changedBy(...OPERATOR_CHANGES) });
  const list = operators.data;
  const [actionError, setError] = useState<AppError | null>(null);
  const error = actionError ?? operators.error;
  const [message, setMessage] = useState<string | null>(null);
  const [rowProblem, setRowProblem] = useState<{
    id: string;
    code: string;
  } | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);

  const unlock = async (op: OperatorView) => {
    setRowProblem(null);
    setMessage(null);
    setError(null);
    const r = await run('unlockOperator', { operatorId: op.id });
    if (r.ok) setMessage(t('operators.unlocked', { name: op.name }));
    else setError(r.error);
  };

  const toggle = async (op: OperatorView) => {
    setRowProblem(null);
    setMessage(null);
    setError(null);
    const r = await run('setOperatorDisabled', {
      operatorId: op.id,
      disabled: !op.disabled,
    });
    if (r.ok) return;
    const code = r.error.fields?.[0]?.code;
    if (code) setRowProblem({ id: op.id, code });
    else setError(r.error);
  };

  return (
    <section className="panel" aria-labelledby="operators-title">
      <h2 id="operators-title">{t('operators.title')}</h2>
      <Notice error={error} message={message} />
      {list === null ? <p>{t('operators.loading')}</p> : null}
      {list ? (
        <table className="operators" data-testid="operators-table">
          <thead>
            <tr>
              <th>{t('operators.name')}</th>
              <th>{t('operators.loginId')}</th>
              <th>{t('operators.role')}</th>
              <th>{t('operators.state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((op) => {
              const locked = op.needsUnlock === true || (op.lockedUntil !== null && Date.parse(op.lockedUntil) > Date.now());
              return (
                <tr
                  key={op.id}
                  data-testid="operator-row"
                  data-login-id={op.loginId}
                  className={op.disabled ? 'row-disabled' : undefined}
                >
                  <td>
                    {op.name} {op.id === me ? <span className="muted">{t('operators.you')}</span> : null}
                  </td>
                  <td>{op.loginId}</td>
                  <td>{t(`role.${op.role}`)}</td>
                  <td>
                    {op.disabled
                      ? t('operators.disabled')
                      : op.needsUnlock
                        ? t('operators.lockedNeedsUnlock')
                        : locked && op.lockedUntil
                          ? t('operators.lockedUntil', {
                              time: timeOf(op.lockedUntil, i18n.language, timeZone),
                            })
                          : t('operators.active')}
                  </td>
                  <td className="row-actions">
                    {locked ? (
                      <button type="button" data-testid="operator-unlock" onClick={() => void unlock(op)}>
                        {t('operators.unlock')}
                      </button>
                    ) : null}
                    <button type="button" data-testid="operator-toggle" onClick={() => void toggle(op)}>
                      {op.disabled ? t('operators.enable') : t('operators.disable')}
                    </button>
                    <button
                      type="button"
                      data-testid="operator-reset-pin"
                      onClick={() => setResetting(resetting === op.id ? null : op.id)}
                    >
                      {t('operators.resetPin')}
                    </button>
                    <FieldError
                      id={`operator-${op.id}-error`}
                      field="operatorId"
                      problem={rowProblem?.id === op.id ? { code: rowProblem.code } : undefined}
                    />
                    {resetting === op.id ? (
                      <ResetPin
                        operator={op}
                        onDone={(m) => {
                          setResetting(null);
                          if (m) setMessage(m);
                        }}
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <AddOperator onAdded={setMessage} />
    </section>
  );
}

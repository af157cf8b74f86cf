import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../common/result';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { LanguageToggle } from '../components/StatusBar';
import { appProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid } from '../focus';
import { useCounter } from '../store';

const FORM = 'signin';
const ORDER = ['loginId', 'pin'] as const;

export function SignIn() {
  const { t, i18n } = useTranslation();
  const run = useCounter((s) => s.run);
  const loadAppState = useCounter((s) => s.loadAppState);
  const app = useCounter((s) => s.appState);
  const hint = useCounter((s) => s.signInHint);
  const [loginId, setLoginId] = useState(hint ?? '');
  const [pin, setPin] = useState('');
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const pinRef = useRef<HTMLInputElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const p: FieldProblems = {};
    if (!loginId.trim()) p.loginId = { code: 'required' };
    if (!pin) p.pin = { code: 'required' };
    setProblems(p);
    setError(null);
    if (focusFirstInvalid(FORM, ORDER, p)) return;
    setBusy(true);
    const r = await run('signIn', { loginId: loginId.trim(), pin });
    setBusy(false);
    if (r.ok) return;
    // an attempt ends the session that was open here, failed or not
    void loadAppState();
    setProblems(appProblems(r.error.fields));
    setError(r.error);
    setPin('');
    pinRef.current?.focus();
  };

  const centre = app?.centre;
  const centreName = i18n.language === 'hi' && centre?.nameHi ? centre.nameHi : centre?.name;
  return (
    <main className="screen screen-narrow">
      <div className="screen-head">
        <h1>{t('signIn.title')}</h1>
        <LanguageToggle />
      </div>
      {centre ? (
        <p className="intro">
          {centreName}
          {app?.counter ? ` · ${t('status.counter', { code: app.counter.code })}` : ''}
        </p>
      ) : null}
      <form noValidate onSubmit={submit} className="form" aria-busy={busy}>
        <Field form={FORM} name="loginId" label={t('signIn.loginId')} testId="signin-login" problem={problems.loginId}>
          {(c) => (
            <input
              {...c}
              value={loginId}
              autoFocus={!hint}
              autoComplete="username"
              autoCapitalize="none"
              onChange={(e) => setLoginId(e.target.value)}
            />
          )}
        </Field>
        <Field form={FORM} name="pin" label={t('signIn.pin')} testId="signin-pin" problem={problems.pin}>
          {(c) => (
            <input
              {...c}
              ref={pinRef}
              type="password"
              inputMode="numeric"
              autoFocus={Boolean(hint)}
              autoComplete="current-password"
              value={pin}
              onChange={(e) => setPin(e.target.value)}
            />
          )}
        </Field>
        <Notice error={error} />
        <button type="submit" className="primary" data-testid="signin-submit" disabled={busy}>
          {busy ? t('common.working') : t('signIn.submit')}
        </button>
      </form>
    </main>
  );
}

import type { FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { LanguageToggle } from '../components/StatusBar';
import { usePinEntry } from '../pin-entry';
import { useSession } from '../session';
import { useCounter } from '../store';

/**
 * Covers the counter after a time without use: the operator's PIN reopens it, or someone
 * else signs in (which ends the first operator's session).
 */
export function LockScreen() {
  const { t } = useTranslation();
  const lockedBy = useSession((s) => s.lockedBy);
  const switchOperator = useSession((s) => s.switchOperator);
  const minutes = useCounter((s) => s.appState?.session?.idleLockMinutes ?? 10);
  const run = useCounter((s) => s.run);
  const refreshAll = useCounter((s) => s.refreshAll);
  const entry = usePinEntry();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await entry.submit((pin) => run('unlockSession', { pin }));
    if (r?.ok) await refreshAll();
    // the session ended meanwhile (signed out elsewhere, account disabled): sign-in it is
    else if (r && r.error.code === 'NOT_SIGNED_IN') useSession.getState().unlocked();
  };

  return (
    <main className="screen screen-narrow" data-testid="lock-screen">
      <div className="screen-head">
        <h1>{t('lockScreen.title')}</h1>
        <LanguageToggle />
      </div>
      <p className="intro" data-testid="lock-intro">
        {t('lockScreen.intro', { minutes, name: lockedBy?.name ?? '', loginId: lockedBy?.loginId ?? '' })}
      </p>
      <form noValidate onSubmit={submit} className="form" aria-busy={entry.busy}>
        <Field form="lock" name="pin" label={t('lockScreen.pin')} testId="lock-pin" problem={entry.problem}>
          {(c) => (
            <input
              {...c}
              type="password"
              inputMode="numeric"
              autoFocus
              autoComplete="current-password"
              value={entry.pin}
              onChange={(e) => entry.setPin(e.target.value)}
            />
          )}
        </Field>
        <Notice error={entry.error} />
        <button type="submit" className="primary" data-testid="lock-submit" disabled={entry.busy}>
          {entry.busy ? t('common.working') : t('lockScreen.unlock')}
        </button>{' '}
        <button type="button" data-testid="lock-someone-else" onClick={switchOperator}>
          {t('lockScreen.someoneElse')}
        </button>
      </form>
    </main>
  );
}

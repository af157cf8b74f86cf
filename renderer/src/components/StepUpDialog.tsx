import type { FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../api';
import { usePinEntry } from '../pin-entry';
import { useSession } from '../session';
import { Dialog } from './Dialog';
import { Field } from './Field';
import { Notice } from './Notice';

/** Asks a supervisor for the PIN again before an action that needs it; the action is then tried once more. */
export function StepUpDialog() {
  const { t } = useTranslation();
  const settle = useSession((s) => s.settleStepUp);
  const entry = usePinEntry();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await entry.submit((pin) => call('stepUp', { pin }));
    if (r?.ok) settle(true);
    else if (r && (r.error.code === 'NOT_SIGNED_IN' || r.error.code === 'SESSION_LOCKED')) settle(false);
  };

  return (
    <Dialog title={t('stepUp.title')} onClose={() => settle(false)} testId="step-up" initialFocus="input">
      <p>{t('stepUp.intro')}</p>
      <form noValidate onSubmit={submit} className="form" aria-busy={entry.busy}>
        <Field form="stepup" name="pin" label={t('stepUp.pin')} testId="step-up-pin" problem={entry.problem}>
          {(c) => (
            <input
              {...c}
              type="password"
              inputMode="numeric"
              autoComplete="current-password"
              value={entry.pin}
              onChange={(e) => entry.setPin(e.target.value)}
            />
          )}
        </Field>
        <Notice error={entry.error} testId="step-up-error" />
        <div className="actions">
          <button type="submit" className="primary" data-testid="step-up-submit" disabled={entry.busy}>
            {entry.busy ? t('common.working') : t('stepUp.confirm')}
          </button>
          <button type="button" data-testid="step-up-cancel" onClick={() => settle(false)}>
            {t('stepUp.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

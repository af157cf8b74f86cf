import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../common/result';
import { Notice } from '../components/Notice';
import { downloadText } from '../download';
import { useCounter } from '../store';

/**
 * Supervisor: saves a diagnostics bundle for IT (one JSON file): versions, settings without
 * secrets, sync and printer state, recent log lines. Main builds it with nothing personal in it;
 * the page saves it the way it saves the reconciliation CSV.
 */
export function Diagnostics() {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);
  const [error, setError] = useState<AppError | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const save = async () => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    setError(null);
    setMessage(null);
    const r = await run('saveDiagnostics', {});
    busyRef.current = false;
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    downloadText(r.value.fileName, r.value.json, 'application/json;charset=utf-8');
    setMessage(t('diagnostics.saved', { file: r.value.fileName }));
  };

  return (
    <section className="panel" aria-labelledby="diagnostics-title" data-testid="diagnostics">
      <h2 id="diagnostics-title">{t('diagnostics.title')}</h2>
      <p className="intro">{t('diagnostics.intro')}</p>
      <div className="actions">
        <button type="button" data-testid="diagnostics-save" disabled={busy} aria-busy={busy} onClick={() => void save()}>
          {busy ? t('diagnostics.saving') : t('diagnostics.save')}
        </button>
      </div>
      <Notice error={error} message={message} testId="diagnostics-error" messageTestId="diagnostics-message" />
    </section>
  );
}

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SyncState } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { useCounter } from '../store';
import { ATTENTION_TITLE_ID, ageOf, durationText, syncErrorText, syncFromOutbox, useNow, whenText } from '../sync';
import { Notice } from './Notice';

/** A different shape for each state, so it reads without colour too. */
const MARK: Record<SyncState, string> = {
  connecting: '○',
  online: '●',
  degraded: '▲',
  offline: '✕',
  not_configured: '–',
};
/** How long an error of Sync now stays in the bar. */
const ERROR_MS = 15_000;

/**
 * Whether the counter's records have reached the portal: the connection, what still waits
 * to upload (never "all uploaded" while anything waits), when the last upload went through,
 * the next try and why the last one failed, the records the portal refused, and Sync now.
 */
export function SyncStatus() {
  const { t, i18n } = useTranslation();
  const app = useCounter((s) => s.appState);
  const syncNow = useCounter((s) => s.syncNow);
  const setTab = useCounter((s) => s.setTab);
  const now = useNow();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(() => setError(null), ERROR_MS);
    return () => clearTimeout(timer);
  }, [error]);

  if (!app) return null;
  // a main without sync reports only the outbox count
  const sync = app.sync ?? syncFromOutbox(app.outbox.pending);
  const lang = i18n.language;
  const timeZone = app.centre?.timeZone;
  const failing = sync.state === 'degraded' || sync.state === 'offline';
  const oldest = sync.pending > 0 ? ageOf(t, sync.oldestPendingAt, now) : null;

  const onSyncNow = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    const r = await syncNow();
    setBusy(false);
    if (!r.ok) setError(r.error);
  };

  const nextRetry = (() => {
    if (!failing || !sync.nextRetryAt) return null;
    const at = Date.parse(sync.nextRetryAt);
    if (Number.isNaN(at)) return null;
    if (at <= now) return t('sync.retryingNow');
    return t('sync.nextRetry', { time: whenText(sync.nextRetryAt, lang, now, timeZone), wait: durationText(t, at - now) });
  })();

  return (
    <div className="status-item status-sync" data-testid="status-sync" role="group" aria-label={t('sync.label')}>
      <span
        className={`sync-state sync-state-${sync.state}`}
        data-testid="status-sync-state"
        data-state={sync.state}
        data-uploading={sync.uploading ? 'true' : 'false'}
      >
        <span className="sync-mark" aria-hidden="true">
          {MARK[sync.state]}
        </span>{' '}
        {t(`sync.state.${sync.state}`)}
        {sync.uploading ? <span className="sync-uploading"> · {t('sync.uploading')}</span> : null}
      </span>
      <span
        className={sync.pending > 0 ? 'status-pending' : undefined}
        data-testid="status-outbox"
        data-pending={sync.pending}
        aria-live="polite"
      >
        {sync.pending > 0
          ? t('status.outbox', { count: sync.pending })
          : sync.needsAttention > 0
            ? t('status.outboxNone')
            : t('status.outboxEmpty')}
        {oldest ? (
          <span className="sync-oldest" data-testid="status-oldest-pending">
            {' '}
            · {t('status.oldest', { age: oldest })}
          </span>
        ) : null}
      </span>
      {sync.state !== 'not_configured' || sync.lastSuccessAt ? (
        <span className="sync-detail" data-testid="status-last-success">
          {sync.lastSuccessAt
            ? t('sync.lastSuccess', { time: whenText(sync.lastSuccessAt, lang, now, timeZone) })
            : t('sync.neverUploaded')}
        </span>
      ) : null}
      {nextRetry ? (
        <span className="sync-detail" data-testid="status-next-retry">
          {nextRetry}
        </span>
      ) : null}
      {failing && sync.lastError ? (
        <span
          className="sync-error"
          data-testid="status-sync-error"
          data-code={sync.lastError.code}
          title={sync.lastError.message}
        >
          {syncErrorText(t, sync.lastError)}
        </span>
      ) : null}
      {sync.needsAttention > 0 ? (
        <button
          type="button"
          className="needs-attention-badge"
          data-testid="status-needs-attention"
          data-count={sync.needsAttention}
          onClick={() => {
            setTab('attention');
            setTimeout(() => document.getElementById(ATTENTION_TITLE_ID)?.focus(), 0);
          }}
        >
          {t('sync.needsAttention', { count: sync.needsAttention })}
        </button>
      ) : null}
      <button
        type="button"
        data-testid="status-sync-now"
        disabled={busy || sync.uploading || sync.state === 'not_configured'}
        title={sync.state === 'not_configured' ? t('errors.code.SYNC_NOT_CONFIGURED') : undefined}
        onClick={() => void onSyncNow()}
      >
        {busy || sync.uploading ? t('sync.uploading') : t('sync.syncNow')}
      </button>
      <Notice error={error} testId="status-sync-now-error" />
    </div>
  );
}

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UpdateView } from '../../../common/contract';
import type { AppError } from '../../../common/result';
import { Notice } from '../components/Notice';
import { dateFormat } from '../errors';
import { currentLang, tDynamic } from '../i18n';
import { never, onCounterEvent, useCounterQuery } from '../query';
import { useCounter } from '../store';

/**
 * Supervisor: the app update. What the updater found, its download, a refused update with the
 * reason in words; a ready one installs by itself when the counter is idle (or after the day is
 * closed, when postponed), or now, when the supervisor asks. Follows main's update events.
 */
export function Updates() {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  // read once; then main's update events carry every change
  const query = useCounterQuery('updateStatus', {}, { reloadOn: never });
  const { setData } = query;
  const view = query.data;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const installRef = useRef<HTMLButtonElement>(null);

  useEffect(
    () =>
      onCounterEvent((e) => {
        if (e.type === 'update') setData(() => e.update);
      }),
    [setData],
  );

  const ready = view?.phase === 'ready' && view.version !== null;
  // a confirmation is for the version it was asked for
  const confirmFor = useRef<string | null>(null);
  useEffect(() => {
    if (confirming && (!ready || view?.version !== confirmFor.current)) setConfirming(false);
  }, [confirming, ready, view?.version]);
  // the keyboard goes to the question, and back to the button it came from
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
    else if (wasConfirming.current) installRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  const refusalText = (e: AppError): string | null => {
    if (e.code !== 'CONFLICT' || typeof e.details?.why !== 'string') return null;
    return tDynamic(t, `updates.why.${e.details.why}`, 'errors.code.CONFLICT', { version: String(e.details.version ?? '') });
  };

  const act = async (what: 'install' | 'postpone' | 'unpostpone') => {
    if (busy || !view?.version) return;
    const version = view.version;
    setBusy(true);
    setError(null);
    setMessage(null);
    const r =
      what === 'install'
        ? await run('installUpdateNow', { version })
        : await run('postponeUpdate', { version, postponed: what === 'postpone' });
    setBusy(false);
    setConfirming(false);
    if (r.ok) {
      setData(() => r.value);
      setMessage(
        t(what === 'install' ? 'updates.installStarted' : what === 'postpone' ? 'updates.postponed' : 'updates.unpostponed', {
          version,
        }),
      );
    } else {
      setError(r.error);
      // what the supervisor decided on has moved on: show what is there now
      if (r.error.code === 'CONFLICT') void query.reload();
    }
  };

  const when = (iso: string): string => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return dateFormat(currentLang() === 'hi' ? 'hi-IN' : 'en-IN', {
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      ...(timeZone ? { timeZone } : {}),
    }).format(d);
  };

  return (
    <section className="panel" aria-labelledby="updates-title" data-testid="updates">
      <h2 id="updates-title">{t('updates.title')}</h2>
      <p className="intro">{t('updates.intro')}</p>
      {!view ? (
        query.error ? (
          <Notice error={query.error} testId="updates-load-error" />
        ) : (
          <p aria-busy="true">{t('updates.loading')}</p>
        )
      ) : (
        <>
          {view.currentVersion ? (
            <p data-testid="updates-running">{t('updates.running', { version: view.currentVersion })}</p>
          ) : null}
          <div aria-live="polite" aria-atomic="true">
            <Status view={view} />
          </div>
          {view.phase !== 'off' ? (
            <p className="hint" data-testid="updates-checked">
              {view.checkedAt ? t('updates.checkedAt', { time: when(view.checkedAt) }) : t('updates.neverChecked')}
            </p>
          ) : null}

          {ready ? (
            confirming ? (
              <div
                className="notice notice-progress"
                role="group"
                aria-labelledby="updates-confirm-text"
                data-testid="updates-confirm"
              >
                <p id="updates-confirm-text">{t('updates.installConfirm', { version: view.version })}</p>
                <div className="actions">
                  <button
                    ref={confirmRef}
                    type="button"
                    className="primary"
                    data-testid="updates-install-yes"
                    disabled={busy}
                    onClick={() => void act('install')}
                  >
                    {t('updates.installYes')}
                  </button>
                  <button type="button" data-testid="updates-install-cancel" disabled={busy} onClick={() => setConfirming(false)}>
                    {t('updates.cancel')}
                  </button>
                </div>
              </div>
            ) : (
              <div className="actions">
                <button
                  ref={installRef}
                  type="button"
                  data-testid="updates-install"
                  disabled={busy}
                  onClick={() => {
                    confirmFor.current = view.version;
                    setError(null);
                    setMessage(null);
                    setConfirming(true);
                  }}
                >
                  {t('updates.installNow')}
                </button>
                {view.postponed ? (
                  <button type="button" data-testid="updates-unpostpone" disabled={busy} onClick={() => void act('unpostpone')}>
                    {t('updates.unpostpone')}
                  </button>
                ) : (
                  <button type="button" data-testid="updates-postpone" disabled={busy} onClick={() => void act('postpone')}>
                    {t('updates.postpone')}
                  </button>
                )}
              </div>
            )
          ) : null}
        </>
      )}
      <Notice
        error={error}
        errorText={error ? refusalText(error) : null}
        message={message}
        testId="updates-error"
        messageTestId="updates-message"
      />
    </section>
  );
}

/** The update's state in words (and the download's progress). */
function Status({ view }: { view: UpdateView }) {
  const { t } = useTranslation();
  const version = view.version ?? '';
  switch (view.phase) {
    case 'off':
      return (
        <p data-testid="updates-status" data-phase="off">
          {t('updates.off')}
        </p>
      );
    case 'idle':
      return (
        <p data-testid="updates-status" data-phase="idle">
          {t('updates.idle')}
        </p>
      );
    case 'checking':
      return (
        <p data-testid="updates-status" data-phase="checking">
          {t('updates.checking')}
        </p>
      );
    case 'downloading': {
      const percent = Math.round(view.progressPercent ?? 0);
      return (
        <div data-testid="updates-status" data-phase="downloading">
          <p>{t('updates.downloading', { version })}</p>
          <progress
            max={100}
            value={percent}
            aria-label={t('updates.progressLabel', { version })}
            aria-valuetext={t('updates.progress', { percent })}
            data-testid="updates-progress"
          />{' '}
          <span>{t('updates.progress', { percent })}</span>
        </div>
      );
    }
    case 'ready':
      return (
        <div data-testid="updates-status" data-phase="ready">
          <p className="notice notice-ok">
            {view.postponed ? t('updates.readyPostponed', { version }) : t('updates.readyIdle', { version })}
          </p>
          <p data-testid="updates-window" data-reason={view.window.reason}>
            {t('updates.windowLabel')}: {t(`updates.window.${view.window.reason}`)}
          </p>
        </div>
      );
    case 'installing':
      return (
        <p data-testid="updates-status" data-phase="installing">
          {t('updates.installing', { version })}
        </p>
      );
    case 'refused': {
      const reason = view.refusal ? t(`updates.refusal.${view.refusal}`) : '';
      return (
        <div
          className="notice notice-error"
          role="alert"
          data-testid="updates-status"
          data-phase="refused"
          data-code={view.refusal ?? ''}
        >
          <p>{version ? t('updates.refused', { version, reason }) : t('updates.refusedNoVersion', { reason })}</p>
          {view.detail ? (
            <p>
              {t('updates.detailLabel')}: <span lang="en">{view.detail}</span>
            </p>
          ) : null}
        </div>
      );
    }
    case 'error':
      return (
        <div data-testid="updates-status" data-phase="error">
          <p>{t('updates.error')}</p>
          {view.detail ? (
            <p>
              {t('updates.detailLabel')}: <span lang="en">{view.detail}</span>
            </p>
          ) : null}
        </div>
      );
  }
}

import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { currentLang, setLang } from '../i18n';
import { useCounter } from '../store';
import { dateFormat } from '../errors';
import { focusPrimary } from '../focus';
import { ClockWarning } from './ClockWarning';
import { SlipProblems } from './SlipProblems';
import { SyncStatus } from './SyncStatus';

/** A calendar day (YYYY-MM-DD) written for people, in the UI language. */
export function formatDay(day: string, lang: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  return dateFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(d);
}

export function LanguageToggle() {
  const { t } = useTranslation();
  return (
    <button
      type="button"
      className="lang-toggle"
      data-testid="lang-toggle"
      aria-label={t('lang.toggleLabel')}
      title={t('lang.toggleLabel')}
      onClick={() => {
        setLang(currentLang() === 'en' ? 'hi' : 'en');
        focusPrimary();
      }}
    >
      {t('lang.toggle')}
    </button>
  );
}

/** Who, where and what state the counter is in; always on top of the counter screen. */
function StatusBarView() {
  const { t, i18n } = useTranslation();
  const app = useCounter((s) => s.appState);
  const run = useCounter((s) => s.run);
  if (!app) return null;
  const lang = i18n.language;
  const centreName = lang === 'hi' && app.centre?.nameHi ? app.centre.nameHi : (app.centre?.name ?? '');
  const roster = app.roster;
  const rosterProblem = !roster || roster.stale;
  return (
    <header className="status-bar" data-testid="status-bar">
      <div className="status-item status-centre" data-testid="status-centre">
        <strong>{centreName}</strong>
        {app.counter ? <span className="status-counter">{t('status.counter', { code: app.counter.code })}</span> : null}
      </div>
      {app.operator ? (
        <div className="status-item" data-testid="status-operator">
          {app.operator.name} · {t(`role.${app.operator.role}`)}
        </div>
      ) : null}
      {app.today ? (
        <div className="status-item" data-testid="status-today">
          {t('status.today', { day: formatDay(app.today, lang) })}
        </div>
      ) : null}
      <div
        className={`status-item${rosterProblem ? ' status-warn' : ''}`}
        data-testid="status-roster"
        data-stale={roster?.stale ? 'true' : 'false'}
        role={rosterProblem ? 'status' : undefined}
      >
        {!roster
          ? t('status.rosterNone')
          : roster.stale
            ? t('status.rosterStale', { day: roster.day })
            : t('status.roster', { day: roster.day, count: roster.count })}
      </div>
      <SyncStatus />
      <ClockWarning />
      {app.operator ? <SlipProblems /> : null}
      <div className="status-actions">
        <LanguageToggle />
        {app.operator ? (
          <button type="button" data-testid="signout" onClick={() => void run('signOut', {})}>
            {t('status.signOut')}
          </button>
        ) : null}
      </div>
    </header>
  );
}

/** Drawn again by what it reads from the store, not because the tab changed. */
export const StatusBar = memo(StatusBarView);

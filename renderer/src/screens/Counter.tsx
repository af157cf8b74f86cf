import { useEffect, useRef, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { IssuedToken, isPrintKey } from '../components/IssuedToken';
import { Kbd } from '../components/Kbd';
import { StatusBar } from '../components/StatusBar';
import { DistrictSettingsNotice } from '../components/DistrictSettingsNotice';
import { dialogOpen, focusPrimary } from '../focus';
import { OPERATOR_TABS, SUPERVISOR_TABS, useCounter, type Tab } from '../store';
import { CheckIn } from './CheckIn';
import { Diagnostics } from './Diagnostics';
import { NeedsAttention } from './NeedsAttention';
import { Operators } from './Operators';
import { BoardSettings } from './BoardSettings';
import { PrinterSettings } from './PrinterSettings';
import { QueuePanel } from './QueuePanel';
import { QueuePolicy } from './QueuePolicy';
import { Reconciliation } from './Reconciliation';
import { RosterImport } from './RosterImport';
import { Updates } from './Updates';
import { WalkIn } from './WalkIn';

const KEYS: Partial<Record<Tab, string>> = { checkin: 'F2', walkin: 'F3' };
/** Wait times, the centre's day and the roster warning move on even when nothing is done here. */
const REFRESH_MS = 30_000;

/** The signed-in counter: status bar, tasks on the left, the queue on the right. */
export function Counter() {
  const { t, i18n } = useTranslation();
  const tab = useCounter((s) => s.tab);
  const setTab = useCounter((s) => s.setTab);
  const role = useCounter((s) => s.appState?.operator?.role);
  const centre = useCounter((s) => s.appState?.centre);
  const counterCode = useCounter((s) => s.appState?.counter?.code ?? '');
  const tabs = role === 'supervisor' ? [...OPERATOR_TABS, ...SUPERVISOR_TABS] : OPERATOR_TABS;
  const refreshAll = useCounter((s) => s.refreshAll);
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>());

  const refreshPrintJobs = useCounter((s) => s.refreshPrintJobs);
  useEffect(() => {
    void refreshPrintJobs();
  }, [refreshPrintJobs]);

  useEffect(() => {
    const timer = setInterval(() => void refreshAll(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshAll]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Ctrl+P prints slips (see IssuedToken), never this page
      if (isPrintKey(e)) e.preventDefault();
      if (dialogOpen()) return;
      if (e.key === 'F2' || e.key === 'F3') {
        e.preventDefault();
        const target: Tab = e.key === 'F2' ? 'checkin' : 'walkin';
        // pressing the key of the open tab still brings the cursor home
        if (useCounter.getState().tab === target) focusPrimary();
        else setTab(target);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setTab]);

  useEffect(() => {
    focusPrimary();
  }, [tab]);

  const centreName = i18n.language === 'hi' && centre?.nameHi ? centre.nameHi : (centre?.name ?? '');

  const onTabKey = (e: ReactKeyboardEvent) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const i = tabs.indexOf(tab);
    const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    if (next) {
      setTab(next);
      tabRefs.current.get(next)?.focus();
    }
  };

  return (
    <div className="counter">
      {/* the page's one level-one heading: the status bar shows the same words in its own layout */}
      <h1 className="visually-hidden" data-testid="counter-title">
        {t('app.counterHeading', { code: counterCode, centre: centreName })}
      </h1>
      <StatusBar />
      <DistrictSettingsNotice />
      <div className="counter-body">
        <main className="work">
          <div role="tablist" aria-label={t('tabs.label')} className="tabs" onKeyDown={onTabKey}>
            {tabs.map((name) => (
              <button
                key={name}
                ref={(el) => {
                  if (el) tabRefs.current.set(name, el);
                  else tabRefs.current.delete(name);
                }}
                type="button"
                role="tab"
                id={`tab-${name}`}
                aria-selected={tab === name}
                aria-controls={`tabpanel-${name}`}
                tabIndex={tab === name ? 0 : -1}
                data-testid={`tab-${name}`}
                className={`tab${tab === name ? ' tab-active' : ''}`}
                onClick={() => setTab(name)}
              >
                {name === 'board' ? t('boardSettings.tab') : t(`tabs.${name}`)}
                {KEYS[name] ? <Kbd>{KEYS[name]}</Kbd> : null}
              </button>
            ))}
          </div>
          {tab === 'checkin' || tab === 'walkin' ? <IssuedToken /> : null}
          {/* check-in and walk-in stay mounted: a half-filled walk-in form survives a quick check-in */}
          <div role="tabpanel" id="tabpanel-checkin" aria-labelledby="tab-checkin" hidden={tab !== 'checkin'}>
            <CheckIn active={tab === 'checkin'} />
          </div>
          <div role="tabpanel" id="tabpanel-walkin" aria-labelledby="tab-walkin" hidden={tab !== 'walkin'}>
            <WalkIn active={tab === 'walkin'} />
          </div>
          {tab === 'attention' ? (
            <div role="tabpanel" id="tabpanel-attention" aria-labelledby="tab-attention">
              <NeedsAttention />
            </div>
          ) : null}
          {role === 'supervisor' && SUPERVISOR_TABS.includes(tab) ? (
            <div role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
              {tab === 'roster' ? (
                <RosterImport />
              ) : tab === 'operators' ? (
                <Operators />
              ) : tab === 'printer' ? (
                <PrinterSettings />
              ) : tab === 'board' ? (
                <BoardSettings />
              ) : tab === 'device' ? (
                <>
                  {/* this PC's app: its updates, and a diagnostics file for IT */}
                  <Updates />
                  <Diagnostics />
                </>
              ) : tab === 'reconciliation' ? (
                <Reconciliation />
              ) : (
                <QueuePolicy />
              )}
            </div>
          ) : null}
        </main>
        <QueuePanel />
      </div>
    </div>
  );
}

import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../common/result';
import { timeOf } from '../errors';
import { escapeCancels, focusPrimary } from '../focus';
import { currentLang } from '../i18n';
import { printErrorText, slipProblems } from '../printing';
import { useCounter } from '../store';
import { Kbd } from './Kbd';
import { Notice } from './Notice';

const PANEL_ID = 'slip-problems-panel';

/**
 * The day's slips that did not print, as a badge in the status bar and a list to reprint
 * from. A ticket leaves the list once a later slip for it has printed.
 */
export function SlipProblems() {
  const { t } = useTranslation();
  const jobs = useCounter((s) => s.printJobs);
  const printSlip = useCounter((s) => s.printSlip);
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  const problems = useMemo(() => slipProblems(jobs), [jobs]);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const badgeRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLElement>(null);

  const focusInPanel = () => {
    const panel = panelRef.current;
    panel?.querySelector<HTMLElement>('[data-testid="slip-problem-reprint"]:not([disabled]), .slip-problems-close')?.focus();
  };

  // a click elsewhere closes the list (the click still does what it was for)
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      const target = e.target as Node | null;
      if (target && (panelRef.current?.contains(target) || badgeRef.current?.contains(target))) return;
      setOpen(false);
      setError(null);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  // on opening, and when the item that had the focus was resolved, the focus stays in the list
  useEffect(() => {
    if (!open) return;
    const active = document.activeElement;
    if (!active || active === document.body || active === badgeRef.current) focusInPanel();
  }, [open, problems]);

  const close = () => {
    setOpen(false);
    setError(null);
    // back to the badge, or (when nothing is left to show) to where the operator works
    setTimeout(() => (badgeRef.current?.isConnected ? badgeRef.current.focus() : focusPrimary()), 0);
  };

  const reprint = async (ticketId: string) => {
    if (busy) return;
    setBusy(ticketId);
    setError(null);
    const r = await printSlip(ticketId);
    setBusy(null);
    if (!r.ok) setError(r.error);
  };

  const onKeyDown = escapeCancels(close);

  if (problems.length === 0 && !open) return null;
  const lang = currentLang();
  return (
    <div className="slip-problems">
      <button
        ref={badgeRef}
        type="button"
        className="slip-problems-badge"
        data-testid="slip-problems"
        data-count={problems.length}
        aria-expanded={open}
        aria-controls={PANEL_ID}
        onClick={() => (open ? close() : setOpen(true))}
      >
        {t('slipProblems.badge', { count: problems.length })}
      </button>
      {open ? (
        <section
          ref={panelRef}
          id={PANEL_ID}
          className="slip-problems-panel"
          data-testid="slip-problems-panel"
          aria-labelledby={`${PANEL_ID}-title`}
          onKeyDown={onKeyDown}
        >
          <h2 id={`${PANEL_ID}-title`}>{t('slipProblems.title')}</h2>
          <p className="intro">{t('slipProblems.intro')}</p>
          {problems.length === 0 ? <p className="empty">{t('slipProblems.empty')}</p> : null}
          <ul className="slip-problem-list">
            {problems.map((p) => {
              const reprinting = p.latest.status === 'queued' || p.latest.status === 'printing' || busy === p.ticketId;
              return (
                <li
                  key={p.ticketId}
                  className="slip-problem"
                  data-testid="slip-problem"
                  data-token={p.token}
                  data-ticket-id={p.ticketId}
                  data-code={p.failed.errorCode ?? ''}
                  data-status={p.latest.status}
                >
                  <span className="token token-big">{p.token}</span>
                  <span className="slip-problem-reason">
                    {printErrorText(t, p.failed.errorCode)}{' '}
                    <span className="muted">
                      {t('slipProblems.at', { time: timeOf(p.failed.finishedAt ?? p.failed.requestedAt, lang, timeZone) })}
                    </span>
                  </span>
                  <button
                    type="button"
                    className="primary"
                    data-testid="slip-problem-reprint"
                    disabled={reprinting}
                    onClick={() => void reprint(p.ticketId)}
                  >
                    {reprinting ? t('slipProblems.reprinting') : t('slipProblems.reprint')}
                  </button>
                </li>
              );
            })}
          </ul>
          <Notice error={error} testId="slip-problems-error" />
          <button type="button" className="slip-problems-close" onClick={close}>
            {t('common.close')} <Kbd>Esc</Kbd>
          </button>
        </section>
      ) : null}
    </div>
  );
}

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PrintJobView, TicketView } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { describeError } from '../errors';
import { dialogOpen, focusPrimary } from '../focus';
import { currentLang } from '../i18n';
import { latestJobFor, printerConfigured, printErrorText } from '../printing';
import { useCounter } from '../store';
import { Kbd } from './Kbd';

/** How long an automatic slip may take to show up before the counter offers to print it by hand. */
const AUTO_PRINT_GRACE_MS = 5_000;

/** Ctrl+P (⌘P on a Mac): the slip, never the browser's print dialog. */
export const isPrintKey = (e: KeyboardEvent): boolean =>
  (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'p';

type SlipState =
  | { kind: 'no-printer' }
  /** automatic printing: the job has not been heard of yet */
  | { kind: 'pending' }
  /** nothing asked yet: print on demand */
  | { kind: 'none' }
  | { kind: 'job'; job: PrintJobView };

/** The slip of the ticket just issued: printing, printed, or failed with why, and (re)print. */
function SlipStatus({ ticket }: { ticket: TicketView }) {
  const { t } = useTranslation();
  const printing = useCounter((s) => s.appState?.printing ?? null);
  const job = useCounter((s) => latestJobFor(s.printJobs, ticket.id));
  const printSlip = useCounter((s) => s.printSlip);
  const refreshPrintJobs = useCounter((s) => s.refreshPrintJobs);
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  const [waitedOut, setWaitedOut] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const busyRef = useRef(false);

  const configured = printerConfigured(printing);
  const state: SlipState = job
    ? { kind: 'job', job }
    : !configured
      ? { kind: 'no-printer' }
      : printing?.autoPrint && waitedOut !== ticket.id
        ? { kind: 'pending' }
        : { kind: 'none' };

  // an automatic slip is queued before the ticket comes back; if its news got lost, look it up
  useEffect(() => {
    if (!configured || !printing?.autoPrint) return;
    const timer = setTimeout(() => {
      void refreshPrintJobs().finally(() => setWaitedOut(ticket.id));
    }, AUTO_PRINT_GRACE_MS);
    return () => clearTimeout(timer);
  }, [ticket.id, configured, printing?.autoPrint, refreshPrintJobs]);

  const canPrint =
    configured &&
    (state.kind === 'none' || (state.kind === 'job' && (state.job.status === 'printed' || state.job.status === 'failed')));

  const print = async () => {
    if (busyRef.current || !canPrint) return;
    busyRef.current = true;
    setBusy(true);
    setError(null);
    const r = await printSlip(ticket.id);
    busyRef.current = false;
    setBusy(false);
    if (!r.ok) setError(r.error);
  };
  const printRef = useRef(print);
  printRef.current = print;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!isPrintKey(e)) return;
      // the page is not what gets printed here
      e.preventDefault();
      if (e.repeat || dialogOpen()) return;
      void printRef.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const status = state.kind === 'job' ? state.job.status : state.kind;
  let text: string;
  if (state.kind === 'no-printer') text = t('slip.noPrinter');
  else if (state.kind === 'pending') text = t('slip.pending');
  else if (state.kind === 'none') text = t('slip.notPrinted');
  else if (state.job.status === 'queued') text = t('slip.queued');
  else if (state.job.status === 'printing') text = t('slip.printing');
  else if (state.job.status === 'printed') text = state.job.kind === 'reprint' ? t('slip.reprinted') : t('slip.printed');
  else text = t('slip.failed', { reason: printErrorText(t, state.job.errorCode) });

  const failed = state.kind === 'job' && state.job.status === 'failed';
  const label = state.kind === 'none' ? t('slip.print') : t('slip.reprint');

  return (
    <div className={`slip slip-${status}`}>
      <span
        className="slip-status"
        data-testid="slip-status"
        data-status={status}
        data-code={state.kind === 'job' ? (state.job.errorCode ?? '') : ''}
        role={failed ? 'alert' : undefined}
      >
        {text}
      </span>
      {canPrint ? (
        <button
          type="button"
          className={failed || state.kind === 'none' ? 'primary' : undefined}
          data-testid="slip-reprint"
          disabled={busy}
          onClick={() => {
            void print().then(() => focusPrimary());
          }}
        >
          {label} <Kbd>Ctrl+P</Kbd>
        </button>
      ) : null}
      {error ? (
        <span className="slip-error" data-testid="slip-error" data-code={error.code}>
          {describeError(t, error, currentLang(), timeZone)}
        </span>
      ) : null}
    </div>
  );
}

/** The token just given out, big enough to read out and copy onto the slip. */
export function IssuedToken() {
  const { t } = useTranslation();
  const issued = useCounter((s) => s.issued);
  return (
    <>
      <div className="issued-region" aria-live="polite" aria-atomic="true">
        {issued ? (
          <div className={`issued issued-${issued.lane}`}>
            <div className="issued-head">
              <span className="issued-label">{t('issued.label')}</span>
              <span className="issued-name">{issued.name}</span>
            </div>
            <div className="issued-token" data-testid="issued-token" data-token={issued.token} data-lane={issued.lane}>
              {issued.lane === 'priority'
                ? t('issued.priority', { token: issued.token })
                : t('issued.walkin', { token: issued.token })}
            </div>
            {issued.late ? <div className="issued-note">{t('issued.late')}</div> : null}
            {!issued.verified ? <div className="issued-note">{t('issued.unverified')}</div> : null}
          </div>
        ) : null}
      </div>
      {/* the slip's news has its own region: a change there does not read the token out again */}
      <div className="slip-region" aria-live="polite">
        {issued ? <SlipStatus key={issued.id} ticket={issued} /> : null}
      </div>
    </>
  );
}

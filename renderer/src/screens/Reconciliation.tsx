import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { dayRangeSchema } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { downloadText, withBom } from '../download';
import { zodProblems, type FieldProblems } from '../errors';
import { escapeCancels, focusFirstInvalid, showRefusal } from '../focus';
import { currentLang } from '../i18n';
import { changedBy, useCounterQuery } from '../query';
import { useCounter } from '../store';
import { recordKindText, whenText } from '../sync';

const FORM = 'recon';
const ORDER = ['from', 'to'] as const;

interface Range {
  from: string;
  to: string;
}

/** Today on this computer, when main has not said which day the centre is on. */
function localToday(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * The day range as the schema reads it. A day that is not a date says so; the order and
 * length of the range are only judged once both days are dates.
 */
function checkRange(values: Range): { range: Range | null; problems: FieldProblems } {
  const v = { from: values.from.trim(), to: values.to.trim() };
  const parsed = dayRangeSchema.safeParse(v);
  if (parsed.success) return { range: parsed.data, problems: {} };
  const p = zodProblems(parsed.error);
  if (p.from?.code === 'date_format' && p.to && p.to.code !== 'date_format') p.to = undefined;
  return { range: null, problems: p };
}

/**
 * A past day with tickets still waiting or called: the supervisor closes it (after a second
 * press), and they are cancelled as not finished by the end of the day.
 */
function OpenDay({ day, count, onClosed }: { day: string; count: number; onClosed: (closed: number) => void }) {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  const questionId = `recon-close-question-${day}`;

  // the cursor goes to the confirmation, and back to the button that asked for it
  useEffect(() => {
    if (confirming) {
      asked.current = true;
      confirmRef.current?.focus();
    } else if (asked.current) askRef.current?.focus();
  }, [confirming]);

  const keepOpen = () => {
    if (!busy) setConfirming(false);
  };

  const close = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    const r = await run('closeDay', { day });
    setBusy(false);
    if (r.ok) {
      setConfirming(false);
      onClosed(r.value.closed);
    } else setError(r.error);
  };

  return (
    <div className="notice notice-warning recon-open-day" data-testid="recon-open-day" data-day={day} data-count={count}>
      <p>{t('reconciliation.openTickets', { day, count })}</p>
      {confirming ? (
        <div className="actions" onKeyDown={escapeCancels(keepOpen)}>
          <span id={questionId}>{t('reconciliation.closeConfirm', { day, count })}</span>
          <button
            ref={confirmRef}
            type="button"
            className="warning"
            data-testid="recon-close-confirm"
            aria-describedby={questionId}
            disabled={busy}
            onClick={() => void close()}
          >
            {t('reconciliation.closeDay', { day })}
          </button>
          <button type="button" data-testid="recon-close-keep" disabled={busy} onClick={keepOpen}>
            {t('reconciliation.keepOpen')} <Kbd>Esc</Kbd>
          </button>
        </div>
      ) : (
        <button ref={askRef} type="button" data-testid="recon-close-day" onClick={() => setConfirming(true)}>
          {t('reconciliation.closeDay', { day })}…
        </button>
      )}
      <Notice error={error} testId="recon-close-error" />
    </div>
  );
}

/** Supervisor: the records of some days that are not cleanly with the portal, and the same as CSV. */
export function Reconciliation() {
  const { t } = useTranslation();
  const today = useCounter((s) => s.appState?.today) ?? localToday();
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  const run = useCounter((s) => s.run);
  const [values, setValues] = useState<Range>({ from: today, to: today });
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  /** the range whose report is asked for (today's at once); a record resent, dismissed or a day closed reads it again */
  const [shown, setShown] = useState<Range>({ from: today, to: today });
  const report = useCounterQuery('getReconciliation', shown, {
    reloadOn: changedBy('closeDay', 'dismissRecord', 'resendRecord'),
  });
  const view = report.data;
  const [exporting, setExporting] = useState(false);
  const busy: 'show' | 'export' | null = exporting ? 'export' : report.current || report.error ? null : 'show';
  const busyRef = useRef(false);

  const set = (f: keyof Range, v: string) => {
    const next = { ...values, [f]: v };
    setValues(next);
    setMessage(null);
    // errors already shown follow the typing (a fixed "from" may also settle "to")
    if (problems.from || problems.to) setProblems(checkRange(next).problems);
  };

  const validated = (): Range | null => {
    const { range, problems: p } = checkRange(values);
    setProblems(p);
    if (!range) focusFirstInvalid(FORM, ORDER, p);
    return range;
  };

  // main's refusal of a range goes next to its field
  useEffect(() => {
    if (report.error) showRefusal(report.error, FORM, ORDER, setProblems, setError);
  }, [report.error]);

  const show = (range: Range) => {
    setError(null);
    if (range.from === shown.from && range.to === shown.to) void report.reload();
    else setShown(range);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busyRef.current || busy) return;
    setMessage(null);
    const range = validated();
    if (range) show(range);
  };

  const exportCsv = async () => {
    if (busyRef.current) return;
    setMessage(null);
    const range = validated();
    if (!range) return;
    busyRef.current = true;
    setExporting(true);
    setError(null);
    const r = await run('exportReconciliation', range);
    busyRef.current = false;
    setExporting(false);
    if (!r.ok) {
      showRefusal(r.error, FORM, ORDER, setProblems, setError);
      return;
    }
    downloadText(r.value.fileName, withBom(r.value.csv));
    setMessage(t('reconciliation.exported', { file: r.value.fileName }));
  };

  const lang = currentLang();
  const now = Date.now();
  const never = t('reconciliation.never');
  const day = (f: keyof Range) => (
    <Field
      form={FORM}
      name={f}
      label={t(`reconciliation.${f}`)}
      testId={`${FORM}-${f}`}
      hint={t('reconciliation.dayHint')}
      problem={problems[f]}
      className="input-day"
    >
      {(c) => (
        <input
          {...c}
          value={values[f]}
          inputMode="numeric"
          maxLength={10}
          autoComplete="off"
          spellCheck={false}
          placeholder="YYYY-MM-DD"
          onChange={(e) => set(f, e.target.value)}
        />
      )}
    </Field>
  );

  return (
    <section className="panel reconciliation" aria-labelledby="recon-title" data-testid="recon-panel">
      <h2 id="recon-title" tabIndex={-1}>
        {t('reconciliation.title')}
      </h2>
      <p className="intro">{t('reconciliation.intro')}</p>
      <form noValidate className="form" onSubmit={submit} aria-busy={busy !== null}>
        <div className="field-row">
          {day('from')}
          {day('to')}
        </div>
        <div className="actions">
          <button type="submit" className="primary" data-testid="recon-show" disabled={busy !== null}>
            {busy === 'show' ? t('reconciliation.loading') : t('reconciliation.show')} <Kbd>Enter</Kbd>
          </button>
          <button type="button" data-testid="recon-export" disabled={busy !== null} onClick={() => void exportCsv()}>
            {busy === 'export' ? t('reconciliation.exporting') : t('reconciliation.export')}
          </button>
        </div>
      </form>
      <Notice error={error} message={message} />
      {view ? (
        <>
          <p
            className="recon-totals"
            data-testid="recon-totals"
            data-from={view.from}
            data-to={view.to}
            data-pending={view.totals.pending}
            data-rejected={view.totals.rejected}
            data-dismissed={view.totals.dismissed}
            data-possible-duplicate={view.totals.possibleDuplicate}
            data-acknowledged={view.totals.acknowledged}
          >
            {t('reconciliation.totals', view.totals)}
          </p>
          {view.openTickets.map((o) => (
            <OpenDay
              key={o.day}
              day={o.day}
              count={o.count}
              onClosed={(closed) => {
                setMessage(t('reconciliation.closed', { day: o.day, count: closed }));
                // the notice goes away: the cursor goes to the report's heading
                document.getElementById('recon-title')?.focus();
                show({ from: view.from, to: view.to });
              }}
            />
          ))}
          {view.rows.length === 0 ? (
            <p className="empty" data-testid="recon-empty">
              {t('reconciliation.empty')}
            </p>
          ) : (
            <div className="table-scroll">
              <table className="operators recon-table" data-testid="recon-table">
                <thead>
                  <tr>
                    <th>{t('reconciliation.col.day')}</th>
                    <th>{t('reconciliation.col.status')}</th>
                    <th>{t('reconciliation.col.kind')}</th>
                    <th>{t('reconciliation.col.token')}</th>
                    <th>{t('reconciliation.col.name')}</th>
                    <th>{t('reconciliation.col.code')}</th>
                    <th>{t('reconciliation.col.reason')}</th>
                    <th>{t('reconciliation.col.duplicateOf')}</th>
                    <th>{t('reconciliation.col.created')}</th>
                    <th>{t('reconciliation.col.acknowledged')}</th>
                    <th>{t('reconciliation.col.attempts')}</th>
                    <th>{t('reconciliation.col.counter')}</th>
                    <th>{t('reconciliation.col.dismissal')}</th>
                  </tr>
                </thead>
                <tbody>
                  {view.rows.map((row) => (
                    <tr
                      key={`${row.seq}-${row.recordId}`}
                      data-testid="recon-row"
                      data-seq={row.seq}
                      data-status={row.status}
                      data-token={row.token ?? ''}
                      className={`recon-${row.status}`}
                    >
                      <td>{row.day ?? never}</td>
                      <td>{t(`reconciliation.status.${row.status}`)}</td>
                      <td>{recordKindText(t, row.kind)}</td>
                      <td className="token">{row.token ?? never}</td>
                      <td>{row.name ?? never}</td>
                      <td>{row.code ?? never}</td>
                      <td>{row.reason ?? never}</td>
                      <td>{row.duplicateOf.length > 0 ? row.duplicateOf.join(', ') : never}</td>
                      <td>{whenText(row.createdAt, lang, now, timeZone)}</td>
                      <td>{row.acknowledgedAt ? whenText(row.acknowledgedAt, lang, now, timeZone) : never}</td>
                      <td>{row.attempts}</td>
                      <td>{row.counterCode ?? never}</td>
                      <td data-testid="recon-dismissal">
                        {row.dismissal
                          ? t('reconciliation.dismissedBy', { by: row.dismissal.by ?? never, reason: row.dismissal.reason })
                          : never}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </section>
  );
}

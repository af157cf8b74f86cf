import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RequestOf } from '../../../common/contract';
import type { NeedsAttentionItem } from '../../../common/domain';
import type { AppError, Result } from '../../../common/result';
import { Notice } from '../components/Notice';
import { currentLang } from '../i18n';
import { refusalText } from '../labels';
import { useCounterQuery } from '../query';
import { useCounter } from '../store';
import { ATTENTION_TITLE_ID, recordKindText, whenText } from '../sync';
import { Correction, Dismissal, type Outcome } from './CorrectionForms';

/**
 * Why the portal refused: its code in the UI language where the counter has words for it,
 * then the portal's own reason as it sent it (in English, with the details: which ID, which day).
 */
function RefusalReason({ code, reason }: { code: string; reason: string }) {
  const { t } = useTranslation();
  const words = refusalText(t, code);
  if (!words) return <span data-testid="attention-portal-reason">{reason}</span>;
  return (
    <>
      <span data-testid="attention-refusal">{words}</span>{' '}
      <span className="muted" lang="en" data-testid="attention-portal-reason">
        {reason}
      </span>
    </>
  );
}

/**
 * Records the portal refused, for every operator: why, and a way to correct the walk-in or
 * check-in details and resend, or to resend as it is; a supervisor may instead dismiss one
 * that must not be uploaded. An item leaves the list once resent or dismissed.
 */
export function NeedsAttention() {
  const { t } = useTranslation();
  const needsAttention = useCounter((s) => s.appState?.sync?.needsAttention);
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  const run = useCounter((s) => s.run);
  const supervisor = useCounter((s) => s.appState?.operator?.role === 'supervisor');
  const query = useCounterQuery('listNeedsAttention', {});
  const list = query.data;
  const { reload, setData: setList } = query;
  const [open, setOpen] = useState<{ seq: number; mode: 'correct' | 'dismiss' } | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [gone, setGone] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const load = reload;
  // a new refusal from the portal comes with the sync status: its count changes
  const seenCount = useRef(needsAttention);
  useEffect(() => {
    if (seenCount.current === needsAttention) return;
    seenCount.current = needsAttention;
    void reload();
  }, [needsAttention, reload]);
  useEffect(() => {
    if (query.error) setError(query.error);
  }, [query.error]);

  /** Puts the cursor on an item's button (the one that opened its form, when backing out of it). */
  const focusItem = (seq: number | null, button: 'attention-open' | 'attention-dismiss' = 'attention-open') => {
    setTimeout(() => {
      const buttons = [...(listRef.current?.querySelectorAll<HTMLElement>(`[data-testid="${button}"]`) ?? [])];
      const target = buttons.find((b) => b.dataset.seq === String(seq)) ?? buttons[0];
      (target ?? document.getElementById(ATTENTION_TITLE_ID))?.focus();
    }, 0);
  };

  const close = (seq: number, mode: 'correct' | 'dismiss') => {
    setOpen(null);
    focusItem(seq, mode === 'dismiss' ? 'attention-dismiss' : 'attention-open');
  };

  /** Main's answer to a resend or a dismissal, for the list and the form that asked. */
  const settle = (item: NeedsAttentionItem, r: Result<{ seq: number }>, done: string): Outcome => {
    if (r.ok) {
      const rest = (list ?? []).filter((i) => i.seq !== item.seq);
      setList(() => rest);
      setOpen(null);
      setMessage(done);
      // the cursor goes on to the next record, or to the heading when none is left
      focusItem(rest.find((i) => i.seq > item.seq)?.seq ?? rest[rest.length - 1]?.seq ?? null);
      void load();
      return { kind: 'done' };
    }
    if (r.error.code === 'NOT_FOUND' || r.error.code === 'CONFLICT') {
      setOpen(null);
      setError(r.error);
      setGone(true);
      focusItem(null);
      void load();
      return { kind: 'gone', error: r.error };
    }
    return { kind: 'refused', error: r.error };
  };

  const openAs = (seq: number, mode: 'correct' | 'dismiss') => {
    setMessage(null);
    setError(null);
    setOpen({ seq, mode });
  };

  const begin = () => {
    setMessage(null);
    setError(null);
    setGone(false);
  };

  const resend = async (item: NeedsAttentionItem, request: RequestOf<'resendRecord'>): Promise<Outcome> => {
    begin();
    const r = await run('resendRecord', request);
    return settle(item, r, item.token ? t('attention.resent', { token: item.token }) : t('attention.resentNoToken'));
  };

  const dismiss = async (item: NeedsAttentionItem, reason: string): Promise<Outcome> => {
    begin();
    const r = await run('dismissRecord', { seq: item.seq, reason });
    return settle(item, r, item.token ? t('attention.dismissed', { token: item.token }) : t('attention.dismissedNoToken'));
  };

  const lang = currentLang();
  const now = Date.now();
  return (
    <section className="panel attention" aria-labelledby={ATTENTION_TITLE_ID} data-testid="attention-panel">
      <h2 id={ATTENTION_TITLE_ID} tabIndex={-1}>
        {t('attention.title')}
      </h2>
      <p className="intro">{t('attention.intro')}</p>
      <Notice error={error} message={message} errorText={gone ? t('attention.gone') : null} />
      {list === null && !error ? <p>{t('attention.loading')}</p> : null}
      {list && list.length === 0 ? (
        <p className="empty" data-testid="attention-empty">
          {t('attention.empty')}
        </p>
      ) : null}
      {list && list.length > 0 ? (
        <ul className="attention-list" ref={listRef}>
          {list.map((item) => (
            <li
              key={item.seq}
              className="attention-item"
              data-testid="attention-item"
              data-seq={item.seq}
              data-token={item.token ?? ''}
              data-kind={item.kind}
              data-code={item.code}
              data-correctable={item.correctable}
            >
              <div className="attention-head">
                <span className="token token-big">{item.token ?? t('attention.noToken')}</span>
                <span className="attention-name">{item.name ?? ''}</span>
                <span className="attention-kind">{recordKindText(t, item.kind)}</span>
                <span className="muted">
                  {t('attention.created')} {whenText(item.createdAt, lang, now, timeZone)}
                </span>
              </div>
              <div className="attention-reason" data-testid="attention-reason">
                <span className="visually-hidden">{t('attention.reason')}: </span>
                <RefusalReason code={item.code} reason={item.reason} />{' '}
                <span className="muted">({t('attention.code', { code: item.code })})</span>
              </div>
              {open?.seq === item.seq && open.mode === 'correct' ? (
                <Correction item={item} resend={(request) => resend(item, request)} onCancel={() => close(item.seq, 'correct')} />
              ) : open?.seq === item.seq && open.mode === 'dismiss' ? (
                <Dismissal item={item} dismiss={(reason) => dismiss(item, reason)} onCancel={() => close(item.seq, 'dismiss')} />
              ) : (
                <div className="actions">
                  <button
                    type="button"
                    className="primary"
                    data-testid="attention-open"
                    data-seq={item.seq}
                    onClick={() => openAs(item.seq, 'correct')}
                  >
                    {item.correctable === 'none' ? t('attention.resend') : t('attention.correct')}
                  </button>
                  {supervisor && item.kind !== 'vaccination.recorded' ? (
                    <button
                      type="button"
                      data-testid="attention-dismiss"
                      data-seq={item.seq}
                      onClick={() => openAs(item.seq, 'dismiss')}
                    >
                      {t('attention.dismiss')}
                    </button>
                  ) : null}
                </div>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

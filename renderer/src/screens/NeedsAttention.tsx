import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { RequestOf } from '../../../common/contract';
import {
  GENDERS,
  checkInCorrectionSchema,
  dismissReasonSchema,
  walkInCorrectionSchema,
  type NeedsAttentionItem,
} from '../../../common/domain';
import type { AppError, Result } from '../../../common/result';
import { PHOTO_ID_TYPES, type PhotoIdType } from '../../../common/rules/photo-id';
import { call } from '../api';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { zodProblems, type FieldProblems } from '../errors';
import { escapeCancels, focusFirstInvalid, showRefusal } from '../focus';
import { currentLang } from '../i18n';
import { useCounter } from '../store';
import { ATTENTION_TITLE_ID, recordKindText, whenText } from '../sync';
import { WALKIN_FIELDS, WalkInFields, useWalkInFields, validateWalkIn, type WalkInValues } from './WalkIn';

const WALKIN_FORM = 'correct-walkin';
const CHECKIN_FORM = 'correct-checkin';
const CHECKIN_FIELDS = ['refId', 'name'] as const;

/** Main's answer to a resend: done, refused (shown in the form), or the record is gone (the list is stale). */
type Outcome = { kind: 'done' } | { kind: 'refused'; error: AppError } | { kind: 'gone'; error: AppError };

/** The record as the walk-in form holds it: numbers as typed text, unknown choices left empty. */
function walkInValues(item: NeedsAttentionItem): WalkInValues {
  const w = item.walkIn;
  return {
    name: w?.name ?? item.name ?? '',
    gender: w && (GENDERS as readonly string[]).includes(w.gender) ? w.gender : '',
    birthYear: w ? String(w.birthYear) : '',
    mobile: w?.mobile ?? '',
    photoIdType: (w?.photoIdType || PHOTO_ID_TYPES[0]) as PhotoIdType,
    photoIdNumber: w?.photoIdNumber ?? '',
    comorbidity: w?.comorbidity ?? false,
    dose: w ? String(w.dose) : '1',
  };
}

interface CorrectionProps {
  item: NeedsAttentionItem;
  resend: (request: RequestOf<'resendRecord'>) => Promise<Outcome>;
  onCancel: () => void;
}

function FormActions({ busy, submit, onCancel }: { busy: boolean; submit: string; onCancel: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="actions">
      <button type="submit" className="primary" data-testid="correct-submit" disabled={busy}>
        {busy ? t('attention.sending') : submit} <Kbd>Enter</Kbd>
      </button>
      <button type="button" data-testid="correct-cancel" onClick={onCancel}>
        {t('common.cancel')} <Kbd>Esc</Kbd>
      </button>
    </div>
  );
}

function WalkInCorrection({ item, resend, onCancel }: CorrectionProps) {
  const { t } = useTranslation();
  const { values, problems, setProblems, change, blur } = useWalkInFields(() => walkInValues(item));
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => nameRef.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const { form, problems: p } = validateWalkIn(values, walkInCorrectionSchema);
    setProblems(p);
    if (!form) {
      focusFirstInvalid(WALKIN_FORM, WALKIN_FIELDS, p);
      return;
    }
    setBusy(true);
    const r = await resend({ seq: item.seq, walkIn: form });
    setBusy(false);
    if (r.kind === 'refused') showRefusal(r.error, WALKIN_FORM, WALKIN_FIELDS, setProblems, setError, 'walkIn.');
  };

  return (
    <form
      noValidate
      className="form inline-form correction"
      data-testid="correct-walkin"
      aria-labelledby={`${WALKIN_FORM}-title`}
      aria-busy={busy}
      onSubmit={(e) => void submit(e)}
      onKeyDown={escapeCancels(onCancel)}
    >
      <h3 id={`${WALKIN_FORM}-title`}>{t('attention.correctWalkIn', { token: item.token ?? '' })}</h3>
      <WalkInFields form={WALKIN_FORM} values={values} problems={problems} change={change} blur={blur} nameRef={nameRef} />
      <Notice error={error} testId="correct-error" />
      <FormActions busy={busy} submit={t('attention.submit')} onCancel={onCancel} />
    </form>
  );
}

function CheckInCorrection({ item, resend, onCancel }: CorrectionProps) {
  const { t } = useTranslation();
  const [values, setValues] = useState({ refId: item.checkIn?.refId ?? '', name: item.checkIn?.name ?? item.name ?? '' });
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const refIdRef = useRef<HTMLInputElement>(null);

  useEffect(() => refIdRef.current?.focus(), []);

  const check = (v: typeof values): { data: z.output<typeof checkInCorrectionSchema> | null; problems: FieldProblems } => {
    const parsed = checkInCorrectionSchema.safeParse(v);
    return parsed.success ? { data: parsed.data, problems: {} } : { data: null, problems: zodProblems(parsed.error) };
  };

  const set = (f: (typeof CHECKIN_FIELDS)[number], v: string) => {
    const next = { ...values, [f]: v };
    setValues(next);
    // an error already shown follows the typing
    if (problems[f]) setProblems((p) => ({ ...p, [f]: check(next).problems[f] }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const { data, problems: p } = check(values);
    setProblems(p);
    if (!data) {
      focusFirstInvalid(CHECKIN_FORM, CHECKIN_FIELDS, p);
      return;
    }
    setBusy(true);
    const r = await resend({ seq: item.seq, checkIn: data });
    setBusy(false);
    if (r.kind === 'refused') showRefusal(r.error, CHECKIN_FORM, CHECKIN_FIELDS, setProblems, setError, 'checkIn.');
  };

  return (
    <form
      noValidate
      className="form inline-form correction"
      data-testid="correct-checkin"
      aria-labelledby={`${CHECKIN_FORM}-title`}
      aria-busy={busy}
      onSubmit={(e) => void submit(e)}
      onKeyDown={escapeCancels(onCancel)}
    >
      <h3 id={`${CHECKIN_FORM}-title`}>{t('attention.correctCheckIn', { token: item.token ?? '' })}</h3>
      <div className="field-row">
        <Field
          form={CHECKIN_FORM}
          name="refId"
          label={t('attention.refId')}
          testId={`${CHECKIN_FORM}-refId`}
          problem={problems.refId}
        >
          {(c) => (
            <input
              {...c}
              ref={refIdRef}
              value={values.refId}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => set('refId', e.target.value)}
              onBlur={() => values.refId && setProblems((p) => ({ ...p, refId: check(values).problems.refId }))}
            />
          )}
        </Field>
        <Field
          form={CHECKIN_FORM}
          name="name"
          label={t('attention.name')}
          testId={`${CHECKIN_FORM}-name`}
          problem={problems.name}
        >
          {(c) => (
            <input
              {...c}
              value={values.name}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => set('name', e.target.value)}
              onBlur={() => values.name && setProblems((p) => ({ ...p, name: check(values).problems.name }))}
            />
          )}
        </Field>
      </div>
      <Notice error={error} testId="correct-error" />
      <FormActions busy={busy} submit={t('attention.submit')} onCancel={onCancel} />
    </form>
  );
}

function ResendAsIs({ item, resend, onCancel }: CorrectionProps) {
  const { t } = useTranslation();
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const buttonRef = useRef<HTMLFormElement>(null);

  useEffect(() => buttonRef.current?.querySelector<HTMLElement>('[data-testid="correct-submit"]')?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setBusy(true);
    const r = await resend({ seq: item.seq });
    setBusy(false);
    if (r.kind === 'refused') setError(r.error);
  };

  return (
    <form
      ref={buttonRef}
      noValidate
      className="form inline-form correction"
      data-testid="correct-none"
      aria-labelledby="correct-none-title"
      aria-busy={busy}
      onSubmit={(e) => void submit(e)}
      onKeyDown={escapeCancels(onCancel)}
    >
      <h3 id="correct-none-title">{t('attention.resendTitle', { token: item.token ?? '' })}</h3>
      <p className="intro">{t('attention.resendIntro')}</p>
      <Notice error={error} testId="correct-error" />
      <FormActions busy={busy} submit={t('attention.submitAsIs')} onCancel={onCancel} />
    </form>
  );
}

const DISMISS_FORM = 'dismiss-record';

/** A supervisor closes a rejected record without uploading it, with a reason (kept in the reconciliation). */
function Dismissal({
  item,
  dismiss,
  onCancel,
}: {
  item: NeedsAttentionItem;
  dismiss: (reason: string) => Promise<Outcome>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState('');
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);

  useEffect(() => reasonRef.current?.focus(), []);

  const check = (v: string): FieldProblems => {
    const parsed = dismissReasonSchema.safeParse(v);
    return parsed.success ? {} : { reason: { code: parsed.error.issues[0]?.message ?? 'required' } };
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const p = check(reason);
    setProblems(p);
    if (p.reason) {
      reasonRef.current?.focus();
      return;
    }
    setBusy(true);
    const r = await dismiss(reason.trim());
    setBusy(false);
    if (r.kind === 'refused') showRefusal(r.error, DISMISS_FORM, ['reason'], setProblems, setError);
  };

  return (
    <form
      noValidate
      className="form inline-form correction"
      data-testid="dismiss-form"
      aria-labelledby={`${DISMISS_FORM}-title`}
      aria-busy={busy}
      onSubmit={(e) => void submit(e)}
      onKeyDown={escapeCancels(onCancel)}
    >
      <h3 id={`${DISMISS_FORM}-title`}>{t('attention.dismissTitle', { token: item.token ?? '' })}</h3>
      <p className="intro">{t('attention.dismissIntro')}</p>
      <Field
        form={DISMISS_FORM}
        name="reason"
        label={t('attention.dismissReason')}
        testId={`${DISMISS_FORM}-reason`}
        problem={problems.reason}
      >
        {(c) => (
          <input
            {...c}
            ref={reasonRef}
            value={reason}
            maxLength={200}
            autoComplete="off"
            onChange={(e) => {
              setReason(e.target.value);
              if (problems.reason) setProblems(check(e.target.value));
            }}
          />
        )}
      </Field>
      <Notice error={error} testId="dismiss-error" />
      <div className="actions">
        <button type="submit" className="warning" data-testid="dismiss-submit" disabled={busy}>
          {busy ? t('attention.dismissing') : t('attention.dismissSubmit')} <Kbd>Enter</Kbd>
        </button>
        <button type="button" data-testid="dismiss-cancel" onClick={onCancel}>
          {t('common.cancel')} <Kbd>Esc</Kbd>
        </button>
      </div>
    </form>
  );
}

function Correction(props: CorrectionProps) {
  const { item } = props;
  if (item.correctable === 'walkin') return <WalkInCorrection {...props} />;
  if (item.correctable === 'checkin') return <CheckInCorrection {...props} />;
  return <ResendAsIs {...props} />;
}

/**
 * Records the portal refused, for every operator: why, and a way to correct the walk-in or
 * check-in details and resend, or to resend as it is; a supervisor may instead dismiss one
 * that must not be uploaded. An item leaves the list once resent or dismissed.
 */
export function NeedsAttention() {
  const { t } = useTranslation();
  const changeSeq = useCounter((s) => s.changeSeq);
  const needsAttention = useCounter((s) => s.appState?.sync?.needsAttention);
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  const run = useCounter((s) => s.run);
  const supervisor = useCounter((s) => s.appState?.operator?.role === 'supervisor');
  const [list, setList] = useState<NeedsAttentionItem[] | null>(null);
  const [open, setOpen] = useState<{ seq: number; mode: 'correct' | 'dismiss' } | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [gone, setGone] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const load = useCallback(async () => {
    const r = await call('listNeedsAttention', {});
    if (r.ok) setList(r.value);
    else setError(r.error);
  }, []);

  // a resend elsewhere, or a new refusal from the portal, changes the list
  useEffect(() => {
    void load();
  }, [load, changeSeq, needsAttention]);

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
      setList(rest);
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
                {item.reason} <span className="muted">({t('attention.code', { code: item.code })})</span>
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

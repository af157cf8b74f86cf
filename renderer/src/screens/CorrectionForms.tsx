/**
 * The forms of a record the portal refused: correct a walk-in or a check-in and resend it,
 * resend it as it was, or (a supervisor) dismiss it with a reason. Each form says what came
 * of it through `Outcome`; the list around them decides what happens next.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
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
import type { AppError } from '../../../common/result';
import { PHOTO_ID_TYPES, type PhotoIdType } from '../../../common/rules/photo-id';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { zodProblems, type FieldProblems } from '../errors';
import { escapeCancels, focusFirstInvalid, showRefusal } from '../focus';
import { WALKIN_FIELDS, WalkInFields, useWalkInFields, validateWalkIn, type WalkInValues } from '../walk-in-form/WalkInForm';

const WALKIN_FORM = 'correct-walkin';
const CHECKIN_FORM = 'correct-checkin';
const CHECKIN_FIELDS = ['refId', 'name'] as const;

/** Main's answer to a resend: done, refused (shown in the form), or the record is gone (the list is stale). */
export type Outcome = { kind: 'done' } | { kind: 'refused'; error: AppError } | { kind: 'gone'; error: AppError };

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

export interface CorrectionProps {
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
export function Dismissal({
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

export function Correction(props: CorrectionProps) {
  const { item } = props;
  if (item.correctable === 'walkin') return <WalkInCorrection {...props} />;
  if (item.correctable === 'checkin') return <CheckInCorrection {...props} />;
  return <ResendAsIs {...props} />;
}

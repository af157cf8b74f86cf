import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { provisionalCheckInSchema } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { GenderOptions } from '../components/ChoiceOptions';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { zodProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid, showRefusal } from '../focus';
import { useCounter } from '../store';

const FORM = 'provisional';
const ORDER = ['refId', 'name', 'birthYear', 'gender'] as const;

/** Check-in of someone with an online registration that today's roster does not have. */
export function ProvisionalDialog({ refId: initialRefId, onClose }: { refId: string; onClose: (issued: boolean) => void }) {
  const { t } = useTranslation();
  const issue = useCounter((s) => s.issue);
  const [refId, setRefId] = useState(initialRefId);
  const [name, setName] = useState('');
  const [birthYear, setBirthYear] = useState('');
  const [gender, setGender] = useState('');
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  /** A field's error goes as soon as the operator changes that field, as in the other forms. */
  const edited = (field: (typeof ORDER)[number]) =>
    setProblems((p) => {
      if (!(field in p)) return p;
      const next = { ...p };
      delete next[field];
      return next;
    });

  const input = () => ({
    refId,
    name,
    ...(birthYear.trim() ? { birthYear: birthYear.trim() } : {}),
    ...(gender ? { gender } : {}),
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const parsed = provisionalCheckInSchema.safeParse(input());
    if (!parsed.success) {
      const p = zodProblems(parsed.error);
      setProblems(p);
      focusFirstInvalid(FORM, ORDER, p);
      return;
    }
    setProblems({});
    setBusy(true);
    const r = await issue('checkInProvisional', parsed.data);
    setBusy(false);
    if (r.ok) {
      onClose(true);
      return;
    }
    showRefusal(r.error, FORM, ORDER, setProblems, setError);
  };

  return (
    <Dialog
      title={t('checkin.provisionalTitle')}
      onClose={() => onClose(false)}
      testId="provisional-dialog"
      initialFocus="#provisional-name"
    >
      <p className="intro">{t('checkin.provisionalIntro')}</p>
      <form noValidate onSubmit={submit} className="form" aria-busy={busy}>
        <Field form={FORM} name="refId" label={t('checkin.refIdField')} testId="provisional-refId" problem={problems.refId}>
          {(c) => (
            <input
              {...c}
              value={refId}
              autoComplete="off"
              onChange={(e) => (setRefId(e.target.value.toUpperCase()), edited('refId'))}
            />
          )}
        </Field>
        <Field form={FORM} name="name" label={t('checkin.nameField')} testId="provisional-name" problem={problems.name}>
          {(c) => <input {...c} value={name} autoComplete="off" onChange={(e) => (setName(e.target.value), edited('name'))} />}
        </Field>
        <div className="field-row">
          <Field
            form={FORM}
            name="birthYear"
            label={t('checkin.birthYearField')}
            testId="provisional-birthYear"
            optional
            problem={problems.birthYear}
          >
            {(c) => (
              <input
                {...c}
                value={birthYear}
                inputMode="numeric"
                maxLength={4}
                autoComplete="off"
                onChange={(e) => (setBirthYear(e.target.value.replace(/\D/g, '')), edited('birthYear'))}
              />
            )}
          </Field>
          <Field
            form={FORM}
            name="gender"
            label={t('checkin.genderField')}
            testId="provisional-gender"
            optional
            problem={problems.gender}
          >
            {(c) => (
              <select {...c} value={gender} onChange={(e) => (setGender(e.target.value), edited('gender'))}>
                <GenderOptions none={t('checkin.genderUnknown')} />
              </select>
            )}
          </Field>
        </div>
        <Notice error={error} />
        <div className="actions">
          <button type="submit" className="primary" data-testid="provisional-submit" disabled={busy}>
            {t('checkin.provisionalSubmit')} <Kbd>Enter</Kbd>
          </button>
          <button type="button" onClick={() => onClose(false)}>
            {t('common.cancel')} <Kbd>Esc</Kbd>
          </button>
        </div>
      </form>
    </Dialog>
  );
}

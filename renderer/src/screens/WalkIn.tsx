import { useEffect, useRef, useState, type FormEvent, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import { duplicateCandidateSchema, walkInFormSchema, type DuplicateCandidate, type WalkInForm } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { mobileError, normalizeMobile } from '../../../common/rules/mobile';
import { PHOTO_ID_TYPES, normalizePhotoId, photoIdError, type PhotoIdType } from '../../../common/rules/photo-id';
import { DoseOptions, GenderOptions } from '../components/ChoiceOptions';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { appProblems, hasProblems, zodProblems, type FieldProblem, type FieldProblems } from '../errors';
import { focusFirstInvalid, registerFocusTarget } from '../focus';
import { useCounter } from '../store';
import { DuplicatesDialog } from './DuplicatesDialog';
import { photoIdLabel } from '../labels';

const FORM = 'walkin';
export const WALKIN_FIELDS = [
  'name',
  'gender',
  'birthYear',
  'mobile',
  'photoIdType',
  'photoIdNumber',
  'comorbidity',
  'dose',
] as const;
type FieldName = (typeof WALKIN_FIELDS)[number];

export interface WalkInValues {
  name: string;
  gender: string;
  birthYear: string;
  mobile: string;
  photoIdType: PhotoIdType;
  photoIdNumber: string;
  comorbidity: boolean;
  dose: string;
}

const EMPTY: WalkInValues = {
  name: '',
  gender: '',
  birthYear: '',
  mobile: '',
  photoIdType: 'AADHAAR',
  photoIdNumber: '',
  comorbidity: false,
  dose: '1',
};

/** The form as the schema reads it: an empty choice is "not given", so it reports `required`. */
function toInput(v: WalkInValues): unknown {
  return {
    name: v.name,
    gender: v.gender || undefined,
    birthYear: v.birthYear.trim() || undefined,
    mobile: v.mobile,
    photoIdType: v.photoIdType,
    photoIdNumber: v.photoIdNumber,
    comorbidity: v.comorbidity,
    dose: v.dose || undefined,
  };
}

/**
 * Problems of the whole form, by field (the same schema main checks again). The schema
 * checks mobile and photo ID only once every other field parses, so those two rules are
 * also asked directly: the operator hears about a bad Aadhaar as soon as they leave it.
 */
export function validateWalkIn(
  v: WalkInValues,
  schema: z.ZodType<WalkInForm> = walkInFormSchema,
): { form: WalkInForm | null; problems: FieldProblems } {
  const parsed = schema.safeParse(toInput(v));
  if (parsed.success) return { form: parsed.data, problems: {} };
  const problems = zodProblems(parsed.error);
  const mobile = mobileError(normalizeMobile(v.mobile));
  if (!problems.mobile && mobile) problems.mobile = { code: mobile };
  const photoId = v.photoIdNumber.length <= 40 ? photoIdError(v.photoIdType, normalizePhotoId(v.photoIdNumber)) : null;
  if (!problems.photoIdNumber && photoId) problems.photoIdNumber = { code: photoId };
  return { form: null, problems };
}

/**
 * The walk-in fields' values and problems, validated as the operator goes: an error already
 * shown follows the typing; a field is checked when it is left. Shared by the walk-in form
 * and the correction of a walk-in the portal refused.
 */
export function useWalkInFields(initial: WalkInValues | (() => WalkInValues), onChange?: (f: FieldName) => void) {
  const [values, setValues] = useState<WalkInValues>(initial);
  const [problems, setProblems] = useState<FieldProblems>({});
  const setProblem = (f: FieldName, p: FieldProblem | undefined) => setProblems((prev) => ({ ...prev, [f]: p }));

  const change = <K extends FieldName>(f: K, value: WalkInValues[K]) => {
    const next = { ...values, [f]: value };
    setValues(next);
    onChange?.(f);
    // an error already shown follows the typing, so it goes away as soon as it is fixed
    if (problems[f]) setProblem(f, validateWalkIn(next).problems[f]);
    if (f === 'comorbidity' && problems.birthYear?.code.startsWith('not_eligible')) setProblem('birthYear', undefined);
    if (f === 'photoIdType' && next.photoIdNumber) setProblem('photoIdNumber', validateWalkIn(next).problems.photoIdNumber);
  };

  const blur = (f: FieldName) => {
    const v = values[f];
    if (typeof v === 'string' && v === '' && !problems[f]) return;
    if (problems[f]?.code.startsWith('not_eligible')) return;
    setProblem(f, validateWalkIn(values).problems[f]);
  };

  return { values, setValues, problems, setProblems, change, blur };
}

interface WalkInFieldsProps {
  /** prefix of the element IDs and test IDs (`walkin` → `walkin-name`) */
  form: string;
  values: WalkInValues;
  problems: FieldProblems;
  change: <K extends FieldName>(f: K, value: WalkInValues[K]) => void;
  blur: (f: FieldName) => void;
  nameRef?: RefObject<HTMLInputElement | null>;
  /** the age behind a "not eligible" on birth year */
  eligibilityDetail?: string | null;
}

/** The walk-in's fields, each with its label and its error in English and Hindi. */
export function WalkInFields({ form, values, problems, change, blur, nameRef, eligibilityDetail }: WalkInFieldsProps) {
  const { t } = useTranslation();
  const text = (
    f: 'name' | 'birthYear' | 'mobile' | 'photoIdNumber',
    extra: Partial<React.InputHTMLAttributes<HTMLInputElement>> = {},
  ) => (
    <Field
      form={form}
      name={f}
      label={t(`walkin.${f}`)}
      testId={`${form}-${f}`}
      problem={problems[f]}
      hint={f === 'mobile' ? t('walkin.mobileHint') : undefined}
      detail={f === 'birthYear' ? eligibilityDetail : undefined}
    >
      {(c) => (
        <input
          {...c}
          {...extra}
          ref={f === 'name' ? nameRef : undefined}
          value={values[f]}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => change(f, e.target.value)}
          onBlur={() => blur(f)}
        />
      )}
    </Field>
  );
  const knownIdType = (PHOTO_ID_TYPES as readonly string[]).includes(values.photoIdType);

  return (
    <>
      {text('name')}
      <div className="field-row">
        <Field form={form} name="gender" label={t('walkin.gender')} testId={`${form}-gender`} problem={problems.gender}>
          {(c) => (
            <select {...c} value={values.gender} onChange={(e) => change('gender', e.target.value)} onBlur={() => blur('gender')}>
              <GenderOptions none={t('walkin.genderChoose')} />
            </select>
          )}
        </Field>
        {text('birthYear', { inputMode: 'numeric', maxLength: 4 })}
        {text('mobile', { inputMode: 'tel', maxLength: 16 })}
      </div>
      <div className="field-row">
        <Field
          form={form}
          name="photoIdType"
          label={t('walkin.photoIdType')}
          testId={`${form}-photoIdType`}
          problem={problems.photoIdType}
        >
          {(c) => (
            <select {...c} value={values.photoIdType} onChange={(e) => change('photoIdType', e.target.value as PhotoIdType)}>
              {/* a type the counter does not know (from an older record) stays visible until it is changed */}
              {knownIdType ? null : <option value={values.photoIdType}>{values.photoIdType}</option>}
              {PHOTO_ID_TYPES.map((type) => (
                <option key={type} value={type}>
                  {photoIdLabel(t, type)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {text('photoIdNumber', { maxLength: 40 })}
      </div>
      <div className="field-row">
        <div className={`field field-check${problems.comorbidity ? ' field-invalid' : ''}`}>
          <label>
            <input
              type="checkbox"
              id={`${form}-comorbidity`}
              name="comorbidity"
              data-testid={`${form}-comorbidity`}
              checked={values.comorbidity}
              onChange={(e) => change('comorbidity', e.target.checked)}
            />{' '}
            {t('walkin.comorbidity')}
          </label>
        </div>
        <Field form={form} name="dose" label={t('walkin.dose')} testId={`${form}-dose`} problem={problems.dose}>
          {(c) => (
            <select {...c} value={values.dose} onChange={(e) => change('dose', e.target.value)}>
              <DoseOptions />
            </select>
          )}
        </Field>
      </div>
    </>
  );
}

function newSubmissionId(): string {
  return crypto.randomUUID();
}

/**
 * Registration of a walk-in: validated field by field as the operator leaves each one, then
 * checked by main for eligibility and possible duplicates before a token is given.
 */
export function WalkIn({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const issue = useCounter((s) => s.issue);
  /** age and phase behind a "not eligible" on birth year, shown under that error */
  const [eligibility, setEligibility] = useState<{ age: number; phase: string | null } | null>(null);
  const { values, setValues, problems, setProblems, change, blur } = useWalkInFields(EMPTY, (f) => {
    if (f === 'birthYear' || f === 'comorbidity') setEligibility(null);
  });
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const [duplicates, setDuplicates] = useState<{ list: DuplicateCandidate[]; form: WalkInForm } | null>(null);
  // one per form fill: a second Enter or a retry after a lost answer returns the same ticket
  const submissionId = useRef(newSubmissionId());
  const busyRef = useRef(false);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => registerFocusTarget('walkin-name', () => nameRef.current), []);

  const showServerProblems = (err: AppError) => {
    const p = appProblems(err.fields, 'form.');
    if (err.code === 'NOT_ELIGIBLE') {
      const d = err.details ?? {};
      const age = typeof d.age === 'number' ? d.age : null;
      const phase = typeof d.phase === 'string' ? d.phase : null;
      setEligibility(age === null ? null : { age, phase });
      if (!p.birthYear) p.birthYear = { code: 'not_eligible_age' };
    }
    if (hasProblems(p)) {
      setProblems(p);
      focusFirstInvalid(FORM, WALKIN_FIELDS, p);
    }
  };

  const register = async (form: WalkInForm, acknowledged: string[]) => {
    const r = await issue('registerWalkIn', { submissionId: submissionId.current, form, acknowledgedDuplicates: acknowledged });
    if (r.ok) {
      submissionId.current = newSubmissionId();
      setValues(EMPTY);
      setProblems({});
      setEligibility(null);
      setDuplicates(null);
      setTimeout(() => nameRef.current?.focus(), 0);
      return;
    }
    setDuplicates(null);
    if (r.error.code === 'DUPLICATE_SUSPECTED') {
      const list = duplicateCandidateSchema.array().safeParse(r.error.details?.duplicates);
      if (list.success && list.data.length > 0) {
        setDuplicates({ list: list.data, form });
        return;
      }
    }
    showServerProblems(r.error);
    setError(r.error);
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (busyRef.current) return;
    setError(null);
    const { form, problems: p } = validateWalkIn(values);
    setProblems(p);
    setEligibility(null);
    if (!form) {
      focusFirstInvalid(FORM, WALKIN_FIELDS, p);
      return;
    }
    busyRef.current = true;
    setBusy(true);
    try {
      const preview = await run('previewWalkIn', { form });
      if (!preview.ok) {
        showServerProblems(preview.error);
        setError(preview.error);
        return;
      }
      const { eligibility: verdict, duplicates: found } = preview.value;
      if (!verdict.eligible) {
        const problem = { code: verdict.reason ?? 'not_eligible_age' };
        setProblems({ birthYear: problem });
        setEligibility({ age: verdict.age, phase: verdict.phase });
        focusFirstInvalid(FORM, WALKIN_FIELDS, { birthYear: problem });
        return;
      }
      if (found.length > 0) {
        setDuplicates({ list: found, form });
        return;
      }
      await register(form, []);
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  const confirmDuplicates = async () => {
    if (!duplicates || busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    try {
      await register(
        duplicates.form,
        duplicates.list.map((d) => d.id),
      );
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  const cancelDuplicates = () => {
    setDuplicates(null);
    setTimeout(() => nameRef.current?.focus(), 0);
  };

  const eligibilityDetail = !eligibility
    ? null
    : eligibility.phase
      ? t('walkin.eligibilityAge', { age: eligibility.age, phase: eligibility.phase })
      : t('walkin.eligibilityAgeNoPhase', { age: eligibility.age });

  return (
    <section className="panel walkin" aria-labelledby="walkin-title" hidden={!active}>
      <h2 id="walkin-title" className="visually-hidden">
        {t('walkin.title')}
      </h2>
      <form noValidate onSubmit={(e) => void submit(e)} className="form walkin-form" aria-busy={busy}>
        <WalkInFields
          form={FORM}
          values={values}
          problems={problems}
          change={change}
          blur={blur}
          nameRef={nameRef}
          eligibilityDetail={eligibilityDetail}
        />
        <Notice error={error} />
        <div className="actions">
          <button type="submit" className="primary" data-testid="walkin-submit" disabled={busy}>
            {busy ? t('walkin.checking') : t('walkin.submit')} <Kbd>Enter</Kbd>
          </button>
        </div>
      </form>
      {duplicates ? (
        <DuplicatesDialog
          candidates={duplicates.list}
          busy={busy}
          onConfirm={() => void confirmDuplicates()}
          onCancel={cancelDuplicates}
        />
      ) : null}
    </section>
  );
}

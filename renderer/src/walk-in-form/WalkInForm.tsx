/**
 * The walk-in's fields, their values and their checks as the operator goes: one form for the
 * walk-in registration and for the correction of a walk-in the portal refused.
 */
import { useState, type InputHTMLAttributes, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import { walkInFormSchema, type WalkInForm } from '../../../common/domain';
import { mobileError, normalizeMobile } from '../../../common/rules/mobile';
import { PHOTO_ID_TYPES, normalizePhotoId, photoIdError, type PhotoIdType } from '../../../common/rules/photo-id';
import { DoseOptions, GenderOptions } from '../components/ChoiceOptions';
import { Field } from '../components/Field';
import { zodProblems, type FieldProblem, type FieldProblems } from '../errors';
import { photoIdLabel } from '../labels';

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
export type WalkInFieldName = (typeof WALKIN_FIELDS)[number];

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

/** A new walk-in: nothing typed yet. */
export const EMPTY_WALK_IN: WalkInValues = {
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
export function useWalkInFields(initial: WalkInValues | (() => WalkInValues), onChange?: (f: WalkInFieldName) => void) {
  const [values, setValues] = useState<WalkInValues>(initial);
  const [problems, setProblems] = useState<FieldProblems>({});
  const setProblem = (f: WalkInFieldName, p: FieldProblem | undefined) => setProblems((prev) => ({ ...prev, [f]: p }));

  const change = <K extends WalkInFieldName>(f: K, value: WalkInValues[K]) => {
    const next = { ...values, [f]: value };
    setValues(next);
    onChange?.(f);
    // an error already shown follows the typing, so it goes away as soon as it is fixed
    if (problems[f]) setProblem(f, validateWalkIn(next).problems[f]);
    if (f === 'comorbidity' && problems.birthYear?.code.startsWith('not_eligible')) setProblem('birthYear', undefined);
    if (f === 'photoIdType' && next.photoIdNumber) setProblem('photoIdNumber', validateWalkIn(next).problems.photoIdNumber);
  };

  const blur = (f: WalkInFieldName) => {
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
  change: <K extends WalkInFieldName>(f: K, value: WalkInValues[K]) => void;
  blur: (f: WalkInFieldName) => void;
  nameRef?: RefObject<HTMLInputElement | null>;
  /** the age behind a "not eligible" on birth year */
  eligibilityDetail?: string | null;
}

/** The walk-in's fields, each with its label and its error in English and Hindi. */
export function WalkInFields({ form, values, problems, change, blur, nameRef, eligibilityDetail }: WalkInFieldsProps) {
  const { t } = useTranslation();
  const text = (
    f: 'name' | 'birthYear' | 'mobile' | 'photoIdNumber',
    extra: Partial<InputHTMLAttributes<HTMLInputElement>> = {},
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

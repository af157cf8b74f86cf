import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { FieldProblem } from '../errors';
import { FieldError } from './FieldError';

/** What a form control needs to be labelled, described and marked invalid. */
export interface ControlProps {
  id: string;
  name: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
  'data-testid': string;
}

interface FieldProps {
  /** prefix of element IDs, unique per form on the page */
  form: string;
  name: string;
  label: string;
  testId: string;
  hint?: string | undefined;
  optional?: boolean;
  problem: FieldProblem | undefined;
  /** extra line under the error (e.g. the age behind an eligibility refusal) */
  detail?: string | null | undefined;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}

/** Label, control, hint and bilingual error of one form field. */
export function Field({ form, name, label, testId, hint, optional, problem, detail, className, children }: FieldProps) {
  const { t } = useTranslation();
  const id = `${form}-${name}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = problem ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${problem ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {optional ? <span className="optional"> {t('common.optional')}</span> : null}
      </label>
      {children({ id, name, 'aria-invalid': Boolean(problem), 'aria-describedby': describedBy, 'data-testid': testId })}
      {hint ? (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      ) : null}
      <FieldError id={`${id}-error`} field={name} problem={problem} />
      {problem && detail ? <div className="field-detail">{detail}</div> : null}
    </div>
  );
}

import { fieldErrorText } from '../i18n';
import type { FieldProblem } from '../errors';

/**
 * A field's error, always in English and Hindi whatever the UI language: the operator and
 * the person at the counter may read different scripts.
 */
export function FieldError({ id, field, problem }: { id: string; field: string; problem: FieldProblem | undefined }) {
  if (!problem) return null;
  return (
    <div id={id} className="field-error" data-testid={`error-${field}`} data-code={problem.code}>
      <span lang="en">{fieldErrorText('en', problem.code, problem.values)}</span>
      <span lang="hi">{fieldErrorText('hi', problem.code, problem.values)}</span>
    </div>
  );
}

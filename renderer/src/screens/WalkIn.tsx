import { memo, useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { duplicateCandidateSchema, type DuplicateCandidate, type WalkInForm } from '../../../common/domain';
import type { ResponseOf } from '../../../common/contract';
import type { AppError, Result } from '../../../common/result';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { appProblems, hasProblems } from '../errors';
import { focusFirstInvalid, registerFocusTarget } from '../focus';
import { useCounter } from '../store';
import { EMPTY_WALK_IN, WALKIN_FIELDS, WalkInFields, useWalkInFields, validateWalkIn } from '../walk-in-form/WalkInForm';
import { DuplicatesDialog } from './DuplicatesDialog';

const FORM = 'walkin';
/** A check asked for as the operator left a field of a complete form answers an Enter this soon after. */
const EARLY_CHECK_MS = 20_000;

function newSubmissionId(): string {
  return crypto.randomUUID();
}

/**
 * Registration of a walk-in: validated field by field as the operator leaves each one, then
 * checked by main for eligibility and possible duplicates before a token is given.
 */
function WalkInView({ active }: { active: boolean }) {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const issue = useCounter((s) => s.issue);
  /** age and phase behind a "not eligible" on birth year, shown under that error */
  const [eligibility, setEligibility] = useState<{ age: number; phase: string | null } | null>(null);
  const { values, setValues, problems, setProblems, change, blur } = useWalkInFields(EMPTY_WALK_IN, (f) => {
    if (f === 'birthYear' || f === 'comorbidity') setEligibility(null);
  });
  const [error, setError] = useState<AppError | null>(null);
  /** the token this form's submission was already given (a form sent again after its answer was lost) */
  const [already, setAlready] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [duplicates, setDuplicates] = useState<{ list: DuplicateCandidate[]; form: WalkInForm } | null>(null);
  // one per form fill: a second Enter or a retry after a lost answer returns the same ticket
  const submissionId = useRef(newSubmissionId());
  const busyRef = useRef(false);
  const nameRef = useRef<HTMLInputElement>(null);
  /**
   * Main's check (eligibility, possible duplicates, already registered) of the form as it is,
   * asked for as soon as the operator leaves a field of a complete form: Enter then waits for
   * the registration only. Used once, for the same form and submission; registerWalkIn checks
   * again whatever the check said.
   */
  const early = useRef<{ key: string; at: number; answer: Promise<Result<ResponseOf<'previewWalkIn'>>> } | null>(null);

  const check = (form: WalkInForm): Promise<Result<ResponseOf<'previewWalkIn'>>> => {
    const key = JSON.stringify([submissionId.current, form]);
    const e = early.current;
    if (e && e.key === key && Date.now() - e.at < EARLY_CHECK_MS) return e.answer;
    const answer = run('previewWalkIn', { form, submissionId: submissionId.current });
    early.current = { key, at: Date.now(), answer };
    // a check that failed is asked again on Enter
    void answer.then((r) => {
      if (!r.ok && early.current?.answer === answer) early.current = null;
    });
    return answer;
  };

  const leave = (field: Parameters<typeof blur>[0]) => {
    blur(field);
    const { form } = validateWalkIn(values);
    if (form && !busyRef.current) void check(form);
  };

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

  /** An empty form with a new submission, the cursor in its first field. */
  const nextPerson = () => {
    submissionId.current = newSubmissionId();
    setValues(EMPTY_WALK_IN);
    setProblems({});
    setEligibility(null);
    setDuplicates(null);
    setTimeout(() => nameRef.current?.focus(), 0);
  };

  const register = async (form: WalkInForm, acknowledged: string[]) => {
    setAlready(null);
    // once sent, only a new check can say whether it was saved
    early.current = null;
    const r = await issue('registerWalkIn', { submissionId: submissionId.current, form, acknowledgedDuplicates: acknowledged });
    if (r.ok) {
      nextPerson();
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
    setAlready(null);
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
      const preview = await check(form);
      early.current = null;
      if (!preview.ok) {
        showServerProblems(preview.error);
        setError(preview.error);
        return;
      }
      const { eligibility: verdict, duplicates: found, alreadyRegistered } = preview.value;
      if (alreadyRegistered) {
        // sent again after its answer was lost: the person has their token, the form is done
        setAlready(alreadyRegistered.token);
        nextPerson();
        return;
      }
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
          blur={leave}
          nameRef={nameRef}
          eligibilityDetail={eligibilityDetail}
        />
        <Notice
          error={error}
          message={already ? t('walkin.alreadyRegistered', { token: already }) : null}
          messageTestId="walkin-already-registered"
        />
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

/** Drawn again when it is shown or hidden, or by its own state; not by every change of the screen around it. */
export const WalkIn = memo(WalkInView);

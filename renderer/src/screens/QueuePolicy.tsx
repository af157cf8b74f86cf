import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { contract } from '../../../common/contract';
import type { QueuePolicySettings } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { zodProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid, showRefusal } from '../focus';
import { useCounter } from '../store';

const FORM = 'policy';
const ORDER = ['mode', 'priorityPerWalkIn', 'walkInMaxWaitMinutes', 'lateArrivalMinutes', 'provisionalPriority'] as const;

interface Values {
  mode: 'strict' | 'ratio';
  priorityPerWalkIn: string;
  walkInMaxWaitMinutes: string;
  lateArrivalMinutes: string;
  provisionalPriority: boolean;
}

const fromPolicy = (p: QueuePolicySettings | null | undefined): Values => ({
  mode: p?.mode ?? 'strict',
  priorityPerWalkIn: String(p?.priorityPerWalkIn ?? 3),
  walkInMaxWaitMinutes: p?.walkInMaxWaitMinutes == null ? '' : String(p.walkInMaxWaitMinutes),
  lateArrivalMinutes: p?.lateArrivalMinutes == null ? '' : String(p.lateArrivalMinutes),
  provisionalPriority: p?.provisionalPriority ?? false,
});

/** Whole numbers only; an empty box is "off" (null) where the policy allows it. */
const num = (s: string): number | null => (s.trim() === '' ? null : /^\d+$/.test(s.trim()) ? Number(s.trim()) : Number.NaN);

/** Supervisor: how the next token is chosen between the lanes. */
export function QueuePolicy() {
  const { t } = useTranslation();
  const policy = useCounter((s) => s.appState?.policy);
  const district = useCounter((s) => s.appState?.district ?? null);
  // when the district sets the queue policy: which values in force are its own, and which were set here
  const fromDistrict = district?.parts.includes('queuePolicy') ? new Set(district.queuePolicyFromDistrict) : null;
  const source = (f: (typeof ORDER)[number]) =>
    fromDistrict ? (fromDistrict.has(f) ? t('district.fromDistrict') : t('district.setHere')) : undefined;
  const sourceTag = (f: (typeof ORDER)[number]) =>
    fromDistrict ? (
      <span className="field-hint" data-testid={`policy-source-${f}`} data-from-district={fromDistrict.has(f)}>
        {source(f)}
      </span>
    ) : null;
  const run = useCounter((s) => s.run);
  const [values, setValues] = useState<Values>(() => fromPolicy(policy));
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // the policy the form was filled from, and whether the supervisor has changed it since
  const [filledFrom, setFilledFrom] = useState(policy);
  const [edited, setEdited] = useState(false);
  if (policy !== filledFrom && !edited) {
    // a new policy in force (the district's next version) while the form is untouched: show it
    setFilledFrom(policy);
    setValues(fromPolicy(policy));
  }

  const set = <K extends keyof Values>(f: K, v: Values[K]) => {
    setEdited(true);
    setValues((prev) => ({ ...prev, [f]: v }));
    setSaved(false);
    if (problems[f]) setProblems((p) => ({ ...p, [f]: undefined }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const request = {
      mode: values.mode,
      priorityPerWalkIn: num(values.priorityPerWalkIn) ?? Number.NaN,
      walkInMaxWaitMinutes: num(values.walkInMaxWaitMinutes),
      lateArrivalMinutes: num(values.lateArrivalMinutes),
      provisionalPriority: values.provisionalPriority,
    };
    const parsed = contract.updateQueuePolicy.request.safeParse(request);
    if (!parsed.success) {
      const p = zodProblems(parsed.error);
      // zod's own range messages: say it in the counter's words
      for (const k of Object.keys(p)) if (p[k]?.code === 'invalid') p[k] = { code: 'number_range' };
      setProblems(p);
      focusFirstInvalid(FORM, ORDER, p);
      return;
    }
    setBusy(true);
    const r = await run('updateQueuePolicy', parsed.data);
    setBusy(false);
    if (r.ok) {
      setProblems({});
      setSaved(true);
      setEdited(false);
      setFilledFrom(r.value.policy);
      setValues(fromPolicy(r.value.policy));
      return;
    }
    showRefusal(r.error, FORM, ORDER, setProblems, setError);
  };

  const number = (f: 'priorityPerWalkIn' | 'walkInMaxWaitMinutes' | 'lateArrivalMinutes', label: string, hint?: string) => (
    <Field
      form={FORM}
      name={f}
      label={label}
      hint={[hint, source(f)].filter(Boolean).join(' · ') || undefined}
      testId={`policy-${f}`}
      problem={problems[f]}
    >
      {(c) => (
        <input
          {...c}
          className="input-short"
          inputMode="numeric"
          autoComplete="off"
          value={values[f]}
          onChange={(e) => set(f, e.target.value)}
        />
      )}
    </Field>
  );

  return (
    <section className="panel" aria-labelledby="policy-title">
      <h2 id="policy-title">{t('policy.title')}</h2>
      <p className="intro">{t('policy.intro')}</p>
      {fromDistrict ? (
        <p className="intro" data-testid="policy-district">
          {t('district.policyIntro', { version: district!.version })}
        </p>
      ) : null}
      <form noValidate className="form" onSubmit={submit} aria-busy={busy}>
        <fieldset className="field" data-testid="policy-mode">
          <legend>{t('policy.mode')}</legend>
          {(['strict', 'ratio'] as const).map((m) => (
            <label key={m} className="radio">
              <input
                type="radio"
                name="mode"
                id={m === 'strict' ? `${FORM}-mode` : undefined}
                value={m}
                data-testid={`policy-mode-${m}`}
                checked={values.mode === m}
                onChange={() => set('mode', m)}
              />{' '}
              {m === 'strict' ? t('policy.modeStrict') : t('policy.modeRatio')}
            </label>
          ))}
          {sourceTag('mode')}
        </fieldset>
        {number('priorityPerWalkIn', t('policy.priorityPerWalkIn'))}
        {number('walkInMaxWaitMinutes', t('policy.walkInMaxWait'), t('policy.walkInMaxWaitHint'))}
        {number('lateArrivalMinutes', t('policy.lateArrival'), t('policy.lateArrivalHint'))}
        <div className="field field-check">
          <label>
            <input
              type="checkbox"
              id={`${FORM}-provisionalPriority`}
              data-testid="policy-provisionalPriority"
              checked={values.provisionalPriority}
              onChange={(e) => set('provisionalPriority', e.target.checked)}
            />{' '}
            {t('policy.provisionalPriority')}
          </label>
          {sourceTag('provisionalPriority')}
        </div>
        <Notice error={error} message={saved ? t('policy.saved') : null} />
        <button type="submit" className="primary" data-testid="policy-save" disabled={busy}>
          {t('policy.save')}
        </button>
      </form>
    </section>
  );
}

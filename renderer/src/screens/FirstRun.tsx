import i18next from 'i18next';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { contract, type RequestOf } from '../../../common/contract';
import { parseEnrolmentScan } from '../../../common/rules/enrolment-code';
import type { AppError } from '../../../common/result';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { LanguageToggle } from '../components/StatusBar';
import { LANGS } from '../i18n';
import { appProblems, hasProblems, zodProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid } from '../focus';
import { useCounter } from '../store';

const FORM = 'firstrun';
const ORDER = [
  'centreId',
  'centreName',
  'centreNameHi',
  'timeZone',
  'counterCode',
  'tokenPrefix',
  'loginId',
  'name',
  'pin',
  'pinConfirm',
] as const;
type FieldName = (typeof ORDER)[number];
type Values = Record<FieldName, string>;

/** Request paths of `provision` to the fields of this form. */
const PATHS: Record<string, FieldName> = {
  'provisioning.centre.id': 'centreId',
  'provisioning.centre.name': 'centreName',
  'provisioning.centre.nameHi': 'centreNameHi',
  'provisioning.centre.timeZone': 'timeZone',
  'provisioning.counter.code': 'counterCode',
  'provisioning.counter.tokenPrefix': 'tokenPrefix',
  'supervisor.loginId': 'loginId',
  'supervisor.name': 'name',
  'supervisor.pin': 'pin',
};
const OPTIONAL: readonly FieldName[] = ['centreNameHi'];
const REQUIRED: readonly FieldName[] = ORDER.filter((f) => !OPTIONAL.includes(f));
const UPPERCASE: readonly FieldName[] = ['counterCode', 'tokenPrefix'];

function toRequest(v: Values): RequestOf<'provision'> {
  return {
    provisioning: {
      schemaVersion: 1,
      centre: {
        id: v.centreId.trim(),
        name: v.centreName.trim(),
        ...(v.centreNameHi.trim() ? { nameHi: v.centreNameHi.trim() } : {}),
        timeZone: v.timeZone.trim(),
      },
      counter: { code: v.counterCode.trim(), tokenPrefix: v.tokenPrefix.trim() },
    },
    supervisor: { loginId: v.loginId.trim(), name: v.name.trim(), pin: v.pin },
  };
}

function remap(p: FieldProblems): FieldProblems {
  const out: FieldProblems = {};
  for (const [path, problem] of Object.entries(p)) {
    const field = PATHS[path];
    if (field && problem && !out[field]) out[field] = problem;
  }
  return out;
}

function validate(v: Values): FieldProblems {
  const parsed = contract.provision.request.safeParse(toRequest(v));
  const problems = parsed.success ? {} : remap(zodProblems(parsed.error));
  for (const f of REQUIRED) if (!v[f].trim()) problems[f] = { code: 'required' };
  if (!problems.pinConfirm && !problems.pin && v.pin !== v.pinConfirm) problems.pinConfirm = { code: 'pin_mismatch' };
  return problems;
}

type Mode = 'manual' | 'enrol';

/**
 * First run: who this counter is, and its first supervisor. Either typed by hand (or read from
 * a provisioning file IT deployed), or enrolled with IT's one-time code: the portal then gives
 * the centre, the counter code and the counter's own device token.
 */
export function FirstRun() {
  const { t } = useTranslation();
  // a provisioning file deployed by IT names the centre already: only the supervisor is asked for
  const deployed = useCounter((s) => s.appState?.centre);
  const [mode, setMode] = useState<Mode>('manual');
  const choice = (m: Mode, label: string) => (
    <button
      type="button"
      className={mode === m ? 'primary' : undefined}
      aria-pressed={mode === m}
      data-testid={`firstrun-mode-${m}`}
      onClick={() => setMode(m)}
    >
      {label}
    </button>
  );
  return (
    <main className="screen screen-narrow">
      <div className="screen-head">
        <h1>{t('firstRun.title')}</h1>
        <LanguageToggle />
      </div>
      <p className="intro">{t('firstRun.intro')}</p>
      {deployed ? null : (
        <div role="group" aria-label={t('enrol.modeLabel')} className="actions">
          {choice('manual', t('enrol.modeManual'))}
          {choice('enrol', t('enrol.modeCode'))}
        </div>
      )}
      {mode === 'enrol' && !deployed ? <EnrolForm /> : <ManualSetup />}
    </main>
  );
}

/** The first-run form typed by hand (or completing a provisioning file IT deployed). */
function ManualSetup() {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const setSignInHint = useCounter((s) => s.setSignInHint);
  // a provisioning file deployed by IT names the centre and counter already: start from it
  const deployed = useCounter((s) => s.appState);
  const [values, setValues] = useState<Values>({
    centreId: deployed?.centre?.id ?? '',
    centreName: deployed?.centre?.name ?? '',
    centreNameHi: deployed?.centre?.nameHi ?? '',
    timeZone: deployed?.centre?.timeZone ?? 'Asia/Kolkata',
    counterCode: deployed?.counter?.code ?? '',
    tokenPrefix: deployed?.counter?.tokenPrefix ?? '',
    loginId: '',
    name: '',
    pin: '',
    pinConfirm: '',
  });
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const change = (f: FieldName, raw: string) => {
    const value = UPPERCASE.includes(f) ? raw.toUpperCase() : raw;
    setValues((v) => ({ ...v, [f]: value }));
    if (problems[f]) setProblems((p) => ({ ...p, [f]: undefined }));
  };
  const blur = (f: FieldName) => {
    if (!values[f]) return;
    const p = validate(values);
    setProblems((prev) => ({ ...prev, [f]: p[f] }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const p = validate(values);
    setProblems(p);
    if (focusFirstInvalid(FORM, ORDER, p)) return;
    setBusy(true);
    const r = await run('provision', toRequest(values));
    setBusy(false);
    if (r.ok) {
      setSignInHint(values.loginId.trim().toLowerCase());
      return;
    }
    const server = remap(appProblems(r.error.fields));
    if (hasProblems(server)) {
      setProblems(server);
      focusFirstInvalid(FORM, ORDER, server);
    }
    setError(r.error);
  };

  const field = (
    f: FieldName,
    label: string,
    opts: { hint?: string; type?: string; optional?: boolean; autoFocus?: boolean; lang?: string } = {},
  ) => (
    <Field
      form={FORM}
      name={f}
      label={label}
      testId={`${FORM}-${f}`}
      hint={opts.hint}
      optional={opts.optional}
      problem={problems[f]}
    >
      {(c) => (
        <input
          {...c}
          type={opts.type ?? 'text'}
          value={values[f]}
          autoFocus={opts.autoFocus}
          lang={opts.lang}
          inputMode={opts.type === 'password' ? 'numeric' : undefined}
          autoComplete="off"
          onChange={(e) => change(f, e.target.value)}
          onBlur={() => blur(f)}
        />
      )}
    </Field>
  );

  return (
    <>
      <form noValidate onSubmit={submit} className="form" aria-busy={busy}>
        <fieldset>
          <legend>{t('firstRun.centreSection')}</legend>
          {field('centreId', t('firstRun.centreId'), { hint: t('firstRun.centreIdHint'), autoFocus: true })}
          {field('centreName', t('firstRun.centreName'))}
          {field('centreNameHi', t('firstRun.centreNameHi'), { optional: true, lang: 'hi' })}
          {field('timeZone', t('firstRun.timeZone'))}
        </fieldset>
        <fieldset>
          <legend>{t('firstRun.counterSection')}</legend>
          {field('counterCode', t('firstRun.counterCode'), { hint: t('firstRun.counterCodeHint') })}
          {field('tokenPrefix', t('firstRun.tokenPrefix'), { hint: t('firstRun.tokenPrefixHint') })}
        </fieldset>
        <fieldset>
          <legend>{t('firstRun.supervisorSection')}</legend>
          {field('loginId', t('firstRun.loginId'))}
          {field('name', t('firstRun.name'))}
          {field('pin', t('firstRun.pin'), { type: 'password', hint: t('firstRun.pinHint') })}
          {field('pinConfirm', t('firstRun.pinConfirm'), { type: 'password' })}
        </fieldset>
        <Notice error={error} />
        <button type="submit" className="primary" data-testid="firstrun-submit" disabled={busy}>
          {busy ? t('common.working') : t('firstRun.submit')}
        </button>
      </form>
    </>
  );
}

const ENROL_FORM = 'enrol';
const ENROL_ORDER = ['portalUrl', 'code', 'loginId', 'name', 'pin', 'pinConfirm'] as const;
type EnrolField = (typeof ENROL_ORDER)[number];
type EnrolValues = Record<EnrolField, string>;

/** Request paths of `enrol` to the fields of its form. */
const ENROL_PATHS: Record<string, EnrolField> = {
  portalUrl: 'portalUrl',
  code: 'code',
  'supervisor.loginId': 'loginId',
  'supervisor.name': 'name',
  'supervisor.pin': 'pin',
};

function enrolRequest(v: EnrolValues): RequestOf<'enrol'> {
  return {
    portalUrl: v.portalUrl.trim(),
    code: v.code.trim(),
    supervisor: { loginId: v.loginId.trim(), name: v.name.trim(), pin: v.pin },
  };
}

function enrolRemap(p: FieldProblems): FieldProblems {
  const out: FieldProblems = {};
  for (const [path, problem] of Object.entries(p)) {
    const field = ENROL_PATHS[path];
    if (field && problem && !out[field]) out[field] = problem;
  }
  return out;
}

function validateEnrol(v: EnrolValues): FieldProblems {
  const parsed = contract.enrol.request.safeParse(enrolRequest(v));
  const problems = parsed.success ? {} : enrolRemap(zodProblems(parsed.error));
  for (const f of ENROL_ORDER) if (!v[f].trim()) problems[f] = { code: 'required' };
  if (!problems.pinConfirm && !problems.pin && v.pin !== v.pinConfirm) problems.pinConfirm = { code: 'pin_mismatch' };
  return problems;
}

/** The host name (and port) of a portal address, or null when it is not a web address yet. */
export function portalHost(url: string): string | null {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.host : null;
  } catch {
    return null;
  }
}

/** Two portal addresses that name the same portal (case of the host, a trailing slash). */
function samePortal(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const x = new URL(u.trim());
      return `${x.protocol}//${x.host}${x.pathname.replace(/\/+$/, '')}`;
    } catch {
      return u.trim().replace(/\/+$/, '').toLowerCase();
    }
  };
  return norm(a) === norm(b);
}

/** A line in English and Hindi together, whatever the UI language (as field errors are). */
type BothKey = 'enrol.scanConflict' | 'enrol.scanTyped' | 'enrol.scanScanned' | 'enrol.keepTyped' | 'enrol.useScanned';
function BothLanguages({ k, values }: { k: BothKey; values?: Record<string, string> }) {
  return (
    <>
      {LANGS.map((lang) => (
        <span key={lang} lang={lang} className="both-lang">
          {i18next.getFixedT(lang)(k, values)}{' '}
        </span>
      ))}
    </>
  );
}

/**
 * Enrolment: the portal's address and IT's one-time code (typed, or its QR code scanned into the
 * code field), and the first supervisor. A scanned QR code fills the portal's address only when
 * none is typed: one that names another address than the one typed never replaces it (a forged
 * sticker could name another portal); both are shown and the supervisor chooses, in English and
 * Hindi. The portal's host name is shown above the button before anything is sent. The portal's
 * refusals (a used, expired or wrong code; a portal that cannot be reached) show next to the
 * field at fault.
 */
function EnrolForm() {
  const { t } = useTranslation();
  const run = useCounter((s) => s.run);
  const setSignInHint = useCounter((s) => s.setSignInHint);
  const [values, setValues] = useState<EnrolValues>({ portalUrl: '', code: '', loginId: '', name: '', pin: '', pinConfirm: '' });
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  // a scanned QR code named another portal than the one typed: the supervisor chooses
  const [conflict, setConflict] = useState<{ typed: string; scanned: string } | null>(null);
  const conflictRef = useRef<HTMLDivElement>(null);

  const change = (f: EnrolField, raw: string) => {
    const scanned = f === 'code' ? parseEnrolmentScan(raw) : null;
    if (scanned) {
      const typed = values.portalUrl.trim();
      const fromQr = scanned.portalUrl;
      const fills = fromQr !== undefined && fromQr !== '' && typed === '';
      setValues((v) => ({ ...v, code: scanned.code.toUpperCase(), ...(fills ? { portalUrl: fromQr } : {}) }));
      setProblems((p) => ({ ...p, code: undefined, ...(fills ? { portalUrl: undefined } : {}) }));
      if (fromQr && typed !== '' && !samePortal(typed, fromQr)) setConflict({ typed, scanned: fromQr });
      return;
    }
    setValues((v) => ({ ...v, [f]: f === 'code' ? raw.toUpperCase() : raw }));
    if (problems[f]) setProblems((p) => ({ ...p, [f]: undefined }));
    if (f === 'portalUrl') setConflict(null);
  };
  const choose = (url: string) => {
    setValues((v) => ({ ...v, portalUrl: url }));
    setProblems((p) => ({ ...p, portalUrl: undefined }));
    setConflict(null);
  };
  const blur = (f: EnrolField) => {
    if (!values[f]) return;
    const p = validateEnrol(values);
    setProblems((prev) => ({ ...prev, [f]: p[f] }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const p = validateEnrol(values);
    setProblems(p);
    if (focusFirstInvalid(ENROL_FORM, ENROL_ORDER, p)) return;
    // nothing is sent while the portal's address is in question
    if (conflict) {
      conflictRef.current?.querySelector('button')?.focus();
      return;
    }
    setBusy(true);
    const r = await run('enrol', enrolRequest(values));
    setBusy(false);
    if (r.ok) {
      setSignInHint(values.loginId.trim().toLowerCase());
      return;
    }
    const server = enrolRemap(appProblems(r.error.fields));
    if (hasProblems(server)) {
      setProblems(server);
      focusFirstInvalid(ENROL_FORM, ENROL_ORDER, server);
      return;
    }
    setError(r.error);
  };

  const field = (
    f: EnrolField,
    label: string,
    opts: { hint?: string; type?: string; autoFocus?: boolean; inputMode?: 'url' | 'numeric' | 'text' } = {},
  ) => (
    <Field form={ENROL_FORM} name={f} label={label} testId={`${ENROL_FORM}-${f}`} hint={opts.hint} problem={problems[f]}>
      {(c) => (
        <input
          {...c}
          type={opts.type ?? 'text'}
          value={values[f]}
          autoFocus={opts.autoFocus}
          inputMode={opts.type === 'password' ? 'numeric' : opts.inputMode}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => change(f, e.target.value)}
          onBlur={() => blur(f)}
        />
      )}
    </Field>
  );

  const host = portalHost(values.portalUrl);
  return (
    <form noValidate onSubmit={submit} className="form" aria-busy={busy}>
      <p className="intro">{t('enrol.intro')}</p>
      <fieldset>
        <legend>{t('enrol.portalSection')}</legend>
        {field('portalUrl', t('enrol.portalUrl'), { hint: t('enrol.portalUrlHint'), type: 'url', autoFocus: true })}
        {field('code', t('enrol.code'), { hint: t('enrol.codeHint') })}
        {conflict ? (
          <div ref={conflictRef} role="alert" className="field-error" data-testid="enrol-portal-conflict">
            <p>
              <BothLanguages k="enrol.scanConflict" />
            </p>
            <p>
              <BothLanguages k="enrol.scanTyped" values={{ url: conflict.typed }} />
            </p>
            <p>
              <BothLanguages k="enrol.scanScanned" values={{ url: conflict.scanned }} />
            </p>
            <div className="actions">
              <button type="button" data-testid="enrol-keep-typed" onClick={() => choose(conflict.typed)}>
                <BothLanguages k="enrol.keepTyped" values={{ host: portalHost(conflict.typed) ?? conflict.typed }} />
              </button>
              <button type="button" data-testid="enrol-use-scanned" onClick={() => choose(conflict.scanned)}>
                <BothLanguages k="enrol.useScanned" values={{ host: portalHost(conflict.scanned) ?? conflict.scanned }} />
              </button>
            </div>
          </div>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>{t('firstRun.supervisorSection')}</legend>
        {field('loginId', t('firstRun.loginId'))}
        {field('name', t('firstRun.name'))}
        {field('pin', t('firstRun.pin'), { type: 'password', hint: t('firstRun.pinHint') })}
        {field('pinConfirm', t('firstRun.pinConfirm'), { type: 'password' })}
      </fieldset>
      <Notice error={error} />
      {host && !conflict ? (
        <p className="confirm-line" data-testid="enrol-host">
          {t('enrol.confirmHost')} <strong>{host}</strong>
        </p>
      ) : null}
      <button type="submit" className="primary" data-testid="enrol-submit" disabled={busy}>
        {busy ? t('enrol.working') : t('enrol.submit')}
      </button>
    </form>
  );
}

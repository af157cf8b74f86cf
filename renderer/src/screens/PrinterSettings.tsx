import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { printingSettingsSchema, type PrinterTarget, type PrintingSettings } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { Field } from '../components/Field';
import { Notice } from '../components/Notice';
import { appProblems, hasProblems, zodProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid } from '../focus';
import { tDynamic } from '../i18n';
import { printErrorText } from '../printing';
import { never, useCounterQuery } from '../query';
import { useCounter } from '../store';

const FORM = 'printer';
const KINDS = [
  'none',
  'system',
  'escpos-tcp',
  'escpos-device',
  'escpos-cups',
] as const satisfies readonly PrinterTarget['kind'][];
const PAPERS = ['80mm', '58mm', 'a5', 'a4'] as const satisfies readonly PrintingSettings['paper'][];
const NAMES = ['full', 'first', 'initials', 'none'] as const satisfies readonly PrintingSettings['nameOnSlip'][];
const ORDER = [
  'kind',
  'deviceName',
  'host',
  'port',
  'allowPublicHost',
  'path',
  'queue',
  'paper',
  'autoPrint',
  'nameOnSlip',
  'minutesPerPerson',
  'timeoutSeconds',
  'statusCheck',
] as const;

type Kind = PrinterTarget['kind'];

interface Values {
  kind: Kind;
  deviceName: string;
  host: string;
  port: string;
  /** the supervisor confirms a network printer outside this PC and the local network */
  allowPublicHost: boolean;
  path: string;
  queue: string;
  paper: PrintingSettings['paper'];
  autoPrint: boolean;
  nameOnSlip: PrintingSettings['nameOnSlip'];
  minutesPerPerson: string;
  timeoutSeconds: string;
  statusCheck: boolean;
}

const DEFAULTS = printingSettingsSchema.parse({});

function fromSettings(s: PrintingSettings | null | undefined): Values {
  const p = s ?? DEFAULTS;
  const printer = p.printer;
  return {
    kind: printer.kind,
    deviceName: printer.kind === 'system' ? printer.deviceName : '',
    host: printer.kind === 'escpos-tcp' ? printer.host : '',
    port: printer.kind === 'escpos-tcp' ? String(printer.port) : '9100',
    allowPublicHost: printer.kind === 'escpos-tcp' && printer.allowPublicHost === true,
    path: printer.kind === 'escpos-device' ? printer.path : '',
    queue: printer.kind === 'escpos-cups' ? printer.queue : '',
    paper: p.paper,
    autoPrint: p.autoPrint,
    nameOnSlip: p.nameOnSlip,
    minutesPerPerson: String(p.minutesPerPerson),
    timeoutSeconds: String(p.timeoutSeconds),
    statusCheck: p.statusCheck,
  };
}

/** Whole numbers only; anything else fails the schema's range check. */
const num = (s: string): number => (/^\d{1,6}$/.test(s.trim()) ? Number(s.trim()) : Number.NaN);

function printerOf(v: Values): Record<string, unknown> {
  switch (v.kind) {
    case 'none':
      return { kind: 'none' };
    case 'system':
      return { kind: 'system', deviceName: v.deviceName };
    case 'escpos-tcp':
      return { kind: 'escpos-tcp', host: v.host, port: v.port, ...(v.allowPublicHost ? { allowPublicHost: true } : {}) };
    case 'escpos-device':
      return { kind: 'escpos-device', path: v.path };
    case 'escpos-cups':
      return { kind: 'escpos-cups', queue: v.queue };
  }
}

/** The form's problems keyed by its field names (`printer.host` → `host`; a missing printer → `kind`). */
function keyed(p: FieldProblems): FieldProblems {
  const out: FieldProblems = {};
  for (const [k, v] of Object.entries(p)) {
    if (!v) continue;
    const field = k === 'printer' || k === 'printer.kind' ? 'kind' : k.startsWith('printer.') ? k.slice('printer.'.length) : k;
    // zod's own range messages: say it in the counter's words
    out[field] ??=
      v.code === 'invalid' && (field === 'minutesPerPerson' || field === 'timeoutSeconds') ? { code: 'number_range' } : v;
  }
  return out;
}

interface SystemPrinter {
  name: string;
  displayName: string;
  isDefault: boolean;
}

/** Supervisor: where slips are printed, on what paper, and a test slip to check it. */
export function PrinterSettings() {
  const { t } = useTranslation();
  const settings = useCounter((s) => s.appState?.printing);
  const run = useCounter((s) => s.run);
  const testPrint = useCounter((s) => s.testPrint);
  const [values, setValues] = useState<Values>(() => fromSettings(settings));
  const [dirty, setDirty] = useState(false);
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  // the operating system's printers, read once (a failure leaves the name to be typed)
  const printers = useCounterQuery('listSystemPrinters', {}, { reloadOn: never });
  const systemPrinters: SystemPrinter[] | null = printers.data ?? (printers.error ? [] : null);
  const [testJobId, setTestJobId] = useState<string | null>(null);
  const testJob = useCounter((s) => (testJobId ? (s.printJobs[testJobId] ?? null) : null));

  // settings saved elsewhere show up here, unless the supervisor is in the middle of a change
  useEffect(() => {
    if (!dirty) setValues(fromSettings(settings));
    // not on `dirty`: saving sets both, and the answer is already in the form
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [settings]);

  const set = <K extends keyof Values>(f: K, v: Values[K]) => {
    // a confirmation is for the address it was given with: a new address needs its own
    setValues((prev) => ({ ...prev, [f]: v, ...(f === 'host' && v !== prev.host ? { allowPublicHost: false } : {}) }));
    setDirty(true);
    setSaved(false);
    if (problems[f]) setProblems((p) => ({ ...p, [f]: undefined }));
    if (f === 'kind' && problems.kind) setProblems((p) => ({ ...p, kind: undefined }));
    if (f === 'allowPublicHost' && problems.host) setProblems((p) => ({ ...p, host: undefined }));
  };

  /** Checks and saves the form; true when the counter took it. */
  const save = async (): Promise<boolean> => {
    setError(null);
    const request = {
      printer: printerOf(values),
      paper: values.paper,
      autoPrint: values.autoPrint,
      nameOnSlip: values.nameOnSlip,
      minutesPerPerson: num(values.minutesPerPerson),
      timeoutSeconds: num(values.timeoutSeconds),
      statusCheck: values.statusCheck,
    };
    const parsed = printingSettingsSchema.safeParse(request);
    if (!parsed.success) {
      const p = keyed(zodProblems(parsed.error));
      setProblems(p);
      focusFirstInvalid(FORM, ORDER, p);
      return false;
    }
    setBusy(true);
    const r = await run('updatePrintingSettings', parsed.data);
    setBusy(false);
    if (r.ok) {
      setProblems({});
      setDirty(false);
      setSaved(true);
      setValues(fromSettings(r.value.printing));
      return true;
    }
    const p = keyed(appProblems(r.error.fields));
    if (hasProblems(p)) {
      setProblems(p);
      focusFirstInvalid(FORM, ORDER, p);
    }
    setError(r.error);
    return false;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    await save();
  };

  const test = async () => {
    if (busy) return;
    if (dirty && !(await save())) return;
    setError(null);
    setSaved(false);
    setBusy(true);
    const r = await testPrint();
    setBusy(false);
    if (r.ok) setTestJobId(r.value.id);
    else {
      setTestJobId(null);
      const p = keyed(appProblems(r.error.fields));
      if (hasProblems(p)) setProblems(p);
      setError(r.error);
    }
  };

  const text = (
    f: 'host' | 'port' | 'path' | 'queue' | 'deviceName' | 'minutesPerPerson' | 'timeoutSeconds',
    label: string,
    hint?: string,
    short?: boolean,
  ) => (
    <Field form={FORM} name={f} label={label} hint={hint} testId={`printer-${f}`} problem={problems[f]}>
      {(c) => (
        <input
          {...c}
          className={short ? 'input-short' : undefined}
          inputMode={short ? 'numeric' : undefined}
          autoComplete="off"
          spellCheck={false}
          value={values[f]}
          onChange={(e) => set(f, e.target.value)}
        />
      )}
    </Field>
  );

  const select = <F extends 'kind' | 'paper' | 'nameOnSlip'>(
    f: F,
    label: string,
    options: readonly Values[F][],
    labelOf: (o: Values[F]) => string,
  ) => (
    <Field form={FORM} name={f} label={label} testId={`printer-${f}`} problem={problems[f]}>
      {(c) => (
        <select {...c} value={values[f]} onChange={(e) => set(f, e.target.value as Values[F])}>
          {options.map((o) => (
            <option key={o} value={o}>
              {labelOf(o)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );

  const check = (f: 'autoPrint' | 'statusCheck' | 'allowPublicHost', label: string) => (
    <div className="field field-check">
      <label>
        <input
          type="checkbox"
          id={`${FORM}-${f}`}
          data-testid={`printer-${f}`}
          checked={values[f]}
          onChange={(e) => set(f, e.target.checked)}
        />{' '}
        {label}
      </label>
    </div>
  );

  const systemList = systemPrinters ?? [];
  const deviceInList = systemList.some((p) => p.name === values.deviceName);

  return (
    <section className="panel" aria-labelledby="printer-title">
      <h2 id="printer-title">{t('printer.title')}</h2>
      <p className="intro">{t('printer.intro')}</p>
      <form noValidate className="form printer-form" onSubmit={submit} aria-busy={busy}>
        {select('kind', t('printer.kind'), KINDS, (k) => tDynamic(t, `printer.kinds.${k}`, 'printer.kinds.none'))}

        {values.kind === 'system' ? (
          systemList.length > 0 ? (
            <Field
              form={FORM}
              name="deviceName"
              label={t('printer.deviceName')}
              testId="printer-deviceName"
              problem={problems.deviceName}
            >
              {(c) => (
                <select {...c} value={values.deviceName} onChange={(e) => set('deviceName', e.target.value)}>
                  <option value="">{t('printer.deviceChoose')}</option>
                  {!deviceInList && values.deviceName ? (
                    <option value={values.deviceName}>{t('printer.deviceMissing', { name: values.deviceName })}</option>
                  ) : null}
                  {systemList.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.isDefault ? t('printer.deviceDefault', { name: p.displayName }) : p.displayName}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : (
            text('deviceName', t('printer.deviceName'), t('printer.deviceNameHint'))
          )
        ) : null}

        {values.kind === 'escpos-tcp' ? (
          <div className="field-row">
            {text('host', t('printer.host'), t('printer.hostHint'))}
            {text('port', t('printer.port'), t('printer.portHint'), true)}
          </div>
        ) : null}
        {values.kind === 'escpos-tcp' ? check('allowPublicHost', t('printer.allowPublicHost')) : null}
        {values.kind === 'escpos-device' ? text('path', t('printer.path'), t('printer.pathHint')) : null}
        {values.kind === 'escpos-cups' ? text('queue', t('printer.queue'), t('printer.queueHint')) : null}

        {select('paper', t('printer.paper'), PAPERS, (p) => t(`printer.papers.${p}`))}
        {check('autoPrint', t('printer.autoPrint'))}
        {select('nameOnSlip', t('printer.nameOnSlip'), NAMES, (n) => t(`printer.names.${n}`))}
        <div className="field-row">
          {text('minutesPerPerson', t('printer.minutesPerPerson'), t('printer.minutesPerPersonHint'), true)}
          {text('timeoutSeconds', t('printer.timeoutSeconds'), t('printer.timeoutSecondsHint'), true)}
        </div>
        {values.kind.startsWith('escpos-') ? check('statusCheck', t('printer.statusCheck')) : null}

        <Notice error={error} message={saved ? t('printer.saved') : null} />
        <div className="actions">
          <button type="submit" className="primary" data-testid="printer-save" disabled={busy}>
            {t('printer.save')}
          </button>
          <button type="button" data-testid="printer-test" disabled={busy || values.kind === 'none'} onClick={() => void test()}>
            {dirty ? t('printer.saveAndTest') : t('printer.test')}
          </button>
        </div>
        <div className="printer-result-region" aria-live="polite">
          {testJob ? (
            <div
              className={`notice ${testJob.status === 'failed' ? 'notice-error' : testJob.status === 'printed' ? 'notice-ok' : 'notice-progress'}`}
              data-testid="printer-result"
              data-status={testJob.status}
              data-code={testJob.errorCode ?? ''}
            >
              {testJob.status === 'printed'
                ? t('printer.testPrinted', { printer: testJob.printer })
                : testJob.status === 'failed'
                  ? t('printer.testFailed', { reason: printErrorText(t, testJob.errorCode) })
                  : t('printer.testPrinting', { printer: testJob.printer })}
            </div>
          ) : null}
        </div>
      </form>
    </section>
  );
}

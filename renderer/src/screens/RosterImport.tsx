import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_ROSTER_BYTES } from '../../../common/contract';
import type { RosterInfo } from '../../../common/domain';
import type { AppError, Result } from '../../../common/result';
import { FieldError } from '../components/FieldError';
import { Notice } from '../components/Notice';
import { timeOf } from '../errors';
import { useCounter } from '../store';
import { currentLang, fieldErrorText, type Lang } from '../i18n';

function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.readAsText(file, 'utf-8');
  });
}

/** The extension decides; a file without one is JSON when it looks like it. */
export function rosterFormat(fileName: string, content: string): 'json' | 'csv' {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.csv$/i.test(fileName)) return 'csv';
  return content.trimStart().startsWith('{') ? 'json' : 'csv';
}

/** Row problems come as `column: code`; the code is a field error key and is said in words. */
export function rosterReason(reason: string, lang: Lang): string {
  const m = /^([A-Za-z_]+): ([a-z0-9_]+)$/.exec(reason);
  return m ? `${m[1]}: ${fieldErrorText(lang, m[2] ?? 'invalid')}` : reason;
}

function RejectedDetail({ error }: { error: AppError }) {
  const { t } = useTranslation();
  const d = error.details ?? {};
  const line = typeof d.line === 'number' ? d.line : null;
  const reason = rosterReason(typeof d.reason === 'string' ? d.reason : error.message, currentLang());
  const field = typeof d.field === 'string' && d.field ? d.field : null;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{t('roster.rejectedTitle')}</strong>
      <div data-testid="roster-line" data-line={line ?? ''}>
        {line !== null ? t('roster.rejectedLine', { line, reason }) : reason}
      </div>
      {field ? <div>{t('roster.rejectedField', { field })}</div> : null}
    </div>
  );
}

/** Supervisor: loads the day's roster exported from the portal. */
export function RosterImport() {
  const { t, i18n } = useTranslation();
  const run = useCounter((s) => s.run);
  const app = useCounter((s) => s.appState);
  const [busyFile, setBusyFile] = useState<string | null>(null);
  const [result, setResult] = useState<Result<RosterInfo> | null>(null);
  const [tooLarge, setTooLarge] = useState(false);
  const [readError, setReadError] = useState<AppError | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const onFile = async (file: File | undefined) => {
    if (!file || busyFile) return;
    setResult(null);
    setReadError(null);
    setTooLarge(file.size > MAX_ROSTER_BYTES);
    if (file.size > MAX_ROSTER_BYTES) return;
    setBusyFile(file.name);
    try {
      const content = await readText(file);
      const fileName = file.name.slice(-260) || 'roster';
      setResult(await run('importRoster', { fileName, format: rosterFormat(file.name, content), content }));
    } catch (e) {
      setReadError({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusyFile(null);
      // the same file may be chosen again after it is fixed
      if (inputRef.current) inputRef.current.value = '';
    }
  };

  const roster = app?.roster;
  const lang = i18n.language;
  return (
    <section className="panel" aria-labelledby="roster-title">
      <h2 id="roster-title">{t('roster.title')}</h2>
      <p className="intro">{t('roster.intro')}</p>
      <p className={roster && !roster.stale ? '' : 'warn'} data-testid="roster-current">
        {roster
          ? t('roster.current', {
              day: roster.day,
              count: roster.count,
              time: timeOf(roster.importedAt, lang, app?.centre?.timeZone),
              source: roster.source,
            })
          : t('roster.none')}
      </p>
      <div className="field">
        <label htmlFor="roster-file">{t('roster.file')}</label>
        <input
          ref={inputRef}
          id="roster-file"
          type="file"
          accept=".csv,.json,text/csv,application/json"
          data-testid="roster-file"
          disabled={busyFile !== null}
          aria-invalid={tooLarge}
          aria-describedby={tooLarge ? 'roster-file-error' : undefined}
          onChange={(e) => void onFile(e.target.files?.[0])}
        />
        <FieldError id="roster-file-error" field="file" problem={tooLarge ? { code: 'file_too_large' } : undefined} />
      </div>
      <div className="roster-result" data-testid="roster-result" data-ok={result ? String(result.ok) : ''} aria-live="assertive">
        {busyFile ? <p>{t('roster.importing', { file: busyFile })}</p> : null}
        {result?.ok ? (
          <div className="notice notice-ok" data-count={result.value.count} data-day={result.value.day}>
            {t('roster.imported', { count: result.value.count, day: result.value.day })}
            {result.value.stale ? <div className="warn">{t('roster.importedStale', { day: result.value.day })}</div> : null}
          </div>
        ) : null}
        {result && !result.ok && result.error.code === 'ROSTER_REJECTED' ? <RejectedDetail error={result.error} /> : null}
      </div>
      <Notice error={readError ?? (result && !result.ok && result.error.code !== 'ROSTER_REJECTED' ? result.error : null)} />
    </section>
  );
}

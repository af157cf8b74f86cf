/**
 * Turning errors into words: field errors (from the shared schemas or from main) keyed by
 * form field, and one sentence for an `AppError` in the UI language.
 */
import type { TFunction } from 'i18next';
import type { z } from 'zod';
import type { AppError, FieldError } from '../../common/result';
import { tDynamic } from './i18n';
import { TRANSPORT_FAILURE } from './api';

export interface FieldProblem {
  /** i18n key below `errors.field.` */
  code: string;
  values?: Record<string, string | number>;
}
export type FieldProblems = Partial<Record<string, FieldProblem>>;

// the schemas carry i18n keys as messages; zod's own English sentences become `invalid`
const asCode = (message: string): string => (/^[a-z0-9_]+$/.test(message) ? message : 'invalid');

/** First problem of each field of a failed `safeParse`, keyed by the path below `prefix` (e.g. `form.`). */
export function zodProblems(error: z.ZodError, prefix = ''): FieldProblems {
  const out: FieldProblems = {};
  for (const issue of error.issues) {
    let path = issue.path.map(String).join('.');
    if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length);
    if (!out[path]) out[path] = { code: asCode(issue.message) };
  }
  return out;
}

/** Field errors sent by main, keyed like `zodProblems`. */
export function appProblems(fields: FieldError[] | undefined, prefix = ''): FieldProblems {
  const out: FieldProblems = {};
  for (const f of fields ?? []) {
    const path = prefix && f.field.startsWith(prefix) ? f.field.slice(prefix.length) : f.field;
    if (!out[path]) out[path] = { code: f.code };
  }
  return out;
}

export const hasProblems = (p: FieldProblems): boolean => Object.values(p).some(Boolean);

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * One date formatter per locale and options, made once: making one costs far more than using
 * it, and the status bar formats its times on every sync status.
 */
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale} ${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formats.set(key, f);
  }
  return f;
}

/** Time of day of an ISO instant, for "locked until". */
export function timeOf(iso: string, lang: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', {
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(d);
}

/** One sentence for an error, in the UI language, with what its details add. */
export function describeError(t: TFunction, error: AppError, lang = 'en', timeZone?: string): string {
  const d = error.details ?? {};
  if (d[TRANSPORT_FAILURE]) return t('errors.transport');
  const base = (values?: Record<string, string | number>) =>
    tDynamic(t, `errors.code.${error.code}`, 'errors.code.INTERNAL', values);
  switch (error.code) {
    case 'ALREADY_CHECKED_IN':
      return base({ token: str(d.token) });
    case 'INVALID_TRANSITION':
      return base({
        token: str(d.token),
        status: tDynamic(t, `ticketStatus.${str(d.status)}`, 'errors.field.invalid'),
      });
    case 'ACCOUNT_LOCKED':
      return typeof d.until === 'string' ? t('signIn.lockedUntil', { time: timeOf(d.until, lang, timeZone) }) : base();
    case 'NOT_DISMISSIBLE':
      return tDynamic(t, `errors.notDismissible.${str(d.why)}`, 'errors.code.NOT_DISMISSIBLE', { token: str(d.token) });
    case 'NOT_FOUND':
      if (d.queueEmpty) return t('errors.queueEmpty');
      if (typeof d.refId === 'string') return t('errors.notInRoster', { refId: d.refId });
      return base();
    case 'ROSTER_REJECTED': {
      const reason = str(d.reason) || error.message;
      return typeof d.line === 'number' ? t('roster.rejectedLine', { line: d.line, reason }) : t('roster.rejected', { reason });
    }
    case 'VALIDATION': {
      const first = error.fields?.[0];
      if (!first) return base();
      // no printer set up: say so plainly, not as a form problem
      if (first.code === 'printer_not_configured') return t('errors.print.printer_not_configured');
      return `${base()} ${first.field}: ${tDynamic(t, `errors.field.${first.code}`, 'errors.field.invalid')}`;
    }
    default:
      return base();
  }
}

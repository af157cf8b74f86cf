/**
 * Words for the sync with the portal: ages, times, the kind of a record and why an upload
 * failed, in the UI language. Ages are worked out here from main's timestamps and a clock
 * that ticks in the renderer, so "oldest 12 min" stays true between refreshes.
 */
import { useEffect, useState } from 'react';
import type { TFunction } from 'i18next';
import { UNKNOWN_SYNC_STATUS, type SyncStatusView } from '../../common/domain';
import { dateFormat, timeOf } from './errors';
import { tDynamic } from './i18n';

/** The heading of the needs-attention screen: where the status bar's link puts the cursor. */
export const ATTENTION_TITLE_ID = 'attention-title';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The current time, moving on every `everyMs` while the component is shown. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** A length of time in words: "under 1 min", "12 min", "2 h 5 min", "3 days". */
export function durationText(t: TFunction, ms: number): string {
  const d = Math.max(0, ms);
  if (d < MINUTE) return t('sync.age.underMinute');
  if (d < HOUR) return t('common.minutes', { count: Math.floor(d / MINUTE) });
  if (d < DAY) return t('sync.age.hours', { hours: Math.floor(d / HOUR), minutes: Math.floor((d % HOUR) / MINUTE) });
  return t('sync.age.days', { count: Math.floor(d / DAY) });
}

/** How long ago an ISO instant was; null when it is not a time. */
export function ageOf(t: TFunction, iso: string | null, now: number): string | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : durationText(t, now - at);
}

const dayKey = (ms: number, timeZone?: string) =>
  dateFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(ms));

/** An instant for people: the time of day when it is today, else the date and the time. */
export function whenText(iso: string, lang: string, now: number, timeZone?: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const time = timeOf(iso, lang, timeZone);
  if (dayKey(at, timeZone) === dayKey(now, timeZone)) return time;
  const date = dateFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', {
    day: 'numeric',
    month: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(at));
  return `${date} ${time}`;
}

/** The kind of an outbox record in words (`walkin.registered` → "Walk-in registration"); an unknown kind as it came. */
export function recordKindText(t: TFunction, kind: string): string {
  return tDynamic(t, `sync.kind.${kind.replace(/[^a-z0-9]/gi, '_')}`, 'sync.kind.other', { kind });
}

/** Why the last upload failed, in words; a code the renderer does not know is shown with main's message. */
export function syncErrorText(t: TFunction, error: NonNullable<SyncStatusView['lastError']>): string {
  return tDynamic(t, `sync.error.${error.code.toLowerCase()}`, 'sync.error.other', { code: error.code });
}

/** The sync status of a counter whose main does not report one yet: only the outbox count is known. */
export function syncFromOutbox(pending: number): SyncStatusView {
  return { ...UNKNOWN_SYNC_STATUS, pending };
}

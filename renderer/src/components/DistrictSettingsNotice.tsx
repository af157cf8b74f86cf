import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DistrictSettingsView } from '../../../common/domain';
import { dateFormat } from '../errors';
import { useCounter } from '../store';

/** Where the page remembers the last district version dismissed, per centre (it survives a reload). */
const storageKey = (centreId: string) => `district.dismissedVersion.${centreId}`;

function dismissedVersion(centreId: string): number {
  try {
    const v = Number(globalThis.localStorage?.getItem(storageKey(centreId)));
    return Number.isSafeInteger(v) ? v : 0;
  } catch {
    return 0;
  }
}

function rememberDismissed(centreId: string, version: number): void {
  try {
    globalThis.localStorage?.setItem(storageKey(centreId), String(version));
  } catch {
    // no storage (a locked-down profile): dismissed for as long as the page is open
  }
}

/** When the version was applied, as a date and time of the centre. */
function appliedTime(d: DistrictSettingsView, lang: string, timeZone: string | undefined): string {
  const at = new Date(d.appliedAt);
  if (Number.isNaN(at.getTime())) return d.appliedAt;
  return dateFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(at);
}

/**
 * "Settings updated by the district (version N, time)": shown once per new version of the
 * district's settings, until someone at this counter dismisses it.
 */
export function DistrictSettingsNotice() {
  const { t, i18n } = useTranslation();
  const district = useCounter((s) => s.appState?.district ?? null);
  const centreId = useCounter((s) => s.appState?.centre?.id ?? '');
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  // the version dismissed, as this page knows it (read from storage once per centre)
  const [dismissed, setDismissed] = useState<{ centreId: string; version: number } | null>(null);
  if (!district || !centreId) return null;
  const seen = dismissed?.centreId === centreId ? dismissed.version : dismissedVersion(centreId);
  if (district.version <= seen) return null;
  const dismiss = () => {
    rememberDismissed(centreId, district.version);
    setDismissed({ centreId, version: district.version });
  };
  const parts = district.parts.map((p) => t(`district.parts.${p}`)).join(', ');
  return (
    <div className="notice notice-ok district-notice" role="status" data-testid="district-notice" data-version={district.version}>
      <span>
        {t('district.updated', { version: district.version, time: appliedTime(district, i18n.language, timeZone) })}
        {parts ? ` ${t('district.updatedParts', { parts })}` : null}
      </span>{' '}
      <button type="button" data-testid="district-notice-dismiss" onClick={dismiss}>
        {t('district.dismiss')}
      </button>
    </div>
  );
}

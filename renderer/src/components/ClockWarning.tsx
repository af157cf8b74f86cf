import { useTranslation } from 'react-i18next';
import { useCounter } from '../store';
import { durationText } from '../sync';

/** Further than this from the portal's clock, the operator is warned (the portal's fleet view flags the same). */
export const CLOCK_TOLERANCE_MS = 2 * 60 * 1000;

/**
 * Next to the sync status: this PC's clock is more than 2 minutes off the portal's (as the
 * sync worker measured it on the portal's Date header). Says how far, which way, and why it
 * matters: the counter's "today" and every time it records come from this PC's clock.
 */
export function ClockWarning() {
  const { t } = useTranslation();
  const offset = useCounter((s) => s.appState?.sync?.clockOffsetMs ?? null);
  if (offset === null || Math.abs(offset) <= CLOCK_TOLERANCE_MS) return null;
  // the offset is the portal's clock minus this PC's: positive, this PC is behind
  const amount = durationText(t, Math.abs(offset));
  return (
    <div
      className="status-item status-warn clock-warning"
      role="status"
      data-testid="clock-warning"
      data-offset-ms={offset}
      aria-label={t('clock.label')}
    >
      <strong>{t(offset > 0 ? 'clock.behind' : 'clock.ahead', { amount })}</strong> <span>{t('clock.why')}</span>
    </div>
  );
}

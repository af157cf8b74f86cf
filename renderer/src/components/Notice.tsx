import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../common/result';
import { describeError } from '../errors';
import { currentLang } from '../i18n';
import { useCounter } from '../store';

interface NoticeProps {
  error?: AppError | null | undefined;
  /** a success or progress message, when there is no error */
  message?: string | null | undefined;
  testId?: string;
  messageTestId?: string;
  /** says the error in the panel's own words instead of the error code's */
  errorText?: string | null | undefined;
}

/**
 * The live region of a panel: always in the page (so screen readers hear changes), showing
 * the last error of an action or what it achieved.
 */
export function Notice({ error, message, testId = 'action-error', messageTestId = 'action-message', errorText }: NoticeProps) {
  const { t } = useTranslation();
  const timeZone = useCounter((s) => s.appState?.centre?.timeZone);
  return (
    <div className="notice-region" aria-live="assertive" aria-atomic="true">
      {error ? (
        <div className="notice notice-error" role="alert" data-testid={testId} data-code={error.code}>
          {errorText || describeError(t, error, currentLang(), timeZone)}
        </div>
      ) : message ? (
        <div className="notice notice-ok" data-testid={messageTestId}>
          {message}
        </div>
      ) : null}
    </div>
  );
}

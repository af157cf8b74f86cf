import { useTranslation } from 'react-i18next';
import { useCounter } from '../store';

/** The token just given out, big enough to read out and copy onto the slip. */
export function IssuedToken() {
  const { t } = useTranslation();
  const issued = useCounter((s) => s.issued);
  return (
    <div className="issued-region" aria-live="polite" aria-atomic="true">
      {issued ? (
        <div className={`issued issued-${issued.lane}`}>
          <div className="issued-head">
            <span className="issued-label">{t('issued.label')}</span>
            <span className="issued-name">{issued.name}</span>
          </div>
          <div className="issued-token" data-testid="issued-token" data-token={issued.token} data-lane={issued.lane}>
            {issued.lane === 'priority'
              ? t('issued.priority', { token: issued.token })
              : t('issued.walkin', { token: issued.token })}
          </div>
          {issued.late ? <div className="issued-note">{t('issued.late')}</div> : null}
          {!issued.verified ? <div className="issued-note">{t('issued.unverified')}</div> : null}
        </div>
      ) : null}
    </div>
  );
}

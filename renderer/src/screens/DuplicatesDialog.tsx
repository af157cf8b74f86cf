import { useTranslation } from 'react-i18next';
import type { DuplicateCandidate } from '../../../common/domain';
import { Dialog } from '../components/Dialog';
import { Kbd } from '../components/Kbd';

interface Props {
  candidates: DuplicateCandidate[];
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * People already registered today who may be the same person. The focus starts on Cancel:
 * registering anyway must be a deliberate choice, never a stray Enter.
 */
export function DuplicatesDialog({ candidates, busy, onConfirm, onCancel }: Props) {
  const { t } = useTranslation();
  return (
    <Dialog
      title={t('duplicates.title')}
      onClose={onCancel}
      testId="duplicates-panel"
      initialFocus="[data-testid='duplicates-cancel']"
    >
      <p className="intro">{t('duplicates.intro')}</p>
      <ul className="duplicates">
        {candidates.map((d) => (
          <li key={`${d.kind}:${d.id}`} className="duplicate" data-testid="duplicate-candidate" data-id={d.id}>
            <div className="duplicate-name">{d.name}</div>
            <div>
              {t('duplicates.born', { year: d.birthYear })} · {t(`duplicates.kind.${d.kind}`)}
            </div>
            <div className="duplicate-reason">{t(`duplicates.reason.${d.reason}`)}</div>
            <div>{d.token ? t('duplicates.token', { token: d.token }) : t('duplicates.noToken')}</div>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="warning" data-testid="duplicates-confirm" disabled={busy} onClick={onConfirm}>
          {t('duplicates.confirm')}
        </button>
        <button type="button" data-testid="duplicates-cancel" onClick={onCancel}>
          {t('duplicates.cancel')} <Kbd>Esc</Kbd>
        </button>
      </div>
    </Dialog>
  );
}

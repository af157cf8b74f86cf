import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TicketView } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { appProblems, type FieldProblems } from '../errors';
import { useCounter } from '../store';

/** Cancelling a ticket needs a reason: it goes to the audit log and the portal. */
export function CancelDialog({ ticket, onClose }: { ticket: TicketView; onClose: () => void }) {
  const { t } = useTranslation();
  const cancelTicket = useCounter((s) => s.cancelTicket);
  const [reason, setReason] = useState('');
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!reason.trim()) {
      setProblems({ reason: { code: 'required' } });
      return;
    }
    setBusy(true);
    const r = await cancelTicket(ticket.id, reason.trim());
    setBusy(false);
    if (r.ok) return onClose();
    setProblems(appProblems(r.error.fields));
    setError(r.error);
  };

  return (
    <Dialog
      title={t('cancelTicket.title', { token: ticket.token })}
      onClose={onClose}
      testId="cancel-dialog"
      initialFocus="#cancel-reason"
    >
      <form noValidate onSubmit={submit} className="form" aria-busy={busy}>
        <Field form="cancel" name="reason" label={t('cancelTicket.reason')} testId="cancel-reason" problem={problems.reason}>
          {(c) => <input {...c} value={reason} maxLength={200} autoComplete="off" onChange={(e) => setReason(e.target.value)} />}
        </Field>
        <Notice error={error} />
        <div className="actions">
          <button type="submit" className="warning" data-testid="cancel-submit" disabled={busy}>
            {t('cancelTicket.submit')}
          </button>
          <button type="button" onClick={onClose}>
            {t('cancelTicket.keep')} <Kbd>Esc</Kbd>
          </button>
        </div>
      </form>
    </Dialog>
  );
}

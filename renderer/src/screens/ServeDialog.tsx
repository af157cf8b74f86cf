import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { contract } from '../../../common/contract';
import type { TicketView } from '../../../common/domain';
import type { AppError } from '../../../common/result';
import { DoseOptions } from '../components/ChoiceOptions';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { Kbd } from '../components/Kbd';
import { Notice } from '../components/Notice';
import { zodProblems, type FieldProblems } from '../errors';
import { focusFirstInvalid, showRefusal } from '../focus';
import { useCounter } from '../store';

const FORM = 'serve';
const ORDER = ['vaccine', 'lotNumber', 'dose'] as const;

/** Records the vaccination of a called ticket: vaccine, lot and dose (the portal needs all three). */
export function ServeDialog({ ticket, onClose }: { ticket: TicketView; onClose: () => void }) {
  const { t } = useTranslation();
  const vaccines = useCounter((s) => s.appState?.vaccines ?? []);
  const lastServe = useCounter((s) => s.lastServe);
  const serveTicket = useCounter((s) => s.serveTicket);
  const [vaccine, setVaccine] = useState(() =>
    lastServe && vaccines.some((v) => v.code === lastServe.vaccine) ? lastServe.vaccine : (vaccines[0]?.code ?? ''),
  );
  const [lotNumber, setLotNumber] = useState(lastServe?.lotNumber ?? '');
  const [dose, setDose] = useState(String(ticket.dose ?? 1));
  const [problems, setProblems] = useState<FieldProblems>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const request = () => ({ ticketId: ticket.id, vaccine, lotNumber, dose: Number(dose) });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const parsed = contract.serveTicket.request.safeParse(request());
    if (!parsed.success) {
      const p = zodProblems(parsed.error);
      setProblems(p);
      focusFirstInvalid(FORM, ORDER, p);
      return;
    }
    setProblems({});
    setBusy(true);
    const r = await serveTicket(parsed.data);
    setBusy(false);
    if (r.ok) {
      onClose();
      return;
    }
    showRefusal(r.error, FORM, ORDER, setProblems, setError);
  };

  return (
    <Dialog
      title={t('serve.title', { token: ticket.token })}
      onClose={onClose}
      testId="serve-dialog"
      initialFocus="#serve-lotNumber"
    >
      <p className="intro">
        <span className="token">{ticket.token}</span> {ticket.name}
      </p>
      <form noValidate onSubmit={submit} className="form" aria-busy={busy}>
        <Field form={FORM} name="vaccine" label={t('serve.vaccine')} testId="serve-vaccine" problem={problems.vaccine}>
          {(c) => (
            <select {...c} value={vaccine} onChange={(e) => setVaccine(e.target.value)}>
              {vaccines.map((v) => (
                <option key={v.code} value={v.code}>
                  {v.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field form={FORM} name="lotNumber" label={t('serve.lotNumber')} testId="serve-lot" problem={problems.lotNumber}>
          {(c) => (
            <input
              {...c}
              value={lotNumber}
              autoComplete="off"
              spellCheck={false}
              maxLength={20}
              onChange={(e) => {
                setLotNumber(e.target.value.toUpperCase());
                if (problems.lotNumber) setProblems((p) => ({ ...p, lotNumber: undefined }));
              }}
            />
          )}
        </Field>
        <Field form={FORM} name="dose" label={t('serve.dose')} testId="serve-dose" problem={problems.dose}>
          {(c) => (
            <select {...c} value={dose} onChange={(e) => setDose(e.target.value)}>
              <DoseOptions />
            </select>
          )}
        </Field>
        <Notice error={error} />
        <div className="actions">
          <button type="submit" className="primary" data-testid="serve-submit" disabled={busy}>
            {t('serve.submit')} <Kbd>Enter</Kbd>
          </button>
          <button type="button" onClick={onClose}>
            {t('common.cancel')} <Kbd>Esc</Kbd>
          </button>
        </div>
      </form>
    </Dialog>
  );
}

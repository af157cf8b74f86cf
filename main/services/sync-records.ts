/**
 * The main process's view of sync: records the portal rejected (needing attention), their
 * correction and resend, and the supervisor's reconciliation of what is pending, rejected or
 * flagged as a possible duplicate. The uploading itself happens in the sync worker.
 */
import { stringify } from 'csv-stringify/sync';
import { addDays } from '../../common/rules/centre-day';
import type { NeedsAttentionItem, ReconciliationRow, ReconciliationView, WalkInForm } from '../../common/domain';
import { DomainError } from '../../common/result';
import { scrubWal, type Db } from '../store/database';
import type { ServiceContext } from './context';
import { insertAudit } from '../store/audit';
import {
  acknowledgedCountOfDays,
  dismissOutboxRow,
  getOutboxRow,
  linkCorrection,
  needsAttentionRows,
  reconciliationRows,
  reducePhotoId,
  type OutboxEntry,
} from '../store/outbox';
import {
  getTicketRow,
  openTicketsByDay,
  otherActiveTokenOfRef,
  setTicketRefAndName,
  setWalkInTicketNameAndDose,
  ticketOfRecord,
} from '../store/tickets';
import { correctWalkInPerson } from '../store/walk-ins';
import { appendOutbox } from './outbox';
import { personColumns, personOf } from './walk-ins';

type Payload = Record<string, unknown> & {
  day?: string;
  ticketId?: string;
  token?: string;
  name?: string;
  refId?: string;
  operatorId?: string;
  counterCode?: string;
  person?: Record<string, unknown>;
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function ticketOf(db: Db, p: Payload): { token: string; name: string } | undefined {
  return typeof p.ticketId === 'string' ? getTicketRow(db, p.ticketId) : undefined;
}

/** Rejected records not yet resent, oldest first. */
export function listNeedsAttention(db: Db): NeedsAttentionItem[] {
  const rows = needsAttentionRows(db, 1000);
  return rows.map((r) => {
    const p = JSON.parse(r.payload) as Payload;
    const t = ticketOf(db, p);
    const person = p.person ?? {};
    const walkIn =
      r.kind === 'walkin.registered'
        ? {
            name: String(person.name ?? ''),
            gender: String(person.gender ?? ''),
            birthYear: Number(person.birthYear ?? 0),
            mobile: String(person.mobile ?? ''),
            photoIdType: String(person.photoIdType ?? ''),
            photoIdNumber: String(person.photoIdNumber ?? ''),
            comorbidity: person.comorbidity === true,
            dose: Number(p.dose ?? 1),
          }
        : null;
    const checkIn = r.kind === 'checkin.created' ? { refId: String(p.refId ?? ''), name: String(p.name ?? t?.name ?? '') } : null;
    return {
      seq: r.seq,
      mutationId: r.mutation_id,
      kind: r.kind,
      recordId: r.record_id,
      day: str(p.day),
      token: t?.token ?? str(p.token),
      name: t?.name ?? str(person.name) ?? str(p.name),
      code: r.reject_code ?? 'rejected',
      reason: r.last_error ?? '',
      createdAt: r.created_at,
      correctable: walkIn ? 'walkin' : checkIn ? 'checkin' : 'none',
      walkIn,
      checkIn,
    };
  });
}

export interface ResendInput {
  seq: number;
  walkIn?: WalkInForm | undefined;
  checkIn?: { refId: string; name: string } | undefined;
}

/**
 * Resends a rejected record: the correction (if any) is made to the local record and a new
 * outbox row (new sequence number, new mutation ID, same record ID) is written in one
 * transaction. The rejected row stays, pointing at the row that replaced it.
 */
export function resendRecord(ctx: ServiceContext, input: ResendInput): { seq: number } {
  const { db } = ctx;
  return db
    .transaction(() => {
      const row = needingAttention(db, input.seq);
      const at = ctx.clock().toISOString();
      const payload = JSON.parse(row.payload) as Payload;
      if (input.walkIn && row.kind !== 'walkin.registered') {
        throw new DomainError('VALIDATION', 'only a walk-in takes walk-in corrections', {
          fields: [{ field: 'walkIn', code: 'not_walkin' }],
        });
      }
      if (input.checkIn && row.kind !== 'checkin.created') {
        throw new DomainError('VALIDATION', 'only a check-in takes check-in corrections', {
          fields: [{ field: 'checkIn', code: 'not_checkin' }],
        });
      }
      if (input.walkIn) correctWalkIn(ctx, row.record_id, payload, input.walkIn);
      if (input.checkIn) correctCheckIn(ctx, row.record_id, payload, input.checkIn);
      payload.correctionOf = row.mutation_id;
      payload.resentAt = at;
      payload.resentBy = ctx.operator.id;
      const seq = appendOutbox(db, row.kind, row.record_id, payload, at);
      linkCorrection(db, row.seq, seq);
      insertAudit(db, {
        at,
        operatorId: ctx.operator.id,
        action: 'outbox.resent',
        detail: {
          rejectedSeq: row.seq,
          seq,
          kind: row.kind,
          recordId: row.record_id,
          corrected: Boolean(input.walkIn ?? input.checkIn),
        },
      });
      return { seq };
    })
    .immediate();
}

/** The outbox row `seq`, if it still needs attention: rejected, and neither resent nor dismissed. */
function needingAttention(db: Db, seq: number): OutboxEntry {
  const row = getOutboxRow(db, seq);
  if (!row) throw new DomainError('NOT_FOUND', `no outbox record ${seq}`);
  if (row.state !== 'rejected') throw new DomainError('CONFLICT', `record ${seq} was not rejected (${row.state})`);
  if (row.corrected_by !== null) {
    throw new DomainError('CONFLICT', `record ${row.seq} was already resent`, { details: { seq: row.corrected_by } });
  }
  if (row.dismissed_at !== null) {
    throw new DomainError('CONFLICT', `record ${row.seq} was dismissed`, { details: { seq: row.seq } });
  }
  return row;
}

/**
 * A vaccination is never dismissed, nor the record of a person who was vaccinated: those are
 * corrected and resent. The record of a ticket still open (waiting, called, no-show) is
 * dismissed only once the ticket is cancelled, so no later event of it goes to the portal.
 */
function mayBeDismissed(db: Db, row: OutboxEntry): void {
  const refuse = (why: 'vaccination' | 'served' | 'open', message: string, token?: string) => {
    throw new DomainError('NOT_DISMISSIBLE', message, { details: { why, ...(token ? { token } : {}) } });
  };
  if (row.kind === 'vaccination.recorded') refuse('vaccination', 'a vaccination cannot be dismissed: correct and resend it');
  if (row.kind !== 'walkin.registered' && row.kind !== 'checkin.created') return;
  const ticket = ticketOfRecord(db, row.record_id);
  if (ticket?.status === 'served') {
    refuse('served', `${ticket.token} was vaccinated: correct the record and resend it`, ticket.token);
  }
  if (ticket && ['waiting', 'called', 'no_show'].includes(ticket.status)) {
    refuse('open', `${ticket.token} is still ${ticket.status}: cancel the ticket first`, ticket.token);
  }
}

/**
 * A supervisor dismisses a rejected record instead of resending it: nothing goes to the
 * portal, the row stays rejected (and in the reconciliation, as dismissed, with who and why),
 * and the audit log has it. A walk-in's full photo-ID number, no longer to be sent, is
 * reduced to its last 4 as after an upload (now, or after the configured retention; its
 * mobile number after the mobile retention, by the sync worker's sweep).
 */
export function dismissRecord(ctx: ServiceContext, input: { seq: number; reason: string }): { seq: number } {
  const { db } = ctx;
  let reduced = 0;
  const dismissed = db
    .transaction(() => {
      const row = needingAttention(db, input.seq);
      mayBeDismissed(db, row);
      const at = ctx.clock().toISOString();
      dismissOutboxRow(db, row.seq, at, ctx.operator.id, input.reason);
      if (row.kind === 'walkin.registered' && ctx.config.sync.photoIdRetentionDays === 0)
        reduced = reducePhotoId(db, row.record_id, at);
      insertAudit(db, {
        at,
        operatorId: ctx.operator.id,
        action: 'outbox.dismissed',
        detail: { seq: row.seq, kind: row.kind, recordId: row.record_id, code: row.reject_code, reason: input.reason },
      });
      return { seq: row.seq };
    })
    .immediate();
  // no copy of the full number left in the write-ahead log (never waits for the sync worker's connection)
  if (reduced > 0) scrubWal(db);
  return dismissed;
}

function correctWalkIn(ctx: ServiceContext, walkInId: string, payload: Payload, form: WalkInForm): void {
  const { db } = ctx;
  if (!correctWalkInPerson(db, walkInId, personColumns(form)))
    throw new DomainError('NOT_FOUND', `walk-in ${walkInId} is not on this counter`);
  setWalkInTicketNameAndDose(db, walkInId, form.name, form.dose, ctx.clock().toISOString());
  payload.person = { ...payload.person, ...personOf(form) };
  payload.dose = form.dose;
}

function correctCheckIn(ctx: ServiceContext, ticketId: string, payload: Payload, c: { refId: string; name: string }): void {
  const { db } = ctx;
  const t = getTicketRow(db, ticketId);
  if (!t) throw new DomainError('NOT_FOUND', `ticket ${ticketId} is not on this counter`);
  if (c.refId !== t.ref_id) {
    const other = otherActiveTokenOfRef(db, t.day, c.refId, ticketId);
    if (other !== null) {
      throw new DomainError('ALREADY_CHECKED_IN', `${c.refId} is already checked in as ${other}`, {
        fields: [{ field: 'refId', code: 'already_checked_in' }],
        details: { token: other },
      });
    }
  }
  setTicketRefAndName(db, ticketId, c.refId, c.name, ctx.clock().toISOString());
  payload.refId = c.refId;
  payload.name = c.name;
}

/** How far back the reconciliation looks for days left with tickets waiting or called. */
const OPEN_DAYS_LOOKBACK = 92;

/**
 * Reconciliation for the centre's days `from`..`to`: every record still pending, rejected
 * and not resent (dismissed or not), or acknowledged with the portal's possible-duplicate flag.
 */
export function reconciliation(db: Db, from: string, to: string, today: string): ReconciliationView {
  const rows = reconciliationRows(db, from, to);
  const acknowledged = acknowledgedCountOfDays(db, from, to);
  const out: ReconciliationRow[] = rows.map((r) => {
    const p = JSON.parse(r.payload) as Payload;
    const t = ticketOf(db, p);
    const status =
      r.state === 'pending'
        ? 'pending'
        : r.state === 'rejected'
          ? r.dismissed_at !== null
            ? 'dismissed'
            : 'rejected'
          : 'possible_duplicate';
    return {
      day: str(p.day),
      status,
      kind: r.kind,
      recordId: r.record_id,
      seq: r.seq,
      token: t?.token ?? str(p.token),
      name: t?.name ?? str(p.person?.name) ?? str(p.name),
      code:
        status === 'rejected' || status === 'dismissed'
          ? r.reject_code
          : status === 'pending' && r.last_error
            ? 'not_yet_uploaded'
            : null,
      reason: r.last_error,
      duplicateOf: JSON.parse(r.duplicate_of) as string[],
      createdAt: r.created_at,
      acknowledgedAt: r.acknowledged_at,
      attempts: r.attempts,
      operatorId: str(p.operatorId),
      counterCode: str(p.counterCode),
      dismissal:
        r.dismissed_at !== null
          ? { at: r.dismissed_at, by: r.dismissed_by_login ?? r.dismissed_by, reason: r.dismiss_reason ?? '' }
          : null,
    };
  });
  const count = (s: ReconciliationRow['status']) => out.filter((r) => r.status === s).length;
  // whatever range is shown: a supervisor opening today's report learns that yesterday was left open
  const openTickets = openTicketsByDay(db, addDays(today, -OPEN_DAYS_LOOKBACK), today);
  return {
    from,
    to,
    openTickets,
    rows: out,
    totals: {
      pending: count('pending'),
      rejected: count('rejected'),
      dismissed: count('dismissed'),
      possibleDuplicate: count('possible_duplicate'),
      acknowledged,
    },
  };
}

/** A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is kept as text. */
function cell(v: string | number | null): string | number {
  if (v === null) return '';
  if (typeof v === 'number') return v;
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export const RECONCILIATION_CSV_COLUMNS = [
  'day',
  'status',
  'kind',
  'token',
  'name',
  'code',
  'reason',
  'duplicate_of',
  'record_id',
  'seq',
  'created_at',
  'acknowledged_at',
  'attempts',
  'counter',
  'operator_id',
  'dismissed_at',
  'dismissed_by',
  'dismiss_reason',
] as const;

/** The reconciliation as CSV: UTF-8 with a byte-order mark, so spreadsheet programs read Hindi names. */
export function reconciliationCsv(view: ReconciliationView, centreId: string): { fileName: string; csv: string } {
  const records = view.rows.map((r) =>
    [
      r.day,
      r.status,
      r.kind,
      r.token,
      r.name,
      r.code,
      r.reason,
      r.duplicateOf.join(' '),
      r.recordId,
      r.seq,
      r.createdAt,
      r.acknowledgedAt,
      r.attempts,
      r.counterCode,
      r.operatorId,
      r.dismissal?.at ?? null,
      r.dismissal?.by ?? null,
      r.dismissal?.reason ?? null,
    ].map(cell),
  );
  const csv =
    '\uFEFF' + stringify(records, { header: true, columns: [...RECONCILIATION_CSV_COLUMNS], record_delimiter: 'windows' });
  const range = view.from === view.to ? view.from : `${view.from}_${view.to}`;
  return { fileName: `reconciliation_${centreId}_${range}.csv`, csv };
}

import { v7 as uuidv7 } from 'uuid';
import type { QueueView, TicketView, UploadState } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import { decideNext, type WaitingTicket } from '../../common/rules/queue-policy';
import type { Db } from '../store/database';
import type { ServiceContext } from './context';
import { NEEDS_ATTENTION_OF } from '../store/outbox';
import { toTicketView, transition, type TicketRow } from './tickets';

const RECENT = 15;

function waitingRows(ctx: Pick<ServiceContext, 'db'>, day: string, lane: 'priority' | 'walkin'): TicketRow[] {
  return ctx.db
    .prepare("SELECT * FROM ticket WHERE day = ? AND status = 'waiting' AND lane = ? ORDER BY queue_pos")
    .all(day, lane) as TicketRow[];
}

const toWaiting = (r: TicketRow): WaitingTicket => ({ id: r.id, lane: r.lane, queuedAt: Date.parse(r.queued_at) });

/** What the policy needs to know of the past: priority calls made while the oldest waiting walk-in waited. */
function priorityCallsWhileWalkInWaited(
  ctx: Pick<ServiceContext, 'db'>,
  day: string,
  oldestWalkIn: TicketRow | undefined,
): number {
  if (!oldestWalkIn) return 0;
  const lastWalkInCall = ctx.db
    .prepare(
      "SELECT max(at) AS at FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id WHERE t.day = ? AND t.lane = 'walkin' AND e.action = 'call'",
    )
    .get(day) as { at: string | null };
  const since = [oldestWalkIn.queued_at, lastWalkInCall.at ?? ''].sort().at(-1)!;
  return (
    ctx.db
      .prepare(
        "SELECT count(*) AS n FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id WHERE t.day = ? AND t.lane = 'priority' AND e.action = 'call' AND e.at >= ?",
      )
      .get(day, since) as { n: number }
  ).n;
}

function decide(ctx: Pick<ServiceContext, 'db' | 'config'>, day: string, now: Date) {
  const priority = waitingRows(ctx, day, 'priority');
  const walkin = waitingRows(ctx, day, 'walkin');
  const decision = decideNext(
    { priority: priority.map(toWaiting), walkin: walkin.map(toWaiting) },
    { priorityCallsWhileWalkInWaited: priorityCallsWhileWalkInWaited(ctx, day, walkin[0]) },
    ctx.config.queuePolicy,
    now.getTime(),
  );
  return { priority, walkin, decision };
}

export function getQueue(ctx: Pick<ServiceContext, 'db' | 'config' | 'clock'>): QueueView {
  const { db, config } = ctx;
  const now = ctx.clock();
  const day = centreDay(now, config.centre.timeZone);
  const { priority, walkin, decision } = decide(ctx, day, now);
  const called = db
    .prepare("SELECT * FROM ticket WHERE day = ? AND status = 'called' ORDER BY called_at DESC")
    .all(day) as TicketRow[];
  const recent = db
    .prepare(
      "SELECT * FROM ticket WHERE day = ? AND status IN ('served', 'no_show', 'cancelled') ORDER BY finished_at DESC LIMIT ?",
    )
    .all(day, RECENT) as TicketRow[];
  const counts = db
    .prepare(
      `SELECT sum(status = 'served') AS served, sum(status = 'no_show') AS noShow, sum(status = 'cancelled') AS cancelled
       FROM ticket WHERE day = ?`,
    )
    .get(day) as { served: number | null; noShow: number | null; cancelled: number | null };
  const waitMinutes = (rows: TicketRow[]) =>
    rows[0] ? Math.max(0, Math.floor((now.getTime() - Date.parse(rows[0].queued_at)) / 60_000)) : null;
  const nextRow = decision ? [...priority, ...walkin].find((r) => r.id === decision.ticketId) : undefined;
  const listed = [...priority, ...walkin, ...called, ...recent];
  return {
    day,
    waiting: { priority: priority.map(toTicketView), walkin: walkin.map(toTicketView) },
    called: called.map(toTicketView),
    recent: recent.map(toTicketView),
    next:
      decision && nextRow
        ? { ticketId: decision.ticketId, token: nextRow.token, lane: decision.lane, reason: decision.reason }
        : null,
    counts: { served: counts.served ?? 0, noShow: counts.noShow ?? 0, cancelled: counts.cancelled ?? 0 },
    oldestWaitMinutes: { priority: waitMinutes(priority), walkin: waitMinutes(walkin) },
    policy: config.queuePolicy,
    now: now.toISOString(),
    uploads: uploadStates(db, listed),
  };
}

/**
 * Whether each ticket's outbox rows (its check-in or walk-in record, and its events) have
 * reached the portal: one indexed lookup per ticket, in one statement. A refusal waiting for
 * correction comes first, then anything still waiting to upload.
 */
export function uploadStates(db: Db, tickets: readonly Pick<TicketRow, 'id'>[]): Record<string, UploadState> {
  if (tickets.length === 0) return {};
  const rows = db
    .prepare(
      `SELECT t.id AS id,
              coalesce(max(${NEEDS_ATTENTION_OF('o')}), 0) AS attention,
              coalesce(max(o.state = 'pending'), 0) AS waiting,
              coalesce(max(o.dismissed_at IS NOT NULL AND o.corrected_by IS NULL), 0) AS dismissed
         FROM ticket t LEFT JOIN outbox o ON o.record_id IN (t.id, t.walkin_id)
        WHERE t.id IN (SELECT value FROM json_each(?))
        GROUP BY t.id`,
    )
    .all(JSON.stringify(tickets.map((t) => t.id))) as { id: string; attention: number; waiting: number; dismissed: number }[];
  const out: Record<string, UploadState> = {};
  for (const r of rows) {
    out[r.id] = r.attention ? 'attention' : r.waiting ? 'waiting' : r.dismissed ? 'dismissed' : 'uploaded';
  }
  return out;
}

/** Calls whoever the policy says is next. Decided and called in one transaction, so two quick presses call two people, never one twice. */
export function callNext(ctx: ServiceContext): TicketView {
  return ctx.db
    .transaction(() => {
      const now = ctx.clock();
      const day = centreDay(now, ctx.config.centre.timeZone);
      const { decision } = decide(ctx, day, now);
      if (!decision) throw new DomainError('NOT_FOUND', 'nobody is waiting', { details: { queueEmpty: true } });
      return toTicketView(transition(ctx, decision.ticketId, 'call', { reason: decision.reason }));
    })
    .immediate();
}

export const callTicket = (ctx: ServiceContext, id: string): TicketView =>
  toTicketView(transition(ctx, id, 'call', { reason: 'chosen' }));
export const recallTicket = (ctx: ServiceContext, id: string): TicketView => toTicketView(transition(ctx, id, 'recall'));
export const markNoShow = (ctx: ServiceContext, id: string): TicketView => toTicketView(transition(ctx, id, 'no_show'));
export const requeueTicket = (ctx: ServiceContext, id: string): TicketView => toTicketView(transition(ctx, id, 'requeue'));
export const cancelTicket = (ctx: ServiceContext, id: string, reason: string): TicketView =>
  toTicketView(transition(ctx, id, 'cancel', { reason }));

/** The cancel reason of tickets a supervisor closed with their day (sent to the portal as it is). */
export const END_OF_DAY_REASON = 'end_of_day';

/**
 * Closes a day that is over: every ticket of it still waiting or called is cancelled as not
 * finished by the end of the day, each with its own event and outbox row, all in one
 * transaction, with an audit row. Today cannot be closed: its queue is still open.
 */
export function closeDay(ctx: ServiceContext, day: string): { day: string; closed: number } {
  const { db } = ctx;
  const today = centreDay(ctx.clock(), ctx.config.centre.timeZone);
  if (day >= today) {
    throw new DomainError('VALIDATION', `${day} is not over yet (today is ${today})`, {
      fields: [{ field: 'day', code: 'day_not_over' }],
    });
  }
  return db
    .transaction(() => {
      const open = db
        .prepare("SELECT id FROM ticket WHERE day = ? AND status IN ('waiting', 'called') ORDER BY lane, seq")
        .all(day) as { id: string }[];
      for (const t of open) transition(ctx, t.id, 'cancel', { reason: END_OF_DAY_REASON, endOfDay: true });
      db.prepare("INSERT INTO audit_log (at, operator_id, action, detail) VALUES (?, ?, 'day.closed', ?)").run(
        ctx.clock().toISOString(),
        ctx.operator.id,
        JSON.stringify({ day, closed: open.length }),
      );
      return { day, closed: open.length };
    })
    .immediate();
}

/** Serves a called ticket and records the vaccination the portal needs, in the same transaction. */
export function serveTicket(
  ctx: ServiceContext,
  input: { ticketId: string; vaccine: string; lotNumber: string; dose: number },
): TicketView {
  if (!ctx.config.vaccines.some((v) => v.code === input.vaccine)) {
    throw new DomainError('VALIDATION', `unknown vaccine ${input.vaccine}`, {
      fields: [{ field: 'vaccine', code: 'vaccine_unknown' }],
    });
  }
  return toTicketView(
    transition(ctx, input.ticketId, 'serve', {}, (_row, at) => {
      const id = uuidv7();
      ctx.db
        .prepare(
          `INSERT INTO vaccination (id, ticket_id, vaccine, lot_number, dose, vaccinated_at, vaccinated_by, counter_code, device_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.ticketId,
          input.vaccine,
          input.lotNumber,
          input.dose,
          at,
          ctx.operator.id,
          ctx.config.counter.code,
          ctx.deviceId,
        );
      return { vaccinationId: id, vaccine: input.vaccine, lotNumber: input.lotNumber, dose: input.dose };
    }),
  );
}

import { v7 as uuidv7 } from 'uuid';
import type { QueueView, TicketView, UploadState } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import { decideNext, type WaitingTicket } from '../../common/rules/queue-policy';
import type { Db } from '../store/database';
import type { ServiceContext } from './context';
import { insertAudit } from '../store/audit';
import {
  calledTickets,
  callsOfLaneSince,
  finishedCounts,
  listedTicketsOfRecords,
  insertVaccination,
  lastCallOfLane,
  openTicketIds,
  RECENT_FINISHED,
  recentlyFinishedTickets,
  ticketUploadFlags,
  waitingCounts,
  waitingTickets,
  type TicketRow,
} from '../store/tickets';
import { toTicketView, transition } from './tickets';

const toWaiting = (r: TicketRow): WaitingTicket => ({ id: r.id, lane: r.lane, queuedAt: Date.parse(r.queued_at) });

/** What the policy needs to know of the past: priority calls made while the oldest waiting walk-in waited. */
function priorityCallsWhileWalkInWaited(
  ctx: Pick<ServiceContext, 'db'>,
  day: string,
  oldestWalkIn: TicketRow | undefined,
): number {
  if (!oldestWalkIn) return 0;
  const lastWalkInCall = lastCallOfLane(ctx.db, day, 'walkin');
  const since = [oldestWalkIn.queued_at, lastWalkInCall ?? ''].sort().at(-1)!;
  return callsOfLaneSince(ctx.db, day, 'priority', since);
}

/**
 * Who is next, with the waiting tickets read for it: the policy looks at each lane's head
 * only, so `limit` (at least 1) bounds what is read; without it, every waiting ticket.
 */
function decide(ctx: Pick<ServiceContext, 'db' | 'config'>, day: string, now: Date, limit?: number) {
  const priority = waitingTickets(ctx.db, day, 'priority', limit);
  const walkin = waitingTickets(ctx.db, day, 'walkin', limit);
  const decision = decideNext(
    { priority: priority.map(toWaiting), walkin: walkin.map(toWaiting) },
    { priorityCallsWhileWalkInWaited: priorityCallsWhileWalkInWaited(ctx, day, walkin[0]) },
    ctx.config.queuePolicy,
    now.getTime(),
  );
  return { priority, walkin, decision };
}

/**
 * The day's queue as the page shows it. With `waitingLimit`, each lane lists only its first
 * tickets (the page draws the head of a long lane) and `waitingCount` says how many wait.
 */
export function getQueue(
  ctx: Pick<ServiceContext, 'db' | 'config' | 'clock'>,
  waitingLimit?: number,
): QueueView & { waitingCount: { priority: number; walkin: number } } {
  const { db, config } = ctx;
  const now = ctx.clock();
  const day = centreDay(now, config.centre.timeZone);
  const { priority, walkin, decision } = decide(ctx, day, now, waitingLimit);
  const called = calledTickets(db, day);
  const recent = recentlyFinishedTickets(db, day, RECENT_FINISHED);
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
    counts: finishedCounts(db, day),
    oldestWaitMinutes: { priority: waitMinutes(priority), walkin: waitMinutes(walkin) },
    policy: config.queuePolicy,
    now: now.toISOString(),
    uploads: uploadStates(db, listed),
    waitingCount: waitingLimit === undefined ? { priority: priority.length, walkin: walkin.length } : waitingCounts(db, day),
  };
}

/**
 * The upload marks of the tickets of records the portal just answered, for those a queue view
 * lists (see getQueue): the marks the page shows that may have moved.
 */
export function uploadStatesOfRecords(db: Db, day: string, recordIds: readonly string[]): Record<string, UploadState> {
  return uploadStates(
    db,
    listedTicketsOfRecords(db, recordIds, day).map((id) => ({ id })),
  );
}

/**
 * Whether each ticket's outbox rows (its check-in or walk-in record, and its events) have
 * reached the portal: one indexed lookup per ticket, in one statement. A refusal waiting for
 * correction comes first, then anything still waiting to upload.
 */
export function uploadStates(db: Db, tickets: readonly Pick<TicketRow, 'id'>[]): Record<string, UploadState> {
  if (tickets.length === 0) return {};
  const rows = ticketUploadFlags(
    db,
    tickets.map((t) => t.id),
  );
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
      const { decision } = decide(ctx, day, now, 1);
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
      const open = openTicketIds(db, day);
      for (const id of open) transition(ctx, id, 'cancel', { reason: END_OF_DAY_REASON, endOfDay: true });
      insertAudit(db, {
        at: ctx.clock().toISOString(),
        operatorId: ctx.operator.id,
        action: 'day.closed',
        detail: { day, closed: open.length },
      });
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
      insertVaccination(ctx.db, {
        id,
        ticketId: input.ticketId,
        vaccine: input.vaccine,
        lotNumber: input.lotNumber,
        dose: input.dose,
        at,
        operatorId: ctx.operator.id,
        counterCode: ctx.config.counter.code,
        deviceId: ctx.deviceId,
      });
      return { vaccinationId: id, vaccine: input.vaccine, lotNumber: input.lotNumber, dose: input.dose };
    }),
  );
}

import { v7 as uuidv7 } from 'uuid';
import type { LaneName, TicketStatus, TicketView } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import type { OutboxKind } from '../store/outbox';
import {
  applyTicketAction,
  getTicketRow,
  insertTicketRow,
  nextTokenSeq,
  recordEvent,
  type TicketAction,
  type TicketRow,
} from '../store/tickets';
import { appendOutbox } from './outbox';
import type { ServiceContext } from './context';

export type { TicketAction } from '../store/tickets';

export function toTicketView(r: TicketRow): TicketView {
  return {
    id: r.id,
    token: r.token,
    lane: r.lane,
    source: r.source,
    status: r.status,
    name: r.name,
    refId: r.ref_id,
    verified: r.verified === 1,
    late: r.late === 1,
    queuedAt: r.queued_at,
    createdAt: r.created_at,
    calledAt: r.called_at,
    finishedAt: r.finished_at,
    recallCount: r.recall_count,
    requeueCount: r.requeue_count,
    dose: r.dose,
  };
}

/**
 * Next token of a lane for the day, e.g. `A-P017`. Runs inside the ticket's own transaction:
 * a number is used up only if the ticket that carries it is committed, and the counter row
 * only moves forward, so a committed token is never handed out again, crash or not.
 */
export function allocateToken(ctx: ServiceContext, day: string, lane: LaneName): { token: string; seq: number } {
  const { db, config } = ctx;
  if (!db.inTransaction) throw new Error('tokens are allocated only inside the ticket transaction');
  const seq = nextTokenSeq(db, day, lane);
  const letter = lane === 'priority' ? config.lanes.priorityLetter : config.lanes.walkInLetter;
  return { token: formatToken(config.counter.tokenPrefix, letter, seq), seq };
}

export function formatToken(prefix: string, laneLetter: string, seq: number): string {
  return `${prefix}-${laneLetter}${String(seq).padStart(3, '0')}`;
}

export interface NewTicket {
  day: string;
  lane: LaneName;
  source: TicketRow['source'];
  refId: string | null;
  walkinId: string | null;
  name: string;
  dose: number | null;
  verified: boolean;
  late: boolean;
}

/** Inserts a waiting ticket with its token and first event. Call inside a transaction. */
export function insertTicket(ctx: ServiceContext, t: NewTicket, at: string): TicketRow {
  const { db, config, operator, deviceId } = ctx;
  const { token, seq } = allocateToken(ctx, t.day, t.lane);
  const id = uuidv7();
  const row = insertTicketRow(db, {
    id,
    day: t.day,
    token,
    lane: t.lane,
    seq,
    source: t.source,
    refId: t.refId,
    walkinId: t.walkinId,
    name: t.name,
    dose: t.dose,
    verified: t.verified ? 1 : 0,
    late: t.late ? 1 : 0,
    at,
    operatorId: operator.id,
    counterCode: config.counter.code,
    deviceId,
  });
  recordEvent(db, id, 'issued', null, 'waiting', at, operator.id, {});
  return row;
}

/** Ticket actions and the states each may start from. */
export const TRANSITIONS = {
  call: { from: ['waiting'], to: 'called', outbox: 'ticket.called' },
  recall: { from: ['called'], to: 'called', outbox: 'ticket.recalled' },
  no_show: { from: ['called'], to: 'no_show', outbox: 'ticket.no_show' },
  requeue: { from: ['no_show'], to: 'waiting', outbox: 'ticket.requeued' },
  cancel: { from: ['waiting', 'called', 'no_show'], to: 'cancelled', outbox: 'ticket.cancelled' },
  serve: { from: ['called'], to: 'served', outbox: 'vaccination.recorded' },
} as const satisfies Record<TicketAction, { from: readonly TicketStatus[]; to: TicketStatus; outbox: OutboxKind }>;

/**
 * Moves a ticket from one state to the next, with its event and outbox row, in one
 * transaction. `extra` runs inside the same transaction (serve records the vaccination there).
 */
export function transition(
  ctx: ServiceContext,
  ticketId: string,
  action: TicketAction,
  detail: Record<string, unknown> = {},
  extra?: (row: TicketRow, at: string) => Record<string, unknown> | void,
): TicketRow {
  const { db, operator } = ctx;
  const rule = TRANSITIONS[action];
  return db
    .transaction(() => {
      const row = getTicketRow(db, ticketId);
      if (!row) throw new DomainError('NOT_FOUND', `no ticket ${ticketId}`);
      // Yesterday's tickets are not in today's queue: they can be cancelled, not called or served.
      if (action !== 'cancel' && row.day !== centreDay(ctx.clock(), ctx.config.centre.timeZone)) {
        throw new DomainError('NOT_FOUND', `ticket ${row.token} is from ${row.day}, not today's queue`, {
          details: { token: row.token, day: row.day },
        });
      }
      if (!(rule.from as readonly string[]).includes(row.status)) {
        throw new DomainError('INVALID_TRANSITION', `ticket ${row.token} is ${row.status}; cannot ${action}`, {
          details: { token: row.token, status: row.status, action },
        });
      }
      const at = ctx.clock().toISOString();
      applyTicketAction(db, action, {
        id: ticketId,
        day: row.day,
        to: rule.to,
        at,
        reason: typeof detail.reason === 'string' ? detail.reason : null,
      });
      const more = extra?.(row, at) ?? {};
      recordEvent(db, ticketId, action, row.status, rule.to, at, operator.id, { ...detail, ...more });
      appendOutbox(
        db,
        rule.outbox,
        ticketId,
        {
          ticketId,
          token: row.token,
          day: row.day,
          action,
          from: row.status,
          to: rule.to,
          at,
          operatorId: operator.id,
          counterCode: ctx.config.counter.code,
          deviceId: ctx.deviceId,
          ...detail,
          ...more,
        },
        at,
      );
      return getTicketRow(db, ticketId)!;
    })
    .immediate();
}

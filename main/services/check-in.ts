import type { ProvisionalCheckIn, TicketView } from '../../common/domain';
import { DomainError } from '../../common/result';
import { centreDay, centreMinuteOfDay } from '../../common/rules/centre-day';
import { laneForCheckIn } from '../../common/rules/queue-policy';
import type { ServiceContext } from './context';
import { appendOutbox } from './outbox';
import { activeRosterImport, rosterEntryOfRef } from '../store/roster';
import { activeTicketOfRef, type TicketRow } from '../store/tickets';
import { insertTicket, toTicketView } from './tickets';

function refuseIfCheckedIn(ctx: ServiceContext, day: string, refId: string): void {
  const t = activeTicketOfRef(ctx.db, day, refId);
  if (t) {
    throw new DomainError('ALREADY_CHECKED_IN', `${refId} already has token ${t.token} today`, {
      details: { token: t.token, ticketId: t.id, status: t.status },
    });
  }
}

function minuteOf(slot: string | null): number | null {
  if (!slot) return null;
  const [h, m] = slot.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Checks in an online registrant found in today's roster: a ticket in the priority lane (or walk-in lane when late, per policy). */
export function checkIn(ctx: ServiceContext, refId: string): TicketView {
  const { db, config } = ctx;
  return db
    .transaction(() => {
      const now = ctx.clock();
      const day = centreDay(now, config.centre.timeZone);
      const imp = activeRosterImport(db, day);
      const entry = imp ? rosterEntryOfRef(db, imp.id, refId) : undefined;
      if (!entry) {
        throw new DomainError('NOT_FOUND', `${refId} is not in today's roster`, {
          details: { refId, rosterForToday: imp !== undefined },
        });
      }
      refuseIfCheckedIn(ctx, day, refId);
      const { lane, late } = laneForCheckIn(
        { verified: true, slotMinute: minuteOf(entry.slot_time), nowMinute: centreMinuteOfDay(now, config.centre.timeZone) },
        config.queuePolicy,
      );
      const at = now.toISOString();
      const t = insertTicket(
        ctx,
        { day, lane, source: 'online', refId, walkinId: null, name: entry.name, dose: entry.dose, verified: true, late },
        at,
      );
      appendOutbox(
        db,
        'checkin.created',
        t.id,
        checkInPayload(ctx, t, at, { rosterImportId: imp!.id, slotTime: entry.slot_time }),
        at,
      );
      return toTicketView(t);
    })
    .immediate();
}

/**
 * Checks in someone who presents a reference ID that the roster cannot confirm (roster
 * missing, stale, or the booking made after it was pulled). Flagged unverified; the portal
 * confirms or rejects it on upload.
 */
export function checkInProvisional(ctx: ServiceContext, input: ProvisionalCheckIn): TicketView {
  const { db, config } = ctx;
  return db
    .transaction(() => {
      const now = ctx.clock();
      const day = centreDay(now, config.centre.timeZone);
      refuseIfCheckedIn(ctx, day, input.refId);
      const imp = activeRosterImport(db, day);
      if (imp) {
        const inRoster = rosterEntryOfRef(db, imp.id, input.refId);
        // Found after all: check in as verified instead of leaving a needless flag.
        if (inRoster) return checkIn(ctx, input.refId);
      }
      const { lane } = laneForCheckIn({ verified: false, slotMinute: null, nowMinute: 0 }, config.queuePolicy);
      const at = now.toISOString();
      const t = insertTicket(
        ctx,
        {
          day,
          lane,
          source: 'provisional',
          refId: input.refId,
          walkinId: null,
          name: input.name,
          dose: null,
          verified: false,
          late: false,
        },
        at,
      );
      appendOutbox(
        db,
        'checkin.created',
        t.id,
        checkInPayload(ctx, t, at, {
          unverified: true,
          presented: { birthYear: input.birthYear ?? null, gender: input.gender ?? null },
        }),
        at,
      );
      return toTicketView(t);
    })
    .immediate();
}

function checkInPayload(ctx: ServiceContext, t: TicketRow, at: string, extra: object): object {
  return {
    ticketId: t.id,
    refId: t.ref_id,
    token: t.token,
    lane: t.lane,
    day: t.day,
    name: t.name,
    verified: t.verified === 1,
    late: t.late === 1,
    at,
    operatorId: ctx.operator.id,
    counterCode: ctx.config.counter.code,
    deviceId: ctx.deviceId,
    ...extra,
  };
}

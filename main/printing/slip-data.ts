import type { PrintingSettings, Provisioning } from '../../common/domain';
import type { Db } from '../store/database';
import { lastVaccinationTimes, operatorLoginOf, priorityWaitingCount, waitingAheadInLane } from '../store/slip-view';
import type { TicketRow } from '../store/tickets';
import { qrPayloadFor, type SlipData } from './types';

/** How much of the name a slip shows: a slip is left on benches and in bins. */
export function nameForSlip(name: string, rule: PrintingSettings['nameOnSlip']): string | null {
  const words = name.trim().split(/\s+/u).filter(Boolean);
  switch (rule) {
    case 'full':
      return words.join(' ');
    case 'first':
      return words.length > 1
        ? `${words[0]} ${words
            .slice(1)
            .map((w) => `${[...w][0]}.`)
            .join(' ')}`
        : (words[0] ?? null);
    case 'initials':
      return words.map((w) => `${[...w][0]}.`).join(' ') || null;
    case 'none':
      return null;
  }
}

/** One formatter per time zone: making one costs more than the rest of a slip's data. */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

export function centreDateTime(iso: string, timeZone: string): string {
  let format = dateTimeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      day: '2-digit',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dateTimeFormats.set(timeZone, format);
  }
  return format.format(new Date(iso));
}

/**
 * Minutes per person: the median gap between the day's last vaccinations when there are
 * enough of them, else the configured figure.
 */
export function minutesPerPerson(db: Db, day: string, fallback: number): number {
  const times = lastVaccinationTimes(db, day, 11).map((at) => Date.parse(at));
  if (times.length < 4) return fallback;
  const gaps = times
    .slice(1)
    .map((t, i) => (times[i]! - t) / 60_000)
    .sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)]!;
  return Math.min(60, Math.max(0.5, median));
}

/**
 * Where a waiting ticket stands: its place in its lane (1 = next in the lane) and how many
 * people will be called before it under the queue policy (those ahead in its lane and, for
 * a walk-in, the priority tickets the policy calls first).
 */
function standing(db: Db, t: TicketRow, policy: Provisioning['queuePolicy']): { place: number; before: number } {
  const inLane = waitingAheadInLane(db, t.day, t.lane, t.queue_pos);
  if (t.lane === 'priority') return { place: inLane + 1, before: inLane };
  const priorityWaiting = priorityWaitingCount(db, t.day);
  const beforeMe =
    policy.mode === 'strict' ? priorityWaiting : Math.min(priorityWaiting, (inLane + 1) * policy.priorityPerWalkIn);
  return { place: inLane + 1, before: inLane + beforeMe };
}

export function slipDataFor(db: Db, config: Provisioning, ticket: TicketRow, reprint: boolean): SlipData {
  const operatorCode = operatorLoginOf(db, ticket.created_by) ?? '';
  const at = ticket.status === 'waiting' ? standing(db, ticket, config.queuePolicy) : null;
  const perPerson = minutesPerPerson(db, ticket.day, config.printing.minutesPerPerson);
  return {
    ticketId: ticket.id,
    token: ticket.token,
    lane: ticket.lane,
    centre: { name: config.centre.name, nameHi: config.centre.nameHi ?? null },
    name: nameForSlip(ticket.name, config.printing.nameOnSlip),
    issuedAt: centreDateTime(ticket.created_at, config.centre.timeZone),
    placeInLane: at?.place ?? null,
    estimatedWaitMinutes: at === null ? null : Math.round(at.before * perPerson),
    counterCode: ticket.counter_code,
    operatorCode,
    verified: ticket.verified === 1,
    reprint,
    qrPayload: qrPayloadFor(ticket.id, ticket.token),
  };
}

/** The sample slip of a test print. */
export function sampleSlip(config: Provisioning, operatorCode: string, at: Date): SlipData {
  const id = '00000000-0000-7000-8000-000000000000';
  return {
    ticketId: id,
    token: `${config.counter.tokenPrefix}-${config.lanes.priorityLetter}000`,
    lane: 'priority',
    centre: { name: config.centre.name, nameHi: config.centre.nameHi ?? null },
    name: 'TEST PRINT / परीक्षण',
    issuedAt: centreDateTime(at.toISOString(), config.centre.timeZone),
    placeInLane: 1,
    estimatedWaitMinutes: 0,
    counterCode: config.counter.code,
    operatorCode,
    verified: true,
    reprint: false,
    qrPayload: qrPayloadFor(id, 'TEST'),
  };
}

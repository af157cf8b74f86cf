/**
 * A queue action's answer drawn at once: main answers check-in, walk-in, call, recall, serve,
 * no-show, requeue and cancel with the ticket as it now is, and that ticket is moved in the
 * queue the page holds, the way main's next read would show it. The read that follows (one,
 * coalesced) only confirms it. Where the page cannot know the outcome exactly (a ticket it
 * never listed, the ratio policy's history), nothing is merged and the read decides.
 */
import type { ResponseOf } from '../../common/contract';
import type { LaneName, TicketView, UploadState } from '../../common/domain';
import { decideNext, type WaitingTicket } from '../../common/rules/queue-policy';

type QueueAnswer = ResponseOf<'getQueue'>;

const LANES: readonly LaneName[] = ['priority', 'walkin'];
/** Finished tickets main lists under "recent" (main/services/queue.ts). */
const RECENT = 15;

type Place = { list: 'waiting'; lane: LaneName } | { list: 'called' } | { list: 'recent' } | null;

function placeOf(queue: QueueAnswer, id: string): Place {
  for (const lane of LANES) if (queue.waiting[lane].some((t) => t.id === id)) return { list: 'waiting', lane };
  if (queue.called.some((t) => t.id === id)) return { list: 'called' };
  if (queue.recent.some((t) => t.id === id)) return { list: 'recent' };
  return null;
}

const countsKey = { served: 'served', no_show: 'noShow', cancelled: 'cancelled' } as const;
const time = (iso: string | null): number => (iso ? Date.parse(iso) : 0);
const waitMinutes = (now: number, head: TicketView | undefined): number | null =>
  head ? Math.max(0, Math.floor((now - Date.parse(head.queuedAt)) / 60_000)) : null;

/**
 * The queue with `ticket` (as main answered it) in its new place, or null when that place or
 * who is next cannot be known without asking main. `created`: the answer issued this ticket
 * (check-in, walk-in), so it waited nowhere before.
 */
export function mergeTicket(queue: QueueAnswer, ticket: TicketView, created: boolean): QueueAnswer | null {
  const before = placeOf(queue, ticket.id);
  // a ticket the page never listed: its old place (and so the counts) are unknown
  if (!before && !created) return null;
  // issued before main read this queue (a resent walk-in's first ticket): already in its counts
  if (created && (before || time(ticket.createdAt) <= time(queue.now))) return queue;
  const prior = before?.list === 'recent' ? queue.recent.find((t) => t.id === ticket.id)!.status : null;

  const waiting = { priority: queue.waiting.priority, walkin: queue.waiting.walkin };
  const waitingCount = {
    priority: queue.waitingCount?.priority ?? queue.waiting.priority.length,
    walkin: queue.waitingCount?.walkin ?? queue.waiting.walkin.length,
  };
  const counts = { ...queue.counts };
  let called = queue.called;
  let recent = queue.recent;

  // out of where it was
  if (before?.list === 'waiting') {
    waiting[before.lane] = waiting[before.lane].filter((t) => t.id !== ticket.id);
    waitingCount[before.lane] -= 1;
  } else if (before?.list === 'called') {
    called = called.filter((t) => t.id !== ticket.id);
  } else if (before?.list === 'recent') {
    recent = recent.filter((t) => t.id !== ticket.id);
    if (prior && prior in countsKey) counts[countsKey[prior as keyof typeof countsKey]] -= 1;
  }

  // into where it is now: the end of its lane, the top of the called, the top of the recent
  if (ticket.status === 'waiting') {
    const lane = ticket.lane;
    // a list that holds the whole lane gets it at the end; the head of a longer lane is unchanged
    if (waiting[lane].length === waitingCount[lane]) waiting[lane] = [...waiting[lane], ticket];
    waitingCount[lane] += 1;
  } else if (ticket.status === 'called') {
    called = [ticket, ...called].sort((a, b) => time(b.calledAt) - time(a.calledAt));
  } else {
    recent = [ticket, ...recent].slice(0, Math.max(RECENT, queue.recent.length));
    counts[countsKey[ticket.status]] += 1;
  }

  // a lane whose listed head ran out while more wait: who is next is main's to say
  if (LANES.some((l) => waiting[l].length === 0 && waitingCount[l] > 0)) return null;

  const now = Math.max(time(queue.now), time(ticket.queuedAt), time(ticket.calledAt), time(ticket.finishedAt));
  const headsMoved = LANES.some((l) => waiting[l][0]?.id !== queue.waiting[l][0]?.id);
  let next = queue.next;
  if (headsMoved || ticket.status === 'called') {
    // the ratio policy counts past calls, which only main knows
    if (queue.policy.mode !== 'strict') return null;
    const heads = (l: LaneName): WaitingTicket[] =>
      waiting[l].slice(0, 1).map((t) => ({ id: t.id, lane: l, queuedAt: Date.parse(t.queuedAt) }));
    const decision = decideNext(
      { priority: heads('priority'), walkin: heads('walkin') },
      { priorityCallsWhileWalkInWaited: 0 },
      queue.policy,
      now,
    );
    const row = decision ? waiting[decision.lane][0]! : null;
    next =
      decision && row ? { ticketId: decision.ticketId, token: row.token, lane: decision.lane, reason: decision.reason } : null;
  }

  // every move writes a record for the portal: waiting to upload, unless one already needs attention
  const mark: UploadState = queue.uploads[ticket.id] === 'attention' ? 'attention' : 'waiting';
  return {
    ...queue,
    waiting,
    waitingCount,
    called,
    recent,
    counts,
    next,
    oldestWaitMinutes: headsMoved
      ? { priority: waitMinutes(now, waiting.priority[0]), walkin: waitMinutes(now, waiting.walkin[0]) }
      : queue.oldestWaitMinutes,
    uploads: queue.uploads[ticket.id] === mark ? queue.uploads : { ...queue.uploads, [ticket.id]: mark },
  };
}

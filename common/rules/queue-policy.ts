/**
 * Who is called next. Pure: the store hands in what is waiting and a little history,
 * this decides. Modes:
 *  - strict: a waiting priority (online-registered) ticket is always called before a walk-in
 *    (how the centres worked in 2021, and the default);
 *  - ratio: after N priority calls made while a walk-in was waiting, the walk-in is called;
 *  - on top of either, an optional maximum wait: a walk-in who has waited that long is called next.
 * Within a lane, tickets are called in the order they joined it.
 */
export type Lane = 'priority' | 'walkin';

export interface QueuePolicy {
  mode: 'strict' | 'ratio';
  /** ratio mode: priority calls per walk-in call (N in N:1) */
  priorityPerWalkIn: number;
  /** call the oldest walk-in once it has waited this long; null = no guard */
  walkInMaxWaitMinutes: number | null;
}

export interface WaitingTicket {
  id: string;
  lane: Lane;
  /** epoch ms when it joined (or rejoined) its lane */
  queuedAt: number;
}

export interface LaneHeads {
  /** waiting tickets of each lane, oldest first (only the first of each is used) */
  priority: readonly WaitingTicket[];
  walkin: readonly WaitingTicket[];
}

export interface CallHistory {
  /** priority tickets called since the oldest waiting walk-in joined and since the last walk-in call */
  priorityCallsWhileWalkInWaited: number;
}

export type NextReason = 'only_waiting' | 'priority_first' | 'ratio_turn' | 'max_wait';

export interface NextDecision {
  ticketId: string;
  lane: Lane;
  reason: NextReason;
}

export function decideNext(lanes: LaneHeads, history: CallHistory, policy: QueuePolicy, now: number): NextDecision | null {
  const p = lanes.priority[0];
  const w = lanes.walkin[0];
  if (!p && !w) return null;
  if (!p) return { ticketId: w!.id, lane: 'walkin', reason: 'only_waiting' };
  if (!w) return { ticketId: p.id, lane: 'priority', reason: 'only_waiting' };
  if (policy.walkInMaxWaitMinutes !== null && now - w.queuedAt >= policy.walkInMaxWaitMinutes * 60_000) {
    return { ticketId: w.id, lane: 'walkin', reason: 'max_wait' };
  }
  if (policy.mode === 'ratio' && history.priorityCallsWhileWalkInWaited >= policy.priorityPerWalkIn) {
    return { ticketId: w.id, lane: 'walkin', reason: 'ratio_turn' };
  }
  return { ticketId: p.id, lane: 'priority', reason: 'priority_first' };
}

export interface CheckInLanePolicy {
  /** an online registrant arriving this many minutes after their slot joins the walk-in lane; null = never */
  lateArrivalMinutes: number | null;
  /** whether provisional (unverified) check-ins join the priority lane */
  provisionalPriority: boolean;
}

/** Which lane a check-in joins. `slotMinute` and `nowMinute` are minutes since the centre's midnight. */
export function laneForCheckIn(
  input: { verified: boolean; slotMinute: number | null; nowMinute: number },
  policy: CheckInLanePolicy,
): { lane: Lane; late: boolean } {
  if (!input.verified && !policy.provisionalPriority) return { lane: 'walkin', late: false };
  if (
    policy.lateArrivalMinutes !== null &&
    input.slotMinute !== null &&
    input.nowMinute - input.slotMinute > policy.lateArrivalMinutes
  ) {
    return { lane: 'walkin', late: true };
  }
  return { lane: 'priority', late: false };
}

/**
 * 009: what the queue reads on every refresh, found by index instead of by reading the whole
 * day. The queue's rule asks when a lane was last called and how many calls a lane had since a
 * time: each ticket event now carries its ticket's day and lane (a ticket keeps both for life),
 * and the calls are indexed by them. The list of the day's last finished tickets is read from
 * an index on when they finished, newest first, instead of sorting every finished ticket.
 */
export const sql = /* sql */ `
ALTER TABLE ticket_event ADD COLUMN day TEXT;
ALTER TABLE ticket_event ADD COLUMN lane TEXT;
UPDATE ticket_event SET (day, lane) = (SELECT t.day, t.lane FROM ticket t WHERE t.id = ticket_event.ticket_id);
CREATE INDEX ticket_event_lane_calls ON ticket_event (day, lane, at) WHERE action = 'call';
CREATE INDEX ticket_finished ON ticket (day, finished_at) WHERE finished_at IS NOT NULL;
`;

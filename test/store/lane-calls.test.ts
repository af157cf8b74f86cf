/**
 * What the queue reads on every refresh, by index (migration 009): a lane's last call, the
 * calls a lane had since a time, and the day's last finished tickets. Over two busy days of
 * every queue action, each answer is checked against its definition read from the tickets
 * themselves; and a counter that had tickets before the migration gets the same answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LaneName } from '../../common/domain';
import { prng } from '../../common/demo/people';
import { callsOfLaneSince, lastCallOfLane, recentlyFinishedTickets, recordEvent } from '../../main/store/tickets';
import { openCounter, rosterEntry, setupCounter, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

// the second day starts just after midnight in the centre's time zone (India, UTC+5:30): its
// events fall on the first day's date in UTC, so only the ticket's own day tells them apart
const DAYS = [
  { day: '2021-04-10', morning: '2021-04-10T04:30:00.000Z' },
  { day: '2021-04-11', morning: '2021-04-10T18:40:00.000Z' },
] as const;
const LANES: LaneName[] = ['priority', 'walkin'];
const roster = Array.from({ length: 40 }, (_, i) => rosterEntry(`REF${String(i + 1).padStart(7, '0')}`));
const SERVE = { vaccine: 'COVAXIN', lotNumber: 'b-21/0042', dose: 2 };

/** The definitions, joined from the tickets (as the queue read them before migration 009). */
const REFERENCE = {
  lastCall: `SELECT max(e.at) AS at FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
              WHERE t.day = ? AND t.lane = ? AND e.action = 'call'`,
  callsSince: `SELECT count(*) AS n FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
                WHERE t.day = ? AND t.lane = ? AND e.action = 'call' AND e.at >= ?`,
  recent: `SELECT id FROM ticket WHERE day = ? AND status IN ('served', 'no_show', 'cancelled')
            ORDER BY finished_at DESC LIMIT ?`,
};

/** Every answer the queue reads, by index and by definition, for both days and lanes. */
function answers(counter: Counter) {
  const db = counter.backend.db;
  const times = (db.prepare("SELECT DISTINCT at FROM ticket_event WHERE action = 'call' ORDER BY at").all() as { at: string }[])
    .map((r) => r.at)
    .concat(['', '9999']);
  const byIndex: unknown[] = [];
  const byDefinition: unknown[] = [];
  for (const { day } of DAYS) {
    for (const lane of LANES) {
      byIndex.push(lastCallOfLane(db, day, lane));
      byDefinition.push((db.prepare(REFERENCE.lastCall).get(day, lane) as { at: string | null }).at);
      for (const since of times) {
        byIndex.push(callsOfLaneSince(db, day, lane, since));
        byDefinition.push((db.prepare(REFERENCE.callsSince).get(day, lane, since) as { n: number }).n);
      }
    }
    byIndex.push(recentlyFinishedTickets(db, day, 5).map((t) => t.id));
    byDefinition.push((db.prepare(REFERENCE.recent).all(day, 5) as { id: string }[]).map((t) => t.id));
  }
  return { byIndex, byDefinition };
}

/** Two days of every queue action, chosen by a seeded random walk; checked after each step. */
async function busyDays(counter: Counter, steps: number): Promise<{ calls: number; finished: number }> {
  const r = prng(2021);
  const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(r() * xs.length)];
  const db = counter.backend.db;
  let walkIns = 0;
  let checkedIn = 0;
  for (const [d, { day, morning }] of DAYS.entries()) {
    counter.clock.set(morning);
    if (d > 0) {
      // a ticket of the day before, still open, cancelled today: its event is today's, its ticket yesterday's
      const open = db
        .prepare("SELECT id FROM ticket WHERE day = ? AND status IN ('waiting', 'called') LIMIT 1")
        .get(DAYS[d - 1]!.day) as { id: string } | undefined;
      expect(open, 'a ticket of the first day left open').toBeDefined();
      await counter.ok('cancelTicket', { ticketId: open!.id, reason: 'left yesterday' });
    }
    for (let step = 0; step < steps; step++) {
      counter.clock.advance(60_000);
      const of = (status: string) =>
        (db.prepare('SELECT id FROM ticket WHERE day = ? AND status = ?').all(day, status) as { id: string }[]).map((t) => t.id);
      const waiting = of('waiting');
      const called = of('called');
      const noShow = of('no_show');
      const choice = Math.floor(r() * 9);
      if (choice === 0 && d === 0 && checkedIn < roster.length) {
        await counter.ok('checkIn', { refId: roster[checkedIn++]!.refId });
      } else if (choice <= 1 || waiting.length === 0) {
        walkIns++;
        await counter.ok('registerWalkIn', {
          submissionId: SUBMISSION(walkIns),
          form: walkInForm(walkIns),
          acknowledgedDuplicates: [],
        });
      } else if (choice === 2) {
        await counter.ok('callNext', {});
      } else if (choice === 3) {
        await counter.ok('callTicket', { ticketId: pick(waiting)! });
      } else if (choice === 4 && called.length > 0) {
        await counter.ok('recallTicket', { ticketId: pick(called)! });
      } else if (choice === 5 && called.length > 0) {
        await counter.ok('markNoShow', { ticketId: pick(called)! });
      } else if (choice === 6 && noShow.length > 0) {
        await counter.ok('requeueTicket', { ticketId: pick(noShow)! });
      } else if (choice === 7 && called.length > 0) {
        await counter.ok('serveTicket', { ticketId: pick(called)!, ...SERVE });
      } else {
        await counter.ok('cancelTicket', { ticketId: pick([...waiting, ...called])!, reason: 'left the hall' });
      }
      const { byIndex, byDefinition } = answers(counter);
      expect(byIndex, `day ${day}, step ${step}`).toEqual(byDefinition);
    }
  }
  const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  return {
    calls: n("SELECT count(*) AS n FROM ticket_event WHERE action = 'call'"),
    finished: n('SELECT count(*) AS n FROM ticket WHERE finished_at IS NOT NULL'),
  };
}

describe("the queue's reads by index", () => {
  it('a lane’s last call, its calls since any time and the last finished tickets are what the tickets say, after every action of two days', async () => {
    c = await setupCounter({ roster });
    const done = await busyDays(c, 60);
    // the walk went through what it is meant to check: calls in both lanes, finished tickets
    expect(done.calls).toBeGreaterThan(15);
    expect(done.finished).toBeGreaterThan(10);
    for (const lane of LANES) expect(lastCallOfLane(c.backend.db, DAYS[0].day, lane)).not.toBeNull();
  });

  it('an event is recorded only for a ticket that exists', async () => {
    c = await setupCounter({ roster });
    const db = c.backend.db;
    const operatorId = (db.prepare('SELECT id FROM operator LIMIT 1').get() as { id: string }).id;
    expect(() =>
      recordEvent(db, 'no-such-ticket', 'call', 'waiting', 'called', '2021-04-10T05:00:00.000Z', operatorId, {}),
    ).toThrow(/no ticket no-such-ticket/);
    expect(db.prepare('SELECT count(*) AS n FROM ticket_event').get()).toEqual({ n: 0 });
  });

  it('a counter with tickets from before migration 009 gets the day and lane of every event, and the same answers', async () => {
    c = await setupCounter({ roster });
    await busyDays(c, 25);
    const before = answers(c);
    // the file as an older version of the app left it: no day and lane on the events, no indexes
    c.backend.db.exec(`
      DROP INDEX ticket_event_lane_calls;
      DROP INDEX ticket_finished;
      ALTER TABLE ticket_event DROP COLUMN day;
      ALTER TABLE ticket_event DROP COLUMN lane;
      PRAGMA user_version = 8;
    `);
    await c.close();
    c = await openCounter(c.dataDir, c.clock);
    const db = c.backend.db;
    expect(db.pragma('user_version', { simple: true })).toBe(9);
    const events = db.prepare('SELECT count(*) AS n FROM ticket_event').get() as { n: number };
    expect(events.n).toBeGreaterThan(40);
    const unlike = db
      .prepare(
        `SELECT count(*) AS n FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
          WHERE e.day IS NOT t.day OR e.lane IS NOT t.lane`,
      )
      .get() as { n: number };
    expect(unlike.n).toBe(0);
    const after = answers(c);
    expect(after.byIndex).toEqual(after.byDefinition);
    expect(after.byIndex).toEqual(before.byIndex);
  });
});

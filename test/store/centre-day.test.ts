import { afterEach, describe, expect, it } from 'vitest';
import { importRosterCsv, rosterEntry, setupCounter, SUBMISSION, walkInForm, type Counter } from './harness';

let c: Counter;
afterEach(() => c?.dispose());

describe("the counter's today", () => {
  it('is the day in India: 2021-03-04T20:00Z is already 5 March at the centre', async () => {
    c = await setupCounter({ at: '2021-03-04T20:00:00Z' });
    expect(c.backend.today()).toBe('2021-03-05');
    expect(c.backend.appState().today).toBe('2021-03-05');
    expect((await c.ok('getQueue', {})).day).toBe('2021-03-05');
  });

  it("tickets get the centre's day; the roster for that day is today's, the UTC day's is stale", async () => {
    const roster = [rosterEntry('REF0000001')];
    c = await setupCounter({ at: '2021-03-04T20:00:00Z' });
    await importRosterCsv(c, '2021-03-04', roster);
    expect(c.backend.appState().roster).toMatchObject({ day: '2021-03-04', stale: true });
    expect(await c.err('checkIn', { refId: 'REF0000001' })).toMatchObject({ code: 'NOT_FOUND' });
    await importRosterCsv(c, '2021-03-05', roster);
    expect(c.backend.appState().roster).toMatchObject({ day: '2021-03-05', stale: false });
    const t = await c.ok('checkIn', { refId: 'REF0000001' });
    expect(c.backend.db.prepare('SELECT day FROM ticket WHERE id = ?').get(t.id)).toEqual({ day: '2021-03-05' });
  });

  it('the queue turns over at midnight IST (18:30 UTC), not at midnight UTC', async () => {
    c = await setupCounter({ at: '2021-04-10T18:29:00Z' });
    const late = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    expect((await c.ok('getQueue', {})).waiting.walkin.map((t) => t.id)).toEqual([late.id]);
    c.clock.set('2021-04-10T18:30:00Z');
    const q = await c.ok('getQueue', {});
    expect(q.day).toBe('2021-04-11');
    expect(q.waiting.walkin).toEqual([]);
    expect(await c.err('callNext', {})).toMatchObject({ code: 'NOT_FOUND' });
    const first = await c.ok('registerWalkIn', { submissionId: SUBMISSION(2), form: walkInForm(2), acknowledgedDuplicates: [] });
    expect(first.token).toBe('A-W001');
  });
});

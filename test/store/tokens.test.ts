import { afterEach, describe, expect, it } from 'vitest';
import { insertTicket } from '../../main/services/tickets';
import {
  breakOutbox,
  count,
  importRosterCsv,
  openCounter,
  rosterEntry,
  setupCounter,
  SUBMISSION,
  walkInForm,
  type Counter,
} from './harness';

let c: Counter;
afterEach(() => c?.dispose());

const roster = Array.from({ length: 5 }, (_, i) => rosterEntry(`REF00000${i + 1}`));

describe('token allocation', () => {
  it('numbers each lane of the day separately and in order: A-P001, A-P002... and A-W001...', async () => {
    c = await setupCounter({ roster });
    const t1 = await c.ok('checkIn', { refId: 'REF000001' });
    const w1 = await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] });
    const t2 = await c.ok('checkIn', { refId: 'REF000002' });
    const w2 = await c.ok('registerWalkIn', { submissionId: SUBMISSION(2), form: walkInForm(2), acknowledgedDuplicates: [] });
    const t3 = await c.ok('checkInProvisional', { refId: 'NOTINROSTER1', name: 'Asha Pal' }); // provisional: walk-in lane by default
    expect([t1.token, t2.token]).toEqual(['A-P001', 'A-P002']);
    expect([w1.token, w2.token, t3.token]).toEqual(['A-W001', 'A-W002', 'A-W003']);
  });

  it('uses the lane letters and prefix from provisioning', async () => {
    c = await setupCounter({
      roster,
      provisioning: { counter: { code: 'B7', tokenPrefix: 'BK' }, lanes: { priorityLetter: 'O', walkInLetter: 'N' } },
    });
    expect((await c.ok('checkIn', { refId: 'REF000001' })).token).toBe('BK-O001');
    expect(
      (await c.ok('registerWalkIn', { submissionId: SUBMISSION(1), form: walkInForm(1), acknowledgedDuplicates: [] })).token,
    ).toBe('BK-N001');
  });

  it("starts again at 001 on the centre's next day, and keeps the old day's tickets", async () => {
    c = await setupCounter({ at: '2021-04-10T18:00:00Z', roster }); // 23:30 IST
    await c.ok('checkIn', { refId: 'REF000001' });
    await c.ok('checkIn', { refId: 'REF000002' });
    c.clock.set('2021-04-10T18:30:00Z'); // 00:00 IST on the 11th
    expect(c.backend.today()).toBe('2021-04-11');
    await importRosterCsv(c, '2021-04-11', roster);
    const next = await c.ok('checkIn', { refId: 'REF000001' });
    expect(next.token).toBe('A-P001');
    expect(c.backend.db.prepare('SELECT day, token FROM ticket ORDER BY day, token').all()).toEqual([
      { day: '2021-04-10', token: 'A-P001' },
      { day: '2021-04-10', token: 'A-P002' },
      { day: '2021-04-11', token: 'A-P001' },
    ]);
  });

  it('never hands out a token again after a cancellation', async () => {
    c = await setupCounter({ roster });
    const t1 = await c.ok('checkIn', { refId: 'REF000001' });
    await c.ok('cancelTicket', { ticketId: t1.id, reason: 'wrong person' });
    const again = await c.ok('checkIn', { refId: 'REF000001' });
    expect(again.token).toBe('A-P002');
  });

  it('continues the sequence after the app restarts', async () => {
    c = await setupCounter({ roster });
    await c.ok('checkIn', { refId: 'REF000001' });
    c.close();
    const clock = c.clock;
    c = await openCounter(c.dataDir, clock);
    await c.signIn({ loginId: 'super1', pin: '246810' });
    expect((await c.ok('checkIn', { refId: 'REF000002' })).token).toBe('A-P002');
  });

  it('a ticket transaction that fails after taking a number leaves no ticket, and the number goes to the next committed ticket only', async () => {
    c = await setupCounter({ roster });
    await c.ok('checkIn', { refId: 'REF000001' }); // A-P001 committed
    const ctx = c.backend.context();
    const day = c.backend.today()!;
    const attempt = c.backend.db.transaction(() => {
      const t = insertTicket(
        ctx,
        {
          day,
          lane: 'priority',
          source: 'online',
          refId: 'REF000002',
          walkinId: null,
          name: 'X Y',
          dose: 1,
          verified: true,
          late: false,
        },
        c.clock().toISOString(),
      );
      expect(t.token).toBe('A-P002');
      throw new Error('crash after allocation');
    });
    expect(() => attempt()).toThrow('crash after allocation');
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(1);

    // the same through a real service call failing late in its transaction
    const restore = breakOutbox(c);
    expect(await c.err('checkIn', { refId: 'REF000003' })).toMatchObject({ code: 'INTERNAL' });
    restore();
    expect(count(c, 'SELECT count(*) AS n FROM ticket')).toBe(1);

    const t2 = await c.ok('checkIn', { refId: 'REF000002' });
    const t3 = await c.ok('checkIn', { refId: 'REF000003' });
    expect([t2.token, t3.token]).toEqual(['A-P002', 'A-P003']);
    expect(count(c, 'SELECT count(DISTINCT token) AS n FROM ticket')).toBe(3);
  });

  it('allocates only inside a ticket transaction', async () => {
    c = await setupCounter({ roster });
    const ctx = c.backend.context();
    expect(() =>
      insertTicket(
        ctx,
        {
          day: c.backend.today()!,
          lane: 'walkin',
          source: 'walkin',
          refId: null,
          walkinId: null,
          name: 'X Y',
          dose: 1,
          verified: true,
          late: false,
        },
        c.clock().toISOString(),
      ),
    ).toThrow(/inside the ticket transaction/);
    expect(count(c, 'SELECT count(*) AS n FROM token_sequence')).toBe(0);
  });

  it('gives 1,000 registrations 1,000 different tokens, numbered without gaps', async () => {
    c = await setupCounter();
    const tokens: string[] = [];
    for (let n = 0; n < 1000; n++) {
      c.clock.advance(1_000);
      const t = await c.ok('registerWalkIn', { submissionId: SUBMISSION(n), form: walkInForm(n), acknowledgedDuplicates: [] });
      tokens.push(t.token);
    }
    expect(new Set(tokens).size).toBe(1000);
    expect(tokens.slice(0, 2)).toEqual(['A-W001', 'A-W002']);
    expect(tokens.at(-2)).toBe('A-W999');
    expect(tokens.at(-1)).toBe('A-W1000');
    expect(tokens).toEqual(Array.from({ length: 1000 }, (_, i) => `A-W${String(i + 1).padStart(3, '0')}`));
    expect(count(c, 'SELECT count(DISTINCT token) AS n FROM ticket')).toBe(1000);
  });
});

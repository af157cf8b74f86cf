import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ROSTER_PAGE, errorBodySchema, rosterPageSchema, type RosterPage } from '../../common/sync-protocol';
import { rosterEntries } from '../../common/demo/people';
import { DEMO_PORTAL, DEMO_PROVISIONING } from '../../common/demo/counter';
import { seedPortalDemo } from '../../portal/demo';
import { encodeCursor, type Portal } from '../../portal/server';
import { CENTRE, DAY, OTHER_CENTRE, entry, inject, memoryPortal } from './helpers';
import { engineRows } from './engine-sql';

let portal: Portal;
beforeEach(async () => {
  portal = await memoryPortal();
});
afterEach(() => portal.close());

async function page(query = '', centreId = CENTRE, date = DAY): Promise<RosterPage> {
  const res = await inject(portal, 'GET', `/v1/centres/${centreId}/roster/${date}${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return rosterPageSchema.parse(res.body);
}

/** Pulls until hasMore is false (bounded); returns every change and the resume cursor. */
async function pullAll(cursor?: string, limit = 1000, maxPages = 200) {
  const changes: RosterPage['changes'] = [];
  let pages = 0;
  for (; pages < maxPages; pages++) {
    const q = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const p = await page(`?${q}`);
    changes.push(...p.changes);
    cursor = p.cursor;
    if (!p.hasMore) return { changes, cursor, pages: pages + 1 };
  }
  throw new Error(`still more after ${maxPages} pages`);
}

const refIds = (changes: RosterPage['changes']) => changes.map((c) => (c.op === 'upsert' ? c.entry.refId : c.refId));

describe('roster pull', () => {
  it('pages through every entry exactly once, then gives only later changes', async () => {
    const entries = Array.from({ length: 2500 }, (_, i) => entry(i));
    await portal.store.upsertAppointments(CENTRE, DAY, entries);
    await portal.store.upsertAppointments(CENTRE, '2026-03-11', [entry(9000)]);
    await portal.store.upsertAppointments(OTHER_CENTRE, DAY, [entry(9001)]);
    const first = await pullAll(undefined, 1000);
    expect(first.pages).toBe(3);
    expect(refIds(first.changes)).toEqual(entries.map((e) => e.refId));
    expect(first.changes.every((c) => c.op === 'upsert')).toBe(true);
    expect(first.changes[0]).toEqual({ op: 'upsert', entry: entries[0] });

    const nothing = await page(`?cursor=${first.cursor}`);
    expect(nothing).toMatchObject({ changes: [], hasMore: false, cursor: first.cursor });

    await portal.store.upsertAppointments(CENTRE, DAY, [entry(5000), entry(3, { slotTime: '15:45' }), entry(4)]);
    await portal.store.cancelAppointments(CENTRE, DAY, ['REF100010', 'REF999999']);
    const later = await pullAll(first.cursor);
    expect(later.changes).toEqual([
      { op: 'upsert', entry: entry(5000) },
      { op: 'upsert', entry: entry(3, { slotTime: '15:45' }) },
      { op: 'remove', refId: 'REF100010' },
    ]);
  });

  it('sends removes for cancelled bookings on a full pull too', async () => {
    await portal.store.upsertAppointments(CENTRE, DAY, [entry(1), entry(2)]);
    await portal.store.cancelAppointments(CENTRE, DAY, ['REF100001']);
    const all = await pullAll();
    expect(all.changes).toEqual([
      { op: 'upsert', entry: entry(2) },
      { op: 'remove', refId: 'REF100001' },
    ]);
  });

  it('loses nothing when bookings change while a counter is paging', async () => {
    await portal.store.upsertAppointments(
      CENTRE,
      DAY,
      Array.from({ length: 30 }, (_, i) => entry(i)),
    );
    const p1 = await page('?limit=10');
    // cancel one already sent, one not yet sent; rebook one already sent
    await portal.store.cancelAppointments(CENTRE, DAY, ['REF100002', 'REF100025']);
    await portal.store.upsertAppointments(CENTRE, DAY, [entry(3, { dose: 2 })]);
    const rest = await pullAll(p1.cursor, 10);
    const state = new Map<string, unknown>();
    for (const c of [...p1.changes, ...rest.changes]) {
      if (c.op === 'upsert') state.set(c.entry.refId, c.entry);
      else state.delete(c.refId);
    }
    expect(state.size).toBe(28);
    expect(state.has('REF100002')).toBe(false);
    expect(state.has('REF100025')).toBe(false);
    expect(state.get('REF100003')).toMatchObject({ dose: 2 });
  });

  it('bumps no version for an unchanged booking', async () => {
    expect(await portal.store.upsertAppointments(CENTRE, DAY, [entry(1), entry(2)])).toBe(2);
    const { cursor } = await pullAll();
    expect(await portal.store.upsertAppointments(CENTRE, DAY, [entry(1), entry(2)])).toBe(0);
    expect((await page(`?cursor=${cursor}`)).changes).toEqual([]);
  });

  it('refuses a malformed cursor or one for another roster with 400 invalid_cursor', async () => {
    const bad = [
      'not a cursor',
      Buffer.from('{"x":1}').toString('base64url'),
      Buffer.from('[1,2').toString('base64url'),
      encodeCursor(CENTRE, '2026-03-11', 0),
      encodeCursor(OTHER_CENTRE, DAY, 0),
    ];
    for (const cursor of bad) {
      const res = await inject(portal, 'GET', `/v1/centres/${CENTRE}/roster/${DAY}?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(errorBodySchema.parse(res.body).error).toBe('invalid_cursor');
    }
  });

  it('refuses a date that is not YYYY-MM-DD and a bad limit; caps the limit at MAX_ROSTER_PAGE', async () => {
    for (const date of ['2026-3-10', '2026-02-30', 'today']) {
      const res = await inject(portal, 'GET', `/v1/centres/${CENTRE}/roster/${date}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
    for (const limit of ['0', '-1', 'ten', '1.5']) {
      const res = await inject(portal, 'GET', `/v1/centres/${CENTRE}/roster/${DAY}?limit=${limit}`);
      expect(res.status, limit).toBe(400);
    }
    await portal.store.upsertAppointments(
      CENTRE,
      DAY,
      Array.from({ length: MAX_ROSTER_PAGE + 1 }, (_, i) => entry(i)),
    );
    const big = await page('?limit=999999');
    expect(big.changes).toHaveLength(MAX_ROSTER_PAGE);
    expect(big.hasMore).toBe(true);
  });

  it('gives a roster of 100 000 bookings in pages of MAX_ROSTER_PAGE', async () => {
    const entries = rosterEntries(100_000, 3);
    await portal.store.upsertAppointments(CENTRE, DAY, entries);
    const started = performance.now();
    const all = await pullAll(undefined, MAX_ROSTER_PAGE, 50);
    expect(all.pages).toBe(20);
    expect(all.changes).toHaveLength(100_000);
    expect(new Set(refIds(all.changes)).size).toBe(100_000);
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('the demo seed books the demo counter’s people for today and tomorrow, and changes nothing when run again', async () => {
    const at = new Date('2026-03-10T20:00:00Z'); // 01:30 on 11 March in Lucknow
    const seed = await seedPortalDemo(portal.store, at);
    expect(seed).toEqual({ centreId: DEMO_PROVISIONING.centre.id, days: ['2026-03-11', '2026-03-12'], appointments: 500 });
    expect(await seedPortalDemo(portal.store, at)).toEqual(seed);
    const res = await inject(
      portal,
      'GET',
      `/v1/centres/${seed.centreId}/roster/2026-03-11?limit=${MAX_ROSTER_PAGE}`,
      undefined,
      DEMO_PORTAL.deviceToken,
    );
    expect(res.status).toBe(200);
    const roster = rosterPageSchema.parse(res.body);
    expect(roster.changes).toEqual(
      rosterEntries(DEMO_PORTAL.rosterSize, DEMO_PORTAL.rosterSeed).map((e) => ({ op: 'upsert', entry: e })),
    );
    // the second run bumped nothing: versions are 1..1000 across the two days
    const days = await Promise.all(seed.days.map((day) => portal.store.rosterRows(seed.centreId, day, 0, MAX_ROSTER_PAGE)));
    expect(Math.max(...days.map((d) => d.lastVersion))).toBe(1000);
    // nor the roster clock itself (read from the database)
    expect(
      await engineRows(portal, {
        sqlite: 'SELECT version FROM roster_clock',
        postgres: 'SELECT version::int AS version FROM roster_clock',
      }),
    ).toEqual([{ version: 1000 }]);
  });
});

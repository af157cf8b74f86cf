/**
 * The sync engine's schedule against a scripted portal on loopback, on a clock the test
 * moves: a roster booking the counter cannot take is skipped (the rest kept) instead of
 * refusing the roster again and again, and a wall clock set back does not stall uploads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './harness';
import { ManualClock } from './manual-clock';
import { dbWithPending, DEVICE, CENTRE, engineFor, json, pendingIn, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  await runCleanups();
});

const entry = (refId: string, photoIdType = 'AADHAAR') => ({
  refId,
  name: 'Sunita Devi',
  gender: 'F',
  birthYear: 1961,
  mobileLast4: '3210',
  photoIdType,
  photoIdLast4: '1234',
  dose: 1,
  slotTime: null,
});

describe('sync engine schedule', () => {
  it('a roster booking the counter cannot take is skipped: the rest is kept and the roster is not pulled again and again', async () => {
    // Page 1 is fine; page 2 holds one entry with a photo-ID type the counter does not know.
    const clock = new ManualClock();
    const portal = await scriptedPortal((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const m = /^\/v1\/centres\/([^/]+)\/roster\/([^/]+)$/.exec(u.pathname);
      if (!m) return json(res, 404, { error: 'not_found', message: 'no' });
      const date = decodeURIComponent(m[2]!);
      if (!u.searchParams.get('cursor')) {
        return json(res, 200, {
          centreId: CENTRE,
          date,
          changes: [{ op: 'upsert', entry: entry('AB1234567') }],
          cursor: 'p2',
          hasMore: true,
        });
      }
      return json(res, 200, {
        centreId: CENTRE,
        date,
        changes: [{ op: 'upsert', entry: entry('AB7654321', 'OTHER_GOVT_ID') }],
        cursor: 'p3',
        hasMore: false,
      });
    }, clock);
    const db = dbWithPending(0);
    const engine = engineFor(portal.url, db, { clock }); // product tuning: 1 s base backoff
    engine.start();
    await clock.advanceBy(6000, { stepMs: 50 });
    const fullPullStarts = portal.hits.filter((h) => !h.url.includes('cursor=')).length;
    // one pull per day (today, tomorrow), not a pull every few hundred ms
    expect(fullPullStarts).toBeLessThanOrEqual(6);
    const kept = db.prepare('SELECT ref_id FROM roster_entry ORDER BY ref_id').all() as { ref_id: string }[];
    expect(kept.map((r) => r.ref_id)).toEqual(['AB1234567', 'AB1234567']); // today's and tomorrow's
  });

  it('keeps retrying after the wall clock is set back (NTP correction) while backing off', async () => {
    const clock = new ManualClock();
    let fail = true;
    const portal = await scriptedPortal((req, res) => {
      if (req.url?.startsWith('/v1/push')) {
        if (fail) return json(res, 503, { error: 'unavailable', message: 'down' });
        // acknowledge whatever was sent: the engine checks seq/mutationId, so echo them back
        return json(res, 200, {
          deviceId: DEVICE,
          lastAppliedSeq: 1,
          results: lastBatch.map((m) => ({ ...m, status: 'applied' })),
        });
      }
      json(res, 503, { error: 'unavailable', message: 'down' });
    }, clock);
    let lastBatch: { seq: number; mutationId: string }[] = [];
    const db = dbWithPending(1);
    const row = db.prepare('SELECT seq, mutation_id FROM outbox').get() as { seq: number; mutation_id: string };
    lastBatch = [{ seq: row.seq, mutationId: row.mutation_id }];
    const engine = engineFor(portal.url, db, {
      clock,
      tuning: { backoffBaseMs: 200, backoffCapMs: 400, breakerThreshold: 50 },
    });
    engine.start();
    await eventually(() => expect(engine.status.lastError?.code).toBe('unavailable'), 10_000);
    // the PC's clock is corrected one hour back; the portal recovers
    clock.setWall(new Date(clock.date().getTime() - 3_600_000));
    fail = false;
    // backoff is at most 400 ms: the record is acknowledged at the next retry, not an hour later
    const took = await clock
      .advanceUntil(() => pendingIn(db) === 0, { stepMs: 20, maxMs: 6_000 })
      .catch((e: Error) => {
        throw new Error(
          `${e.message} ${JSON.stringify(engine.status)} hits=${portal.hits.map((h) => h.url.slice(0, 12)).join(',')}`,
        );
      });
    expect(took).toBeLessThanOrEqual(400 + 20);
  });
});

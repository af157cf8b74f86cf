/**
 * The sync engine's schedule against a scripted portal on loopback: a roster booking the
 * counter cannot take is skipped (the rest kept) instead of refusing the roster again and
 * again, and a wall clock set back does not stall uploads.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventually } from './harness';
import { dbWithPending, DEVICE, CENTRE, engineFor, json, runCleanups, scriptedPortal } from './scripted-portal';

afterEach(async () => {
  vi.restoreAllMocks();
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
    });
    const db = dbWithPending(0);
    const engine = engineFor(portal.url, db); // product tuning: 1 s base backoff
    engine.start();
    await new Promise((r) => setTimeout(r, 6000));
    const fullPullStarts = portal.hits.filter((h) => !h.url.includes('cursor=')).length;
    // one pull per day (today, tomorrow), not a pull every few hundred ms
    expect(fullPullStarts).toBeLessThanOrEqual(6);
    const kept = db.prepare('SELECT ref_id FROM roster_entry ORDER BY ref_id').all() as { ref_id: string }[];
    expect(kept.map((r) => r.ref_id)).toEqual(['AB1234567', 'AB1234567']); // today's and tomorrow's
  }, 30_000);

  it('keeps retrying after the wall clock is set back (NTP correction) while backing off', async () => {
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
    });
    let lastBatch: { seq: number; mutationId: string }[] = [];
    const db = dbWithPending(1);
    const row = db.prepare('SELECT seq, mutation_id FROM outbox').get() as { seq: number; mutation_id: string };
    lastBatch = [{ seq: row.seq, mutationId: row.mutation_id }];
    const engine = engineFor(portal.url, db, { backoffBaseMs: 200, backoffCapMs: 400, breakerThreshold: 50 });
    engine.start();
    await eventually(() => expect(engine.status.lastError?.code).toBe('unavailable'), 10_000);
    // the PC's clock is corrected one hour back; the portal recovers
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    fail = false;
    // backoff is at most 400 ms: the record should be acknowledged within a few seconds
    await eventually(
      () => expect((db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n).toBe(0),
      6_000,
    ).catch((e) => {
      throw new Error(
        `${(e as Error).message} ${JSON.stringify(engine.status)} hits=${portal.hits.map((h) => h.url.slice(0, 12)).join(',')}`,
      );
    });
  }, 30_000);
});

// The sync engine's housekeeping reduces a walk-in's full mobile number to its last 4 once
// sync.mobileRetentionDays (default 30) have passed since the portal acknowledged it, on the
// engine's own clock (a manual one here), and leaves it whole before.
import { afterEach, describe, expect, it } from 'vitest';
import { syncSettingsSchema } from '../../common/domain';
import { walScrubOwed } from '../../main/store/database';
import { acknowledgeOutboxRange } from '../../main/store/outbox';
import { setupCounter, walkInForm, type Counter } from '../store/harness';
import { ManualClock } from './manual-clock';
import { engineFor, json, runCleanups, scriptedPortal } from './scripted-portal';

const counters: Counter[] = [];
afterEach(async () => {
  await runCleanups();
  for (const c of counters.splice(0)) await c.dispose();
});

const DAY_MS = 86_400_000;

describe('mobile retention', () => {
  it('defaults to 30 days and may not be 0 (the day’s walk-ins are checked for the same mobile number)', () => {
    expect(syncSettingsSchema.parse({}).mobileRetentionDays).toBe(30);
    expect(syncSettingsSchema.safeParse({ mobileRetentionDays: 0 }).success).toBe(false);
    expect(syncSettingsSchema.parse({ mobileRetentionDays: 7 }).mobileRetentionDays).toBe(7);
  });

  it('the engine’s sweep keeps the full number for 30 days after acknowledgement, then only its last 4', async () => {
    const c = await setupCounter();
    counters.push(c);
    const form = walkInForm(3);
    await c.ok('registerWalkIn', { form, submissionId: crypto.randomUUID(), acknowledgedDuplicates: [] });
    const db = c.backend.db;
    const acknowledgedAt = c.clock();
    acknowledgeOutboxRange(db, 0, 1_000_000, acknowledgedAt.toISOString());
    const mobile = () => (db.prepare('SELECT mobile FROM walkin').get() as { mobile: string }).mobile;
    const payloadMobile = () =>
      (
        JSON.parse((db.prepare('SELECT payload FROM outbox').get() as { payload: string }).payload) as {
          person: { mobile: string };
        }
      ).person.mobile;
    // a portal that is down: the engine's pass fails its requests and still does its housekeeping
    const portal = await scriptedPortal((_req, res) => json(res, 503, { error: 'unavailable' }));

    const early = new ManualClock(new Date(acknowledgedAt.getTime() + 29 * DAY_MS));
    await engineFor(portal.url, db, { clock: early })
      .cycle()
      .catch(() => undefined);
    expect(mobile()).toBe(form.mobile);
    expect(payloadMobile()).toBe(form.mobile);

    const late = new ManualClock(new Date(acknowledgedAt.getTime() + 30 * DAY_MS + 60_000));
    await engineFor(portal.url, db, { clock: late })
      .cycle()
      .catch(() => undefined);
    expect(mobile()).toBe(form.mobile.slice(-4));
    // reduced, its row (older than keepAcknowledgedDays, 30) goes in the same sweep
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    expect(walScrubOwed(db)).toBe(false);
  });
});

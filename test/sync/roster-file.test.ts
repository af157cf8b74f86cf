/**
 * A roster the supervisor imported from a file (the offline fallback) is not wiped by a
 * portal that has no bookings for the day; the portal's later bookings are added to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortalInProcess, type PortalHandle } from '../../portal/process';
import { eventually, people, syncedCounter, type SyncedCounter } from './harness';
import { freshPortalDatabase } from '../support/portal-engine';

let portal: PortalHandle;
const counters: SyncedCounter[] = [];
beforeAll(async () => {
  portal = await startPortalInProcess({ database: freshPortalDatabase() });
});
afterAll(async () => {
  for (const c of counters) await c.dispose();
  await portal?.stop();
});

describe('roster pull and a roster imported from a file', () => {
  it('an empty portal roster does not wipe the roster the supervisor imported from a file', async () => {
    // the portal holds no bookings for this centre today (not loaded yet, or a gateway without them)
    const c = await syncedCounter(portal, { roster: people(30, 9) });
    counters.push(c);
    expect(c.backend.appState().roster?.count).toBe(30);
    const before = c.backend.syncStatus().rosterPulledAt;
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.syncStatus().rosterPulledAt).not.toBe(before), 15_000);
    expect(c.backend.appState().roster).toMatchObject({ count: 30 });
    // bookings made at the portal later reach the counter as changes to the roster in use
    await portal.admin.addAppointments(c.centreId, c.today, people(2, 10));
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.appState().roster?.count).toBe(32), 15_000);
  }, 60_000);
});

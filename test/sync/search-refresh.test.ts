/**
 * Name search after roster pulls: the typo-tolerant search's vocabulary of today's roster is
 * rebuilt in the background when today's roster changes, and left alone when only tomorrow's
 * does, so the next search never has to read the whole roster on the main process's loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../common/rules/centre-day';
import { activeRosterImport } from '../../main/store/roster';
import { builtVocabularyImport } from '../../main/services/search';
import { startPortalInProcess, type PortalHandle } from '../../portal/process';
import { eventually, people, syncedCounter, type SyncedCounter } from './harness';

let portal: PortalHandle;
const counters: SyncedCounter[] = [];
beforeAll(async () => {
  portal = await startPortalInProcess({});
});
afterAll(async () => {
  for (const c of counters) await c.dispose();
  await portal?.stop();
});

describe('search vocabulary after roster pulls', () => {
  it("is rebuilt in the background for today's roster, and kept when only tomorrow's changes", async () => {
    const c = await syncedCounter(portal);
    counters.push(c);
    const today = c.backend.today()!;
    const roster = people(3000, 21);
    await portal.admin.addAppointments(c.centreId, today, roster);
    await c.ok('syncNow', {});
    await eventually(() => expect(c.backend.appState().roster?.count).toBe(3000), 60_000, 100);
    const todayImport = activeRosterImport(c.backend.db, today)!.id;
    // built without a search asking for it
    await eventually(() => expect(builtVocabularyImport(c.backend.db)).toBe(todayImport), 10_000);
    // a typo finds a name of the pulled roster
    const someone = roster[1234]!;
    const first = someone.name.split(' ')[0]!;
    const typo = first.length > 4 ? first.slice(0, 2) + first[3] + first[2] + first.slice(4) : first;
    const hits = await c.ok('searchRoster', { query: typo });
    expect(hits.length).toBeGreaterThan(0);

    const tomorrow = addDays(today, 1);
    await portal.admin.addAppointments(c.centreId, tomorrow, people(5, 22));
    await c.ok('syncNow', {});
    await eventually(() => expect(activeRosterImport(c.backend.db, tomorrow)?.row_count).toBe(5), 30_000);
    expect(builtVocabularyImport(c.backend.db)).toBe(todayImport);
  }, 120_000);
});

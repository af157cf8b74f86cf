/**
 * Name search after roster pulls: the name index of today's roster is rebuilt in the
 * background when today's roster changes, and left alone when only tomorrow's does, so the
 * next search never has to read the whole roster on the main process's loop; and a booking
 * the portal adds to or removes from the roster in use shows in the search at once.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RosterEntry } from '../../common/domain';
import { addDays } from '../../common/rules/centre-day';
import type { RosterChange } from '../../common/sync-protocol';
import { lastRosterPage } from '../support/roster-page';
import { builtVocabularyImport, refreshSearch } from '../../main/services/search';
import { openDatabase } from '../../main/store/database';
import { activeRosterImport } from '../../main/store/roster';
import { pullRoster } from '../../main/sync/roster-pull';
import { rosterEntry, setupCounter } from '../store/harness';
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

describe('name search and the changes the sync worker applies', () => {
  it('a booking added to or cancelled from the roster in use shows at once, before the main process hears of it', async () => {
    const c = await setupCounter();
    const worker = openDatabase(join(c.dataDir, 'counter.db'));
    try {
      const day = c.backend.today()!;
      const page = (changes: RosterChange[], cursor: string) => lastRosterPage(day, changes, cursor);
      const booked = Array.from({ length: 300 }, (_, i) =>
        rosterEntry(`REF${String(i).padStart(6, '0')}`, { name: `Asha ${i % 2 ? 'Verma' : 'Yadav'} Devi` }),
      );
      const cancelled = rosterEntry('REF900001', { name: 'Kamla Quillon' });
      const added = rosterEntry('REF900002', { name: 'Zora Quuxley' });
      const upsert = (entry: RosterEntry): RosterChange => ({ op: 'upsert', entry });
      const now = () => new Date();
      // the first pull, on the sync worker's connection
      await pullRoster(worker, 'C1', day, async () => page([...booked, cancelled].map(upsert), 'c1'), now);
      await refreshSearch(c.backend.db, day);
      const importId = activeRosterImport(c.backend.db, day)!.id;
      expect(builtVocabularyImport(c.backend.db)).toBe(importId);
      const refsFor = async (query: string) => (await c.ok('searchRoster', { query })).map((h) => h.refId);
      expect(await refsFor('quillon')).toEqual(['REF900001']);
      expect(await refsFor('quuxley')).toEqual([]);

      // changes since the cursor, applied to the same import; nothing tells the main process
      const result = await pullRoster(
        worker,
        'C1',
        day,
        async () => page([upsert(added), { op: 'remove', refId: cancelled.refId }], 'c2'),
        now,
      );
      expect(result).toMatchObject({ mode: 'changes', changes: 2 });
      expect(activeRosterImport(c.backend.db, day)!.id).toBe(importId);
      expect(await refsFor('quuxley')).toEqual(['REF900002']);
      expect(await refsFor('quillon')).toEqual([]);
      // the same once the name index is rebuilt
      await refreshSearch(c.backend.db, day);
      expect(builtVocabularyImport(c.backend.db)).toBe(importId);
      expect(await refsFor('quuxley')).toEqual(['REF900002']);
      expect(await refsFor('quxley')).toEqual(['REF900002']);
      expect(await refsFor('quillon')).toEqual([]);
    } finally {
      worker.close();
      await c.dispose();
    }
  });
});

/**
 * Each roster import's own lookup indexes (store/roster.ts, once migration 006 has dropped the
 * indexes over every import's rows): the statements kept for every import read every import
 * right, whichever import they ran for first, and a roster pulled from the portal is indexed
 * like an imported file.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rosterEntries } from '../../common/demo/people';
import type { RosterChange } from '../../common/sync-protocol';
import { lastRosterPage } from '../support/roster-page';
import { openDatabase, type Db } from '../../main/store/database';
import { activeRosterImport, countRosterEntries, removeImports, rosterEntryOfRef } from '../../main/store/roster';
import { entriesOfLast4 } from '../../main/store/roster-search';
import { pullRoster } from '../../main/sync/roster-pull';
import { tempDir } from './harness';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openMigrated(): Db {
  const dir = tempDir('counter-roster-indexes-');
  dirs.push(dir);
  const db = openDatabase(join(dir, 'counter.db'));
  dbs.push(db);
  // the shared indexes gone: migration 006 has run
  expect(db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'roster_entry_ref_last4'").get()).toBeUndefined();
  return db;
}

const upserts = (n: number, seed: number): RosterChange[] => rosterEntries(n, seed).map((entry) => ({ op: 'upsert', entry }));

describe("each roster's own lookup indexes", () => {
  it("statements kept for every import count, find and remove each import's own rows, whichever import they first ran for", async () => {
    const db = openMigrated();
    const today = '2026-12-05';
    const tomorrow = '2026-12-06';
    const now = () => new Date();
    const pull = (day: string, changes: RosterChange[], cursor: string) =>
      pullRoster(db, 'C1', day, async () => lastRosterPage(day, changes, cursor), now);
    expect((await pull(today, upserts(3000, 1), 't0')).count).toBe(3000);
    // a roster pulled in full is indexed before it is put in force, as an imported file is
    const pulledId = activeRosterImport(db, today)!.id;
    const indexes = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE ? ORDER BY name")
      .all(`roster_entry_${pulledId}_%`) as { name: string }[];
    expect(indexes.map((i) => i.name)).toEqual(
      ['mobile_last4', 'name', 'photo_last4', 'ref_last4'].map((w) => `roster_entry_${pulledId}_${w}`),
    );
    expect((await pull(tomorrow, [], 'm0')).count).toBe(0);
    // today's changes run the statements for today's import, with its own indexes made
    expect(await pull(today, [], 't1')).toMatchObject({ mode: 'changes', count: 3000 });
    // then the same statements for tomorrow's
    const added = upserts(5, 3);
    expect(await pull(tomorrow, added, 'm1')).toMatchObject({ mode: 'changes', changes: 5, count: 5 });
    const todayId = activeRosterImport(db, today)!.id;
    const tomorrowId = activeRosterImport(db, tomorrow)!.id;
    expect(activeRosterImport(db, tomorrow)!.row_count).toBe(5);
    expect(countRosterEntries(db, todayId)).toBe(3000);
    expect(countRosterEntries(db, tomorrowId)).toBe(5);
    const someone = added[2]!.op === 'upsert' ? added[2]!.entry : null;
    expect(rosterEntryOfRef(db, tomorrowId, someone!.refId)?.name).toBe(someone!.name);
    expect(entriesOfLast4(db, tomorrowId, 'ref_last4', someone!.refId.slice(-4), 20).map((r) => r.ref_id)).toContain(
      someone!.refId,
    );
    // removing one import leaves the other whole
    await removeImports(db, [todayId], 500);
    expect(db.prepare('SELECT count(*) AS n FROM roster_entry').get()).toEqual({ n: 5 });
    expect(countRosterEntries(db, tomorrowId)).toBe(5);
  });
});

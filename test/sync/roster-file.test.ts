/**
 * A roster the supervisor imported from a file (the offline fallback) is not wiped by a
 * portal that has no bookings for the day; the portal's later bookings are added to it. A
 * file's rows are staged on the sync worker's connection; a worker that ends meanwhile loses
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortalInProcess, type PortalHandle } from '../../portal/process';
import { rosterCsv } from '../../common/demo/people';
import { normalizeName } from '../../common/rules/names';
import { builtVocabularyImport } from '../../main/services/search';
import { activeRosterImport } from '../../main/store/roster';
import { importRosterCsv } from '../store/harness';
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

describe('a roster file staged by the sync worker', () => {
  const ROWS = 12_000;
  // a file's staging imports (the worker's roster pull stages its own, source 'portal')
  const stagingLeft = (c: SyncedCounter) =>
    (
      c.backend.db.prepare("SELECT count(*) AS n FROM roster_import WHERE status = 'staging' AND source <> 'portal'").get() as {
        n: number;
      }
    ).n;
  const rosterOf = (c: SyncedCounter) =>
    c.backend.db
      .prepare(
        `SELECT e.ref_id, e.name, e.name_norm, e.mobile_last4 FROM roster_entry e JOIN roster_import i ON i.id = e.import_id
         WHERE i.status = 'active' ORDER BY e.rowid`,
      )
      .all() as Array<{ ref_id: string; name: string; name_norm: string; mobile_last4: string }>;
  const imports = (c: SyncedCounter) =>
    c.backend.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'roster.imported'").get() as { n: number };

  it('writes the rows on the worker, and the name index is in use at once, read from its answers', async () => {
    const c = await syncedCounter(portal, { signedIn: 'supervisor' });
    counters.push(c);
    const host = c.backend.sync!;
    const entries = people(ROWS, 21);
    const before = host.requestsAnswered;
    await importRosterCsv(c, c.today, entries);
    // a chunk of 5,000 rows a request, and one for the indexes
    expect(host.requestsAnswered - before).toBe(Math.ceil(ROWS / 5000) + 1);
    const rows = rosterOf(c);
    expect(rows.map((r) => r.ref_id)).toEqual(entries.map((e) => e.refId));
    expect(rows.map((r) => r.name_norm)).toEqual(entries.map((e) => normalizeName(e.name)));
    const imp = activeRosterImport(c.backend.db, c.today)!;
    expect(builtVocabularyImport(c.backend.db)).toBe(imp.id);
    const last = entries[ROWS - 1]!;
    const found = await c.ok('searchRoster', { query: last.name });
    expect(found.map((r) => r.refId)).toContain(last.refId);
    expect(stagingLeft(c)).toBe(0);
  }, 60_000);

  it('a worker that ends mid-import: the rows are staged again on the main connection, once, and the import succeeds', async () => {
    const c = await syncedCounter(portal, { signedIn: 'supervisor', roster: people(40, 22) });
    counters.push(c);
    const host = c.backend.sync!;
    const entries = people(ROWS * 2, 23);
    const before = host.requestsAnswered;
    const importing = importRosterCsv(c, c.today, entries);
    // the first chunk answered, the rest still on their way
    await eventually(() => expect(host.requestsAnswered).toBeGreaterThan(before), 20_000, 1);
    await host.kill();
    await importing;
    // the worker did not answer every request of the import: the main connection staged it
    expect(host.requestsAnswered - before).toBeLessThan(Math.ceil((ROWS * 2) / 5000) + 1);
    expect(rosterOf(c).map((r) => r.ref_id)).toEqual(entries.map((e) => e.refId));
    expect(c.backend.appState().roster).toMatchObject({ count: ROWS * 2, stale: false });
    expect(stagingLeft(c)).toBe(0);
    // the roster of the setup and this one: one audit row each
    expect(imports(c).n).toBe(2);
    // the worker is started again and stages the next import
    await eventually(() => expect(host.running).toBe(true), 20_000);
    const next = people(ROWS, 24);
    const answered = host.requestsAnswered;
    await importRosterCsv(c, c.today, next);
    expect(host.requestsAnswered).toBeGreaterThan(answered);
    expect(rosterOf(c).map((r) => r.ref_id)).toEqual(next.map((e) => e.refId));
  }, 60_000);

  it('a request the worker fails comes back with the error’s own code (what the operator is told depends on it)', async () => {
    const c = await syncedCounter(portal, { signedIn: 'supervisor' });
    counters.push(c);
    const stager = c.backend.sync!.rosterStager()!;
    // no such import: the database refuses the rows
    await expect(stager.stage(987_654, people(1, 27))).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  }, 60_000);

  it('a bad row near the end of a file refuses it by its line, and nothing of it is written', async () => {
    const c = await syncedCounter(portal, { signedIn: 'supervisor', roster: people(40, 25) });
    counters.push(c);
    const before = rosterOf(c);
    const entries = people(ROWS, 26);
    const bad = 11_000;
    entries[bad] = { ...entries[bad]!, mobileLast4: '12a4' };
    const err = await c.err('importRoster', { fileName: 'roster.csv', format: 'csv', content: rosterCsv(c.today, entries) });
    // the header is line 1
    expect(err).toMatchObject({ code: 'ROSTER_REJECTED', details: { line: bad + 2, field: 'mobileLast4' } });
    expect(stagingLeft(c)).toBe(0);
    expect(c.backend.db.prepare('SELECT count(*) AS n FROM roster_entry').get()).toEqual({ n: 40 });
    expect(rosterOf(c)).toEqual(before);
  }, 60_000);
});

/**
 * Pulling a day's roster from the portal, on the sync worker's connection. The first pull
 * (or one after the cursor stopped being usable) stages every page into a new roster import
 * in small transactions and swaps it in with one; later pulls ask only for changes since the
 * cursor and apply them in one transaction. The roster in use stays whole throughout.
 */
import type { RosterEntry } from '../../common/domain';
import type { CheckedRosterPage, RosterChange } from '../../common/sync-protocol';
import { MAX_ROSTER_PAGE } from '../../common/sync-protocol';
import { insertAudit } from '../store/audit';
import type { Db } from '../store/database';
import {
  activateImport,
  activeRosterImport,
  countRosterEntries,
  advanceRosterCursor,
  deleteRosterEntry,
  insertRosterEntries,
  insertStagingImport,
  removeImports,
  rosterCursor,
  saveRosterCursor,
  setImportRowCount,
  bulkImmediate,
  importIndexSteps,
  supersededImportIds,
  type RosterCursorRow,
} from '../store/roster';
import { PortalFailure } from './portal-client';

/** Fetches one page (the engine wraps each request in its deadline, backoff and circuit breaker). */
export type FetchPage = (cursor: string | null) => Promise<CheckedRosterPage>;

export interface PullResult {
  day: string;
  mode: 'full' | 'changes';
  changes: number;
  count: number;
  /** the portal had no bookings, so the roster already held (a file's) was kept */
  kept: boolean;
  /** bookings the counter could not take (logged by the engine) */
  skipped: number;
  firstProblem: string | null;
}

/** Tallies the skipped changes of the pages of one pull. */
class Skips {
  skipped = 0;
  firstProblem: string | null = null;
  add(page: CheckedRosterPage): void {
    this.skipped += page.skipped;
    this.firstProblem ??= page.firstProblem;
  }
}

/**
 * More changes than this since the cursor: pull the day again (staged in small transactions)
 * rather than hold the write lock, which the main process may be waiting for, for long.
 */
const MAX_DELTA = 2_000;
/** Rows per staging transaction: keeps the write lock short for the main process. */
const STAGE_ROWS = 1000;
/** 100,000 rows at the portal's largest page size is 20 pages; this bounds a misbehaving portal. */
const MAX_PAGES = 2_000;

export const PAGE_LIMIT = MAX_ROSTER_PAGE;

export async function pullRoster(
  db: Db,
  centreId: string,
  day: string,
  fetchPage: FetchPage,
  now: () => Date,
  yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r)),
): Promise<PullResult> {
  const saved = rosterCursor(db, day);
  const active = activeRosterImport(db, day);
  if (saved && active && saved.import_id === active.id) {
    const delta = await pullChanges(db, centreId, day, saved, fetchPage, now);
    if (delta) return delta;
  }
  return pullFull(db, centreId, day, fetchPage, now, yieldNow);
}

function checkPage(page: CheckedRosterPage, centreId: string, day: string): void {
  if (page.centreId !== centreId || page.date !== day) {
    throw new PortalFailure('bad_answer', `roster page is for ${page.centreId} ${page.date}, not ${centreId} ${day}`);
  }
}

/** Changes since the cursor, applied in one transaction; null when a full pull is needed instead. */
async function pullChanges(
  db: Db,
  centreId: string,
  day: string,
  saved: RosterCursorRow,
  fetchPage: FetchPage,
  now: () => Date,
): Promise<PullResult | null> {
  const changes: RosterChange[] = [];
  const skips = new Skips();
  let cursor = saved.cursor;
  for (let pages = 0; ; pages++) {
    if (pages >= MAX_PAGES) throw new PortalFailure('bad_answer', `roster changes did not end within ${MAX_PAGES} pages`);
    let page: CheckedRosterPage;
    try {
      page = await fetchPage(cursor);
      skips.add(page);
    } catch (e) {
      if (e instanceof PortalFailure && e.kind === 'invalid_cursor') return null;
      throw e;
    }
    checkPage(page, centreId, day);
    if (page.reset) return null;
    changes.push(...page.changes);
    if (changes.length > MAX_DELTA) return null;
    cursor = page.cursor;
    if (!page.hasMore) break;
  }
  const importId = saved.import_id;
  const count = db
    .transaction(() => {
      // the roster may have been replaced (a file import) while the changes were on their way
      const still = activeRosterImport(db, day);
      if (!still || still.id !== importId) return null;
      for (const c of changes) {
        if (c.op === 'remove') deleteRosterEntry(db, importId, c.refId);
        else {
          deleteRosterEntry(db, importId, c.entry.refId);
          insertRosterEntries(db, importId, [c.entry]);
        }
      }
      const n = countRosterEntries(db, importId);
      setImportRowCount(db, importId, n);
      advanceRosterCursor(db, day, cursor, now().toISOString());
      return n;
    })
    .immediate();
  if (count === null) return null;
  return { day, mode: 'changes', changes: changes.length, count, kept: false, ...skips };
}

async function pullFull(
  db: Db,
  centreId: string,
  day: string,
  fetchPage: FetchPage,
  now: () => Date,
  yieldNow: () => Promise<void>,
): Promise<PullResult> {
  const at = now().toISOString();
  const importId = insertStagingImport(db, { day, source: 'portal', rowCount: 0, importedAt: at, importedBy: null });
  const stage = (changes: readonly RosterChange[]) => {
    const upserts: RosterEntry[] = [];
    for (const c of changes) {
      if (c.op === 'remove') deleteRosterEntry(db, importId, c.refId);
      else {
        // a booking changed while the pages were read: its newer row wins
        deleteRosterEntry(db, importId, c.entry.refId);
        upserts.push(c.entry);
      }
    }
    // a page repeating a ref ID: keep the last
    const last = new Map(upserts.map((e) => [e.refId, e]));
    insertRosterEntries(db, importId, [...last.values()]);
  };
  let changes = 0;
  const skips = new Skips();
  try {
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) throw new PortalFailure('bad_answer', `roster did not end within ${MAX_PAGES} pages`);
      const page = await fetchPage(cursor);
      skips.add(page);
      checkPage(page, centreId, day);
      for (let i = 0; i < page.changes.length; i += STAGE_ROWS) {
        const part = page.changes.slice(i, i + STAGE_ROWS);
        bulkImmediate(db, () => stage(part));
        await yieldNow();
      }
      changes += page.changes.length;
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    // its lookup indexes, made once the rows are in (one index a step, the lock let go between)
    for (const step of importIndexSteps(db, importId)) {
      bulkImmediate(db, step);
      await yieldNow();
    }
    let kept: number | null = null;
    const count = db
      .transaction(() => {
        const n = countRosterEntries(db, importId);
        const active = activeRosterImport(db, day);
        if (n === 0 && active && active.row_count > 0) {
          // The portal has no bookings for the day (not yet, or a gateway that does not carry
          // them) while the counter holds a roster (a supervisor's file): keep it, and apply
          // the portal's later changes to it.
          kept = active.id;
          saveRosterCursor(db, { day, importId: active.id, cursor, pulledAt: now().toISOString() });
          return active.row_count;
        }
        activateImport(db, importId, day, n);
        saveRosterCursor(db, { day, importId, cursor, pulledAt: now().toISOString() });
        insertAudit(db, { at, operatorId: null, action: 'roster.pulled', detail: { importId, day, rows: n } });
        return n;
      })
      .immediate();
    const superseded = supersededImportIds(db, day);
    await removeImports(db, kept === null ? superseded : [importId], STAGE_ROWS);
    return { day, mode: 'full', changes, count, kept: kept !== null, ...skips };
  } catch (e) {
    await removeImports(db, [importId], STAGE_ROWS);
    throw e;
  }
}

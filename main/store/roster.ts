/**
 * The day rosters: imports (one active per day, new ones staged beside it), their entries, and
 * the portal's roster cursor per day. The name search's reads are in roster-search.ts (its
 * name index is held in memory by the main process: see services/name-index.ts).
 *
 * Each import has its own lookup indexes (last 4 of reference ID, mobile and photo ID, name
 * start), partial ones (`WHERE import_id = <id>`): they are made in one go once the import's
 * rows are all staged, rather than kept up row by row while 100,000 rows come in, and dropped
 * before its rows are removed. Statements that use them name the import (preparedPerImport).
 * The other statements on roster_entry bind the import as `? + 0`, never a bare `?`: for a bare
 * parameter SQLite may pick the partial index of the import bound when the statement is first
 * run, and a statement kept for the next import could then read that first import's index.
 */
import type { RosterEntry } from '../../common/domain';
import { addDays } from '../../common/rules/centre-day';
import { normalizeName } from '../../common/rules/names';
import type { Db } from './database';
import { limited, preparedOnce, preparedPerImport } from './prepared';
import { relaxedImmediate } from './relaxed-commit';

export interface RosterImportRow {
  id: number;
  day: string;
  source: string;
  row_count: number;
  status: 'staging' | 'active' | 'superseded';
  imported_at: string;
}

export interface RosterEntryRow {
  rowid: number;
  import_id: number;
  ref_id: string;
  ref_last4: string;
  name: string;
  name_norm: string;
  gender: 'F' | 'M' | 'O';
  birth_year: number;
  mobile_last4: string;
  photo_id_type: string;
  photo_id_last4: string;
  dose: number;
  slot_time: string | null;
}

/** The portal's opaque cursor for a day's roster, and the import it was applied to. */
export interface RosterCursorRow {
  day: string;
  import_id: number;
  cursor: string;
  pulled_at: string;
}

type Id = { id: number };

const statements = preparedOnce((db) => ({
  activeOfDay: db.prepare<[string], RosterImportRow>("SELECT * FROM roster_import WHERE status = 'active' AND day = ?"),
  newestActive: db.prepare<[], RosterImportRow>("SELECT * FROM roster_import WHERE status = 'active' ORDER BY day DESC LIMIT 1"),
  insertStaging: db.prepare<[string, string, number, string, string | null]>(
    "INSERT INTO roster_import (day, source, row_count, status, imported_at, imported_by) VALUES (?, ?, ?, 'staging', ?, ?)",
  ),
  supersedeActive: db.prepare<[string]>("UPDATE roster_import SET status = 'superseded' WHERE status = 'active' AND day = ?"),
  activate: db.prepare<[number, number]>("UPDATE roster_import SET status = 'active', row_count = ? WHERE id = ?"),
  setRowCount: db.prepare<[number, number]>('UPDATE roster_import SET row_count = ? WHERE id = ?'),
  unwanted: db.prepare<[string], Id>(
    "SELECT id FROM roster_import WHERE status = 'superseded' OR (status = 'active' AND day < ?)",
  ),
  staging: db.prepare<[], Id>("SELECT id FROM roster_import WHERE status = 'staging'"),
  inUse: db.prepare<[], Id>("SELECT id FROM roster_import WHERE status <> 'staging'"),
  sharedIndex: db.prepare<[], 1>("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'roster_entry_ref_last4'").pluck(),
  stagingPortal: db.prepare<[], Id>("SELECT id FROM roster_import WHERE status = 'staging' AND source = 'portal'"),
  supersededOfDay: db.prepare<[string], Id>("SELECT id FROM roster_import WHERE status = 'superseded' AND day = ?"),
  deleteImport: db.prepare<[number]>('DELETE FROM roster_import WHERE id = ?'),

  insertEntry: db.prepare<
    [number, string, string, string, string, string, number, string, string, string, number, string | null]
  >(
    `INSERT INTO roster_entry (import_id, ref_id, ref_last4, name, name_norm, gender, birth_year, mobile_last4,
       photo_id_type, photo_id_last4, dose, slot_time)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  entryOfRef: db.prepare<[number, string], RosterEntryRow>('SELECT * FROM roster_entry WHERE import_id = ? + 0 AND ref_id = ?'),
  rowidOfRef: db.prepare<[number, string], { rowid: number }>(
    'SELECT rowid FROM roster_entry WHERE import_id = ? + 0 AND ref_id = ?',
  ),
  someRowids: limited<[number], { rowid: number }>(db, 'SELECT rowid FROM roster_entry WHERE import_id = ? + 0 LIMIT ?'),
  deleteEntry: db.prepare<[number]>('DELETE FROM roster_entry WHERE rowid = ?'),
  countEntries: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM roster_entry WHERE import_id = ? + 0'),

  cursorOfDay: db.prepare<[string], RosterCursorRow>('SELECT * FROM roster_cursor WHERE day = ?'),
  saveCursor: db.prepare<[string, number, string, string]>(
    `INSERT INTO roster_cursor (day, import_id, cursor, pulled_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (day) DO UPDATE SET import_id = excluded.import_id, cursor = excluded.cursor, pulled_at = excluded.pulled_at`,
  ),
  advanceCursor: db.prepare<[string, string, string]>('UPDATE roster_cursor SET cursor = ?, pulled_at = ? WHERE day = ?'),
}));

const ids = (rows: Id[]): number[] => rows.map((r) => r.id);

/**
 * The lookup indexes of an import, partial (`WHERE import_id = N`), by their key. Each has
 * `import_id` before its column: with the column alone, a last-4 lookup (`import_id = N AND
 * col = ?`) is planned on the name index (its `import_id = ?`) and reads the whole roster, and
 * the name-start range on the reference-ID index. Test: the query plans in
 * test/store/roster-import.test.ts, each read by the index of its column.
 */
const IMPORT_INDEXES = {
  ref_last4: 'import_id, ref_last4',
  mobile_last4: 'import_id, mobile_last4',
  photo_last4: 'import_id, photo_id_last4',
  name: 'import_id, name_norm',
};

const importIndexName = (importId: number, which: keyof typeof IMPORT_INDEXES) => `roster_entry_${importId}_${which}`;

const perImport = preparedPerImport((db, importId) => ({
  entriesOfPhotoId: limited<[string, string], RosterEntryRow>(
    db,
    `SELECT * FROM roster_entry WHERE import_id = ${importId} AND photo_id_last4 = ? AND photo_id_type = ? LIMIT ?`,
  ),
  entriesOfMobileLast4: limited<[string], RosterEntryRow>(
    db,
    `SELECT * FROM roster_entry WHERE import_id = ${importId} AND mobile_last4 = ? LIMIT ?`,
  ),
}));

/** The statements of this module that read by an import's own lookup indexes. */
export function rosterLookupStatements(db: Db, importId: number): Array<{ source: string }> {
  const s = perImport.get(db, importId);
  return [s.entriesOfPhotoId, s.entriesOfMobileLast4];
}

/** What removes an import's statements of other query modules (roster-search.ts) with its indexes. */
const forgetters: Array<(db: Db, importId: number) => void> = [perImport.forget];

/** Registers statements of another query module that name an import, to be dropped with it. */
export function forgetWithImport(forget: (db: Db, importId: number) => void): void {
  forgetters.push(forget);
}

const sharedIndexes = new WeakMap<Db, boolean>();

/**
 * Whether the file still has the lookup indexes over every import's rows (before migration
 * 006): then those serve every import, and none of its own are made.
 */
function hasSharedLookupIndexes(db: Db): boolean {
  let shared = sharedIndexes.get(db);
  if (shared === undefined) {
    shared = statements(db).sharedIndex.get() !== undefined;
    sharedIndexes.set(db, shared);
  }
  return shared;
}

/**
 * The steps that make an import's lookup indexes, one index each (an index already made is
 * left as it is): for a caller that commits and yields between them. Inside a transaction.
 */
export function importIndexSteps(db: Db, importId: number): Array<() => void> {
  if (!Number.isSafeInteger(importId)) throw new Error(`not an import id: ${String(importId)}`);
  if (hasSharedLookupIndexes(db)) return [];
  return Object.entries(IMPORT_INDEXES).map(([which, key]) => () => {
    db.exec(
      `CREATE INDEX IF NOT EXISTS ${importIndexName(importId, which as keyof typeof IMPORT_INDEXES)}
       ON roster_entry (${key}) WHERE import_id = ${importId}`,
    );
  });
}

/** Makes whatever lookup indexes an import lacks, at once. Inside a transaction. */
export function indexImport(db: Db, importId: number): void {
  for (const step of importIndexSteps(db, importId)) step();
}

/** Every import in use (active or superseded, not staging) gets its lookup indexes: at start. */
export function indexImportsInUse(db: Db): void {
  for (const { id } of statements(db).inUse.all()) bulkImmediate(db, () => indexImport(db, id));
}

function dropImportIndexes(db: Db, importId: number): void {
  for (const which of Object.keys(IMPORT_INDEXES) as Array<keyof typeof IMPORT_INDEXES>) {
    db.exec(`DROP INDEX IF EXISTS ${importIndexName(importId, which)}`);
  }
  for (const forget of forgetters) forget(db, importId);
}

// ---- imports ----

/** The roster in force for `day`: one per day, so tomorrow's can be imported ahead of time. */
export function activeRosterImport(db: Db, day: string): RosterImportRow | undefined {
  return statements(db).activeOfDay.get(day);
}

/** The active roster of the latest day held, whatever the day. */
export function newestActiveRosterImport(db: Db): RosterImportRow | undefined {
  return statements(db).newestActive.get();
}

/** A new import, staged beside the active one until it is swapped in; its id. */
export function insertStagingImport(
  db: Db,
  imp: { day: string; source: string; rowCount: number; importedAt: string; importedBy: string | null },
): number {
  return Number(
    statements(db).insertStaging.run(imp.day, imp.source, imp.rowCount, imp.importedAt, imp.importedBy).lastInsertRowid,
  );
}

/**
 * Makes a staged import the day's roster (the one it replaces becomes superseded), with its
 * lookup indexes (made here if the caller has not made them already). Call inside a transaction.
 */
export function activateImport(db: Db, importId: number, day: string, rowCount: number): void {
  indexImport(db, importId);
  const s = statements(db);
  s.supersedeActive.run(day);
  s.activate.run(rowCount, importId);
}

export function setImportRowCount(db: Db, importId: number, rowCount: number): void {
  statements(db).setRowCount.run(rowCount, importId);
}

/** Rosters are kept for today and the day before (for reconciliation), and ahead; older ones are removed. */
const KEEP_PAST_DAYS = 1;

export const oldestDayKept = (today: string): string => addDays(today, -KEEP_PAST_DAYS);

/** Imports to remove: superseded ones and rosters of days no longer kept. */
export function unwantedImports(db: Db, today: string): number[] {
  return ids(statements(db).unwanted.all(oldestDayKept(today)));
}

/** Imports still staging: left by an import or a pull that was cut short. */
export function stagingImportIds(db: Db): number[] {
  return ids(statements(db).staging.all());
}

/** Imports still staging from a roster pull (a file import's are not the sync worker's to remove). */
export function stagingPortalImportIds(db: Db): number[] {
  return ids(statements(db).stagingPortal.all());
}

export function supersededImportIds(db: Db, day: string): number[] {
  return ids(statements(db).supersededOfDay.all(day));
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** Rows deleted per transaction when imports are removed. */
const REMOVE_CHUNK = 5000;

/** Deletes imports with their indexes and entries, in chunks with a yield between them. */
export async function removeImports(db: Db, importIds: readonly number[], chunk = REMOVE_CHUNK): Promise<void> {
  const s = statements(db);
  for (const id of importIds) {
    // its own indexes first: then its rows leave only the table and the reference ID index
    bulkImmediate(db, () => dropImportIndexes(db, id));
    for (;;) {
      const rows = s.someRowids.all(id, chunk);
      if (rows.length === 0) break;
      bulkImmediate(db, () => {
        for (const r of rows) s.deleteEntry.run(r.rowid);
      });
      await yieldToEventLoop();
    }
    s.deleteImport.run(id);
  }
}

/**
 * Runs one transaction of bulk roster work: staging rows of an import not active yet, or
 * removing those of one no longer active. Neither counts for anything on its own: the swap
 * commits with the connection's full durability (and so makes the staged rows durable too),
 * and an import cut short or left to remove is removed at the next start anyway. So these
 * commits need not wait for the disk; other transactions keep their durability.
 */
export function bulkImmediate<T>(db: Db, stage: () => T): T {
  return relaxedImmediate(db, stage);
}

// ---- entries ----

/** Tells each booking added, with its rowid and normalized name. */
export type OnEntryAdded = (rowid: number, name: string, nameNorm: string) => void;

/** Adds entries to a (staging) import. Call inside a transaction. */
export function insertRosterEntries(db: Db, importId: number, entries: readonly RosterEntry[], added?: OnEntryAdded): void {
  const s = statements(db);
  for (const e of entries) {
    const norm = normalizeName(e.name);
    const { lastInsertRowid } = s.insertEntry.run(
      importId,
      e.refId,
      e.refId.slice(-4),
      e.name,
      norm,
      e.gender,
      e.birthYear,
      e.mobileLast4,
      e.photoIdType,
      e.photoIdLast4,
      e.dose,
      e.slotTime,
    );
    added?.(Number(lastInsertRowid), e.name, norm);
  }
}

/** Rows of an import just staged: each entry's rowid and normalized name, in the entries' order. */
export interface StagedRows {
  rowids: number[];
  norms: string[];
}

/** Stages entries of an import in one bulk transaction (see `bulkImmediate`). */
export function stageRosterRows(db: Db, importId: number, entries: readonly RosterEntry[]): StagedRows {
  const rowids: number[] = [];
  const norms: string[] = [];
  bulkImmediate(db, () =>
    insertRosterEntries(db, importId, entries, (rowid, _name, norm) => {
      rowids.push(rowid);
      norms.push(norm);
    }),
  );
  return { rowids, norms };
}

const FIELD_SEPARATOR = '\u001f';
const ROW_SEPARATOR = '\u001e';

/**
 * Entries as one string, to cross to another thread as one copy rather than thousands of
 * objects: fields joined by ASCII's unit separator, rows by its record separator. A checked
 * entry holds neither (`unpackRosterRows` counts both, so one that did fails, whole).
 */
export function packRosterRows(entries: readonly RosterEntry[]): string {
  return entries
    .map((e) =>
      [e.refId, e.name, e.gender, e.birthYear, e.mobileLast4, e.photoIdType, e.photoIdLast4, e.dose, e.slotTime ?? ''].join(
        FIELD_SEPARATOR,
      ),
    )
    .join(ROW_SEPARATOR);
}

/** The `count` entries `packRosterRows` made; throws when the string does not hold exactly that many whole rows. */
export function unpackRosterRows(packed: string, count: number): RosterEntry[] {
  const rows = count === 0 ? [] : packed.split(ROW_SEPARATOR);
  if (rows.length !== count) throw new Error(`packed roster rows: ${rows.length} rows, expected ${count}`);
  return rows.map((row) => {
    const f = row.split(FIELD_SEPARATOR);
    if (f.length !== 9) throw new Error(`packed roster row: ${f.length} fields, expected 9`);
    return {
      refId: f[0]!,
      name: f[1]!,
      gender: f[2] as RosterEntry['gender'],
      birthYear: Number(f[3]),
      mobileLast4: f[4]!,
      photoIdType: f[5] as RosterEntry['photoIdType'],
      photoIdLast4: f[6]!,
      dose: Number(f[7]) as RosterEntry['dose'],
      slotTime: f[8] === '' ? null : f[8]!,
    };
  });
}

/**
 * Where a roster file's rows are written: on the sync worker's connection (its own thread),
 * or on the main one between other work. Chunks asked for at once are staged in order.
 */
export interface RosterStager {
  stage(importId: number, entries: readonly RosterEntry[]): Promise<StagedRows>;
  /** makes the import's lookup indexes, one a transaction */
  index(importId: number): Promise<void>;
}

/** A stager whose thread is gone (the sync worker ended): what it had not answered is staged again elsewhere. */
export class StagerGone extends Error {}

/** Stages on this connection, a chunk or an index a task, so the event loop keeps answering between them. */
export function stagerOnConnection(db: Db): RosterStager {
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => T): Promise<T> => {
    const next = tail.then(yieldToEventLoop, yieldToEventLoop).then(work);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    stage: (importId, entries) => inTurn(() => stageRosterRows(db, importId, entries)),
    async index(importId) {
      for (const step of importIndexSteps(db, importId)) await inTurn(() => bulkImmediate(db, step));
    },
  };
}

/** Removes one booking from an import. Call inside a transaction. */
export function deleteRosterEntry(db: Db, importId: number, refId: string): boolean {
  const s = statements(db);
  const row = s.rowidOfRef.get(importId, refId);
  if (!row) return false;
  s.deleteEntry.run(row.rowid);
  return true;
}

export function countRosterEntries(db: Db, importId: number): number {
  return statements(db).countEntries.get(importId)!.n;
}

/** The booking with this reference ID in an import. */
export function rosterEntryOfRef(db: Db, importId: number, refId: string): RosterEntryRow | undefined {
  return statements(db).entryOfRef.get(importId, refId);
}

/** Bookings whose photo ID has this type and last 4 (walk-in duplicate checks). */
export function rosterEntriesOfPhotoId(
  db: Db,
  importId: number,
  photoIdType: string,
  photoIdLast4: string,
  limit: number,
): RosterEntryRow[] {
  return perImport.get(db, importId).entriesOfPhotoId.all(photoIdLast4, photoIdType, limit);
}

/** Bookings whose mobile number ends in these 4 digits. */
export function rosterEntriesOfMobileLast4(db: Db, importId: number, mobileLast4: string, limit: number): RosterEntryRow[] {
  return perImport.get(db, importId).entriesOfMobileLast4.all(mobileLast4, limit);
}

// ---- the portal's cursor ----

export function rosterCursor(db: Db, day: string): RosterCursorRow | undefined {
  return statements(db).cursorOfDay.get(day);
}

/** Records the cursor a full pull ended at, and the import it was applied to. */
export function saveRosterCursor(db: Db, c: { day: string; importId: number; cursor: string; pulledAt: string }): void {
  statements(db).saveCursor.run(c.day, c.importId, c.cursor, c.pulledAt);
}

/** Moves the day's cursor on after changes were applied to its import. */
export function advanceRosterCursor(db: Db, day: string, cursor: string, pulledAt: string): void {
  statements(db).advanceCursor.run(cursor, pulledAt, day);
}

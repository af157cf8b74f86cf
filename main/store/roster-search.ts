/**
 * The name search's reads of a roster import: by ID or its last 4, by name start (indexed),
 * by substring (a scan, for the moments the name index in memory is being built) and the
 * names that index is built from.
 */
import type { TicketStatus } from '../../common/domain';
import type { Db } from './database';
import { limited, preparedOnce, preparedPerImport } from './prepared';
import { forgetWithImport, rosterLookupStatements, type RosterEntryRow } from './roster';

/** The ticket a search hit shows: the registrant's ticket of the day, if not cancelled. */
export interface SearchTicketRow {
  id: string;
  token: string;
  status: TicketStatus;
}

export type Last4Column = 'ref_last4' | 'mobile_last4' | 'photo_id_last4';

/** The reads by an import's own lookup indexes (see roster.ts): the import's id is in the statement. */
const perImport = preparedPerImport((db, importId) => {
  const byLast4 = (column: Last4Column) =>
    limited<[string], RosterEntryRow>(db, `SELECT * FROM roster_entry WHERE import_id = ${importId} AND ${column} = ? LIMIT ?`);
  return {
    byLast4: {
      ref_last4: byLast4('ref_last4'),
      mobile_last4: byLast4('mobile_last4'),
      photo_id_last4: byLast4('photo_id_last4'),
    },
    byNameStart: limited<[string, string], RosterEntryRow>(
      db,
      `SELECT * FROM roster_entry WHERE import_id = ${importId} AND name_norm >= ? AND name_norm < ? || char(1114111) LIMIT ?`,
    ),
  };
});
forgetWithImport(perImport.forget);

/** The SQL of the reads by an import's own lookup indexes, here and in roster.ts (tests check their plans). */
export function importLookupQueries(db: Db, importId: number): string[] {
  const s = perImport.get(db, importId);
  return [...Object.values(s.byLast4), s.byNameStart, ...rosterLookupStatements(db, importId)].map((st) => st.source);
}

const statements = preparedOnce((db) => {
  return {
    byRef: db.prepare<[number, string], RosterEntryRow>('SELECT * FROM roster_entry WHERE import_id = ? + 0 AND ref_id = ?'),
    byRefPrefix: limited<[number, string, string], RosterEntryRow>(
      db,
      'SELECT * FROM roster_entry WHERE import_id = ? + 0 AND ref_id >= ? AND ref_id < ? || char(1114111) LIMIT ?',
    ),
    // along the table in rowid (roster) order: every group (a JSON list of lists of words) has a word in the name
    byNameMatch: limited<[number, string], RosterEntryRow>(
      db,
      `SELECT * FROM roster_entry
       WHERE +import_id = ? AND NOT EXISTS (
         SELECT 1 FROM json_each(?) g
         WHERE NOT EXISTS (SELECT 1 FROM json_each(g.value) w WHERE instr(name_norm, w.value) > 0))
       ORDER BY rowid LIMIT ?`,
    ),
    byRowids: db.prepare<[string], RosterEntryRow>('SELECT * FROM roster_entry WHERE rowid IN (SELECT value FROM json_each(?))'),
    dataVersion: db.prepare<[], { data_version: number }>('PRAGMA data_version'),
    ticketsOfRefs: db.prepare<[string, string], SearchTicketRow & { ref_id: string }>(
      `SELECT ref_id, id, token, status FROM ticket
       WHERE day = ? AND ref_id IN (SELECT value FROM json_each(?)) AND status <> 'cancelled'`,
    ),
    // in rowid order along the table itself (`+import_id`: not by an index on import_id, which would sort the import)
    namesPage: limited<[number, number], NamesRow>(
      db,
      'SELECT rowid, name, name_norm FROM roster_entry WHERE +import_id = ? AND rowid > ? ORDER BY rowid LIMIT ?',
    ),
  };
});

/** The booking with exactly this reference ID (none or one). */
export function entriesOfRef(db: Db, importId: number, refId: string): RosterEntryRow[] {
  return statements(db).byRef.all(importId, refId);
}

export function entriesOfLast4(db: Db, importId: number, column: Last4Column, last4: string, limit: number): RosterEntryRow[] {
  return perImport.get(db, importId).byLast4[column].all(last4, limit);
}

/** Bookings whose reference ID starts with `prefix`. */
export function entriesOfRefPrefix(db: Db, importId: number, prefix: string, limit: number): RosterEntryRow[] {
  return statements(db).byRefPrefix.all(importId, prefix, prefix, limit);
}

/** Bookings whose normalized name starts with `start`. */
export function entriesOfNameStart(db: Db, importId: number, start: string, limit: number): RosterEntryRow[] {
  return perImport.get(db, importId).byNameStart.all(start, start, limit);
}

/**
 * Names containing, for every group, at least one of its words as a substring, the first
 * `limit` in roster order. A scan of the import (tens of milliseconds for 100,000 names): the
 * search asks it only while its name index in memory is being built.
 */
export function entriesMatchingNames(db: Db, importId: number, groups: readonly string[][], limit: number): RosterEntryRow[] {
  return statements(db).byNameMatch.all(importId, JSON.stringify(groups), limit);
}

export interface NamesRow {
  rowid: number;
  name: string;
  name_norm: string;
}

/** A page of an import's names, in rowid order after `afterRowid`. */
export function namesPage(db: Db, importId: number, afterRowid: number, limit: number): NamesRow[] {
  return statements(db).namesPage.all(importId, afterRowid, limit);
}

/** The bookings with these rowids (those still held), in no particular order. */
export function rosterEntriesOfRowids(db: Db, rowids: readonly number[]): RosterEntryRow[] {
  return statements(db).byRowids.all(JSON.stringify(rowids));
}

/** Moves on whenever another connection (the sync worker) commits a change to the file. */
export function dataVersion(db: Db): number {
  return statements(db).dataVersion.get()!.data_version;
}

/** The tickets of the day (not cancelled) of these registrants, by reference ID: what search hits show. */
export function searchTicketsOfRefs(db: Db, day: string, refIds: readonly string[]): Map<string, SearchTicketRow> {
  const out = new Map<string, SearchTicketRow>();
  if (refIds.length === 0) return out;
  for (const t of statements(db).ticketsOfRefs.all(day, JSON.stringify(refIds))) {
    out.set(t.ref_id, { id: t.id, token: t.token, status: t.status });
  }
  return out;
}

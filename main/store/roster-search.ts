/**
 * The name search's reads of a roster import: by ID or its last 4, by name start (the
 * name index), by substring (the trigram index) and the names for the search's word list.
 */
import type { TicketStatus } from '../../common/domain';
import type { Db } from './database';
import { preparedOnce } from './prepared';
import type { RosterEntryRow } from './roster';

/** The ticket a search hit shows: the registrant's ticket of the day, if not cancelled. */
export interface SearchTicketRow {
  id: string;
  token: string;
  status: TicketStatus;
}

export type Last4Column = 'ref_last4' | 'mobile_last4' | 'photo_id_last4';

const statements = preparedOnce((db) => {
  const byLast4 = (column: Last4Column) =>
    db.prepare<[number, string, number], RosterEntryRow>(
      `SELECT * FROM roster_entry WHERE import_id = ? AND ${column} = ? LIMIT ?`,
    );
  return {
    byRef: db.prepare<[number, string], RosterEntryRow>('SELECT * FROM roster_entry WHERE import_id = ? AND ref_id = ?'),
    byLast4: {
      ref_last4: byLast4('ref_last4'),
      mobile_last4: byLast4('mobile_last4'),
      photo_id_last4: byLast4('photo_id_last4'),
    },
    byRefPrefix: db.prepare<[number, string, string, number], RosterEntryRow>(
      'SELECT * FROM roster_entry WHERE import_id = ? AND ref_id >= ? AND ref_id < ? || char(1114111) LIMIT ?',
    ),
    byNameStart: db.prepare<[number, string, string, number], RosterEntryRow>(
      'SELECT * FROM roster_entry WHERE import_id = ? AND name_norm >= ? AND name_norm < ? || char(1114111) LIMIT ?',
    ),
    byNameMatch: db.prepare<[string, number, number], RosterEntryRow>(
      `SELECT e.* FROM roster_name_fts f JOIN roster_entry e ON e.rowid = f.rowid
       WHERE roster_name_fts MATCH ? AND e.import_id = ? LIMIT ?`,
    ),
    names: db.prepare<[number], { name_norm: string }>('SELECT name_norm FROM roster_entry WHERE import_id = ?'),
    ticketOfRef: db.prepare<[string, string], SearchTicketRow>(
      "SELECT id, token, status FROM ticket WHERE day = ? AND ref_id = ? AND status <> 'cancelled'",
    ),
    namesPage: db.prepare<[number, number, number], { rowid: number; name_norm: string }>(
      'SELECT rowid, name_norm FROM roster_entry WHERE import_id = ? AND rowid > ? ORDER BY rowid LIMIT ?',
    ),
  };
});

/** The booking with exactly this reference ID (none or one). */
export function entriesOfRef(db: Db, importId: number, refId: string): RosterEntryRow[] {
  return statements(db).byRef.all(importId, refId);
}

export function entriesOfLast4(db: Db, importId: number, column: Last4Column, last4: string, limit: number): RosterEntryRow[] {
  return statements(db).byLast4[column].all(importId, last4, limit);
}

/** Bookings whose reference ID starts with `prefix`. */
export function entriesOfRefPrefix(db: Db, importId: number, prefix: string, limit: number): RosterEntryRow[] {
  return statements(db).byRefPrefix.all(importId, prefix, prefix, limit);
}

/** Bookings whose normalized name starts with `start`. */
export function entriesOfNameStart(db: Db, importId: number, start: string, limit: number): RosterEntryRow[] {
  return statements(db).byNameStart.all(importId, start, start, limit);
}

/** Names containing, for every group, at least one of its words (substrings, by the trigram index). */
export function entriesMatchingNames(db: Db, importId: number, groups: readonly string[][], limit: number): RosterEntryRow[] {
  const quote = (w: string) => `"${w.replace(/"/g, '""')}"`;
  const match = groups.map((g) => `(${g.map(quote).join(' OR ')})`).join(' AND ');
  return statements(db).byNameMatch.all(match, importId, limit);
}

/** Every normalized name of an import. */
export function namesOf(db: Db, importId: number): IterableIterator<{ name_norm: string }> {
  return statements(db).names.iterate(importId);
}

/** A page of an import's normalized names, in rowid order after `afterRowid`. */
export function namesPage(db: Db, importId: number, afterRowid: number, limit: number): { rowid: number; name_norm: string }[] {
  return statements(db).namesPage.all(importId, afterRowid, limit);
}

/** The registrant's ticket of the day that a search hit shows (a cancelled one is not). */
export function searchTicketOfRef(db: Db, day: string, refId: string): SearchTicketRow | undefined {
  return statements(db).ticketOfRef.get(day, refId);
}

import type { SearchHit } from '../../common/domain';
import { distance } from 'fastest-levenshtein';
import { editDistance, normalizeName } from '../../common/rules/names';
import type { Db } from '../store/database';
import { activeRosterImport, rosterCursor, type RosterEntryRow, type RosterImportRow } from '../store/roster';
import {
  dataVersion,
  entriesMatchingNames,
  entriesOfLast4,
  entriesOfNameStart,
  entriesOfRef,
  entriesOfRefPrefix,
  namesPage,
  rosterEntriesOfRowids,
  searchTicketsOfRefs,
  type SearchTicketRow,
} from '../store/roster-search';
import { hasThreeLetters, NameIndex } from './name-index';

const LIMIT = 20;
/** Names read per substring or typo match, in roster order, before ranking. */
const MATCH_LIMIT = 100;

/** A booking found: its full row when read from the store, else its names from the name index. */
interface Matched {
  rowid: number;
  name: string;
  nameNorm: string;
  row: RosterEntryRow | null;
  matchedOn: SearchHit['matchedOn'];
  score: number;
}
type Found = Omit<Matched, 'matchedOn' | 'score'>;
type Add = (found: Found, matchedOn: SearchHit['matchedOn'], score: number) => void;

const ofRow = (row: RosterEntryRow): Found => ({ rowid: row.rowid, name: row.name, nameNorm: row.name_norm, row });
/** the order `a.localeCompare(b)` gives, without building a collator per comparison */
const byName = new Intl.Collator().compare;

/**
 * Finds registrants in the active roster as the operator types:
 *  - digits: whole reference ID (or its start), or the last 4 of reference ID, mobile or photo ID;
 *  - letters: name, by substring (the name index in memory, or a scan of the roster while that
 *    is being built), then typo-tolerant when that finds little.
 * Results are ranked: exact ID first, then name starts, then similarity.
 */
export function searchRoster(db: Db, rawQuery: string, today: string): SearchHit[] {
  const imp = activeRosterImport(db, today);
  if (!imp) return [];
  const query = rawQuery.trim();
  if (query.length === 0) return [];
  const found = new Map<number, Matched>();
  const add: Add = (f, matchedOn, score) => {
    const prev = found.get(f.rowid);
    if (!prev || prev.score < score) {
      found.set(f.rowid, { rowid: f.rowid, name: f.name, nameNorm: f.nameNorm, row: f.row, matchedOn, score });
    }
  };
  const addRows = (rows: RosterEntryRow[], matchedOn: SearchHit['matchedOn'], score: number) => {
    for (const row of rows) add(ofRow(row), matchedOn, score);
  };
  const compact = query.toUpperCase().replace(/[\s-]/g, '');
  if (/^[A-Z0-9]*\d[A-Z0-9]*$/.test(compact) && !/^[A-Z]+$/.test(compact)) {
    const byId = entriesOfRef(db, imp.id, compact);
    addRows(byId, 'ref_id', 100);
    if (compact.length === 4) {
      addRows(entriesOfLast4(db, imp.id, 'ref_last4', compact, LIMIT), 'ref_last4', 80);
      addRows(entriesOfLast4(db, imp.id, 'mobile_last4', compact, LIMIT), 'mobile_last4', 70);
      addRows(entriesOfLast4(db, imp.id, 'photo_id_last4', compact, LIMIT), 'photo_id_last4', 60);
    } else if (compact.length > 4 && byId.length === 0) {
      addRows(entriesOfRefPrefix(db, imp.id, compact, LIMIT), 'ref_id', 90);
    }
  } else {
    searchNames(db, imp, query, today, add);
  }
  const ranked = [...found.values()].sort((a, b) => b.score - a.score || byName(a.name, b.name));
  const hits: Array<{ row: RosterEntryRow; matchedOn: SearchHit['matchedOn'] }> = [];
  for (let from = 0; hits.length < LIMIT && from < ranked.length;) {
    const next = ranked.slice(from, from + LIMIT - hits.length);
    from += next.length;
    // found in the name index: read the bookings themselves (one may have left the roster since)
    const missing = next.filter((m) => m.row === null).map((m) => m.rowid);
    const rows = missing.length > 0 ? new Map(rosterEntriesOfRowids(db, missing).map((r) => [r.rowid, r])) : null;
    for (const m of next) {
      const row = m.row ?? rows?.get(m.rowid);
      if (row && row.import_id === imp.id) hits.push({ row, matchedOn: m.matchedOn });
    }
  }
  const tickets = searchTicketsOfRefs(
    db,
    today,
    hits.map((h) => h.row.ref_id),
  );
  return hits.map(({ row, matchedOn }) => hitOf(row, matchedOn, tickets.get(row.ref_id)));
}

function searchNames(db: Db, imp: RosterImportRow, query: string, today: string, add: Add): void {
  const q = normalizeName(query);
  if (q.length === 0) return;
  const importId = imp.id;
  const words = q.split(' ');
  const similarity = wordsScorer(words);
  const scoreOf = (nameNorm: string, fuzzy: boolean) => {
    const starts = nameNorm.startsWith(q) ? 20 : nameNorm.includes(` ${q}`) ? 15 : 0;
    return (fuzzy ? 0 : 10) + starts + 10 * similarity(nameNorm);
  };
  // Names that start with the query (indexed): the best matches, and the only ones for 1-2 letters.
  for (const r of entriesOfNameStart(db, importId, q, LIMIT)) add(ofRow(r), 'name', scoreOf(r.name_norm, false));
  const long = words.filter(hasThreeLetters);
  if (long.length === 0) return;
  const index = currentIndex(db, imp, today);
  /** names containing, for every group, at least one of its words */
  const matchNames = (groups: string[][]): Found[] => {
    const positions = index?.match(groups, MATCH_LIMIT);
    if (!index || !positions) return entriesMatchingNames(db, importId, groups, MATCH_LIMIT).map(ofRow);
    return positions.map((p) => ({ rowid: index.rowid(p), name: index.name(p), nameNorm: index.norm(p), row: null }));
  };
  // Substring: every word of the query somewhere in the name, short words checked after.
  const sub = matchNames(long.map((w) => [w]));
  const shortWords = words.filter((w) => !hasThreeLetters(w));
  for (const f of sub) if (shortWords.every((w) => f.nameNorm.includes(w))) add(f, 'name', scoreOf(f.nameNorm, false));
  if (sub.length >= 5) return;
  // Typo-tolerant: each word may be any roster word within a small edit distance of it
  // (the last word as a prefix, since the operator may still be typing).
  const words_ = index ?? wordsWhileBuilding(db, imp, today);
  const alternatives = long.map((w, i) => closeWords(words_, w, i === long.length - 1));
  if (alternatives.every((alts, i) => alts.length === 1 && alts[0] === long[i])) return;
  for (const f of matchNames(alternatives)) add(f, 'name', scoreOf(f.nameNorm, true));
}

/**
 * How well each query word matches some word of a name, 0..1 (the last query word may be a
 * prefix). Names share most of their words, so each word pair is worked out once per search.
 */
function wordsScorer(queryWords: readonly string[]): (nameNorm: string) => number {
  const pairs = new Map<string, number>();
  const last = queryWords.length - 1;
  const similar = (i: number, nw: string): number => {
    const key = `${i} ${nw}`;
    let v = pairs.get(key);
    if (v === undefined) {
      const qw = queryWords[i]!;
      const target = i === last && nw.length > qw.length ? nw.slice(0, qw.length) : nw;
      v = 1 - editDistance(qw, target) / Math.max(qw.length, target.length);
      pairs.set(key, v);
    }
    return v;
  };
  return (nameNorm) => {
    const nameWords = nameNorm.split(' ');
    let total = 0;
    for (let i = 0; i <= last; i++) {
      let best = 0;
      for (const nw of nameWords) best = Math.max(best, similar(i, nw));
      total += best;
    }
    return total / queryWords.length;
  };
}

const MAX_ALTERNATIVES = 8;

/** Roster words close to `word` (itself included): edit distance 1 for 3-5 letters, 2 for longer. */
function closeWords(index: NameIndex | { words: string[] }, word: string, isPrefix: boolean): string[] {
  const memo = index instanceof NameIndex ? index.memo : null;
  const key = `${isPrefix ? '+' : '='}${word}`;
  const known = memo?.get(key);
  if (known) return known;
  const len = [...word].length;
  const maxDistance = len <= 5 ? 1 : 2;
  const scored: Array<{ w: string; d: number }> = [];
  for (const v of index.words) {
    const asPrefix = isPrefix && v.length > word.length;
    if (Math.abs(v.length - word.length) > maxDistance && !asPrefix) continue;
    const target = asPrefix ? v.slice(0, word.length) : v;
    // plain Levenshtein (fast, from the library) bounds the swap-aware distance from above by 2x
    if (distance(word, target) > 2 * maxDistance) continue;
    const d = Math.min(editDistance(word, v), asPrefix ? editDistance(word, target) : Infinity);
    if (d <= maxDistance) scored.push({ w: v, d });
  }
  scored.sort((a, b) => a.d - b.d);
  const out = [word, ...scored.map((s) => s.w).filter((w) => w !== word)].slice(0, MAX_ALTERNATIVES);
  if (index instanceof NameIndex) index.remember(key, out);
  return out;
}

// ---- the name index of today's roster, per connection ----

const indexes = new WeakMap<Db, NameIndex>();
/** a build running in the background, per connection */
const building = new WeakMap<Db, { importId: number; done: Promise<void> }>();
/** the connection's data version when its index was last found current */
const checkedAt = new WeakMap<Db, number>();

/**
 * What the roster import looked like: the portal's changes to a roster in use (on the sync
 * worker's connection) change its row count or move its cursor on.
 */
function stampOf(db: Db, imp: RosterImportRow): string {
  const cursor = rosterCursor(db, imp.day);
  return `${imp.row_count} ${cursor?.import_id === imp.id ? cursor.cursor : ''}`;
}

/**
 * The name index, if it is built for this import and nothing has changed the roster since;
 * otherwise null, and a build is started (searches meanwhile scan the roster's names).
 */
function currentIndex(db: Db, imp: RosterImportRow, today: string): NameIndex | null {
  const index = indexes.get(db);
  if (index?.importId === imp.id) {
    // only another connection (the sync worker) can change a roster in use: its commits move the data version
    const version = dataVersion(db);
    if (checkedAt.get(db) === version) return index;
    if (index.stamp === stampOf(db, imp)) {
      checkedAt.set(db, version);
      return index;
    }
  }
  if (building.get(db)?.importId !== imp.id) void refreshSearch(db, today);
  return null;
}

/** The words typo search uses while the index is being built: those of the index it had (as before the change). */
function wordsWhileBuilding(db: Db, imp: RosterImportRow, today: string): NameIndex | { words: string[] } {
  const index = indexes.get(db);
  if (index && building.get(db)?.importId === imp.id) return index;
  // nothing to go by: build it now
  return buildNow(db, imp, today) ?? { words: [] };
}

/** The import whose name index is built (none: null); for tests of when it is rebuilt. */
export function builtVocabularyImport(db: Db): number | null {
  return indexes.get(db)?.importId ?? null;
}

/** Time the main process gives one slice of a background build before it answers others again. */
const SLICE_BUDGET_MS = 3;
const SLICE_ROWS = 500;

function startIndex(db: Db, imp: RosterImportRow): { index: NameIndex; version: number } {
  // read before the names: a change committed while they are read shows as a newer stamp
  return { version: dataVersion(db), index: new NameIndex(imp.id, stampOf(db, imp)) };
}

function install(db: Db, index: NameIndex, version: number, today: string): void {
  if (activeRosterImport(db, today)?.id !== index.importId) return;
  indexes.set(db, index);
  // current as of the version its build began at
  checkedAt.set(db, version);
}

function buildNow(db: Db, imp: RosterImportRow, today: string): NameIndex | null {
  building.delete(db);
  const { index, version } = startIndex(db, imp);
  let after = 0;
  for (;;) {
    const rows = namesPage(db, imp.id, after, 50_000);
    for (const r of rows) index.add(r.rowid, r.name, r.name_norm);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.rowid;
  }
  install(db, index, version, today);
  return indexes.get(db) === index ? index : null;
}

/**
 * Builds the name index of today's roster in small slices between other work, so a pulled
 * 100,000-row roster does not hold the main process's event loop, and swaps it in when done
 * (searches meanwhile scan the roster's names). Resolves when built, or when a newer build took over.
 */
export function refreshSearch(db: Db, today: string): Promise<void> {
  const imp = activeRosterImport(db, today);
  if (!imp) return Promise.resolve();
  const { index, version } = startIndex(db, imp);
  const done = new Promise<void>((resolve) => {
    let after = 0;
    const step = () => {
      // closed, or a newer build took over
      if (!db.open || building.get(db)?.done !== done) return resolve();
      const until = performance.now() + SLICE_BUDGET_MS;
      for (;;) {
        const rows = namesPage(db, imp.id, after, SLICE_ROWS);
        for (const r of rows) index.add(r.rowid, r.name, r.name_norm);
        if (rows.length < SLICE_ROWS) {
          building.delete(db);
          install(db, index, version, today);
          return resolve();
        }
        after = rows[rows.length - 1]!.rowid;
        if (performance.now() >= until) break;
      }
      setImmediate(step);
    };
    setImmediate(step);
  });
  building.set(db, { importId: imp.id, done });
  return done;
}

/**
 * The name index of an import being staged, filled from the rows as they are added (no need
 * to read them back): `finish` puts it in use once the import is today's roster.
 */
export function nameIndexOfImport(
  db: Db,
  importId: number,
): { add: (rowid: number, name: string, nameNorm: string) => void; finish: (today: string) => void } {
  // read before the rows are added: a change committed meanwhile shows as a newer stamp
  const version = dataVersion(db);
  const index = new NameIndex(importId, '');
  return {
    add: (rowid, name, nameNorm) => index.add(rowid, name, nameNorm),
    finish(today) {
      const imp = activeRosterImport(db, today);
      if (imp?.id !== importId) return;
      index.stamp = stampOf(db, imp);
      if (building.get(db)?.importId === importId) building.delete(db);
      install(db, index, version, today);
    },
  };
}

/** Today's roster changed (pulled from the portal): rebuilds the name index in the background. */
export function refreshSearchSoon(db: Db, today: string): void {
  void refreshSearch(db, today);
}

/** Builds the name index ahead of the first search (at start, or after an import if not built yet). */
export function warmSearch(db: Db, today: string): void {
  const imp = activeRosterImport(db, today);
  if (!imp) return;
  const index = indexes.get(db);
  if (index?.importId === imp.id && index.stamp === stampOf(db, imp)) return;
  buildNow(db, imp, today);
}

function hitOf(row: RosterEntryRow, matchedOn: SearchHit['matchedOn'], t: SearchTicketRow | undefined): SearchHit {
  return {
    refId: row.ref_id,
    name: row.name,
    gender: row.gender,
    birthYear: row.birth_year,
    mobileLast4: row.mobile_last4,
    photoIdType: row.photo_id_type,
    photoIdLast4: row.photo_id_last4,
    dose: row.dose,
    slotTime: row.slot_time,
    matchedOn,
    ticket: t ? { id: t.id, token: t.token, status: t.status } : null,
  };
}

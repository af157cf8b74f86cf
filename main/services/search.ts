import type { SearchHit } from '../../common/domain';
import { distance } from 'fastest-levenshtein';
import { editDistance, normalizeName } from '../../common/rules/names';
import type { Db } from '../store/database';
import { activeRosterImport, type RosterEntryRow } from '../store/roster';
import {
  entriesMatchingNames,
  entriesOfLast4,
  entriesOfNameStart,
  entriesOfRef,
  entriesOfRefPrefix,
  namesOf,
  namesPage,
  searchTicketOfRef,
} from '../store/roster-search';

const LIMIT = 20;

type Matched = { row: RosterEntryRow; matchedOn: SearchHit['matchedOn']; score: number };

/**
 * Finds registrants in the active roster as the operator types:
 *  - digits: whole reference ID (or its start), or the last 4 of reference ID, mobile or photo ID;
 *  - letters: name, by substring (trigram index), then typo-tolerant when that finds little.
 * Results are ranked: exact ID first, then name starts, then similarity.
 */
export function searchRoster(db: Db, rawQuery: string, today: string): SearchHit[] {
  const imp = activeRosterImport(db, today);
  if (!imp) return [];
  const query = rawQuery.trim();
  if (query.length === 0) return [];
  const found = new Map<number, Matched>();
  const add = (rows: RosterEntryRow[], matchedOn: SearchHit['matchedOn'], score: number) => {
    for (const row of rows) {
      const prev = found.get(row.rowid);
      if (!prev || prev.score < score) found.set(row.rowid, { row, matchedOn, score });
    }
  };
  const compact = query.toUpperCase().replace(/[\s-]/g, '');
  if (/^[A-Z0-9]*\d[A-Z0-9]*$/.test(compact) && !/^[A-Z]+$/.test(compact)) {
    const byId = entriesOfRef(db, imp.id, compact);
    add(byId, 'ref_id', 100);
    if (compact.length === 4) {
      add(entriesOfLast4(db, imp.id, 'ref_last4', compact, LIMIT), 'ref_last4', 80);
      add(entriesOfLast4(db, imp.id, 'mobile_last4', compact, LIMIT), 'mobile_last4', 70);
      add(entriesOfLast4(db, imp.id, 'photo_id_last4', compact, LIMIT), 'photo_id_last4', 60);
    } else if (compact.length > 4 && byId.length === 0) {
      add(entriesOfRefPrefix(db, imp.id, compact, LIMIT), 'ref_id', 90);
    }
  } else {
    searchNames(db, imp.id, query, add);
  }
  const ranked = [...found.values()].sort((a, b) => b.score - a.score || a.row.name.localeCompare(b.row.name)).slice(0, LIMIT);
  return withTickets(db, today, ranked);
}

function searchNames(
  db: Db,
  importId: number,
  query: string,
  add: (rows: RosterEntryRow[], matchedOn: 'name', score: number) => void,
): void {
  const q = normalizeName(query);
  if (q.length === 0) return;
  const words = q.split(' ');
  const scoreOf = (r: RosterEntryRow, fuzzy: boolean) => {
    const starts = r.name_norm.startsWith(q) ? 20 : r.name_norm.includes(` ${q}`) ? 15 : 0;
    return (fuzzy ? 0 : 10) + starts + 10 * wordsScore(words, r.name_norm);
  };
  // Names that start with the query (indexed): the best matches, and the only ones for 1-2 letters.
  const starting = entriesOfNameStart(db, importId, q, LIMIT);
  for (const r of starting) add([r], 'name', scoreOf(r, false));
  const long = words.filter((w) => [...w].length >= 3);
  if (long.length === 0) return;
  // Substring: every word of the query somewhere in the name (trigram index), short words checked after.
  const sub = matchNames(
    db,
    importId,
    long.map((w) => [w]),
  );
  const shortWords = words.filter((w) => [...w].length < 3);
  for (const r of sub) if (shortWords.every((w) => r.name_norm.includes(w))) add([r], 'name', scoreOf(r, false));
  if (sub.length >= 5) return;
  // Typo-tolerant: each word may be any roster word within a small edit distance of it
  // (the last word as a prefix, since the operator may still be typing).
  const vocab = vocabulary(db, importId);
  const alternatives = long.map((w, i) => closeWords(vocab, w, i === long.length - 1));
  if (alternatives.every((alts, i) => alts.length === 1 && alts[0] === long[i])) return;
  for (const r of matchNames(db, importId, alternatives)) add([r], 'name', scoreOf(r, true));
}

/** How well each query word matches some word of the name, 0..1 (the last query word may be a prefix). */
function wordsScore(queryWords: readonly string[], nameNorm: string): number {
  const nameWords = nameNorm.split(' ');
  let total = 0;
  queryWords.forEach((qw, i) => {
    const last = i === queryWords.length - 1;
    let best = 0;
    for (const nw of nameWords) {
      const target = last && nw.length > qw.length ? nw.slice(0, qw.length) : nw;
      best = Math.max(best, 1 - editDistance(qw, target) / Math.max(qw.length, target.length));
    }
    total += best;
  });
  return total / queryWords.length;
}

/** Names containing, for every group, at least one of its words. */
function matchNames(db: Db, importId: number, groups: string[][]): RosterEntryRow[] {
  return entriesMatchingNames(db, importId, groups, 100);
}

const MAX_ALTERNATIVES = 8;

/** Roster words close to `word` (itself included): edit distance 1 for 3-5 letters, 2 for longer. */
function closeWords(vocab: readonly string[], word: string, isPrefix: boolean): string[] {
  const len = [...word].length;
  const maxDistance = len <= 5 ? 1 : 2;
  const scored: Array<{ w: string; d: number }> = [];
  for (const v of vocab) {
    const asPrefix = isPrefix && v.length > word.length;
    if (Math.abs(v.length - word.length) > maxDistance && !asPrefix) continue;
    const target = asPrefix ? v.slice(0, word.length) : v;
    // plain Levenshtein (fast, from the library) bounds the swap-aware distance from above by 2x
    if (distance(word, target) > 2 * maxDistance) continue;
    const d = Math.min(editDistance(word, v), asPrefix ? editDistance(word, target) : Infinity);
    if (d <= maxDistance) scored.push({ w: v, d });
  }
  scored.sort((a, b) => a.d - b.d);
  const out = [word, ...scored.map((s) => s.w).filter((w) => w !== word)];
  return out.slice(0, MAX_ALTERNATIVES);
}

const vocabularies = new WeakMap<Db, { importId: number; words: string[] }>();
/** a rebuild running in the background, per connection: the import it is for */
const refreshing = new WeakMap<Db, number>();

/** The distinct words of the roster's names (a few thousand even for a large roster), cached per import. */
function vocabulary(db: Db, importId: number): string[] {
  const cached = vocabularies.get(db);
  if (cached?.importId === importId) return cached.words;
  // being rebuilt in the background (a roster just pulled): typo search uses the words it had
  // until then, rather than hold the event loop to read the whole roster now
  if (cached && refreshing.get(db) === importId) return cached.words;
  const words = new Set<string>();
  for (const r of namesOf(db, importId)) addWords(words, r.name_norm);
  const entry = { importId, words: [...words] };
  vocabularies.set(db, entry);
  return entry.words;
}

/** The import whose name vocabulary is built (none: null); for tests of when it is rebuilt. */
export function builtVocabularyImport(db: Db): number | null {
  return vocabularies.get(db)?.importId ?? null;
}

function addWords(words: Set<string>, nameNorm: string): void {
  for (const w of nameNorm.split(' ')) if ([...w].length >= 3) words.add(w);
}

/** Time the main process gives one slice of a background rebuild before it answers others again. */
const SLICE_BUDGET_MS = 4;
const SLICE_ROWS = 500;

/**
 * Today's roster changed (pulled from the portal): rebuilds the vocabulary in small slices
 * between other work, so a pulled 100,000-row roster does not hold the main process's event
 * loop, and swaps it in when done. Searches meanwhile use the words already known.
 */
export function refreshSearchSoon(db: Db, today: string): void {
  const imp = activeRosterImport(db, today);
  if (!imp) return;
  const importId = imp.id;
  refreshing.set(db, importId);
  const words = new Set<string>();
  let after = 0;
  const step = () => {
    // closed, or a newer refresh took over
    if (!db.open || refreshing.get(db) !== importId) return;
    const until = performance.now() + SLICE_BUDGET_MS;
    for (;;) {
      const rows = namesPage(db, importId, after, SLICE_ROWS);
      for (const r of rows) addWords(words, r.name_norm);
      if (rows.length < SLICE_ROWS) {
        refreshing.delete(db);
        if (activeRosterImport(db, today)?.id === importId) vocabularies.set(db, { importId, words: [...words] });
        return;
      }
      after = rows[rows.length - 1]!.rowid;
      if (performance.now() >= until) break;
    }
    setImmediate(step);
  };
  setImmediate(step);
}

/** Builds the name vocabulary ahead of the first search (after an import or at start). */
export function warmSearch(db: Db, today: string): void {
  const imp = activeRosterImport(db, today);
  if (imp) vocabulary(db, imp.id);
}

function withTickets(db: Db, today: string, ranked: Matched[]): SearchHit[] {
  return ranked.map(({ row, matchedOn }) => {
    const t = searchTicketOfRef(db, today, row.ref_id);
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
  });
}

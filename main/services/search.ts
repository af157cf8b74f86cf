import type { SearchHit, TicketStatus } from '../../common/domain';
import { nameSimilarity, normalizeName } from '../../common/rules/names';
import type { Db } from '../store/database';
import { activeRosterImport, type RosterEntryRow } from './roster';

const LIMIT = 20;

type Matched = { row: RosterEntryRow; matchedOn: SearchHit['matchedOn']; score: number };

/**
 * Finds registrants in the active roster as the operator types:
 *  - digits: whole reference ID (or its start), or the last 4 of reference ID, mobile or photo ID;
 *  - letters: name, by substring (trigram index), then typo-tolerant when that finds little.
 * Results are ranked: exact ID first, then name starts, then similarity.
 */
export function searchRoster(db: Db, rawQuery: string, today: string): SearchHit[] {
  const imp = activeRosterImport(db);
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
    const byId = db.prepare('SELECT * FROM roster_entry WHERE import_id = ? AND ref_id = ?').all(imp.id, compact) as RosterEntryRow[];
    add(byId, 'ref_id', 100);
    if (compact.length === 4) {
      add(stmt(db, 'ref_last4').all(imp.id, compact, LIMIT) as RosterEntryRow[], 'ref_last4', 80);
      add(stmt(db, 'mobile_last4').all(imp.id, compact, LIMIT) as RosterEntryRow[], 'mobile_last4', 70);
      add(stmt(db, 'photo_id_last4').all(imp.id, compact, LIMIT) as RosterEntryRow[], 'photo_id_last4', 60);
    } else if (compact.length > 4 && byId.length === 0) {
      const prefix = db
        .prepare("SELECT * FROM roster_entry WHERE import_id = ? AND ref_id >= ? AND ref_id < ? || '~' LIMIT ?")
        .all(imp.id, compact, compact, LIMIT) as RosterEntryRow[];
      add(prefix, 'ref_id', 90);
    }
  } else {
    searchNames(db, imp.id, query, add);
  }
  const ranked = [...found.values()].sort((a, b) => b.score - a.score || a.row.name.localeCompare(b.row.name)).slice(0, LIMIT);
  return withTickets(db, today, ranked);
}

type Stmt = import('better-sqlite3').Statement<unknown[]>;
const stmts = new WeakMap<Db, Map<string, Stmt>>();
function stmt(db: Db, column: 'ref_last4' | 'mobile_last4' | 'photo_id_last4'): Stmt {
  let m = stmts.get(db);
  if (!m) stmts.set(db, (m = new Map()));
  let s = m.get(column);
  if (!s) {
    s = db.prepare<unknown[]>(`SELECT * FROM roster_entry WHERE import_id = ? AND ${column} = ? LIMIT ?`);
    m.set(column, s);
  }
  return s;
}

function searchNames(
  db: Db,
  importId: string,
  query: string,
  add: (rows: RosterEntryRow[], matchedOn: 'name', score: number) => void,
): void {
  const q = normalizeName(query);
  if (q.length === 0) return;
  const scoreOf = (r: RosterEntryRow) => {
    const starts = r.name_norm.startsWith(q) ? 20 : r.name_norm.includes(` ${q}`) ? 15 : 0;
    return 10 + starts + 10 * nameSimilarity(q, r.name_norm);
  };
  if (q.length < 3) {
    // too short for trigrams: names starting with it
    const rows = db
      .prepare("SELECT * FROM roster_entry WHERE import_id = ? AND name_norm >= ? AND name_norm < ? || '~' LIMIT ?")
      .all(importId, q, q, LIMIT) as RosterEntryRow[];
    for (const r of rows) add([r], 'name', scoreOf(r));
    return;
  }
  // Substring: every trigram of the query, in order.
  const phrase = `"${q.replace(/"/g, '""')}"`;
  const sub = db
    .prepare(
      `SELECT e.* FROM roster_name_fts f JOIN roster_entry e ON e.rowid = f.rowid
       WHERE roster_name_fts MATCH ? AND e.import_id = ? LIMIT 200`,
    )
    .all(phrase, importId) as RosterEntryRow[];
  for (const r of sub) add([r], 'name', scoreOf(r));
  if (sub.length >= 5) return;
  // Typo-tolerant: names sharing the query's rarest trigrams, best overlap first, re-ranked by similarity.
  const grams = rarestTrigrams(db, q, 6);
  if (grams.length === 0) return;
  const fuzzy = db
    .prepare(
      `SELECT e.* FROM (SELECT rowid, rank FROM roster_name_fts WHERE roster_name_fts MATCH ? ORDER BY rank LIMIT 300) f
       JOIN roster_entry e ON e.rowid = f.rowid WHERE e.import_id = ?`,
    )
    .all(grams.map((g) => `"${g.replace(/"/g, '""')}"`).join(' OR '), importId) as RosterEntryRow[];
  for (const r of fuzzy) {
    const sim = nameSimilarity(q, r.name_norm);
    const wordSim = Math.max(...r.name_norm.split(' ').map((w) => nameSimilarity(q, w)));
    const best = Math.max(sim, wordSim);
    if (best >= 0.6) add([r], 'name', 5 + 10 * best);
  }
}

/** Distinct trigrams of `q`, rarest first (by how many names hold them), at most `n`. */
function rarestTrigrams(db: Db, q: string, n: number): string[] {
  const grams = new Set<string>();
  const chars = [...q];
  for (let i = 0; i + 3 <= chars.length; i++) {
    const g = chars.slice(i, i + 3).join('');
    if (!g.includes(' ')) grams.add(g);
  }
  if (grams.size <= n) return [...grams];
  const count = db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM roster_name_fts WHERE roster_name_fts MATCH ? LIMIT 2000)');
  return [...grams]
    .map((g) => ({ g, n: (count.get(`"${g.replace(/"/g, '""')}"`) as { n: number }).n }))
    .sort((a, b) => a.n - b.n)
    .slice(0, n)
    .map((x) => x.g);
}

function withTickets(db: Db, today: string, ranked: Matched[]): SearchHit[] {
  const ticketOf = db.prepare("SELECT id, token, status FROM ticket WHERE day = ? AND ref_id = ? AND status <> 'cancelled'");
  return ranked.map(({ row, matchedOn }) => {
    const t = ticketOf.get(today, row.ref_id) as { id: string; token: string; status: TicketStatus } | undefined;
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

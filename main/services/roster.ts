import { parse as parseCsvStream, type Options as CsvOptions } from 'csv-parse';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  GENDERS,
  isoDaySchema,
  NAME_MAX_LENGTH,
  rosterEntrySchema,
  type RosterEntry,
  type RosterInfo,
} from '../../common/domain';
import { PHOTO_ID_TYPES } from '../../common/rules/photo-id';
import { DomainError } from '../../common/result';
import { centreDay } from '../../common/rules/centre-day';
import { insertAudit } from '../store/audit';
import type { Db } from '../store/database';
import {
  activateImport,
  activeRosterImport,
  indexImportsInUse,
  insertStagingImport,
  newestActiveRosterImport,
  oldestDayKept,
  removeImports,
  StagerGone,
  stagerOnConnection,
  stagingImportIds,
  type RosterStager,
  unwantedImports,
} from '../store/roster';
import type { ServiceContext } from './context';
import { nameIndexOfImport } from './search';

/** Today's roster, or else the newest one held (then `stale`: it cannot verify today's registrants). */
export function rosterInfo(db: Db, today: string): RosterInfo | null {
  const imp = activeRosterImport(db, today) ?? newestActiveRosterImport(db);
  if (!imp) return null;
  return { day: imp.day, count: imp.row_count, importedAt: imp.imported_at, source: imp.source, stale: imp.day !== today };
}

/** The CSV columns of a roster file (first line), in any order. */
export const CSV_COLUMNS = [
  'date',
  'ref_id',
  'name',
  'gender',
  'birth_year',
  'mobile_last4',
  'photo_id_type',
  'photo_id_last4',
  'dose',
  'slot_time',
] as const;

const STAGE_CHUNK = 5000;
const VALIDATE_CHUNK = 2500;
const CSV_SLICE = 256 * 1024;
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

const rejected = (line: number | null, reason: string, field?: string): DomainError =>
  new DomainError('ROSTER_REJECTED', line === null ? reason : `line ${line}: ${reason}`, {
    details: { line, reason, field: field ?? null },
  });

const REF_ID = /^(?=.*\d)[A-Z0-9]{6,20}$/;
// eslint-disable-next-line no-misleading-character-class -- as in the name schema: the joiners stand alone in the class
const NAME = /^[\p{L}\p{M}][\p{L}\p{M}\u200C\u200D .'-]*$/u;
const DIGITS_4 = /^\d{4}$/;
const LAST_4 = /^[0-9A-Z]{4}$/;
const SLOT_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const WHOLE = /^\d{1,6}$/;

function wholeIn(v: unknown, min: number, max: number): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && WHOLE.test(v.trim()) ? Number(v.trim()) : Number.NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/**
 * A roster row the quick way: what `rosterEntrySchema` makes of a row that meets every one of
 * its rules, or null for any row that does not (the schema then says what is wrong). A
 * 100,000-row file is mostly such rows; a unit test holds the two to the same answers.
 */
export function plainRosterEntry(raw: Record<string, unknown>, thisYear = new Date().getFullYear()): RosterEntry | null {
  const { refId, name, gender, birthYear, mobileLast4, photoIdType, photoIdLast4, dose, slotTime } = raw;
  if (typeof refId !== 'string' || typeof name !== 'string' || typeof mobileLast4 !== 'string') return null;
  if (typeof photoIdLast4 !== 'string') return null;
  const ref = refId.trim().toUpperCase();
  const nm = name.trim();
  const mobile = mobileLast4.trim();
  const photo = photoIdLast4.trim().toUpperCase();
  if (!REF_ID.test(ref) || nm.length < 2 || nm.length > NAME_MAX_LENGTH || !NAME.test(nm)) return null;
  if (!DIGITS_4.test(mobile) || !LAST_4.test(photo)) return null;
  if (!(GENDERS as readonly unknown[]).includes(gender)) return null;
  if (!(PHOTO_ID_TYPES as readonly unknown[]).includes(photoIdType)) return null;
  const year = wholeIn(birthYear, 1900, thisYear);
  const doseNumber = wholeIn(dose, 1, 3);
  if (year === null || doseNumber === null) return null;
  let slot: string | null;
  if (slotTime === undefined || slotTime === null || slotTime === '') slot = null;
  else if (typeof slotTime === 'string' && SLOT_TIME.test(slotTime)) slot = slotTime;
  else return null;
  return {
    refId: ref,
    name: nm,
    gender: gender as RosterEntry['gender'],
    birthYear: year,
    mobileLast4: mobile,
    photoIdType: photoIdType as RosterEntry['photoIdType'],
    photoIdLast4: photo,
    dose: doseNumber,
    slotTime: slot,
  };
}

/**
 * Checks rows one at a time (the first bad one refuses the file): each row becomes a roster
 * entry as it is checked, kept in chunks of `STAGE_CHUNK` (as they are staged), so the rows as
 * read need not all be held at once. `lineOf` turns a row's number into the line shown in a
 * message (CSV: the file's line).
 */
class RowChecker {
  private readonly seen = new Map<string, number>();
  private readonly chunks: RosterEntry[][] = [];
  private chunk: RosterEntry[] = [];
  private readonly thisYear = new Date().getFullYear();

  constructor(private readonly lineOf: (row: number) => number = (n) => n) {}

  add(line: number, raw: Record<string, unknown>): void {
    let entry = plainRosterEntry(raw, this.thisYear);
    if (entry === null) {
      const r = rosterEntrySchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw rejected(this.lineOf(line), `${String(issue.path[0] ?? 'row')}: ${issue.message}`, String(issue.path[0] ?? ''));
      }
      entry = r.data;
    }
    const first = this.seen.get(entry.refId);
    if (first !== undefined) {
      throw rejected(this.lineOf(line), `ref_id ${entry.refId} repeats line ${this.lineOf(first)}`, 'refId');
    }
    this.seen.set(entry.refId, line);
    this.chunk.push(entry);
    if (this.chunk.length === STAGE_CHUNK) {
      this.chunks.push(this.chunk);
      this.chunk = [];
    }
  }

  /** Every entry checked, in chunks of `STAGE_CHUNK`. */
  finish(): RosterEntry[][] {
    if (this.chunk.length > 0) this.chunks.push(this.chunk);
    this.chunk = [];
    return this.chunks;
  }
}

/**
 * A roster file read, its one day found and its rows counted; `check` then checks its rows in
 * order, yielding to the event loop every few thousand so the counter keeps answering, and
 * gives every entry, in chunks of `STAGE_CHUNK`. It throws at the first bad row.
 */
interface RosterFile {
  day: string;
  rows: number;
  check(): Promise<RosterEntry[][]>;
}

function readRosterFile(format: 'json' | 'csv', content: string): Promise<RosterFile> {
  if (format === 'json') return readJson(content);
  return readCsv(content);
}

async function readJson(content: string): Promise<RosterFile> {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch (e) {
    throw rejected(null, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw rejected(null, 'expected an object { "date": "YYYY-MM-DD", "appointments": [...] }');
  }
  const { date, appointments } = doc as { date?: unknown; appointments?: unknown };
  const day = isoDaySchema.safeParse(date);
  if (!day.success) throw rejected(null, '"date" must be a day as YYYY-MM-DD', 'date');
  if (!Array.isArray(appointments)) throw rejected(null, '"appointments" must be a list', 'appointments');
  const rows = appointments.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw rejected(i + 1, 'appointment must be an object');
    return { line: i + 1, raw: raw as Record<string, unknown> };
  });
  return {
    day: day.data,
    rows: rows.length,
    async check() {
      const checker = new RowChecker();
      for (let i = 0; i < rows.length; i++) {
        if (i > 0 && i % VALIDATE_CHUNK === 0) await yieldToEventLoop();
        checker.add(rows[i]!.line, rows[i]!.raw);
      }
      return checker.finish();
    },
  };
}

/** Parses CSV text in slices, yielding between them: a big file does not hold up the event loop. */
async function parseCsvCooperatively(text: string, options: CsvOptions): Promise<string[][]> {
  const parser = parseCsvStream(options);
  const records: string[][] = [];
  let failure: Error | null = null;
  parser.on('readable', () => {
    let r: string[] | null;
    while ((r = parser.read() as string[] | null) !== null) records.push(r);
  });
  const done = new Promise<void>((ok) => {
    parser.on('end', ok);
    parser.on('error', (e: Error) => {
      failure = e;
      ok();
    });
  });
  for (let i = 0; i < text.length && !failure; i += CSV_SLICE) {
    parser.write(text.slice(i, i + CSV_SLICE));
    await yieldToEventLoop();
  }
  if (!failure) parser.end();
  await done;
  if (failure) throw failure;
  return records;
}

const SPLIT_SLICE = 10_000;

/** A CSV file's records, each split into its fields when asked for. */
export interface CsvRecords {
  readonly length: number;
  at(record: number): string[];
  /** one field of a record (none: undefined) */
  field(record: number, column: number): string | undefined;
}

const recordsOf = (records: string[][]): CsvRecords => ({
  length: records.length,
  at: (i) => records[i]!,
  field: (i, column) => records[i]![column],
});

/** The `column`th comma-separated field of a line, found without splitting the rest. */
function fieldOfLine(line: string, column: number): string | undefined {
  let from = 0;
  for (let c = 0; c < column; c++) {
    const comma = line.indexOf(',', from);
    if (comma < 0) return undefined;
    from = comma + 1;
  }
  const end = line.indexOf(',', from);
  return line.slice(from, end < 0 ? line.length : end);
}

/**
 * Reads a plain CSV file the quick way: no quotes, one kind of line end, no blank around a
 * field. Gives what csv-parse gives for such a file (empty lines skipped), or null for any
 * other file, which csv-parse then reads (and refuses with its own message when it must).
 * Only its lines are kept: a record is split into fields when read, and those fields are gone
 * once it is checked (a million fields kept at once cost more in collection than in splitting).
 */
export async function splitPlainCsv(text: string): Promise<CsvRecords | null> {
  if (text.includes('"') || !text.isWellFormed()) return null;
  const crlf = text.includes('\r');
  // a CR that does not end a line, or a line that a CR does not end
  if (crlf && /\r(?!\n)|(?<!\r)\n/.test(text)) return null;
  const lines = text.split(crlf ? '\r\n' : '\n');
  const kept: string[] = [];
  let columns = -1;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && i % SPLIT_SLICE === 0) await yieldToEventLoop();
    const line = lines[i]!;
    if (line.length === 0) continue;
    // each field's first and last character, found without making the field
    let fields = 0;
    for (let from = 0; ;) {
      const comma = line.indexOf(',', from);
      const to = comma < 0 ? line.length : comma;
      if (to > from && blankAtEdge(line, from, to)) return null;
      fields++;
      if (comma < 0) break;
      from = comma + 1;
    }
    if (columns < 0) columns = fields;
    else if (fields !== columns) return null;
    kept.push(line);
  }
  return { length: kept.length, at: (i) => kept[i]!.split(','), field: (i, column) => fieldOfLine(kept[i]!, column) };
}

/** Whether the field `line[from, to)` begins or ends with white space (as the regular expression has it). */
function blankAtEdge(line: string, from: number, to: number): boolean {
  if (!maybeBlank(line.charCodeAt(from)) && !maybeBlank(line.charCodeAt(to - 1))) return false;
  return EDGE_BLANK.test(line.slice(from, to));
}
const EDGE_BLANK = /^\s|\s$/;
/** could be white space (the regular expression decides) */
const maybeBlank = (c: number) => c <= 32 || c >= 0xa0;

async function readCsv(content: string): Promise<RosterFile> {
  const text = content.replace(/^\uFEFF/, '');
  const options = { skip_empty_lines: true, relax_column_count: false, trim: true } as const;
  let records: CsvRecords;
  try {
    records = (await splitPlainCsv(text)) ?? recordsOf(await parseCsvCooperatively(text, options));
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw rejected(err.lines ?? null, `not valid CSV (${err.message})`);
  }
  // A record's line in the file differs from its index after blank lines or quoted line
  // breaks. Only a refused file needs it, so only then is the file parsed again for it.
  let lines: number[] | null = null;
  const lineOf = (record: number): number => {
    lines ??= (parseCsv(text, { ...options, info: true }) as unknown as Array<{ info: { lines: number } }>).map(
      (r) => r.info.lines,
    );
    return lines[record] ?? record + 1;
  };
  const header = records.length > 0 ? records.at(0) : undefined;
  if (!header) throw rejected(null, 'the file is empty');
  const cols = header.map((h) => h.toLowerCase());
  for (const c of CSV_COLUMNS) {
    if (c !== 'slot_time' && !cols.includes(c)) throw rejected(lineOf(0), `missing column ${c}`, c);
  }
  const at = (c: (typeof CSV_COLUMNS)[number]) => cols.indexOf(c);
  const [iDate, iRef, iName, iGender, iYear, iMobile, iIdType, iIdLast4, iDose, iSlot] = CSV_COLUMNS.map(at) as number[];
  const cell = (rec: string[], n: number | undefined): string | undefined => (n! >= 0 ? rec[n!] : undefined);
  // one day per file, checked first: a file of two days is refused as such whatever else is wrong in it
  let day: string | null = null;
  for (let record = 1; record < records.length; record++) {
    if (record % SPLIT_SLICE === 0) await yieldToEventLoop();
    const d = (iDate! >= 0 ? records.field(record, iDate!) : undefined) ?? '';
    if (day === null) {
      if (!isoDaySchema.safeParse(d).success) throw rejected(lineOf(record), 'date must be YYYY-MM-DD', 'date');
      day = d;
    } else if (d !== day) {
      throw rejected(lineOf(record), `date ${d} differs from ${day}: a roster file holds one day`, 'date');
    }
  }
  if (day === null) throw rejected(null, 'the file has no appointments');
  return {
    day,
    rows: records.length - 1,
    async check() {
      // each row checked as it is read: the rows as read are not all kept until every one is checked
      const checker = new RowChecker(lineOf);
      for (let record = 1; record < records.length; record++) {
        if (record % VALIDATE_CHUNK === 0) await yieldToEventLoop();
        const rec = records.at(record);
        checker.add(record, {
          refId: cell(rec, iRef),
          name: cell(rec, iName),
          gender: cell(rec, iGender)?.toUpperCase(),
          birthYear: cell(rec, iYear),
          mobileLast4: cell(rec, iMobile),
          photoIdType: cell(rec, iIdType)?.toUpperCase(),
          photoIdLast4: cell(rec, iIdLast4),
          dose: cell(rec, iDose),
          slotTime: cell(rec, iSlot) ?? null,
        });
      }
      return checker.finish();
    },
  };
}

/**
 * Imports a roster. A bad file changes nothing: every row is checked before any is written.
 * Then the rows are staged beside the roster in force, indexed, and swapped in with one small
 * transaction. The old roster stays active until that swap, and is removed after it.
 *
 * `stager` writes the rows: the sync worker's, on its own thread, while this thread fills the
 * search's name index from what it answers. Without one (no portal, or the worker is not
 * running) they are written here, a chunk a task. A worker that ends mid-import leaves its
 * rows to be removed, and the import is staged again here: the operator sees no failure.
 */
export async function importRoster(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'config'> & { operatorId: string | null; stager?: RosterStager | null },
  input: { fileName: string; format: 'json' | 'csv'; content: string },
): Promise<RosterInfo> {
  const { db } = ctx;
  const file = await readRosterFile(input.format, input.content);
  const today = centreDay(ctx.clock(), ctx.config.centre.timeZone);
  if (file.day < oldestDayKept(today)) {
    throw rejected(
      null,
      `the roster is for ${file.day}, a past day: only today's, yesterday's or a future day's roster can be loaded`,
      'date',
    );
  }
  const at = ctx.clock().toISOString();
  const staging = { day: file.day, rows: file.rows, source: input.fileName, at, operatorId: ctx.operatorId, today };
  // every row checked before anything is written: a refused file writes nothing at all
  const chunks = await file.check();
  let staged: StagedImport;
  try {
    staged = await stageImport(db, ctx.stager ?? stagerOnConnection(db), staging, chunks);
  } catch (e) {
    if (!(e instanceof StagerGone)) throw e;
    staged = await stageImport(db, stagerOnConnection(db), staging, chunks);
  }
  staged.names?.finish(today);
  await removeImports(db, unwantedImports(db, today));
  return { day: file.day, count: file.rows, importedAt: at, source: input.fileName, stale: file.day !== today };
}

interface StagedImport {
  importId: number;
  names: ReturnType<typeof nameIndexOfImport> | null;
}

/**
 * Stages checked entries, a chunk a request, then indexes and activates the import; removes
 * what it staged when any step fails.
 */
async function stageImport(
  db: Db,
  stager: RosterStager,
  o: { day: string; rows: number; source: string; at: string; operatorId: string | null; today: string },
  chunks: readonly RosterEntry[][],
): Promise<StagedImport> {
  const importId = insertStagingImport(db, {
    day: o.day,
    source: o.source,
    rowCount: o.rows,
    importedAt: o.at,
    importedBy: o.operatorId,
  });
  // today's roster: its name index for the search is filled from what each chunk's staging
  // answers, as each answer comes (in order: chunks are staged one after another)
  const names = o.day === o.today ? nameIndexOfImport(db, importId) : null;
  let stagerFailed = false;
  try {
    // every chunk asked for at once (a worker stages them one after another), each outcome held
    // from the start so that a failure is not left unhandled meanwhile
    const outcomes = chunks.map((entries) =>
      stager.stage(importId, entries).then(
        ({ rowids, norms }) => {
          if (names && !stagerFailed) for (let j = 0; j < entries.length; j++) names.add(rowids[j]!, entries[j]!.name, norms[j]!);
          return null;
        },
        (error: unknown) => {
          stagerFailed = true;
          return { error };
        },
      ),
    );
    const failure = (await Promise.all(outcomes)).find((outcome) => outcome !== null);
    if (failure) throw failure.error;
    // its lookup indexes, made once the rows are in
    await stager.index(importId);
    db.transaction(() => {
      activateImport(db, importId, o.day, o.rows);
      insertAudit(db, {
        at: o.at,
        operatorId: o.operatorId,
        action: 'roster.imported',
        detail: { importId, day: o.day, rows: o.rows, source: o.source },
      });
    }).immediate();
  } catch (e) {
    await removeImports(db, [importId]);
    throw e;
  }
  return { importId, names };
}

/**
 * At start: removes leftovers of an import that was interrupted (app killed mid-import),
 * superseded rosters and rosters of past days; the rosters kept get their lookup indexes if
 * they lack them (a file from before each import had its own).
 */
export async function cleanRosters(db: Db, today: string | null): Promise<void> {
  const staging = stagingImportIds(db);
  await removeImports(db, today ? [...staging, ...unwantedImports(db, today)] : staging);
  indexImportsInUse(db);
}

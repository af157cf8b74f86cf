/**
 * Copies of the counter database made before a schema upgrade, and putting one back when the
 * upgrade fails. The copies live in `<dataDir>/backups/` (the OS user's alone: folder 0700,
 * files 0600), named after the schema versions and the time; the last KEEP_BACKUPS are kept,
 * none longer than BACKUP_MAX_AGE_DAYS.
 *
 * The copy is SQLite's `VACUUM INTO`: an online copy of one read transaction's snapshot (other
 * connections may keep writing), made by SQLite itself. SQLite3 Multiple Ciphers writes it
 * encrypted with the same cipher and key as the database, so an encrypted database never has a
 * copy in the clear. (The backup API, `db.backup()`, cannot be used for an encrypted file:
 * better-sqlite3 opens the target without a key, and SQLite3 Multiple Ciphers refuses a backup
 * between an encrypted source and an unkeyed target.) It is also synchronous, so every opener
 * of the file (the counter, its sync worker, IT's recovery commands) makes its copy the same way.
 *
 * Crash safety: a copy is written under a temporary name and renamed when complete, so a kill
 * during the copy leaves the database untouched and at most a `.partial` file (removed at the
 * next start). A restore first writes a marker naming the copy; a kill at any later step is
 * finished at the next start (recoverRestore), so the database is never left half replaced or
 * paired with the write-ahead log of the file it replaced.
 */
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { applyKey, fsyncPath, isPlainDatabase } from './encryption';

type Connection = Database.Database;

/** How many copies made before upgrades are kept (the newest). */
export const KEEP_BACKUPS = 5;

/** The folder of the copies made before upgrades: beside the database. */
export function backupsDir(file: string): string {
  return join(dirname(file), 'backups');
}

const COPY_NAME = /^(.+)-schema-(\d+)-to-(\d+)-(\d{8}T\d{9}Z)\.db$/;

/** A copy's name: the database's name, the schema it holds and the one the upgrade was going to, and the time (UTC, sortable, no colons for Windows). */
export function backupName(file: string, from: number, to: number, at: Date): string {
  const stamp = at.toISOString().replaceAll('-', '').replaceAll(':', '').replace('.', '');
  return `${basename(file, '.db')}-schema-${from}-to-${to}-${stamp}.db`;
}

export interface BackupInfo {
  file: string;
  name: string;
  fromVersion: number;
  toVersion: number;
  /** when it was made (from its name) */
  madeAt: string;
}

/** The copies of this database in its backups folder, oldest first. */
export function listBackups(file: string): BackupInfo[] {
  const dir = backupsDir(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    // no folder (no copy made yet), or something else in its place
    return [];
  }
  const prefix = `${basename(file, '.db')}-schema-`;
  const out: BackupInfo[] = [];
  for (const name of names) {
    const m = COPY_NAME.exec(name);
    if (!m || !name.startsWith(prefix)) continue;
    const s = m[4]!;
    const madeAt = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
    out.push({ file: join(dir, name), name, fromVersion: Number(m[2]), toVersion: Number(m[3]), madeAt });
  }
  return out.sort((a, b) => (a.madeAt === b.madeAt ? a.name.localeCompare(b.name) : a.madeAt < b.madeAt ? -1 : 1));
}

function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export interface CopyOptions {
  from: number;
  to: number;
  key?: string | undefined;
  nativeBinding?: string | undefined;
  now?: Date;
}

/**
 * Copies the open database `db` (file `file`, at schema `from`) into the backups folder before
 * it is upgraded to `to`; checks that the copy opens (with the key), is whole and holds schema
 * `from`; keeps the last KEEP_BACKUPS copies. Returns the copy's path.
 */
export function copyBeforeUpgrade(db: Connection, file: string, options: CopyOptions): string {
  const dir = backupsDir(file);
  ownerOnlyDir(dir);
  removePartials(dir);
  const target = join(dir, backupName(file, options.from, options.to, options.now ?? new Date()));
  const partial = `${target}.partial`;
  // made empty and owner-only first: SQLite writes into an empty file, with the file's permissions
  closeSync(openSync(partial, 'w', 0o600));
  try {
    db.prepare('VACUUM INTO ?').run(partial);
    chmodSync(partial, 0o600);
    checkCopy(partial, options);
    fsyncPath(partial);
    renameSync(partial, target);
    fsyncPath(dir);
  } catch (e) {
    for (const f of [partial, `${partial}-journal`, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
    throw e;
  }
  pruneBackups(file, KEEP_BACKUPS, target);
  return target;
}

/** A copy that cannot be read back, is damaged, is in the clear when it should not be, or holds another schema is not a copy. */
function checkCopy(copy: string, options: CopyOptions): void {
  if (options.key !== undefined && isPlainDatabase(copy)) throw new Error(`the copy ${copy} is not encrypted: it was removed`);
  const c = new Database(copy, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    if (options.key !== undefined) applyKey(c, options.key);
    const ok = c.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw new Error(`the copy ${copy} fails its check (${String(ok)})`);
    const version = c.pragma('user_version', { simple: true }) as number;
    if (version !== options.from) throw new Error(`the copy ${copy} holds schema ${version}, not ${options.from}`);
  } finally {
    c.close();
  }
}

/** Copies a kill cut short. */
function removePartials(dir: string): void {
  for (const name of readdirSync(dir)) if (/\.partial(-journal|-wal|-shm)?$/.test(name)) rmSync(join(dir, name), { force: true });
}

/**
 * Keeps the newest `keep` copies of this database, removes the others. `justMade` is always
 * kept, whatever its time says (a PC clock set back names it as the oldest): the upgrade may
 * need it in a moment.
 */
export function pruneBackups(file: string, keep = KEEP_BACKUPS, justMade?: string): void {
  const others = listBackups(file).filter((b) => b.file !== justMade);
  const room = justMade === undefined ? keep : keep - 1;
  for (const old of others.slice(0, Math.max(0, others.length - room))) rmSync(old.file, { force: true });
}

/**
 * How long a copy is kept at most. A copy is for undoing an upgrade; put back after weeks, it
 * would lose every record made since. And it keeps full mobile and ID numbers that the
 * database itself has reduced since (see the sync settings' retention days): so it goes.
 */
export const BACKUP_MAX_AGE_DAYS = 30;

/** Removes the copies made more than `maxAgeDays` before `now` (by the time in their names). */
export function removeExpiredBackups(file: string, now: Date, maxAgeDays = BACKUP_MAX_AGE_DAYS): string[] {
  const limit = new Date(now.getTime() - maxAgeDays * 86_400_000).toISOString();
  const removed: string[] = [];
  for (const b of listBackups(file)) {
    if (b.madeAt >= limit) continue;
    rmSync(b.file, { force: true });
    removed.push(b.file);
  }
  return removed;
}

/** The files of a restore in progress: the marker naming the copy, and the copy on its way to the database's name. */
export function restoreFiles(file: string): { marker: string; restoring: string } {
  return { marker: `${file}.restore`, restoring: `${file}.restoring` };
}

const companions = (file: string) => [`${file}-wal`, `${file}-shm`, `${file}-journal`];

/**
 * Puts a copy back as the database (closed by the caller; no other connection may have it
 * open): the whole file, and no write-ahead log or shared-memory file of the file it replaces.
 */
export function restoreBackup(file: string, copy: string): void {
  if (!existsSync(copy)) throw new Error(`the copy ${copy} is not there`);
  const { marker } = restoreFiles(file);
  writeFileSync(`${marker}.partial`, JSON.stringify({ copy }), { mode: 0o600 });
  fsyncPath(`${marker}.partial`);
  renameSync(`${marker}.partial`, marker);
  fsyncPath(dirname(file));
  finishRestore(file, copy);
}

function finishRestore(file: string, copy: string): void {
  const { marker, restoring } = restoreFiles(file);
  copyFileSync(copy, restoring);
  chmodSync(restoring, 0o600);
  fsyncPath(restoring);
  // the log of the upgraded file must not be applied to the copy
  for (const f of companions(file)) rmSync(f, { force: true });
  renameSync(restoring, file);
  fsyncPath(dirname(file));
  rmSync(marker, { force: true });
  fsyncPath(dirname(file));
}

/** A restore that cannot be finished: the copy its marker names is gone. */
export class RestoreIncompleteError extends Error {
  override name = 'RestoreIncompleteError';
}

/**
 * Finishes a restore a kill cut short (its marker is there), before anything opens the
 * database; tidies what a restore or a copy left behind.
 */
export function recoverRestore(file: string): void {
  const { marker, restoring } = restoreFiles(file);
  rmSync(`${marker}.partial`, { force: true });
  if (existsSync(marker)) {
    let copy: string | undefined;
    try {
      const parsed: unknown = JSON.parse(readFileSync(marker, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'copy' in parsed && typeof parsed.copy === 'string')
        copy = parsed.copy;
    } catch {
      copy = undefined;
    }
    if (copy === undefined || !existsSync(copy)) {
      throw new RestoreIncompleteError(
        `Putting back a copy of the counter database ${file} was interrupted, and the copy ${copy ?? '(unreadable marker)'} is not there. ` +
          `Copy one of the files in ${backupsDir(file)} to ${file} by hand (remove ${file}-wal and ${file}-shm first), then remove ${marker}.`,
      );
    }
    finishRestore(file, copy);
  }
  rmSync(restoring, { force: true });
}

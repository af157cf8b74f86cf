import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { backupsDir, copyBeforeUpgrade, recoverRestore, removeExpiredBackups, restoreBackup } from './backup';
import { applyKey, DatabaseKeyError, encryptPlainDatabase, isPlainDatabase, recoverEncryption } from './encryption';
import { MIGRATIONS, type Migration } from './migrations';
import { errorCode } from '../../common/error-code';

export { DatabaseKeyError } from './encryption';

export type Db = Database.Database;

/** How long a statement waits for another connection's write lock before it fails. */
const BUSY_TIMEOUT_MS = 5000;

export class SchemaTooNewError extends Error {
  constructor(
    readonly fileVersion: number,
    readonly appVersion: number,
    file: string,
  ) {
    super(
      `The counter database ${file} was written by a newer version of this app (schema ${fileVersion}; ` +
        `this app knows up to ${appVersion}). Update the app; the file has not been changed.`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * A schema upgrade failed. The database was put back from the copy made just before it (when
 * `restored`), so it holds what it held under the previous version of the app. The app does
 * not start on it: its queries are written for the new schema, and an old one would fail them
 * in the middle of a queue rather than here.
 */
export class UpgradeFailedError extends Error {
  override name = 'UpgradeFailedError';
  constructor(
    readonly fromVersion: number,
    readonly toVersion: number,
    readonly failedMigration: string,
    readonly backup: string,
    readonly restored: boolean,
    readonly reason: string,
  ) {
    super(
      restored
        ? `The counter database could not be upgraded from schema ${fromVersion} to ${toVersion} (step ${failedMigration} failed: ${reason}). ` +
            `It has been put back as it was before the upgrade, from the copy ${backup}: no record was lost. ` +
            `This version of the app cannot run on it. Install the previous version of the app again (IT: publish it under a higher version number), ` +
            `and send the log files and this message to IT.`
        : `The counter database could not be upgraded from schema ${fromVersion} to ${toVersion} (step ${failedMigration} failed: ${reason}), ` +
            `and putting back the copy made before the upgrade failed too. Do not use the counter. ` +
            `IT: close the app, remove counter.db-wal and counter.db-shm beside the database, copy ${backup} over counter.db, ` +
            `and install the previous version of the app.`,
    );
  }
}

/** The copy an upgrade needs first could not be made: nothing was changed. */
export class UpgradeCopyError extends Error {
  override name = 'UpgradeCopyError';
  constructor(
    readonly fromVersion: number,
    readonly toVersion: number,
    readonly folder: string,
    readonly reason: string,
  ) {
    super(
      `The counter database needs an upgrade from schema ${fromVersion} to ${toVersion}, and a copy of it is made in ${folder} first: ` +
        `the copy could not be made (${reason}). Nothing was changed. Free some disk space (or let the app write to that folder) and start the app again.`,
    );
  }
}

export interface OpenOptions {
  /** path of a better_sqlite3.node (of better-sqlite3-multiple-ciphers) built for the running runtime (Electron in development) */
  nativeBinding?: string | undefined;
  /**
   * the encryption key of the file (none: unencrypted): 64 hex digits are the 256-bit key
   * itself, anything else a passphrase (SQLCipher 4's key derivation: about 0.3 s per opening).
   * A file in the clear is encrypted with it, once, on opening.
   */
  key?: string | undefined;
  migrations?: readonly Migration[];
  /** the time a copy made before an upgrade is named after (tests) */
  now?: () => Date;
}

/** Migrations must be numbered 1, 2, 3... with no gaps and no repeats. */
export function checkMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}

/**
 * The database, its write-ahead log and its shared-memory file readable by the counter's own
 * OS user only (0600): they hold names, mobile and ID numbers. SQLite creates the -wal and -shm
 * files with the database file's permissions, so the file is made (or tightened) first.
 * On Windows the user's profile folder already keeps other users out; chmod changes little there.
 */
function ownerOnly(file: string): void {
  if (file === '' || file === ':memory:' || file.startsWith('file:')) return;
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/**
 * Each check-in or walk-in adds about 25 pages to the write-ahead log. SQLite copies the log
 * back into the file in the commit that takes it past 1,000 pages, so one operator action in
 * 40 or 50 waited for that copy and its fsync (about 20 ms). The sync worker copies it back on
 * its own connection, off the main loop: once nothing has changed for a moment, and every
 * CHECKPOINT_EVERY_CHANGES changes (counter.ts) in a rush that leaves no quiet moment. Without a worker the
 * main loop copies it back when quiet. A commit does it only past this cap (16 MB): a worker
 * that stopped answering. Every connection to the file has it, the sync worker's too: its
 * acknowledgements would otherwise copy the log back themselves, mid-upload, every 1,000 pages.
 */
export const WAL_CAP_PAGES = 4000;

/**
 * Opens (creating if needed) the counter's SQLite file: WAL with synchronous=FULL, so a
 * confirmed transaction survives power loss; foreign keys on; a busy timeout for the
 * short moments another connection holds the write lock; secure_delete, so deleted or
 * overwritten content (a full ID number once reduced) is zeroed, not left in free pages.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrations(migrations);
  const onDisk = file !== '' && file !== ':memory:' && !file.startsWith('file:');
  if (onDisk) {
    // a restore a kill cut short is finished before anything reads the file
    recoverRestore(file);
    recoverEncryption(file);
    removeExpiredBackups(file, options.now?.() ?? new Date());
  }
  ownerOnly(file);
  if (onDisk && options.key !== undefined && isPlainDatabase(file))
    encryptPlainDatabase(file, options.key, options.nativeBinding);
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    // the key before anything reads the file
    if (options.key !== undefined) applyKey(db, options.key);
    readable(db, file, options.key !== undefined);
    // refuse a newer file before anything below writes to it (journal_mode rewrites the header)
    refuseNewer(db, migrations.length, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('secure_delete = ON');
    db.pragma(`wal_autocheckpoint = ${WAL_CAP_PAGES}`);
    upgrade(db, file, migrations, onDisk, options);
  } catch (e) {
    if (db.open) db.close();
    throw e;
  }
  return db;
}

/**
 * Applies the pending migrations. A file that already has data (schema above 0) is copied
 * first (see backup.ts); when a migration fails, the connection is closed and the copy put
 * back, and UpgradeFailedError says so.
 */
function upgrade(db: Db, file: string, migrations: readonly Migration[], onDisk: boolean, options: OpenOptions): void {
  const from = db.pragma('user_version', { simple: true }) as number;
  const to = migrations.length;
  if (!onDisk || from === 0 || from >= to) {
    migrate(db, migrations);
    return;
  }
  let copy: string;
  try {
    copy = copyBeforeUpgrade(db, file, {
      from,
      to,
      key: options.key,
      nativeBinding: options.nativeBinding,
      now: options.now?.(),
    });
  } catch (e) {
    throw new UpgradeCopyError(from, to, backupsDir(file), e instanceof Error ? e.message : String(e));
  }
  try {
    migrate(db, migrations);
  } catch (e) {
    const reached = db.pragma('user_version', { simple: true }) as number;
    const failed = migrations[reached];
    const step = failed ? `${failed.version} (${failed.name})` : String(reached + 1);
    const reason = e instanceof Error ? e.message : String(e);
    db.close();
    try {
      restoreBackup(file, copy);
    } catch {
      throw new UpgradeFailedError(from, to, step, copy, false, reason);
    }
    throw new UpgradeFailedError(from, to, step, copy, true, reason);
  }
}

/** A clear error for a file that cannot be read with the key given (or without one). */
function readable(db: Db, file: string, keyed: boolean): void {
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (e) {
    if (errorCode(e) === 'SQLITE_NOTADB') {
      throw new DatabaseKeyError(
        keyed
          ? `The counter database ${file} cannot be read with the key given: it was encrypted with another key, or it is damaged. The file has not been changed.`
          : `The counter database ${file} is encrypted (or damaged) and no key was given. The file has not been changed.`,
      );
    }
    throw e;
  }
}

function refuseNewer(db: Db, latest: number, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) throw new SchemaTooNewError(current, latest, file);
}

/** Runs the migrations the file has not had yet, each in its own transaction. openDatabase has refused a newer file. */
function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/** The schema version the file holds (PRAGMA user_version). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Foreign keys checked at the commit of the current transaction, not at each statement (renumbering rows that point at each other). */
export function deferForeignKeys(db: Db): void {
  db.pragma('defer_foreign_keys = ON');
}

/** Copies the write-ahead log back into the file as far as no reader still needs it; never waits for one. */
export function checkpointPassive(db: Db): { logPages: number; copiedPages: number } {
  const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
  return { logPages: r?.log ?? 0, copiedPages: r?.checkpointed ?? 0 };
}

/**
 * Copies the whole write-ahead log back into the file and truncates the log to nothing, never
 * waiting for a lock: true when done, false when another connection was in the way (a
 * transaction of its own, or a read of an older snapshot). The log then holds no copy of a
 * page as it was before (a full ID number since reduced); with secure_delete, neither do the
 * file's free pages.
 */
export function truncateWal(db: Db): boolean {
  if (!db.open || db.inTransaction) return false;
  db.pragma('busy_timeout = 0');
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r?.busy === 0;
  } catch (e) {
    if (errorCode(e) === 'SQLITE_BUSY' || errorCode(e) === 'SQLITE_LOCKED') return false;
    throw e;
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/** Waits between tries of a WAL truncation another connection was in the way of: about 50 s in all. */
export const WAL_SCRUB_RETRY_MS: readonly number[] = [20, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600];

interface ScrubState {
  timer: NodeJS.Timeout | null;
  /** when the waiting try is due (Date.now() time) */
  dueAt: number;
  attempt: number;
}
const scrubs = new WeakMap<Db, ScrubState>();

/**
 * After full ID or mobile numbers were reduced on this connection (the transaction committed):
 * truncates the write-ahead log so no copy of the full numbers stays in it. It never waits for a
 * lock, so the thread is held only for the copy itself; when another connection is in the way,
 * it is tried again on a timer, a bounded number of times. What is still owed after that is tried
 * again by the next call (the sync worker's sweep calls `scrubWalIfOwed` every few minutes).
 *
 * `afterMs`: tried that much later rather than now, one try for all the reductions made in the
 * meantime (the uploads of a busy counter, batch after batch), and by then the main process has
 * usually copied the log back already (it does once changes pause), leaving only the truncation.
 * True when the log was truncated now.
 */
export function scrubWal(db: Db, afterMs = 0): boolean {
  const state = scrubs.get(db) ?? { timer: null, dueAt: 0, attempt: 0 };
  scrubs.set(db, state);
  const dueAt = Date.now() + afterMs;
  // a try already due by then covers these reductions too
  if (state.timer && state.dueAt <= dueAt) return false;
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  state.attempt = 0;
  if (afterMs <= 0) return tryScrub(db, state);
  wait(db, state, afterMs);
  return false;
}

function wait(db: Db, state: ScrubState, ms: number): void {
  state.dueAt = Date.now() + ms;
  state.timer = setTimeout(() => {
    state.timer = null;
    tryScrub(db, state);
  }, ms);
  state.timer.unref();
}

function tryScrub(db: Db, state: ScrubState): boolean {
  const done = truncateWal(db);
  if (done || !db.open) {
    scrubs.delete(db);
    return done;
  }
  const next = WAL_SCRUB_RETRY_MS[state.attempt++];
  // owed: the next scrubWal or scrubWalIfOwed tries again
  if (next !== undefined) wait(db, state, next);
  return false;
}

/** Whether a truncation is still owed on this connection (tried and not yet done). */
export function walScrubOwed(db: Db): boolean {
  return scrubs.has(db);
}

/** Tries again a truncation still owed (its timed retries ran out), if no retry is already waiting. */
export function scrubWalIfOwed(db: Db): boolean {
  const state = scrubs.get(db);
  if (!state || state.timer) return false;
  return scrubWal(db);
}

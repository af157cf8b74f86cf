import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

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

export interface OpenOptions {
  /** path of a better_sqlite3.node built for the running runtime (Electron in development) */
  nativeBinding?: string | undefined;
  /** the encryption key of the file (none: unencrypted) */
  key?: string | undefined;
  migrations?: readonly Migration[];
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
 * Opens (creating if needed) the counter's SQLite file: WAL with synchronous=FULL, so a
 * confirmed transaction survives power loss; foreign keys on; a busy timeout for the
 * short moments another connection holds the write lock; secure_delete, so deleted or
 * overwritten content (a full ID number once reduced) is zeroed, not left in free pages.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrations(migrations);
  ownerOnly(file);
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    // refuse a newer file before anything below writes to it (journal_mode rewrites the header)
    refuseNewer(db, migrations.length, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('secure_delete = ON');
    migrate(db, migrations);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
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

/** Foreign keys checked at the commit of the current transaction, not at each statement (renumbering rows that point at each other). */
export function deferForeignKeys(db: Db): void {
  db.pragma('defer_foreign_keys = ON');
}

/** Lets the write-ahead log grow to `pages` before a commit copies it back into the file itself. */
export function setAutoCheckpointPages(db: Db, pages: number): void {
  db.pragma(`wal_autocheckpoint = ${Math.trunc(pages)}`);
}

/** Copies the write-ahead log back into the file as far as no reader still needs it; never waits for one. */
export function checkpointPassive(db: Db): void {
  db.pragma('wal_checkpoint(PASSIVE)');
}

/**
 * Encryption at rest of the counter's SQLite file, SQLCipher 4 compatible (SQLite3 Multiple
 * Ciphers with `cipher = 'sqlcipher'`, `legacy = 4`): every page of counter.db and of its
 * write-ahead log is encrypted (AES-256-CBC, HMAC-SHA512 per page); only the WAL's 32-byte
 * header and the shared-memory index (page numbers, no content) are not. A file written
 * before encryption came is encrypted once, crash-safe, the first time a key is given.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';

type Connection = Database.Database;

/** The counter database cannot be read with the key given: encrypted and no key or a wrong one, or a key given to a build that cannot encrypt. */
export class DatabaseKeyError extends Error {
  override name = 'DatabaseKeyError';
}

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** a key of 64 hex digits is the 256-bit key itself (no key derivation: opening stays fast) */
const RAW_KEY = /^[0-9a-f]{64}$/i;

/** The PRAGMA that sets (or changes, `rekey`) the key: a raw 256-bit key, or a passphrase derived with SQLCipher 4's PBKDF2. */
function keyPragma(name: 'key' | 'rekey', key: string): string {
  if (key.length === 0) throw new DatabaseKeyError('the database key is empty');
  return RAW_KEY.test(key) ? `${name} = "x'${key}'"` : `${name} = '${key.replaceAll("'", "''")}'`;
}

/**
 * Sets the cipher and key on a connection just opened, before anything reads the file; throws
 * when the SQLite build in use cannot encrypt (a plain better-sqlite3 build given as the native
 * binding would ignore the key and write the file in the clear).
 */
export function applyKey(db: Connection, key: string, pragma: 'key' | 'rekey' = 'key'): void {
  db.pragma("cipher = 'sqlcipher'");
  db.pragma('legacy = 4');
  if (db.pragma('cipher', { simple: true }) !== 'sqlcipher') {
    throw new DatabaseKeyError(
      'this build of SQLite cannot encrypt (is the native module better-sqlite3-multiple-ciphers?): the database was not opened',
    );
  }
  db.pragma(keyPragma(pragma, key));
}

/** The first bytes of a file (fewer when it is shorter). */
function head(file: string, n: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** Whether `file` is an SQLite database in the clear (its header reads "SQLite format 3"). */
export function isPlainDatabase(file: string): boolean {
  return existsSync(file) && head(file, PLAIN_HEADER.length).equals(PLAIN_HEADER);
}

/**
 * Overwrites a file with zeros, flushes it to the disk, and removes it. On an SSD or a
 * copy-on-write file system the old blocks may survive the overwrite: this is the most a
 * program can do; a disk encrypted by the OS (BitLocker, LUKS) is what covers the rest.
 */
export function overwriteAndRemove(file: string): void {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(file, { force: true });
}

/** Flushes a file or a folder (a rename in it) to the disk; a folder that cannot be flushed (Windows) is let be. */
export function fsyncPath(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // directories cannot be fsynced on Windows; the renames there are flushed by NTFS's log
  } finally {
    closeSync(fd);
  }
}

const companions = (file: string) => [`${file}-wal`, `${file}-shm`, `${file}-journal`];

/** Where an encryption in progress keeps its files. */
export function encryptionFiles(file: string): { encrypting: string; plaintext: string } {
  return { encrypting: `${file}.encrypting`, plaintext: `${file}.plaintext` };
}

/**
 * Finishes or undoes an encryption a crash cut short, whatever the key: the plaintext file put
 * back when the encrypted one never took its place, or removed when it did; a half-written
 * encrypted copy removed.
 */
export function recoverEncryption(file: string): void {
  const { encrypting, plaintext } = encryptionFiles(file);
  if (existsSync(plaintext)) {
    if (!existsSync(file)) renameSync(plaintext, file);
    else if (!isPlainDatabase(file)) overwriteAndRemove(plaintext);
  }
  for (const f of [encrypting, ...companions(encrypting)]) rmSync(f, { force: true });
}

/** Row counts of every table (virtual tables' shadow tables included), and the schema version. */
function fingerprint(db: Connection): { version: number; counts: Record<string, number> } {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
    )
    .all();
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    counts[name] = (db.prepare(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`).get() as { n: number }).n;
  }
  return { version: db.pragma('user_version', { simple: true }) as number, counts };
}

/**
 * Encrypts a database written in the clear, once: the plaintext file is checkpointed (its
 * write-ahead log folded in) and copied; the copy is encrypted in place (`rekey`, in a rollback
 * journal) and checked (integrity, the schema version and every table's row count); only then
 * does it take the plaintext file's name, and the plaintext file is overwritten and removed.
 * A crash at any step leaves either the whole plaintext file or the whole encrypted one under
 * the database's name (recoverEncryption tidies up on the next start).
 */
export function encryptPlainDatabase(file: string, key: string, nativeBinding?: string): void {
  const { encrypting, plaintext } = encryptionFiles(file);
  const options = nativeBinding ? { nativeBinding } : {};
  const plain = new Database(file, options);
  let before: ReturnType<typeof fingerprint>;
  try {
    plain.pragma('wal_checkpoint(TRUNCATE)');
    before = fingerprint(plain);
  } finally {
    plain.close();
  }
  // the last connection's close folded the log into the file and removed it
  for (const f of companions(file)) if (existsSync(f)) overwriteAndRemove(f);
  try {
    encryptCopy(file, encrypting, key, options, before);
  } catch (e) {
    for (const f of [encrypting, ...companions(encrypting)]) rmSync(f, { force: true });
    throw e;
  }
  renameSync(file, plaintext);
  renameSync(encrypting, file);
  fsyncPath(dirname(file));
  overwriteAndRemove(plaintext);
  fsyncPath(dirname(file));
}

function encryptCopy(
  file: string,
  encrypting: string,
  key: string,
  options: { nativeBinding?: string },
  before: ReturnType<typeof fingerprint>,
): void {
  copyFileSync(file, encrypting);
  const copy = new Database(encrypting, options);
  try {
    // rekey works with a rollback journal only
    copy.pragma('journal_mode = DELETE');
    applyKey(copy, key, 'rekey');
  } finally {
    copy.close();
  }

  if (isPlainDatabase(encrypting)) throw new DatabaseKeyError(`${file} could not be encrypted: the copy is still in the clear`);
  const check = new Database(encrypting, options);
  try {
    applyKey(check, key);
    const ok = check.pragma('integrity_check', { simple: true });
    if (ok !== 'ok') throw new Error(`the encrypted copy of ${file} fails its integrity check (${String(ok)})`);
    const after = fingerprint(check);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      throw new Error(`the encrypted copy of ${file} does not hold the same rows: ${JSON.stringify({ before, after })}`);
    }
  } finally {
    check.close();
  }
  fsyncPath(encrypting);
}

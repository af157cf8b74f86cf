// The counter's database encrypted at rest (SQLCipher 4 compatible): nothing of it readable
// without the key, a clear error with a wrong key or none, and a file written in the clear by
// an earlier version encrypted once, every row kept, no plaintext copy left, whatever step a
// crash cuts short.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PlainDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseKeyError, openDatabase } from '../../main/store/database';
import { encryptionFiles, isPlainDatabase } from '../../main/store/encryption';
import { fakeClock, MORNING, openCounter, setupCounter, SUPERVISOR, tempDir, walkInForm, type Counter } from './harness';

const counters: Counter[] = [];
afterEach(async () => {
  for (const c of counters.splice(0)) await c.dispose();
});

const KEY = randomBytes(32).toString('hex');
const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const FILES = ['counter.db', 'counter.db-wal', 'counter.db-shm'];

/** What of `needles` is found in the database's files, as raw bytes (UTF-8). */
function foundOnDisk(dir: string, needles: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of FILES) {
    const path = join(dir, f);
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    if (bytes.subarray(0, 16).equals(HEADER)) out.push(`${f}: SQLite header`);
    for (const n of needles) if (bytes.includes(Buffer.from(n, 'utf8'))) out.push(`${f}: ${n}`);
  }
  return out;
}

async function register(c: Counter, n: number) {
  const forms = Array.from({ length: n }, (_, i) => walkInForm(500 + i, { birthYear: 1950 + i }));
  for (const form of forms) await c.ok('registerWalkIn', { form, submissionId: crypto.randomUUID(), acknowledgedDuplicates: [] });
  return forms;
}

describe('the database encrypted at rest', () => {
  it('holds no SQLite header, no name, mobile or ID number in counter.db, -wal or -shm, running or closed', async () => {
    const c = await setupCounter({ backend: { databaseKey: KEY } });
    counters.push(c);
    const forms = await register(c, 5);
    const needles = forms.flatMap((f) => [f.name, f.mobile, f.photoIdNumber]).concat(['Meena Verma', 'TEST-CHC-01']);
    expect(existsSync(join(c.dataDir, 'counter.db-wal'))).toBe(true);
    expect(foundOnDisk(c.dataDir, needles)).toEqual([]);
    await c.close();
    expect(foundOnDisk(c.dataDir, needles)).toEqual([]);
    expect(isPlainDatabase(join(c.dataDir, 'counter.db'))).toBe(false);
    // and it opens again with the key, every record there
    const again = await openCounter(c.dataDir, fakeClock(MORNING), { databaseKey: KEY });
    counters.push(again);
    expect((again.backend.db.prepare('SELECT count(*) AS n FROM walkin').get() as { n: number }).n).toBe(5);
  });

  it('refuses a wrong key or none with a clear error, and leaves the file as it was', async () => {
    const dir = tempDir();
    const file = join(dir, 'counter.db');
    openDatabase(file, { key: KEY }).close();
    const before = readFileSync(file);
    expect(() => openDatabase(file)).toThrow(DatabaseKeyError);
    expect(() => openDatabase(file)).toThrow(/is encrypted \(or damaged\) and no key was given/);
    expect(() => openDatabase(file, { key: randomBytes(32).toString('hex') })).toThrow(/cannot be read with the key given/);
    expect(() => openDatabase(file, { key: '' })).toThrow(DatabaseKeyError);
    expect(readFileSync(file).equals(before)).toBe(true);
    // nor can plain SQLite read it
    const plain = new PlainDatabase(file);
    expect(() => plain.prepare('SELECT count(*) FROM sqlite_schema').get()).toThrow(/not a database/);
    plain.close();
  });

  it('a passphrase works too (derived as SQLCipher 4 does)', () => {
    const file = join(tempDir(), 'counter.db');
    openDatabase(file, { key: "it's a passphrase" }).close();
    expect(isPlainDatabase(file)).toBe(false);
    openDatabase(file, { key: "it's a passphrase" }).close();
    expect(() => openDatabase(file, { key: 'another' })).toThrow(DatabaseKeyError);
  });

  it('a file written in the clear is encrypted once, every row kept, no plaintext file left', async () => {
    const first = await setupCounter();
    const forms = await register(first, 4);
    await first.close();
    const file = join(first.dataDir, 'counter.db');
    expect(isPlainDatabase(file)).toBe(true);
    const count = (db: { prepare(sql: string): { get(): unknown } }, table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const plain = new PlainDatabase(file, { readonly: true });
    const tables = ['walkin', 'ticket', 'outbox', 'operator', 'audit_log'];
    const before = Object.fromEntries(tables.map((t) => [t, count(plain, t)]));
    plain.close();

    const c = await openCounter(first.dataDir, fakeClock(MORNING), { databaseKey: KEY });
    counters.push(c);
    expect(Object.fromEntries(tables.map((t) => [t, count(c.backend.db, t)]))).toEqual(before);
    expect(before.walkin).toBe(4);
    expect(readdirSync(c.dataDir).filter((f) => f.includes('plaintext') || f.includes('encrypting'))).toEqual([]);
    expect(
      foundOnDisk(
        c.dataDir,
        forms.map((f) => f.name),
      ),
    ).toEqual([]);
    // the counter carries on, encrypted
    await c.signIn(SUPERVISOR);
    await c.ok('registerWalkIn', { form: walkInForm(600), submissionId: crypto.randomUUID(), acknowledgedDuplicates: [] });
    expect(count(c.backend.db, 'walkin')).toBe(5);
  });

  it('an encryption cut short by a crash is finished or undone on the next start, never losing the file', () => {
    const dir = tempDir();
    const file = join(dir, 'counter.db');
    const { encrypting, plaintext } = encryptionFiles(file);
    const seed = (f: string) => {
      const db = openDatabase(f);
      db.exec("CREATE TABLE note (x TEXT); INSERT INTO note VALUES ('Kamla Yadav')");
      db.close();
    };
    const notes = (db: ReturnType<typeof openDatabase>) =>
      (db.prepare('SELECT x FROM note').all() as { x: string }[]).map((r) => r.x);

    // 1. crashed while writing the encrypted copy: the copy is dropped and the work done again
    seed(file);
    writeFileSync(encrypting, 'half a file');
    let db = openDatabase(file, { key: KEY });
    expect(notes(db)).toEqual(['Kamla Yadav']);
    db.close();
    expect(existsSync(encrypting)).toBe(false);
    expect(isPlainDatabase(file)).toBe(false);

    // 2. crashed between moving the plaintext aside and moving the encrypted copy in: the plaintext comes back
    const dir2 = tempDir();
    const file2 = join(dir2, 'counter.db');
    seed(file2);
    const files2 = encryptionFiles(file2);
    renameSync(file2, files2.plaintext);
    writeFileSync(files2.encrypting, 'whatever was there');
    db = openDatabase(file2, { key: KEY });
    expect(notes(db)).toEqual(['Kamla Yadav']);
    db.close();
    expect(readdirSync(dir2).sort()).toEqual(['counter.db']);

    // 3. crashed before the plaintext was removed: it is removed (the encrypted file is whole)
    copyFileSync(file, plaintext);
    const stale = join(tempDir(), 'plain.db');
    seed(stale);
    copyFileSync(stale, plaintext);
    db = openDatabase(file, { key: KEY });
    expect(notes(db)).toEqual(['Kamla Yadav']);
    db.close();
    expect(existsSync(plaintext)).toBe(false);
  });

  it('a plain better-sqlite3 build given as the native binding is refused rather than writing the file in the clear', () => {
    const file = join(tempDir(), 'counter.db');
    const plainBinding = join(import.meta.dirname, '../../node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(() => openDatabase(file, { key: KEY, nativeBinding: plainBinding })).toThrow(/cannot encrypt/);
  });
});

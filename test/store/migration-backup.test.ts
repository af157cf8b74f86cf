// Upgrading the schema of a database that holds data: a copy first (encrypted with the same key
// when the database is), kept owner-only in <dataDir>/backups/, the last 5 kept; a migration
// that fails puts the copy back (no write-ahead log of the upgraded file applied to it) and the
// app refuses to start with a message naming the copy; a kill during the copy or the restore
// never leaves a broken database.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BACKUP_MAX_AGE_DAYS,
  backupsDir,
  KEEP_BACKUPS,
  listBackups,
  recoverRestore,
  RestoreIncompleteError,
  restoreFiles,
} from '../../main/store/backup';
import { openDatabase, SchemaTooNewError, UpgradeCopyError, UpgradeFailedError, type Db } from '../../main/store/database';
import { applyKey, isPlainDatabase } from '../../main/store/encryption';
import { tempDir } from './harness';
import { UPGRADE_CRASH_MIGRATIONS } from './upgrade-crash-migrations';

const dirs: string[] = [];
const newFile = () => {
  const d = tempDir('counter-upgrade-');
  dirs.push(d);
  return join(d, 'counter.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEY = randomBytes(32).toString('hex');
const NAME = 'Savitri Devi Kushwaha';
const MOBILE = '9812345670';
const ID_NUMBER = '4567 8901 2345';

const m1 = { version: 1, name: 'people', sql: 'CREATE TABLE person (name TEXT, mobile TEXT, id_number TEXT);' };
const m2 = { version: 2, name: 'visits', sql: 'CREATE TABLE visit (person TEXT);' };
const m3 = { version: 3, name: 'notes', sql: 'ALTER TABLE person ADD COLUMN note TEXT;' };
const bad = (version: number) => ({
  version,
  name: 'broken',
  sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO half_done VALUES (1); THIS IS NOT SQL;',
});

/** A database at schema 1 holding one person (committed, part of it still in the write-ahead log while open). */
function atSchema1(file: string, key?: string): void {
  const db = openDatabase(file, { migrations: [m1], key });
  db.prepare('INSERT INTO person VALUES (?, ?, ?)').run(NAME, MOBILE, ID_NUMBER);
  db.close();
}

function raw(file: string, key?: string): Db {
  const db = new Database(file, { readonly: true });
  if (key !== undefined) applyKey(db, key);
  return db;
}

function tablesOf(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (t) => t.name,
  );
}

const mode = (path: string) => statSync(path).mode & 0o777;
const at = (minute: number) => () => new Date(Date.UTC(2026, 11, 4, 9, minute, 0, 0));

describe('a copy before a schema upgrade', () => {
  it('is made of a file with data, in <dataDir>/backups/ (0700), owner-only (0600), named with both schemas and the time, holding the old schema', () => {
    const file = newFile();
    atSchema1(file);
    openDatabase(file, { migrations: [m1, m2], now: at(5) }).close();
    const dir = backupsDir(file);
    expect(mode(dir)).toBe(0o700);
    const copies = listBackups(file);
    expect(copies.map((c) => c.name)).toEqual(['counter-schema-1-to-2-20261204T090500000Z.db']);
    expect(copies[0]).toMatchObject({ fromVersion: 1, toVersion: 2, madeAt: '2026-12-04T09:05:00.000Z' });
    expect(mode(copies[0]!.file)).toBe(0o600);
    expect(readdirSync(dir)).toEqual([copies[0]!.name]);
    const copy = raw(copies[0]!.file);
    try {
      expect(copy.pragma('user_version', { simple: true })).toBe(1);
      expect(tablesOf(copy)).toEqual(['person']);
      expect(copy.prepare('SELECT name, mobile FROM person').all()).toEqual([{ name: NAME, mobile: MOBILE }]);
    } finally {
      copy.close();
    }
  });

  it('is not made for a new file, nor for one already up to date', () => {
    const file = newFile();
    openDatabase(file, { migrations: [m1, m2] }).close();
    openDatabase(file, { migrations: [m1, m2] }).close();
    expect(existsSync(backupsDir(file))).toBe(false);
  });

  it('of an encrypted database is encrypted with the same key: no SQLite header, no name, mobile or ID number in its bytes', () => {
    const file = newFile();
    atSchema1(file, KEY);
    openDatabase(file, { migrations: [m1, m2], key: KEY }).close();
    const [copy] = listBackups(file);
    expect(copy).toBeDefined();
    expect(isPlainDatabase(copy!.file)).toBe(false);
    const bytes = readFileSync(copy!.file);
    for (const needle of [NAME, MOBILE, ID_NUMBER, 'CREATE TABLE']) expect(bytes.includes(Buffer.from(needle))).toBe(false);
    // unreadable without the key, whole with it
    const noKey = new Database(copy!.file, { readonly: true });
    expect(() => noKey.prepare('SELECT count(*) FROM sqlite_schema').get()).toThrow();
    noKey.close();
    const keyed = raw(copy!.file, KEY);
    try {
      expect(keyed.pragma('user_version', { simple: true })).toBe(1);
      expect(keyed.prepare('SELECT id_number FROM person').get()).toEqual({ id_number: ID_NUMBER });
    } finally {
      keyed.close();
    }
  });

  it('of a database keyed with a passphrase (not a raw key) opens with that passphrase', () => {
    const file = newFile();
    const passphrase = "it's a passphrase";
    atSchema1(file, passphrase);
    openDatabase(file, { migrations: [m1, m2], key: passphrase }).close();
    const copy = raw(listBackups(file)[0]!.file, passphrase);
    try {
      expect(copy.prepare('SELECT name FROM person').get()).toEqual({ name: NAME });
    } finally {
      copy.close();
    }
  });

  it(`keeps the last ${KEEP_BACKUPS} copies`, () => {
    const file = newFile();
    const steps = Array.from({ length: KEEP_BACKUPS + 3 }, (_, i) => ({
      version: i + 1,
      name: `step-${i + 1}`,
      sql: i === 0 ? 'CREATE TABLE t (x INTEGER);' : `INSERT INTO t VALUES (${i});`,
    }));
    openDatabase(file, { migrations: steps.slice(0, 1) }).close();
    for (let n = 2; n <= steps.length; n++) openDatabase(file, { migrations: steps.slice(0, n), now: at(n) }).close();
    const copies = listBackups(file);
    expect(copies).toHaveLength(KEEP_BACKUPS);
    // the newest: the upgrades to the last schemas
    expect(copies.map((c) => c.toVersion)).toEqual([4, 5, 6, 7, 8]);
    expect(readdirSync(backupsDir(file))).toHaveLength(KEEP_BACKUPS);
  });

  it('just made is kept even when the PC clock names it the oldest, and a failing upgrade can put it back', () => {
    const file = newFile();
    const steps = Array.from({ length: KEEP_BACKUPS + 1 }, (_, i) => ({
      version: i + 1,
      name: `step-${i + 1}`,
      sql: i === 0 ? 'CREATE TABLE t (x INTEGER);' : `INSERT INTO t VALUES (${i});`,
    }));
    openDatabase(file, { migrations: steps.slice(0, 1) }).close();
    for (let n = 2; n <= steps.length; n++) openDatabase(file, { migrations: steps.slice(0, n), now: at(10 * n) }).close();
    expect(listBackups(file)).toHaveLength(KEEP_BACKUPS);
    // the clock set back: this copy's time is before all the others'
    expect(() => openDatabase(file, { migrations: [...steps, bad(steps.length + 1)], now: at(1) })).toThrow(UpgradeFailedError);
    const copies = listBackups(file);
    expect(copies).toHaveLength(KEEP_BACKUPS);
    expect(copies[0]).toMatchObject({ fromVersion: steps.length, madeAt: '2026-12-04T09:01:00.000Z' });
    const db = raw(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(steps.length);
    } finally {
      db.close();
    }
  });

  it(`is removed ${BACKUP_MAX_AGE_DAYS} days after it was made, at any opening (it keeps numbers the database has reduced since)`, () => {
    const file = newFile();
    const day = (n: number) => () => new Date(Date.UTC(2026, 10, 1 + n, 9, 0, 0));
    openDatabase(file, { migrations: [m1] }).close();
    openDatabase(file, { migrations: [m1, m2], now: day(0) }).close();
    openDatabase(file, { migrations: [m1, m2, m3], now: day(10) }).close();
    expect(listBackups(file).map((c) => c.toVersion)).toEqual([2, 3]);
    openDatabase(file, { migrations: [m1, m2, m3], now: day(BACKUP_MAX_AGE_DAYS) }).close();
    expect(listBackups(file).map((c) => c.toVersion)).toEqual([2, 3]);
    openDatabase(file, { migrations: [m1, m2, m3], now: day(BACKUP_MAX_AGE_DAYS + 1) }).close();
    expect(listBackups(file).map((c) => c.toVersion)).toEqual([3]);
    openDatabase(file, { migrations: [m1, m2, m3], now: day(BACKUP_MAX_AGE_DAYS + 11) }).close();
    expect(listBackups(file)).toEqual([]);
  });

  it('that cannot be made stops the upgrade before anything changes, saying where and what to do', () => {
    const file = newFile();
    atSchema1(file);
    // the backups folder cannot be made: a file has its name
    writeFileSync(backupsDir(file), 'in the way');
    let error: unknown;
    try {
      openDatabase(file, { migrations: [m1, m2] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpgradeCopyError);
    expect((error as Error).message).toMatch(/schema 1 to 2.*the copy could not be made.*Nothing was changed/);
    const db = raw(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(tablesOf(db)).toEqual(['person']);
    } finally {
      db.close();
    }
  });
});

describe('a migration that fails', () => {
  it.each([
    ['in the clear', undefined],
    ['encrypted', KEY],
  ])(
    'puts the copy back (%s): the file holds schema 1 and its rows, none of the upgrade, and the error names the copy',
    (_, key) => {
      const file = newFile();
      atSchema1(file, key);
      let error: unknown;
      try {
        // 2 succeeds and commits, 3 fails: the file must go back to 1, not stay at 2
        openDatabase(file, { migrations: [m1, m2, bad(3)], key });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UpgradeFailedError);
      const copy = listBackups(file)[0]!;
      expect(error).toMatchObject({
        fromVersion: 1,
        toVersion: 3,
        restored: true,
        backup: copy.file,
        failedMigration: '3 (broken)',
      });
      expect((error as Error).message).toContain(copy.file);
      expect((error as Error).message).toMatch(/put back as it was before the upgrade/);
      expect((error as Error).message).toMatch(/Install the previous version of the app/);
      // the whole file: no write-ahead log of the upgraded file left to be applied to the copy
      expect(existsSync(`${file}-wal`)).toBe(false);
      expect(existsSync(restoreFiles(file).marker)).toBe(false);
      expect(existsSync(restoreFiles(file).restoring)).toBe(false);
      if (key) expect(isPlainDatabase(file)).toBe(false);
      expect(mode(file)).toBe(0o600);
      const db = raw(file, key);
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(1);
        expect(tablesOf(db)).toEqual(['person']);
        expect(db.prepare('SELECT name, mobile, id_number FROM person').all()).toEqual([
          { name: NAME, mobile: MOBILE, id_number: ID_NUMBER },
        ]);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
      // the previous version of the app opens it as before
      const old = openDatabase(file, { migrations: [m1], key });
      try {
        expect(old.prepare('SELECT count(*) AS n FROM person').get()).toEqual({ n: 1 });
      } finally {
        old.close();
      }
    },
  );

  it('a corrected upgrade later applies to the restored file', () => {
    const file = newFile();
    atSchema1(file);
    expect(() => openDatabase(file, { migrations: [m1, bad(2)] })).toThrow(UpgradeFailedError);
    const db = openDatabase(file, { migrations: [m1, m2, m3] });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(3);
      expect(db.prepare('SELECT name, note FROM person').get()).toEqual({ name: NAME, note: null });
    } finally {
      db.close();
    }
  });
});

describe('a kill during the copy or the restore', () => {
  it('a copy cut short (a .partial file) is removed and never counted; the database is untouched', () => {
    const file = newFile();
    atSchema1(file);
    const dir = backupsDir(file);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'counter-schema-1-to-2-20261204T080000000Z.db.partial'), 'half a copy');
    expect(listBackups(file)).toEqual([]);
    openDatabase(file, { migrations: [m1, m2], now: at(1) }).close();
    expect(readdirSync(dir)).toEqual(['counter-schema-1-to-2-20261204T090100000Z.db']);
  });

  it.each(['after the marker', 'after the copy was written', 'after the old log was removed', 'after the rename'] as const)(
    'a restore cut short %s is finished at the next opening: schema 1, its rows, no upgraded log applied',
    (step) => {
      const file = newFile();
      atSchema1(file, KEY);
      // an upgrade that succeeded gives the state a kill would leave mid-restore: the file upgraded and open (with its log), and a copy
      const upgraded = openDatabase(file, { migrations: [m1, m2], key: KEY });
      upgraded.prepare("INSERT INTO visit VALUES ('after the upgrade')").run();
      const copy = listBackups(file)[0]!.file;
      const { marker, restoring } = restoreFiles(file);
      // a kill leaves the files as they are on disk: copies of them, taken while the connection is open
      const killed = newFile();
      for (const f of ['', '-wal', '-shm']) if (existsSync(file + f)) copyFileSync(file + f, killed + f);
      upgraded.close();
      expect(existsSync(`${killed}-wal`)).toBe(true);
      writeFileSync(restoreFiles(killed).marker, JSON.stringify({ copy }));
      if (step !== 'after the marker') copyFileSync(copy, restoreFiles(killed).restoring);
      if (step === 'after the old log was removed' || step === 'after the rename')
        for (const f of ['-wal', '-shm']) rmSync(killed + f, { force: true });
      if (step === 'after the rename') copyFileSync(copy, killed);
      expect([marker, restoring].every((f) => !existsSync(f))).toBe(true);

      const db = openDatabase(killed, { migrations: [m1], key: KEY });
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(1);
        expect(tablesOf(db)).toEqual(['person']);
        expect(db.prepare('SELECT name FROM person').all()).toEqual([{ name: NAME }]);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
      expect(existsSync(restoreFiles(killed).marker)).toBe(false);
      expect(existsSync(restoreFiles(killed).restoring)).toBe(false);
    },
  );

  it('a restore whose copy is gone refuses to open, saying what to do by hand', () => {
    const file = newFile();
    atSchema1(file);
    writeFileSync(restoreFiles(file).marker, JSON.stringify({ copy: join(backupsDir(file), 'gone.db') }));
    expect(() => recoverRestore(file)).toThrow(RestoreIncompleteError);
    expect(() => openDatabase(file, { migrations: [m1] })).toThrow(/Copy one of the files in .*backups/);
  });
});

describe('a database of a newer schema (the app was downgraded)', () => {
  it('is refused, no copy made and no restore tried', () => {
    const file = newFile();
    atSchema1(file);
    openDatabase(file, { migrations: [m1, m2, m3] }).close();
    const before = listBackups(file).length;
    expect(() => openDatabase(file, { migrations: [m1, m2] })).toThrow(SchemaTooNewError);
    expect(listBackups(file)).toHaveLength(before);
  });
});

// processes killed for real: the slow tier's (npm test), as test/crash is, not test:fast's
describe.skipIf(process.env.TEST_TIER === 'fast')('a real kill during the copy or the restore', () => {
  const ROWS = 80_000;

  /** A database at schema 1 with ROWS rows (a copy of it takes a moment), encrypted. */
  function bigAtSchema1(file: string): void {
    const db = openDatabase(file, { key: KEY, migrations: UPGRADE_CRASH_MIGRATIONS.slice(0, 1) });
    const insert = db.prepare('INSERT INTO r (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`row ${i} ${'x'.repeat(40)}`);
    })();
    db.close();
  }

  function runChild(file: string, killAfterMs: number | null): Promise<{ lines: string[]; signal: string | null }> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'upgrade-child.ts'), file, KEY], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
      if (killAfterMs !== null && out.startsWith('start\n') && !child.killed)
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    return new Promise((resolve) =>
      child.on('close', (_code, signal) => resolve({ lines: out.split('\n').filter(Boolean), signal })),
    );
  }

  it('whenever the kill falls, the next opening finds schema 1 with every row, whole (encrypted)', async () => {
    const template = newFile();
    bigAtSchema1(template);
    // how long the opening takes undisturbed: copy, migration, restore
    const calm = newFile();
    copyFileSync(template, calm);
    const undisturbed = await runChild(calm, null);
    expect(undisturbed.lines[1]).toMatch(/^done UpgradeFailedError \d+$/);
    const span = Number(undisturbed.lines[1]!.split(' ')[2]);

    const outcomes: string[] = [];
    const KILLS = 4;
    for (let k = 0; k < KILLS; k++) {
      const file = newFile();
      copyFileSync(template, file);
      // spread over the opening's work
      const r = await runChild(file, Math.round((span * (k + 0.5)) / KILLS));
      outcomes.push(r.signal === 'SIGKILL' ? 'killed' : (r.lines.at(-1) ?? ''));
      const db = openDatabase(file, { key: KEY, migrations: UPGRADE_CRASH_MIGRATIONS.slice(0, 1) });
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(1);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare("SELECT count(*) AS n, sum(v LIKE '%!') AS changed FROM r").get()).toEqual({ n: ROWS, changed: 0 });
        expect(tablesOf(db)).toEqual(['r']);
      } finally {
        db.close();
      }
      expect(existsSync(restoreFiles(file).marker)).toBe(false);
      // a copy cut short is never one of the copies
      for (const c of listBackups(file)) {
        const copy = raw(c.file, KEY);
        expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
        copy.close();
      }
    }
    // some runs were cut short, in the middle of the work
    expect(outcomes.filter((o) => o === 'killed').length).toBeGreaterThan(0);
  }, 120_000);
});

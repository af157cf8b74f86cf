import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMigrations, openDatabase, SchemaTooNewError } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';
import { tempDir } from './harness';

const dirs: string[] = [];
const newFile = () => {
  const d = tempDir('counter-migrations-');
  dirs.push(d);
  return join(d, 'counter.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('opening the store', () => {
  it('a fresh file gets every migration: user_version is the latest', () => {
    const db = openDatabase(newFile());
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (t) => t.name,
      );
      expect(tables).toEqual(
        expect.arrayContaining([
          'operator',
          'roster_import',
          'roster_entry',
          'walkin',
          'ticket',
          'ticket_event',
          'vaccination',
          'outbox',
          'token_sequence',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('sets WAL, synchronous=FULL and foreign keys on every connection', () => {
    const file = newFile();
    openDatabase(file).close();
    const db = openDatabase(file); // and again on reopening
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it('reopening an up-to-date file applies nothing again', () => {
    const file = newFile();
    const db1 = openDatabase(file);
    db1.prepare("INSERT INTO meta (key, value) VALUES ('probe', 'kept')").run();
    db1.close();
    const db2 = openDatabase(file);
    try {
      expect(db2.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db2.prepare("SELECT value FROM meta WHERE key = 'probe'").get()).toEqual({ value: 'kept' });
    } finally {
      db2.close();
    }
  });

  it('applies only the migrations a file has not had yet, in order', () => {
    const file = newFile();
    const m1 = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' };
    const m2 = { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN y INTEGER;' };
    openDatabase(file, { migrations: [m1] }).close();
    const db = openDatabase(file, { migrations: [m1, m2] });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect((db.prepare('PRAGMA table_info(a)').all() as { name: string }[]).map((c) => c.name)).toEqual(['x', 'y']);
    } finally {
      db.close();
    }
  });

  it('a failing migration leaves the file at the last good version', () => {
    const file = newFile();
    const m1 = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' };
    const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL;' };
    openDatabase(file, { migrations: [m1] }).close();
    expect(() => openDatabase(file, { migrations: [m1, bad] })).toThrow();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });
});

describe('a file written by a newer version of the app', () => {
  const newerVersion = MIGRATIONS.length + 5;

  function writeNewerFile(file: string, journalMode: 'delete' | 'wal') {
    const db = new Database(file);
    db.pragma(`journal_mode = ${journalMode}`);
    db.exec("CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('from the future');");
    db.pragma(`user_version = ${newerVersion}`);
    db.close();
  }

  it('is refused with SchemaTooNewError naming both versions', () => {
    const file = newFile();
    writeNewerFile(file, 'wal');
    let error: unknown;
    try {
      openDatabase(file).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ fileVersion: newerVersion, appVersion: MIGRATIONS.length, name: 'SchemaTooNewError' });
  });

  it.each(['wal', 'delete'] as const)('is left byte-for-byte unchanged (file in %s journal mode)', (mode) => {
    const file = newFile();
    writeNewerFile(file, mode);
    const before = sha(file);
    const filesBefore = readdirSync(join(file, '..')).sort();
    expect(() => openDatabase(file)).toThrow(SchemaTooNewError);
    expect(sha(file)).toBe(before);
    expect(readdirSync(join(file, '..')).sort()).toEqual(filesBefore);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(newerVersion);
      expect(db.pragma('journal_mode', { simple: true })).toBe(mode);
      expect(db.prepare('SELECT x FROM future').get()).toEqual({ x: 'from the future' });
    } finally {
      db.close();
    }
  });
});

describe('checkMigrations', () => {
  const m = (version: number) => ({ version, name: `m${version}`, sql: '' });

  it('accepts 1, 2, 3... and the app list', () => {
    expect(() => checkMigrations([])).not.toThrow();
    expect(() => checkMigrations([m(1), m(2), m(3)])).not.toThrow();
    expect(() => checkMigrations(MIGRATIONS)).not.toThrow();
  });

  it('refuses gaps, repeats, a wrong start and disorder', () => {
    expect(() => checkMigrations([m(1), m(3)])).toThrow(/m3 has version 3, expected 2/);
    expect(() => checkMigrations([m(1), m(1)])).toThrow(/expected 2/);
    expect(() => checkMigrations([m(2)])).toThrow(/expected 1/);
    expect(() => checkMigrations([m(2), m(1)])).toThrow();
  });

  it('refuses a bad list before touching the file', () => {
    const file = newFile();
    expect(() => openDatabase(file, { migrations: [m(1), m(1)] })).toThrow();
    expect(existsSync(file)).toBe(false);
  });
});

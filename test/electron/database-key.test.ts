// The desktop app's database key: made once per data folder, kept encrypted by the OS keychain
// (a fake safeStorage here), never in the clear on disk; without a keychain the counter does not
// start unless IT allows a database in the clear. Then the key really opens the database.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseKeyUnavailable, KEY_FILE, loadDatabaseKey } from '../../main/electron/database-key';
import { openDatabase } from '../../main/store/database';
import { tempDir } from '../store/harness';
import { fakeVault } from '../support/fake-vault';

const linux = { platform: 'linux' as const, allowUnencrypted: false };

describe('the database key', () => {
  it('is made once (32 random bytes), kept 0600 sealed by the keychain, and the same key comes back on the next start', async () => {
    const dir = join(tempDir(), 'Registration Counter');
    const { vault, calls } = fakeVault();
    const first = await loadDatabaseKey(dir, vault, linux);
    expect(first.created).toBe(true);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    const file = join(dir, KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // the key is not in the file in the clear
    expect(readFileSync(file, 'utf8')).not.toContain(first.key!);
    expect(readFileSync(file).includes(Buffer.from(first.key!, 'hex'))).toBe(false);
    const second = await loadDatabaseKey(dir, vault, linux);
    expect(second).toEqual({ key: first.key, created: false, warning: null });
    expect(calls).toEqual({ encrypt: 1, decrypt: 1 });
    // and it opens the database encrypted with it
    openDatabase(join(dir, 'counter.db'), { key: first.key }).close();
    openDatabase(join(dir, 'counter.db'), { key: second.key }).close();
  });

  it('two data folders (two PCs) get different keys', async () => {
    const { vault } = fakeVault();
    const a = await loadDatabaseKey(tempDir(), vault, linux);
    const b = await loadDatabaseKey(tempDir(), vault, linux);
    expect(a.key).not.toBe(b.key);
  });

  it('without a keychain the counter does not start, and says what IT can do', async () => {
    for (const fake of [fakeVault({ available: false }), fakeVault({ backend: 'basic_text' })]) {
      const dir = tempDir();
      const refused = loadDatabaseKey(dir, fake.vault, linux);
      await expect(refused).rejects.toThrow(DatabaseKeyUnavailable);
      await expect(loadDatabaseKey(dir, fake.vault, linux)).rejects.toThrow(/COUNTER_ALLOW_UNENCRYPTED=1/);
      expect(existsSync(join(dir, KEY_FILE))).toBe(false);
    }
    // Chromium's built-in password is only a Linux matter: on Windows DPAPI is always there
    const { vault } = fakeVault({ backend: 'basic_text' });
    expect((await loadDatabaseKey(tempDir(), vault, { platform: 'win32', allowUnencrypted: false })).created).toBe(true);
  });

  it('when IT allows it, runs with the database in the clear and says so', async () => {
    const { vault } = fakeVault({ backend: 'basic_text' });
    const r = await loadDatabaseKey(tempDir(), vault, { ...linux, allowUnencrypted: true });
    expect(r.key).toBeUndefined();
    expect(r.warning).toMatch(/stays in the clear/);
  });

  it('a key kept by another user’s keychain (or another PC’s) is refused with a clear message, the file left alone', async () => {
    const dir = tempDir();
    await loadDatabaseKey(dir, fakeVault({ secret: 1 }).vault, linux);
    const before = readFileSync(join(dir, KEY_FILE));
    await expect(loadDatabaseKey(dir, fakeVault({ secret: 2 }).vault, linux)).rejects.toThrow(/another OS user or on another PC/);
    // an encrypted database whose keychain is gone: allowing the clear does not help, nor does it make a new key
    await expect(
      loadDatabaseKey(dir, fakeVault({ available: false }).vault, { ...linux, allowUnencrypted: true }),
    ).rejects.toThrow(/Sign in to this PC as that user/);
    expect(readFileSync(join(dir, KEY_FILE)).equals(before)).toBe(true);
  });

  it('a damaged key file is refused, never replaced by a new key (that would lose the database)', async () => {
    const dir = tempDir();
    const { vault } = fakeVault();
    await loadDatabaseKey(dir, vault, linux);
    writeFileSync(join(dir, KEY_FILE), 'not json');
    await expect(loadDatabaseKey(dir, vault, linux)).rejects.toThrow(/damaged/);
    expect(readFileSync(join(dir, KEY_FILE), 'utf8')).toBe('not json');
  });

  it('is sealed again when the keychain asks for it (its own key rotated)', async () => {
    const dir = tempDir();
    const first = await loadDatabaseKey(dir, fakeVault().vault, linux);
    const { vault, calls } = fakeVault({ reEncrypt: true });
    expect((await loadDatabaseKey(dir, vault, linux)).key).toBe(first.key);
    expect(calls.encrypt).toBe(1);
  });

  it('the packaged app keeps the SQLite with encryption outside the asar archive (a native module cannot load from inside)', () => {
    const yml = readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8');
    expect(yml).toMatch(/asarUnpack:[\s\S]*'\*\*\/node_modules\/better-sqlite3-multiple-ciphers\/\*\*'/);
    expect(yml).toMatch(/^npmRebuild: true$/m);
  });
});

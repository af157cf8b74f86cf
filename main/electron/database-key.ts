/**
 * The key the counter database is encrypted with: 32 random bytes made once per PC (per data
 * folder), kept in the data folder (0600) encrypted by the operating system's keychain through
 * Electron's safeStorage (DPAPI under the Windows user, or the Linux keyring: GNOME libsecret or
 * KWallet). Another OS user, or a disk taken out of the PC, gets the encrypted database and an
 * encrypted key, and nothing of the keychain that opens it.
 *
 * Without a usable keychain (Linux with no keyring, where safeStorage would fall back to a
 * password built into Chromium, which protects nothing) the counter does not start, unless
 * hospital IT has said it may run with the database in the clear (COUNTER_ALLOW_UNENCRYPTED=1):
 * a quiet fallback would leave every counter of such PCs unencrypted with nobody knowing.
 * This module does not import Electron: the shell passes `safeStorage` in, the tests a fake.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeOwnerOnly } from '../services/enrolment';

/** What the key needs of Electron's safeStorage. */
export interface KeyVault {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }>;
  /** Linux: the keychain safeStorage uses ('basic_text': none, a built-in password) */
  getSelectedStorageBackend(): string;
}

export const KEY_FILE = 'database.key';
const KEY_FORMAT = /^[0-9a-f]{64}$/;

/** The key cannot be had: the counter must not start (the message says why and what IT can do). */
export class DatabaseKeyUnavailable extends Error {
  override name = 'DatabaseKeyUnavailable';
}

export interface DatabaseKeyOptions {
  platform: NodeJS.Platform;
  /** hospital IT's choice (COUNTER_ALLOW_UNENCRYPTED=1): without a keychain, run with the database in the clear */
  allowUnencrypted: boolean;
  /** 32 random bytes (tests pass a fixed source) */
  random?: (n: number) => Buffer;
}

export type DatabaseKey = { key: string; created: boolean; warning: null } | { key: undefined; created: false; warning: string };

interface KeyFileContent {
  version: 1;
  /** the key's 64 hex digits, encrypted by safeStorage, base64 */
  safeStorage: string;
}

/** Why the keychain cannot be used, or null when it can. */
async function keychainProblem(vault: KeyVault, platform: NodeJS.Platform): Promise<string | null> {
  if (!(await vault.isAsyncEncryptionAvailable())) return 'the operating system offers no keychain to this app';
  if (platform === 'linux') {
    const backend = vault.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') {
      return `no keyring (GNOME Keyring or KWallet) is running for this user (safeStorage backend: ${backend})`;
    }
  }
  return null;
}

async function seal(vault: KeyVault, key: string): Promise<string> {
  const encrypted = await vault.encryptStringAsync(key);
  const content: KeyFileContent = { version: 1, safeStorage: encrypted.toString('base64') };
  return `${JSON.stringify(content)}\n`;
}

/**
 * The database key of the counter whose data folder is `dataDir`: read from its key file, or
 * made and saved there (before any data is encrypted with it) the first time.
 */
export async function loadDatabaseKey(dataDir: string, vault: KeyVault, options: DatabaseKeyOptions): Promise<DatabaseKey> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, KEY_FILE);
  const problem = await keychainProblem(vault, options.platform);
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    if (problem) {
      throw new DatabaseKeyUnavailable(
        `The counter database is encrypted and its key is kept by the keychain of the OS user who set the counter up, ` +
          `but ${problem}. Sign in to this PC as that user (with the keyring unlocked) and start the counter again.`,
      );
    }
    return { key: await unseal(vault, file), created: false, warning: null };
  }
  if (problem) {
    const why = `The counter database cannot be encrypted on this PC: ${problem}.`;
    if (!options.allowUnencrypted) {
      throw new DatabaseKeyUnavailable(
        `${why} Hospital IT: set up a keyring for this user (Linux: gnome-keyring or KWallet), or start the counter ` +
          `with COUNTER_ALLOW_UNENCRYPTED=1 to keep the database in the clear (protected by file permissions only).`,
      );
    }
    return { key: undefined, created: false, warning: `${why} It stays in the clear (COUNTER_ALLOW_UNENCRYPTED=1).` };
  }
  const key = (options.random ?? randomBytes)(32).toString('hex');
  writeOwnerOnly(file, await seal(vault, key));
  return { key, created: true, warning: null };
}

async function unseal(vault: KeyVault, file: string): Promise<string> {
  let content: KeyFileContent;
  try {
    content = JSON.parse(readFileSync(file, 'utf8')) as KeyFileContent;
  } catch {
    throw new DatabaseKeyUnavailable(`The database key file ${file} is damaged: it is not the file this app writes.`);
  }
  if (content.version !== 1 || typeof content.safeStorage !== 'string') {
    throw new DatabaseKeyUnavailable(
      `The database key file ${file} is of an unknown format (version ${String(content.version)}).`,
    );
  }
  let opened: { shouldReEncrypt: boolean; result: string };
  try {
    opened = await vault.decryptStringAsync(Buffer.from(content.safeStorage, 'base64'));
  } catch (e) {
    throw new DatabaseKeyUnavailable(
      `The database key in ${file} cannot be opened by this user's keychain (${e instanceof Error ? e.message : String(e)}): ` +
        `the data folder was made by another OS user or on another PC, or the keychain was reset. ` +
        `Records already uploaded are at the portal; hospital IT can move the data folder aside to set the counter up again.`,
    );
  }
  if (!KEY_FORMAT.test(opened.result))
    throw new DatabaseKeyUnavailable(`The database key in ${file} is not a key this app made.`);
  // the keychain's own key changed: the file is sealed again with the new one
  if (opened.shouldReEncrypt) writeOwnerOnly(file, await seal(vault, opened.result));
  return opened.result;
}

/**
 * The desktop app's keeper of an enrolled counter's device token: `device-token.json` (0600) in
 * the data folder, with the token sealed by the operating system's keychain through Electron's
 * safeStorage (DPAPI under the Windows user, the Linux keyring), as the database key is
 * (./database-key.ts). The portal's address beside it stays readable for IT. Where the platform
 * has no usable keychain (Linux without a keyring, where safeStorage would fall back to a
 * password built into Chromium), the token is kept in the same file in the clear, protected by
 * its permissions only, and the log says so. This module does not import Electron: the shell
 * passes `safeStorage` in, the tests a fake.
 */
import { join } from 'node:path';
import {
  DEVICE_TOKEN_FILE,
  DeviceTokenUnavailable,
  enrolAgainSteps,
  fileTokenKeeper,
  readDeviceTokenFile,
  writeOwnerOnly,
  type DeviceTokenFileContent,
  type DeviceTokenKeeper,
  type PortalCredentials,
} from '../services/enrolment';
import type { KeyVault } from './database-key';

/** Why the keychain cannot seal the token, or null when it can. */
async function keychainProblem(vault: KeyVault, platform: NodeJS.Platform): Promise<string | null> {
  if (!(await vault.isAsyncEncryptionAvailable())) return 'the operating system offers no keychain to this app';
  if (platform === 'linux') {
    const backend = vault.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown')
      return `no keyring is running for this user (safeStorage backend: ${backend})`;
  }
  return null;
}

/** The token sealed by the keychain, in a 0600 file. */
function sealedTokenKeeper(dataDir: string, vault: KeyVault): DeviceTokenKeeper {
  const file = join(dataDir, DEVICE_TOKEN_FILE);
  const write = async ({ portalUrl, deviceToken }: PortalCredentials) => {
    const sealed = await vault.encryptStringAsync(deviceToken);
    const content: DeviceTokenFileContent = { version: 1, portalUrl, safeStorage: sealed.toString('base64') };
    writeOwnerOnly(file, `${JSON.stringify(content, null, 2)}\n`);
  };
  return {
    file,
    protection: 'keychain',
    read: async () => {
      const content = readDeviceTokenFile(file);
      if (!content) return null;
      if ('token' in content) {
        // kept in the clear while this user had no keychain: sealed now that there is one
        const credentials = { portalUrl: content.portalUrl, deviceToken: content.token };
        await write(credentials);
        return credentials;
      }
      let opened: { shouldReEncrypt: boolean; result: string };
      try {
        opened = await vault.decryptStringAsync(Buffer.from(content.safeStorage, 'base64'));
      } catch (e) {
        throw new DeviceTokenUnavailable(
          `The device token in ${file} cannot be opened by this user's keychain (${e instanceof Error ? e.message : String(e)}): ` +
            `the data folder was made by another OS user or on another PC, or the keychain was reset. ${enrolAgainSteps(dataDir)}`,
        );
      }
      const credentials = { portalUrl: content.portalUrl, deviceToken: opened.result };
      if (opened.result.length < 16) throw new DeviceTokenUnavailable(`The device token in ${file} is not one the portal gave.`);
      // the keychain's own key changed: sealed again with the new one
      if (opened.shouldReEncrypt) await write(credentials);
      return credentials;
    },
    write,
  };
}

/**
 * The keeper for this PC: sealed by the keychain where there is a usable one, else a 0600 file
 * (`warning` says so, for the log).
 */
export async function deviceTokenKeeper(
  dataDir: string,
  vault: KeyVault,
  platform: NodeJS.Platform,
): Promise<{ keeper: DeviceTokenKeeper; warning: string | null }> {
  const problem = await keychainProblem(vault, platform);
  if (problem === null) return { keeper: sealedTokenKeeper(dataDir, vault), warning: null };
  return {
    keeper: fileTokenKeeper(dataDir),
    warning: `An enrolled counter's device token is kept in ${join(dataDir, DEVICE_TOKEN_FILE)} protected by its file permissions only (0600): ${problem}.`,
  };
}

import type { KeyVault } from '../../main/electron/database-key';

/** A keychain stand-in: "encrypts" by XOR with its own secret; another user's keychain has another secret. */
export function fakeVault(options: { available?: boolean; backend?: string; secret?: number; reEncrypt?: boolean } = {}) {
  const secret = options.secret ?? 0x5a;
  const calls = { encrypt: 0, decrypt: 0 };
  const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ secret));
  const vault: KeyVault = {
    isAsyncEncryptionAvailable: async () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptStringAsync: async (plain) => {
      calls.encrypt++;
      return Buffer.concat([Buffer.from([secret]), xor(Buffer.from(plain, 'utf8'))]);
    },
    decryptStringAsync: async (encrypted) => {
      calls.decrypt++;
      if (encrypted[0] !== secret)
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return { shouldReEncrypt: options.reEncrypt ?? false, result: xor(encrypted.subarray(1)).toString('utf8') };
    },
  };
  return { vault, calls };
}

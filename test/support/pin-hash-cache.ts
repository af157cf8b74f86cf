/**
 * PIN hashes remembered while a test sets up its counter.
 *
 * scrypt costs about 50 ms a PIN here, and a test's set-up signs in the same fixed accounts
 * with the same PINs against the same stored hashes (copied from one template) again and
 * again. Inside `whileSettingUp`, node:crypto's `scrypt` answers a call it has already answered
 * there (same PIN, salt and parameters) with the same bytes instead of computing them again.
 * Outside it, in what a test does and asserts, every PIN is hashed for real: the sign-in
 * and PIN tests check the real thing.
 *
 * Import this before anything that imports node:crypto's `scrypt` (the counter's operators
 * service keeps the function it found when it was loaded).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto, { type BinaryLike, type ScryptOptions } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';

type Callback = (err: Error | null, derivedKey: Buffer) => void;

const settingUp = new AsyncLocalStorage<true>();
const remembered = new Map<string, Buffer>();
const realScrypt = crypto.scrypt;
let computed = 0;
let reused = 0;

function keyOf(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): string | null {
  if (typeof password !== 'string') return null;
  const saltText = typeof salt === 'string' ? `s:${salt}` : Buffer.isBuffer(salt) ? `b:${salt.toString('base64')}` : null;
  if (saltText === null) return null;
  return JSON.stringify([
    password,
    saltText,
    keylen,
    options.N ?? options.cost,
    options.r ?? options.blockSize,
    options.p ?? options.parallelization,
  ]);
}

function rememberingScrypt(password: BinaryLike, salt: BinaryLike, keylen: number, ...rest: unknown[]): void {
  const callback = rest[rest.length - 1] as Callback;
  const options = (rest.length > 1 ? rest[0] : {}) as ScryptOptions;
  const key = settingUp.getStore() ? keyOf(password, salt, keylen, options) : null;
  const known = key === null ? undefined : remembered.get(key);
  if (known) {
    reused++;
    const copy = Buffer.from(known);
    process.nextTick(() => callback(null, copy));
    return;
  }
  computed++;
  realScrypt(password, salt, keylen, options, (err, derived) => {
    if (!err && key !== null) remembered.set(key, Buffer.from(derived));
    callback(err, derived);
  });
}

crypto.scrypt = rememberingScrypt as typeof crypto.scrypt;
syncBuiltinESMExports();

/** Runs a test's set-up: PINs hashed in it before (in this process) are not hashed again. */
export function whileSettingUp<T>(setUp: () => Promise<T>): Promise<T> {
  return settingUp.run(true, setUp);
}

/** How many scrypt calls were computed and how many answered from memory (for checking the cache itself). */
export function pinHashCounts(): { computed: number; reused: number } {
  return { computed, reused };
}

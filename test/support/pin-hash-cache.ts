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

interface PinHashCache {
  settingUp: AsyncLocalStorage<true>;
  remembered: Map<string, Buffer>;
  computed: number;
  reused: number;
}

// one per process, however often this module is evaluated (a setup file runs for each test
// file, and files that share a process share the counter's modules and the hashes remembered)
const CACHE = Symbol.for('counter.test.pinHashCache');
const holder = globalThis as unknown as { [CACHE]?: PinHashCache };
const cache: PinHashCache = holder[CACHE] ?? install();

function install(): PinHashCache {
  const made: PinHashCache = { settingUp: new AsyncLocalStorage<true>(), remembered: new Map(), computed: 0, reused: 0 };
  const realScrypt = crypto.scrypt;
  function rememberingScrypt(password: BinaryLike, salt: BinaryLike, keylen: number, ...rest: unknown[]): void {
    const callback = rest[rest.length - 1] as Callback;
    const options = (rest.length > 1 ? rest[0] : {}) as ScryptOptions;
    const key = made.settingUp.getStore() ? keyOf(password, salt, keylen, options) : null;
    const known = key === null ? undefined : made.remembered.get(key);
    if (known) {
      made.reused++;
      const copy = Buffer.from(known);
      process.nextTick(() => callback(null, copy));
      return;
    }
    made.computed++;
    realScrypt(password, salt, keylen, options, (err, derived) => {
      if (!err && key !== null) made.remembered.set(key, Buffer.from(derived));
      callback(err, derived);
    });
  }
  crypto.scrypt = rememberingScrypt as typeof crypto.scrypt;
  syncBuiltinESMExports();
  holder[CACHE] = made;
  return made;
}

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

/** Runs a test's set-up: PINs hashed in it before (in this process) are not hashed again. */
export function whileSettingUp<T>(setUp: () => Promise<T>): Promise<T> {
  return cache.settingUp.run(true, setUp);
}

/** How many scrypt calls were computed and how many answered from memory (for checking the cache itself). */
export function pinHashCounts(): { computed: number; reused: number } {
  return { computed: cache.computed, reused: cache.reused };
}

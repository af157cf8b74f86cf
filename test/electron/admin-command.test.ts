// The desktop app as IT's recovery command (`--counter-admin`): it unseals the database key with
// the OS keychain (a fake safeStorage here), so IT needs no key in the environment; it never makes
// a key for a folder that has none, and another user's keychain gets nothing.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminIo } from '../../main/admin/commands';
import { adminArgs, runAdminCommand } from '../../main/electron/admin-command';
import { KEY_FILE, loadDatabaseKey, type KeyVault } from '../../main/electron/database-key';
import { fakeClock, MORNING, OPERATOR, setupCounter, tempDir, type Counter } from '../store/harness';
import { fakeVault } from '../support/fake-vault';

const FAST_LOCKS = { security: { maxPinAttempts: 3, lockMinutes: 5 } };
const linux = { platform: 'linux' as const };

let c: Counter | null = null;
afterEach(async () => {
  await c?.dispose();
  c = null;
});

function io(clock = fakeClock(MORNING)) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Omit<AdminIo, 'databaseKey'> = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    readPin: () => Promise.resolve(''),
    osUser: 'it-admin',
    clock,
  };
  return { io: value, out, err };
}

/** A counter whose database is encrypted with a key sealed by `vault` in its data folder, as the desktop app makes it. */
async function encryptedCounter(vault: KeyVault): Promise<Counter> {
  const keyDir = join(tempDir(), 'Registration Counter');
  const { key } = await loadDatabaseKey(keyDir, vault, { ...linux, allowUnencrypted: false });
  const counter = await setupCounter({
    provisioning: FAST_LOCKS,
    withOperator: true,
    signedIn: 'nobody',
    backend: { databaseKey: key },
  });
  copyFileSync(join(keyDir, KEY_FILE), join(counter.dataDir, KEY_FILE));
  return counter;
}

/** The operator locked out: three wrong PINs (the tests' security.maxPinAttempts). */
async function lockOut(counter: Counter, loginId: string) {
  for (let i = 0; i < 3; i++) await counter.call('signIn', { loginId, pin: String(900000 + i) });
  expect(await counter.call('signIn', { loginId, pin: OPERATOR.pin })).toMatchObject({
    ok: false,
    error: { code: 'ACCOUNT_LOCKED' },
  });
}

describe('the desktop app as the IT command', () => {
  it('takes the arguments after --counter-admin, and is not the IT command without it', () => {
    expect(adminArgs(['/opt/counter/counter', '--counter-admin', 'unlock', '--login', 'oper1'])).toEqual([
      'unlock',
      '--login',
      'oper1',
    ]);
    expect(adminArgs(['/opt/counter/counter', '--no-sandbox'])).toBeNull();
  });

  it('unlocks an operator in an encrypted database with the key unsealed by the keychain, COUNTER_DB_KEY unset', async () => {
    const { vault } = fakeVault();
    c = await encryptedCounter(vault);
    const dataDir = c.dataDir;
    await lockOut(c, OPERATOR.loginId);

    const run = io(c.clock);
    // the app's own data folder, as IT runs it: no --data
    const code = await runAdminCommand(
      ['unlock', '--login', OPERATOR.loginId],
      vault,
      { ...linux, defaultDataDir: dataDir },
      run.io,
    );
    expect({ code, err: run.err }).toEqual({ code: 0, err: [] });
    expect(run.out.join('\n')).toContain(`${OPERATOR.loginId} is unlocked`);
    await c.signIn(OPERATOR);
  });

  it("another OS user's keychain cannot unseal the key: refused with the app's words, nothing changed", async () => {
    const { vault } = fakeVault();
    c = await encryptedCounter(vault);
    const dataDir = c.dataDir;
    await lockOut(c, OPERATOR.loginId);
    const keyFile = readFileSync(join(dataDir, KEY_FILE));

    const run = io(c.clock);
    const other = fakeVault({ secret: 0x33 }).vault;
    const code = await runAdminCommand(
      ['unlock', '--data', dataDir, '--login', OPERATOR.loginId],
      other,
      { ...linux, defaultDataDir: '/nowhere' },
      run.io,
    );
    expect(code).toBe(1);
    expect(run.err.join('\n')).toMatch(/key/i);
    expect(readFileSync(join(dataDir, KEY_FILE))).toEqual(keyFile);
    expect(await c.call('signIn', { loginId: OPERATOR.loginId, pin: OPERATOR.pin })).toMatchObject({
      ok: false,
      error: { code: 'ACCOUNT_LOCKED' },
    });
  });

  it('makes no key for a folder whose database is in the clear, and leaves it in the clear', async () => {
    c = await setupCounter({ provisioning: FAST_LOCKS, withOperator: true, signedIn: 'nobody' });
    await lockOut(c, OPERATOR.loginId);
    const { vault, calls } = fakeVault();
    const run = io(c.clock);
    const code = await runAdminCommand(
      ['unlock', `--data=${c.dataDir}`, '--login', OPERATOR.loginId],
      vault,
      { ...linux, defaultDataDir: '/nowhere' },
      run.io,
    );
    expect({ code, err: run.err }).toEqual({ code: 0, err: [] });
    expect(existsSync(join(c.dataDir, KEY_FILE))).toBe(false);
    expect(calls).toEqual({ encrypt: 0, decrypt: 0 });
    await c.close();
    expect(readFileSync(join(c.dataDir, 'counter.db')).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
  });
});

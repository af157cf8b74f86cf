// The desktop app keeps an enrolled counter's device token sealed by the OS keychain (a fake
// safeStorage here) in device-token.json (0600), never in the clear where there is a keychain;
// without one, in the same file in the clear with 0600, and the log is told. The counter reads
// the sealed token back and reaches the portal with it.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceTokenKeeper } from '../../main/electron/device-token';
import { DEVICE_TOKEN_FILE, DeviceTokenUnavailable, fileTokenKeeper } from '../../main/services/enrolment';
import { CounterBackend } from '../../main/counter';
import { silentLogger } from '../../main/logging/logger';
import { tempDir } from '../store/harness';
import { fakeVault } from '../support/fake-vault';
import { saveProvisioning } from '../../main/services/provisioning';
import { provisioningSchema } from '../../common/domain';

const TOKEN = 'S3cr3t-device-token-of-this-counter-0123456789abcdef';
const PORTAL = 'https://sync.portal.example.in';

describe('the device token kept by the desktop app', () => {
  it('is sealed by the keychain in a 0600 file beside provisioning.json; the address stays readable; it reads back', async () => {
    const dir = tempDir();
    const { vault, calls } = fakeVault();
    const { keeper, warning } = await deviceTokenKeeper(dir, vault, 'linux');
    expect(warning).toBeNull();
    expect(keeper.protection).toBe('keychain');
    await keeper.write({ portalUrl: PORTAL, deviceToken: TOKEN });
    const file = join(dir, DEVICE_TOKEN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(JSON.parse(text)).toMatchObject({ version: 1, portalUrl: PORTAL, safeStorage: expect.any(String) });
    expect(await keeper.read()).toEqual({ portalUrl: PORTAL, deviceToken: TOKEN });
    expect(calls).toEqual({ encrypt: 1, decrypt: 1 });
    // a process without the keychain (the web bridge) cannot read it, and says why
    await expect(fileTokenKeeper(dir).read()).rejects.toThrow(/sealed by an OS keychain/);
  });

  it('another user’s keychain cannot open it: refused with a clear message, the file left alone', async () => {
    const dir = tempDir();
    await (
      await deviceTokenKeeper(dir, fakeVault({ secret: 1 }).vault, 'linux')
    ).keeper.write({ portalUrl: PORTAL, deviceToken: TOKEN });
    const before = readFileSync(join(dir, DEVICE_TOKEN_FILE));
    const other = (await deviceTokenKeeper(dir, fakeVault({ secret: 2 }).vault, 'linux')).keeper;
    await expect(other.read()).rejects.toThrow(DeviceTokenUnavailable);
    // what works: the two files moved aside, then a new code for the same counter on first run
    await expect(other.read()).rejects.toThrow(/move device-token\.json and provisioning\.json out of /);
    await expect(other.read()).rejects.toThrow(/new code for this same counter of this centre/);
    expect(readFileSync(join(dir, DEVICE_TOKEN_FILE)).equals(before)).toBe(true);
  });

  it('without a keychain: a 0600 file with the token, and a warning for the log; sealed once a keychain is there', async () => {
    for (const fake of [fakeVault({ available: false }), fakeVault({ backend: 'basic_text' })]) {
      const dir = tempDir();
      const { keeper, warning } = await deviceTokenKeeper(dir, fake.vault, 'linux');
      expect(keeper.protection).toBe('file');
      expect(warning).toMatch(/file permissions only \(0600\)/);
      await keeper.write({ portalUrl: PORTAL, deviceToken: TOKEN });
      expect(statSync(join(dir, DEVICE_TOKEN_FILE)).mode & 0o777).toBe(0o600);
      expect(fake.calls.encrypt).toBe(0);
      // the keyring set up later: the token is sealed on the next read
      const sealed = (await deviceTokenKeeper(dir, fakeVault().vault, 'linux')).keeper;
      expect(await sealed.read()).toEqual({ portalUrl: PORTAL, deviceToken: TOKEN });
      expect(readFileSync(join(dir, DEVICE_TOKEN_FILE), 'utf8')).not.toContain(TOKEN);
    }
    // Windows always has DPAPI
    expect((await deviceTokenKeeper(tempDir(), fakeVault({ backend: 'basic_text' }).vault, 'win32')).keeper.protection).toBe(
      'keychain',
    );
  });

  it('a file that is not one this app writes is refused by name', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, DEVICE_TOKEN_FILE),
      JSON.stringify({ version: 1, portalUrl: 'http://sync.example.in', token: TOKEN }),
    );
    const { keeper } = await deviceTokenKeeper(dir, fakeVault().vault, 'linux');
    await expect(keeper.read()).rejects.toThrow(/device-token\.json is not one this app writes/);
  });

  it('the counter opened with the sealed keeper takes its portal and token from it (provisioning.json has none)', async () => {
    const dir = tempDir();
    const { keeper } = await deviceTokenKeeper(dir, fakeVault().vault, 'linux');
    await keeper.write({ portalUrl: PORTAL, deviceToken: TOKEN });
    saveProvisioning(
      join(dir, 'provisioning.json'),
      provisioningSchema.parse({
        schemaVersion: 1,
        centre: { id: 'UP-LKO-CHC-01', name: 'CHC Aliganj' },
        counter: { code: 'A2', tokenPrefix: 'B' },
      }),
    );
    const backend = await CounterBackend.open({ dataDir: dir, log: silentLogger(), deviceTokens: keeper });
    try {
      expect(backend.provisioning?.portal).toEqual({ url: PORTAL, deviceToken: TOKEN });
    } finally {
      await backend.close();
    }
  });
});

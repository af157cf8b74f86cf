import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { RELEASE_PUBLIC_KEYS } from '../../main/updates/release-keys';
import { generateReleaseKeyPair, type ReleaseKey } from '../../main/updates/signature';
import { REQUIRED_FUSES } from '../dist/package-check';

const require = createRequire(import.meta.url);
const { load } = require('js-yaml') as { load: (s: string) => Record<string, unknown> };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration: (c: unknown, logger: unknown) => Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const config = load(readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8'));
type Config = Record<string, unknown>;
const policy = (await import('../../scripts/check-builder-config.mjs' as string)) as {
  builderPolicy: (c: Config) => string[];
  releasePolicy: (c: Config, keys: readonly ReleaseKey[]) => string[];
  REQUIRED_FUSES: Record<string, boolean>;
};
const copy = (): Config => structuredClone(config);
const section = (c: Config, key: string) => c[key] as Config;

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the schema check does catch a wrong option (so the test above means something)', async () => {
    const broken = { ...structuredClone(config), linux: { ...(config.linux as object), notAnOption: true } };
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/configuration/i);
  });

  it('packs Windows and Linux installers, keeps sqlite outside the asar and publishes for updates', () => {
    expect(JSON.stringify(config.win)).toContain('nsis');
    expect(JSON.stringify(config.linux)).toMatch(/AppImage|deb/);
    expect(config.asarUnpack).toEqual(expect.arrayContaining([expect.stringContaining('better-sqlite3')]));
    expect(config.publish).toMatchObject({ provider: 'generic' });
  });
});

describe('electron-builder.yml: what the counter requires (scripts/check-builder-config.mjs)', () => {
  it('passes as it is', () => {
    expect(policy.builderPolicy(copy())).toEqual([]);
  });

  it('sets every fuse the counter requires (the same list the package check reads back)', () => {
    expect(policy.REQUIRED_FUSES).toEqual(REQUIRED_FUSES);
    expect(config.electronFuses).toMatchObject(REQUIRED_FUSES);
    const c = copy();
    section(c, 'electronFuses').runAsNode = true;
    delete section(c, 'electronFuses').enableCookieEncryption;
    expect(policy.builderPolicy(c)).toEqual([
      'electronFuses.runAsNode must be false (is true)',
      'electronFuses.enableCookieEncryption must be true (is undefined)',
    ]);
  });

  it('a per-machine NSIS installer (an elevation prompt an operator cannot approve) is refused', () => {
    const c = copy();
    section(c, 'nsis').perMachine = true;
    expect(policy.builderPolicy(c)).toEqual([
      'nsis.perMachine must be false: an operator account cannot approve an elevation prompt',
    ]);
  });

  it('the MSI for IT and both Linux packages must stay', () => {
    const c = copy();
    section(c, 'win').target = ['nsis'];
    section(c, 'linux').target = ['AppImage'];
    expect(policy.builderPolicy(c)).toEqual([
      'win.target must include msi (per machine, for IT deployment tools)',
      "linux.target must include deb (IT's package tools)",
    ]);
  });

  it('names the publisher for electron-updater and keeps every signing secret out of the file', () => {
    const c = copy();
    section(section(c, 'win'), 'signtoolOptions').publisherName = [];
    section(section(c, 'win'), 'signtoolOptions').certificatePassword = 'hunter2';
    section(c, 'win').cscLink = 'build/cert.pfx';
    section(c, 'win').forceCodeSigning = false;
    expect(policy.builderPolicy(c)).toEqual([
      'win.signtoolOptions.publisherName must name the certificate subject (electron-updater checks it)',
      'win.forceCodeSigning must be true: an unsigned Windows build never ships',
      'signing secrets come from the environment, not the config: win.signtoolOptions.certificatePassword, win.cscLink',
    ]);
  });

  it('packs only the built app, unpacks the native modules and fonts, and updates from https', () => {
    const c = copy();
    (c.files as string[]).push('out/**/*');
    c.asarUnpack = (c.asarUnpack as string[]).filter((p) => !p.includes('@fontsource'));
    c.publish = { provider: 'generic', url: 'http://updates.example.org/' };
    expect(policy.builderPolicy(c)).toEqual([
      'files must include only out/main, out/preload, out/renderer and package.json (has out/main/**/*, out/preload/**/*, out/renderer/**/*, package.json, out/**/*)',
      'asarUnpack must include @fontsource/noto-sans-devanagari/files',
      'publish must be a generic https feed',
    ]);
  });
});

describe('the release check (npm run release:check, before npm run dist for a release)', () => {
  const noKeys =
    'publish.url is set (https://updates.example.org/registration-counter/${os}/${arch}) but RELEASE_PUBLIC_KEYS in ' +
    'main/updates/release-keys.ts is empty: a build made now refuses every update it is offered, for ever. Make the ' +
    'release key (npm run release:keygen) and add its entry there before npm run dist.';

  it('fails when a feed is published and the build trusts no release key', () => {
    expect(policy.releasePolicy(copy(), [])).toEqual([noKeys]);
  });

  it('passes with a release key listed, or with no feed published', () => {
    expect(policy.releasePolicy(copy(), [generateReleaseKeyPair().key])).toEqual([]);
    const c = copy();
    delete c.publish;
    expect(policy.releasePolicy(c, [])).toEqual([]);
  });

  it('fails on a key entry that is not an Ed25519 public key or not the key its id names', () => {
    const good = generateReleaseKeyPair().key;
    const other = generateReleaseKeyPair().key;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' });
    const problems = policy.releasePolicy(copy(), [
      good,
      { id: good.id, publicKey: other.publicKey },
      { id: '0123456789abcdef', publicKey: rsa.toString() },
      { id: 'fedcba9876543210', publicKey: 'not a key' },
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe(
      `main/updates/release-keys.ts: release key 2 (${good.id}): the key's id is ${other.id}, not ${good.id}`,
    );
    expect(problems[1]).toMatch(/release key 3 \(0123456789abcdef\) is not an Ed25519 public key: .*rsa/);
    expect(problems[2]).toMatch(/release key 4 \(fedcba9876543210\) is not an Ed25519 public key/);
  });

  it("the keys this source tree ships are well-formed Ed25519 keys (an empty list is the release check's to refuse)", () => {
    const problems = policy.releasePolicy(copy(), RELEASE_PUBLIC_KEYS);
    expect(problems).toEqual(RELEASE_PUBLIC_KEYS.length === 0 ? [noKeys] : []);
  });
});

/** The updater's rules one by one: signatures, the feed policy, the cap setting, staging buckets and the rate limiter. */
import { describe, expect, it } from 'vitest';
import { feedUrlFromAppUpdateYml, feedUrlRefusal, maxBytesPerSecond, planUpdates } from '../../main/updates/feed-policy';
import { classifyUpdateFailure } from '../../main/updates/refusal';
import { RELEASE_PUBLIC_KEYS } from '../../main/updates/release-keys';
import {
  generateReleaseKeyPair,
  releaseKeyId,
  releaseKeyProblems,
  signMetadata,
  verifyMetadataSignature,
} from '../../main/updates/signature';
import { inRollout, rolloutBucket } from '../../main/updates/staging';
import { RateLimiter } from '../../main/updates/throttle';

describe('metadata signatures', () => {
  const a = generateReleaseKeyPair();
  const b = generateReleaseKeyPair();
  const metadata = Buffer.from('version: 1.2.3\nfiles:\n  - url: a.AppImage\n');

  it('verify over the exact bytes with a trusted key, naming the key', () => {
    const sig = signMetadata(metadata, a.privateKey);
    expect(sig).toMatch(new RegExp(`^ed25519 ${a.key.id} [A-Za-z0-9+/]{86}==\\n$`));
    expect(a.key.id).toBe(releaseKeyId(a.key.publicKey));
    expect(verifyMetadataSignature(metadata, sig, [a.key])).toEqual({ ok: true, keyId: a.key.id });
    expect(verifyMetadataSignature(metadata, sig, [b.key, a.key]).ok).toBe(true);
  });

  it('refuse one changed byte, another key, a forged key id, a malformed or empty file, and no file', () => {
    const sig = signMetadata(metadata, a.privateKey);
    const changed = Buffer.from(metadata);
    changed[9] = changed[9]! ^ 1;
    expect(verifyMetadataSignature(changed, sig, [a.key])).toMatchObject({ ok: false, refusal: 'signature_invalid' });
    expect(verifyMetadataSignature(metadata, sig, [b.key])).toMatchObject({ ok: false, refusal: 'signature_invalid' });
    expect(verifyMetadataSignature(metadata, sig.replace(a.key.id, b.key.id), [a.key, b.key])).toMatchObject({
      ok: false,
      refusal: 'signature_invalid',
    });
    expect(verifyMetadataSignature(metadata, 'not a signature', [a.key])).toMatchObject({
      ok: false,
      refusal: 'signature_invalid',
    });
    expect(verifyMetadataSignature(metadata, '\n', [a.key])).toMatchObject({ ok: false, refusal: 'signature_missing' });
    expect(verifyMetadataSignature(metadata, null, [a.key])).toMatchObject({ ok: false, refusal: 'signature_missing' });
    expect(verifyMetadataSignature(metadata, sig, [])).toMatchObject({
      ok: false,
      detail: expect.stringContaining('trusts no release key'),
    });
  });

  it('the keys the app ships are Ed25519 public keys whose ids match them, listed once', () => {
    expect(releaseKeyProblems(RELEASE_PUBLIC_KEYS)).toEqual([]);
    for (const k of RELEASE_PUBLIC_KEYS) expect(releaseKeyId(k.publicKey)).toBe(k.id);
  });

  it('the key list check does catch a malformed entry (so the test above means something)', () => {
    const one = generateReleaseKeyPair().key;
    const two = generateReleaseKeyPair().key;
    expect(releaseKeyProblems([one, two])).toEqual([]);
    expect(releaseKeyProblems([one, { id: one.id, publicKey: two.publicKey }, one, { id: 'x', publicKey: 'not a key' }])).toEqual(
      [
        `release key 2 (${one.id}): the key's id is ${two.id}, not ${one.id}`,
        `release key 3 (${one.id}) is listed twice`,
        expect.stringMatching(/^release key 4 \(x\) is not an Ed25519 public key: /),
      ],
    );
  });
});

describe('the feed policy', () => {
  it('https anywhere, plain http only to this PC', () => {
    expect(feedUrlRefusal('https://updates.district.example/counter/')).toBeNull();
    for (const ok of ['http://127.0.0.1:8080/updates/', 'http://localhost/updates/', 'http://[::1]:9/x'])
      expect(feedUrlRefusal(ok)).toBeNull();
    for (const bad of [
      'http://updates.district.example/',
      'http://10.0.0.5/updates/',
      'ftp://127.0.0.1/',
      'file:///tmp/feed/',
      'not a url',
    ]) {
      expect(feedUrlRefusal(bad)).toBeTruthy();
    }
  });

  it('reads the feed URL electron-builder writes into app-update.yml', () => {
    expect(feedUrlFromAppUpdateYml('provider: generic\nurl: https://updates.example.org/rc/linux/x64\nchannel: latest\n')).toBe(
      'https://updates.example.org/rc/linux/x64',
    );
    expect(feedUrlFromAppUpdateYml("url: 'https://u.example/x'\n")).toBe('https://u.example/x');
    expect(feedUrlFromAppUpdateYml('provider: github\n')).toBeNull();
  });

  it('the cap: kilobits per second, 0 for none, 2 Mbit/s by default or when unreadable', () => {
    expect(maxBytesPerSecond(undefined)).toEqual({ bytesPerSecond: 250_000, warning: null });
    expect(maxBytesPerSecond('8000')).toEqual({ bytesPerSecond: 1_000_000, warning: null });
    expect(maxBytesPerSecond('0')).toEqual({ bytesPerSecond: null, warning: null });
    const bad = maxBytesPerSecond('fast');
    expect(bad.bytesPerSecond).toBe(250_000);
    expect(bad.warning).toContain('COUNTER_UPDATE_MAX_KBPS');
  });

  it('names electron-updater failures: checksum, publisher and unreadable metadata are refusals; the rest are errors', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    expect(classifyUpdateFailure(coded('ERR_CHECKSUM_MISMATCH'))).toMatchObject({
      kind: 'refused',
      refusal: 'file_checksum_mismatch',
    });
    expect(classifyUpdateFailure(coded('ERR_UPDATER_INVALID_SIGNATURE'))).toMatchObject({
      kind: 'refused',
      refusal: 'publisher_mismatch',
    });
    expect(classifyUpdateFailure(coded('ERR_UPDATER_INVALID_UPDATE_INFO'))).toMatchObject({
      kind: 'refused',
      refusal: 'metadata_invalid',
    });
    expect(classifyUpdateFailure(coded('ECONNREFUSED'))).toMatchObject({ kind: 'error' });
  });
});

describe('staging buckets', () => {
  it('are stable per device, spread evenly, and raising the percentage only adds counters', () => {
    expect(rolloutBucket('device-a')).toBe(rolloutBucket('device-a'));
    const ids = Array.from({ length: 2000 }, (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const buckets = ids.map(rolloutBucket);
    expect(buckets.every((x) => x >= 0 && x < 100)).toBe(true);
    const tenPercent = ids.filter((id) => inRollout(id, 10)).length / ids.length;
    expect(tenPercent).toBeGreaterThan(0.07);
    expect(tenPercent).toBeLessThan(0.13);
    for (const id of ids.slice(0, 200)) if (inRollout(id, 10)) expect(inRollout(id, 50)).toBe(true);
    expect(inRollout('x', undefined)).toBe(true);
    expect(inRollout('x', 100)).toBe(true);
    expect(inRollout('x', 0)).toBe(false);
  });
});

describe('the rate limiter', () => {
  it('lets a burst through, then spaces bytes at the cap', () => {
    let now = 0;
    const limiter = new RateLimiter(100_000, 250, () => now);
    expect(limiter.take(25_000)).toBe(0); // 250 ms of budget: the burst
    expect(limiter.take(10_000)).toBeCloseTo(100, 5);
    now = 1000; // idle for a while: only one burst is kept
    expect(limiter.take(25_000)).toBe(0);
    expect(limiter.take(50_000)).toBeCloseTo(500, 5);
  });
});

describe('which installations update themselves, and from where', () => {
  const yml = 'provider: generic\nurl: https://updates.district.example/counter/linux/x64\n';
  const plan = (o: Partial<Parameters<typeof planUpdates>[0]>) =>
    planUpdates({ env: {}, installKind: 'appimage', inAppUpdates: true, appUpdateYml: yml, ...o });

  it('an AppImage or NSIS installation checks the feed from app-update.yml, or COUNTER_UPDATE_URL, with the cap', () => {
    expect(plan({})).toEqual({
      updates: 'feed',
      feedUrl: 'https://updates.district.example/counter/linux/x64',
      maxBytesPerSecond: 250_000,
      warning: null,
    });
    expect(
      plan({
        installKind: 'nsis',
        env: { COUNTER_UPDATE_URL: 'https://portal.district.example/updates/win/', COUNTER_UPDATE_MAX_KBPS: '0' },
      }),
    ).toEqual({
      updates: 'feed',
      feedUrl: 'https://portal.district.example/updates/win/',
      maxBytesPerSecond: null,
      warning: null,
    });
  });

  it('MSI and .deb installations, a copy run from the source tree, COUNTER_UPDATES=off and no feed: off, saying why', () => {
    expect(plan({ installKind: 'msi', inAppUpdates: false })).toEqual({
      updates: 'off',
      detail: "this msi installation is updated by IT's own tools",
    });
    expect(plan({ installKind: 'deb', inAppUpdates: false }).updates).toBe('off');
    expect(plan({ installKind: 'dev', inAppUpdates: false })).toEqual({ updates: 'off', detail: null });
    expect(plan({ env: { COUNTER_UPDATES: 'off' } })).toMatchObject({
      updates: 'off',
      detail: expect.stringContaining('COUNTER_UPDATES=off'),
    });
    expect(plan({ appUpdateYml: null })).toMatchObject({ updates: 'off', detail: expect.stringContaining('no update feed') });
  });
});

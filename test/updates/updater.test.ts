/**
 * The counter's updater against a local feed on 127.0.0.1 with real electron-updater metadata,
 * driven through electron-updater itself (AppImageUpdater) with the app adapter and HTTP client
 * the counter gives it: no Electron needed. Installing is electron-updater's quitAndInstall,
 * replaced by a spy here (it would close the app).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InstallWindow, UpdateStatus } from '../../common/updates';
import { feedUpdates, type FeedUpdatesOptions } from '../../main/updates/feed-updater';
import { rolloutBucket } from '../../main/updates/staging';
import { generateReleaseKeyPair, type ReleaseKey } from '../../main/updates/signature';
import { CHANNEL_FILE, ManualSchedule, memoryLog, sha512, startFeed, testApp, writeRelease, type Feed } from './feed';

const RETRY_MS = 30 * 60_000;
const POLL_MS = 60_000;

let release: { privateKey: string; key: ReleaseKey };
let stranger: { privateKey: string; key: ReleaseKey };
beforeAll(() => {
  release = generateReleaseKeyPair();
  stranger = generateReleaseKeyPair();
});

let dir: string;
let feedDir: string;
let feed: Feed;
const savedAppImage = process.env.APPIMAGE;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'counter-updates-'));
  feedDir = join(dir, 'feed');
  writeRelease(feedDir, { version: '0.9.0', privateKey: release.privateKey });
  feed = await startFeed(feedDir);
  // the AppImage the counter runs from (electron-updater's AppImage updater needs it)
  process.env.APPIMAGE = join(dir, 'Registration-Counter-1.0.0.AppImage');
  writeFileSync(process.env.APPIMAGE, 'the running AppImage');
});
afterEach(async () => {
  await feed.close();
  if (savedAppImage === undefined) delete process.env.APPIMAGE;
  else process.env.APPIMAGE = savedAppImage;
  rmSync(dir, { recursive: true, force: true });
});

function counterUpdates(o: Partial<FeedUpdatesOptions> & { window?: () => InstallWindow } = {}) {
  const schedule = new ManualSchedule();
  const { log, lines } = memoryLog();
  const app = testApp(join(dir, 'app'));
  let window: InstallWindow = { mayInstall: false, reason: 'queue_active' };
  const { controller, updater } = feedUpdates({
    feedUrl: feed.url,
    app,
    platform: 'linux',
    deviceId: 'device-in-every-rollout',
    keys: [release.key],
    maxBytesPerSecond: null,
    requestTimeoutMs: 2_000,
    log,
    schedule: schedule.schedule,
    installWindow: o.window ?? (() => window),
    ...o,
  });
  const installs = vi.spyOn(updater, 'quitAndInstall').mockImplementation(() => {});
  const statuses: UpdateStatus[] = [];
  controller.onStatus((s) => statuses.push(s));
  return {
    controller,
    updater,
    schedule,
    lines,
    installs,
    statuses,
    app,
    setWindow: (w: InstallWindow) => (window = w),
  };
}

const fileRequests = () => feed.requests.filter((p) => p.endsWith('.AppImage'));
const refusalLogged = (lines: Array<Record<string, unknown>>, refusal: string) =>
  lines.some((l) => l.refusal === refusal && l.msg === 'an update was refused; nothing is installed');

describe('a good signed update', () => {
  it('is downloaded, becomes ready, and installs only when the install window allows', async () => {
    const good = writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey, bytes: Buffer.alloc(300_000, 7) });
    const u = counterUpdates();
    await u.controller.checkNow();

    const s = u.controller.status();
    expect(s).toMatchObject({ phase: 'ready', currentVersion: '1.0.0', version: '1.1.0', refusal: null, progressPercent: 100 });
    expect(u.statuses.map((x) => x.phase)).toEqual(expect.arrayContaining(['checking', 'downloading', 'ready']));
    // the downloaded file is the release, byte for byte, in electron-updater's cache
    const pending = join(u.app.baseCachePath, 'registration-counter-updater', 'pending');
    expect(readFileSync(join(pending, good.fileName)).equals(good.bytes)).toBe(true);
    expect(u.lines.some((l) => l.msg === 'update metadata signature verified' && l.keyId === release.key.id)).toBe(true);

    // the counter is busy: asked every minute, not installed
    expect(u.installs).not.toHaveBeenCalled();
    expect(u.schedule.run(POLL_MS)).toBe(1);
    expect(u.schedule.run(POLL_MS)).toBe(1);
    expect(u.installs).not.toHaveBeenCalled();
    expect(u.controller.status().phase).toBe('ready');

    // idle now: the next minute's question installs it, silently, and the app starts again
    u.setWindow({ mayInstall: true, reason: 'idle' });
    expect(u.schedule.run(POLL_MS)).toBe(1);
    expect(u.installs).toHaveBeenCalledTimes(1);
    expect(u.installs).toHaveBeenCalledWith(true, true);
    expect(u.controller.status().phase).toBe('installing');
    expect(u.schedule.pending().filter((t) => t.ms === POLL_MS)).toHaveLength(0);
  });

  it('installs at once when the supervisor chooses install now, whatever the window says', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey });
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status().phase).toBe('ready');
    u.controller.installNow();
    expect(u.installs).toHaveBeenCalledWith(true, true);
    expect(u.controller.status().phase).toBe('installing');
  });

  it('does nothing when the feed offers the running version or an older one', async () => {
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'idle', version: null });
    expect(fileRequests()).toEqual([]);
    expect(u.schedule.pending().map((t) => t.ms)).toEqual([6 * 60 * 60_000]);
  });

  it('is signed by either of two trusted keys while a new key is rolled out', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: stranger.privateKey });
    const u = counterUpdates({ keys: [release.key, stranger.key] });
    await u.controller.checkNow();
    expect(u.controller.status().phase).toBe('ready');
  });
});

describe('a refused update: nothing downloaded or installed, the refusal logged and shown', () => {
  it('a signature by a key the build does not trust', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: stranger.privateKey });
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'signature_invalid' });
    expect(u.controller.status().detail).toContain('does not trust');
    expect(fileRequests()).toEqual([]);
    expect(refusalLogged(u.lines, 'signature_invalid')).toBe(true);
    u.controller.installNow();
    expect(u.installs).not.toHaveBeenCalled();
  });

  it('no signature file', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: null });
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'signature_missing' });
    expect(fileRequests()).toEqual([]);
    expect(refusalLogged(u.lines, 'signature_missing')).toBe(true);
    expect(u.installs).not.toHaveBeenCalled();
  });

  it('metadata changed after it was signed (another file and checksum put in)', async () => {
    const evil = Buffer.alloc(70_000, 9);
    writeFileSync(join(feedDir, 'evil.AppImage'), evil);
    writeRelease(feedDir, {
      version: '1.1.0',
      privateKey: release.privateKey,
      tamper: (m) =>
        m
          .replaceAll(/Registration-Counter-1\.1\.0\.AppImage/g, 'evil.AppImage')
          .replaceAll(/sha512: .*/g, `sha512: ${sha512(evil)}`),
    });
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'signature_invalid' });
    expect(u.controller.status().detail).toContain('does not match');
    expect(fileRequests()).toEqual([]);
    expect(u.installs).not.toHaveBeenCalled();
  });

  it('a file whose sha512 is not the one the signed metadata gives', async () => {
    writeRelease(feedDir, {
      version: '1.1.0',
      privateKey: release.privateKey,
      claimedSha512: sha512(Buffer.from('another file')),
    });
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'file_checksum_mismatch', version: '1.1.0' });
    expect(fileRequests()).toHaveLength(1);
    expect(refusalLogged(u.lines, 'file_checksum_mismatch')).toBe(true);
    // nothing left for an install: the cache holds no downloaded update
    const pending = join(u.app.baseCachePath, 'registration-counter-updater', 'pending');
    expect(existsSync(pending) ? readdirSync(pending).filter((f) => f.endsWith('.AppImage')) : []).toEqual([]);
    u.controller.installNow();
    expect(u.installs).not.toHaveBeenCalled();
    // and it is checked again later (a corrected release may be published)
    expect(u.schedule.pending().map((t) => t.ms)).toContain(RETRY_MS);
  });

  it('a feed on plain http to another machine', async () => {
    const u = counterUpdates({ feedUrl: 'http://updates.example.org/registration-counter/' });
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'feed_not_https' });
    expect(u.controller.status().detail).toContain('https');
    expect(refusalLogged(u.lines, 'feed_not_https')).toBe(true);
    expect(u.installs).not.toHaveBeenCalled();
  });

  it('signed metadata whose file is on plain http elsewhere', async () => {
    writeRelease(feedDir, {
      version: '1.1.0',
      privateKey: release.privateKey,
      fileUrl: 'http://10.255.255.1/Registration-Counter-1.1.0.AppImage',
    });
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'feed_not_https' });
    expect(u.installs).not.toHaveBeenCalled();
  });

  it('a feed that redirects to plain http elsewhere (the redirect is not followed)', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey });
    feed.redirects.set(CHANNEL_FILE, `http://10.255.255.1/${CHANNEL_FILE}`);
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'feed_not_https' });
    expect(fileRequests()).toEqual([]);
  });

  it('metadata that is signed but not a release (no version)', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey });
    const broken = 'files: []\n';
    writeFileSync(join(feedDir, CHANNEL_FILE), broken);
    const { signMetadata } = await import('../../main/updates/signature');
    writeFileSync(join(feedDir, `${CHANNEL_FILE}.sig`), signMetadata(Buffer.from(broken), release.privateKey));
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'refused', refusal: 'metadata_invalid' });
  });
});

describe('staged rollout by the counter device ID', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `device-${i}`);
  const inside = ids.find((id) => rolloutBucket(id) < 25)!;
  const outside = ids.find((id) => rolloutBucket(id) >= 25)!;

  it('a counter inside the staged percentage takes the release', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey, stagingPercentage: 25 });
    const u = counterUpdates({ deviceId: inside });
    await u.controller.checkNow();
    expect(u.controller.status().phase).toBe('ready');
  });

  it('a counter outside it stays where it is, and takes it when the percentage is raised', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey, stagingPercentage: 25 });
    const u = counterUpdates({ deviceId: outside });
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'idle', version: null });
    expect(fileRequests()).toEqual([]);
    expect(u.lines.some((l) => l.msg === 'an update is staged for other counters first')).toBe(true);

    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey, stagingPercentage: 100 });
    expect(u.schedule.run(6 * 60 * 60_000)).toBe(1);
    await vi.waitFor(() => expect(u.controller.status().phase).toBe('ready'), { timeout: 5_000 });
  });
});

describe('a feed that is down or hangs never touches the counter', () => {
  it('down: the check ends in error and is tried again later, then succeeds', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey });
    feed.mode = 'down';
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'error', refusal: null });
    expect(u.controller.status().detail).toBeTruthy();
    expect(u.schedule.pending().map((t) => t.ms)).toEqual([RETRY_MS]);

    feed.mode = 'up';
    expect(u.schedule.run(RETRY_MS)).toBe(1);
    await vi.waitFor(() => expect(u.controller.status().phase).toBe('ready'), { timeout: 5_000 });
  });

  it('no server at all (connection refused)', async () => {
    await feed.close();
    const u = counterUpdates();
    await u.controller.checkNow();
    expect(u.controller.status().phase).toBe('error');
  });

  it('hanging: the request times out, the status answers at once meanwhile, and the check ends in error', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey });
    feed.mode = 'hang';
    const u = counterUpdates({ requestTimeoutMs: 300 });
    const started = performance.now();
    const check = u.controller.checkNow();
    const t0 = performance.now();
    expect(u.controller.status().phase).toBe('checking');
    u.controller.installNow(); // nothing ready: a no-op, not a wait
    expect(performance.now() - t0).toBeLessThan(20);
    await check;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(u.controller.status()).toMatchObject({ phase: 'error' });
    expect(u.controller.status().detail).toMatch(/timed out/i);
    expect(u.schedule.pending().map((t) => t.ms)).toContain(RETRY_MS);
  });

  it('a download that stalls half-way times out, leaves nothing to install, and is tried again', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey });
    feed.mode = 'stall';
    const u = counterUpdates({ requestTimeoutMs: 300 });
    await u.controller.checkNow();
    expect(u.controller.status()).toMatchObject({ phase: 'error', version: '1.1.0' });
    expect(u.controller.status().detail).toMatch(/timed out/i);
    const pending = join(u.app.baseCachePath, 'registration-counter-updater', 'pending');
    expect(existsSync(pending) ? readdirSync(pending).filter((f) => f.includes('AppImage')) : []).toEqual([]);
    u.controller.installNow();
    expect(u.installs).not.toHaveBeenCalled();

    feed.mode = 'up';
    expect(u.schedule.run(RETRY_MS)).toBe(1);
    await vi.waitFor(() => expect(u.controller.status().phase).toBe('ready'), { timeout: 5_000 });
  });

  it('hanging past the check deadline ends the check even if the socket stays open', async () => {
    feed.mode = 'hang';
    const u = counterUpdates({ requestTimeoutMs: 60_000, checkTimeoutMs: 200, schedule: undefined });
    await u.controller.checkNow();
    expect(u.controller.status().phase).toBe('error');
    expect(u.controller.status().detail).toMatch(/did not answer in time/);
    u.controller.stop();
  });
});

describe('the download cap', () => {
  it('a capped download takes as long as its size over the cap', async () => {
    writeRelease(feedDir, { version: '1.1.0', privateKey: release.privateKey, bytes: Buffer.alloc(1_000_000, 3) });
    const u = counterUpdates({ maxBytesPerSecond: 400_000 });
    const t0 = performance.now();
    await u.controller.checkNow();
    const seconds = (performance.now() - t0) / 1000;
    expect(u.controller.status().phase).toBe('ready');
    // 1 MB at 400 kB/s, less the 0.25 s burst allowance; progress is reported on the way (electron-updater: once a second)
    expect(seconds).toBeGreaterThan(2.1);
    expect(seconds).toBeLessThan(10);
    expect(
      u.statuses.some(
        (s) => s.phase === 'downloading' && s.progressPercent !== null && s.progressPercent > 0 && s.progressPercent < 100,
      ),
    ).toBe(true);
  });
});

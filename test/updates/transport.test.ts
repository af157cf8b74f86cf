/**
 * The feed's client over a transport that behaves like Electron's net (what the app uses, for
 * the PC's proxy settings): redirects come as 'redirect' events, and there is no socket for a
 * timeout. Redirects are still held to the https rule, and a silent feed still times out.
 */
import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { feedUpdates } from '../../main/updates/feed-updater';
import type { FeedRequest, FeedTransport } from '../../main/updates/http-executor';
import { generateReleaseKeyPair } from '../../main/updates/signature';
import { CHANNEL_FILE, ManualSchedule, memoryLog, startFeed, testApp, writeRelease, type Feed } from './feed';

/** Node's http underneath, Electron's net on top: 'redirect' events, no 'socket' event. */
function electronLikeTransport(seen: string[]): FeedTransport {
  return (options, onResponse) => {
    const outer = new EventEmitter() as FeedRequest;
    const url = `${options.protocol ?? 'https:'}//${options.hostname}:${String(options.port)}${options.path}`;
    seen.push(url);
    const inner = httpRequest({ ...options, timeout: undefined }, (res) => {
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.resume();
        outer.emit('redirect', res.statusCode, 'GET', new URL(location, url).href, res.headers);
        return;
      }
      onResponse(res);
    });
    inner.on('error', (e) => outer.emit('error', e));
    outer.end = () => inner.end();
    outer.abort = () => inner.destroy();
    return outer;
  };
}

const keys = generateReleaseKeyPair();
let dir: string;
let feed: Feed;
const savedAppImage = process.env.APPIMAGE;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'counter-transport-'));
  writeRelease(join(dir, 'feed'), { version: '1.1.0', privateKey: keys.privateKey });
  feed = await startFeed(join(dir, 'feed'));
  process.env.APPIMAGE = join(dir, 'Registration-Counter-1.0.0.AppImage');
  writeFileSync(process.env.APPIMAGE, 'running');
});
afterEach(async () => {
  await feed.close();
  if (savedAppImage === undefined) delete process.env.APPIMAGE;
  else process.env.APPIMAGE = savedAppImage;
  rmSync(dir, { recursive: true, force: true });
});

function updates(seen: string[], requestTimeoutMs = 2_000) {
  const { log } = memoryLog();
  const u = feedUpdates({
    feedUrl: feed.url,
    app: testApp(join(dir, 'app')),
    platform: 'linux',
    deviceId: 'device-1',
    keys: [keys.key],
    maxBytesPerSecond: 10_000_000,
    requestTimeoutMs,
    transport: electronLikeTransport(seen),
    log,
    schedule: new ManualSchedule().schedule,
    installWindow: () => ({ mayInstall: false, reason: 'signed_in' }),
  });
  vi.spyOn(u.updater, 'quitAndInstall').mockImplementation(() => {});
  return u.controller;
}

describe('the feed client over an Electron-like transport', () => {
  it('downloads a signed update, following a redirect inside the feed', async () => {
    mkdirSync(join(dir, 'feed', 'v2'));
    copyFileSync(join(dir, 'feed', CHANNEL_FILE), join(dir, 'feed', 'v2', CHANNEL_FILE));
    feed.redirects.set(CHANNEL_FILE, `${feed.url}v2/${CHANNEL_FILE}`);
    const seen: string[] = [];
    const c = updates(seen);
    await c.checkNow();
    expect(c.status()).toMatchObject({ phase: 'ready', version: '1.1.0' });
    expect(seen.some((u) => u.endsWith(`/v2/${CHANNEL_FILE}`))).toBe(true);
  });

  it('refuses a redirect to plain http elsewhere, without connecting there', async () => {
    feed.redirects.set(CHANNEL_FILE, `http://10.255.255.1/${CHANNEL_FILE}`);
    const seen: string[] = [];
    const c = updates(seen);
    await c.checkNow();
    expect(c.status()).toMatchObject({ phase: 'refused', refusal: 'feed_not_https' });
    expect(seen.some((u) => u.includes('10.255.255.1'))).toBe(false);
  });

  it('refuses a signature file larger than 1 KB and metadata larger than 256 KB, a redirect followed first', async () => {
    const sigFile = join(dir, 'feed', `${CHANNEL_FILE}.sig`);
    const signature = readFileSync(sigFile);
    writeFileSync(sigFile, Buffer.alloc(2 * 1024 * 1024, 'x'));
    const c = updates([]);
    await c.checkNow();
    expect(c.status()).toMatchObject({ phase: 'refused', refusal: 'signature_invalid' });
    expect(c.status().detail).toContain('larger than 1024 bytes');

    writeFileSync(sigFile, signature);
    mkdirSync(join(dir, 'feed', 'big'));
    writeFileSync(join(dir, 'feed', 'big', CHANNEL_FILE), `# ${'x'.repeat(300 * 1024)}\n`);
    feed.redirects.set(CHANNEL_FILE, `${feed.url}big/${CHANNEL_FILE}`);
    const seen: string[] = [];
    const d = updates(seen);
    await d.checkNow();
    expect(d.status()).toMatchObject({ phase: 'refused', refusal: 'metadata_invalid' });
    expect(d.status().detail).toContain('larger than 262144 bytes');
    expect(seen.some((u) => u.endsWith(`/big/${CHANNEL_FILE}`))).toBe(true);
  });

  it('times out a feed that stops sending, with no socket to watch', async () => {
    feed.mode = 'stall';
    const seen: string[] = [];
    const c = updates(seen, 300);
    const t0 = performance.now();
    await c.checkNow();
    expect(c.status()).toMatchObject({ phase: 'error', detail: 'Request timed out' });
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('times out a feed that never answers', async () => {
    feed.mode = 'hang';
    const c = updates([], 300);
    await c.checkNow();
    expect(c.status()).toMatchObject({ phase: 'error', detail: 'Request timed out' });
  });
});

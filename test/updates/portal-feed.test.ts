/**
 * The portal serving the update feed at /updates/... (`--updates-dir`): static, read-only, no
 * listings, no way out of the folder, the right content types, one byte range; and a counter
 * updating from it end to end.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { feedUpdates } from '../../main/updates/feed-updater';
import { generateReleaseKeyPair } from '../../main/updates/signature';
import { byteRange } from '../../portal/updates';
import { startPortal, type StartedPortal } from '../../portal/server';
import { CHANNEL_FILE, ManualSchedule, memoryLog, testApp, writeRelease, type Release } from './feed';

let dir: string;
let portal: StartedPortal;
let rel: Release;
const keys = generateReleaseKeyPair();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portal-updates-'));
  const feedDir = join(dir, 'feed');
  rel = writeRelease(feedDir, { version: '1.4.0', privateKey: keys.privateKey, bytes: Buffer.alloc(200_000, 5) });
  mkdirSync(join(feedDir, 'linux'));
  writeFileSync(join(feedDir, 'linux', 'notes.txt'), 'per-platform folders are served too\n');
  writeFileSync(join(feedDir, '.env'), 'SECRET=1\n');
  writeFileSync(join(dir, 'outside.txt'), 'not part of the feed\n');
  symlinkSync(join(dir, 'outside.txt'), join(feedDir, 'escape.txt'));
  portal = await startPortal({ dbFile: ':memory:', updatesDir: feedDir });
});
afterAll(async () => {
  await portal.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request (fetch would resolve the dots in the path before sending it). */
function get(path: string, o: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: portal.port, path, method: o.method ?? 'GET', headers: o.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.setTimeout(5_000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    },
  );
}

describe('the portal serves the update feed read-only', () => {
  it('the metadata as uncached YAML, the signature as text, the installer as bytes', async () => {
    const yml = await get(`/updates/${CHANNEL_FILE}`);
    expect(yml.status).toBe(200);
    expect(yml.headers['content-type']).toBe('text/yaml; charset=utf-8');
    expect(yml.headers['cache-control']).toBe('no-cache');
    expect(yml.body.toString()).toBe(rel.metadata);
    const sig = await get(`/updates/${CHANNEL_FILE}.sig`);
    expect(sig.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(sig.body.toString()).toMatch(/^ed25519 /);
    const file = await get(`/updates/${rel.fileName}`);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/octet-stream');
    expect(file.headers['content-length']).toBe(String(rel.bytes.length));
    expect(file.body.equals(rel.bytes)).toBe(true);
    expect((await get('/updates/linux/notes.txt')).status).toBe(200);
  });

  it('HEAD and one byte range (a resumed download); an unsatisfiable range is 416', async () => {
    const head = await get(`/updates/${rel.fileName}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['accept-ranges']).toBe('bytes');
    const part = await get(`/updates/${rel.fileName}`, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${rel.bytes.length}`);
    expect(part.body.equals(rel.bytes.subarray(100, 200))).toBe(true);
    const tail = await get(`/updates/${rel.fileName}`, { headers: { range: 'bytes=-10' } });
    expect(tail.body.equals(rel.bytes.subarray(rel.bytes.length - 10))).toBe(true);
    const beyond = await get(`/updates/${rel.fileName}`, { headers: { range: `bytes=${rel.bytes.length}-` } });
    expect(beyond.status).toBe(416);
    expect(byteRange('bytes=0-1,5-6', 10)).toBeNull();
  });

  it('refuses paths that leave the folder, hidden files, symbolic links out, folders and listings', async () => {
    for (const path of [
      '/updates/../outside.txt',
      '/updates/%2e%2e/outside.txt',
      '/updates/..%2foutside.txt',
      '/updates/linux/../../outside.txt',
      '/updates/linux/%2e%2e/%2e%2e/outside.txt',
      '/updates/%2fetc%2fpasswd',
      '/updates/..%5coutside.txt',
      '/updates/escape.txt',
      '/updates/.env',
      '/updates/%2eenv',
      '/updates/',
      '/updates/linux',
      '/updates/linux/',
      '/updates/nothing-here.yml',
      '/updates/%zz',
      '/updates/a%00b',
    ]) {
      const r = await get(path);
      // 404, or 400 where the portal's router refuses the encoding before the feed sees it
      expect({ path, refused: r.status === 404 || r.status === 400 }).toEqual({ path, refused: true });
      expect(r.body.toString()).not.toContain('not part of the feed');
      expect(r.body.toString()).not.toContain('SECRET');
    }
  });

  it('is read-only', async () => {
    const put = await get(`/updates/${CHANNEL_FILE}`, { method: 'PUT' });
    expect(put.status).toBeGreaterThanOrEqual(400);
    const del = await get(`/updates/${CHANNEL_FILE}`, { method: 'DELETE' });
    expect(del.status).toBeGreaterThanOrEqual(400);
    expect((await get(`/updates/${CHANNEL_FILE}`)).body.toString()).toBe(rel.metadata);
  });
});

it('a portal given a feed folder that does not exist does not start, and says why', async () => {
  await expect(startPortal({ dbFile: ':memory:', updatesDir: join(dir, 'no-such-folder') })).rejects.toThrow(
    /update feed folder .*no-such-folder does not exist/,
  );
});

it('a counter updates from the portal’s feed', async () => {
  const savedAppImage = process.env.APPIMAGE;
  process.env.APPIMAGE = join(dir, 'Registration-Counter-1.0.0.AppImage');
  writeFileSync(process.env.APPIMAGE, 'running');
  try {
    const { log } = memoryLog();
    const { controller, updater } = feedUpdates({
      feedUrl: `${portal.url}/updates/`,
      app: testApp(join(dir, 'app')),
      platform: 'linux',
      deviceId: 'device-1',
      keys: [keys.key],
      maxBytesPerSecond: null,
      log,
      schedule: new ManualSchedule().schedule,
      installWindow: () => ({ mayInstall: false, reason: 'signed_in' }),
    });
    vi.spyOn(updater, 'quitAndInstall').mockImplementation(() => {});
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ phase: 'ready', version: '1.4.0' });
  } finally {
    if (savedAppImage === undefined) delete process.env.APPIMAGE;
    else process.env.APPIMAGE = savedAppImage;
  }
});

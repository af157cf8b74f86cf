/**
 * A hostile update feed: a signature or metadata file that is far too large (declared, or
 * streamed with no length at all) is refused after a few kilobytes, its connection closed,
 * and a check or download past its deadline stops its transfer instead of reading on in the
 * background. The server counts what it has written when the counter closes the socket.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { feedUpdates, type FeedUpdatesOptions } from '../../main/updates/feed-updater';
import { MAX_METADATA_BYTES } from '../../main/updates/provider';
import { generateReleaseKeyPair, type ReleaseKey } from '../../main/updates/signature';
import { CHANNEL_FILE, ManualSchedule, memoryLog, testApp, writeRelease } from './feed';

/** What a path of the hostile feed does. */
type Behaviour =
  | { kind: 'file'; bytes: Buffer }
  /** a content-length of `declared`, then `chunk`-sized pieces every `everyMs` */
  | { kind: 'declared'; declared: number; chunk: number; everyMs: number }
  /** no content-length: `chunk`-sized pieces every `everyMs`, for ever (bounded by `upTo`) */
  | { kind: 'endless'; chunk: number; everyMs: number; upTo: number };

interface Transfer {
  /** bytes of body written so far */
  written: number;
  /** bytes written when the socket closed (null: still open) */
  writtenAtClose: number | null;
  closed: Promise<void>;
}

interface HostileFeed {
  url: string;
  routes: Map<string, Behaviour>;
  /** each request by file name, the latest last */
  transfers: Map<string, Transfer[]>;
  close(): Promise<void>;
}

async function startHostileFeed(): Promise<HostileFeed> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const feed: HostileFeed = { url: '', routes: new Map(), transfers: new Map(), close: async () => {} };
  const stream = (req: IncomingMessage, res: ServerResponse, b: Exclude<Behaviour, { kind: 'file' }>, t: Transfer) => {
    const limit = b.kind === 'declared' ? b.declared : b.upTo;
    const piece = Buffer.alloc(b.chunk, 'x');
    const tick = setInterval(() => {
      if (req.socket.destroyed || t.writtenAtClose !== null) {
        clearInterval(tick);
        timers.delete(tick);
        return;
      }
      if (t.written >= limit) {
        clearInterval(tick);
        timers.delete(tick);
        res.end();
        return;
      }
      const n = Math.min(piece.length, limit - t.written);
      t.written += n;
      res.write(piece.subarray(0, n));
    }, b.everyMs);
    timers.add(tick);
  };
  const server: Server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.replace(/^\/updates\//, '');
    let markClosed = () => {};
    const t: Transfer = { written: 0, writtenAtClose: null, closed: new Promise<void>((r) => (markClosed = r)) };
    req.socket.once('close', () => {
      t.writtenAtClose = t.written;
      markClosed();
    });
    feed.transfers.set(name, [...(feed.transfers.get(name) ?? []), t]);
    const b = feed.routes.get(name);
    if (!b) {
      res.writeHead(404, { connection: 'close' }).end();
      return;
    }
    if (b.kind === 'file') {
      t.written = b.bytes.length;
      res.writeHead(200, { 'content-length': b.bytes.length, connection: 'close' }).end(b.bytes);
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      connection: 'close',
      ...(b.kind === 'declared' ? { 'content-length': b.declared } : {}),
    });
    res.flushHeaders();
    stream(req, res, b, t);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  feed.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/updates/`;
  feed.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return feed;
}

let release: { privateKey: string; key: ReleaseKey };
beforeAll(() => {
  release = generateReleaseKeyPair();
});

let dir: string;
let feed: HostileFeed;
let installer: string;
const savedAppImage = process.env.APPIMAGE;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'counter-hostile-feed-'));
  const good = writeRelease(join(dir, 'release'), { version: '1.1.0', privateKey: release.privateKey });
  installer = good.fileName;
  feed = await startHostileFeed();
  feed.routes.set(CHANNEL_FILE, { kind: 'file', bytes: Buffer.from(good.metadata) });
  feed.routes.set(`${CHANNEL_FILE}.sig`, {
    kind: 'file',
    bytes: readFileSync(join(dir, 'release', `${CHANNEL_FILE}.sig`)),
  });
  feed.routes.set(installer, { kind: 'file', bytes: good.bytes });
  process.env.APPIMAGE = join(dir, 'Registration-Counter-1.0.0.AppImage');
  writeFileSync(process.env.APPIMAGE, 'the running AppImage');
});
afterEach(async () => {
  await feed.close();
  if (savedAppImage === undefined) delete process.env.APPIMAGE;
  else process.env.APPIMAGE = savedAppImage;
  rmSync(dir, { recursive: true, force: true });
});

function counterUpdates(o: Partial<FeedUpdatesOptions> = {}) {
  const { log } = memoryLog();
  const { controller, updater } = feedUpdates({
    feedUrl: feed.url,
    app: testApp(join(dir, 'app')),
    platform: 'linux',
    deviceId: 'device-in-every-rollout',
    keys: [release.key],
    maxBytesPerSecond: null,
    requestTimeoutMs: 5_000,
    log,
    schedule: new ManualSchedule().schedule,
    installWindow: () => ({ mayInstall: false, reason: 'queue_active' }),
    ...o,
  });
  vi.spyOn(updater, 'quitAndInstall').mockImplementation(() => {});
  return controller;
}

/** The one transfer of `name`, once its socket has closed (or a failure after 5 s). */
async function closedTransfer(name: string): Promise<Transfer> {
  const t = feed.transfers.get(name)?.at(-1);
  expect(t, `${name} was requested`).toBeDefined();
  await Promise.race([
    t!.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${name}: the socket is still open`)), 5_000)),
  ]);
  return t!;
}

const KB = 1024;
const MB = 1024 * KB;

describe('a signature file far larger than any signature', () => {
  it('declared as 10 MB: refused, and the socket closed before 64 KB were written', async () => {
    feed.routes.set(`${CHANNEL_FILE}.sig`, { kind: 'declared', declared: 10 * MB, chunk: 4 * KB, everyMs: 2 });
    const controller = counterUpdates();
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ phase: 'refused', refusal: 'signature_invalid', version: null });
    const t = await closedTransfer(`${CHANNEL_FILE}.sig`);
    expect(t.writtenAtClose).toBeLessThan(64 * KB);
    expect(controller.status().detail).toMatch(/larger than 1024 bytes/);
    expect(feed.transfers.get(installer)).toBeUndefined();
  });

  it('streamed with no length, for ever: refused, and the socket closed before 64 KB were written', async () => {
    feed.routes.set(`${CHANNEL_FILE}.sig`, { kind: 'endless', chunk: 4 * KB, everyMs: 2, upTo: 16 * MB });
    const controller = counterUpdates();
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ phase: 'refused', refusal: 'signature_invalid' });
    const t = await closedTransfer(`${CHANNEL_FILE}.sig`);
    expect(t.writtenAtClose).toBeLessThan(64 * KB);
  });
});

describe('a metadata file larger than 256 KB', () => {
  it('declared as 10 MB: refused before its body is read, the socket closed before 64 KB were written', async () => {
    feed.routes.set(CHANNEL_FILE, { kind: 'declared', declared: 10 * MB, chunk: 4 * KB, everyMs: 2 });
    const controller = counterUpdates();
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ phase: 'refused', refusal: 'metadata_invalid' });
    expect(controller.status().detail).toMatch(/larger than 262144 bytes/);
    const t = await closedTransfer(CHANNEL_FILE);
    expect(t.writtenAtClose).toBeLessThan(64 * KB);
  });

  it('streamed with no length, for ever: refused once past 256 KB, the socket closed soon after', async () => {
    feed.routes.set(CHANNEL_FILE, { kind: 'endless', chunk: 4 * KB, everyMs: 2, upTo: 16 * MB });
    const controller = counterUpdates();
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ phase: 'refused', refusal: 'metadata_invalid' });
    const t = await closedTransfer(CHANNEL_FILE);
    expect(t.writtenAtClose).toBeGreaterThan(MAX_METADATA_BYTES);
    expect(t.writtenAtClose).toBeLessThan(MAX_METADATA_BYTES + 64 * KB);
  });
});

describe('deadlines stop the transfer, not only the wait', () => {
  it('a check past its deadline closes the metadata request that is still trickling in', async () => {
    // 100 bytes every 50 ms: never silent long enough for the request timeout, never done
    feed.routes.set(CHANNEL_FILE, { kind: 'endless', chunk: 100, everyMs: 50, upTo: 200 * KB });
    const controller = counterUpdates({ checkTimeoutMs: 300, schedule: undefined });
    try {
      await controller.checkNow();
      expect(controller.status().phase).toBe('error');
      expect(controller.status().detail).toMatch(/did not answer in time/);
      const t = await closedTransfer(CHANNEL_FILE);
      expect(t.writtenAtClose).toBeLessThan(20 * KB);
    } finally {
      controller.stop();
    }
  });

  it('a download past its deadline closes the installer request that is still trickling in', async () => {
    feed.routes.set(installer, { kind: 'declared', declared: 64 * KB, chunk: 100, everyMs: 50 });
    const controller = counterUpdates({ downloadTimeoutMs: 400, schedule: undefined });
    try {
      await controller.checkNow();
      expect(controller.status()).toMatchObject({ phase: 'error', version: '1.1.0' });
      expect(controller.status().detail).toMatch(/took too long/);
      const t = await closedTransfer(installer);
      expect(t.writtenAtClose).toBeLessThan(20 * KB);
    } finally {
      controller.stop();
    }
  });
});

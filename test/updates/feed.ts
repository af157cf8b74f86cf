/**
 * A local update feed for the updater's tests and the benchmark: a folder of release files as
 * electron-builder lays them out (the installer, latest-linux.yml with version, files[url,
 * sha512, size], path, sha512, releaseDate and stagingPercentage, and the metadata's detached
 * signature), served on 127.0.0.1 by the portal's own static handler, with switches for a feed
 * that is down (connections reset) or hangs (accepts and never answers).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import pino from 'pino';
import type { Logger } from '../../main/logging/logger';
import { signMetadata } from '../../main/updates/signature';
import { serveUpdateFile, UPDATES_PREFIX } from '../../portal/updates';

/** The metadata file electron-updater reads on Linux for this machine's architecture. */
export const CHANNEL_FILE = `latest-linux${process.arch === 'x64' ? '' : `-${process.arch}`}.yml`;

export const sha512 = (bytes: Uint8Array): string => createHash('sha512').update(bytes).digest('base64');

export interface ReleaseOptions {
  version: string;
  /** the installer's bytes (default: 64 KiB derived from the version) */
  bytes?: Buffer;
  stagingPercentage?: number;
  /** signs the metadata with this private key; null: no signature file */
  privateKey: string | null;
  /** the sha512 the metadata claims (default: the file's own) */
  claimedSha512?: string;
  /** the file URL written in the metadata (default: the file's name) */
  fileUrl?: string;
  /** changes the metadata after signing it */
  tamper?: (metadata: string) => string;
}

export interface Release {
  version: string;
  fileName: string;
  bytes: Buffer;
  metadata: string;
}

/** Writes one release into `dir` (replacing the channel file and its signature). */
export function writeRelease(dir: string, o: ReleaseOptions): Release {
  mkdirSync(dir, { recursive: true });
  const fileName = `Registration-Counter-${o.version}.AppImage`;
  const bytes = o.bytes ?? Buffer.alloc(64 * 1024, `release ${o.version} `);
  writeFileSync(join(dir, fileName), bytes);
  const claimed = o.claimedSha512 ?? sha512(bytes);
  const url = o.fileUrl ?? fileName;
  const metadata = [
    `version: ${o.version}`,
    'files:',
    `  - url: ${url}`,
    `    sha512: ${claimed}`,
    `    size: ${bytes.length}`,
    `path: ${url}`,
    `sha512: ${claimed}`,
    `releaseDate: '2026-12-01T10:00:00.000Z'`,
    ...(o.stagingPercentage === undefined ? [] : [`stagingPercentage: ${o.stagingPercentage}`]),
    '',
  ].join('\n');
  const sigFile = join(dir, `${CHANNEL_FILE}.sig`);
  rmSync(sigFile, { force: true });
  if (o.privateKey !== null) writeFileSync(sigFile, signMetadata(Buffer.from(metadata), o.privateKey));
  writeFileSync(join(dir, CHANNEL_FILE), o.tamper ? o.tamper(metadata) : metadata);
  return { version: o.version, fileName, bytes, metadata };
}

export interface Feed {
  /** the feed's folder URL (http://127.0.0.1:PORT/updates/) */
  url: string;
  /** the paths requested, in order */
  requests: string[];
  /** 'down': every connection is reset; 'hang': accepted and never answered; 'stall': files stop half-way */
  mode: 'up' | 'down' | 'hang' | 'stall';
  /** path below the feed -> where it redirects */
  redirects: Map<string, string>;
  close(): Promise<void>;
}

export async function startFeed(dir: string): Promise<Feed> {
  const sockets = new Set<Socket>();
  const feed: Feed = { url: '', requests: [], mode: 'up', redirects: new Map(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    feed.requests.push(path.split('?')[0]!);
    if (feed.mode === 'hang') return;
    if (feed.mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (!path.startsWith(UPDATES_PREFIX)) {
      res.writeHead(404).end();
      return;
    }
    const name = path.slice(UPDATES_PREFIX.length).split('?')[0]!;
    const location = feed.redirects.get(name);
    if (location) {
      res.writeHead(302, { location }).end();
      return;
    }
    if (feed.mode === 'stall' && name.endsWith('.AppImage')) {
      // the headers and a first part, then nothing more
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 10_000_000 });
      res.write(Buffer.alloc(20_000, 1));
      return;
    }
    serveUpdateFile(dir, path.slice(UPDATES_PREFIX.length).split('?')[0]!, req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  feed.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${UPDATES_PREFIX}`;
  feed.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return feed;
}

/** electron-updater's view of a packaged app at `version`, with its files under `dir`. */
export function testApp(dir: string, version = '1.0.0'): AppAdapter & { quits: number } {
  mkdirSync(join(dir, 'cache'), { recursive: true });
  const config = join(dir, 'app-update.yml');
  writeFileSync(
    config,
    'provider: generic\nurl: https://updates.example.org/\nupdaterCacheDirName: registration-counter-updater\n',
  );
  const app = {
    version,
    name: 'registration-counter',
    isPackaged: true,
    appUpdateConfigPath: config,
    userDataPath: dir,
    baseCachePath: join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => {},
    quit: () => {
      app.quits++;
    },
    onQuit: () => {},
    quits: 0,
  };
  return app;
}

/** A logger that keeps its lines (parsed) for the test to read. */
export function memoryLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/** A schedule the test drives: nothing runs until the test runs it. */
export class ManualSchedule {
  tasks: Array<{ fn: () => void; ms: number; done: boolean }> = [];
  readonly schedule = (fn: () => void, ms: number): (() => void) => {
    const task = { fn, ms, done: false };
    this.tasks.push(task);
    return () => {
      task.done = true;
    };
  };
  pending(): Array<{ ms: number }> {
    return this.tasks.filter((t) => !t.done);
  }
  /** Runs the pending tasks scheduled `ms` ahead (the deadlines of work in flight are left alone). */
  run(ms: number): number {
    const due = this.tasks.filter((t) => !t.done && t.ms === ms);
    for (const t of due) {
      t.done = true;
      t.fn();
    }
    return due.length;
  }
}

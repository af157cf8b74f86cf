/**
 * The counter while an update downloads: a counter backend with a rush-day queue answers
 * dispatch() calls (the IPC handlers' path) arriving every few milliseconds, while the updater,
 * in the same process, downloads a 100 MB release from a local signed feed (no cap: the most
 * the download can take from the event loop). Each call's latency runs from when it was due to
 * arrive to its answer, so time the event loop spends on the download counts. The same loop
 * without a download, in the same run, is the baseline.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import { prng, walkInForm } from '../common/demo/people';
import { silentLogger } from '../main/logging/logger';
import { feedUpdates } from '../main/updates/feed-updater';
import { generateReleaseKeyPair, signMetadata } from '../main/updates/signature';
import { serveUpdateFile, UPDATES_PREFIX } from '../portal/updates';
import { openBenchCounter, type BenchCounter } from './counter';
import { latencyMetrics, round, summarize, type Benchmark, type BenchContext, type Metric } from './stats';

const FILE_MB = 100;
const QUEUE_TICKETS = 300;
/**
 * a call is due every this many ms (20 a second: a busy operator's page makes a few); more
 * often, and on a loaded PC the calls' own cost (getQueue of a long queue) queues them up
 */
const CALL_EVERY_MS = 25;
const BASELINE_CALLS = 600;
/** downloads one after another (each into a fresh cache), so enough calls fall during them */
const DOWNLOADS = 5;
/** and one with the cap on (the throttle's timers at work), at a fast LAN's share */
const CAPPED_MBIT = 80;
const TARGET_P99_MS = 20;
const CHANNEL_FILE = `latest-linux${process.arch === 'x64' ? '' : `-${process.arch}`}.yml`;

async function writeRelease(dir: string): Promise<{ fileName: string; sha512: string; size: number }> {
  mkdirSync(dir, { recursive: true });
  const fileName = 'Registration-Counter-9.0.0.AppImage';
  const hash = createHash('sha512');
  const out = createWriteStream(join(dir, fileName));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < FILE_MB; i++) {
    chunk.fill(i % 251);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { fileName, sha512: hash.digest('base64'), size: FILE_MB * 1024 * 1024 };
}

async function startFeed(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(UPDATES_PREFIX)) return void res.writeHead(404).end();
    serveUpdateFile(dir, path.slice(UPDATES_PREFIX.length), req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${UPDATES_PREFIX}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function benchApp(dir: string): AppAdapter {
  mkdirSync(join(dir, 'cache'), { recursive: true });
  writeFileSync(
    join(dir, 'app-update.yml'),
    'provider: generic\nurl: https://updates.example.org/\nupdaterCacheDirName: bench-updater\n',
  );
  return {
    version: '1.0.0',
    name: 'registration-counter',
    isPackaged: true,
    appUpdateConfigPath: join(dir, 'app-update.yml'),
    userDataPath: dir,
    baseCachePath: join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => {},
    quit: () => {},
    onQuit: () => {},
  };
}

/** The operator's page at work: mostly reading the queue, now and then a walk-in. */
function counterCalls(counter: BenchCounter): (i: number) => Promise<unknown> {
  const r = prng(77);
  return async (i) => {
    if (i % 10 === 9) {
      return counter.dispatch('registerWalkIn', { submissionId: randomUUID(), form: walkInForm(r), acknowledgedDuplicates: [] });
    }
    return counter.dispatch(i % 2 ? 'getQueue' : 'getAppState', {});
  };
}

/**
 * Calls due every CALL_EVERY_MS from now until `until()` says stop (or `max` calls); each
 * latency is from when the call was due to its answer.
 */
async function callLoop(call: (i: number) => Promise<unknown>, until: () => boolean, max: number): Promise<number[]> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < max && !until(); i++) {
    const due = start + i * CALL_EVERY_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else await new Promise((r) => setImmediate(r));
    await call(i);
    latencies.push(performance.now() - due);
  }
  return latencies;
}

const downloadIpc: Benchmark = {
  name: 'update_download',
  description: `IPC latency of a rush-day counter while the updater downloads a ${FILE_MB} MB release in the same process (and without)`,
  async run(ctx: BenchContext): Promise<Metric[]> {
    const counter = await openBenchCounter(ctx.tempDir('update-counter'));
    const savedAppImage = process.env.APPIMAGE;
    const feedDir = ctx.tempDir('update-feed');
    const appDir = ctx.tempDir('update-app');
    let feed: { url: string; close(): Promise<void> } | null = null;
    try {
      const r = prng(5);
      for (let i = 0; i < QUEUE_TICKETS; i++) {
        await counter.dispatch('registerWalkIn', { submissionId: randomUUID(), form: walkInForm(r), acknowledgedDuplicates: [] });
      }
      ctx.progress(`update_download: ${QUEUE_TICKETS} walk-ins waiting; writing a ${FILE_MB} MB release`);
      const release = await writeRelease(feedDir);
      const keys = generateReleaseKeyPair();
      const metadata = [
        'version: 9.0.0',
        'files:',
        `  - url: ${release.fileName}`,
        `    sha512: ${release.sha512}`,
        `    size: ${release.size}`,
        `path: ${release.fileName}`,
        `sha512: ${release.sha512}`,
        `releaseDate: '${new Date().toISOString()}'`,
        '',
      ].join('\n');
      writeFileSync(join(feedDir, CHANNEL_FILE), metadata);
      writeFileSync(join(feedDir, `${CHANNEL_FILE}.sig`), signMetadata(Buffer.from(metadata), keys.privateKey));
      feed = await startFeed(feedDir);
      process.env.APPIMAGE = join(appDir, 'Registration-Counter-1.0.0.AppImage');
      writeFileSync(process.env.APPIMAGE, 'running');

      const call = counterCalls(counter);
      ctx.progress('update_download: baseline (no download)');
      const baseLoop = monitorEventLoopDelay({ resolution: 1 });
      baseLoop.enable();
      const baseline = await callLoop(call, () => false, BASELINE_CALLS);
      baseLoop.disable();

      ctx.progress(`update_download: ${DOWNLOADS} downloads of ${FILE_MB} MB while the counter answers calls`);
      let rounds = 0;
      /** one download of the release into a fresh cache while the counter answers calls */
      const downloadWhileCalling = async (maxBytesPerSecond: number | null, loop: ReturnType<typeof monitorEventLoopDelay>) => {
        const roundDir = join(appDir, `round-${rounds++}`);
        const { controller } = feedUpdates({
          feedUrl: feed!.url,
          app: benchApp(roundDir),
          platform: 'linux',
          deviceId: counter.backend.deviceId,
          keys: [keys.key],
          maxBytesPerSecond,
          log: silentLogger(),
          installWindow: () => ({ mayInstall: false, reason: 'queue_active' }),
        });
        loop.enable();
        let done = false;
        const t0 = performance.now();
        const download = controller.checkNow().finally(() => (done = true));
        const latencies = await callLoop(call, () => done, 1_000_000);
        await download;
        const seconds = (performance.now() - t0) / 1000;
        loop.disable();
        controller.stop();
        const status = controller.status();
        if (status.phase !== 'ready') throw new Error(`the download did not finish: ${status.phase} ${status.detail ?? ''}`);
        rmSync(roundDir, { recursive: true, force: true });
        return { latencies, seconds };
      };
      const loop = monitorEventLoopDelay({ resolution: 1 });
      const during: number[] = [];
      let seconds = 0;
      for (let i = 0; i < DOWNLOADS; i++) {
        const r = await downloadWhileCalling(null, loop);
        during.push(...r.latencies);
        seconds += r.seconds;
      }
      seconds /= DOWNLOADS;
      ctx.progress(`update_download: one more at a cap of ${CAPPED_MBIT} Mbit/s`);
      const cappedLoop = monitorEventLoopDelay({ resolution: 1 });
      const capped = await downloadWhileCalling((CAPPED_MBIT * 1_000_000) / 8, cappedLoop);

      const note = `${FILE_MB} MB in ${seconds.toFixed(1)} s (${(FILE_MB / seconds).toFixed(0)} MB/s, no cap; mean of ${DOWNLOADS}), a call due every ${CALL_EVERY_MS} ms`;
      const withDownload = latencyMetrics('update_download_ipc', during, TARGET_P99_MS);
      for (const m of withDownload) m.note = `${summarize(during).n} calls during the download; ${note}`;
      const base = latencyMetrics('update_baseline_ipc', baseline);
      return [
        ...withDownload,
        ...base,
        { metric: 'update_download_seconds', value: round(seconds, 2), unit: 's', note },
        {
          metric: 'update_download_loop_delay_p99_ms',
          value: round(loop.percentile(99) / 1e6),
          unit: 'ms',
          note: `event-loop delay during the download, max ${(loop.max / 1e6).toFixed(1)} ms`,
        },
        ...latencyMetrics('update_download_capped_ipc', capped.latencies, TARGET_P99_MS).map((m) => ({
          ...m,
          note: `${capped.latencies.length} calls during one download capped at ${CAPPED_MBIT} Mbit/s (${capped.seconds.toFixed(1)} s; event-loop delay p99 ${(cappedLoop.percentile(99) / 1e6).toFixed(1)} ms)`,
        })),
        {
          metric: 'update_baseline_loop_delay_p99_ms',
          value: round(baseLoop.percentile(99) / 1e6),
          unit: 'ms',
          note: `event-loop delay without a download, max ${(baseLoop.max / 1e6).toFixed(1)} ms`,
        },
      ];
    } finally {
      if (savedAppImage === undefined) delete process.env.APPIMAGE;
      else process.env.APPIMAGE = savedAppImage;
      await feed?.close();
      await counter.close();
    }
  },
};

export const benchmarks: Benchmark[] = [downloadIpc];

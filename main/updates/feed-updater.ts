/**
 * electron-updater set up for the counter: the signed feed (provider.ts), the feed's own HTTP
 * client with the https rule, timeouts and the download cap (http-executor.ts), staged rollout
 * by the counter's device ID (staging.ts), full downloads checked against the signed sha512,
 * and no install on quit (the controller decides when). No Electron import: the app passes
 * electron-updater's ElectronAppAdapter; tests pass their own AppAdapter.
 */
import type { CancellationToken } from 'builder-util-runtime';
import { AppImageUpdater, NsisUpdater, type AppUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import type { Logger } from '../logging/logger';
import type { InstallWindow } from '../../common/updates';
import { UpdateController, type UpdateControllerOptions, type UpdateEngine } from './controller';
import { FeedHttpExecutor, type FeedTransport } from './http-executor';
import { signedFeedOptions } from './provider';
import { RELEASE_PUBLIC_KEYS } from './release-keys';
import { inRollout, rolloutBucket } from './staging';
import type { ReleaseKey } from './signature';
import { RateLimiter } from './throttle';

export interface FeedUpdaterOptions {
  /** the folder URL of the feed (https; http only to loopback) */
  feedUrl: string;
  /** electron-updater's view of the app: version, paths, quit */
  app: AppAdapter;
  /** which electron-updater installs: NSIS on Windows, AppImage on Linux */
  platform: 'win32' | 'linux';
  /** the counter's stable device ID (staged rollout); a function when the counter opens after the updater is made */
  deviceId: string | (() => string);
  /** the trusted release keys (default: the ones this build ships) */
  keys?: readonly ReleaseKey[];
  /** the download cap in bytes per second (null: none) */
  maxBytesPerSecond: number | null;
  /** a request that gets nothing for this long fails (default 30 s) */
  requestTimeoutMs?: number;
  /** how requests are sent (default: Node's http/https; the app passes Electron's net) */
  transport?: FeedTransport;
  log: Logger;
}

/** The token of each updater's check in progress (set by engineOf's check, read by the feed provider). */
const checkTokens = new WeakMap<AppUpdater, { current: CancellationToken | null }>();

/** electron-updater's updater for this platform, with the counter's feed, client and rules. */
export function createFeedUpdater(o: FeedUpdaterOptions): AppUpdater {
  const updater: AppUpdater = o.platform === 'win32' ? new NsisUpdater(null, o.app) : new AppImageUpdater(null, o.app);
  const executor = new FeedHttpExecutor({
    limiter: o.maxBytesPerSecond === null ? null : new RateLimiter(o.maxBytesPerSecond),
    timeoutMs: o.requestTimeoutMs ?? 30_000,
    ...(o.transport ? { transport: o.transport } : {}),
  });
  // electron-updater keeps its HTTP client in an undeclared field; it must be set before setFeedURL,
  // which hands it to the provider
  (updater as unknown as { httpExecutor: FeedHttpExecutor }).httpExecutor = executor;
  updater.logger = {
    info: (m?: unknown) => o.log.debug({ updater: String(m) }, 'electron-updater'),
    warn: (m?: unknown) => o.log.warn({ updater: String(m) }, 'electron-updater'),
    error: (m?: unknown) => o.log.warn({ updater: String(m).split('\n')[0] }, 'electron-updater'),
  };
  updater.autoDownload = false;
  updater.autoInstallOnAppQuit = false;
  updater.allowDowngrade = false;
  updater.allowPrerelease = false;
  updater.disableWebInstaller = true;
  // one full file, checked against the signed sha512 (a differential download rebuilds it from pieces)
  updater.disableDifferentialDownload = true;
  const id = o.deviceId;
  const deviceId = typeof id === 'string' ? () => id : id;
  updater.isUserWithinRollout = (info) => {
    const inside = inRollout(deviceId(), info.stagingPercentage);
    if (!inside) {
      o.log.info(
        {
          version: info.version,
          stagingPercentage: info.stagingPercentage,
          bucket: Number(rolloutBucket(deviceId()).toFixed(2)),
        },
        'an update is staged for other counters first',
      );
    }
    return inside;
  };
  const checks: { current: CancellationToken | null } = { current: null };
  checkTokens.set(updater, checks);
  updater.setFeedURL(
    signedFeedOptions({
      url: o.feedUrl,
      checkToken: () => checks.current,
      keys: o.keys ?? RELEASE_PUBLIC_KEYS,
      onVerified: (file, keyId) => o.log.info({ file, keyId }, 'update metadata signature verified'),
    }),
  );
  return updater;
}

/** The controller's view of an electron-updater updater. */
export function engineOf(updater: AppUpdater): UpdateEngine {
  return {
    async check(token) {
      // electron-updater takes no token for a check: the provider reads this one
      const checks = checkTokens.get(updater);
      if (checks) checks.current = token;
      try {
        const result = await updater.checkForUpdates();
        if (!result) return null;
        return { available: result.isUpdateAvailable, version: result.updateInfo.version };
      } finally {
        if (checks?.current === token) checks.current = null;
      }
    },
    async download(token) {
      await updater.downloadUpdate(token);
    },
    install: () => updater.quitAndInstall(true, true),
    onProgress: (listener) => void updater.on('download-progress', (p) => listener(p.percent)),
    onError: (listener) => void updater.on('error', listener),
  };
}

export type FeedUpdatesOptions = FeedUpdaterOptions &
  Omit<UpdateControllerOptions, 'engine' | 'currentVersion' | 'log' | 'installWindow'> & {
    installWindow: () => InstallWindow;
  };

/** The counter's updates from a signed feed: the UpdatePort for the counter, not started yet. */
export function feedUpdates(o: FeedUpdatesOptions): { controller: UpdateController; updater: AppUpdater } {
  const updater = createFeedUpdater(o);
  const controller = new UpdateController({ ...o, engine: engineOf(updater), currentVersion: o.app.version });
  return { controller, updater };
}

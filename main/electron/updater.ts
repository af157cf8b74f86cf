/**
 * Fleet updates in the app (the work is in main/updates, which does not import Electron):
 * only an NSIS (per-user) or AppImage installation updates itself; MSI and .deb installations
 * are updated by IT's tools and show updates as 'off'. The feed is COUNTER_UPDATE_URL or the
 * `publish.url` electron-builder wrote into app-update.yml; the download cap is
 * COUNTER_UPDATE_MAX_KBPS (kilobits per second, 0 = none; 2 Mbit/s by default). The updater is
 * made before the counter opens (the counter takes its port) and started once it has: it asks
 * the counter for its device ID (staged rollout) and whether a ready update may install.
 * On Windows, electron-updater's publisher check (publisherName in app-update.yml) stays on.
 */
import { app } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElectronAppAdapter } from 'electron-updater/out/ElectronAppAdapter';
import type { InstallWindow, UpdatePort } from '../../common/updates';
import type { Logger } from '../logging/logger';
import { updatesOff } from '../updates/controller';
import { feedUpdates } from '../updates/feed-updater';
import { feedUrlFromAppUpdateYml, maxBytesPerSecond } from '../updates/feed-policy';
import { detectInstallKind, inAppUpdatesAllowed } from './install-kind';

export interface AppUpdates {
  /** for the counter (BackendOptions.updates) */
  port: UpdatePort;
  /** begins the background checks (once the counter has opened) */
  start(): void;
  stop(): void;
}

export interface CounterSide {
  deviceId: () => string;
  installWindow: () => InstallWindow;
}

function feedFromAppUpdateYml(): string | null {
  const file = join(process.resourcesPath, 'app-update.yml');
  if (!existsSync(file)) return null;
  return feedUrlFromAppUpdateYml(readFileSync(file, 'utf8'));
}

export function createUpdater(log: Logger, counter: CounterSide): AppUpdates {
  const version = app.getVersion();
  const off = (detail: string | null): AppUpdates => ({ port: updatesOff(version, detail), start: () => {}, stop: () => {} });
  if (process.env.COUNTER_UPDATES === 'off') return off('updates are turned off on this PC (COUNTER_UPDATES=off)');
  const kind = detectInstallKind({
    platform: process.platform,
    isPackaged: app.isPackaged,
    env: process.env,
    resourcesPath: process.resourcesPath,
    execPath: process.execPath,
    fileExists: existsSync,
  });
  if (!inAppUpdatesAllowed(kind)) return off(kind === 'dev' ? null : `this ${kind} installation is updated by IT's own tools`);
  const feedUrl = process.env.COUNTER_UPDATE_URL ?? feedFromAppUpdateYml();
  if (!feedUrl) return off('no update feed is set (publish.url in electron-builder.yml, or COUNTER_UPDATE_URL)');
  const cap = maxBytesPerSecond(process.env.COUNTER_UPDATE_MAX_KBPS);
  if (cap.warning) log.warn(cap.warning);
  const { controller } = feedUpdates({
    feedUrl,
    app: new ElectronAppAdapter(),
    platform: process.platform === 'win32' ? 'win32' : 'linux',
    deviceId: counter.deviceId,
    maxBytesPerSecond: cap.bytesPerSecond,
    log,
    installWindow: counter.installWindow,
  });
  log.info({ feedUrl, kind, maxBytesPerSecond: cap.bytesPerSecond }, 'updates: checking the feed in the background');
  return { port: controller, start: () => controller.start(), stop: () => controller.stop() };
}

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
import { ElectronAppAdapter } from 'electron-updater/out/ElectronAppAdapter.js';
import type { InstallWindow, UpdatePort } from '../../common/updates';
import type { Logger } from '../logging/logger';
import { updatesOff } from '../updates/controller';
import { feedUpdates } from '../updates/feed-updater';
import { planUpdates } from '../updates/feed-policy';
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

function appUpdateYml(): string | null {
  const file = join(process.resourcesPath, 'app-update.yml');
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

export function createUpdater(log: Logger, counter: CounterSide): AppUpdates {
  const version = app.getVersion();
  const installKind = detectInstallKind({
    platform: process.platform,
    isPackaged: app.isPackaged,
    env: process.env,
    resourcesPath: process.resourcesPath,
    execPath: process.execPath,
    fileExists: existsSync,
  });
  const plan = planUpdates({
    env: process.env,
    installKind,
    inAppUpdates: inAppUpdatesAllowed(installKind),
    appUpdateYml: app.isPackaged ? appUpdateYml() : null,
  });
  if (plan.updates === 'off') {
    if (plan.detail) log.info({ installKind }, `updates: ${plan.detail}`);
    return { port: updatesOff(version, plan.detail), start: () => {}, stop: () => {} };
  }
  if (plan.warning) log.warn(plan.warning);
  const { controller } = feedUpdates({
    feedUrl: plan.feedUrl,
    app: new ElectronAppAdapter(),
    platform: process.platform === 'win32' ? 'win32' : 'linux',
    deviceId: counter.deviceId,
    maxBytesPerSecond: plan.maxBytesPerSecond,
    log,
    installWindow: counter.installWindow,
  });
  log.info(
    { feedUrl: plan.feedUrl, installKind, maxBytesPerSecond: plan.maxBytesPerSecond },
    'updates: checking the feed in the background',
  );
  return { port: controller, start: () => controller.start(), stop: () => controller.stop() };
}

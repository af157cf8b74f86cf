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
import { app, net, session, type Session } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElectronAppAdapter } from 'electron-updater/out/ElectronAppAdapter.js';
import type { IncomingMessage } from 'node:http';
import type { InstallWindow, UpdatePort } from '../../common/updates';
import type { Logger } from '../logging/logger';
import { updatesOff } from '../updates/controller';
import { feedUpdates } from '../updates/feed-updater';
import type { FeedRequest, FeedTransport } from '../updates/http-executor';
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

/**
 * Requests through Electron's net, as electron-updater's own client does: the PC's proxy
 * settings apply, redirects come back as events (the feed's client checks each against the
 * https rule), and nothing is cached.
 */
function electronNetTransport(): FeedTransport {
  let ses: Session | null = null;
  return (options, onResponse) => {
    ses ??= session.fromPartition('electron-updater', { cache: false });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    const request = net.request({
      method: options.method ?? 'GET',
      protocol: options.protocol === 'http:' ? 'http:' : 'https:',
      hostname: options.hostname ?? undefined,
      ...(options.port ? { port: Number(options.port) } : {}),
      path: options.path ?? '/',
      headers,
      redirect: 'manual',
      session: ses,
    });
    request.on('response', (response) => onResponse(response as unknown as IncomingMessage));
    return request as unknown as FeedRequest;
  };
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
    transport: electronNetTransport(),
    log,
    installWindow: counter.installWindow,
  });
  log.info(
    { feedUrl: plan.feedUrl, installKind, maxBytesPerSecond: plan.maxBytesPerSecond },
    'updates: checking the feed in the background',
  );
  return { port: controller, start: () => controller.start(), stop: () => controller.stop() };
}

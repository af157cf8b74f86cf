/**
 * Fleet updates with electron-updater. Hospital IT points the app at their own update
 * server (generic provider, `publish` in electron-builder.yml or COUNTER_UPDATE_URL). An
 * update is downloaded in the background and installed when the app quits: never in the
 * middle of a queue.
 */
import { app } from 'electron';
import electronUpdater from 'electron-updater';
import type { Logger } from '../logging/logger';

const SIX_HOURS = 6 * 60 * 60 * 1000;

export function startUpdater(log: Logger): void {
  if (!app.isPackaged || process.env.COUNTER_UPDATES === 'off') return;
  const { autoUpdater } = electronUpdater;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;
  const feed = process.env.COUNTER_UPDATE_URL;
  if (feed) autoUpdater.setFeedURL({ provider: 'generic', url: feed });
  autoUpdater.on('error', (err) => log.warn({ err: err.message }, 'update check failed'));
  autoUpdater.on('update-downloaded', (info) => log.info({ version: info.version }, 'update downloaded; installs on quit'));
  const check = () => autoUpdater.checkForUpdates().catch((err: Error) => log.warn({ err: err.message }, 'update check failed'));
  void check();
  setInterval(check, SIX_HOURS).unref();
}

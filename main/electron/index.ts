/**
 * The Electron main process: one window, the counter backend (SQLite, services), the IPC
 * handlers and the updater. Everything else lives in modules that do not import Electron.
 */
import { app, BrowserWindow, dialog, net, protocol, safeStorage } from 'electron';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedDemo } from '../demo/seed';
import { createDispatcher } from '../ipc/dispatcher';
import { createLogger, logsDir, openCounterLog } from '../logging/logger';
import { UpgradeCopyError, UpgradeFailedError } from '../store/database';
import { CounterBackend } from '../counter';
import { readPin } from '../admin/terminal';
import { adminArgs, runAdminCommand } from './admin-command';
import {
  APP_INDEX_URL,
  APP_SCHEME,
  boardPageUrl,
  boardPreloadFile,
  devNativeBinding,
  isAppSchemeUrl,
  packagedNativeBinding,
  preloadFile,
  rendererDir,
  rendererReply,
  syncWorkerFile,
} from './app-paths';
import { loadDatabaseKey } from './database-key';
import { deviceTokenKeeper } from './device-token';
import { registerIpc } from './ipc';
import { createBoardWindow, registerBoardIpc } from './board-window';
import { boardSpeechReply, type BoardSpeechOptions, type BoardSpeechSource } from './board-speech';
import { hardenSession, hardenWebContents, SECURE_WEB_PREFERENCES } from './security';
import { createUpdater } from './updater';
import { electronSystemPrinter } from './system-printer';

const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
/** the folder of the built main bundle (out/main); every other path is computed from it (app-paths.ts) */
const mainDir = dirname(fileURLToPath(import.meta.url));
const appUrl = devServerUrl ?? APP_INDEX_URL;
/** the waiting hall's board page, in its own window on the hall's screen (board-window.ts) */
const boardUrl = boardPageUrl(devServerUrl);
// the renderer is served as app://counter/ (not file://): a standard, secure scheme, so module
// scripts, fonts and the CSP's 'self' work as on the web with no extra file:// privileges; CORS
// applies to it as to http, so the board page from a dev server may fetch its speech here
// (board-speech.ts answers that origin alone)
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
  },
]);

let mainWindow: BrowserWindow | null = null;
const itCommand = adminArgs(process.argv);

if (itCommand) {
  // IT's recovery command: no window, and it may run beside the open counter (no single-instance lock)
  app.whenReady().then(
    async () => {
      const code = await runAdminCommand(
        itCommand,
        safeStorage,
        { platform: process.platform, defaultDataDir: process.env.COUNTER_DATA_DIR ?? app.getPath('userData') },
        {
          out: (line) => console.log(line),
          err: (line) => console.error(line),
          env: process.env,
          readPin,
          osUser: userInfo().username,
        },
      ).catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        return 1;
      });
      app.exit(code);
    },
    () => app.exit(1),
  );
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('web-contents-created', (_e, contents) => {
    hardenWebContents(contents, appUrl);
    if (!devServerUrl) {
      // exactly app://counter/ (an app: URL's origin is "null", like data:'s, so compare scheme and host)
      const onlyApp = (event: { preventDefault: () => void }, url: string) => {
        if (!isAppSchemeUrl(url)) event.preventDefault();
      };
      contents.on('will-navigate', onlyApp);
      contents.on('will-redirect', onlyApp);
    }
  });
  app.on('window-all-closed', () => app.quit());
  app.whenReady().then(start, (err: unknown) => fatal(err));
}

/**
 * In development, a build of better-sqlite3-multiple-ciphers (the SQLite with encryption) for
 * Electron's ABI, kept beside the Node one (see README). A plain better-sqlite3 build would not
 * encrypt: the store refuses it when given a key. Packaged, electron-builder has rebuilt the
 * module in node_modules for Electron.
 */
function electronNativeBinding(): string | undefined {
  if (app.isPackaged) return packagedNativeBinding(app.getAppPath());
  const p = devNativeBinding(app.getAppPath(), process.versions.electron);
  return existsSync(p) ? p : undefined;
}

/**
 * Serves app://counter/...: a call's speech for the board (board-speech.ts), and the built
 * renderer from its folder (inside app.asar when packaged): only files under that folder,
 * anything else is 404. During development the pages come from the dev server and only the
 * speech is served here.
 */
function serveApp(speech: BoardSpeechSource, log: BoardSpeechOptions['log']): void {
  const dir = devServerUrl ? null : rendererDir(mainDir);
  const speechOptions: BoardSpeechOptions = {
    fetchFile: (fileUrl) => net.fetch(fileUrl),
    log,
    ...(devServerUrl ? { allowOrigin: new URL(devServerUrl).origin } : {}),
  };
  protocol.handle(APP_SCHEME, async (request) => {
    const spoken = await boardSpeechReply(request.url, speech, speechOptions);
    if (spoken) return spoken;
    const reply = dir
      ? await rendererReply(dir, request.url, readFile)
      : { status: 404, body: 'not found', contentType: 'text/plain; charset=utf-8' };
    return new Response(reply.body, { status: reply.status, headers: { 'content-type': reply.contentType } });
  });
}

async function start(): Promise<void> {
  const dataDir = process.env.COUNTER_DATA_DIR ?? app.getPath('userData');
  // <dataDir>/logs/counter.<day>.<n>.log, rotated by day and size, 14 days kept
  const { log } = await openCounterLog(dataDir).catch((e: unknown) => {
    const fallback = createLogger();
    fallback.error({ err: e, dir: join(dataDir, 'logs') }, 'the log folder cannot be written: logging to the console');
    return { log: fallback };
  });
  let backend: CounterBackend | undefined;
  // the board window on a display of the PC: the counter's supervisor opens and closes it through this port
  const board = createBoardWindow({
    preload: boardPreloadFile(mainDir),
    pageUrl: boardUrl,
    devTools: !app.isPackaged,
    log,
  });
  // the updater is made first (the counter shows its status) and asks the counter, once open,
  // for its device ID (staged rollout) and whether a ready update may install now
  const updates = createUpdater(log, {
    deviceId: () => backend?.deviceId ?? '',
    installWindow: () => backend?.updateInstallWindow() ?? { mayInstall: false, reason: 'queue_active' },
  });
  try {
    // the database key, kept by the OS keychain; without one the counter does not start unless IT allows it
    const database = await loadDatabaseKey(dataDir, safeStorage, {
      platform: process.platform,
      allowUnencrypted: process.env.COUNTER_ALLOW_UNENCRYPTED === '1',
    });
    if (database.warning) log.warn({ dataDir }, database.warning);
    else if (database.created) log.info({ dataDir }, 'a new database key was made and kept with the OS keychain');
    // an enrolled counter's device token: sealed by the OS keychain where there is one, else a 0600 file
    const deviceTokens = await deviceTokenKeeper(dataDir, safeStorage, process.platform);
    if (deviceTokens.warning) log.warn({ dataDir }, deviceTokens.warning);
    backend = await CounterBackend.open({
      dataDir,
      log,
      databaseKey: database.key,
      nativeBinding: electronNativeBinding(),
      systemPrinter: electronSystemPrinter(() => mainWindow),
      syncWorker: { file: syncWorkerFile(mainDir) },
      appVersion: app.getVersion(),
      updates: updates.port,
      deviceTokens: deviceTokens.keeper,
      boardScreen: board,
    });
  } catch (err) {
    // (an upgrade that failed says which copy of the database was put back, and what to do)
    log.fatal({ err }, 'the counter cannot start');
    log.flush();
    return fatal(err, dataDir);
  }
  if (process.env.COUNTER_DEMO === '1') await seedDemo(backend);
  hardenSession();
  serveApp(backend, log);
  const dispatch = createDispatcher(backend, { validateResponses: !app.isPackaged });
  registerIpc(dispatch, backend, () => mainWindow, appUrl);
  // the board's own channels: its view and events, and nothing of the operator's (its speech: serveApp)
  registerBoardIpc(backend, () => board.window(), boardUrl);
  createWindow();
  if (mainWindow) board.followMainWindow(mainWindow);
  // the board was open when the app last closed: it opens again on its display (or waits for it)
  const boardSettings = backend.boardSettings();
  if (boardSettings.windowOpen) board.open(boardSettings.displayId);
  updates.start();
  const opened = backend;
  app.on('before-quit', () => {
    updates.stop();
    board.dispose();
    void opened.close();
  });
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1366,
    height: 768,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    autoHideMenuBar: true,
    title: 'Registration Counter',
    webPreferences: {
      ...SECURE_WEB_PREFERENCES,
      preload: preloadFile(mainDir),
      devTools: !app.isPackaged,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  if (devServerUrl) void mainWindow.loadURL(devServerUrl);
  else void mainWindow.loadURL(APP_INDEX_URL);
}

function fatal(err: unknown, dataDir?: string): void {
  const message = err instanceof Error ? err.message : String(err);
  if (dataDir !== undefined && (err instanceof UpgradeFailedError || err instanceof UpgradeCopyError)) {
    // the operator's words first, in both languages; then IT's (the copy put back, what to do)
    dialog.showErrorBox(
      'The counter database could not be upgraded / काउंटर का डेटा अपग्रेड नहीं हो सका',
      `Call hospital IT. / अस्पताल IT को बुलाएँ।\n\n${message}\n\nLog files: ${logsDir(dataDir)}`,
    );
  } else dialog.showErrorBox('The counter cannot start', message);
  app.exit(1);
}

/**
 * The waiting hall's board as a second window, full screen on a display of the PC (a TV on
 * HDMI): BoardScreenPort for the counter's services, and the board's own IPC. The board window
 * has the main window's security settings, its own preload (window.board: read the view, hear
 * the events, fetch a call's speech from board-speech.ts's route) and no operator session: it is
 * not a client of the dispatcher, and its page cannot reach the operator's channels (ipc.ts
 * answers only the main window) nor the main window's page the board's (answered only to the
 * board window).
 */
import { BrowserWindow, ipcMain, screen, type Display, type IpcMainInvokeEvent } from 'electron';
import { BOARD_CHANNELS, type BoardEvent, type BoardView } from '../../common/board';
import type { BoardDisplay, BoardScreenPort } from '../services/board';
import { hardenWebContents, isAppUrl, SECURE_WEB_PREFERENCES } from './security';

/** What the board window logs (pino's Logger fits). */
export interface BoardLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BoardWindowOptions {
  /** the built board preload (app-paths.ts boardPreloadFile) */
  preload: string;
  /** the board page (app-paths.ts boardPageUrl) */
  pageUrl: string;
  /** DevTools only in development */
  devTools: boolean;
  log: BoardLog;
}

/** The board window as the desktop app drives it: the port, plus what the shell needs. */
export interface BoardWindow extends BoardScreenPort {
  /** the open board window, or null */
  window(): BrowserWindow | null;
  /** the board closes when the operator's window closes (so the app can quit) */
  followMainWindow(main: BrowserWindow): void;
  /** stops following the displays (the app is quitting) */
  dispose(): void;
}

/** The board's background while its page loads: the page's own (renderer/src/board/palette.ts), so the TV never flashes white. */
export const BOARD_BACKGROUND = '#0d1117';

/** A display's name for the supervisor: the platform's (e.g. "SAMSUNG") or its place in the list. */
export function displayLabel(display: Pick<Display, 'label' | 'internal'>, index: number): string {
  const label = display.label.trim();
  if (label !== '') return label;
  return display.internal ? 'Built-in display' : `Display ${index + 1}`;
}

/** The displays as the port gives them: size in the display's own pixels (as its settings show it, e.g. 1920 x 1080). */
export function toBoardDisplays(displays: Display[], primaryId: number): BoardDisplay[] {
  return displays.map((d, i) => ({
    id: d.id,
    label: displayLabel(d, i),
    primary: d.id === primaryId,
    width: Math.round(d.size.width * d.scaleFactor),
    height: Math.round(d.size.height * d.scaleFactor),
  }));
}

/**
 * The display the board opens on: the one asked for; else (none asked, or it is gone) the first
 * that is not the primary. With only the primary left, the board opens there only when no
 * display was asked for: a TV that is gone never makes the board cover the operator's screen.
 */
export function pickDisplay(displays: Display[], primary: Display, wanted: number | null): Display | null {
  if (wanted !== null) {
    const exact = displays.find((d) => d.id === wanted);
    if (exact) return exact;
  }
  const other = displays.find((d) => d.id !== primary.id);
  if (other) return other;
  return wanted === null ? primary : null;
}

/** Exactly the board page (its scheme, host and path): the operator's page is not the board. */
export function isBoardPageUrl(url: string, pageUrl: string): boolean {
  if (!isAppUrl(url, pageUrl)) return false;
  try {
    return new URL(url).pathname === new URL(pageUrl).pathname;
  } catch {
    return false;
  }
}

/** The board window's own top frame, at the board page: the only sender the board's channels answer. */
export function isBoardSender(event: IpcMainInvokeEvent, board: BrowserWindow | null, pageUrl: string): boolean {
  const frame = event.senderFrame;
  if (!board || board.isDestroyed() || !frame) return false;
  return event.sender === board.webContents && frame === event.sender.mainFrame && isBoardPageUrl(frame.url, pageUrl);
}

/** How many times a board page that stopped is loaded again in one opening of the window. */
export const BOARD_RELOADS = 3;

export function createBoardWindow(options: BoardWindowOptions): BoardWindow {
  const { log } = options;
  let win: BrowserWindow | null = null;
  /** the display the board is on */
  let onDisplay: number | null = null;
  /** the display last asked for (null: any but the primary) */
  let wanted: number | null = null;
  /** the board was closed because its display went away: it opens again when a display comes back */
  let reopen = false;

  const live = (): BrowserWindow | null => (win && !win.isDestroyed() ? win : null);

  const create = (display: Display): void => {
    const { x, y, width, height } = display.bounds;
    const w = new BrowserWindow({
      x,
      y,
      width,
      height,
      fullscreen: true,
      frame: false,
      autoHideMenuBar: true,
      show: false,
      backgroundColor: BOARD_BACKGROUND,
      title: 'Board / बोर्ड',
      webPreferences: {
        ...SECURE_WEB_PREFERENCES,
        preload: options.preload,
        devTools: options.devTools,
        // the hall hears the calls with no click on the TV (nothing else is granted)
        autoplayPolicy: 'no-user-gesture-required',
      },
    });
    w.setMenu(null);
    hardenWebContents(w.webContents, options.pageUrl);
    // the board window shows the board page and nothing else (not even the operator's page)
    w.webContents.on('will-navigate', (event, url) => {
      if (!isBoardPageUrl(url, options.pageUrl)) event.preventDefault();
    });
    // a board page that crashed (the TV's PC short of memory, a GPU fault) loads again, a few times
    let reloads = 0;
    w.webContents.on('render-process-gone', (_event, details) => {
      if (details.reason === 'clean-exit' || w.isDestroyed()) return;
      if (reloads >= BOARD_RELOADS) {
        log.warn({ reason: details.reason }, 'the board page stopped again: it is not loaded again until the board is reopened');
        return;
      }
      reloads += 1;
      log.warn({ reason: details.reason, reloads }, 'the board page stopped: loading it again');
      void w.loadURL(options.pageUrl);
    });
    // the operator keeps the keyboard: the board never takes the focus from the counter
    w.once('ready-to-show', () => w.showInactive());
    w.on('closed', () => {
      if (win === w) {
        win = null;
        onDisplay = null;
      }
    });
    win = w;
    onDisplay = display.id;
    void w.loadURL(options.pageUrl);
  };

  const moveTo = (w: BrowserWindow, display: Display): void => {
    w.setFullScreen(false);
    w.setBounds(display.bounds);
    w.setFullScreen(true);
    onDisplay = display.id;
  };

  const open = (displayId: number | null): void => {
    wanted = displayId;
    const display = pickDisplay(screen.getAllDisplays(), screen.getPrimaryDisplay(), displayId);
    if (!display) {
      // the chosen TV is not connected: the board opens when it is (the counter is not covered meanwhile)
      reopen = true;
      log.warn({ displayId }, 'the board display is not connected: the board opens when it is');
      return;
    }
    reopen = false;
    const w = live();
    if (w) {
      if (onDisplay !== display.id) moveTo(w, display);
      return;
    }
    create(display);
    log.info({ displayId: display.id }, 'board window opened');
  };

  const close = (): void => {
    reopen = false;
    shut();
  };

  /** destroy(), not close(): the page cannot hold the window open (beforeunload) */
  const shut = (): void => {
    const w = live();
    win = null;
    onDisplay = null;
    if (w) w.destroy();
  };

  const onRemoved = (_event: unknown, removed: Display): void => {
    if (!live() || removed.id !== onDisplay) return;
    // closed, not moved: the display left is the operator's, and a full-screen board there would
    // cover the counter. Only the board window is touched; the queue and the main window are not.
    shut();
    reopen = true;
    log.warn({ displayId: removed.id }, 'the board display was disconnected: the board is closed until it is back');
  };

  const onAdded = (_event: unknown, added: Display): void => {
    if (!reopen || live()) return;
    if (added.id === screen.getPrimaryDisplay().id) return;
    open(wanted);
  };

  screen.on('display-removed', onRemoved);
  screen.on('display-added', onAdded);

  return {
    displays: () => toBoardDisplays(screen.getAllDisplays(), screen.getPrimaryDisplay().id),
    open,
    close,
    isOpen: () => live() !== null,
    window: live,
    followMainWindow: (main) => {
      main.on('closed', close);
    },
    dispose: () => {
      screen.removeListener('display-removed', onRemoved);
      screen.removeListener('display-added', onAdded);
    },
  };
}

/** What the board's IPC needs of the counter (CounterBackend has it). */
export interface BoardBackend {
  boardView(): BoardView | Promise<BoardView>;
  boardEvents: { on(eventName: 'board', listener: (event: BoardEvent) => void): unknown };
  log: BoardLog;
}

/**
 * The board's channels: the view, answered only to the board window's top frame at the board
 * page; the counter's board events, sent only to the board window. (A call's speech is not
 * IPC: board-speech.ts serves its file.)
 */
export function registerBoardIpc(backend: BoardBackend, getBoard: () => BrowserWindow | null, pageUrl: string): void {
  const refuse = (channel: string, event: IpcMainInvokeEvent): Error => {
    backend.log.warn({ channel, url: event.senderFrame?.url }, 'board IPC from an untrusted sender refused');
    return new Error('FORBIDDEN: untrusted sender');
  };
  ipcMain.handle(BOARD_CHANNELS.view, async (event) => {
    if (!isBoardSender(event, getBoard(), pageUrl)) throw refuse(BOARD_CHANNELS.view, event);
    return backend.boardView();
  });
  backend.boardEvents.on('board', (e) => {
    const w = getBoard();
    if (w && !w.isDestroyed()) w.webContents.send(BOARD_CHANNELS.event, e);
  });
}

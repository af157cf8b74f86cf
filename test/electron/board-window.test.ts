import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// The Electron runtime is not available to the test runner: the board window is tested against
// a stand-in `electron` module with displays that can be plugged and unplugged.
interface FakeDisplay {
  id: number;
  label: string;
  internal: boolean;
  bounds: { x: number; y: number; width: number; height: number };
  size: { width: number; height: number };
  scaleFactor: number;
}
const display = (id: number, x: number, width: number, height: number, extra: Partial<FakeDisplay> = {}): FakeDisplay => ({
  id,
  label: '',
  internal: false,
  bounds: { x, y: 0, width, height },
  size: { width, height },
  scaleFactor: 1,
  ...extra,
});

const LAPTOP = display(1, 0, 1366, 768, { internal: true });
const TV = display(2, 1366, 1920, 1080, { label: 'SAMSUNG' });
const screenMock = Object.assign(new EventEmitter(), {
  displays: [LAPTOP, TV] as FakeDisplay[],
  primary: LAPTOP as FakeDisplay,
  getAllDisplays: () => screenMock.displays,
  getPrimaryDisplay: () => screenMock.primary,
});

class FakeContents extends EventEmitter {
  static next = 10;
  id = FakeContents.next++;
  mainFrame = { url: '' };
  send = vi.fn();
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = fn;
  }
}

class FakeWindow extends EventEmitter {
  static all: FakeWindow[] = [];
  webContents = new FakeContents();
  destroyed = false;
  fullScreen: boolean;
  bounds: { x: number; y: number; width: number; height: number };
  shownInactive = false;
  menu: unknown = 'default';
  loaded: string | null = null;
  constructor(public options: Record<string, unknown>) {
    super();
    this.fullScreen = options.fullscreen === true;
    this.bounds = {
      x: options.x as number,
      y: options.y as number,
      width: options.width as number,
      height: options.height as number,
    };
    FakeWindow.all.push(this);
  }
  isDestroyed = () => this.destroyed;
  setMenu = (m: unknown) => (this.menu = m);
  showInactive = () => (this.shownInactive = true);
  setFullScreen = (f: boolean) => (this.fullScreen = f);
  setBounds = (b: FakeWindow['bounds']) => (this.bounds = { ...b });
  loadURL = async (url: string) => {
    this.loaded = url;
    this.webContents.mainFrame.url = url;
  };
  destroy = () => {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
  };
}

const handlers = new Map<string, (...args: unknown[]) => unknown>();
vi.mock('electron', () => ({
  BrowserWindow: FakeWindow,
  screen: screenMock,
  ipcMain: { handle: (channel: string, fn: (...args: unknown[]) => unknown) => handlers.set(channel, fn) },
  session: { defaultSession: {} },
  shell: { openExternal: vi.fn() },
}));

const {
  createBoardWindow,
  registerBoardIpc,
  isBoardSender,
  isBoardPageUrl,
  pickDisplay,
  toBoardDisplays,
  BOARD_BACKGROUND,
  BOARD_RELOADS,
} = await import('../../main/electron/board-window');
const { SECURE_WEB_PREFERENCES } = await import('../../main/electron/security');
const { registerIpc } = await import('../../main/electron/ipc');
const { boardPageUrl, boardPreloadFile, rendererBoardHtml, APP_BOARD_URL, APP_INDEX_URL } =
  await import('../../main/electron/app-paths');
const { BOARD_CHANNELS } = await import('../../common/board');
const { METHOD_NAMES, ipcChannel } = await import('../../common/contract-methods');

const PAGE = 'app://counter/board.html';
const PRELOAD = '/opt/counter/resources/app.asar/out/preload/board.cjs';
const log = { info: vi.fn(), warn: vi.fn() };
const newBoard = () => createBoardWindow({ preload: PRELOAD, pageUrl: PAGE, devTools: false, log });

beforeEach(() => {
  screenMock.removeAllListeners();
  screenMock.displays = [LAPTOP, TV];
  screenMock.primary = LAPTOP;
  FakeWindow.all = [];
  log.warn.mockClear();
});

describe('board paths', () => {
  it('the board preload sits beside the main one; the board page beside index.html', () => {
    const MAIN = '/opt/Registration Counter/resources/app.asar/out/main';
    expect(boardPreloadFile(MAIN)).toBe('/opt/Registration Counter/resources/app.asar/out/preload/board.cjs');
    expect(rendererBoardHtml(MAIN)).toBe('/opt/Registration Counter/resources/app.asar/out/renderer/board.html');
    expect(APP_BOARD_URL).toBe(PAGE);
    expect(boardPageUrl(undefined)).toBe(PAGE);
    expect(boardPageUrl('http://localhost:5173')).toBe('http://localhost:5173/board.html');
    expect(boardPageUrl('http://localhost:5173/')).toBe('http://localhost:5173/board.html');
  });

  it('the board page is exactly board.html of the app: the operator page and other hosts are not', () => {
    expect(isBoardPageUrl(PAGE, PAGE)).toBe(true);
    expect(isBoardPageUrl(`${PAGE}#x`, PAGE)).toBe(true);
    expect(isBoardPageUrl(APP_INDEX_URL, PAGE)).toBe(false);
    expect(isBoardPageUrl('app://other/board.html', PAGE)).toBe(false);
    expect(isBoardPageUrl('https://evil.example/board.html', PAGE)).toBe(false);
    expect(isBoardPageUrl('data:text/html,x', PAGE)).toBe(false);
    expect(isBoardPageUrl('http://localhost:5173/board.html', 'http://localhost:5173/board.html')).toBe(true);
    expect(isBoardPageUrl('http://localhost:5173/', 'http://localhost:5173/board.html')).toBe(false);
  });
});

describe('displays', () => {
  it('are given in the port shape: ID, a name, which is primary, the size in its own pixels', () => {
    const hiDpi = display(3, 3286, 1280, 720, { scaleFactor: 1.5 });
    expect(toBoardDisplays([LAPTOP, TV, hiDpi] as never, LAPTOP.id)).toEqual([
      { id: 1, label: 'Built-in display', primary: true, width: 1366, height: 768 },
      { id: 2, label: 'SAMSUNG', primary: false, width: 1920, height: 1080 },
      { id: 3, label: 'Display 3', primary: false, width: 1920, height: 1080 },
    ]);
    expect(
      newBoard()
        .displays()
        .map((d) => [d.id, d.primary]),
    ).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('the chosen display; else the first that is not the primary; the primary only when none was chosen', () => {
    const third = display(3, 3286, 1920, 1080);
    expect(pickDisplay([LAPTOP, TV, third] as never, LAPTOP as never, 3)?.id).toBe(3);
    expect(pickDisplay([LAPTOP, TV, third] as never, LAPTOP as never, null)?.id).toBe(2);
    expect(pickDisplay([LAPTOP, TV] as never, LAPTOP as never, 99)?.id).toBe(2);
    expect(pickDisplay([LAPTOP] as never, LAPTOP as never, null)?.id).toBe(1);
    expect(pickDisplay([LAPTOP] as never, LAPTOP as never, 2)).toBeNull();
  });
});

describe('the board window', () => {
  it("opens full screen on the chosen display's bounds, frameless with no menu, with the secure preferences and the board preload", async () => {
    const board = newBoard();
    board.open(TV.id);
    expect(board.isOpen()).toBe(true);
    expect(FakeWindow.all).toHaveLength(1);
    const w = FakeWindow.all[0]!;
    expect(w.options).toMatchObject({
      x: 1366,
      y: 0,
      width: 1920,
      height: 1080,
      fullscreen: true,
      frame: false,
      autoHideMenuBar: true,
      show: false,
      backgroundColor: BOARD_BACKGROUND,
    });
    expect(w.options.webPreferences).toEqual({
      ...SECURE_WEB_PREFERENCES,
      preload: PRELOAD,
      devTools: false,
      autoplayPolicy: 'no-user-gesture-required',
    });
    expect(w.menu).toBeNull();
    expect(w.loaded).toBe(PAGE);
    // shown without taking the keyboard from the operator
    w.emit('ready-to-show');
    expect(w.shownInactive).toBe(true);
    expect(board.window()).toBe(w);
  });

  it('is hardened like the main window: no navigation away from the board page, no new windows, no webviews', () => {
    const board = newBoard();
    board.open(TV.id);
    const contents = FakeWindow.all[0]!.webContents;
    for (const [url, blocked] of [
      ['https://evil.example/', true],
      [APP_INDEX_URL, true],
      [PAGE, false],
    ] as const) {
      const event = { preventDefault: vi.fn() };
      contents.emit('will-navigate', event, url);
      expect(event.preventDefault.mock.calls.length > 0).toBe(blocked);
    }
    expect(contents.windowOpenHandler!({ url: PAGE }).action).toBe('deny');
    const attach = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', attach);
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it('a board page that stopped loads again, at most BOARD_RELOADS times', () => {
    const board = newBoard();
    board.open(TV.id);
    const w = FakeWindow.all[0]!;
    const loads: string[] = [];
    w.loadURL = async (url: string) => {
      loads.push(url);
    };
    w.webContents.emit('render-process-gone', {}, { reason: 'clean-exit', exitCode: 0 });
    expect(loads).toEqual([]);
    for (let i = 0; i < BOARD_RELOADS + 2; i++) w.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 });
    expect(loads).toEqual(Array.from({ length: BOARD_RELOADS }, () => PAGE));
    expect(log.warn).toHaveBeenLastCalledWith({ reason: 'crashed' }, expect.stringContaining('not loaded again'));
  });

  it('opened again moves to the newly chosen display instead of opening a second window', () => {
    const third = display(3, 3286, 1280, 1024);
    screenMock.displays = [LAPTOP, TV, third];
    const board = newBoard();
    board.open(TV.id);
    board.open(third.id);
    expect(FakeWindow.all).toHaveLength(1);
    expect(FakeWindow.all[0]!.bounds).toEqual(third.bounds);
    expect(FakeWindow.all[0]!.fullScreen).toBe(true);
  });

  it('with no display chosen opens on the first one that is not the primary', () => {
    const board = newBoard();
    board.open(null);
    expect(FakeWindow.all[0]!.bounds).toEqual(TV.bounds);
  });

  it('closes on close(), and when the main window closes', () => {
    const board = newBoard();
    board.open(TV.id);
    board.close();
    expect(FakeWindow.all[0]!.destroyed).toBe(true);
    expect(board.isOpen()).toBe(false);
    expect(board.window()).toBeNull();

    const main = new EventEmitter();
    board.followMainWindow(main as never);
    board.open(TV.id);
    main.emit('closed');
    expect(FakeWindow.all[1]!.destroyed).toBe(true);
    expect(board.isOpen()).toBe(false);
  });

  it('its display unplugged: the board closes, nothing else is touched, and it opens again when the TV is back', () => {
    const main = new FakeWindow({ x: 0, y: 0, width: 1366, height: 768 });
    const board = newBoard();
    board.followMainWindow(main as never);
    board.open(TV.id);
    const w = board.window() as unknown as FakeWindow;

    // another display going away changes nothing
    screenMock.emit('display-removed', {}, display(7, 0, 800, 600));
    expect(w.destroyed).toBe(false);

    screenMock.displays = [LAPTOP];
    screenMock.emit('display-removed', {}, TV);
    expect(w.destroyed).toBe(true);
    expect(board.isOpen()).toBe(false);
    // the board was not moved onto the operator's screen, and the main window is as it was
    expect(w.bounds).toEqual(TV.bounds);
    expect(main.destroyed).toBe(false);
    expect(main.bounds).toEqual({ x: 0, y: 0, width: 1366, height: 768 });
    expect(main.fullScreen).toBe(false);
    expect(FakeWindow.all).toHaveLength(2);
    expect(log.warn).toHaveBeenCalledWith({ displayId: TV.id }, expect.stringContaining('disconnected'));

    // the TV comes back (a TV re-plugs when it is switched off and on): the board opens on it again
    screenMock.displays = [LAPTOP, TV];
    screenMock.emit('display-added', {}, TV);
    expect(board.isOpen()).toBe(true);
    expect(FakeWindow.all).toHaveLength(3);
    expect(FakeWindow.all[2]!.bounds).toEqual(TV.bounds);
    expect(main.destroyed).toBe(false);
  });

  it('a board the supervisor closed stays closed when a display is plugged in', () => {
    const board = newBoard();
    board.open(TV.id);
    board.close();
    screenMock.emit('display-added', {}, TV);
    expect(board.isOpen()).toBe(false);
  });

  it('opened on a display that is gone: another TV if there is one, else it waits for it and does not cover the operator screen', () => {
    screenMock.displays = [LAPTOP];
    const board = newBoard();
    board.open(TV.id);
    expect(board.isOpen()).toBe(false);
    expect(FakeWindow.all).toHaveLength(0);
    expect(log.warn).toHaveBeenCalledWith({ displayId: TV.id }, expect.stringContaining('not connected'));

    const other = display(5, 1366, 1280, 720);
    screenMock.displays = [LAPTOP, other];
    board.open(TV.id);
    expect(board.isOpen()).toBe(true);
    expect(FakeWindow.all[0]!.bounds).toEqual(other.bounds);
  });

  it('stops following the displays once disposed', () => {
    const board = newBoard();
    board.dispose();
    expect(screenMock.listenerCount('display-removed')).toBe(0);
    expect(screenMock.listenerCount('display-added')).toBe(0);
  });
});

describe('the board IPC', () => {
  const view = { marker: 'view' };
  const boardEvents = new EventEmitter<{ board: [unknown] }>();
  const backend = {
    boardView: vi.fn(() => view),
    boardEvents,
    log: { info: vi.fn(), warn: vi.fn() },
  };
  const board = () =>
    FakeWindow.all.find(
      (w) => w.options.webPreferences && (w.options.webPreferences as { preload: string }).preload === PRELOAD,
    ) ?? null;
  let mainWin: FakeWindow;
  let boardWin: FakeWindow;

  beforeEach(() => {
    handlers.clear();
    boardEvents.removeAllListeners();
    backend.boardView.mockClear();
    mainWin = new FakeWindow({ webPreferences: { preload: 'index.cjs' } });
    void mainWin.loadURL(APP_INDEX_URL);
    const b = newBoard();
    b.open(TV.id);
    boardWin = board()!;
    void boardWin.loadURL(PAGE);
    registerBoardIpc(backend as never, () => b.window(), PAGE);
  });

  const from = (w: FakeWindow, frame = w.webContents.mainFrame) => ({ sender: w.webContents, senderFrame: frame });

  it("registers the view channel only (a call's speech is served as a file, board-speech.ts)", () => {
    expect([...handlers.keys()]).toEqual([BOARD_CHANNELS.view]);
  });

  it("answers the board window's top frame at the board page", async () => {
    await expect(handlers.get(BOARD_CHANNELS.view)!(from(boardWin))).resolves.toBe(view);
  });

  it('refuses the main window, a subframe of the board, the board window at another page, and no frame', async () => {
    const refused = [from(mainWin), from(boardWin, { url: PAGE }), { sender: boardWin.webContents, senderFrame: null }];
    for (const event of refused) {
      await expect(handlers.get(BOARD_CHANNELS.view)!(event)).rejects.toThrow('FORBIDDEN');
    }
    boardWin.webContents.mainFrame.url = 'app://counter/index.html';
    await expect(handlers.get(BOARD_CHANNELS.view)!(from(boardWin))).rejects.toThrow('FORBIDDEN');
    boardWin.webContents.mainFrame.url = 'https://evil.example/board.html';
    await expect(handlers.get(BOARD_CHANNELS.view)!(from(boardWin))).rejects.toThrow('FORBIDDEN');
    expect(backend.boardView).not.toHaveBeenCalled();
    expect(backend.log.warn).toHaveBeenCalled();
  });

  it('refuses once the board window is closed', async () => {
    const event = from(boardWin);
    boardWin.destroy();
    await expect(handlers.get(BOARD_CHANNELS.view)!(event)).rejects.toThrow('FORBIDDEN');
  });

  it("sends the counter's board events to the board window only", () => {
    const event = { type: 'changed' };
    boardEvents.emit('board', event);
    expect(boardWin.webContents.send).toHaveBeenCalledWith(BOARD_CHANNELS.event, event);
    expect(mainWin.webContents.send).not.toHaveBeenCalled();
    // with the board closed the event goes nowhere
    boardWin.destroy();
    boardWin.webContents.send.mockClear();
    boardEvents.emit('board', event);
    expect(boardWin.webContents.send).not.toHaveBeenCalled();
    expect(mainWin.webContents.send).not.toHaveBeenCalled();
  });

  it("the board page cannot use the operator's channels", async () => {
    const dispatch = vi.fn(async () => ({ ok: true as const, value: null }));
    const counter = { log: { warn: vi.fn() }, events: { on: vi.fn() }, endSession: vi.fn() };
    registerIpc(dispatch, counter as never, () => mainWin as never, APP_INDEX_URL);
    for (const method of METHOD_NAMES) {
      const r = (await handlers.get(ipcChannel(method))!(from(boardWin), {})) as { ok: boolean; error: { code: string } };
      expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(dispatch).not.toHaveBeenCalled();
  });
});

describe('isBoardSender', () => {
  it('is false with no board window', () => {
    expect(isBoardSender({ sender: {}, senderFrame: { url: PAGE } } as never, null, PAGE)).toBe(false);
  });
});

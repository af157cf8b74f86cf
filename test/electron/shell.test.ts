import { beforeEach, describe, expect, it, vi } from 'vitest';

// The Electron runtime is not available to the test runner: the shell is tested against a
// stand-in `electron` module that records what the shell asks of it.
const handlers = new Map<string, (...args: unknown[]) => unknown>();
const sessionMock = {
  setPermissionRequestHandler: vi.fn(),
  setPermissionCheckHandler: vi.fn(),
  setDevicePermissionHandler: vi.fn(),
  webRequest: { onHeadersReceived: vi.fn() },
};
vi.mock('electron', () => ({
  ipcMain: { handle: (channel: string, fn: (...args: unknown[]) => unknown) => handlers.set(channel, fn) },
  session: { defaultSession: sessionMock },
  shell: { openExternal: vi.fn() },
}));

const { isAppUrl, hardenSession, hardenWebContents, SECURE_WEB_PREFERENCES } = await import('../../main/electron/security');
const { registerIpc, isTrustedSender } = await import('../../main/electron/ipc');
const { METHOD_NAMES, ipcChannel } = await import('../../common/contract-methods');
const { CONTENT_SECURITY_POLICY } = await import('../../main/security/csp');

const APP = 'file:///opt/counter/resources/app.asar/out/renderer/index.html';

describe('window preferences', () => {
  it('isolate and sandbox the page with no Node access', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
    });
  });
});

describe('isAppUrl', () => {
  it('accepts only the app page itself', () => {
    expect(isAppUrl(APP, APP)).toBe(true);
    expect(isAppUrl(`${APP}#/queue`, APP)).toBe(true);
    expect(isAppUrl('file:///etc/passwd', APP)).toBe(false);
    expect(isAppUrl('https://evil.example/', APP)).toBe(false);
    expect(isAppUrl('not a url', APP)).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('tells the app:// page apart from data:, blob: and other hosts, whose origin is also "null"', () => {
    const app = 'app://counter/index.html';
    expect(isAppUrl('app://counter/index.html#/queue', app)).toBe(true);
    expect(isAppUrl('app://counter/assets/x.js', app)).toBe(true);
    expect(isAppUrl('data:text/html,<script>counter.signIn()</script>', app)).toBe(false);
    expect(isAppUrl('blob:null/1234', app)).toBe(false);
    expect(isAppUrl('app://other/index.html', app)).toBe(false);
    expect(isAppUrl('app:///index.html', app)).toBe(false);
    expect(isAppUrl('about:blank', app)).toBe(false);
    expect(isAppUrl('file:///index.html', app)).toBe(false);
  });
});

describe('session hardening', () => {
  it('denies every permission and sets the CSP header', () => {
    hardenSession();
    const request = sessionMock.setPermissionRequestHandler.mock.calls[0]![0] as (
      wc: unknown,
      p: string,
      cb: (ok: boolean) => void,
    ) => void;
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal']) {
      const cb = vi.fn();
      request({}, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
    }
    const check = sessionMock.setPermissionCheckHandler.mock.calls[0]![0] as () => boolean;
    expect(check()).toBe(false);
    const onHeaders = sessionMock.webRequest.onHeadersReceived.mock.calls[0]![0] as (
      d: { responseHeaders: Record<string, string[]> },
      cb: (r: { responseHeaders: Record<string, string[]> }) => void,
    ) => void;
    const cb = vi.fn();
    onHeaders({ responseHeaders: { 'X-Other': ['1'] } }, cb);
    expect(cb.mock.calls[0]![0].responseHeaders['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });
});

describe('web contents hardening', () => {
  const listeners = new Map<string, (...a: unknown[]) => void>();
  let openHandler: (d: { url: string }) => { action: string };
  const contents = {
    on: (name: string, fn: (...a: unknown[]) => void) => listeners.set(name, fn),
    setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
  };
  beforeEach(() => hardenWebContents(contents as never, APP));

  it('blocks navigation and redirects away from the app', () => {
    for (const name of ['will-navigate', 'will-redirect']) {
      const away = { preventDefault: vi.fn() };
      listeners.get(name)!(away, 'https://evil.example/');
      expect(away.preventDefault).toHaveBeenCalled();
      const home = { preventDefault: vi.fn() };
      listeners.get(name)!(home, APP);
      expect(home.preventDefault).not.toHaveBeenCalled();
    }
  });
  it('never opens new windows and refuses webviews', () => {
    expect(openHandler({ url: 'https://evil.example/' }).action).toBe('deny');
    expect(openHandler({ url: APP }).action).toBe('deny');
    const ev = { preventDefault: vi.fn() };
    listeners.get('will-attach-webview')!(ev);
    expect(ev.preventDefault).toHaveBeenCalled();
  });
});

describe('IPC registration', () => {
  const mainFrame = { url: APP };
  const destroyed = new Map<number, () => void>();
  const contentsOf = (id: number) => ({
    id,
    mainFrame,
    send: vi.fn(),
    once: vi.fn((name: string, fn: () => void) => {
      if (name === 'destroyed') destroyed.set(id, fn);
    }),
  });
  const webContents = contentsOf(1);
  let window = { webContents, isDestroyed: () => false };
  const dispatch = vi.fn(async (method: unknown) => ({ ok: true as const, value: method }));
  const backend = { log: { warn: vi.fn() }, events: { on: vi.fn() }, endSession: vi.fn() };

  it('registers exactly one handler per contract method and nothing else', () => {
    handlers.clear();
    registerIpc(dispatch, backend as never, () => window as never, APP);
    expect([...handlers.keys()].sort()).toEqual(METHOD_NAMES.map(ipcChannel).sort());
  });

  it('passes calls from the app top frame to the dispatcher', async () => {
    const h = handlers.get(ipcChannel('getQueue'))!;
    await expect(h({ sender: webContents, senderFrame: mainFrame }, {})).resolves.toEqual({ ok: true, value: 'getQueue' });
  });

  it('refuses subframes, other pages and other web contents without dispatching', async () => {
    dispatch.mockClear();
    const h = handlers.get(ipcChannel('callNext'))!;
    const sub = { url: APP };
    const other = { mainFrame: { url: APP } };
    for (const event of [
      { sender: webContents, senderFrame: sub },
      { sender: webContents, senderFrame: { url: 'https://evil.example/' } },
      { sender: other, senderFrame: other.mainFrame },
      { sender: webContents, senderFrame: null },
    ]) {
      const r = (await h(event, {})) as { ok: boolean; error: { code: string } };
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe('FORBIDDEN');
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it("each window's page is a client of its own, signed out when its web contents is destroyed", async () => {
    dispatch.mockClear();
    const h = handlers.get(ipcChannel('getQueue'))!;
    await h({ sender: webContents, senderFrame: mainFrame }, {});
    await h({ sender: webContents, senderFrame: mainFrame }, {});
    expect(dispatch).toHaveBeenLastCalledWith('getQueue', {}, 'electron:1');
    expect(webContents.once).toHaveBeenCalledTimes(1);

    // the window closes; a new one opens
    destroyed.get(1)!();
    expect(backend.endSession).toHaveBeenCalledWith('electron:1');
    const next = contentsOf(2);
    window = { webContents: next, isDestroyed: () => false };
    await h({ sender: next, senderFrame: mainFrame }, {});
    expect(dispatch).toHaveBeenLastCalledWith('getQueue', {}, 'electron:2');
    window = { webContents, isDestroyed: () => false };
  });

  it('treats a destroyed window as untrusted', () => {
    const gone = { webContents, isDestroyed: () => true };
    expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame } as never, gone as never, APP)).toBe(false);
  });
});

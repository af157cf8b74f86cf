/**
 * Electron hardening, applied to every window and session: the page can only be the app,
 * can open nothing, navigate nowhere and is granted no permission.
 */
import { session, shell, type WebContents, type WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../security/csp';

export const SECURE_WEB_PREFERENCES: WebPreferences = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
};

/** Only the app's own page: the built index.html, or the dev server during development. */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const a = new URL(appUrl);
    if (a.protocol === 'file:') return u.protocol === 'file:' && u.pathname === a.pathname;
    // a URL of a non-special scheme (app://counter/) has the origin "null", like data: and
    // blob:, so its scheme and host are compared instead
    if (a.protocol !== 'http:' && a.protocol !== 'https:') return u.protocol === a.protocol && u.host === a.host && u.host !== '';
    return u.origin === a.origin;
  } catch {
    return false;
  }
}

/** Links the operator may open outside the app: https only, and only these hosts. */
const EXTERNAL_ALLOWED = new Set<string>([]);

export function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

export function hardenWebContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    try {
      const u = new URL(url);
      if (u.protocol === 'https:' && EXTERNAL_ALLOWED.has(u.host)) void shell.openExternal(u.toString());
    } catch {
      /* not a URL: nothing to open */
    }
    return { action: 'deny' };
  });
}
